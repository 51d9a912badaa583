/**
 * The project lifecycle (党建项目全周期管理) as a pure, deterministic state machine.
 * Safe to import from Temporal workflow code: no I/O, no clock, no randomness.
 */
export * from './types';
export * from './labels';
export { INLINE_TEXT_MAX, STATE_MAX_BYTES, checkStateSize, checkStorableText, findUnstorableText, jsonBytes, unstorableCharacter, unstorableReasonZh } from './limits';
export { apply, validate, replay, replaySteps, stateAt, LIFECYCLE_EVENT_TYPES } from './machine';
export { subProjectCreateEvent, reviewerActedThisRound } from './proposal';
export { unsettledChildren } from './closing';
export {
  computeAcceptance,
  computeProgress,
  gradeFor,
  hasEvidenceForQuarter,
  indicatorProgress,
  keyProjectShortfall,
  ledgerCleared,
  missingEvidenceQuarters,
  rankBestOf,
  rectificationRate,
} from './scoring';
export { isFinal, isSettled, STAGES } from './stages';
export { LifecycleRefusalError } from './refusals';
export { CYCLE_UTC_OFFSET, deadlineMs, isIsoDate, isIsoDateTime } from './time';
export { validateCycleConfig } from './validation';

import { ROLLUP_ACTOR_ID, TIMER_ACTOR_ID } from './types';
import type { SystemActor } from './types';

/** The actor of a timer event for the project's org. */
export function timerActor(orgId: string): SystemActor {
  return { userId: TIMER_ACTOR_ID, role: 'system', orgId };
}

/** The actor of a child → parent roll-up (`childUpdated`). */
export function rollupActor(orgId: string): SystemActor {
  return { userId: ROLLUP_ACTOR_ID, role: 'system', orgId };
}
