/**
 * Types of the project lifecycle state machine (党建项目全周期管理).
 *
 * Everything here is plain JSON data: the state is carried across Temporal continue-as-new,
 * stored in Postgres and replayed by auditors, so it holds no Date, Map, Set or class instance,
 * and absent values are `null` rather than missing.
 */

/** An ISO-8601 calendar date, `YYYY-MM-DD`, read in the cycle's time zone (Asia/Shanghai). */
export type IsoDate = string;
/** An ISO-8601 date-time with an offset or `Z`, e.g. `2025-03-31T09:00:00.000Z`. */
export type IsoDateTime = string;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

// ---------------------------------------------------------------------------------------------
// Actors
// ---------------------------------------------------------------------------------------------

export type Role = 'committee' | 'secretary' | 'inspector' | 'auditor' | 'member';

/** The actor of every timer-driven event (deadlines, review timeouts, ledger warnings). */
export const TIMER_ACTOR_ID = 'system:timer';
/** The engine relaying between a parent and its sub-projects: roll-ups up, dispatch decisions down. */
export const ROLLUP_ACTOR_ID = 'system:rollup';

export type SystemActorId = typeof TIMER_ACTOR_ID | typeof ROLLUP_ACTOR_ID;

/** A signed-in person acting in one of their roles for one org. */
export interface PersonActor {
  userId: string;
  role: Role;
  orgId: string;
}

/** The engine itself; `role: 'system'` is what tells a recorded action apart from a person's. */
export interface SystemActor {
  userId: SystemActorId;
  role: 'system';
  orgId: string;
}

/** Who did something. Discriminate with `actor.role === 'system'`. */
export type Actor = PersonActor | SystemActor;

/** An org together with the one user acting for it (a reviewer, a delegate, a child's secretary). */
export interface OrgUser {
  orgId: string;
  userId: string;
}

// ---------------------------------------------------------------------------------------------
// Cycle configuration (年度项目周期), immutable for the life of every workflow of the cycle
// ---------------------------------------------------------------------------------------------

export type Quarter = 1 | 2 | 3 | 4;

export interface DateWindow {
  start: IsoDate;
  end: IsoDate;
}

export interface QuarterCalendar {
  quarter: Quarter;
  /** When the quarter's evidence is due; once it passes the project is due for inspection. */
  evidenceDeadline: IsoDate;
  inspectionWindowEnd: IsoDate;
}

export interface CycleCalendar {
  proposalDeadline: IsoDate;
  reviewDeadline: IsoDate;
  letterDeadline: IsoDate;
  quarters: QuarterCalendar[];
  dispatchWindow: DateWindow;
  selfAssessmentDeadline: IsoDate;
  acceptanceWindow: DateWindow;
  /** Day of the month (1..28) on which the monthly reminder (月提示) goes out. */
  monthlyReminderDay: number;
  /** Explicit instants of the monthly reminders, overriding `monthlyReminderDay` (compressed test calendars). */
  monthlyReminders?: IsoDateTime[];
}

export interface RubricCriterion {
  criterionId: string;
  name: string;
  /** Maximum points for this criterion. */
  weight: number;
}

export type DeductionCode = 'open_ledger_entry' | 'missing_evidence' | 'negative_list';

export interface DeductionRule {
  code: DeductionCode;
  /** Points deducted per occurrence. */
  points: number;
}

/** A score at or above a threshold earns that grade. */
export interface GradeThresholds {
  excellent: number;
  good: number;
  pass: number;
}

export interface CycleRules {
  /** 每年至少领办1个重点项目. */
  minKeyProjectsPerSecretary: number;
  rubric: RubricCriterion[];
  deductions: DeductionRule[];
  gradeThresholds: GradeThresholds;
  /** Length of each of the two best-of lists (双十佳). */
  bestOfListSize: number;
}

