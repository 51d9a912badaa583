/**
 * Replaying Temporal histories against today's workflow code (the determinism half of the audit).
 * The workflow code comes as a prebuilt bundle (a file, as the tests and deployments have), or is
 * bundled once per process from a workflows path and kept.
 */
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

let replaying: Promise<unknown> = Promise.resolve();

/**
 * Replays the runs one after another on a single replay worker; one outcome per run, in order.
 * Replays in one process take turns: the SDK shuts its native runtime down when its last worker
 * goes, and a replay worker created concurrently with that shutdown fails (seen with only replay
 * workers in a process, as in the audit command).
 */
export function replayRuns(code: WorkflowCode | undefined, runs: readonly RunHistory[]): Promise<ReplayOutcome[]> {
  const turn = replaying.then(() => replayNow(code, runs));
  replaying = turn.catch(() => undefined);
  return turn;
}

async function replayNow(code: WorkflowCode | undefined, runs: readonly RunHistory[]): Promise<ReplayOutcome[]> {
  if (runs.length === 0) return [];
  const workflowBundle = await workflowBundleOption(code);
  const outcomes: ReplayOutcome[] = [];
  let index = 0;
  const results = Worker.runReplayHistories(
    { workflowBundle, replayName: 'audit' },
    runs.map((r) => ({ workflowId: r.workflowId, history: r.history })),
  );
  for await (const result of results) {
    const run = runs[index];
    index += 1;
    outcomes.push({
      workflowId: run?.workflowId ?? result.workflowId,
      runId: run?.runId ?? result.runId,
      ok: !result.error,
      ...(result.error ? { error: result.error.message, errorName: result.error.name } : {}),
    });
  }
  return outcomes;
}
