/**
 * Review (把关): approve, return, reject, and the approval-engine operations users expect —
 * transfer (转办), delegate (委派), manual reminder (催办), timeout reminder and escalation.
 */
import { isPerson, requireCurrentReviewer, requireLeadSecretary, requireStage, requireTimer } from './guards';
import type { Handler } from './handler';
import { conflict, forbidden, invalid } from './refusals';
import { instantMs } from './time';
import type { Actor, OrgUser, ProjectState, Refusal } from './types';
import { oneOf, optionalText, requireText, validateOrgUser } from './validation';

const IN_REVIEW = ['in_review'] as const;

function reviewer(s: ProjectState): OrgUser {
  return { orgId: s.reviewerOrgId, userId: s.reviewerId };
}

/** Reviewer actions: the current reviewer, while the project is in review. */
function reviewerGate(s: ProjectState, actor: Actor, whatEn: string, whatZh: string): Refusal | null {
  return (
    requireCurrentReviewer(s, actor, whatEn, whatZh) ??
    requireStage(s, IN_REVIEW, 'stage.review_requires_in_review', whatEn, whatZh)
  );
}

/** Review timers belong to one round and fire only once their delay has passed. */
function timerGate(s: ProjectState, actor: Actor, round: number, at: string, afterMs: number): Refusal | null {
  const timer = requireTimer(actor);
  if (timer) return timer;
  const stage = requireStage(s, IN_REVIEW, 'stage.review_requires_in_review', 'a review timer', '审核计时');
  if (stage) return stage;
  if (round !== s.review.round) {
    return conflict('timer.stale', `the timer belongs to review round ${round}; the current round is ${s.review.round}`, '计时器所属审核轮次已结束');
  }
  if (s.review.submittedAt === null || instantMs(at) < instantMs(s.review.submittedAt) + afterMs) {
    return conflict('timer.too_early', 'the review timeout has not passed yet', '审核时限未到');
  }
  return null;
}

function checkNewReviewer(s: ProjectState, to: OrgUser, rule: string, whoEn: string, whoZh: string): Refusal | null {
  const shape = validateOrgUser(to, rule, whoEn, whoZh);
  if (shape) return shape;
  if (to.userId === s.leadSecretaryId) {
    return invalid('payload.reviewer_is_proposer', 'a proposer cannot review their own project', '申报人不能审核本人项目');
  }
  return null;
}

export const approve: Handler<'approve'> = (s, e) => {
  const gate = reviewerGate(s, e.actor, 'approve', '审核通过');
  if (gate) return gate;
  const comment = optionalText(e.comment, 'payload.approve_comment', 'the comment', '审核意见');
  if (comment) return comment;
  s.stage = 'approved';
  s.review.delegate = null;
  s.review.history.push({ action: 'approved', round: s.review.round, comment: e.comment ?? null, actor: e.actor, at: e.at });
  return null;
};

export const returnForRevision: Handler<'return'> = (s, e) => {
  const gate = reviewerGate(s, e.actor, 'return the proposal', '退回修改');
  if (gate) return gate;
  const comments = requireText(e.comments, 'payload.return_comments', 'the comments for revision', '退回修改意见');
  if (comments) return comments;
  s.stage = 'draft';
  s.review.delegate = null;
  s.review.history.push({ action: 'returned', round: s.review.round, comments: e.comments, actor: e.actor, at: e.at });
  return null;
};

export const reject: Handler<'reject'> = (s, e) => {
  const gate = reviewerGate(s, e.actor, 'reject the proposal', '不予通过');
  if (gate) return gate;
  const reason = requireText(e.reason, 'payload.reject_reason', 'the reason for rejection', '不予通过理由');
  if (reason) return reason;
  s.stage = 'rejected';
  s.review.delegate = null;
  s.review.history.push({ action: 'rejected', round: s.review.round, reason: e.reason, actor: e.actor, at: e.at });
  return null;
};

export const transferReview: Handler<'transferReview'> = (s, e) => {
  const gate = reviewerGate(s, e.actor, 'transfer the review', '转办');
  if (gate) return gate;
  const to = checkNewReviewer(s, e.to, 'payload.transfer_target', 'the new reviewer', '转办对象');
  if (to) return to;
  if (e.to.userId === s.reviewerId) {
    return invalid('payload.transfer_to_current_reviewer', 'the review is already with this reviewer', '不能转办给当前审核人');
  }
  const reason = optionalText(e.reason, 'payload.transfer_reason', 'the reason', '转办说明');
  if (reason) return reason;
  const from = reviewer(s);
  s.reviewerOrgId = e.to.orgId;
  s.reviewerId = e.to.userId;
  // A pending delegation was the previous reviewer's request.
  s.review.delegate = null;
  s.review.history.push({
    action: 'transferred',
    round: s.review.round,
    from,
    to: { orgId: e.to.orgId, userId: e.to.userId },
    reason: e.reason ?? null,
    actor: e.actor,
    at: e.at,
  });
  return null;
};

