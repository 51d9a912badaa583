import { describe, expect, it } from 'vitest';
import { DAY, at, inReviewProject, makeCycle, people, timer } from './lifecycle.fixtures';
import { reviewerActedThisRound } from '../../workflows/lifecycle';

const t0 = at('2025-01-20'); // submission time of inReviewProject()
const after = (ms: number) => new Date(Date.parse(t0) + ms).toISOString();

describe('review decisions (把关)', () => {
  it('the reviewer approves a proposal', () => {
    const sim = inReviewProject();
    const s = sim.ok({ type: 'approve', actor: people.reviewer, at: at('2025-01-22'), comment: '同意立项' });
    expect(s.stage).toBe('approved');
    expect(s.review.history.at(-1)).toEqual({ action: 'approved', round: 1, comment: '同意立项', actor: people.reviewer, at: at('2025-01-22') });
  });

  it('a returned proposal can be resubmitted and approved', () => {
    const sim = inReviewProject();
    let s = sim.ok({ type: 'return', actor: people.reviewer, at: at('2025-01-21'), comments: '请细化指标' });
    expect(s.stage).toBe('draft');
    sim.ok({ type: 'editDraft', actor: people.lead, at: at('2025-01-22'), changes: { businessGoal: '企业开办全程网办' } });
    sim.ok({ type: 'submit', actor: people.lead, at: at('2025-01-23') });
    sim.ok({ type: 'return', actor: people.reviewer, at: at('2025-01-24'), comments: '再补充里程碑' });
    sim.ok({ type: 'submit', actor: people.lead, at: at('2025-01-25') });
    s = sim.ok({ type: 'approve', actor: people.reviewer, at: at('2025-01-26') });
    expect(s.stage).toBe('approved');
    expect(s.review.round).toBe(3);
    expect(s.review.history.filter((h) => h.action === 'returned').map((h) => (h.action === 'returned' ? h.comments : ''))).toEqual([
      '请细化指标',
      '再补充里程碑',
    ]);
  });

  it('a return needs comments', () => {
    expect(inReviewProject().refused({ type: 'return', actor: people.reviewer, at: at('2025-01-21'), comments: '' })).toMatchObject({
      rule: 'payload.return_comments',
      status: 400,
    });
  });

  it('a rejected proposal is final', () => {
    const sim = inReviewProject();
    const s = sim.ok({ type: 'reject', actor: people.reviewer, at: at('2025-01-21'), reason: '与业务工作脱节' });
    expect(s.stage).toBe('rejected');
    expect(sim.refused({ type: 'submit', actor: people.lead, at: at('2025-01-22') }).rule).toBe('stage.submit_requires_draft');
    expect(sim.refused({ type: 'editDraft', actor: people.lead, at: at('2025-01-22'), changes: { title: 'x' } }).rule).toBe(
      'stage.edit_requires_draft',
    );
    expect(sim.refused({ type: 'approve', actor: people.reviewer, at: at('2025-01-22') }).rule).toBe('stage.review_requires_in_review');
  });

  it('a rejection needs a reason', () => {
    expect(inReviewProject().refused({ type: 'reject', actor: people.reviewer, at: at('2025-01-21'), reason: ' ' })).toMatchObject({
      rule: 'payload.reject_reason',
      status: 400,
    });
  });

  it('only the current reviewer decides', () => {
    const sim = inReviewProject();
    expect(sim.refused({ type: 'approve', actor: people.lead, at: at('2025-01-21') })).toMatchObject({ rule: 'actor.wrong_org', status: 403 });
    expect(sim.refused({ type: 'approve', actor: people.delegate, at: at('2025-01-21') })).toMatchObject({
      rule: 'actor.not_current_reviewer',
      status: 403,
    });
    expect(sim.refused({ type: 'approve', actor: people.inspector, at: at('2025-01-21') })).toMatchObject({ rule: 'actor.not_reviewer', status: 403 });
  });

  it('a draft cannot be approved', () => {
    const sim = inReviewProject();
    sim.ok({ type: 'withdraw', actor: people.lead, at: at('2025-01-21') });
    expect(sim.refused({ type: 'approve', actor: people.reviewer, at: at('2025-01-22') })).toMatchObject({
      rule: 'stage.review_requires_in_review',
      status: 409,
    });
  });
});

