/** Every workflow the worker registers. Deterministic code only: no I/O, no Node built-ins. */
export { wiringCheckWorkflow } from './wiring-check';
export { projectWorkflow } from './project';
export { launchCycleWorkflow } from './launch-cycle';
export { emptyWorkflow } from './empty';