export interface CycleConfig {
  cycleId: string;
  year: number;
  /** The work committee (工委) and the user who takes over escalated reviews. */
  committee: OrgUser;
  calendar: CycleCalendar;
  /** Measured from the submission that opened the review round. */
  reviewTimeouts: { remindAfterMs: number; escalateAfterMs: number };
  /** Ledger entries are warned `warnBeforeMs` before and escalated `escalateAfterMs` after their deadline. */
  ledger: { warnBeforeMs: number; escalateAfterMs: number };
  rules: CycleRules;
  /** How long before each deadline its reminder goes out (default three days). */
  reminderLeadMs?: number;
}

// ---------------------------------------------------------------------------------------------
// Project state
// ---------------------------------------------------------------------------------------------

export type Stage =
  | 'draft'
  | 'in_review'
  | 'approved'
  | 'rejected'
  | 'in_progress'
  | 'self_assessed'
  | 'accepted'
  | 'failed'
  | 'terminated'
  | 'cancelled';

export type ProjectType = 'service' | 'improvement' | 'breakthrough';
export type Orientation = 'goal' | 'problem';
export type Grade = 'excellent' | 'good' | 'pass' | 'fail';
export type Rating = 'on_track' | 'lagging' | 'stalled';
export type MemberItemKind = 'pledge' | 'breakthrough' | 'vanguard_post';
export type ChildStatus = 'active' | 'cancelled' | 'settled';
export type LedgerStatus = 'open' | 'reported' | 'closed';
export type DispatchDecision = 'continue' | 'adjust' | 'terminate';
export type Recommendation = 'approve' | 'return' | 'reject';

/** A quantified indicator (指标); progress runs from `baseline` to `target`. */
export interface Indicator {
  id: string;
  name: string;
  unit: string;
  baseline: number;
  target: number;
  /** Share of the project's own progress, in percent; all weights sum to 100. */
  weight: number;
  /** Latest reported value from current (non-superseded) evidence. */
  actual: number | null;
}

export type IndicatorInput = Omit<Indicator, 'actual'>;

export interface Milestone {
  id: string;
  title: string;
  due: IsoDate;
}

export interface Proposal {
  title: string;
  type: ProjectType;
  /** 重点项目. */
  isKey: boolean;
  orientation: Orientation;
  /** Problem-list ids; a problem-oriented proposal links at least one. */
  problemIds: string[];
  /** The business goal the project serves (党建与业务融合). */
  businessGoal: string;
  indicators: Indicator[];
  milestones: Milestone[];
}

export interface ProposalInput extends Omit<Proposal, 'indicators'> {
  indicators: IndicatorInput[];
}

interface ReviewActionBase {
  round: number;
  actor: Actor;
  at: IsoDateTime;
}

/** One entry of the review history; `actor.role === 'system'` marks what a timer did. */
export type ReviewAction =
  | (ReviewActionBase & { action: 'submitted'; reviewer: OrgUser })
  | (ReviewActionBase & { action: 'withdrawn'; reason: string | null })
  | (ReviewActionBase & { action: 'approved'; comment: string | null })
  | (ReviewActionBase & { action: 'returned'; comments: string })
  | (ReviewActionBase & { action: 'rejected'; reason: string })
  | (ReviewActionBase & { action: 'transferred'; from: OrgUser; to: OrgUser; reason: string | null })
  | (ReviewActionBase & { action: 'delegated'; to: OrgUser; note: string | null })
  | (ReviewActionBase & { action: 'delegateOpinion'; recommendation: Recommendation; opinion: string })
  | (ReviewActionBase & { action: 'reminded'; reviewer: OrgUser; note: string | null })
  | (ReviewActionBase & { action: 'timeoutReminded'; reviewer: OrgUser })
  | (ReviewActionBase & { action: 'escalated'; from: OrgUser; to: OrgUser });

export interface Delegation {
  to: OrgUser;
  by: Actor;
  at: IsoDateTime;
}

export interface ReviewState {
  /** Incremented by every submission; 0 while never submitted. */
  round: number;
  /** When the current round was opened by a submission; review timeouts count from here. */
  submittedAt: IsoDateTime | null;
  /** A delegation (委派) waiting for the delegate's opinion. */
  delegate: Delegation | null;
  history: ReviewAction[];
}

/** Responsibility letter (责任书). */
export interface Letter {
  text: string;
  signedBy: string;
  signedAt: IsoDateTime;
}

