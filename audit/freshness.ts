/**
 * Whether an audit answer includes everything the workflow has done. Right after an action answered
 * 200 its event may not be in the log yet (the workflow persists it just after): wait, bounded,
 * until the log holds every event the workflow has applied, and say how far behind it still is.
 */
import type { Client } from '@temporalio/client';
import type { Db } from '../db';
import { isLagging } from '../db/persistence';
import { findProjectWorkflowId, loggedSeq } from '../db/projects';
import { getSeqQuery } from '../workflows/messages';

export interface LogFreshness {
  /** Events the workflow has applied (null when it cannot be asked). */
  workflowSeq: number | null;
  /** Events in the event log. */
  loggedSeq: number;
  /** Events applied by the workflow but not yet in the log. */
  behind: number;
  /** True when the project's persistence keeps failing. */
  persistenceLagging: boolean;
}

/** How fresh the project's event log is, after waiting up to `waitMs` for it to catch up; undefined for an unknown project. */
export async function logFreshness(deps: { db: Db; temporal: Client }, projectId: string, waitMs = 3000): Promise<LogFreshness | undefined> {
  const { db, temporal } = deps;
  const workflowId = await findProjectWorkflowId(db, projectId);
  if (!workflowId) return undefined;
  let workflowSeq: number | null = null;
  try {
    workflowSeq = (await temporal.workflow.getHandle(workflowId).query(getSeqQuery)).seq;
  } catch {
    // A closed workflow past retention, or no worker: the log is all there is to read.
  }
  let logged = await loggedSeq(db, projectId);
  const deadline = Date.now() + waitMs;
  while (workflowSeq !== null && logged < workflowSeq && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    logged = await loggedSeq(db, projectId);
  }
  const lagging = await isLagging(db, projectId);
  return { workflowSeq, loggedSeq: logged, behind: workflowSeq === null ? 0 : Math.max(0, workflowSeq - logged), persistenceLagging: lagging };
}
