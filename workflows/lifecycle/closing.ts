/** Mid-year dispatch (年中调度), self-assessment (自评) and year-end acceptance (年底验收). */
import { addChild, checkNewChild } from './execution';
import { requireLeadSecretary, requireRole, requireStage } from './guards';
import type { Handler } from './handler';
import { conflict, invalid } from './refusals';
import { computeAcceptance, roundTo } from './scoring';
import type { ChildProject, CycleConfig, DispatchChange, DispatchChangeRecord, ProjectState, Refusal } from './types';
import {
  isFiniteNumber,
  isId,
  isText,
  oneOf,
  optionalText,
  requireText,
  validateCriterionScores,
  validateMilestone,
  validateMilestoneDue,
  TITLE_MAX,
} from './validation';

// ---------------------------------------------------------------------------------------------
// Dispatch
// ---------------------------------------------------------------------------------------------

function activeChild(s: ProjectState, childId: unknown): ChildProject | Refusal {
  const child = s.children.find((c) => c.id === childId);
  if (!child) return invalid('payload.unknown_child', `sub-project ${String(childId)} does not exist`, `子项目${String(childId)}不存在`);
  if (child.status !== 'active') {
    return conflict('children.not_active', `sub-project ${child.id} is ${child.status}`, `子项目${child.id}已撤销或已办结`);
  }
  return child;
}

/** Checks one change and applies it to the draft; later changes see the earlier ones. */
function applyChange(s: ProjectState, change: DispatchChange, at: string, cycle: CycleConfig): DispatchChangeRecord | Refusal {
  if (change === null || typeof change !== 'object') return invalid('payload.dispatch_change', 'each change must be an object', '调整事项格式有误');
  const reason = requireText(change.reason, 'payload.change_reason', 'every change needs a reason; it', '每项调整须说明理由，理由');
  if (reason) return reason;
  switch (change.kind) {
    case 'indicatorTarget': {
      const ind = s.proposal.indicators.find((i) => i.id === change.indicatorId);
      if (!ind) return invalid('payload.unknown_indicator', `indicator ${String(change.indicatorId)} does not exist`, `指标${String(change.indicatorId)}不存在`);
      if (!isFiniteNumber(change.target)) return invalid('payload.indicator_not_finite', 'the new target must be a finite number', '新目标值须为有效数字');
      if (change.target === ind.baseline) {
        return invalid('payload.indicator_target_equals_baseline', `indicator ${ind.id} must have a target different from its baseline`, `指标${ind.id}的目标值不能等于基线值`);
      }
      const from = ind.target;
      ind.target = change.target;
      return { kind: change.kind, field: `indicators.${ind.id}.target`, from, to: change.target, reason: change.reason };
    }
    case 'updateMilestone': {
      const m = s.proposal.milestones.find((x) => x.id === change.milestoneId);
      if (!m) return invalid('payload.unknown_milestone', `milestone ${String(change.milestoneId)} does not exist`, `里程碑${String(change.milestoneId)}不存在`);
      const title = change.title ?? null;
      const due = change.due ?? null;
      if (title === null && due === null) return invalid('payload.change_empty', `the change to milestone ${m.id} changes nothing`, `里程碑${m.id}未作任何调整`);
      if (title !== null && !isText(title, TITLE_MAX)) return invalid('payload.milestone_title', `milestone ${m.id} needs a title`, `里程碑${m.id}须填写名称`);
      if (due !== null) {
        const r = validateMilestoneDue(due, m.id, cycle);
        if (r) return r;
      }
      const from = { title: m.title, due: m.due };
      m.title = title ?? m.title;
      m.due = due ?? m.due;
      return { kind: change.kind, field: `milestones.${m.id}`, from, to: { title: m.title, due: m.due }, reason: change.reason };
    }
    case 'addMilestone': {
      const r = validateMilestone(change.milestone, cycle);
      if (r) return r;
      const m = change.milestone;
      if (s.proposal.milestones.some((x) => x.id === m.id)) {
        return invalid('payload.duplicate_milestone_id', `milestone id ${m.id} is used twice`, `里程碑编号${m.id}重复`);
      }
      s.proposal.milestones.push({ id: m.id, title: m.title, due: m.due });
      return { kind: change.kind, field: 'milestones', from: null, to: { id: m.id, title: m.title, due: m.due }, reason: change.reason };
    }
    case 'addChild': {
      const r = checkNewChild(s, change.child, []);
      if (r) return r;
      const c = change.child;
      addChild(s, c, at);
      return { kind: change.kind, field: 'children', from: null, to: { id: c.id, orgId: c.orgId, secretaryId: c.secretaryId, title: c.title }, reason: change.reason };
    }
    case 'reassignChild': {
      const child = activeChild(s, change.childId);
      if ('rule' in child) return child;
      if (!isId(change.orgId) || !isId(change.secretaryId)) {
        return invalid('payload.reassign_target', 'the new org and secretary are required', '须指定新的承接组织和书记');
      }
      if (change.orgId === child.orgId && change.secretaryId === child.secretaryId) {
        return invalid('payload.reassign_unchanged', `sub-project ${child.id} is already with this org and secretary`, `子项目${child.id}已由该组织和书记承接`);
      }
      if (change.orgId === s.orgId || change.secretaryId === s.leadSecretaryId) {
        return invalid('payload.child_same_org', 'a sub-project goes to a lower-level org, not the project’s own', '子项目须分解至下级党组织');
      }
      const from = { orgId: child.orgId, secretaryId: child.secretaryId };
      child.orgId = change.orgId;
      child.secretaryId = change.secretaryId;
      return { kind: change.kind, field: `children.${child.id}.assignee`, from, to: { orgId: child.orgId, secretaryId: child.secretaryId }, reason: change.reason };
    }
    case 'cancelChild': {
      const child = activeChild(s, change.childId);
      if ('rule' in child) return child;
      child.status = 'cancelled';
      return { kind: change.kind, field: `children.${child.id}.status`, from: 'active', to: 'cancelled', reason: change.reason };
    }
    default:
      return invalid('payload.dispatch_change_kind', `unknown change kind ${String((change as { kind?: unknown }).kind)}`, '未知的调整类型');
  }
}