/** The parent's view of one sub-project of a "1+N" decomposition. */
export interface ChildProject {
  id: string;
  orgId: string;
  secretaryId: string;
  title: string;
  status: ChildStatus;
  /** Last stage the child workflow reported. */
  stage: Stage;
  progress: number;
  addedAt: IsoDateTime;
}

/** A member's pledge (承诺践诺), personal breakthrough item (个人突破清单) or vanguard post (党员先锋岗). */
export interface MemberItem {
  id: string;
  memberId: string;
  kind: MemberItemKind;
  title: string;
  target: number;
  actual: number | null;
  unit: string;
  addedAt: IsoDateTime;
  updatedAt: IsoDateTime;
}

/** A long text kept in the content-addressed store (claim check): the event and state hold this and a summary. */
export interface TextRef {
  /** Lower-case hex SHA-256 of the text's UTF-8 bytes. */
  sha256: string;
  /** UTF-8 bytes. */
  size: number;
  /** Characters (code points). */
  chars: number;
}

export interface EvidenceFile {
  name: string;
  /** Lower-case hex SHA-256 of the content. */
  sha256: string;
  size: number;
}

export interface IndicatorActual {
  indicatorId: string;
  actual: number;
}

/** One version of milestone evidence (佐证材料); corrections append a new version. */
export interface Evidence {
  id: string;
  quarter: Quarter | null;
  milestoneId: string | null;
  /** The whole text, or its summary when `textRef` points at the stored text. */
  text: string;
  textRef: TextRef | null;
  files: EvidenceFile[];
  indicatorActuals: IndicatorActual[];
  version: number;
  supersedes: string | null;
  supersededBy: string | null;
  correctionReason: string | null;
  submittedBy: string;
  at: IsoDateTime;
}

export interface Finding {
  /** `missing_evidence` findings are recorded by the engine when a quarter falls due without evidence. */
  kind: 'missing_evidence' | 'inspector';
  text: string;
}

/** Quarterly inspection (季度督查). */
export interface Inspection {
  quarter: Quarter;
  /** True once the quarter's evidence deadline passed (the timer fired). */
  due: boolean;
  dueAt: IsoDateTime | null;
  rating: Rating | null;
  findings: Finding[];
  missingEvidence: boolean;
  inspectorId: string | null;
  at: IsoDateTime | null;
}

export interface LedgerReport {
  /** The whole text, or its summary when `textRef` points at the stored text. */
  text: string;
  textRef: TextRef | null;
  files: EvidenceFile[];
  by: Actor;
  at: IsoDateTime;
}

export interface LedgerSendBack {
  reason: string;
  by: Actor;
  at: IsoDateTime;
}

/** One entry of the rectification ledger (整改台账). */
export interface LedgerEntry {
  id: string;
  quarter: Quarter;
  problem: string;
  responsibleOrgId: string;
  responsiblePersonId: string;
  measures: string;
  deadline: IsoDate;
  status: LedgerStatus;
  recordedBy: string;
  recordedAt: IsoDateTime;
  reports: LedgerReport[];
  sendBacks: LedgerSendBack[];
  verifiedBy: string | null;
  closedAt: IsoDateTime | null;
  warnedAt: IsoDateTime | null;
  escalatedAt: IsoDateTime | null;
}

/** One adjustment decided at mid-year dispatch (年中调度), each with its reason. */
export type DispatchChange =
  | { kind: 'indicatorTarget'; indicatorId: string; target: number; reason: string }
  | { kind: 'updateMilestone'; milestoneId: string; title: string | null; due: IsoDate | null; reason: string }
  | { kind: 'addMilestone'; milestone: Milestone; reason: string }
  | { kind: 'addChild'; child: ChildInput; reason: string }
  | { kind: 'reassignChild'; childId: string; orgId: string; secretaryId: string; reason: string }
  | { kind: 'cancelChild'; childId: string; reason: string };

/** What a dispatch change did, in from → to form, for the record and the audit. */
export interface DispatchChangeRecord {
  kind: DispatchChange['kind'];
  field: string;
  from: JsonValue;
  to: JsonValue;
  reason: string;
}

