/**
 * Replaying Temporal histories against today's workflow code (the determinism half of the audit).
 * The workflow code comes as a prebuilt bundle (a file, as the tests and deployments have), or is
 * bundled once per process from a workflows path and kept.
 */
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

/** The bundle option for a replay worker; a workflows path is bundled once and cached. */
export async function workflowBundleOption(code: WorkflowCode = projectWorkflows()): Promise<{ codePath: string } | { code: string }> {
  if ('workflowBundlePath' in code) return { codePath: code.workflowBundlePath };
  if ('workflowBundleCode' in code) return { code: code.workflowBundleCode };
  let bundle = bundles.get(code.workflowsPath);
  if (!bundle) {
    bundle = bundleWorkflowCode({ workflowsPath: code.workflowsPath, logger: new DefaultLogger('WARN') }).then((b) => b.code);
    bundles.set(code.workflowsPath, bundle);
    bundle.catch(() => bundles.delete(code.workflowsPath));
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
