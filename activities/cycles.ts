/**
 * Launching a cycle: start one top-level project workflow per planned project, in batches.
 * Workflow ids are deterministic (project/<cycle>/<project>), so a start that already happened is
 * recognised by Temporal and merely recorded, and a retried batch starts nothing twice.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { sql } from 'kysely';
import type { Db } from '../db';
import { getCycleConfig } from '../db/cycles';
import { projectWorkflow } from '../workflows/project';
import { projectSearchAttributes } from '../workflows/search-attributes';

export interface CycleActivityDeps {
  db: Db;
  temporal?: Client;
  taskQueue: string;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  });
  await Promise.all(runners);
}

export function createCycleActivities({ db, temporal, taskQueue }: CycleActivityDeps) {
  return {
    /** The next projects of the cycle not yet started, in their planned order. */
    async nextLaunchBatch(input: { cycleId: string; limit: number }): Promise<string[]> {
      const rows = await db
        .selectFrom('cycle_projects')
        .select('project_id')
        .where('cycle_id', '=', input.cycleId)
        .where('started_at', 'is', null)
        .orderBy('position')
        .limit(input.limit)
        .execute();
      return rows.map((r) => r.project_id);
    },

    /** Starts the given projects' workflows (already-started ones count as started) and records them. */
    async startProjectWorkflows(input: { cycleId: string; projectIds: string[]; concurrency: number }): Promise<number> {
      if (!temporal) throw new Error('this worker has no Temporal client for launching cycles');
      const cycle = await getCycleConfig(db, input.cycleId);
      if (!cycle) throw new Error(`cycle ${input.cycleId} does not exist`);
      const rows = await db
        .selectFrom('cycle_projects')
        .select(['project_id', 'create_event', 'workflow_id'])
        .where('cycle_id', '=', input.cycleId)
        .where('project_id', 'in', input.projectIds)
        .execute();
      let started = 0;
      await pool(rows, input.concurrency, async (row) => {
        const create = row.create_event;
        try {
          await temporal.workflow.start(projectWorkflow, {
            workflowId: row.workflow_id,
            taskQueue,
            args: [{ cycle, create }],
            typedSearchAttributes: projectSearchAttributes(cycle.cycleId, create.orgId, 'draft', create.proposal.type),
          });
          started += 1;
        } catch (error) {
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        }
      });
      await db
        .updateTable('cycle_projects')
        .set({ started_at: sql`now()` })
        .where('cycle_id', '=', input.cycleId)
        .where('project_id', 'in', rows.map((r) => r.project_id))
        .where('started_at', 'is', null)
        .execute();
      return started;
    },

    async markCycleStatus(input: { cycleId: string; status: 'launching' | 'launched' }): Promise<void> {
      await db
        .updateTable('cycles')
        .set(input.status === 'launched' ? { status: input.status, launched_at: sql`now()` } : { status: input.status })
        .where('id', '=', input.cycleId)
        .execute();
    },
  };
}
