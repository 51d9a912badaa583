/**
 * Work under way: "1+N" decomposition (1+N分解) and the children's roll-up, member items,
 * milestone evidence (佐证材料), and the sub-project side of dispatch (cancel, reassign).
 */
import { requireCommitteeOrRelay, requireLeadSecretary, requireRole, requireRollup, requireStage, requireWorkStarted } from './guards';
import type { Handler } from './handler';
import { conflict, forbidden, invalid } from './refusals';
import { indicatorActualsFromEvidence } from './scoring';
import { isFinal, OPEN_STAGES, STAGES } from './stages';
import { checkClaimCheckedText } from './limits';
import type { ChildInput, EvidenceFile, IndicatorActual, ProjectState, Quarter, Refusal, TextRef } from './types';
import {
  isFiniteNumber,
  isId,
  normaliseFiles,
  oneOf,
  requireText,
  TEXT_MAX,
  TITLE_MAX,
  validateFiles,
  validateIndicatorActuals,
  validateTitle,
} from './validation';

// ---------------------------------------------------------------------------------------------
// Decomposition (1+N)
// ---------------------------------------------------------------------------------------------

/** A new child: well-formed, a fresh id, and owned by another (lower-level) org. */
export function checkNewChild(s: ProjectState, child: ChildInput, pendingIds: readonly string[]): Refusal | null {
  if (child === null || typeof child !== 'object' || !isId(child.id) || !isId(child.orgId) || !isId(child.secretaryId)) {
    return invalid('payload.child', 'every sub-project needs an id, an org and a secretary', '每个子项目须有编号、承接组织和书记');
  }
  const title = validateTitle(child.title);
  if (title) return title;
  if (child.id === s.id || s.children.some((c) => c.id === child.id) || pendingIds.includes(child.id)) {
    return invalid('payload.duplicate_child_id', `sub-project id ${child.id} is already used`, `子项目编号${child.id}已存在`);
  }
  if (child.orgId === s.orgId) {
    return invalid('payload.child_same_org', 'a sub-project goes to a lower-level org, not the project’s own', '子项目须分解至下级党组织');
  }
  if (child.secretaryId === s.leadSecretaryId) {
    return invalid('payload.child_same_secretary', 'a sub-project is led by another secretary', '子项目须由下级党组织书记领办');
  }
  return null;
}

export function addChild(s: ProjectState, child: ChildInput, at: string): void {
  s.children.push({
    id: child.id,
    orgId: child.orgId,
    secretaryId: child.secretaryId,
    title: child.title,
    status: 'active',
    stage: 'draft',
    progress: 0,
    addedAt: at,
  });
}

export const decompose: Handler<'decompose'> = (s, e) => {
  const who = requireLeadSecretary(s, e.actor, 'decompose the project', '分解项目');
  if (who) return who;
  const stage = requireWorkStarted(s, 'stage.decompose_requires_in_progress', 'decomposing', '1+N分解');
  if (stage) return stage;
  if (!Array.isArray(e.children) || e.children.length === 0) {
    return invalid('payload.children_required', 'a decomposition needs at least one sub-project', '分解须包含至少一个子项目');
  }
  const pending: string[] = [];
  for (const child of e.children) {
    const r = checkNewChild(s, child, pending);
    if (r) return r;
    pending.push(child.id);
  }
  for (const child of e.children) addChild(s, child, e.at);
  return null;
};

export const childUpdated: Handler<'childUpdated'> = (s, e) => {
  const who = requireRollup(e.actor);
  if (who) return who;
  const stage = requireStage(s, OPEN_STAGES, 'stage.project_closed', 'a sub-project update', '子项目进展同步');
  if (stage) return stage;
  const child = s.children.find((c) => c.id === e.childId);
  if (!child) return invalid('payload.unknown_child', `sub-project ${String(e.childId)} does not exist`, `子项目${String(e.childId)}不存在`);
  if (!oneOf(STAGES, e.stage)) return invalid('payload.child_stage', 'unknown sub-project stage', '子项目阶段无效');
  if (!isFiniteNumber(e.progress) || e.progress < 0 || e.progress > 1) {
    return invalid('payload.child_progress', 'progress must be between 0 and 1', '进度须在0至1之间');
  }
  child.stage = e.stage;
  child.progress = e.progress;
  // A child cancelled by the parent stays cancelled whatever it reports afterwards. A child whose
  // proposal was rejected can never move again, so it counts as settled rather than blocking the
  // parent's acceptance for ever.
  if (child.status !== 'cancelled') child.status = isFinal(e.stage) ? 'settled' : 'active';
  return null;
};

