/**
 * Launches an annual cycle: starts its thousands of project workflows in batches. The projects are
 * top-level workflows, not children (Temporal caps pending children per workflow). Durable and
 * resumable: if the worker dies, Temporal resumes it; if it is terminated, launching again picks
 * up the projects not yet started.
 */
import { continueAsNew, defineQuery, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { nextLaunchBatch, startProjectWorkflows, launchNextBatch, markCycleStatus } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

export interface LaunchCycleInput {
  cycleId: string;
  batchSize?: number;
  concurrency?: number;
  /** Carried across continue-as-new. */
  startedSoFar?: number;
}

export interface LaunchState {
  cycleId: string;
  started: number;
  batches: number;
  done: boolean;
}

/**
 * v2 (patched): one activity per batch selects, starts and persists it; v1 ran a select and a start
 * activity per batch, each costing a workflow task. Launchers recorded before keep replaying.
 */
export const ONE_ACTIVITY_PER_BATCH_PATCH = 'launch-one-activity-per-batch-v2';

export const launchProgressQuery = defineQuery<LaunchState>('launchProgress');

export function launchWorkflowId(cycleId: string): string {
  return `launch/${cycleId}`;
}

export async function launchCycleWorkflow(input: LaunchCycleInput): Promise<LaunchState> {
  const batchSize = input.batchSize ?? 100;
  const concurrency = input.concurrency ?? 16;
  const state: LaunchState = { cycleId: input.cycleId, started: input.startedSoFar ?? 0, batches: 0, done: false };
  setHandler(launchProgressQuery, () => state);
  if (!input.startedSoFar) await markCycleStatus({ cycleId: input.cycleId, status: 'launching' });
  for (;;) {
    if (patched(ONE_ACTIVITY_PER_BATCH_PATCH)) {
      const { selected, started } = await launchNextBatch({ cycleId: input.cycleId, limit: batchSize, concurrency });
      if (selected === 0) break;
      state.started += started;
    } else {
      const batch = await nextLaunchBatch({ cycleId: input.cycleId, limit: batchSize });
      if (batch.length === 0) break;
      state.started += await startProjectWorkflows({ cycleId: input.cycleId, projectIds: batch, concurrency });
    }
    state.batches += 1;
    if (workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof launchCycleWorkflow>({ ...input, startedSoFar: state.started });
    }
  }
  await markCycleStatus({ cycleId: input.cycleId, status: 'launched' });
  state.done = true;
  return state;
}
