/** Stage sets of the lifecycle (see DESIGN §4). */
import type { Stage } from './types';

export const STAGES: readonly Stage[] = [
  'draft',
  'in_review',
  'approved',
  'rejected',
  'in_progress',
  'self_assessed',
  'accepted',
  'failed',
  'terminated',
  'cancelled',
];

/** Stages in which a project's work is over for the purpose of its parent's acceptance. */
const SETTLED: readonly Stage[] = ['accepted', 'failed', 'terminated', 'cancelled'];

/** Stages no event leaves: the settled ones and a rejected proposal. */
const FINAL: readonly Stage[] = ['rejected', ...SETTLED];

/** Settled (办结): accepted, failed, terminated or cancelled. A parent is accepted only when every child is. */
export function isSettled(stage: Stage): boolean {
  return SETTLED.includes(stage);
}

/** Final: no further lifecycle event applies (settled, or a rejected proposal). */
export function isFinal(stage: Stage): boolean {
  return FINAL.includes(stage);
}

/** Stages in which inspections and the rectification ledger stay open. */
export const OVERSIGHT_STAGES: readonly Stage[] = ['in_progress', 'self_assessed'];

/** Stages a sub-project can be cancelled or reassigned from. */
export const OPEN_STAGES: readonly Stage[] = ['draft', 'in_review', 'approved', 'in_progress', 'self_assessed'];
