/**
 * GET /projects?org=<an org that does not exist>: the org's subtree is empty, which once became
 * `org_id in ()` in SQL and a 500. An unknown org is a filter that matches nothing — an empty page,
 * like an unknown cycle, stage or type — for every role, alone or combined with the secretary's scope.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { compressedCycle, proposal } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';
import { waitUntil } from '../helpers/wait';

describe('GET /projects?org=<unknown org>', () => {
  const cycle = compressedCycle('cy-unknown-org', Date.now());
  const h = useHarness({ name: 'unknownorg', cycle });
  beforeAll(async () => {
    const { title, ...rest } = proposal(cycle.year, '未知组织筛选项目');
    const proposed = await h.app.inject({ method: 'POST', url: '/projects', headers: as('u-sec-b1'), payload: { cycleId: cycle.cycleId, title, ...rest } });
    expect(proposed.statusCode, proposed.body).toBe(201);
    await waitUntil('the projection', () => h.db.selectFrom('projects').select('id').where('id', '=', proposed.json().id).executeTakeFirst(), 10_000, 100);
  });
  const { as } = h;


  it('answers an empty page (200, total 0) for every role, never a 5xx', async () => {
    for (const userId of ['u-committee', 'u-inspector', 'u-auditor', 'u-sec-u1', 'u-sec-b1', 'u-member-b1']) {
      const response = await h.get(userId, `/projects?cycle=${cycle.cycleId}&org=no-such-org`);
      expect(response.statusCode, `${userId}: ${response.body}`).toBe(200);
      expect(response.json()).toMatchObject({ items: [], total: 0, limit: 50, offset: 0 });
    }
  });

  it('still filters by a known org and its subtree', async () => {
    const known = await h.get('u-committee', `/projects?cycle=${cycle.cycleId}&org=org-u1`);
    expect(known.statusCode, known.body).toBe(200);
    expect(known.json().total).toBe(1);
    const elsewhere = await h.get('u-committee', `/projects?cycle=${cycle.cycleId}&org=org-u2`);
    expect(elsewhere.json().total).toBe(0);
    // A secretary's own scope still applies on top of the filter.
    const outside = await h.get('u-sec-b3', `/projects?cycle=${cycle.cycleId}&org=org-u1`);
    expect(outside.json().total).toBe(0);
  });
});
