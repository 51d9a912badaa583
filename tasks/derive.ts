/**
 * My tasks (待办): every action a project's state is waiting for, and who it waits for — derived
 * purely from the project's state and its cycle's calendar, so the persistence activity can keep
 * an indexed task table in the same transaction as the projection (no scan of project states when
 * someone opens their list), and unit tests can check the rules against lifecycle fixtures.
 *
 * A task waits either for one person (`assigneeId`: the lead secretary, the reviewer, a delegate,
 * the person responsible for a ledger entry, a member) or for a role within an org scope
 * (`assigneeRole` + `orgId`): inspections and verifications for every inspector assigned to the
 * project's org or an org above it; dispatch decisions, acceptances and escalated ledger entries for
 * the cycle's committee staff. Tasks that belong to a later part of the year carry `visibleFrom`
 * (evidence of a quarter shows once the previous quarter's deadline passed, an inspection once it
 * falls due), so the rows stay right without a rewrite when the calendar moves on.
 */
import { CYCLE_UTC_OFFSET, deadlineMs, hasEvidenceForQuarter, type CycleConfig, type IsoDate, type IsoDateTime, type ProjectState, type Quarter } from '../workflows/lifecycle';

export type TaskKind =
  | 'draft'
  | 'revise'
  | 'review'
  | 'escalated_review'
  | 'delegate_opinion'
  | 'letter'
  | 'decompose'
  | 'evidence'
  | 'rectify'
  | 'rectify_again'
  | 'self_assessment'
  | 'member_item'
  | 'inspection'
  | 'verify_rectification'
  | 'ledger_escalated'
  | 'dispatch'
  | 'acceptance';

export const TASK_KINDS: readonly TaskKind[] = [
  'draft',
  'revise',
  'review',
  'escalated_review',
  'delegate_opinion',
  'letter',
  'decompose',
  'evidence',
  'rectify',
  'rectify_again',
  'self_assessment',
  'member_item',
  'inspection',
  'verify_rectification',
  'ledger_escalated',
  'dispatch',
  'acceptance',
];

/** The Chinese name of each kind of task. */
export const TASK_KIND_LABELS: Readonly<Record<TaskKind, string>> = {
  draft: '完善立项草稿',
  revise: '按意见修改退回的立项',
  review: '审核立项',
  escalated_review: '审核超时上报工委的立项',
  delegate_opinion: '反馈委派审核意见',
  letter: '签订责任书',
  decompose: '1+N分解',
  evidence: '报送季度佐证材料',
  rectify: '整改台账问题',
  rectify_again: '重新整改退回的问题',
  self_assessment: '项目自评',
  member_item: '更新党员事项完成情况',
  inspection: '季度督查',
  verify_rectification: '整改验收销号',
  ledger_escalated: '督办逾期整改问题',
  dispatch: '年中调度决定',
  acceptance: '年底验收',
};

export type TaskScopeRole = 'inspector' | 'committee';

/** One task of one project. `key` is unique within the project. */
export interface DerivedTask {
  key: string;
  projectId: string;
  cycleId: string;
  kind: TaskKind;
  /** Chinese label naming the task and its object (quarter, ledger entry, item). */
  label: string;
  assigneeId: string | null;
  assigneeRole: TaskScopeRole | null;
  /** The project's org (person and inspector tasks) or the cycle's committee org (committee tasks). */
  orgId: string;
  projectTitle: string;
  /** The API call that does it, e.g. `POST /projects/p-1/letter`. */
  action: string;
  /** As the calendar or ledger states it: a Beijing calendar day or an exact date-time. */
  deadline: IsoDate | IsoDateTime;
  /** Epoch ms at which the deadline passes (the end of a calendar day, Beijing time). */
  deadlineAtMs: number;
  /** The task is shown from this instant on; null: at once. */
  visibleFromMs: number | null;
}

export interface TaskOptions {
  /** Only the tasks shown at this instant (the persisted rows carry `visibleFrom` instead). */
  nowMs?: number;
  /**
   * Whether the project's org has lower-level orgs to split the project into ("1+N"). Unknown
   * (undefined): only top-level projects are expected to decompose.
   */
  hasLowerOrgs?: boolean;
}

const QUARTER_NAMES = ['一', '二', '三', '四'] as const;
const SHORT_TEXT = 40;

function short(text: string): string {
  const chars = [...text];
  return chars.length > SHORT_TEXT ? `${chars.slice(0, SHORT_TEXT).join('')}…` : text;
}

function quarterName(q: Quarter): string {
  return `第${QUARTER_NAMES[q - 1]}季度`;
}

/**
 * The deadline of a step the calendar fixes for the whole cycle. A sub-project created ("1+N"), or
 * returned or approved, after that date answers by the next deadline of the calendar after it, or,
 * when none is left, by the acceptance window's end; a top-level project is overdue.
 */
