/**
 * Quarterly inspection (季度督查) and the rectification ledger (整改台账): problems become ledger
 * entries, rectified against the ledger and verified against it (依账整改、照账验收).
 */
import { requireRole, requireStage, requireTimer } from './guards';
import type { Handler } from './handler';
import { conflict, forbidden, invalid } from './refusals';
import { hasEvidenceForQuarter } from './scoring';
import { checkClaimCheckedText } from './limits';
import { OVERSIGHT_STAGES } from './stages';
import { deadlineMs, instantMs, isIsoDeadline } from './time';
import type { Actor, Inspection, LedgerEntry, ProblemInput, ProjectState, Quarter, Refusal } from './types';
import { isId, isText, oneOf, requireText, validateFiles, normaliseFiles } from './validation';

const QUARTERS: readonly number[] = [1, 2, 3, 4];

function checkQuarter(quarter: unknown): Refusal | null {
  return QUARTERS.includes(quarter as number) ? null : invalid('payload.quarter', 'quarter must be 1..4', '季度须为1至4');
}

function oversightStage(s: ProjectState, whatEn: string, whatZh: string, rule: string): Refusal | null {
  return requireStage(s, OVERSIGHT_STAGES, rule, whatEn, whatZh);
}

function newInspection(quarter: Quarter): Inspection {
  return { quarter, due: false, dueAt: null, rating: null, findings: [], missingEvidence: false, inspectorId: null, at: null };
}

// ---------------------------------------------------------------------------------------------
// Inspections
// ---------------------------------------------------------------------------------------------

/** The quarter's evidence deadline passed: the project is due, and missing evidence is a finding by itself. */
export const inspectionDue: Handler<'inspectionDue'> = (s, e, cycle) => {
  const who = requireTimer(e.actor);
  if (who) return who;
  const stage = oversightStage(s, 'an inspection', '季度督查', 'stage.inspection_requires_in_progress');
  if (stage) return stage;
  const q = checkQuarter(e.quarter);
  if (q) return q;
  const existing = s.inspections.find((i) => i.quarter === e.quarter);
  if (existing?.due) return conflict('inspection.already_due', `quarter ${e.quarter} is already due for inspection`, `第${e.quarter}季度督查已到期`);
  const deadline = cycle.calendar.quarters.find((c) => c.quarter === e.quarter)?.evidenceDeadline;
  if (deadline !== undefined && instantMs(e.at) < deadlineMs(deadline)) {
    return conflict('timer.too_early', `the Q${e.quarter} evidence deadline ${deadline} has not passed`, `第${e.quarter}季度材料截止日期${deadline}未到`);
  }
  const inspection = existing ?? newInspection(e.quarter);
  if (!existing) s.inspections.push(inspection);
  inspection.due = true;
  inspection.dueAt = e.at;
  inspection.missingEvidence = !hasEvidenceForQuarter(s.evidence, e.quarter);
  if (inspection.missingEvidence) {
    inspection.findings.unshift({
      kind: 'missing_evidence',
      text: `No evidence was submitted for Q${e.quarter} by its deadline (第${e.quarter}季度未按期提交佐证材料)`,
    });
  }
  s.inspections.sort((a, b) => a.quarter - b.quarter);
  return null;
};

function checkProblem(s: ProjectState, p: ProblemInput, pendingIds: readonly string[], at: string): Refusal | null {
  if (p === null || typeof p !== 'object' || !isId(p.id)) return invalid('payload.problem_id', 'every problem needs an id', '每个问题须有编号');
  if (s.ledger.some((l) => l.id === p.id) || pendingIds.includes(p.id)) {
    return invalid('payload.duplicate_ledger_id', `ledger entry ${p.id} already exists`, `台账编号${p.id}已存在`);
  }
  const text = requireText(p.problem, 'payload.problem_text', 'the problem', '问题描述');
  if (text) return text;
  if (!isId(p.responsibleOrgId) || !isId(p.responsiblePersonId)) {
    return invalid('payload.problem_responsible', `problem ${p.id} needs a responsible org and person`, `问题${p.id}须明确责任单位和责任人`);
  }
  const measures = requireText(p.measures, 'payload.problem_measures', 'the rectification measures', '整改措施');
  if (measures) return measures;
  if (!isIsoDeadline(p.deadline)) return invalid('payload.ledger_deadline', `problem ${p.id} needs a deadline (YYYY-MM-DD or a date-time)`, `问题${p.id}须明确整改时限`);
  if (deadlineMs(p.deadline) < instantMs(at)) {
    return invalid('payload.ledger_deadline_past', `problem ${p.id} has a deadline in the past`, `问题${p.id}的整改时限早于督查日期`);
  }
  return null;
}

