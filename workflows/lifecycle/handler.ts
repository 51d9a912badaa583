import type { CycleConfig, EventOf, LifecycleEventType, ProjectState, Refusal } from './types';

/**
 * A phase handler checks one event against the project and, if it passes, applies it to `draft`.
 * `draft` is the machine's private copy: a handler may refuse after changing it (the copy is then
 * dropped), which lets multi-step events such as an adjusting dispatch validate as they apply.
 */
export type Handler<T extends LifecycleEventType> = (draft: ProjectState, event: EventOf<T>, cycle: CycleConfig) => Refusal | null;

