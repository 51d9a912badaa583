/**
 * The lifecycle state machine: events in, state out. Pure and deterministic, so the project
 * workflow, the API's pre-checks and the audit replay all run the very same rules.
 */
import { accept, dispatch, selfAssess } from './closing';
import {
  addMemberItem,
  cancelSubProject,
  childUpdated,
  correctEvidence,
  decompose,
  reassignSubProject,
  submitEvidence,
  updateMemberItemActual,
} from './execution';
import { validateActor } from './guards';
import { handOver } from './handover';
import type { Handler } from './handler';
import {
  inspectionDue,
  ledgerEscalated,
  ledgerOverdueWarning,
  recordInspection,
  reportRectification,
  sendBackRectification,
  verifyRectification,
} from './inspection';
import { createProject, editDraft, signLetter, submit, withdraw } from './proposal';
import { conflict, forbidden, invalid, LifecycleRefusalError } from './refusals';
import {
  approve,
  delegateOpinion,
  delegateReview,
  reject,
  remindReview,
  returnForRevision,
  reviewEscalated,
  reviewTimeoutReminder,
  transferReview,
} from './review';
import { checkStorableText } from './limits';
import { computeProgress } from './scoring';
import { instantMs } from './time';
import type { ApplyResult, CycleConfig, IsoDateTime, LifecycleEvent, LifecycleEventType, ProjectState, Refusal } from './types';
import { validateAt } from './validation';

type TransitionType = Exclude<LifecycleEventType, 'create'>;

const HANDLERS: { [T in TransitionType]: Handler<T> } = {
  editDraft,
  submit,
  withdraw,
  approve,
  return: returnForRevision,
  reject,
  transferReview,
  delegateReview,
  delegateOpinion,
  remindReview,
  reviewTimeoutReminder,
  reviewEscalated,
  signLetter,
  decompose,
  childUpdated,
  addMemberItem,
  updateMemberItemActual,
  submitEvidence,
  correctEvidence,
  inspectionDue,
  recordInspection,
  reportRectification,
  verifyRectification,
  sendBackRectification,
  ledgerOverdueWarning,
  ledgerEscalated,
  dispatch,
  cancelSubProject,
  reassignSubProject,
  handOver,
  selfAssess,
  accept,
};

/** Every event type the machine knows, in lifecycle order. */
export const LIFECYCLE_EVENT_TYPES: readonly LifecycleEventType[] = ['create', ...(Object.keys(HANDLERS) as TransitionType[])];

/** Events sent by the engine's timers (actor `system:timer`). */
export const TIMER_EVENT_TYPES: readonly LifecycleEventType[] = [
  'reviewTimeoutReminder',
  'reviewEscalated',
  'inspectionDue',
  'ledgerOverdueWarning',
  'ledgerEscalated',
];

function isKnownType(type: unknown): type is LifecycleEventType {
  return typeof type === 'string' && (LIFECYCLE_EVENT_TYPES as readonly string[]).includes(type);
}

/** Checks that hold for every event: a known type, a well-formed actor and time, and no auditor. */
function checkEnvelope(event: LifecycleEvent): Refusal | null {
  if (event === null || typeof event !== 'object' || !isKnownType(event.type)) {
    return invalid('event.unknown_type', `unknown event type ${String((event as { type?: unknown } | null)?.type)}`, '未知的事件类型');
  }
  const actor = validateActor(event.actor);
  if (actor) return actor;
  if (event.actor.role === 'auditor') {
    return forbidden('actor.auditor_read_only', 'auditors read and replay; they do not act', '审计员仅可查阅和回放，不能操作');
  }
  const at = validateAt(event.at);
  if (at) return at;
  return checkStorableText(event);
}

/** A private deep copy; JSON also guarantees that whatever a handler stores stays serialisable. */
function copy(state: ProjectState): ProjectState {
  return JSON.parse(JSON.stringify(state)) as ProjectState;
}

function finish(next: ProjectState, previousVersion: number, at: IsoDateTime): ApplyResult {
  next.version = previousVersion + 1;
  next.updatedAt = at;
  next.progress = computeProgress(next);
  return { ok: true, state: next };
}

/**
 * Applies one event. `state` is null only for `create`. The input state is never modified; a
 * refused event leaves no trace and returns the rule it broke.
 */
export function apply(state: ProjectState | null, event: LifecycleEvent, cycle: CycleConfig): ApplyResult {
  const envelope = checkEnvelope(event);
  if (envelope) return { ok: false, refusal: envelope };

  if (event.type === 'create') {
    if (state !== null) return { ok: false, refusal: conflict('project.already_created', `project ${state.id} already exists`, '项目已存在') };
    const created = createProject(event, cycle);
    if ('rule' in created) return { ok: false, refusal: created };
    return finish(created, 0, event.at);
  }
  if (state === null) {
    return { ok: false, refusal: conflict('project.not_created', 'the project has not been created yet', '项目尚未创建') };
  }
  if (state.cycleId !== cycle.cycleId) {
    return { ok: false, refusal: conflict('project.cycle_mismatch', `the project belongs to cycle ${state.cycleId}`, '项目不属于当前年度周期') };
  }

  const draft = copy(state);
  // The handler table is keyed by event type, so the lookup always matches the event.
  const handler = HANDLERS[event.type] as Handler<TransitionType>;
  const refusal = handler(draft, event as never, cycle);
  if (refusal) return { ok: false, refusal };
  return finish(draft, state.version, event.at);
}

/** The refusal `apply` would give, or null if the event would be accepted (for Update validators). */
export function validate(state: ProjectState | null, event: LifecycleEvent, cycle: CycleConfig): Refusal | null {
  const result = apply(state, event, cycle);
  return result.ok ? null : result.refusal;
}

function fold(events: readonly LifecycleEvent[], cycle: CycleConfig, each: (state: ProjectState) => void): ProjectState | null {
  let state: ProjectState | null = null;
  events.forEach((event, index) => {
    const result = apply(state, event, cycle);
    if (!result.ok) throw new LifecycleRefusalError(result.refusal, index, String((event as { type?: unknown } | null)?.type));
    state = result.state;
    each(result.state);
  });
  return state;
}

/** The state after each event in turn; throws LifecycleRefusalError if any event is refused. */
export function replaySteps(events: readonly LifecycleEvent[], cycle: CycleConfig): ProjectState[] {
  const states: ProjectState[] = [];
  fold(events, cycle, (s) => states.push(s));
  return states;
}

/** Folds a history (starting with `create`) into the project's state; throws if any event is refused. */
export function replay(events: readonly LifecycleEvent[], cycle: CycleConfig): ProjectState {
  const state = fold(events, cycle, () => undefined);
  if (state === null) throw new Error('replay needs at least the create event');
  return state;
}

/** The state as of a moment: the history's events up to and including `at`, or null before creation. */
export function stateAt(events: readonly LifecycleEvent[], cycle: CycleConfig, at: IsoDateTime): ProjectState | null {
  const limit = instantMs(at);
  const end = events.findIndex((e) => instantMs(e.at) > limit);
  const upTo = end === -1 ? events : events.slice(0, end);
  return upTo.length === 0 ? null : replay(upTo, cycle);
}
