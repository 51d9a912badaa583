/** Repository functions for persistence lag (持久化滞后): projects whose event log falls behind their workflow. */
import type { Db } from '.';

export interface LaggingProject {
  projectId: string;
  workflowId: string;
  since: Date;
  lastAttemptAt: Date;
  attempts: number;
  pendingSeq: number;
  lastError: string;
}

/** The lagging projects, oldest first, and how many there are. */
export async function listLagging(db: Db, limit: number): Promise<{ total: number; items: LaggingProject[] }> {
  // Counted first: a project that starts lagging in between is listed but not yet counted, so a
  // positive count always comes with its rows.
  const total = await db.selectFrom('persistence_lag').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  const rows = await db.selectFrom('persistence_lag').selectAll().orderBy('since').limit(limit).execute();
  return {
    total: Number(total.n),
    items: rows.map((r) => ({
      projectId: r.project_id,
      workflowId: r.workflow_id,
      since: new Date(r.since),
      lastAttemptAt: new Date(r.last_attempt_at),
      attempts: r.attempts,
      pendingSeq: r.pending_seq,
      lastError: r.last_error,
    })),
  };
}

/** How many projects lag, since when the oldest does, and its last error. */
export async function laggingSummary(db: Db): Promise<{ laggingProjects: number; oldestSince: Date | null; lastError: string | null }> {
  const row = await db
    .selectFrom('persistence_lag')
    .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.min('since').as('oldest')])
    .executeTakeFirstOrThrow();
  const oldest = row.oldest ? await db.selectFrom('persistence_lag').select('last_error').orderBy('since').limit(1).executeTakeFirst() : undefined;
  return {
    laggingProjects: Number(row.n),
    oldestSince: row.oldest ? new Date(row.oldest as unknown as string) : null,
    lastError: oldest?.last_error ?? null,
  };
}

/** Whether the project's persistence is lagging. */
export async function isLagging(db: Db, projectId: string): Promise<boolean> {
  const row = await db.selectFrom('persistence_lag').select('project_id').where('project_id', '=', projectId).executeTakeFirst();
  return row !== undefined;
}
