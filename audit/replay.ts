/**
 * Replaying Temporal histories against today's workflow code (the determinism half of the audit).
 * The workflow code comes as a prebuilt bundle (a file, as the tests and deployments have), or is
 * bundled once per process from a workflows path and kept.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import type { RunHistory } from './history';

/** Which workflow code to replay against. */
export type WorkflowCode = { workflowBundlePath: string } | { workflowsPath: string } | { workflowBundleCode: string };

/** The project's own workflows (what the worker registers); resolved lazily (vitest cannot require.resolve a .ts directory). */
export function projectWorkflows(): WorkflowCode {
  try {
    return { workflowsPath: require.resolve('../workflows') };
  } catch {
    return { workflowsPath: path.join(__dirname, '..', 'workflows', 'index.ts') };
  }
}

const bundles = new Map<string, Promise<string>>();

const SOURCE_MAP_MARK = '//# sourceMappingURL=data:';
const EMPTY_SOURCE_MAP = Buffer.from(JSON.stringify({ version: 3, file: 'audit-replay.js', sources: [], names: [], mappings: '' })).toString('base64');

/**
 * The bundle with its inline source map replaced by an empty one. Every replay worker parses the
 * bundle's source map into a WebAssembly consumer that the SDK never frees; verifying thousands of
 * projects in one process exhausted that memory (a wasm `unreachable` crash after ~800 projects).
 * Replay needs no source positions, so the audit replays a bundle whose map is empty.
 */
export function withEmptySourceMap(code: string): string {
  const at = code.lastIndexOf(SOURCE_MAP_MARK);
  const body = at > 0 ? code.slice(0, at) : code;
  return `${body}${SOURCE_MAP_MARK}application/json;base64,${EMPTY_SOURCE_MAP}\n`;
}

/** The bundle option for a replay worker; a workflows path is bundled once and cached. */
export async function workflowBundleOption(code: WorkflowCode = projectWorkflows()): Promise<{ code: string }> {
  const key = 'workflowBundlePath' in code ? `file:${code.workflowBundlePath}` : 'workflowBundleCode' in code ? null : `src:${code.workflowsPath}`;
  if (key === null) return { code: withEmptySourceMap((code as { workflowBundleCode: string }).workflowBundleCode) };
  let bundle = bundles.get(key);
  if (!bundle) {
    bundle =
      'workflowBundlePath' in code
        ? fs.promises.readFile(code.workflowBundlePath, 'utf8').then(withEmptySourceMap)
        : bundleWorkflowCode({ workflowsPath: (code as { workflowsPath: string }).workflowsPath, logger: new DefaultLogger('WARN') }).then((b) => withEmptySourceMap(b.code));
    bundles.set(key, bundle);
    bundle.catch(() => bundles.delete(key));
  }
  return { code: await bundle };
}

export interface ReplayOutcome {
  workflowId: string;
  runId: string;
  ok: boolean;
  /** The replay error: a determinism violation or another replay failure. */
  error?: string;
  errorName?: string;
}

/** How long a shared replay worker waits for more histories before it shuts down. */
const REPLAY_LINGER_MS = 300;

interface ReplayRequest {
  key: string;
  code: WorkflowCode | undefined;
  runs: readonly RunHistory[];
  outcomes: ReplayOutcome[];
  resolve: (outcomes: ReplayOutcome[]) => void;
  reject: (error: unknown) => void;
}

const queue: ReplayRequest[] = [];
let feeding = false;
let wake: (() => void) | null = null;

/** Bundle code given inline, by its SHA-256 (computed once per string object kept alive by a request). */
const codeDigests = new Map<string, string>();