export const delegateReview: Handler<'delegateReview'> = (s, e) => {
  const gate = reviewerGate(s, e.actor, 'delegate the review', '委派');
  if (gate) return gate;
  if (s.review.delegate !== null) {
    return conflict('review.delegation_pending', `the review is already delegated to ${s.review.delegate.to.userId}`, '已有待反馈的委派');
  }
  const to = checkNewReviewer(s, e.to, 'payload.delegate_target', 'the delegate', '委派对象');
  if (to) return to;
  if (e.to.userId === s.reviewerId) {
    return invalid('payload.delegate_is_reviewer', 'a reviewer cannot delegate to themselves', '不能委派给本人');
  }
  const note = optionalText(e.note, 'payload.delegate_note', 'the note', '委派说明');
  if (note) return note;
  const delegate = { orgId: e.to.orgId, userId: e.to.userId };
  s.review.delegate = { to: delegate, by: e.actor, at: e.at };
  s.review.history.push({ action: 'delegated', round: s.review.round, to: { ...delegate }, note: e.note ?? null, actor: e.actor, at: e.at });
  return null;
};

export const delegateOpinion: Handler<'delegateOpinion'> = (s, e) => {
  const stage = requireStage(s, IN_REVIEW, 'stage.review_requires_in_review', 'giving a delegate opinion', '反馈委派意见');
  if (stage) return stage;
  const delegation = s.review.delegate;
  if (delegation === null) return conflict('review.no_pending_delegation', 'the review is not delegated to anyone', '当前没有待反馈的委派');
  if (!isPerson(e.actor) || e.actor.userId !== delegation.to.userId || e.actor.orgId !== delegation.to.orgId) {
    return forbidden('actor.not_delegate', 'only the delegate may give the delegate opinion', '仅受委派人可反馈意见');
  }
  if (!oneOf(['approve', 'return', 'reject'] as const, e.recommendation)) {
    return invalid('payload.recommendation', 'recommendation must be approve, return or reject', '建议须为通过、退回修改或不予通过');
  }
  const opinion = requireText(e.opinion, 'payload.delegate_opinion', 'the opinion', '委派意见');
  if (opinion) return opinion;
  // The opinion goes back to the reviewer, who still decides.
  s.review.delegate = null;
  s.review.history.push({
    action: 'delegateOpinion',
    round: s.review.round,
    recommendation: e.recommendation,
    opinion: e.opinion,
    actor: e.actor,
    at: e.at,
  });
  return null;
};

export const remindReview: Handler<'remindReview'> = (s, e) => {
  const notProposer = requireLeadSecretary(s, e.actor, 'remind the reviewer', '催办');
  if (notProposer && e.actor.role !== 'committee') {
    return forbidden('actor.cannot_remind', 'only the proposer or the committee may remind the reviewer', '仅申报人或工委可催办');
  }
  const stage = requireStage(s, IN_REVIEW, 'stage.review_requires_in_review', 'reminding the reviewer', '催办');
  if (stage) return stage;
  const note = optionalText(e.note, 'payload.remind_note', 'the note', '催办说明');
  if (note) return note;
  s.review.history.push({ action: 'reminded', round: s.review.round, reviewer: reviewer(s), note: e.note ?? null, actor: e.actor, at: e.at });
  return null;
};

export const reviewTimeoutReminder: Handler<'reviewTimeoutReminder'> = (s, e, cycle) => {
  const gate = timerGate(s, e.actor, e.round, e.at, cycle.reviewTimeouts.remindAfterMs);
  if (gate) return gate;
  if (s.review.history.some((h) => h.round === s.review.round && h.action === 'timeoutReminded')) {
    return conflict('review.timeout_already_reminded', 'this round has already had its timeout reminder', '本轮审核已发送超时提醒');
  }
  s.review.history.push({ action: 'timeoutReminded', round: s.review.round, reviewer: reviewer(s), actor: e.actor, at: e.at });
  return null;
};

export const reviewEscalated: Handler<'reviewEscalated'> = (s, e, cycle) => {
  const gate = timerGate(s, e.actor, e.round, e.at, cycle.reviewTimeouts.escalateAfterMs);
  if (gate) return gate;
  if (s.reviewerId === cycle.committee.userId && s.reviewerOrgId === cycle.committee.orgId) {
    return conflict('review.already_with_committee', 'the review is already with the committee', '该项目已由工委审核');
  }
  const from = reviewer(s);
  s.reviewerOrgId = cycle.committee.orgId;
  s.reviewerId = cycle.committee.userId;
  s.review.delegate = null;
  s.review.history.push({
    action: 'escalated',
    round: s.review.round,
    from,
    to: { orgId: cycle.committee.orgId, userId: cycle.committee.userId },
    actor: e.actor,
    at: e.at,
  });
  return null;
};
