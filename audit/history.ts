/**
 * A project's raw Temporal history: every run of its workflow (continue-as-new chains), exported in
 * the JSON of `temporal workflow show --output json` (what Temporal's CLI and replayers read), and
 * what the history itself says: the cycle the workflow started with, the events it handed to
 * `persistProject`, and the view it returned.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
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

/** Events asked for per page of history: small enough that a page stays far below gRPC's 4 MB message limit. */
export const HISTORY_PAGE_SIZE = 250;

function isResourceExhausted(error: unknown): boolean {
  const e = error as { code?: number; message?: string } | null;
  return e?.code === 8 || /RESOURCE_EXHAUSTED|larger than max/i.test(e?.message ?? '');
}

/**
 * Fetches one run (the latest when `runId` is absent), page by page. The client's receive limit
 * is 4 MB per message (the SDK's default channel option does not raise it), so pages are bounded by
 * event count and halved whenever a page of unusually large events is still refused as too large.
 */
export async function fetchRun(client: Client, workflowId: string, runId?: string): Promise<RunHistory> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const id = runId ?? (await handle.describe()).runId;
  const events: NonNullable<History['events']> = [];
  let nextPageToken: Uint8Array | undefined;
  let pageSize = HISTORY_PAGE_SIZE;
  for (;;) {
    let response;
    try {
      response = await client.workflowService.getWorkflowExecutionHistory({
        namespace: client.options.namespace,
        execution: { workflowId, runId: id },
        maximumPageSize: pageSize,
        nextPageToken,
      });
    } catch (error) {
      if (isResourceExhausted(error) && pageSize > 1) {
        pageSize = Math.max(1, Math.floor(pageSize / 2));
        continue;
      }
      throw error;
    }
    events.push(...(response.history?.events ?? []));
    nextPageToken = response.nextPageToken && response.nextPageToken.length > 0 ? response.nextPageToken : undefined;
    if (!nextPageToken) break;
  }
  const history = temporal.api.history.v1.History.create({ events });
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

/** The marker a local activity leaves in the history (Temporal's core SDK). */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/**
 * Lifecycle events the workflow persisted, by seq: those whose activity completed, and those still
 * in flight. They are the input of the `persistProject` activity; from v3 a new project's create
 * event is the result of the local activity `persistProjectLocally` instead, recorded in its
 * marker once it completed (a local activity still running leaves nothing in the history). A
 * project the launcher started with `createLoggedByLauncher` has its create event in the run's
 * input, handed to the launcher's batch: pending here (the history does not say the batch was
 * written; the hash chain's length check holds the log to the workflow's own count).
 */
export interface PersistedByWorkflow {
  completed: Map<number, LifecycleEvent>;
  pending: Map<number, LifecycleEvent>;
}

export function persistedEvents(runs: readonly RunHistory[]): PersistedByWorkflow {
  const completed = new Map<number, LifecycleEvent>();
  const pending = new Map<number, LifecycleEvent>();
  for (const { history } of runs) {
    const started = firstPayload<ProjectWorkflowInput>(startedAttributes(history)?.input);
    if (started?.create && started.createLoggedByLauncher) pending.set(1, started.create);
    const events = history.events ?? [];
    const done = new Set(events.map((e) => e.activityTaskCompletedEventAttributes?.scheduledEventId).filter((id) => id != null).map(String));
    for (const e of events) {
      const marker = e.markerRecordedEventAttributes;
      if (marker?.markerName === LOCAL_ACTIVITY_MARKER) {
        const meta = firstPayload<{ activity_type?: string }>(marker.details?.data as Payloads);
        if (meta?.activity_type !== 'persistProjectLocally' || marker.failure) continue;
        const result = firstPayload<{ events?: PersistProjectInput['events'] }>(marker.details?.result as Payloads);
        for (const { seq, event } of result?.events ?? []) completed.set(seq, event);
        continue;
      }
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

/** Sizes in a set of runs: what Temporal's limits are measured against. */
export interface HistoryStats {
  runs: number;
  events: number;
  /** Encoded size of every run's history, summed. */
  bytes: number;
  /** The largest single payload (Update input or answer, activity input or result, workflow input…). */
  largestPayloadBytes: number;
  /** Where that payload was: the event's attributes (e.g. activityTaskScheduledEventAttributes). */
  largestPayloadAt: string;
  /** The largest payload of each kind of event attributes. */
  largestPayloadByAttributes: Record<string, number>;
}

function payloadSizes(value: unknown, where: string, visit: (bytes: number, where: string) => void): void {
  if (value === null || typeof value !== 'object') return;
  if (value instanceof Uint8Array) return;
  const record = value as Record<string, unknown>;
  if (record.data instanceof Uint8Array && 'metadata' in record) {
    visit(record.data.length, where);
    return;
  }
  // The enclosing `…Attributes` key names where a payload sits (arrays keep their parent's name).
  for (const [key, item] of Object.entries(record)) payloadSizes(item, key.endsWith('Attributes') ? key : where, visit);
}

/** Measures the runs' histories as Temporal stores them: total bytes, events and the largest payload. */
export function historyStats(runs: readonly RunHistory[]): HistoryStats {
  const stats: HistoryStats = { runs: runs.length, events: 0, bytes: 0, largestPayloadBytes: 0, largestPayloadAt: '', largestPayloadByAttributes: {} };
  for (const { history } of runs) {
    stats.events += history.events?.length ?? 0;
    stats.bytes += temporal.api.history.v1.History.encode(history as temporal.api.history.v1.IHistory).finish().length;
    for (const event of history.events ?? []) {
      payloadSizes(event, 'event', (bytes, where) => {
        stats.largestPayloadByAttributes[where] = Math.max(stats.largestPayloadByAttributes[where] ?? 0, bytes);
        if (bytes > stats.largestPayloadBytes) {
          stats.largestPayloadBytes = bytes;
          stats.largestPayloadAt = where;
        }
      });
    }
  }
  return stats;
}
