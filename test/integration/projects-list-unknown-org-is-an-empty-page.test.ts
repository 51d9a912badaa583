/**
 * GET /projects?org=<an org that does not exist>: the org's subtree is empty, which once became
 * `org_id in ()` in SQL and a 500. An unknown org is a filter that matches nothing — an empty page,
 * like an unknown cycle, stage or type — for every role, alone or combined with the secretary's scope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { seedCast, type ApiCast } from '../helpers/api';
import { compressedCycle, proposal } from '../helpers/full-year';
import { connectTemporal, createTestDatabase, startTestWorker, testLogger, type RunningTestWorker, type TestDatabase, type TestTemporal } from '../helpers/infra';

describe('GET /projects?org=<unknown org>', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let worker: RunningTestWorker;
  let app: FastifyInstance;
  let cast: ApiCast;
  const cycle = compressedCycle('cy-unknown-org', Date.now());
  const as = (userId: string) => ({ authorization: `Bearer ${cast.tokens[userId]}` });

  beforeAll(async () => {
    database = await createTestDatabase('unknownorg');
    temporal = await connectTemporal();
    worker = await startTestWorker(database.db, temporal.taskQueue);
    app = await buildApp({ db: database.db, temporal: temporal.client, namespace: temporal.namespace, taskQueue: temporal.taskQueue, logger: testLogger });
    cast = await seedCast(database.db, cycle);
    const { title, ...rest } = proposal(cycle.year, '未知组织筛选项目');
    const proposed = await app.inject({ method: 'POST', url: '/projects', headers: as('u-sec-b1'), payload: { cycleId: cycle.cycleId, title, ...rest } });
    expect(proposed.statusCode, proposed.body).toBe(201);
    const deadline = Date.now() + 10_000;
    while (!(await database.db.selectFrom('projects').select('id').where('id', '=', proposed.json().id).executeTakeFirst())) {
      if (Date.now() > deadline) throw new Error('the projection never appeared');
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(async () => {
    await app?.close();
    await worker?.stop();
    await temporal?.close();
    await database?.close();
  });

  it('answers an empty page (200, total 0) for every role, never a 5xx', async () => {
    for (const userId of ['u-committee', 'u-inspector', 'u-auditor', 'u-sec-u1', 'u-sec-b1', 'u-member-b1']) {
      const response = await app.inject({ method: 'GET', url: `/projects?cycle=${cycle.cycleId}&org=no-such-org`, headers: as(userId) });
      expect(response.statusCode, `${userId}: ${response.body}`).toBe(200);
      expect(response.json()).toMatchObject({ items: [], total: 0, limit: 50, offset: 0 });
    }
  });

  it('still filters by a known org and its subtree', async () => {
    const known = await app.inject({ method: 'GET', url: `/projects?cycle=${cycle.cycleId}&org=org-u1`, headers: as('u-committee') });
    expect(known.statusCode, known.body).toBe(200);
    expect(known.json().total).toBe(1);
    const elsewhere = await app.inject({ method: 'GET', url: `/projects?cycle=${cycle.cycleId}&org=org-u2`, headers: as('u-committee') });
    expect(elsewhere.json().total).toBe(0);
    // A secretary's own scope still applies on top of the filter.
    const outside = await app.inject({ method: 'GET', url: `/projects?cycle=${cycle.cycleId}&org=org-u1`, headers: as('u-sec-b3') });
    expect(outside.json().total).toBe(0);
  });
});
