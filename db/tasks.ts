/** The task table (待办) and the event log read by actor (已办): every query of `GET /me/tasks` and `GET /me/done`. */
import { sql, type Kysely, type Selectable, type SqlBool, type Transaction } from 'kysely';
import { insertRows } from './batches';
import type { Database, TaskTable } from './types';
import type { DerivedTask } from '../tasks/derive';

type Executor = Kysely<Database> | Transaction<Database>;

export type TaskRow = Selectable<TaskTable>;

/**
 * Replaces a project's task rows with `tasks` (delete + insert): run inside the persistence
 * transaction, so the rows always match the projection, and a retried activity writes the same rows.
 */
export async function replaceProjectTasks(trx: Executor, projectId: string, tasks: readonly DerivedTask[]): Promise<void> {
  await replaceTasksOf(trx, [projectId], tasks);
}

/** The same for several projects at once (a launch batch): their rows removed in one statement, `tasks` inserted. */
export async function replaceTasksOf(trx: Executor, projectIds: readonly string[], tasks: readonly DerivedTask[]): Promise<void> {
  if (projectIds.length === 1) await trx.deleteFrom('tasks').where('project_id', '=', projectIds[0]!).execute();
  else await trx.deleteFrom('tasks').where(sql<SqlBool>`project_id = any(${[...projectIds]}::text[])`).execute();
  await insertRows(
    trx,
    'tasks',
    tasks.map((t) => ({
      project_id: t.projectId,
      key: t.key,
      cycle_id: t.cycleId,
      kind: t.kind,
      label: t.label,
      assignee_id: t.assigneeId,
      assignee_role: t.assigneeRole,
      org_id: t.orgId,
      project_title: t.projectTitle,
      action: t.action,
      deadline: t.deadline,
      deadline_at: new Date(t.deadlineAtMs),
      visible_from: t.visibleFromMs === null ? null : new Date(t.visibleFromMs),
    })),
  );
}

/** Whether the org has lower-level orgs (a project of it can be split "1+N"). */
export async function orgHasChildren(trx: Executor, orgId: string): Promise<boolean> {
  const row = await trx.selectFrom('orgs').select('id').where('parent_id', '=', orgId).limit(1).executeTakeFirst();
  return row !== undefined;
}

/** Which of the orgs have lower-level orgs, in one query. */
export async function orgsWithChildren(trx: Executor, orgIds: readonly string[]): Promise<Set<string>> {
  const rows = await trx.selectFrom('orgs').select('parent_id').distinct().where(sql<SqlBool>`parent_id = any(${[...new Set(orgIds)]}::text[])`).execute();
  return new Set(rows.map((r) => r.parent_id).filter((id): id is string => id !== null));
}

export interface TaskFilter {
  cycleId?: string;
  kind?: string;
  overdueOnly?: boolean;
  /** The instant the list is for: what is shown, what is overdue. */
  now: Date;
  limit: number;
  offset: number;
}

export interface Assignee {
  id: string;
  role: string;
  orgId: string;
}

/**
 * The tasks waiting for the person, shown now, earliest deadline first: their own rows, and for
 * committee staff the committee rows of their org, for inspectors the inspector rows of every org
 * in the subtrees they are assigned to. Each branch is a range scan of one partial index.
 */
export async function listTasksFor(db: Executor, who: Assignee, filter: TaskFilter): Promise<{ total: number; items: TaskRow[] }> {
  const scopes = [sql`t.assignee_id = ${who.id}`];
  if (who.role === 'committee') scopes.push(sql`(t.assignee_role = 'committee' and t.org_id = ${who.orgId})`);
  if (who.role === 'inspector') {
    scopes.push(sql`(t.assignee_role = 'inspector' and t.org_id in (
      with recursive covered(id) as (
        select org_id from inspector_assignments where inspector_id = ${who.id}
        union
        select o.id from orgs o join covered c on o.parent_id = c.id
      )
      select id from covered))`);
  }
  const conditions = [sql`(${sql.join(scopes, sql` or `)})`, sql`(t.visible_from is null or t.visible_from <= ${filter.now})`];
  if (filter.cycleId !== undefined) conditions.push(sql`t.cycle_id = ${filter.cycleId}`);
  if (filter.kind !== undefined) conditions.push(sql`t.kind = ${filter.kind}`);
  if (filter.overdueOnly) conditions.push(sql`t.deadline_at < ${filter.now}`);
  const where = sql.join(conditions, sql` and `);
  const result = await sql<TaskRow & { total: number }>`
    select t.*, count(*) over () as total
    from tasks t
    where ${where}
    order by t.deadline_at, t.project_id, t.key
    limit ${filter.limit} offset ${filter.offset}`.execute(db);
  let total = result.rows[0]?.total ?? 0;
  if (result.rows.length === 0 && filter.offset > 0) {
    // A page past the end still says how many there are.
    const count = await sql<{ n: number }>`select count(*) as n from tasks t where ${where}`.execute(db);
    total = count.rows[0]?.n ?? 0;
  }
  return { total, items: result.rows.map(({ total: _total, ...row }) => row) };
}

export interface DoneRow {
  project_id: string;
  seq: number;
  type: string;
  actor_role: string;
  actor_org_id: string;
  at: string;
  recorded_at: Date;
  project_title: string | null;
  cycle_id: string | null;
}

/** What the person did, from the event log, newest first (index on actor and recording time). */
export async function listDoneBy(db: Executor, actorId: string, filter: { cycleId?: string; limit: number; offset: number }): Promise<{ total: number; items: DoneRow[] }> {
  let base = db.selectFrom('project_events as e').leftJoin('projects as p', 'p.id', 'e.project_id').where('e.actor_id', '=', actorId);
  if (filter.cycleId !== undefined) base = base.where('p.cycle_id', '=', filter.cycleId);
  const [items, count] = await Promise.all([
    base
      .select(['e.project_id', 'e.seq', 'e.type', 'e.actor_role', 'e.actor_org_id', 'e.at', 'e.recorded_at', 'p.title as project_title', 'p.cycle_id'])
      .orderBy('e.recorded_at', 'desc')
      .orderBy('e.project_id')
      .orderBy('e.seq', 'desc')
      .limit(filter.limit)
      .offset(filter.offset)
      .execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { total: count.n, items };
}
