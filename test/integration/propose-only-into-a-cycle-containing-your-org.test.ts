/**
 * A project may only be proposed into a cycle whose org tree (its committee org and everything
 * below it) contains the proposer's org: otherwise another committee would review, inspect and count
 * a secretary it has no authority over. Refused with 403 `actor.org_not_in_cycle`, nothing registered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { openCycle } from '../../db/cycles';
import { seedCast, type ApiCast } from '../helpers/api';
import { compressedCycle, proposal } from '../helpers/full-year';
import { connectTemporal, createTestDatabase, startTestWorker, testLogger, type RunningTestWorker, type TestDatabase, type TestTemporal } from '../helpers/infra';

describe('POST /projects into a cycle that does not contain the proposer’s org', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let worker: RunningTestWorker;
  let app: FastifyInstance;
  let cast: ApiCast;
  const own = compressedCycle('cy-own-tree', Date.now());
  // Another city's cycle: its own committee org, with no org of the cast below it.
  const foreign = { ...compressedCycle('cy-foreign-tree', Date.now()), committee: { orgId: 'org-foreign-root', userId: 'u-foreign-committee' } };
  const as = (userId: string) => ({ authorization: `Bearer ${cast.tokens[userId]}` });
  const propose = (userId: string, cycleId: string) => {
    const { title, ...rest } = proposal(own.year, '跨周期申报项目');
    return app.inject({ method: 'POST', url: '/projects', headers: as(userId), payload: { cycleId, title, ...rest } });
  };

  beforeAll(async () => {
    database = await createTestDatabase('proposeorg');
    temporal = await connectTemporal();
    worker = await startTestWorker(database.db, temporal.taskQueue);
    app = await buildApp({ db: database.db, temporal: temporal.client, namespace: temporal.namespace, taskQueue: temporal.taskQueue, logger: testLogger });
    cast = await seedCast(database.db, own);
    await openCycle(database.db, {
      cycle: foreign,
      orgs: [{ id: 'org-foreign-root', parentId: null, kind: 'committee', name: '外市机关工委', secretaryId: 'u-foreign-committee' }],
      users: [{ id: 'u-foreign-committee', name: '外市工委', role: 'committee', orgId: 'org-foreign-root' }],
      projects: [],
    });
  });
  afterAll(async () => {
    await app?.close();
    await worker?.stop();
    await temporal?.close();
    await database?.close();
  });

  it('is refused with 403 actor.org_not_in_cycle and a Chinese detail; nothing is registered or started', async () => {
    for (const userId of ['u-sec-u1', 'u-sec-oc1', 'u-sec-b1']) {
      const refused = await propose(userId, foreign.cycleId);
      expect(refused.statusCode, refused.body).toBe(403);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.json()).toMatchObject({ rule: 'actor.org_not_in_cycle', field: 'cycleId' });
      expect(refused.json().detail).toMatch(/不属于年度周期/);
    }
    const registered = await database.db.selectFrom('cycle_projects').select('project_id').where('cycle_id', '=', foreign.cycleId).execute();
    expect(registered).toEqual([]);
    const { count } = await temporal.client.workflow.count(`CycleId = '${foreign.cycleId}'`);
    expect(count).toBe(0);
  });

  it('the cycle overview names only the secretaries of the cycle’s own tree', async () => {
    const foreignView = await app.inject({ method: 'GET', url: `/cycles/${foreign.cycleId}`, headers: as('u-committee') });
    expect(foreignView.statusCode, foreignView.body).toBe(200);
    expect(foreignView.json().secretariesWithoutKeyProject).toEqual([]);
    const ownView = await app.inject({ method: 'GET', url: `/cycles/${own.cycleId}`, headers: as('u-committee') });
    expect(ownView.json().secretariesWithoutKeyProject.map((s: { orgId: string }) => s.orgId)).toContain('org-b3');
  });

  it('a secretary still proposes into the cycle whose tree holds their org', async () => {
    const allowed = await propose('u-sec-b1', own.cycleId);
    expect(allowed.statusCode, allowed.body).toBe(201);
    expect(allowed.json()).toMatchObject({ cycleId: own.cycleId, orgId: 'org-b1', stage: 'draft' });
  });
});