export const recordInspection: Handler<'recordInspection'> = (s, e) => {
  const who = requireRole(e.actor, 'inspector', 'record an inspection', '记录督查');
  if (who) return who;
  const stage = oversightStage(s, 'an inspection', '季度督查', 'stage.inspection_requires_in_progress');
  if (stage) return stage;
  const q = checkQuarter(e.quarter);
  if (q) return q;
  const existing = s.inspections.find((i) => i.quarter === e.quarter);
  if (existing && existing.rating !== null) {
    return conflict('inspection.already_recorded', `the Q${e.quarter} inspection is already recorded`, `第${e.quarter}季度督查已记录`);
  }
  if (!oneOf(['on_track', 'lagging', 'stalled'] as const, e.rating)) {
    return invalid('payload.rating', 'rating must be on_track, lagging or stalled', '进度评价须为按期推进、进度滞后或停滞');
  }
  if (!Array.isArray(e.findings) || !e.findings.every((f) => isText(f))) {
    return invalid('payload.findings', 'findings must be a list of non-empty texts', '督查发现须为非空文字列表');
  }
  if (!Array.isArray(e.problems)) return invalid('payload.problems', 'problems must be a list', '问题须为列表');
  const pending: string[] = [];
  for (const p of e.problems) {
    const r = checkProblem(s, p, pending, e.at);
    if (r) return r;
    pending.push(p.id);
  }

  const inspection = existing ?? newInspection(e.quarter);
  if (!existing) s.inspections.push(inspection);
  inspection.rating = e.rating;
  inspection.findings.push(...e.findings.map((text) => ({ kind: 'inspector' as const, text })));
  inspection.inspectorId = e.actor.userId;
  inspection.at = e.at;
  s.inspections.sort((a, b) => a.quarter - b.quarter);
  for (const p of e.problems) {
    s.ledger.push({
      id: p.id,
      quarter: e.quarter,
      problem: p.problem,
      responsibleOrgId: p.responsibleOrgId,
      responsiblePersonId: p.responsiblePersonId,
      measures: p.measures,
      deadline: p.deadline,
      status: 'open',
      recordedBy: e.actor.userId,
      recordedAt: e.at,
      reports: [],
      sendBacks: [],
      verifiedBy: null,
      closedAt: null,
      warnedAt: null,
      escalatedAt: null,
    });
  }
  return null;
};

// ---------------------------------------------------------------------------------------------
// Rectification ledger
// ---------------------------------------------------------------------------------------------

function findEntry(s: ProjectState, entryId: unknown): LedgerEntry | Refusal {
  const entry = s.ledger.find((l) => l.id === entryId);
  return entry ?? invalid('payload.unknown_ledger_entry', `ledger entry ${String(entryId)} does not exist`, `台账${String(entryId)}不存在`);
}

function isRefusal(x: LedgerEntry | Refusal): x is Refusal {
  return 'rule' in x;
}

const LEDGER_STAGE_RULE = 'stage.ledger_requires_in_progress';

/** The secretary of the responsible org reports the entry rectified, with evidence. */
export const reportRectification: Handler<'reportRectification'> = (s, e) => {
  const entry = findEntry(s, e.entryId);
  if (isRefusal(entry)) return entry;
  if (e.actor.role !== 'secretary') {
    return forbidden('actor.not_responsible_secretary', 'only the secretary of the responsible org reports a rectification', '仅责任单位书记可报送整改');
  }
  if (e.actor.orgId !== entry.responsibleOrgId) {
    return forbidden('actor.wrong_org', `entry ${entry.id} is the responsibility of org ${entry.responsibleOrgId}`, `该问题由${entry.responsibleOrgId}负责整改`);
  }
  const stage = oversightStage(s, 'rectification', '整改', LEDGER_STAGE_RULE);
  if (stage) return stage;
  if (entry.status !== 'open') return conflict('ledger.not_open', `entry ${entry.id} is ${entry.status}, not open`, `台账${entry.id}不在待整改状态`);
  const text = requireText(e.text, 'payload.rectification_text', 'the rectification evidence', '整改情况');
  if (text) return text;
  const claim = checkClaimCheckedText(e.text, e.textRef, 'payload.rectification_text', 'the rectification evidence', '整改情况');
  if (claim) return claim;
  const files = e.files ?? [];
  const fileRefusal = validateFiles(files);
  if (fileRefusal) return fileRefusal;
  entry.status = 'reported';
  const ref = e.textRef ? { sha256: e.textRef.sha256, size: e.textRef.size, chars: e.textRef.chars } : null;
  entry.reports.push({ text: e.text, textRef: ref, files: normaliseFiles(files), by: e.actor, at: e.at });
  return null;
};

