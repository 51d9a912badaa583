/**
 * Projects planned when a cycle is opened may leave out their reviewer: the server names the one
 * DESIGN §2 gives (the committee for units and organ party committees, the organ party committee's
 * secretary for its branches), as for a proposal. A reviewer sent is kept; a planned project whose
 * org is unknown is still refused, naming its row, and nothing is written.
 */
import { describe, expect, it } from 'vitest';
import { compressedCycle, postpone, proposal } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';

describe('planned projects without a reviewer', () => {
  const h = useHarness({ name: 'cycle_reviewers', cycle: () => compressedCycle('cy-cast', Date.now() + 3600_000), worker: false });

  function planned(cycleId: string, year: number, orgId: string, secretaryId: string, extra: Record<string, unknown> = {}) {
    return {
      create: {
        type: 'create',
        actor: { userId: secretaryId, role: 'secretary', orgId },
        at: new Date().toISOString(),
        projectId: `${cycleId}-${orgId}`,
        cycleId,
        parentId: null,
        orgId,
        leadSecretaryId: secretaryId,
        proposal: proposal(year, `${orgId} 书记项目`),
        ...extra,
      },
      children: [],
    };
  }
  async function reviewers(cycleId: string) {
    const rows = await h.db.selectFrom('cycle_projects').select(['project_id', 'create_event']).where('cycle_id', '=', cycleId).orderBy('project_id').execute();
    return Object.fromEntries(rows.map((r) => [r.project_id, (r.create_event as { reviewer: unknown }).reviewer]));
  }

  it('get the committee for a unit and an organ committee, the organ committee’s secretary for a branch; one sent is kept', async () => {
    const cycle = postpone(compressedCycle('cy-planned', Date.now()), 3600_000);
    const opened = await h.post('u-committee', '/cycles', {
      cycle,
      projects: [
        planned(cycle.cycleId, cycle.year, 'org-u1', 'u-sec-u1'),
        planned(cycle.cycleId, cycle.year, 'org-oc1', 'u-sec-oc1'),
        planned(cycle.cycleId, cycle.year, 'org-b1', 'u-sec-b1'),
        // Sent by hand (a review the cycle's rules give the committee): kept as sent.
        planned(cycle.cycleId, cycle.year, 'org-b3', 'u-sec-b3', { reviewer: { orgId: 'org-committee', userId: 'u-committee' } }),
      ],
    });
    expect(opened.statusCode, opened.body).toBe(201);
    expect(await reviewers(cycle.cycleId)).toEqual({
      'cy-planned-org-b1': { orgId: 'org-oc1', userId: 'u-sec-oc1' },
      'cy-planned-org-b3': { orgId: 'org-committee', userId: 'u-committee' },
      'cy-planned-org-oc1': { orgId: 'org-committee', userId: 'u-committee' },
      'cy-planned-org-u1': { orgId: 'org-committee', userId: 'u-committee' },
    });
    expect(opened.json().launch).toMatchObject({ total: 4, started: 0, pending: 4, status: 'open' });
  });

  it('still refuses a planned project of an unknown org, naming its row, and writes nothing', async () => {
    const cycle = postpone(compressedCycle('cy-planned-stray', Date.now()), 3600_000);
    const refused = await h.post('u-committee', '/cycles', {
      cycle,
      projects: [planned(cycle.cycleId, cycle.year, 'org-u1', 'u-sec-u1'), planned(cycle.cycleId, cycle.year, 'org-nowhere', 'u-sec-u2')],
    });
    expect(refused.statusCode, refused.body).toBe(400);
    expect(refused.json().errors.map((e: { field: string }) => e.field).some((f: string) => f.startsWith('projects.1'))).toBe(true);
    expect(refused.json().detail).toMatch(/^年度周期未开启/);
    expect(await h.db.selectFrom('cycles').select('id').where('id', '=', cycle.cycleId).executeTakeFirst()).toBeUndefined();
  });

  it('is refused to a secretary like any opening, with its Chinese reason', async () => {
    const cycle = postpone(compressedCycle('cy-planned-sec', Date.now()), 3600_000);
    const refused = await h.post('u-sec-oc1', '/cycles', { cycle, projects: [planned(cycle.cycleId, cycle.year, 'org-b1', 'u-sec-b1')] });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().detail).toBe('只有工委工作人员可以开启年度周期。');
    expect(await h.db.selectFrom('cycles').select('id').where('id', '=', cycle.cycleId).executeTakeFirst()).toBeUndefined();
  });
});