// ---------------------------------------------------------------------------------------------
// Member items (承诺践诺 / 个人突破清单 / 党员先锋岗)
// ---------------------------------------------------------------------------------------------

export const addMemberItem: Handler<'addMemberItem'> = (s, e) => {
  const who = requireLeadSecretary(s, e.actor, 'add member items', '添加党员事项');
  if (who) return who;
  const stage = requireWorkStarted(s, 'stage.member_items_require_in_progress', 'member items', '党员事项');
  if (stage) return stage;
  const item = e.item;
  if (item === null || typeof item !== 'object' || !isId(item.id) || !isId(item.memberId)) {
    return invalid('payload.member_item', 'a member item needs an id and a member', '党员事项须有编号和党员');
  }
  if (!oneOf(['pledge', 'breakthrough', 'vanguard_post'] as const, item.kind)) {
    return invalid('payload.member_item_kind', 'kind must be pledge, breakthrough or vanguard_post', '事项类型须为承诺践诺、个人突破清单或党员先锋岗');
  }
  const title = requireText(item.title, 'payload.member_item_title', 'the item title', '事项名称', TITLE_MAX);
  if (title) return title;
  if (!isFiniteNumber(item.target)) return invalid('payload.member_item_target', 'the item needs a numeric target', '事项目标值须为有效数字');
  const unit = requireText(item.unit, 'payload.member_item_unit', 'the unit', '计量单位', 50);
  if (unit) return unit;
  if (s.memberItems.some((m) => m.id === item.id)) {
    return invalid('payload.duplicate_member_item_id', `member item ${item.id} already exists`, `党员事项${item.id}已存在`);
  }
  s.memberItems.push({
    id: item.id,
    memberId: item.memberId,
    kind: item.kind,
    title: item.title,
    target: item.target,
    actual: null,
    unit: item.unit,
    addedAt: e.at,
    updatedAt: e.at,
  });
  return null;
};

export const updateMemberItemActual: Handler<'updateMemberItemActual'> = (s, e) => {
  const who = requireRole(e.actor, 'member', 'update a member item', '更新党员事项');
  if (who) return who;
  const stage = requireWorkStarted(s, 'stage.member_items_require_in_progress', 'member items', '党员事项');
  if (stage) return stage;
  const item = s.memberItems.find((m) => m.id === e.itemId);
  if (!item) return invalid('payload.unknown_member_item', `member item ${String(e.itemId)} does not exist`, `党员事项${String(e.itemId)}不存在`);
  if (item.memberId !== e.actor.userId) {
    return forbidden('actor.not_item_owner', 'members update only their own items', '党员只能更新本人事项');
  }
  if (!isFiniteNumber(e.actual)) return invalid('payload.member_item_actual', 'the actual must be a finite number', '完成值须为有效数字');
  item.actual = e.actual;
  item.updatedAt = e.at;
  return null;
};

// ---------------------------------------------------------------------------------------------
// Evidence (佐证材料): validated, content-hashed, versioned, attributed
// ---------------------------------------------------------------------------------------------