function inspectorOnReported(s: ProjectState, actor: Actor, entryId: unknown, whatEn: string, whatZh: string): LedgerEntry | Refusal {
  const who = requireRole(actor, 'inspector', whatEn, whatZh);
  if (who) return who;
  const stage = oversightStage(s, 'rectification', '整改', LEDGER_STAGE_RULE);
  if (stage) return stage;
  const entry = findEntry(s, entryId);
  if (isRefusal(entry)) return entry;
  if (entry.status !== 'reported') {
    return conflict('ledger.not_reported', `entry ${entry.id} is ${entry.status}; only a reported rectification can be checked`, `台账${entry.id}尚未报送整改`);
  }
  return entry;
}

/** The inspector checks the report against the ledger and closes the entry (销号). */
export const verifyRectification: Handler<'verifyRectification'> = (s, e) => {
  const entry = inspectorOnReported(s, e.actor, e.entryId, 'verify a rectification', '整改验收');
  if (isRefusal(entry)) return entry;
  entry.status = 'closed';
  entry.verifiedBy = e.actor.userId;
  entry.closedAt = e.at;
  return null;
};

export const sendBackRectification: Handler<'sendBackRectification'> = (s, e) => {
  const entry = inspectorOnReported(s, e.actor, e.entryId, 'send back a rectification', '退回整改');
  if (isRefusal(entry)) return entry;
  const reason = requireText(e.reason, 'payload.send_back_reason', 'the reason', '退回理由');
  if (reason) return reason;
  entry.status = 'open';
  entry.sendBacks.push({ reason: e.reason, by: e.actor, at: e.at });
  return null;
};

function openEntryForTimer(s: ProjectState, actor: Actor, entryId: unknown): LedgerEntry | Refusal {
  const who = requireTimer(actor);
  if (who) return who;
  const stage = oversightStage(s, 'rectification', '整改', LEDGER_STAGE_RULE);
  if (stage) return stage;
  const entry = findEntry(s, entryId);
  if (isRefusal(entry)) return entry;
  if (entry.status !== 'open') return conflict('ledger.not_open', `entry ${entry.id} is ${entry.status}, not open`, `台账${entry.id}不在待整改状态`);
  return entry;
}

/** 提醒预警: the entry is still open as its deadline approaches. */
export const ledgerOverdueWarning: Handler<'ledgerOverdueWarning'> = (s, e, cycle) => {
  const entry = openEntryForTimer(s, e.actor, e.entryId);
  if (isRefusal(entry)) return entry;
  if (entry.warnedAt !== null) return conflict('ledger.already_warned', `entry ${entry.id} was already warned`, `台账${entry.id}已预警`);
  if (instantMs(e.at) < deadlineMs(entry.deadline) - cycle.ledger.warnBeforeMs) {
    return conflict('timer.too_early', `entry ${entry.id} is not yet near its deadline`, `台账${entry.id}未到预警时间`);
  }
  entry.warnedAt = e.at;
  return null;
};

/** The entry is still open past its deadline: it goes up to the committee. */
export const ledgerEscalated: Handler<'ledgerEscalated'> = (s, e, cycle) => {
  const entry = openEntryForTimer(s, e.actor, e.entryId);
  if (isRefusal(entry)) return entry;
  if (entry.escalatedAt !== null) return conflict('ledger.already_escalated', `entry ${entry.id} was already escalated`, `台账${entry.id}已上报工委`);
  if (instantMs(e.at) <= deadlineMs(entry.deadline) + cycle.ledger.escalateAfterMs) {
    return conflict('timer.too_early', `entry ${entry.id} is not overdue yet`, `台账${entry.id}尚未逾期`);
  }
  entry.escalatedAt = e.at;
  return null;
};
