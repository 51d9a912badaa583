/** Refusal builders: every broken rule has a stable id, an English and a Chinese message. */
import { STAGE_LABELS } from './labels';
import type { LifecycleEventType, Refusal, Stage } from './types';

/** 403: the actor's role, org or identity does not allow this. */
export function forbidden(rule: string, message: string, messageZh: string): Refusal {
  return { rule, message, messageZh, status: 403 };
}

/** 409: the project is not in a stage or state that allows this. */
export function conflict(rule: string, message: string, messageZh: string): Refusal {
  return { rule, message, messageZh, status: 409 };
}

/** 400: the event's payload is invalid. */
export function invalid(rule: string, message: string, messageZh: string): Refusal {
  return { rule, message, messageZh, status: 400 };
}

/** Refusal for an event sent in the wrong stage; `rule` is `stage.<what>_requires_<stage>`. */
export function wrongStage(rule: string, what: string, whatZh: string, current: Stage, allowed: readonly Stage[]): Refusal {
  const en = allowed.join(' or ');
  const zh = allowed.map((s) => STAGE_LABELS[s]).join('或');
  return conflict(
    rule,
    `${what} requires stage ${en}; the project is ${current}`,
    `${whatZh}仅限${zh}阶段，当前项目为${STAGE_LABELS[current]}`,
  );
}

/** Thrown by `replay` when a recorded event is refused: the history and the rules disagree. */
export class LifecycleRefusalError extends Error {
  readonly refusal: Refusal;
  readonly eventIndex: number;
  readonly eventType: LifecycleEventType | string;

  constructor(refusal: Refusal, eventIndex: number, eventType: LifecycleEventType | string) {
    super(`event #${eventIndex} (${eventType}) refused by ${refusal.rule}: ${refusal.message}`);
    this.name = 'LifecycleRefusalError';
    this.refusal = refusal;
    this.eventIndex = eventIndex;
    this.eventType = eventType;
  }
}