/**
 * The committee decides per project: continue, adjust (each change with its reason, applied all
 * or nothing), or terminate. Terminating cancels the active sub-projects in the parent's record;
 * the workflow then sends `cancelSubProject` to each child.
 */
export const dispatch: Handler<'dispatch'> = (s, e, cycle) => {
  const who = requireRole(e.actor, 'committee', 'dispatch', '年中调度');
  if (who) return who;
  const stage = requireStage(s, ['in_progress'], 'stage.dispatch_requires_in_progress', 'dispatch', '年中调度');
  if (stage) return stage;
  if (!oneOf(['continue', 'adjust', 'terminate'] as const, e.decision)) {
    return invalid('payload.dispatch_decision', 'decision must be continue, adjust or terminate', '调度决定须为继续实施、调整或终止');
  }
  if (!Array.isArray(e.changes)) return invalid('payload.dispatch_changes', 'changes must be a list', '调整事项须为列表');
  if (e.decision === 'adjust' && e.changes.length === 0) {
    return invalid('payload.dispatch_changes_required', 'an adjustment needs at least one change', '调整须包含至少一项调整事项');
  }
  if (e.decision !== 'adjust' && e.changes.length > 0) {
    return invalid('payload.dispatch_changes_not_allowed', `a ${e.decision} decision carries no changes`, '仅“调整”决定可包含调整事项');
  }
  const reason =
    e.decision === 'terminate'
      ? requireText(e.reason, 'payload.terminate_reason', 'the reason for termination', '终止理由')
      : optionalText(e.reason, 'payload.dispatch_reason', 'the reason', '调度说明');
  if (reason) return reason;

  const records: DispatchChangeRecord[] = [];
  for (const change of e.changes) {
    const r = applyChange(s, change, e.at, cycle);
    if ('rule' in r) return r;
    records.push(r);
  }
  if (e.decision === 'terminate') {
    s.stage = 'terminated';
    for (const child of s.children.filter((c) => c.status === 'active')) {
      child.status = 'cancelled';
      records.push({ kind: 'cancelChild', field: `children.${child.id}.status`, from: 'active', to: 'cancelled', reason: e.reason as string });
    }
  }
  const record = { decision: e.decision, changes: records, reason: e.reason ?? null, by: e.actor.userId, at: e.at };
  s.dispatch = record;
  s.dispatchHistory.push(JSON.parse(JSON.stringify(record)) as typeof record);
  return null;
};

// ---------------------------------------------------------------------------------------------
// Self-assessment and acceptance
// ---------------------------------------------------------------------------------------------

export const selfAssess: Handler<'selfAssess'> = (s, e, cycle) => {
  const who = requireLeadSecretary(s, e.actor, 'self-assess the project', '项目自评');
  if (who) return who;
  const stage = requireStage(s, ['in_progress'], 'stage.self_assess_requires_in_progress', 'self-assessment', '自评');
  if (stage) return stage;
  const scores = validateCriterionScores(e.scores, cycle.rules.rubric);
  if (scores) return scores;
  const narrative = requireText(e.narrative, 'payload.narrative', 'the narrative', '自评报告');
  if (narrative) return narrative;
  const impact = requireText(e.businessImpact, 'payload.business_impact', 'the business impact', '对业务工作的推动成效');
  if (impact) return impact;
  const ordered = cycle.rules.rubric.map((c) => ({
    criterionId: c.criterionId,
    score: e.scores.find((x) => x.criterionId === c.criterionId)?.score ?? 0,
  }));
  s.selfAssessment = {
    scores: ordered,
    total: roundTo(ordered.reduce((acc, x) => acc + x.score, 0), 2),
    narrative: e.narrative,
    businessImpact: e.businessImpact,
    by: e.actor.userId,
    at: e.at,
  };
  s.stage = 'self_assessed';
  return null;
};

/** The refusal for accepting a parent whose sub-projects are not all settled, or null. */
export function unsettledChildren(s: ProjectState): Refusal | null {
  const open = s.children.filter((c) => c.status === 'active');
  if (open.length === 0) return null;
  const ids = open.map((c) => c.id).join(', ');
  return conflict('children.unsettled', `sub-projects not yet settled: ${ids}`, `尚有子项目未办结：${ids}`);
}

export const accept: Handler<'accept'> = (s, e, cycle) => {
  const who = requireRole(e.actor, 'committee', 'accept a project', '验收项目');
  if (who) return who;
  const stage = requireStage(s, ['self_assessed'], 'stage.accept_requires_self_assessed', 'acceptance', '验收');
  if (stage) return stage;
  const children = unsettledChildren(s);
  if (children) return children;
  const scores = validateCriterionScores(e.criterionScores, cycle.rules.rubric);
  if (scores) return scores;
  const negativeList = e.negativeList ?? [];
  if (!Array.isArray(negativeList) || !negativeList.every((x) => isText(x))) {
    return invalid('payload.negative_list', 'negativeList must be a list of non-empty texts', '负面清单须为非空文字列表');
  }
  const score = computeAcceptance(s, { criterionScores: e.criterionScores, negativeList }, cycle);
  s.acceptance = { ...score, negativeList: [...negativeList], by: e.actor.userId, at: e.at };
  s.stage = score.grade === 'fail' ? 'failed' : 'accepted';
  return null;
};