describe('transfer (转办)', () => {
  it('a transferred review is decided by the new reviewer only', () => {
    const sim = inReviewProject();
    const s = sim.ok({ type: 'transferReview', actor: people.reviewer, at: at('2025-01-21'), to: { orgId: 'org-oc2', userId: 'sec-oc2' }, reason: '业务归口' });
    expect(s.reviewerOrgId).toBe('org-oc2');
    expect(s.reviewerId).toBe('sec-oc2');
    expect(s.review.history.at(-1)).toMatchObject({
      action: 'transferred',
      from: { orgId: 'org-oc', userId: 'sec-oc' },
      to: { orgId: 'org-oc2', userId: 'sec-oc2' },
      reason: '业务归口',
    });
    expect(sim.refused({ type: 'approve', actor: people.reviewer, at: at('2025-01-22') }).status).toBe(403);
    expect(sim.ok({ type: 'approve', actor: people.otherReviewer, at: at('2025-01-22') }).stage).toBe('approved');
  });

  it('a review cannot be transferred to the current reviewer or to the proposer', () => {
    const sim = inReviewProject();
    expect(sim.refused({ type: 'transferReview', actor: people.reviewer, at: at('2025-01-21'), to: { orgId: 'org-oc', userId: 'sec-oc' } })).toMatchObject({
      rule: 'payload.transfer_to_current_reviewer',
      status: 400,
    });
    expect(sim.refused({ type: 'transferReview', actor: people.reviewer, at: at('2025-01-21'), to: { orgId: 'org-a', userId: 'sec-a' } })).toMatchObject({
      rule: 'payload.reviewer_is_proposer',
    });
    expect(sim.refused({ type: 'transferReview', actor: people.reviewer, at: at('2025-01-21'), to: { orgId: '', userId: 'x' } })).toMatchObject({
      rule: 'payload.transfer_target',
    });
  });

  it('only the current reviewer transfers the review', () => {
    const r = inReviewProject().refused({ type: 'transferReview', actor: people.lead, at: at('2025-01-21'), to: { orgId: 'org-oc2', userId: 'sec-oc2' } });
    expect(r.status).toBe(403);
  });

  it('a resubmission after a transferred round goes back to the assigned reviewer', () => {
    const sim = inReviewProject();
    sim.ok({ type: 'transferReview', actor: people.reviewer, at: at('2025-01-21'), to: { orgId: 'org-oc2', userId: 'sec-oc2' } });
    sim.ok({ type: 'return', actor: people.otherReviewer, at: at('2025-01-22'), comments: '修改' });
    const s = sim.ok({ type: 'submit', actor: people.lead, at: at('2025-01-23') });
    expect(s.reviewerId).toBe('sec-oc');
  });
});

