/** Repository functions for projects: the projection, the launch registry (cycle_projects) and the event log. */
import { sql } from 'kysely';
import type { Db } from '.';
import { orgSubtreeIds } from './auth';
import type { CreateEvent, LedgerStatus, ProjectState } from '../workflows/lifecycle';

/** Where a project's workflow is, and whose org it belongs to. */
export interface ProjectLocation {
  id: string;
  cycleId: string;
  orgId: string;
  workflowId: string;
}

/** Finds a project by id in the projection, or among the started projects of the cycle launch registry. */
export async function findProjectLocation(db: Db, id: string): Promise<ProjectLocation | undefined> {
  // The stored state is large: it is read only where it is needed (storedProjectState).
  const row = await db.selectFrom('projects').select(['cycle_id', 'org_id', 'workflow_id']).where('id', '=', id).executeTakeFirst();
  if (row) return { id, cycleId: row.cycle_id, orgId: row.org_id, workflowId: row.workflow_id };
  const planned = await db
    .selectFrom('cycle_projects')
    .select(['cycle_id', 'workflow_id', 'create_event'])
    .where('project_id', '=', id)
    .where('started_at', 'is not', null)
    .executeTakeFirst();
  return planned && { id, cycleId: planned.cycle_id, orgId: planned.create_event.orgId, workflowId: planned.workflow_id };
}

/** The workflow id of a project, from the projection or the launch registry (started or not). */
export async function findProjectWorkflowId(db: Db, id: string): Promise<string | undefined> {
  const row =
    (await db.selectFrom('projects').select('workflow_id').where('id', '=', id).executeTakeFirst()) ??
    (await db.selectFrom('cycle_projects').select('workflow_id').where('project_id', '=', id).executeTakeFirst());
  return row?.workflow_id;
}

/** The project's state as last projected. */
export async function storedProjectState(db: Db, id: string): Promise<ProjectState | undefined> {
  const row = await db.selectFrom('projects').select('state').where('id', '=', id).executeTakeFirst();
  return row?.state;
}

/** Every projected state of a cycle, by project id. */
export async function cycleProjectStates(db: Db, cycleId: string): Promise<ProjectState[]> {
  const rows = await db.selectFrom('projects').select('state').where('cycle_id', '=', cycleId).orderBy('id').execute();
  return rows.map((r) => r.state);
}

/**
 * Registers a proposed project in the cycle's launch registry, last in the cycle's order, not yet
 * started; a project already registered is left as it is.
 */
export async function registerProposedProject(db: Db, create: CreateEvent, workflowId: string): Promise<void> {
  await db
    .insertInto('cycle_projects')
    .values({
      cycle_id: create.cycleId,
      project_id: create.projectId,
      position: sql<number>`(select coalesce(max(position), -1) + 1 from cycle_projects where cycle_id = ${create.cycleId})`,
      create_event: JSON.stringify(create),
      planned_children: '[]',
      workflow_id: workflowId,
      started_at: null,
    })
    .onConflict((oc) => oc.columns(['cycle_id', 'project_id']).doNothing())
    .execute();
}

/** Marks a registered project as started (once). */
export async function markProjectStarted(db: Db, cycleId: string, projectId: string): Promise<void> {
  await db.updateTable('cycle_projects').set({ started_at: new Date() }).where('cycle_id', '=', cycleId).where('project_id', '=', projectId).where('started_at', 'is', null).execute();
}

export interface ProjectListFilter {
  cycleId?: string;
  stage?: string;
  type?: string;
  /** Orgs and their whole subtrees: the project's org must be in every one. */
  withinSubtreesOf?: string[];
  /** Exactly this org. */
  orgId?: string;
  /** Only these project ids. */
  ids?: string[];
}

export interface ProjectListItem {
  id: string;
  cycleId: string;
  parentId: string | null;
  orgId: string;
  title: string;
  type: string;
  isKey: boolean;
  stage: string;
  progress: number;
  grade: string | null;
}

/** One page of projects, ordered by id, and how many match. */
export async function listProjects(db: Db, filter: ProjectListFilter, page: { limit: number; offset: number }): Promise<{ items: ProjectListItem[]; total: number }> {
  let query = db.selectFrom('projects');
  if (filter.cycleId) query = query.where('cycle_id', '=', filter.cycleId);
  if (filter.stage) query = query.where('stage', '=', filter.stage);
  if (filter.type) query = query.where('type', '=', filter.type);
  // An unknown org is a filter that matches nothing, like an unknown cycle, stage or type: an
  // empty page, never an error (the subquery cannot turn into an empty `in ()` list).
  for (const root of filter.withinSubtreesOf ?? []) query = query.where('org_id', 'in', orgSubtreeIds(root));
  if (filter.orgId) query = query.where('org_id', '=', filter.orgId);
  // `= any(array)` rather than `in (list)`: an empty array simply matches nothing.
  if (filter.ids) query = query.where(sql<boolean>`projects.id = any(${filter.ids}::text[])`);
  const total = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await query
    .select(['id', 'cycle_id', 'parent_id', 'org_id', 'title', 'type', 'is_key', 'stage', 'progress', 'grade'])
    .orderBy('id')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return {
    items: rows.map((r) => ({ id: r.id, cycleId: r.cycle_id, parentId: r.parent_id, orgId: r.org_id, title: r.title, type: r.type, isKey: r.is_key, stage: r.stage, progress: r.progress, grade: r.grade })),
    total: total.n,
  };
}

/** Every ledger entry not yet closed, of one cycle or all. */
export async function unclosedLedgerEntries(db: Db, cycleId?: string): Promise<{ projectId: string; status: LedgerStatus; deadline: string }[]> {
  let open = db
    .selectFrom('ledger_entries')
    .innerJoin('projects as p', 'p.id', 'ledger_entries.project_id')
    .select(['ledger_entries.project_id', 'ledger_entries.status', 'ledger_entries.deadline'])
    .where('ledger_entries.status', '!=', 'closed');
  if (cycleId) open = open.where('p.cycle_id', '=', cycleId);
  return (await open.execute()).map((e) => ({ projectId: e.project_id, status: e.status as LedgerStatus, deadline: e.deadline }));
}

/** The last event number in the project's event log (0 when it has none). */
export async function loggedSeq(db: Db, projectId: string): Promise<number> {
  const row = await db.selectFrom('project_events').select((eb) => eb.fn.max('seq').as('seq')).where('project_id', '=', projectId).executeTakeFirst();
  return Number(row?.seq ?? 0);
}
