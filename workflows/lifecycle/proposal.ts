/** Proposal (立项) and responsibility letter (责任书): create, edit, submit, withdraw, sign. */
import { requireLeadSecretary, requireStage } from './guards';
import type { Handler } from './handler';
import { conflict, forbidden, invalid } from './refusals';
import type {
  Actor,
  ChildInput,
  CreateEvent,
  CycleConfig,
  IsoDateTime,
  ProjectState,
  Proposal,
  ProposalInput,
  Refusal,
  ReviewAction,
} from './types';
import {
  isId,
  optionalText,
  requireText,
  validateOrgUser,
  validateProposalComplete,
  validateProposalFields,
  validateProposalInput,
} from './validation';

const PROPOSAL_KEYS: readonly (keyof ProposalInput)[] = [
  'title',
  'type',
  'isKey',
  'orientation',
  'problemIds',
  'businessGoal',
  'indicators',
  'milestones',
];

function toProposal(input: ProposalInput): Proposal {
  return {
    title: input.title,
    type: input.type,
    isKey: input.isKey,
    orientation: input.orientation,
    problemIds: [...input.problemIds],
    businessGoal: input.businessGoal,
    indicators: input.indicators.map((i) => ({
      id: i.id,
      name: i.name,
      unit: i.unit,
      baseline: i.baseline,
      target: i.target,
      weight: i.weight,
      actual: null,
    })),
    milestones: input.milestones.map((m) => ({ id: m.id, title: m.title, due: m.due })),
  };
}

/**
 * A top-level project is proposed by its own lead secretary. A sub-project is created by the
 * engine on behalf of whoever decomposed or adjusted its parent (that secretary or the committee);
 * the parent's own event already checked that they were allowed to.
 */
function checkCreator(event: CreateEvent): Refusal | null {
  const { actor } = event;
  if (event.parentId === null) {
    if (actor.role !== 'secretary' || actor.userId !== event.leadSecretaryId) {
      return forbidden('actor.not_lead_secretary', 'a project is proposed by its own lead secretary', '项目须由领办书记本人申报');
    }
    if (actor.orgId !== event.orgId) {
      return forbidden('actor.wrong_org', `only the secretary of org ${event.orgId} may propose its project`, `仅${event.orgId}组织书记可申报该组织项目`);
    }
    return null;
  }
  if (actor.role !== 'secretary' && actor.role !== 'committee') {
    return forbidden('actor.cannot_create_sub_project', 'sub-projects come from a decomposition or a dispatch', '子项目须由1+N分解或年中调度产生');
  }
  return null;
}

/** Validates a create event and builds the new project's state (version and progress are set by the machine). */
export function createProject(event: CreateEvent, cycle: CycleConfig): Refusal | ProjectState {
  const actorRefusal = checkCreator(event);
  if (actorRefusal) return actorRefusal;
  if (!isId(event.projectId)) return invalid('payload.project_id', 'projectId is required', '须指定项目编号');
  if (event.cycleId !== cycle.cycleId) {
    return invalid('payload.cycle_mismatch', `the project belongs to cycle ${String(event.cycleId)}, not ${cycle.cycleId}`, '项目所属年度周期与当前周期不一致');
  }
  if (event.parentId !== null && (!isId(event.parentId) || event.parentId === event.projectId)) {
    return invalid('payload.parent_id', 'parentId must be another project id or null', '上级项目编号无效');
  }
  if (!isId(event.orgId) || !isId(event.leadSecretaryId)) {
    return invalid('payload.owner', 'orgId and leadSecretaryId are required', '须指定承担组织和领办书记');
  }
  const reviewer = validateOrgUser(event.reviewer, 'payload.reviewer', 'the reviewer', '审核人');
  if (reviewer) return reviewer;
  if (event.reviewer.userId === event.leadSecretaryId) {
    return invalid('payload.reviewer_is_proposer', 'a proposer cannot review their own project', '申报人不能审核本人项目');
  }
  const proposal = validateProposalInput(event.proposal, cycle);
  if (proposal) return proposal;

  return {
    id: event.projectId,
    cycleId: event.cycleId,
    parentId: event.parentId,
    orgId: event.orgId,
    leadSecretaryId: event.leadSecretaryId,
    assignedReviewer: { orgId: event.reviewer.orgId, userId: event.reviewer.userId },
    reviewerOrgId: event.reviewer.orgId,
    reviewerId: event.reviewer.userId,
    stage: 'draft',
    proposal: toProposal(event.proposal),
    review: { round: 0, submittedAt: null, delegate: null, history: [] },
    letter: null,
    children: [],
    memberItems: [],
    evidence: [],
    inspections: [],
    ledger: [],
    dispatch: null,
    dispatchHistory: [],
    reassignments: [],
    cancellation: null,
    selfAssessment: null,
    acceptance: null,
    progress: 0,
    version: 0,
    createdAt: event.at,
    updatedAt: event.at,
  };
}

/**
 * The create event for a sub-project of `parent`: it starts as a draft for the child's secretary
 * to complete, inherits the parent's type and business goal, and is reviewed by the parent's
 * lead secretary (the upper org reviews the lower one's project).
 */
