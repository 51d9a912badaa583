/** Repository functions for the org tree, users and annual cycles. */
import { sql } from 'kysely';
import type { Db } from '.';
import type { ChildInput, CreateEvent, CycleConfig, Role } from '../workflows/lifecycle';
import { projectWorkflowId } from '../workflows/messages';

export interface OrgInput {
  id: string;
  parentId: string | null;
  kind: 'committee' | 'unit' | 'organ_committee' | 'branch';
  name: string;
  secretaryId: string;
}

export interface UserInput {
  id: string;
  name: string;
  role: Role;
  orgId: string;
}

export interface PlannedProject {
  create: CreateEvent;
  children: ChildInput[];
}

export interface OpenCycleInput {
  cycle: CycleConfig;
  orgs: OrgInput[];
  users: UserInput[];
  projects: PlannedProject[];
  /** Which org subtrees each inspector inspects (督查分工); an inspector with none inspects nothing. */
  inspectorAssignments?: { inspectorId: string; orgId: string }[];
}

const CHUNK = 500;

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Parents before children, so the foreign key holds within one insert order. */
function treeOrder(orgs: OrgInput[]): OrgInput[] {
  const depth = new Map<string, number>();
  const byId = new Map(orgs.map((o) => [o.id, o]));
  const depthOf = (o: OrgInput, guard = 0): number => {
    if (depth.has(o.id)) return depth.get(o.id)!;
    const parent = o.parentId ? byId.get(o.parentId) : undefined;
    const d = parent && guard < 64 ? depthOf(parent, guard + 1) + 1 : 0;
    depth.set(o.id, d);
    return d;
  };
  return [...orgs].sort((a, b) => depthOf(a) - depthOf(b));
}

/**
 * Opens a cycle: stores its configuration, the org tree, the users and the projects to launch.
 * Idempotent: opening the same cycle again changes nothing already stored.
 */
export async function openCycle(db: Db, input: OpenCycleInput): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const part of chunks(treeOrder(input.orgs))) {
      await trx
        .insertInto('orgs')
        .values(part.map((o) => ({ id: o.id, parent_id: o.parentId, kind: o.kind, name: o.name, secretary_id: o.secretaryId })))
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    }
    for (const part of chunks(input.users)) {
      await trx
        .insertInto('users')
        .values(part.map((u) => ({ id: u.id, name: u.name, role: u.role, org_id: u.orgId })))
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    }
    for (const part of chunks(input.inspectorAssignments ?? [])) {
      await trx
        .insertInto('inspector_assignments')
        .values(part.map((a) => ({ inspector_id: a.inspectorId, org_id: a.orgId })))
        .onConflict((oc) => oc.columns(['inspector_id', 'org_id']).doNothing())
        .execute();
    }
    await trx
      .insertInto('cycles')
      .values({ id: input.cycle.cycleId, year: input.cycle.year, config: JSON.stringify(input.cycle), status: 'open' })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    for (const [c, part] of chunks(input.projects).entries()) {
      await trx
        .insertInto('cycle_projects')
        .values(
          part.map((p, i) => ({
            cycle_id: input.cycle.cycleId,
            project_id: p.create.projectId,
            position: c * CHUNK + i,
            create_event: JSON.stringify(p.create),
            planned_children: JSON.stringify(p.children),
            workflow_id: projectWorkflowId(input.cycle.cycleId, p.create.projectId),
          })),
        )
        .onConflict((oc) => oc.columns(['cycle_id', 'project_id']).doNothing())
        .execute();
    }
  });
}

export async function getCycleConfig(db: Db, cycleId: string): Promise<CycleConfig | undefined> {
  const row = await db.selectFrom('cycles').select('config').where('id', '=', cycleId).executeTakeFirst();
  return row?.config as CycleConfig | undefined;
}

export interface LaunchProgress {
  cycleId: string;
  total: number;
  started: number;
  pending: number;
  status: string;
}

export async function launchProgress(db: Db, cycleId: string): Promise<LaunchProgress | undefined> {
  const cycle = await db.selectFrom('cycles').select('status').where('id', '=', cycleId).executeTakeFirst();
  if (!cycle) return undefined;
  const counts = await db
    .selectFrom('cycle_projects')
    .select([sql<number>`count(*)::int`.as('total'), sql<number>`count(started_at)::int`.as('started')])
    .where('cycle_id', '=', cycleId)
    .executeTakeFirstOrThrow();
  return { cycleId, total: counts.total, started: counts.started, pending: counts.total - counts.started, status: cycle.status };
}

/** Secretaries of the cycle's orgs who lead fewer key projects than the rules require (每年至少领办1个重点项目). */
export async function secretariesWithoutKeyProject(db: Db, cycleId: string): Promise<{ secretaryId: string; orgId: string; keyProjects: number; required: number }[]> {
  const cycle = await getCycleConfig(db, cycleId);
  if (!cycle) return [];
  const rows = await db
    .selectFrom('orgs')
    .leftJoin('cycle_projects', (join) =>
      join
        .onRef(sql`cycle_projects.create_event->>'leadSecretaryId'`, '=', 'orgs.secretary_id')
        .on('cycle_projects.cycle_id', '=', cycleId)
        .on(sql`(cycle_projects.create_event->'proposal'->>'isKey')::boolean`, '=', true),
    )
    .select(['orgs.id as orgId', 'orgs.secretary_id as secretaryId', sql<number>`count(cycle_projects.project_id)::int`.as('keyProjects')])
    .where('orgs.kind', '!=', 'committee')
    .where('orgs.secretary_id', 'is not', null)
    .groupBy(['orgs.id', 'orgs.secretary_id'])
    .orderBy('orgs.id')
    .execute();
  const required = cycle.rules.minKeyProjectsPerSecretary;
  return rows
    .filter((r) => r.keyProjects < required)
    .map((r) => ({ secretaryId: r.secretaryId as string, orgId: r.orgId, keyProjects: r.keyProjects, required }));
}

/** Whether the inspector is assigned to the org or to one of its ancestors. */
export async function inspectorCovers(db: Db, inspectorId: string, orgId: string): Promise<boolean> {
  const row = await sql<{ ok: boolean }>`
    with recursive up(id, parent_id) as (
      select id, parent_id from orgs where id = ${orgId}
      union all
      select o.id, o.parent_id from orgs o join up on o.id = up.parent_id
    )
    select exists (
      select 1 from inspector_assignments a join up on a.org_id = up.id where a.inspector_id = ${inspectorId}
    ) as ok`.execute(db);
  return row.rows[0]?.ok === true;
}
