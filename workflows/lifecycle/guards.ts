/** Who may act, and in which stage: the checks shared by the phase handlers. */
import { ROLE_LABELS } from './labels';
import { forbidden, invalid, wrongStage } from './refusals';
import { ROLLUP_ACTOR_ID, TIMER_ACTOR_ID } from './types';
import type { Actor, PersonActor, ProjectState, Refusal, Role, Stage } from './types';
import { isId, oneOf } from './validation';

const ROLES: readonly Role[] = ['committee', 'secretary', 'inspector', 'auditor', 'member'];

/** The actor is well-formed: a person in a known role, or one of the system actors. */
export function validateActor(actor: unknown): Refusal | null {
  const a = actor as Partial<Actor> | null | undefined;
  const bad = invalid('event.actor_invalid', 'the event needs an actor with userId, role and orgId', '事件须注明操作人、角色和所属组织');
  if (a === null || typeof a !== 'object' || !isId(a.userId) || !isId(a.orgId)) return bad;
  if (a.role === 'system') return a.userId === TIMER_ACTOR_ID || a.userId === ROLLUP_ACTOR_ID ? null : bad;
  // A person can never pass for the engine.
  return oneOf(ROLES, a.role) && !a.userId.startsWith('system:') ? null : bad;
}

export function isPerson(actor: Actor): actor is PersonActor {
  return actor.role !== 'system';
}

/** The project's lead secretary (领办书记), acting as secretary of the project's org. */
export function requireLeadSecretary(state: ProjectState, actor: Actor, whatEn: string, whatZh: string): Refusal | null {
  if (actor.role !== 'secretary') {
    return forbidden('actor.not_lead_secretary', `only the project's lead secretary may ${whatEn}`, `仅项目领办书记可${whatZh}`);
  }
  if (actor.orgId !== state.orgId) {
    return forbidden('actor.wrong_org', `only the secretary of org ${state.orgId} may ${whatEn}`, `仅${state.orgId}组织书记可${whatZh}`);
  }
  if (actor.userId !== state.leadSecretaryId) {
    return forbidden('actor.not_lead_secretary', `only the project's lead secretary may ${whatEn}`, `仅项目领办书记可${whatZh}`);
  }
  return null;
}

/** The current reviewer: the committee or the secretary of the reviewing org. */
export function requireCurrentReviewer(state: ProjectState, actor: Actor, whatEn: string, whatZh: string): Refusal | null {
  if (actor.role !== 'committee' && actor.role !== 'secretary') {
    return forbidden('actor.not_reviewer', `only the current reviewer may ${whatEn}`, `仅当前审核人可${whatZh}`);
  }
  if (actor.orgId !== state.reviewerOrgId) {
    return forbidden('actor.wrong_org', `the review is with org ${state.reviewerOrgId}`, `该项目由${state.reviewerOrgId}组织审核`);
  }
  if (actor.userId !== state.reviewerId) {
    return forbidden('actor.not_current_reviewer', `only the current reviewer may ${whatEn}`, `仅当前审核人可${whatZh}`);
  }
  return null;
}

/** A person in the given role. */
export function requireRole(actor: Actor, role: Role, whatEn: string, whatZh: string): Refusal | null {
  if (actor.role === role) return null;
  return forbidden(`actor.not_${role}`, `only a ${role} may ${whatEn}`, `仅${ROLE_LABELS[role]}可${whatZh}`);
}

/** Timer events come only from the engine's deterministic clock. */
export function requireTimer(actor: Actor): Refusal | null {
  if (actor.role === 'system' && actor.userId === TIMER_ACTOR_ID) return null;
  return forbidden('actor.not_timer', 'only the system timer sends this event', '该事件仅由系统定时器触发');
}

/** Child progress arrives only from the child workflow, through the engine. */
export function requireRollup(actor: Actor): Refusal | null {
  if (actor.role === 'system' && actor.userId === ROLLUP_ACTOR_ID) return null;
  return forbidden('actor.not_rollup', 'only the engine reports a sub-project update', '子项目进展仅由系统同步');
}

/**
 * A parent's dispatch decision reaching its sub-project: the committee itself, or the engine
 * relaying the parent's accepted dispatch (the rollup actor), whose record names the committee.
 */
export function requireCommitteeOrRelay(actor: Actor, whatEn: string, whatZh: string): Refusal | null {
  if (actor.role === 'system' && actor.userId === ROLLUP_ACTOR_ID) return null;
  return requireRole(actor, 'committee', whatEn, whatZh);
}

export function requireStage(state: ProjectState, allowed: readonly Stage[], rule: string, whatEn: string, whatZh: string): Refusal | null {
  return allowed.includes(state.stage) ? null : wrongStage(rule, whatEn, whatZh, state.stage, allowed);
}

/** Work stages need the letter: before it, say so rather than just "wrong stage". */
export function requireWorkStarted(state: ProjectState, rule: string, whatEn: string, whatZh: string): Refusal | null {
  if (state.stage === 'approved') {
    return wrongStage('stage.letter_required', `${whatEn} (the responsibility letter must be signed first)`, `${whatZh}（须先签订责任书）`, state.stage, ['in_progress']);
  }
  return requireStage(state, ['in_progress'], rule, whatEn, whatZh);
}