export interface DispatchRecord {
  decision: DispatchDecision;
  changes: DispatchChangeRecord[];
  reason: string | null;
  by: string;
  at: IsoDateTime;
}

export interface CriterionScore {
  criterionId: string;
  score: number;
}

/** Self-assessment (自评). */
export interface SelfAssessment {
  scores: CriterionScore[];
  total: number;
  narrative: string;
  businessImpact: string;
  by: string;
  at: IsoDateTime;
}

export interface DeductionLine {
  code: DeductionCode;
  /** Points per occurrence, from the cycle rules. */
  pointsEach: number;
  count: number;
  /** Total points deducted by this line (`pointsEach × count`). */
  points: number;
  detail: string;
}

/** The outcome of year-end scoring, before it is attributed to a committee member. */
export interface AcceptanceScore {
  criterionScores: CriterionScore[];
  rawScore: number;
  deductions: DeductionLine[];
  totalDeduction: number;
  finalScore: number;
  grade: Grade;
}

/** Year-end acceptance (年底验收). */
export interface Acceptance extends AcceptanceScore {
  negativeList: string[];
  by: string;
  at: IsoDateTime;
}

export interface Reassignment {
  from: OrgUser;
  to: OrgUser;
  reason: string;
  by: string;
  at: IsoDateTime;
}

/** What one handover (换届/调动) moved from the outgoing to the incoming secretary in this project. */
export interface HandoverRecord {
  orgId: string;
  fromUserId: string;
  toUserId: string;
  reason: string | null;
  /** The committee user who made the change. */
  by: string;
  at: IsoDateTime;
  /** The lead (领办) passed on; false when only reviews, sub-projects or ledger entries moved. */
  lead: boolean;
  /** The pending review (审核人), the reviewer of later rounds, or the delegation (委派) moved. */
  review: boolean;
  /** Active sub-projects whose secretary entry moved. */
  childIds: string[];
  /** Open ledger entries whose responsible person moved. */
  ledgerEntryIds: string[];
}

export interface Cancellation {
  reason: string;
  by: string;
  at: IsoDateTime;
}

