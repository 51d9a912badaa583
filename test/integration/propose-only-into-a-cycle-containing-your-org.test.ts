/**
 * A project may only be proposed into a cycle whose org tree (its committee org and everything
 * below it) contains the proposer's org: otherwise another committee would review, inspect and count
 * a secretary it has no authority over. Refused with 403 `actor.org_not_in_cycle`, nothing registered.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { openCycle } from '../../db/cycles';
import { compressedCycle, proposal } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';

describe('POST /projects into a cycle that does not contain the proposer’s org', () => {
  const own = compressedCycle('cy-own-tree', Date.now());
  // Another city's cycle: its own committee org, with no org of the cast below it.
  const foreign = { ...compressedCycle('cy-foreign-tree', Date.now()), committee: { orgId: 'org-foreign-root', userId: 'u-foreign-committee' } };
  const h = useHarness({ name: 'proposeorg', cycle: own });
  beforeAll(async () => {
    await openCycle(h.db, {
      cycle: foreign,
      orgs: [{ id: 'org-foreign-root', parentId: null, kind: 'committee', name: '外市机关工委', secretaryId: 'u-foreign-committee' }],
      users: [{ id: 'u-foreign-committee', name: '外市工委', role: 'committee', orgId: 'org-foreign-root' }],
      projects: [],
    });
  });
  const { as } = h;
  const propose = (userId: string, cycleId: string) => {
    const { title, ...rest } = proposal(own.year, '跨周期申报项目');
    return h.app.inject({ method: 'POST', url: '/projects', headers: as(userId), payload: { cycleId, title, ...rest } });
  };


  it('is refused with 403 actor.org_not_in_cycle and a Chinese detail; nothing is registered or started', async () => {
    for (const userId of ['u-sec-u1', 'u-sec-oc1', 'u-sec-b1']) {
      const refused = await propose(userId, foreign.cycleId);
      expect(refused.statusCode, refused.body).toBe(403);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.json()).toMatchObject({ rule: 'actor.org_not_in_cycle', field: 'cycleId' });
      expect(refused.json().detail).toMatch(/不属于年度周期/);
    }
    const registered = await h.db.selectFrom('cycle_projects').select('project_id').where('cycle_id', '=', foreign.cycleId).execute();
    expect(registered).toEqual([]);
    const { count } = await h.temporal.client.workflow.count(`CycleId = '${foreign.cycleId}'`);
    expect(count).toBe(0);
  });

  it('the cycle overview names only the secretaries of the cycle’s own tree', async () => {
    const foreignView = await h.get('u-committee', `/cycles/${foreign.cycleId}`);
    expect(foreignView.statusCode, foreignView.body).toBe(200);
    expect(foreignView.json().secretariesWithoutKeyProject).toEqual([]);
    const ownView = await h.get('u-committee', `/cycles/${own.cycleId}`);
    expect(ownView.json().secretariesWithoutKeyProject.map((s: { orgId: string }) => s.orgId)).toContain('org-b3');
  });

  it('a secretary still proposes into the cycle whose tree holds their org', async () => {
    const allowed = await propose('u-sec-b1', own.cycleId);
    expect(allowed.statusCode, allowed.body).toBe(201);
    expect(allowed.json()).toMatchObject({ cycleId: own.cycleId, orgId: 'org-b1', stage: 'draft' });
  });
});
