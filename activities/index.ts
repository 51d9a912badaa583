/**
 * Activities are the only code with I/O. They are built by a factory that receives their
 * dependencies, and every write is keyed by an id the workflow decided, so a retried activity
 * never writes twice.
 */
import type { Db } from '../db';
import type { Client } from '@temporalio/client';
import { createCycleActivities } from './cycles';
import { createProjectActivities } from './projects';

export interface ActivityDeps {
  db: Db;
  /** For activities that start workflows (launching a cycle). */
  temporal?: Client;
  taskQueue?: string;
}

export function createActivities({ db, temporal, taskQueue }: ActivityDeps) {
  return {
    ...createProjectActivities(db),
    ...createCycleActivities({ db, temporal, taskQueue: taskQueue ?? 'party-projects' }),
    /** Inserts the wiring-check row if absent; returns true once the row exists. */
    async recordWiringCheck(input: { id: string; message: string; workflowId: string; runId: string }): Promise<boolean> {
      await db
        .insertInto('wiring_checks')
        .values({ id: input.id, message: input.message, workflow_id: input.workflowId, run_id: input.runId })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      return true;
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
