/**
 * Launching a cycle: start one top-level project workflow per planned project, in batches.
 * Workflow ids are deterministic (project/<cycle>/<project>), so a start that already happened is
 * recognised by Temporal and merely recorded, and a retried batch starts nothing twice. The batch's
 * first persistence (create events, projections, tasks) is one transaction here, not one per workflow.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { sql } from 'kysely';
import type { Db } from '../db';
import { getCycleConfig } from '../db/cycles';
import { projectWorkflow } from '../workflows/project';
import { persistLaunchedProjects, type LaunchedProject } from './projects';
import { projectSearchAttributes } from '../workflows/search-attributes';

export interface CycleActivityDeps {
  db: Db;
  temporal?: Client;
  taskQueue: string;
}

/** Started projects persisted per transaction while the rest of the batch starts. */
const PERSIST_SLICE = 25;

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
  const activities = {
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

    /**
     * Starts the given projects' workflows (already-started ones count as started), then persists
     * their create events, projections and tasks for the whole batch in one transaction, and marks
     * them started. The workflows are told (`createLoggedByLauncher`) to leave their first event to
     * this: a launch costs Temporal one workflow task per project and PostgreSQL one transaction
     * per batch. A retried batch starts nothing twice and writes nothing twice.
     */
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
      // Started projects are persisted in slices while the next ones start, one transaction at a time.
      let launched: LaunchedProject[] = [];
      let writing = Promise.resolve();
      let writeFailure: unknown;
      const persistStarted = () => {
        const slice = launched;
        launched = [];
        writing = writing
          .then(() => (writeFailure === undefined && slice.length > 0 ? persistLaunchedProjects(db, cycle, slice) : 0))
          .then(
            () => undefined,
            (error: unknown) => {
              writeFailure ??= error;
            },
          );
      };
      await pool(rows, input.concurrency, async (row) => {
        const create = row.create_event;
        let runId: string;
        try {
          const handle = await temporal.workflow.start(projectWorkflow, {
            workflowId: row.workflow_id,
            taskQueue,
            args: [{ cycle, create, createLoggedByLauncher: true }],
            typedSearchAttributes: projectSearchAttributes(cycle.cycleId, create.orgId, 'draft', create.proposal.type),
          });
          runId = handle.firstExecutionRunId;
          started += 1;
        } catch (error) {
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
          // Started by an earlier attempt: until its create event is logged it cannot have moved past its first run.
          runId = (await temporal.workflow.getHandle(row.workflow_id).describe()).runId;
        }
        launched.push({ projectId: row.project_id, workflowId: row.workflow_id, runId, create });
        if (launched.length >= PERSIST_SLICE) persistStarted();
      });
      persistStarted();
      await writing;
      // The batch is retried whole: what was written is skipped, what was not is written then.
      if (writeFailure !== undefined) throw writeFailure;
      await db
        .updateTable('cycle_projects')
        .set({ started_at: sql`now()` })
        .where('cycle_id', '=', input.cycleId)
        .where('project_id', 'in', rows.map((r) => r.project_id))
        .where('started_at', 'is', null)
        .execute();
      return started;
    },

    /**
     * The next batch of projects not yet started, started and persisted (workflow code v2 of the
     * launcher: one activity per batch instead of a select and a start, each with its own trips
     * through Temporal). `selected` 0 means every planned project is started.
     */
    async launchNextBatch(input: { cycleId: string; limit: number; concurrency: number }): Promise<{ selected: number; started: number }> {
      const projectIds = await activities.nextLaunchBatch({ cycleId: input.cycleId, limit: input.limit });
      if (projectIds.length === 0) return { selected: 0, started: 0 };
      const started = await activities.startProjectWorkflows({ cycleId: input.cycleId, projectIds, concurrency: input.concurrency });
      return { selected: projectIds.length, started };
    },

    async markCycleStatus(input: { cycleId: string; status: 'launching' | 'launched' }): Promise<void> {
      await db
        .updateTable('cycles')
        .set(input.status === 'launched' ? { status: input.status, launched_at: sql`now()` } : { status: input.status })
        .where('id', '=', input.cycleId)
        .execute();
    },
  };
  return activities;
}