function checkEvidenceContent(s: ProjectState, text: unknown, textRef: unknown, files: unknown, actuals: unknown): Refusal | null {
  if (typeof text !== 'string' || text.length > TEXT_MAX) {
    return invalid('payload.evidence_text', `the text must be at most ${TEXT_MAX} characters`, `说明文字不超过${TEXT_MAX}字`);
  }
  const claim = checkClaimCheckedText(text, textRef, 'payload.evidence_text', 'the evidence text', '说明文字', true);
  if (claim) return claim;
  const fileRefusal = validateFiles(files);
  if (fileRefusal) return fileRefusal;
  if (text.trim().length === 0 && (files as EvidenceFile[]).length === 0) {
    return invalid('payload.evidence_empty', 'evidence needs text or at least one file', '佐证材料须有文字说明或附件');
  }
  return validateIndicatorActuals(actuals, s.proposal.indicators);
}

function checkNewEvidenceId(s: ProjectState, id: unknown): Refusal | null {
  if (!isId(id)) return invalid('payload.evidence_id', 'evidenceId is required', '须指定材料编号');
  if (s.evidence.some((v) => v.id === id)) {
    return invalid('payload.duplicate_evidence_id', `evidence ${id} already exists`, `材料编号${id}已存在`);
  }
  return null;
}

/** Indicator actuals always follow the current evidence, so a correction also corrects them. */
function refreshIndicatorActuals(s: ProjectState): void {
  const actuals = indicatorActualsFromEvidence(s.evidence);
  for (const ind of s.proposal.indicators) ind.actual = actuals[ind.id] ?? null;
}

function copyTextRef(ref: TextRef | null | undefined): TextRef | null {
  return ref ? { sha256: ref.sha256, size: ref.size, chars: ref.chars } : null;
}

function copyActuals(actuals: readonly IndicatorActual[]): IndicatorActual[] {
  return actuals.map((a) => ({ indicatorId: a.indicatorId, actual: a.actual }));
}

export const submitEvidence: Handler<'submitEvidence'> = (s, e) => {
  const who = requireLeadSecretary(s, e.actor, 'submit evidence', '提交佐证材料');
  if (who) return who;
  const stage = requireWorkStarted(s, 'stage.evidence_requires_in_progress', 'submitting evidence', '提交佐证材料');
  if (stage) return stage;
  const id = checkNewEvidenceId(s, e.evidenceId);
  if (id) return id;
  if (e.quarter !== null && !([1, 2, 3, 4] as unknown[]).includes(e.quarter)) {
    return invalid('payload.evidence_quarter', 'quarter must be 1..4 or null', '季度须为1至4');
  }
  if (e.milestoneId !== null && !s.proposal.milestones.some((m) => m.id === e.milestoneId)) {
    return invalid('payload.unknown_milestone', `milestone ${String(e.milestoneId)} does not exist`, `里程碑${String(e.milestoneId)}不存在`);
  }
  if (e.quarter === null && e.milestoneId === null) {
    return invalid('payload.evidence_target_required', 'evidence is for a quarter or a milestone', '佐证材料须对应季度或里程碑');
  }
  const content = checkEvidenceContent(s, e.text, e.textRef, e.files, e.indicatorActuals);
  if (content) return content;
  s.evidence.push({
    id: e.evidenceId,
    quarter: e.quarter as Quarter | null,
    milestoneId: e.milestoneId,
    text: e.text,
    textRef: copyTextRef(e.textRef),
    files: normaliseFiles(e.files),
    indicatorActuals: copyActuals(e.indicatorActuals),
    version: 1,
    supersedes: null,
    supersededBy: null,
    correctionReason: null,
    submittedBy: e.actor.userId,
    at: e.at,
  });
  refreshIndicatorActuals(s);
  return null;
};

