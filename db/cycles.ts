/** Repository functions for the org tree, users and annual cycles. */
import { sql, type Transaction } from 'kysely';
import type { Db } from '.';
import type { Database, OrgSnapshot } from './types';
import { orgSubtreeIds } from './auth';
import type { ChildInput, CreateEvent, CycleConfig, Role } from '../workflows/lifecycle';
import { projectWorkflowId } from '../workflows/messages';
import { chunks } from './batches';

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
  await db.transaction().execute((trx) => writeCycle(trx, input));
}

/** One error of a cycle opening: where (`orgs.3.parentId`) and what, in Chinese. */
export interface CycleInputError {
  field: string;
  detail: string;
}

type Reader = Db | Transaction<Database>;

const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const asObject = (value: unknown): Record<string, unknown> | null => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null);
const asString = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * Every reference of a cycle opening that would not hold once stored, with its row and field: the
 * org tree (duplicates, a parent neither sent nor stored, a loop, an org outside the cycle's
 * committee org, an org already stored under another parent), users (duplicates, an org not in the
 * tree, a user already stored in another org or role), secretaries, the committee user, inspector
 * assignments and planned projects. "The tree" is the orgs sent plus those already stored (a new
 * cycle may reuse last year's tree without sending it again). A cycle's orgs are its committee org
 * and everything below it, so an org sent here that is not below it could never take part.
 *
 * The input may be malformed (the schema's own errors are reported alongside): whatever is not the
 * expected shape is skipped here, never dereferenced.
 */
export async function cycleReferenceErrors(db: Reader, input: unknown): Promise<CycleInputError[]> {
  const body = asObject(input) ?? {};
  const cycle = asObject(body.cycle);
  const committee = asObject(cycle?.committee);
  const committeeOrgId = asString(committee?.orgId);
  const committeeUserId = asString(committee?.userId);
  const cycleId = asString(cycle?.cycleId);
  const orgs = asArray(body.orgs).map(asObject);
  const users = asArray(body.users).map(asObject);
  const assignments = asArray(body.inspectorAssignments).map(asObject);
  const projects = asArray(body.projects).map(asObject);
  const errors: CycleInputError[] = [];
  const fail = (field: string, detail: string) => errors.push({ field, detail });

  // What is already stored: the orgs referenced and all their ancestors, and the users referenced.
  const orgRefs = new Set<string>();
  const userRefs = new Set<string>();
  const addRef = (set: Set<string>, value: unknown) => {
    const v = asString(value);
    if (v) set.add(v);
  };
  addRef(orgRefs, committeeOrgId);
  addRef(userRefs, committeeUserId);
  for (const o of orgs) {
    addRef(orgRefs, o?.id);
    addRef(orgRefs, o?.parentId);
    addRef(userRefs, o?.secretaryId);
  }
  for (const u of users) {
    addRef(orgRefs, u?.orgId);
    addRef(userRefs, u?.id);
  }
  for (const a of assignments) {
    addRef(orgRefs, a?.orgId);
    addRef(userRefs, a?.inspectorId);
  }
  for (const p of projects) {
    const create = asObject(p?.create);
    addRef(orgRefs, create?.orgId);
    addRef(userRefs, create?.leadSecretaryId);
    addRef(userRefs, asObject(create?.reviewer)?.userId);
    for (const c of asArray(p?.children).map(asObject)) {
      addRef(orgRefs, c?.orgId);
      addRef(userRefs, c?.secretaryId);
    }
  }
  const storedOrgs = new Map<string, string | null>();
  if (orgRefs.size > 0) {
    const rows = await sql<{ id: string; parent_id: string | null }>`
      with recursive up(id, parent_id) as (
        select id, parent_id from orgs where id = any(${[...orgRefs]}::text[])
        union
        select o.id, o.parent_id from orgs o join up on o.id = up.parent_id
      )
      select id, parent_id from up`.execute(db);
    for (const r of rows.rows) storedOrgs.set(r.id, r.parent_id);
  }
  const storedUsers = new Map<string, { role: string; orgId: string }>();
  if (userRefs.size > 0) {
    const rows = await db.selectFrom('users').select(['id', 'role', 'org_id']).where(sql<boolean>`id = any(${[...userRefs]}::text[])`).execute();
    for (const r of rows) storedUsers.set(r.id, { role: r.role, orgId: r.org_id });
  }

  // The org tree: sent orgs override nothing stored (openCycle keeps what is stored), so a sent
  // org that is already stored must agree with it.
  const parentOf = new Map<string, string | null>(storedOrgs);
  const sentOrgs = new Map<string, number>();
  orgs.forEach((o, i) => {
    const id = asString(o?.id);
    if (id === null) return;
    if (sentOrgs.has(id)) return fail(`orgs.${i}.id`, `组织 ${id} 重复（与第 ${sentOrgs.get(id)! + 1} 行相同）。`);
    sentOrgs.set(id, i);
    const parentId = o?.parentId === null ? null : asString(o?.parentId);
    if (storedOrgs.has(id)) {
      if (o?.parentId !== undefined && storedOrgs.get(id) !== parentId) {
        fail(`orgs.${i}.parentId`, `组织 ${id} 已存在，其上级组织为 ${storedOrgs.get(id) ?? '无'}，与请求中的 ${parentId ?? '无'} 不符。`);
      }
      return;
    }
    parentOf.set(id, parentId);
  });
  const inTree = (orgId: string) => parentOf.has(orgId);
  /** Whether the org is the cycle's committee org or below it; null when its ancestry loops. */
  const underCommittee = (orgId: string): boolean | null => {
    const seen = new Set<string>();
    for (let at: string | null | undefined = orgId; at; at = parentOf.get(at)) {
      if (at === committeeOrgId) return true;
      if (seen.has(at)) return null;
      seen.add(at);
    }
    return false;
  };
  const committeeZh = committeeOrgId ?? '（未指定）';
  orgs.forEach((o, i) => {
    const id = asString(o?.id);
    if (id === null || sentOrgs.get(id) !== i || storedOrgs.has(id)) return;
    const parentId = asString(o?.parentId);
    if (parentId !== null && !inTree(parentId)) return fail(`orgs.${i}.parentId`, `组织 ${id} 的上级组织 ${parentId} 既不在请求的组织体系中，也不是已有组织。`);
    const under = underCommittee(id);
    if (under === null) return fail(`orgs.${i}.parentId`, `组织 ${id} 的上级关系形成循环。`);
    if (!under && committeeOrgId !== null) fail(`orgs.${i}.parentId`, `组织 ${id} 不在本周期工委组织 ${committeeZh} 之下，不能参加本周期。`);
  });

  // Users: sent users override nothing stored either.
  const roleOf = new Map<string, { role: string; orgId: string }>(storedUsers);
  const sentUsers = new Map<string, number>();
  users.forEach((u, i) => {
    const id = asString(u?.id);
    if (id === null) return;
    if (sentUsers.has(id)) return fail(`users.${i}.id`, `用户 ${id} 重复（与第 ${sentUsers.get(id)! + 1} 行相同）。`);
    sentUsers.set(id, i);
    const orgId = asString(u?.orgId);
    const role = asString(u?.role);
    const stored = storedUsers.get(id);
    if (stored) {
      if ((orgId !== null && stored.orgId !== orgId) || (role !== null && stored.role !== role)) {
        fail(`users.${i}`, `用户 ${id} 已存在（组织 ${stored.orgId}，角色 ${stored.role}），与请求中的组织或角色不符。`);
      }
      return;
    }
    if (orgId !== null && !inTree(orgId)) return fail(`users.${i}.orgId`, `用户 ${id} 所在组织 ${orgId} 不在组织体系中。`);
    if (orgId !== null && committeeOrgId !== null && underCommittee(orgId) === false) fail(`users.${i}.orgId`, `用户 ${id} 所在组织 ${orgId} 不在本周期工委组织 ${committeeZh} 之下。`);
    if (orgId !== null && role !== null) roleOf.set(id, { role, orgId });
  });
  const user = (id: string | null) => (id === null ? undefined : roleOf.get(id));

  if (committeeOrgId !== null && !inTree(committeeOrgId)) fail('cycle.committee.orgId', `工委组织 ${committeeOrgId} 不在组织体系中。`);
  if (committeeUserId !== null) {
    const c = user(committeeUserId);
    if (!c) fail('cycle.committee.userId', `工委审核人 ${committeeUserId} 不存在：须在 users 中提供，或为已有用户。`);
    else if (c.role !== 'committee' || c.orgId !== committeeOrgId) fail('cycle.committee.userId', `工委审核人 ${committeeUserId} 须为工委组织 ${committeeZh} 的工委工作人员（当前为组织 ${c.orgId} 的 ${c.role}）。`);
  }
  orgs.forEach((o, i) => {
    const id = asString(o?.id);
    const secretaryId = asString(o?.secretaryId);
    if (id === null || secretaryId === null || sentOrgs.get(id) !== i || storedOrgs.has(id)) return;
    const s = user(secretaryId);
    if (!s) fail(`orgs.${i}.secretaryId`, `组织 ${id} 的书记 ${secretaryId} 不存在：须在 users 中提供，或为已有用户。`);
    else if (s.orgId !== id) fail(`orgs.${i}.secretaryId`, `组织 ${id} 的书记 ${secretaryId} 须属于该组织（当前属于 ${s.orgId}）。`);
  });
  assignments.forEach((a, i) => {
    const inspectorId = asString(a?.inspectorId);
    const orgId = asString(a?.orgId);
    if (inspectorId !== null) {
      const inspector = user(inspectorId);
      if (!inspector) fail(`inspectorAssignments.${i}.inspectorId`, `督查员 ${inspectorId} 不存在。`);
      else if (inspector.role !== 'inspector') fail(`inspectorAssignments.${i}.inspectorId`, `用户 ${inspectorId} 不是督查员（角色为 ${inspector.role}）。`);
    }
    if (orgId !== null && !inTree(orgId)) fail(`inspectorAssignments.${i}.orgId`, `督查分工的组织 ${orgId} 不在组织体系中。`);
  });

  const sentProjects = new Map<string, number>();
  projects.forEach((p, i) => {
    const create = asObject(p?.create);
    if (!create) return;
    const projectId = asString(create.projectId);
    if (projectId !== null) {
      if (sentProjects.has(projectId)) fail(`projects.${i}.create.projectId`, `计划项目 ${projectId} 重复（与第 ${sentProjects.get(projectId)! + 1} 个相同）。`);
      else sentProjects.set(projectId, i);
    }
    const projectCycle = asString(create.cycleId);
    if (projectCycle !== null && cycleId !== null && projectCycle !== cycleId) fail(`projects.${i}.create.cycleId`, `计划项目属于年度周期 ${projectCycle}，不是本周期 ${cycleId}。`);
    const orgId = asString(create.orgId);
    if (orgId !== null) {
      if (!inTree(orgId)) fail(`projects.${i}.create.orgId`, `计划项目的组织 ${orgId} 不在组织体系中。`);
      else if (committeeOrgId !== null && underCommittee(orgId) === false) fail(`projects.${i}.create.orgId`, `计划项目的组织 ${orgId} 不在本周期工委组织 ${committeeZh} 之下。`);
    }
    const lead = asString(create.leadSecretaryId);
    if (lead !== null && !user(lead)) fail(`projects.${i}.create.leadSecretaryId`, `计划项目的负责书记 ${lead} 不存在。`);
    const reviewer = asString(asObject(create.reviewer)?.userId);
    if (reviewer !== null && !user(reviewer)) fail(`projects.${i}.create.reviewer.userId`, `计划项目的审核人 ${reviewer} 不存在。`);
    asArray(p?.children).forEach((raw, j) => {
      const c = asObject(raw);
      const childOrg = asString(c?.orgId);
      const childSecretary = asString(c?.secretaryId);
      if (childOrg !== null && !inTree(childOrg)) fail(`projects.${i}.children.${j}.orgId`, `子项目的组织 ${childOrg} 不在组织体系中。`);
      if (childSecretary !== null && !user(childSecretary)) fail(`projects.${i}.children.${j}.secretaryId`, `子项目的负责书记 ${childSecretary} 不存在。`);
    });
  });
  return errors;
}

/**
 * Opens a new cycle in one transaction: refuses an existing cycle id, checks every reference
 * against what is stored at that moment, and writes only when all hold, so a refusal leaves
 * nothing behind (no org, user, assignment or planned project of a half-opened cycle).
 */
export async function openNewCycle(db: Db, input: OpenCycleInput): Promise<'opened' | 'exists' | CycleInputError[]> {
  const refused = new Error('cycle refused');
  let outcome: 'opened' | 'exists' | CycleInputError[] = 'opened';
  try {
    await db.transaction().execute(async (trx) => {
      // Taking the id first serialises two openings of the same cycle: the second waits here, then
      // finds it taken.
      const taken = await trx
        .insertInto('cycles')
        .values({ id: input.cycle.cycleId, year: input.cycle.year, config: JSON.stringify(input.cycle), status: 'open' })
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!taken) {
        outcome = 'exists';
        throw refused;
      }
      const errors = await cycleReferenceErrors(trx, input);
      if (errors.length > 0) {
        outcome = errors;
        throw refused;
      }
      await writeCycle(trx, input);
      await takeOrgSnapshot(trx, input.cycle.cycleId, input.cycle.committee.orgId);
    });
  } catch (error) {
    if (error !== refused) throw error;
  }
  return outcome;
}

/** Writes a cycle's rows; what is already stored is kept (insert or nothing). */
async function writeCycle(trx: Transaction<Database>, input: OpenCycleInput): Promise<void> {
  for (const part of chunks(treeOrder(input.orgs), CHUNK)) {
    await trx
      .insertInto('orgs')
      .values(part.map((o) => ({ id: o.id, parent_id: o.parentId, kind: o.kind, name: o.name, secretary_id: o.secretaryId })))
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }
  for (const part of chunks(input.users, CHUNK)) {
    await trx
      .insertInto('users')
      .values(part.map((u) => ({ id: u.id, name: u.name, role: u.role, org_id: u.orgId })))
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }
  for (const part of chunks(input.inspectorAssignments ?? [], CHUNK)) {
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
  for (const [c, part] of chunks(input.projects, CHUNK).entries()) {
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
}

/**
 * Keeps the cycle's copy of the org tree (the committee org and every open org below it, with their
 * secretaries) as it stands at opening: the managed tree changes during the year, the cycle's
 * record of what it was opened with does not.
 */
async function takeOrgSnapshot(trx: Transaction<Database>, cycleId: string, committeeOrgId: string): Promise<void> {
  const orgs = await trx
    .selectFrom('orgs')
    .select(['id', 'parent_id', 'kind', 'name', 'secretary_id'])
    .where('id', 'in', orgSubtreeIds(committeeOrgId))
    .where('closed_at', 'is', null)
    .orderBy('id')
    .execute();
  const snapshot: OrgSnapshot = {
    takenAt: new Date().toISOString(),
    orgs: orgs.map((o) => ({ id: o.id, parentId: o.parent_id, kind: o.kind, name: o.name, secretaryId: o.secretary_id })),
  };
  await trx.updateTable('cycles').set({ org_snapshot: JSON.stringify(snapshot) }).where('id', '=', cycleId).where('org_snapshot', 'is', null).execute();
}

export async function cycleOrgSnapshot(db: Db, cycleId: string): Promise<OrgSnapshot | null> {
  return (await db.selectFrom('cycles').select('org_snapshot').where('id', '=', cycleId).executeTakeFirst())?.org_snapshot ?? null;
}

export async function getCycleConfig(db: Db, cycleId: string): Promise<CycleConfig | undefined> {
  const row = await db.selectFrom('cycles').select('config').where('id', '=', cycleId).executeTakeFirst();
  return row?.config;
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
    // Only the cycle's own orgs (its committee org and everything below it): the orgs table holds
    // every tree ever opened, and another city's secretaries lead no project of this cycle.
    .where('orgs.id', 'in', orgSubtreeIds(cycle.committee.orgId))
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