export interface ProjectState {
  id: string;
  cycleId: string;
  parentId: string | null;
  orgId: string;
  leadSecretaryId: string;
  /** Who reviews each new round; transfers and escalations only last for their round. */
  assignedReviewer: OrgUser;
  reviewerOrgId: string;
  reviewerId: string;
  stage: Stage;
  proposal: Proposal;
  review: ReviewState;
  letter: Letter | null;
  children: ChildProject[];
  memberItems: MemberItem[];
  evidence: Evidence[];
  inspections: Inspection[];
  ledger: LedgerEntry[];
  /** The latest dispatch decision; all of them are in `dispatchHistory`. */
  dispatch: DispatchRecord | null;
  dispatchHistory: DispatchRecord[];
  /** For a sub-project: moves to another org or secretary decided by the parent's dispatch. */
  reassignments: Reassignment[];
  /** For a sub-project cancelled at the parent's dispatch. */
  cancellation: Cancellation | null;
  /**
   * Secretary handovers (换届/调动) in order: who led and reviewed when. Absent until the first one,
   * so states, projections and histories recorded before handovers existed stay byte-identical.
   */
  handovers?: HandoverRecord[];
  selfAssessment: SelfAssessment | null;
  acceptance: Acceptance | null;
  /** 0..1: own weighted indicator progress rolled up with the children's ("1+N"). */
  progress: number;
  /** Number of events applied. */
  version: number;
  createdAt: IsoDateTime;
  updatedAt: IsoDateTime;
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

interface EventBase {
  actor: Actor;
  at: IsoDateTime;
}

export interface ChildInput {
  id: string;
  orgId: string;
  secretaryId: string;
  title: string;
}

export interface ProblemInput {
  /** Becomes the ledger entry id. */
  id: string;
  problem: string;
  responsibleOrgId: string;
  responsiblePersonId: string;
  measures: string;
  deadline: IsoDate;
}

export interface MemberItemInput {
  id: string;
  memberId: string;
  kind: MemberItemKind;
  title: string;
  target: number;
  unit: string;
}

/** Propose a draft (立项), or create a sub-project from a parent's decomposition (`parentId`). */
export interface CreateEvent extends EventBase {
  type: 'create';
  projectId: string;
  cycleId: string;
  parentId: string | null;
  orgId: string;
  leadSecretaryId: string;
  reviewer: OrgUser;
  proposal: ProposalInput;
}

export interface EditDraftEvent extends EventBase {
  type: 'editDraft';
  changes: Partial<ProposalInput>;
}

export interface SubmitEvent extends EventBase {
  type: 'submit';
}

/** 拿回: the proposer takes a submission back before the reviewer acted on it. */
export interface WithdrawEvent extends EventBase {
  type: 'withdraw';
  reason?: string | null;
}

export interface ApproveEvent extends EventBase {
  type: 'approve';
  comment?: string | null;
}

export interface ReturnEvent extends EventBase {
  type: 'return';
  comments: string;
}

export interface RejectEvent extends EventBase {
  type: 'reject';
  reason: string;
}

/** 转办: hand the review to another reviewer, who then decides. */
export interface TransferReviewEvent extends EventBase {
  type: 'transferReview';
  to: OrgUser;
  reason?: string | null;
}

/** 委派: ask a delegate for an opinion; the reviewer still decides. */
export interface DelegateReviewEvent extends EventBase {
  type: 'delegateReview';
  to: OrgUser;
  note?: string | null;
}

export interface DelegateOpinionEvent extends EventBase {
  type: 'delegateOpinion';
  recommendation: Recommendation;
  opinion: string;
}

/** 催办: a manual reminder to the reviewer. */
export interface RemindReviewEvent extends EventBase {
  type: 'remindReview';
  note?: string | null;
}

export interface ReviewTimeoutReminderEvent extends EventBase {
  type: 'reviewTimeoutReminder';
  /** The round the timer was started for; a stale timer is refused. */
  round: number;
}

export interface ReviewEscalatedEvent extends EventBase {
  type: 'reviewEscalated';
  round: number;
}

export interface SignLetterEvent extends EventBase {
  type: 'signLetter';
  text: string;
}

export interface DecomposeEvent extends EventBase {
  type: 'decompose';
  children: ChildInput[];
}

export interface ChildUpdatedEvent extends EventBase {
  type: 'childUpdated';
  childId: string;
  stage: Stage;
  progress: number;
}

export interface AddMemberItemEvent extends EventBase {
  type: 'addMemberItem';
  item: MemberItemInput;
}

export interface UpdateMemberItemActualEvent extends EventBase {
  type: 'updateMemberItemActual';
  itemId: string;
  actual: number;
}

export interface SubmitEvidenceEvent extends EventBase {
  type: 'submitEvidence';
  evidenceId: string;
  quarter: Quarter | null;
  milestoneId: string | null;
  /** Inline text (at most INLINE_TEXT_MAX characters), or the summary of `textRef`. */
  text: string;
  textRef?: TextRef | null;
  files: EvidenceFile[];
  indicatorActuals: IndicatorActual[];
}

/** A correction appends a new version that supersedes `supersedes`; it keeps its quarter and milestone. */
export interface CorrectEvidenceEvent extends EventBase {
  type: 'correctEvidence';
  evidenceId: string;
  supersedes: string;
  /** Inline text (at most INLINE_TEXT_MAX characters), or the summary of `textRef`. */
  text: string;
  textRef?: TextRef | null;
  files: EvidenceFile[];
  indicatorActuals: IndicatorActual[];
  reason: string;
}

export interface InspectionDueEvent extends EventBase {
  type: 'inspectionDue';
  quarter: Quarter;
}

export interface RecordInspectionEvent extends EventBase {
  type: 'recordInspection';
  quarter: Quarter;
  rating: Rating;
  findings: string[];
  problems: ProblemInput[];
}

export interface ReportRectificationEvent extends EventBase {
  type: 'reportRectification';
  entryId: string;
  /** Inline text (at most INLINE_TEXT_MAX characters), or the summary of `textRef`. */
  text: string;
  textRef?: TextRef | null;
  files?: EvidenceFile[];
}

export interface VerifyRectificationEvent extends EventBase {
  type: 'verifyRectification';
  entryId: string;
}

export interface SendBackRectificationEvent extends EventBase {
  type: 'sendBackRectification';
  entryId: string;
  reason: string;
}

export interface LedgerOverdueWarningEvent extends EventBase {
  type: 'ledgerOverdueWarning';
  entryId: string;
}

export interface LedgerEscalatedEvent extends EventBase {
  type: 'ledgerEscalated';
  entryId: string;
}

/**
 * Mid-year dispatch: `continue` and `terminate` carry no changes; `adjust` carries at least one;
 * `terminate` needs a reason.
 */
export interface DispatchEvent extends EventBase {
  type: 'dispatch';
  decision: DispatchDecision;
  changes: DispatchChange[];
  reason?: string | null;
}

/** Sent to a sub-project whose parent cancelled it at dispatch (by the committee, or relayed by the engine as `system:rollup`). */
export interface CancelSubProjectEvent extends EventBase {
  type: 'cancelSubProject';
  reason: string;
}

/** Sent to a sub-project whose parent reassigned it at dispatch (by the committee, or relayed by the engine as `system:rollup`). */
export interface ReassignSubProjectEvent extends EventBase {
  type: 'reassignSubProject';
  orgId: string;
  leadSecretaryId: string;
  reason: string;
}

/**
 * 换届/调动: the secretary of `orgId` changed from `fromUserId` to `toUserId`, so whatever the old
 * secretary held in this project for that org passes to the new one. Sent by the committee.
 */
export interface HandOverEvent extends EventBase {
  type: 'handOver';
  orgId: string;
  fromUserId: string;
  toUserId: string;
  reason?: string | null;
}

export interface SelfAssessEvent extends EventBase {
  type: 'selfAssess';
  scores: CriterionScore[];
  narrative: string;
  businessImpact: string;
}

export interface AcceptanceInput {
  criterionScores: CriterionScore[];
  /** Items the committee puts on the negative list (负面清单); each is one deduction. */
  negativeList: string[];
}

export interface AcceptEvent extends EventBase, AcceptanceInput {
  type: 'accept';
}

export type LifecycleEvent =
  | CreateEvent
  | EditDraftEvent
  | SubmitEvent
  | WithdrawEvent
  | ApproveEvent
  | ReturnEvent
  | RejectEvent
  | TransferReviewEvent
  | DelegateReviewEvent
  | DelegateOpinionEvent
  | RemindReviewEvent
  | ReviewTimeoutReminderEvent
  | ReviewEscalatedEvent
  | SignLetterEvent
  | DecomposeEvent
  | ChildUpdatedEvent
  | AddMemberItemEvent
  | UpdateMemberItemActualEvent
  | SubmitEvidenceEvent
  | CorrectEvidenceEvent
  | InspectionDueEvent
  | RecordInspectionEvent
  | ReportRectificationEvent
  | VerifyRectificationEvent
  | SendBackRectificationEvent
  | LedgerOverdueWarningEvent
  | LedgerEscalatedEvent
  | DispatchEvent
  | CancelSubProjectEvent
  | ReassignSubProjectEvent
  | HandOverEvent
  | SelfAssessEvent
  | AcceptEvent;

export type LifecycleEventType = LifecycleEvent['type'];

export type EventOf<T extends LifecycleEventType> = Extract<LifecycleEvent, { type: T }>;

// ---------------------------------------------------------------------------------------------
// Refusals and results
// ---------------------------------------------------------------------------------------------

/**
 * Why an event was refused. `rule` is a stable dotted id (e.g. `stage.submit_requires_draft`);
 * status 403 = wrong actor, role or org; 409 = wrong stage or state; 400 = invalid payload.
 */
export interface Refusal {
  rule: string;
  message: string;
  messageZh: string;
  status: 403 | 409 | 400;
}

export type ApplyResult = { ok: true; state: ProjectState } | { ok: false; refusal: Refusal };