/** Requests with the same key can share a replay worker: the same bundle file, source folder or bundle code. */
function codeKey(code: WorkflowCode | undefined): string {
  const c = code ?? projectWorkflows();
  if ('workflowBundlePath' in c) return `file:${c.workflowBundlePath}`;
  if ('workflowsPath' in c) return `src:${c.workflowsPath}`;
  let digest = codeDigests.get(c.workflowBundleCode);
  if (!digest) {
    digest = createHash('sha256').update(c.workflowBundleCode).digest('hex');
    if (codeDigests.size > 16) codeDigests.clear();
    codeDigests.set(c.workflowBundleCode, digest);
  }
  return `code:${digest}`;
}

/** Counters of the shared replay feed (how many replay workers were made for how many histories). */
export const replayStats = { workers: 0, histories: 0, requests: 0 };

/**
 * Replays the runs; one outcome per run, in order. Requests share replay workers: a replay worker
 * is made for the first request and then fed every request that arrives while it runs (with the
 * same workflow code), one history after another, until none has come for a moment. A cycle-wide
 * verification thus replays thousands of projects on a handful of workers instead of one each
 * (making a replay worker — a V8 context with the bundle — costs far more than most replays).
 * Replays in one process take turns on that one feed: the SDK shuts its native runtime down when
 * its last worker goes, and a replay worker created concurrently with that shutdown fails (seen
 * with only replay workers in a process, as in the audit command). A request whose history makes
 * the replay worker fail gets that error (its project's replay check fails); the requests after it
 * go on on a new worker.
 */
export function replayRuns(code: WorkflowCode | undefined, runs: readonly RunHistory[]): Promise<ReplayOutcome[]> {
  if (runs.length === 0) return Promise.resolve([]);
  return new Promise<ReplayOutcome[]>((resolve, reject) => {
    queue.push({ key: codeKey(code), code, runs, outcomes: [], resolve, reject });
    replayStats.requests += 1;
    if (wake) {
      const w = wake;
      wake = null;
      w();
    }
    if (!feeding) {
      feeding = true;
      void feed();
    }
  });
}

/** Runs replay workers while requests wait; `feeding` drops in the same turn as the last empty check. */
async function feed(): Promise<void> {
  while (queue.length > 0) {
    const first = queue[0];
    let workflowBundle: { code: string };
    try {
      workflowBundle = await workflowBundleOption(first.code);
    } catch (error) {
      queue.shift();
      first.reject(error);
      continue;
    }
    await replayOnOneWorker(first.key, workflowBundle);
  }
  feeding = false;
}

/** Waits until a request arrives or the linger time passes. */
function nextArrival(): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      wake = null;
      resolve();
    }, REPLAY_LINGER_MS);
    wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}

/** Feeds the queued requests with this workflow code to one replay worker until the queue stays empty. */
async function replayOnOneWorker(key: string, workflowBundle: { code: string }): Promise<void> {
  let current: ReplayRequest | undefined;
  async function* histories() {
    for (;;) {
      if (queue.length === 0) await nextArrival();
      if (queue.length === 0 || queue[0].key !== key) return;
      current = queue.shift()!;
      for (const run of current.runs) yield { workflowId: run.workflowId, history: run.history };
    }
  }
  replayStats.workers += 1;
  const before = replayStats.histories;
  try {
    const results = Worker.runReplayHistories({ workflowBundle, replayName: 'audit' }, histories());
    for await (const result of results) {
      replayStats.histories += 1;
      const request = current!;
      const run = request.runs[request.outcomes.length];
      request.outcomes.push({
        workflowId: run?.workflowId ?? result.workflowId,
        runId: run?.runId ?? result.runId,
        ok: !result.error,
        ...(result.error ? { error: result.error.message, errorName: result.error.name } : {}),
      });
      if (request.outcomes.length === request.runs.length) {
        current = undefined;
        request.resolve(request.outcomes);
      }
    }
    if (current) current.reject(new Error('the replay worker stopped before replaying every history'));
  } catch (error) {
    // The worker failed on the request being replayed: that request fails, the others go on.
    // A worker that failed before replaying anything (it could not be made) fails the request it was made for.
    const failed = current ?? (replayStats.histories === before ? queue.shift() : undefined);
    failed?.reject(error);
  }
}