function calendarDeadline(state: ProjectState, cycle: CycleConfig, base: IsoDate | IsoDateTime, sinceMs: number): IsoDate | IsoDateTime {
  // A top-level project late for the calendar is simply overdue.
  if (state.parentId === null || deadlineMs(base) >= sinceMs) return base;
  const c = cycle.calendar;
  const later = [c.proposalDeadline, c.reviewDeadline, c.letterDeadline, ...c.quarters.map((q) => q.evidenceDeadline), c.selfAssessmentDeadline, c.acceptanceWindow.end]
    .filter((d) => deadlineMs(d) >= sinceMs)
    .sort((a, b) => deadlineMs(a) - deadlineMs(b));
  return later[0] ?? c.acceptanceWindow.end;
}

/** When a window opens: the start of a Beijing calendar day, or an exact date-time. */
function startMs(value: IsoDate | IsoDateTime): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00.000${CYCLE_UTC_OFFSET}`) : Date.parse(value);
}

/** The review waiting since `submittedAt` is due when its timeout reminder fires, or by the review deadline if that comes first. */
function reviewDeadline(state: ProjectState, cycle: CycleConfig): IsoDate | IsoDateTime {
  const submittedMs = state.review.submittedAt ? Date.parse(state.review.submittedAt) : Date.parse(state.updatedAt);
  const timeout = new Date(submittedMs + cycle.reviewTimeouts.remindAfterMs).toISOString();
  const calendar = cycle.calendar.reviewDeadline;
  return deadlineMs(calendar) >= submittedMs && deadlineMs(calendar) < deadlineMs(timeout) ? calendar : timeout;
}

/** Every task the project's state waits for (see the module comment). Same input, same tasks. */
export function tasksFor(state: ProjectState, cycle: CycleConfig, options: TaskOptions = {}): DerivedTask[] {
  const tasks: DerivedTask[] = [];
  const id = state.id;
  const path = `/projects/${encodeURIComponent(id)}`;
  const add = (
    key: string,
    kind: TaskKind,
    who: { assigneeId: string } | { assigneeRole: TaskScopeRole; orgId?: string },
    action: string,
    deadline: IsoDate | IsoDateTime,
    detail: string | null = null,
    visibleFromMs: number | null = null,
  ) => {
    tasks.push({
      key,
      projectId: id,
      cycleId: state.cycleId,
      kind,
      label: detail ? `${TASK_KIND_LABELS[kind]}：${detail}` : TASK_KIND_LABELS[kind],
      assigneeId: 'assigneeId' in who ? who.assigneeId : null,
      assigneeRole: 'assigneeRole' in who ? who.assigneeRole : null,
      orgId: 'assigneeRole' in who && who.orgId ? who.orgId : state.orgId,
      projectTitle: state.proposal.title,
      action,
      deadline,
      deadlineAtMs: deadlineMs(deadline),
      visibleFromMs,
    });
  };
  const lead = { assigneeId: state.leadSecretaryId };
  const committee = { assigneeRole: 'committee' as const, orgId: cycle.committee.orgId };
  const inspectors = { assigneeRole: 'inspector' as const };
  const createdMs = Date.parse(state.createdAt);
  const quarters = [...cycle.calendar.quarters].sort((a, b) => a.quarter - b.quarter);

  // ---- Proposal and review ------------------------------------------------------------------
  if (state.stage === 'draft') {
    const last = [...state.review.history].reverse().find((h) => h.action !== 'reminded' && h.action !== 'timeoutReminded');
    if (last?.action === 'returned') {
      const returnedMs = Date.parse(last.at);
      add(`revise:${state.review.round}`, 'revise', lead, `POST ${path}/draft`, calendarDeadline(state, cycle, cycle.calendar.reviewDeadline, returnedMs), short(last.comments));
    } else {
      add('draft', 'draft', lead, `POST ${path}/submit`, calendarDeadline(state, cycle, cycle.calendar.proposalDeadline, createdMs));
    }
  }
  if (state.stage === 'in_review') {
    const round = state.review.round;
    const escalated = state.review.history.some((h) => h.round === round && h.action === 'escalated');
    const deadline = reviewDeadline(state, cycle);
    add(`review:${round}`, escalated ? 'escalated_review' : 'review', { assigneeId: state.reviewerId }, `POST ${path}/review`, deadline);
    const delegation = state.review.delegate;
    if (delegation) add(`opinion:${round}`, 'delegate_opinion', { assigneeId: delegation.to.userId }, `POST ${path}/review/opinion`, deadline);
  }
  if (state.stage === 'approved' && !state.letter) {
    const approvedAt = [...state.review.history].reverse().find((h) => h.action === 'approved')?.at;
    add('letter', 'letter', lead, `POST ${path}/letter`, calendarDeadline(state, cycle, cycle.calendar.letterDeadline, approvedAt ? Date.parse(approvedAt) : createdMs));
  }

  // ---- Work under way -----------------------------------------------------------------------
  const signedMs = state.letter ? Date.parse(state.letter.signedAt) : 0;
  if (state.stage === 'in_progress') {
    const decomposable = options.hasLowerOrgs ?? state.parentId === null;
    if (decomposable && state.children.length === 0) {
      const first = quarters.find((q) => deadlineMs(q.evidenceDeadline) >= signedMs)?.evidenceDeadline ?? cycle.calendar.selfAssessmentDeadline;
      add('decompose', 'decompose', lead, `POST ${path}/decompose`, first);
    }
    quarters.forEach((q, index) => {
      // A project whose letter came after a quarter's deadline answers only for the later quarters.
      if (deadlineMs(q.evidenceDeadline) < signedMs) return;
      if (hasEvidenceForQuarter(state.evidence, q.quarter)) return;
      // Late evidence is still asked for until the quarter is inspected after its deadline; then
      // its absence is a finding of that inspection, not a task any more.
      if (state.inspections.some((i) => i.quarter === q.quarter && i.rating !== null && i.due)) return;
      const previous = quarters[index - 1];
      add(`evidence:Q${q.quarter}`, 'evidence', lead, `POST ${path}/evidence`, q.evidenceDeadline, quarterName(q.quarter), previous ? deadlineMs(previous.evidenceDeadline) : null);
    });
    if (!state.selfAssessment) {
      const lastButOne = quarters[quarters.length - 2];
      add('self-assessment', 'self_assessment', lead, `POST ${path}/self-assessment`, cycle.calendar.selfAssessmentDeadline, null, lastButOne ? deadlineMs(lastButOne.evidenceDeadline) : null);
    }
    for (const item of state.memberItems) {
      if (item.actual !== null && item.actual >= item.target) continue;
      add(`member-item:${item.id}`, 'member_item', { assigneeId: item.memberId }, `POST ${path}/member-items/${encodeURIComponent(item.id)}/actual`, cycle.calendar.selfAssessmentDeadline, short(item.title));
    }
    // Mid-year dispatch decides per top-level project; sub-projects follow their parent's decision.
    if (state.parentId === null && state.dispatchHistory.length === 0) {
      add('dispatch', 'dispatch', committee, `POST ${path}/dispatch`, cycle.calendar.dispatchWindow.end, null, startMs(cycle.calendar.dispatchWindow.start));
    }
  }

  // ---- Oversight: inspections and the rectification ledger ------------------------------------
  if (state.stage === 'in_progress' || state.stage === 'self_assessed') {
    for (const q of quarters) {
      if (deadlineMs(q.evidenceDeadline) < signedMs) continue;
      const inspection = state.inspections.find((i) => i.quarter === q.quarter);
      if (inspection?.rating) continue;
      // Shown once the quarter's evidence deadline passed (the inspection falls due).
      add(`inspection:Q${q.quarter}`, 'inspection', inspectors, `POST ${path}/inspections/${q.quarter}`, q.inspectionWindowEnd, quarterName(q.quarter), deadlineMs(q.evidenceDeadline));
    }
    for (const entry of state.ledger) {
      const entryPath = `${path}/rectifications/${encodeURIComponent(entry.id)}`;
      if (entry.status === 'open') {
        const again = entry.sendBacks.length > 0;
        add(`rectify:${entry.id}`, again ? 'rectify_again' : 'rectify', { assigneeId: entry.responsiblePersonId }, `POST ${entryPath}/report`, entry.deadline, short(entry.problem));
      } else if (entry.status === 'reported') {
        add(`verify:${entry.id}`, 'verify_rectification', inspectors, `POST ${entryPath}/verify`, entry.deadline, short(entry.problem));
      }
      if (entry.status !== 'closed' && entry.escalatedAt !== null) {
        add(`escalated:${entry.id}`, 'ledger_escalated', committee, `GET ${path}`, entry.deadline, short(entry.problem));
      }
    }
  }

  // ---- Year-end acceptance ------------------------------------------------------------------
  if (state.stage === 'self_assessed' && !state.acceptance && !state.children.some((c) => c.status === 'active')) {
    add('acceptance', 'acceptance', committee, `POST ${path}/acceptance`, cycle.calendar.acceptanceWindow.end);
  }

  const now = options.nowMs;
  return now === undefined ? tasks : tasks.filter((t) => t.visibleFromMs === null || t.visibleFromMs <= now);
}

const DAY_MS = 24 * 3600 * 1000;
const BEIJING_OFFSET_MS = 8 * 3600 * 1000;

/** The Beijing calendar day an instant falls on, as a day number. */
function beijingDay(ms: number): number {
  return Math.floor((ms + BEIJING_OFFSET_MS) / DAY_MS);
}

/**
 * Calendar days (Asia/Shanghai) from today to the deadline's day: 0 on the day itself, negative
 * once it has passed. A `YYYY-MM-DD` deadline is that Beijing day (it ends at 24:00 that day).
 */
export function daysLeft(deadline: IsoDate | IsoDateTime, nowMs: number): number {
  return beijingDay(deadlineMs(deadline)) - beijingDay(nowMs);
}

/** Overdue: the deadline has passed (the same rule as the ledger figures' `isLedgerOverdue`). */
export function isOverdue(deadline: IsoDate | IsoDateTime, nowMs: number): boolean {
  return nowMs > deadlineMs(deadline);
}
