/**
 * What the project page needs beyond the project itself: who holds its review now (GET
 * /projects/:id names the current reviewer, and it follows a transfer), and the cycle's rubric
 * (GET /cycles/:id/rubric: criteria with their names and maxima, deductions, grade thresholds and
 * the dispatch window) for the self-assessment and acceptance forms. Refusals are problems with a
 * Chinese detail.
 */
import { describe, expect, it } from 'vitest';
import { compressedCycle } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';

describe('the review holder on the project and the cycle rubric', () => {
  const cycle = compressedCycle(`cy-rubric-${Date.now().toString(36)}`, Date.now());
  const h = useHarness({ name: 'reviewholder', cycle });

  it('the rubric answers every signed-in person with names, maxima, deductions and the dispatch window', async () => {
    const response = await h.get('u-sec-b1', `/cycles/${cycle.cycleId}/rubric`);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({
      rubric: [
        { criterionId: 'c-goal', name: '目标完成', weight: 60 },
        { criterionId: 'c-fusion', name: '党建与业务融合', weight: 40 },
      ],
      deductions: cycle.rules.deductions,
      gradeThresholds: cycle.rules.gradeThresholds,
      dispatchWindow: cycle.calendar.dispatchWindow,
    });
  });

  it('the rubric of an unknown cycle is a 404 in Chinese; without signing in a 401', async () => {
    const unknown = await h.get('u-sec-b1', '/cycles/cy-nowhere/rubric');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().detail).toBe('找不到年度周期 cy-nowhere。');
    const anonymous = await h.app.inject({ method: 'GET', url: `/cycles/${cycle.cycleId}/rubric` });
    expect(anonymous.statusCode).toBe(401);
  });

  it('the project names its current reviewer, who changes with a transfer; the former reviewer is refused', async () => {
    const id = await h.propose('u-sec-oc1', cycle, '机关党建“红色引擎”项目');
    const submitted = await h.post('u-sec-oc1', `/projects/${id}/submit`);
    expect(submitted.json().reviewer).toEqual({ orgId: cycle.committee.orgId, userId: cycle.committee.userId });

    const transferred = await h.post('u-committee', `/projects/${id}/review/transfer`, { toUserId: 'u-sec-u1', toOrgId: 'org-u1', reason: '请单位党组把关' });
    expect(transferred.statusCode, transferred.body).toBe(200);
    expect(transferred.json().reviewer).toEqual({ orgId: 'org-u1', userId: 'u-sec-u1' });
    // The new reviewer reads it from the API, the one who transferred it may no longer decide.
    expect((await h.get('u-sec-u1', `/projects/${id}`)).json().reviewer.userId).toBe('u-sec-u1');
    const again = await h.post('u-committee', `/projects/${id}/review/transfer`, { toUserId: 'u-sec-u2', toOrgId: 'org-u2' });
    expect(again.statusCode).toBe(403);
    expect(again.json().detail).toMatch(/审核/);

    // A delegate's opinion comes from the delegate only, not even from the reviewer.
    expect((await h.post('u-sec-u1', `/projects/${id}/review/delegate`, { toUserId: 'u-sec-b1', toOrgId: 'org-b1', note: '请提意见' })).statusCode).toBe(200);
    const stranger = await h.post('u-sec-u1', `/projects/${id}/review/opinion`, { recommendation: 'approve', opinion: '同意' });
    expect(stranger.statusCode).toBe(403);
    expect(stranger.json().detail).toBe('仅受委派人可反馈意见');
    const opinion = await h.post('u-sec-b1', `/projects/${id}/review/opinion`, { recommendation: 'return', opinion: '指标需量化' });
    expect(opinion.statusCode, opinion.body).toBe(200);
    expect(opinion.json().review.delegate).toBeNull();
    expect(opinion.json().review.history.at(-1)).toMatchObject({ action: 'delegateOpinion', recommendation: 'return', opinion: '指标需量化' });
  });
});
