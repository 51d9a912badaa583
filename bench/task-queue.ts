/** The workflow-task backlog of a task queue, for benches that must not measure one load queued behind another. */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/** Workflow tasks waiting in the task queue (Temporal's approximate backlog count). */
export async function workflowBacklog(client: Client, taskQueue: string): Promise<number> {
  const response = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    reportStats: true,
  });
  return Number(response.stats?.approximateBacklogCount ?? 0);
}

/** Waits until the workers have taken every waiting workflow task (three empty readings in a row); the seconds it took. */
export async function drainWorkflowTasks(client: Client, taskQueue: string, limitMs = 10 * 60_000): Promise<number> {
  const t = performance.now();
  for (let empty = 0; empty < 3 && performance.now() - t < limitMs; ) {
    empty = (await workflowBacklog(client, taskQueue)) === 0 ? empty + 1 : 0;
    if (empty < 3) await new Promise((r) => setTimeout(r, 250));
  }
  return (performance.now() - t) / 1000;
}