describe('delegation (委派)', () => {
  it('the delegate’s opinion goes back to the reviewer, who still decides', () => {
    const sim = inReviewProject();
    let s = sim.ok({ type: 'delegateReview', actor: people.reviewer, at: at('2025-01-21'), to: { orgId: 'org-oc', userId: 'staff-oc' }, note: '请把关指标' });
    expect(s.review.delegate).toMatchObject({ to: { orgId: 'org-oc', userId: 'staff-oc' } });
    expect(s.reviewerId).toBe('sec-oc');
    expect(sim.refused({ type: 'approve', actor: people.delegate, at: at('2025-01-22') }).rule).toBe('actor.not_current_reviewer');
    s = sim.ok({ type: 'delegateOpinion', actor: people.delegate, at: at('2025-01-22'), recommendation: 'return', opinion: '指标需量化' });
    expect(s.review.delegate).toBeNull();
    expect(s.review.history.at(-1)).toMatchObject({ action: 'delegateOpinion', recommendation: 'return', opinion: '指标需量化', actor: people.delegate });
    expect(sim.ok({ type: 'approve', actor: people.reviewer, at: at('2025-01-23') }).stage).toBe('approved');
  });

  it('only the delegate gives the delegate opinion', () => {
    const sim = inReviewProject();
    sim.ok({ type: 'delegateReview', actor: people.reviewer, at: at('2025-01-21'), to: { orgId: 'org-oc', userId: 'staff-oc' } });
    expect(sim.refused({ type: 'delegateOpinion', actor: people.reviewer, at: at('2025-01-22'), recommendation: 'approve', opinion: '同意' })).toMatchObject({
      rule: 'actor.not_delegate',
      status: 403,
    });
  });

  it('a delegate opinion needs a pending delegation, a known recommendation and text', () => {
    const sim = inReviewProject();
    expect(sim.refused({ type: 'delegateOpinion', actor: people.delegate, at: at('2025-01-22'), recommendation: 'approve', opinion: '同意' })).toMatchObject({
      rule: 'review.no_pending_delegation',
      status: 409,
    });
    sim.ok({ type: 'delegateReview', actor: people.reviewer, at: at('2025-01-21'), to: { orgId: 'org-oc', userId: 'staff-oc' } });
    expect(sim.refused({ type: 'delegateOpinion', actor: people.delegate, at: at('2025-01-22'), recommendation: 'maybe' as never, opinion: '同意' }).rule).toBe(
      'payload.recommendation',
    );
    expect(sim.refused({ type: 'delegateOpinion', actor: people.delegate, at: at('2025-01-22'), recommendation: 'approve', opinion: '' }).rule).toBe(
      'payload.delegate_opinion',
    );
  });

  it('a review is delegated to one delegate at a time, never to the reviewer or the proposer', () => {
    const sim = inReviewProject();
    expect(sim.refused({ type: 'delegateReview', actor: people.reviewer, at: at('2025-01-21'), to: { orgId: 'org-oc', userId: 'sec-oc' } }).rule).toBe(
      'payload.delegate_is_reviewer',
    );
    expect(sim.refused({ type: 'delegateReview', actor: people.reviewer, at: at('2025-01-21'), to: { orgId: 'org-a', userId: 'sec-a' } }).rule).toBe(
      'payload.reviewer_is_proposer',
    );
    sim.ok({ type: 'delegateReview', actor: people.reviewer, at: at('2025-01-21'), to: { orgId: 'org-oc', userId: 'staff-oc' } });
    expect(sim.refused({ type: 'delegateReview', actor: people.reviewer, at: at('2025-01-21'), to: { orgId: 'org-oc2', userId: 'sec-oc2' } })).toMatchObject({
      rule: 'review.delegation_pending',
      status: 409,
    });
  });

  it('a transfer cancels a pending delegation', () => {
    const sim = inReviewProject();
    sim.ok({ type: 'delegateReview', actor: people.reviewer, at: at('2025-01-21'), to: { orgId: 'org-oc', userId: 'staff-oc' } });
    const s = sim.ok({ type: 'transferReview', actor: people.reviewer, at: at('2025-01-22'), to: { orgId: 'org-oc2', userId: 'sec-oc2' } });
    expect(s.review.delegate).toBeNull();
    expect(reviewerActedThisRound(s)).toBe(true);
  });
});