export function subProjectCreateEvent(parent: ProjectState, child: ChildInput, actor: Actor, at: IsoDateTime): CreateEvent {
  return {
    type: 'create',
    actor,
    at,
    projectId: child.id,
    cycleId: parent.cycleId,
    parentId: parent.id,
    orgId: child.orgId,
    leadSecretaryId: child.secretaryId,
    reviewer: { orgId: parent.orgId, userId: parent.leadSecretaryId },
    proposal: {
      title: child.title,
      type: parent.proposal.type,
      isKey: false,
      orientation: 'goal',
      problemIds: [],
      businessGoal: parent.proposal.businessGoal,
      indicators: [],
      milestones: [],
    },
  };
}

export const editDraft: Handler<'editDraft'> = (s, e, cycle) => {
  const who = requireLeadSecretary(s, e.actor, 'edit the proposal', '修改立项内容');
  if (who) return who;
  const stage = requireStage(s, ['draft'], 'stage.edit_requires_draft', 'editing the proposal', '修改立项内容');
  if (stage) return stage;
  const changes = e.changes as Partial<ProposalInput> | null | undefined;
  if (changes === null || typeof changes !== 'object') return invalid('payload.changes', 'changes must be an object', '修改内容格式有误');
  const unknown = Object.keys(changes).filter((k) => !(PROPOSAL_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) return invalid('payload.unknown_field', `unknown proposal fields: ${unknown.join(', ')}`, `未知的立项字段：${unknown.join('、')}`);
  if (Object.keys(changes).length === 0) return invalid('payload.no_changes', 'the edit changes nothing', '未提交任何修改');
  const fields = validateProposalFields(changes, cycle);
  if (fields) return fields;

  const current = s.proposal;
  const merged: ProposalInput = {
    title: changes.title ?? current.title,
    type: changes.type ?? current.type,
    isKey: changes.isKey ?? current.isKey,
    orientation: changes.orientation ?? current.orientation,
    problemIds: changes.problemIds ?? current.problemIds,
    businessGoal: changes.businessGoal ?? current.businessGoal,
    indicators: changes.indicators ?? current.indicators,
    milestones: changes.milestones ?? current.milestones,
  };
  s.proposal = toProposal(merged);
  return null;
};

export const submit: Handler<'submit'> = (s, e) => {
  const who = requireLeadSecretary(s, e.actor, 'submit the proposal', '提交立项');
  if (who) return who;
  const stage = requireStage(s, ['draft'], 'stage.submit_requires_draft', 'submitting', '提交审核');
  if (stage) return stage;
  const complete = validateProposalComplete(s.proposal);
  if (complete) return complete;

  // Every round starts with the assigned reviewer; transfers and escalations lasted for one round.
  s.review.round += 1;
  s.review.submittedAt = e.at;
  s.review.delegate = null;
  s.reviewerOrgId = s.assignedReviewer.orgId;
  s.reviewerId = s.assignedReviewer.userId;
  s.stage = 'in_review';
  s.review.history.push({
    action: 'submitted',
    round: s.review.round,
    reviewer: { ...s.assignedReviewer },
    actor: e.actor,
    at: e.at,
  });
  return null;
};

const REVIEWER_ACTIONS: readonly ReviewAction['action'][] = ['transferred', 'delegated', 'delegateOpinion', 'approved', 'returned', 'rejected'];

/** Whether the reviewer side has done anything in the current round (reminders and escalations are not the reviewer's). */
export function reviewerActedThisRound(s: ProjectState): boolean {
  return s.review.history.some((h) => h.round === s.review.round && REVIEWER_ACTIONS.includes(h.action));
}

export const withdraw: Handler<'withdraw'> = (s, e) => {
  const who = requireLeadSecretary(s, e.actor, 'withdraw the submission', '拿回申报');
  if (who) return who;
  const stage = requireStage(s, ['in_review'], 'stage.withdraw_requires_in_review', 'withdrawing', '拿回');
  if (stage) return stage;
  if (reviewerActedThisRound(s)) {
    return conflict(
      'review.reviewer_already_acted',
      'the submission can no longer be withdrawn: the reviewer has already acted on it',
      '审核人已处理，不能拿回',
    );
  }
  const reason = optionalText(e.reason, 'payload.withdraw_reason', 'the reason', '拿回原因');
  if (reason) return reason;
  s.stage = 'draft';
  s.review.delegate = null;
  s.review.history.push({ action: 'withdrawn', round: s.review.round, reason: e.reason ?? null, actor: e.actor, at: e.at });
  return null;
};

export const signLetter: Handler<'signLetter'> = (s, e) => {
  const who = requireLeadSecretary(s, e.actor, 'sign the responsibility letter', '签订责任书');
  if (who) return who;
  const stage = requireStage(s, ['approved'], 'stage.letter_requires_approved', 'signing the responsibility letter', '签订责任书');
  if (stage) return stage;
  const text = requireText(e.text, 'payload.letter_text', 'the letter text', '责任书内容');
  if (text) return text;
  s.letter = { text: e.text, signedBy: e.actor.userId, signedAt: e.at };
  s.stage = 'in_progress';
  return null;
};
