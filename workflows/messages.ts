/**
 * The project workflow's Updates, Signals and Queries as typed constants, imported by the workflow,
 * the API and the tests alike so a rename cannot drift. Actions whose caller needs an answer or a
 * refusal are Updates with validators; engine-internal notices (child → parent roll-up, parent →
 * child cancellation) are Signals; state is read by Queries.
 */
import type { UpdateDefinition } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { EventOf, LifecycleEvent, LifecycleEventType, ProjectState } from './lifecycle';

/** What a caller sends: the event without its time, which the workflow stamps from its own clock. */
export type Command<T extends LifecycleEventType> = Omit<EventOf<T>, 'at'>;

export interface ProjectView {
  state: ProjectState;
  /** Number of lifecycle events applied over the project's whole life (across continue-as-new). */
  seq: number;
}

/**
 * What an Update answers: small by design, because every answer is recorded in the workflow's
 * history. Whoever needs the whole state reads it with `getProjectQuery` (queries leave no trace).
 */
export interface ActionResult {
  /** The event sequence number the action produced (its number in the event log). */
  seq: number;
  version: number;
  stage: ProjectState['stage'];
  progress: number;
  /**
   * The workflow time the event carries (its `at`): with the command and the state it was applied
   * to, the caller can fold the same event with the same core instead of querying the workflow.
   * Absent from answers recorded before it was added.
   */
  at?: string;
}

function update<T extends LifecycleEventType>(name: string) {
  return defineUpdate<ActionResult, [Command<T>]>(name);
}

/** 修改草稿 */
export const editDraftUpdate = update<'editDraft'>('editDraft');
/** 提交审核 */
export const submitProposalUpdate = update<'submit'>('submitProposal');
/** 拿回 */
export const withdrawProposalUpdate = update<'withdraw'>('withdrawProposal');
/** 审核通过 */
export const approveProposalUpdate = update<'approve'>('approveProposal');
/** 退回修改 */
export const returnProposalUpdate = update<'return'>('returnProposal');
/** 不予立项 */
export const rejectProposalUpdate = update<'reject'>('rejectProposal');
/** 转办 */
export const transferReviewUpdate = update<'transferReview'>('transferReview');
/** 委派 */
export const delegateReviewUpdate = update<'delegateReview'>('delegateReview');
/** 委派意见 */
export const delegateOpinionUpdate = update<'delegateOpinion'>('delegateOpinion');
/** 催办 */
export const remindReviewUpdate = update<'remindReview'>('remindReview');
/** 签订责任书 */
export const signLetterUpdate = update<'signLetter'>('signLetter');
/** 1+N 分解 */
export const decomposeProjectUpdate = update<'decompose'>('decomposeProject');
/** 党员承诺践诺 / 个人突破清单 / 党员先锋岗 */
export const addMemberItemUpdate = update<'addMemberItem'>('addMemberItem');
export const updateMemberItemActualUpdate = update<'updateMemberItemActual'>('updateMemberItemActual');
/** 佐证材料 */
export const submitEvidenceUpdate = update<'submitEvidence'>('submitEvidence');
export const correctEvidenceUpdate = update<'correctEvidence'>('correctEvidence');
/** 季度督查 */
export const recordInspectionUpdate = update<'recordInspection'>('recordInspection');
/** 整改台账 */
export const reportRectificationUpdate = update<'reportRectification'>('reportRectification');
export const verifyRectificationUpdate = update<'verifyRectification'>('verifyRectification');
export const sendBackRectificationUpdate = update<'sendBackRectification'>('sendBackRectification');
/** 年中调度 */
export const dispatchProjectUpdate = update<'dispatch'>('dispatchProject');
/** 自评 */
export const selfAssessUpdate = update<'selfAssess'>('selfAssess');
/** 年底验收 */
export const acceptProjectUpdate = update<'accept'>('acceptProject');
/** 书记换届交接: the committee passes what the outgoing secretary held to the incoming one. */
export const handOverUpdate = update<'handOver'>('handOver');

/** Every person-driven Update, by the lifecycle event it carries. */
export const PERSON_UPDATES = {
  editDraft: editDraftUpdate,
  submit: submitProposalUpdate,
  withdraw: withdrawProposalUpdate,
  approve: approveProposalUpdate,
  return: returnProposalUpdate,
  reject: rejectProposalUpdate,
  transferReview: transferReviewUpdate,
  delegateReview: delegateReviewUpdate,
  delegateOpinion: delegateOpinionUpdate,
  remindReview: remindReviewUpdate,
  signLetter: signLetterUpdate,
  decompose: decomposeProjectUpdate,
  addMemberItem: addMemberItemUpdate,
  updateMemberItemActual: updateMemberItemActualUpdate,
  submitEvidence: submitEvidenceUpdate,
  correctEvidence: correctEvidenceUpdate,
  recordInspection: recordInspectionUpdate,
  reportRectification: reportRectificationUpdate,
  verifyRectification: verifyRectificationUpdate,
  sendBackRectification: sendBackRectificationUpdate,
  dispatch: dispatchProjectUpdate,
  selfAssess: selfAssessUpdate,
  accept: acceptProjectUpdate,
  handOver: handOverUpdate,
} as const;

export type PersonEventType = keyof typeof PERSON_UPDATES;

/** The Update definition of each person-driven event type, typed by its command. */
export type PersonUpdates = { [T in PersonEventType]: UpdateDefinition<ActionResult, [Command<T>]> };

/** The Update of one event type, typed so `executeUpdate(personUpdate(type), { args: [command] })` needs no cast. */
export function personUpdate<T extends PersonEventType>(type: T): PersonUpdates[T] {
  return PERSON_UPDATES[type] as unknown as PersonUpdates[T];
}

/** A sub-project reports its stage and progress to its parent (roll-up). */
export const childUpdatedSignal = defineSignal<[{ childId: string; stage: ProjectState['stage']; progress: number }]>('childUpdated');
/** The parent cancelled this sub-project at dispatch. */
export const cancelSubProjectSignal = defineSignal<[{ reason: string; byOrgId: string }]>('cancelSubProject');
/** The parent reassigned this sub-project to another org and secretary at dispatch. */
export const reassignSubProjectSignal = defineSignal<[{ orgId: string; leadSecretaryId: string; reason: string; byOrgId: string }]>('reassignSubProject');

export const getProjectQuery = defineQuery<ProjectView>('getProject');
/** How far the workflow has come (its event count), without the state: cheap whatever the project's size. */
export const getSeqQuery = defineQuery<{ seq: number; stage: ProjectState['stage'] }>('getSeq');
/** The lifecycle events applied in the current run (earlier runs' events are in the event log). */
export const getRunEventsQuery = defineQuery<{ firstSeq: number; events: LifecycleEvent[] }>('getRunEvents');

/** The ApplicationFailure type of a lifecycle refusal (its details[0] is the Refusal). */
export const LIFECYCLE_REFUSAL = 'LifecycleRefusal';

/** Deterministic workflow id of a project or sub-project. */
export function projectWorkflowId(cycleId: string, projectId: string): string {
  return `project/${cycleId}/${projectId}`;
}