export const correctEvidence: Handler<'correctEvidence'> = (s, e) => {
  const who = requireLeadSecretary(s, e.actor, 'correct evidence', '更正佐证材料');
  if (who) return who;
  const stage = requireWorkStarted(s, 'stage.evidence_requires_in_progress', 'correcting evidence', '更正佐证材料');
  if (stage) return stage;
  const previous = s.evidence.find((v) => v.id === e.supersedes);
  if (!previous) return invalid('payload.unknown_evidence', `evidence ${String(e.supersedes)} does not exist`, `材料${String(e.supersedes)}不存在`);
  if (previous.supersededBy !== null) {
    return conflict(
      'evidence.already_superseded',
      `evidence ${previous.id} was already corrected by ${previous.supersededBy}; correct the latest version`,
      `材料${previous.id}已被${previous.supersededBy}更正，请更正最新版本`,
    );
  }
  const id = checkNewEvidenceId(s, e.evidenceId);
  if (id) return id;
  const content = checkEvidenceContent(s, e.text, e.textRef, e.files, e.indicatorActuals);
  if (content) return content;
  const reason = requireText(e.reason, 'payload.correction_reason', 'the reason for the correction', '更正原因');
  if (reason) return reason;
  // A correction appends; the superseded version stays as it was, only pointing at its successor.
  previous.supersededBy = e.evidenceId;
  s.evidence.push({
    id: e.evidenceId,
    quarter: previous.quarter,
    milestoneId: previous.milestoneId,
    text: e.text,
    textRef: copyTextRef(e.textRef),
    files: normaliseFiles(e.files),
    indicatorActuals: copyActuals(e.indicatorActuals),
    version: previous.version + 1,
    supersedes: previous.id,
    supersededBy: null,
    correctionReason: e.reason,
    submittedBy: e.actor.userId,
    at: e.at,
  });
  refreshIndicatorActuals(s);
  return null;
};

// ---------------------------------------------------------------------------------------------
// The sub-project's side of its parent's dispatch
// ---------------------------------------------------------------------------------------------

function requireSubProject(s: ProjectState): Refusal | null {
  return s.parentId === null ? conflict('project.not_sub_project', 'only a sub-project can be cancelled or reassigned this way', '仅子项目可撤销或调整承接单位') : null;
}

export const cancelSubProject: Handler<'cancelSubProject'> = (s, e) => {
  const who = requireCommitteeOrRelay(e.actor, 'cancel a sub-project', '撤销子项目');
  if (who) return who;
  const sub = requireSubProject(s);
  if (sub) return sub;
  const stage = requireStage(s, OPEN_STAGES, 'stage.cancel_requires_open', 'cancelling', '撤销');
  if (stage) return stage;
  const reason = requireText(e.reason, 'payload.cancel_reason', 'the reason', '撤销原因');
  if (reason) return reason;
  s.stage = 'cancelled';
  s.review.delegate = null;
  s.cancellation = { reason: e.reason, by: e.actor.userId, at: e.at };
  return null;
};

export const reassignSubProject: Handler<'reassignSubProject'> = (s, e) => {
  const who = requireCommitteeOrRelay(e.actor, 'reassign a sub-project', '调整子项目承接单位');
  if (who) return who;
  const sub = requireSubProject(s);
  if (sub) return sub;
  const stage = requireStage(s, OPEN_STAGES, 'stage.reassign_requires_open', 'reassigning', '调整承接单位');
  if (stage) return stage;
  if (!isId(e.orgId) || !isId(e.leadSecretaryId)) {
    return invalid('payload.reassign_target', 'the new org and secretary are required', '须指定新的承接组织和书记');
  }
  if (e.orgId === s.orgId && e.leadSecretaryId === s.leadSecretaryId) {
    return invalid('payload.reassign_unchanged', 'the sub-project is already with this org and secretary', '子项目已由该组织和书记承接');
  }
  if (e.leadSecretaryId === s.assignedReviewer.userId || e.leadSecretaryId === s.reviewerId) {
    return invalid('payload.reviewer_is_proposer', 'the reviewer cannot lead the project they review', '审核人不能领办其审核的项目');
  }
  const reason = requireText(e.reason, 'payload.reassign_reason', 'the reason', '调整原因');
  if (reason) return reason;
  s.reassignments.push({
    from: { orgId: s.orgId, userId: s.leadSecretaryId },
    to: { orgId: e.orgId, userId: e.leadSecretaryId },
    reason: e.reason,
    by: e.actor.userId,
    at: e.at,
  });
  s.orgId = e.orgId;
  s.leadSecretaryId = e.leadSecretaryId;
  return null;
};
