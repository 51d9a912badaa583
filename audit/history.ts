/**
 * A project's raw Temporal history: every run of its workflow (continue-as-new chains), exported in
 * the JSON of `temporal workflow show --output json` (what Temporal's CLI and replayers read), and
 * what the history itself says: the cycle the workflow started with, the events it handed to
 * `persistProject`, and the view it returned.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyFromJSON, historyToJSON, type History } from '@temporalio/common/lib/proto-utils';
import type { PersistProjectInput } from '../activities/projects';
import type { CycleConfig, LifecycleEvent } from '../workflows/lifecycle';
import { getProjectQuery, type ProjectView } from '../workflows/messages';
import type { ProjectWorkflowInput } from '../workflows/project';

export type { History };

/** One run of a workflow with its full event history. */
export interface RunHistory {
  workflowId: string;
  runId: string;
  history: History;
}

type Payloads = { payloads?: unknown[] | null } | null | undefined;

function firstPayload<T>(payloads: Payloads): T | undefined {
  const payload = payloads?.payloads?.[0];
  if (!payload) return undefined;
  try {
    return defaultPayloadConverter.fromPayload<T>(payload as never);
  } catch {
    return undefined;
  }
}

function startedAttributes(history: History) {
  return history.events?.[0]?.workflowExecutionStartedEventAttributes ?? undefined;
}

/** Fetches one run (the latest when `runId` is absent). */
export async function fetchRun(client: Client, workflowId: string, runId?: string): Promise<RunHistory> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const id = runId ?? (await handle.describe()).runId;
  const history = await client.workflow.getHandle(workflowId, id).fetchHistory();
  return { workflowId, runId: id, history };
}

/**
 * Every run of the workflow, oldest first, found by following each run's `continuedExecutionRunId`
 * back from the latest (no reliance on the eventually consistent visibility store). Empty when
 * Temporal no longer has the workflow (e.g. past the namespace's retention).
 */
export async function fetchRunHistories(client: Client, workflowId: string): Promise<RunHistory[]> {
  let latest: RunHistory;
  try {
    latest = await fetchRun(client, workflowId);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError || (error as { name?: string }).name === 'WorkflowNotFoundError') return [];
    throw error;
  }
  const runs = [latest];
  for (let previous = startedAttributes(latest.history)?.continuedExecutionRunId; previous && runs.length < 10_000; ) {
    const run = await fetchRun(client, workflowId, previous);
    runs.unshift(run);
    previous = startedAttributes(run.history)?.continuedExecutionRunId;
  }
  return runs;
}

/** The history as a JSON value, exactly as `temporal workflow show --output json` prints it. */
export function historyToJsonValue(history: History): unknown {
  return JSON.parse(historyToJSON(history)) as unknown;
}

/** A history read back from that JSON (a CLI export or an audit archive). */
export function historyFromJsonValue(json: unknown): History {
  return historyFromJSON(json);
}

/** The cycle configuration the run was started with. */
export function cycleFromHistory(history: History): CycleConfig | undefined {
  return firstPayload<ProjectWorkflowInput>(startedAttributes(history)?.input)?.cycle;
}

/** The view the workflow returned, when the run completed. */
export function resultFromHistory(history: History): ProjectView | undefined {
  const last = history.events?.at(-1);
  return firstPayload<ProjectView>(last?.workflowExecutionCompletedEventAttributes?.result);
}

/** Lifecycle events the workflow handed to `persistProject`, by seq: those whose activity completed, and those still in flight. */
export interface PersistedByWorkflow {
  completed: Map<number, LifecycleEvent>;
  pending: Map<number, LifecycleEvent>;
}

export function persistedEvents(runs: readonly RunHistory[]): PersistedByWorkflow {
  const completed = new Map<number, LifecycleEvent>();
  const pending = new Map<number, LifecycleEvent>();
  for (const { history } of runs) {
    const events = history.events ?? [];
    const done = new Set(events.map((e) => e.activityTaskCompletedEventAttributes?.scheduledEventId).filter((id) => id != null).map(String));
    for (const e of events) {
      const scheduled = e.activityTaskScheduledEventAttributes;
      if (scheduled?.activityType?.name !== 'persistProject') continue;
      const input = firstPayload<PersistProjectInput>(scheduled.input);
      const target = done.has(String(e.eventId)) ? completed : pending;
      for (const { seq, event } of input?.events ?? []) target.set(seq, event);
    }
  }
  for (const seq of completed.keys()) pending.delete(seq);
  return { completed, pending };
}

/**
 * What the workflow reports as its state: the result of a completed workflow (read from its history,
 * no worker needed), or the answer to `getProject` for one still running.
 */
export async function reportedView(client: Client, workflowId: string, latest: RunHistory | undefined, timeoutMs = 15_000): Promise<ProjectView> {
  const result = latest ? resultFromHistory(latest.history) : undefined;
  if (result) return result;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      client.workflow.getHandle(workflowId).query(getProjectQuery),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`query getProject on ${workflowId} timed out after ${timeoutMs} ms (is a worker running?)`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