describe('reminders (催办) and review timeouts', () => {
  it('the proposer or the committee reminds the reviewer; the history says who', () => {
    const sim = inReviewProject();
    sim.ok({ type: 'remindReview', actor: people.lead, at: at('2025-01-21'), note: '请尽快审核' });
    const s = sim.ok({ type: 'remindReview', actor: people.committee, at: at('2025-01-22') });
    const reminders = s.review.history.filter((h) => h.action === 'reminded');
    expect(reminders.map((h) => h.actor.userId)).toEqual(['sec-a', 'com-1']);
    expect(reminders[0]).toMatchObject({ reviewer: { orgId: 'org-oc', userId: 'sec-oc' }, note: '请尽快审核' });
  });

  it('others cannot remind the reviewer, and there is nothing to remind about outside review', () => {
    expect(inReviewProject().refused({ type: 'remindReview', actor: people.inspector, at: at('2025-01-21') })).toMatchObject({
      rule: 'actor.cannot_remind',
      status: 403,
    });
    const sim = inReviewProject();
    sim.ok({ type: 'approve', actor: people.reviewer, at: at('2025-01-21') });
    expect(sim.refused({ type: 'remindReview', actor: people.lead, at: at('2025-01-22') }).rule).toBe('stage.review_requires_in_review');
  });

  it('a review timeout reminds the reviewer and then escalates to the committee, recorded as the timer', () => {
    const sim = inReviewProject();
    let s = sim.ok({ type: 'reviewTimeoutReminder', actor: timer, at: after(3 * DAY), round: 1 });
    expect(s.review.history.at(-1)).toMatchObject({ action: 'timeoutReminded', reviewer: { userId: 'sec-oc' }, actor: { role: 'system', userId: 'system:timer' } });
    s = sim.ok({ type: 'reviewEscalated', actor: timer, at: after(7 * DAY), round: 1 });
    expect(s.reviewerOrgId).toBe('org-com');
    expect(s.reviewerId).toBe('com-rev');
    expect(s.review.history.at(-1)).toMatchObject({
      action: 'escalated',
      from: { orgId: 'org-oc', userId: 'sec-oc' },
      to: { orgId: 'org-com', userId: 'com-rev' },
      actor: { role: 'system' },
    });
    expect(sim.refused({ type: 'approve', actor: people.reviewer, at: after(8 * DAY) }).status).toBe(403);
    expect(sim.ok({ type: 'approve', actor: people.committeeReviewer, at: after(8 * DAY) }).stage).toBe('approved');
  });

  it('escalation does not count as the reviewer acting, so the proposer may still withdraw', () => {
    const sim = inReviewProject();
    sim.ok({ type: 'reviewEscalated', actor: timer, at: after(7 * DAY), round: 1 });
    expect(sim.ok({ type: 'withdraw', actor: people.lead, at: after(8 * DAY) }).stage).toBe('draft');
  });

  it('a review timer before its delay is refused', () => {
    const sim = inReviewProject();
    expect(sim.refused({ type: 'reviewTimeoutReminder', actor: timer, at: after(3 * DAY - 1), round: 1 })).toMatchObject({
      rule: 'timer.too_early',
      status: 409,
    });
    expect(sim.refused({ type: 'reviewEscalated', actor: timer, at: after(6 * DAY), round: 1 }).rule).toBe('timer.too_early');
  });

  it('a timer from an earlier round is stale', () => {
    const sim = inReviewProject();
    sim.ok({ type: 'return', actor: people.reviewer, at: at('2025-01-21'), comments: '修改' });
    sim.ok({ type: 'submit', actor: people.lead, at: at('2025-01-22') });
    expect(sim.refused({ type: 'reviewEscalated', actor: timer, at: at('2025-02-10'), round: 1 })).toMatchObject({ rule: 'timer.stale', status: 409 });
  });

  it('a timeout reminds once per round and escalates once', () => {
    const sim = inReviewProject();
    sim.ok({ type: 'reviewTimeoutReminder', actor: timer, at: after(3 * DAY), round: 1 });
    expect(sim.refused({ type: 'reviewTimeoutReminder', actor: timer, at: after(4 * DAY), round: 1 }).rule).toBe('review.timeout_already_reminded');
    sim.ok({ type: 'reviewEscalated', actor: timer, at: after(7 * DAY), round: 1 });
    expect(sim.refused({ type: 'reviewEscalated', actor: timer, at: after(8 * DAY), round: 1 }).rule).toBe('review.already_with_committee');
  });

  it('a person cannot send timer events', () => {
    const r = inReviewProject().refused({ type: 'reviewEscalated', actor: people.committee, at: after(7 * DAY), round: 1 });
    expect(r).toMatchObject({ rule: 'actor.not_timer', status: 403 });
  });

  it('review timeouts follow the cycle configuration', () => {
    const cycle = makeCycle({ reviewTimeouts: { remindAfterMs: DAY, escalateAfterMs: 2 * DAY } });
    const sim = inReviewProject(cycle);
    expect(sim.ok({ type: 'reviewEscalated', actor: timer, at: after(2 * DAY), round: 1 }).reviewerId).toBe('com-rev');
  });
});
