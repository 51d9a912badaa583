/**
 * Repository functions for the lists people work from: the rectification ledger across projects
 * (整改台账), secretaries' annual task lists (年度攻坚清单), orgs' problem lists (问题清单) and the
 * cycles. SQL only; who may see what is decided by services/lists.ts and handed in as a `Reach`.
 */
import { sql, type Selectable, type SqlBool } from 'kysely';
import type { Db } from '.';
import { orgSubtreeIds } from './auth';
import type { OrgProblemTable } from './types';

/**
 * Which ledger entries a person may see: everything; their org's subtree (secretaries); or their
 * own org (members). Outside `all`, entries naming the person as responsible are always in reach.
 */
export type Reach = { kind: 'all' } | { kind: 'subtree'; orgId: string; personId: string } | { kind: 'org'; orgId: string; personId: string };

export interface LedgerFilter {
  cycleId?: string;
  /** Responsible orgs (责任单位) in this org's whole subtree (a unit with its organ committee and branches). */
  unitId?: string;
  /** Exactly this responsible org. */
  orgId?: string;
  projectId?: string;
  responsiblePersonId?: string;
  status?: string;
  quarter?: number;
  /** Only entries not closed (the overdue filter's SQL part; the deadline is judged in code). */
  unclosed?: boolean;
}

/** One ledger row with the names a person reads. */
export interface LedgerRow {
  projectId: string;
  cycleId: string;
  projectTitle: string;
  projectOrgId: string;
  projectOrgName: string | null;
  entryId: string;
  quarter: number;
  problem: string;
  responsibleOrgId: string;
  responsibleOrgName: string | null;
  responsiblePersonId: string;
  responsiblePersonName: string | null;
  measures: string;
  deadline: string;
  status: string;
  reports: number;
  sendBacks: number;
  closedAt: string | null;
  warnedAt: string | null;
  escalatedAt: string | null;
}

function ledgerQuery(db: Db, filter: LedgerFilter, reach: Reach) {
  let q = db
    .selectFrom('ledger_entries as l')
    .innerJoin('projects as p', 'p.id', 'l.project_id')
    .leftJoin('orgs as po', 'po.id', 'p.org_id')
    .leftJoin('orgs as ro', 'ro.id', 'l.responsible_org_id')
    .leftJoin('users as ru', 'ru.id', 'l.responsible_person_id');
  if (reach.kind === 'subtree') {
    const { orgId, personId } = reach;
    q = q.where((eb) => eb.or([eb('p.org_id', 'in', orgSubtreeIds(orgId)), eb('l.responsible_org_id', 'in', orgSubtreeIds(orgId)), eb('l.responsible_person_id', '=', personId)]));
  } else if (reach.kind === 'org') {
    const { orgId, personId } = reach;
    q = q.where((eb) => eb.or([eb('p.org_id', '=', orgId), eb('l.responsible_org_id', '=', orgId), eb('l.responsible_person_id', '=', personId)]));
  }
  if (filter.cycleId !== undefined) q = q.where('p.cycle_id', '=', filter.cycleId);
  // An unknown unit is a subtree without orgs: an empty page, never an error (see orgSubtreeIds).
  if (filter.unitId !== undefined) q = q.where('l.responsible_org_id', 'in', orgSubtreeIds(filter.unitId));
  if (filter.orgId !== undefined) q = q.where('l.responsible_org_id', '=', filter.orgId);
  if (filter.projectId !== undefined) q = q.where('l.project_id', '=', filter.projectId);
  if (filter.responsiblePersonId !== undefined) q = q.where('l.responsible_person_id', '=', filter.responsiblePersonId);
  if (filter.status !== undefined) q = q.where('l.status', '=', filter.status);
  if (filter.quarter !== undefined) q = q.where('l.quarter', '=', filter.quarter);
  if (filter.unclosed) q = q.where('l.status', '!=', 'closed');
  return q;
}

const LEDGER_COLUMNS = [
  'l.project_id',
  'p.cycle_id',
  'p.title as project_title',
  'p.org_id as project_org_id',
  'po.name as project_org_name',
  'l.id',
  'l.quarter',
  'l.problem',
  'l.responsible_org_id',
  'ro.name as responsible_org_name',
  'l.responsible_person_id',
  'ru.name as responsible_person_name',
  'l.measures',
  'l.deadline',
  'l.status',
  'l.reports',
  'l.send_backs',
  'l.closed_at',
  'l.warned_at',
  'l.escalated_at',
] as const;

/**
 * Ledger rows in reach matching the filter, ordered by cycle, project and entry; one page when
 * `page` is given, otherwise every row up to `max`.
 */
export async function ledgerRows(db: Db, filter: LedgerFilter, reach: Reach, page: { limit: number; offset: number }): Promise<LedgerRow[]> {
  const rows = await ledgerQuery(db, filter, reach)
    .select(LEDGER_COLUMNS)
    .orderBy('p.cycle_id')
    .orderBy('l.project_id')
    .orderBy('l.id')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return rows.map((r) => ({
    projectId: r.project_id,
    cycleId: r.cycle_id,
    projectTitle: r.project_title,
    projectOrgId: r.project_org_id,
    projectOrgName: r.project_org_name,
    entryId: r.id,
    quarter: r.quarter,
    problem: r.problem,
    responsibleOrgId: r.responsible_org_id,
    responsibleOrgName: r.responsible_org_name,
    responsiblePersonId: r.responsible_person_id,
    responsiblePersonName: r.responsible_person_name,
    measures: r.measures,
    deadline: r.deadline,
    status: r.status,
    reports: r.reports,
    sendBacks: r.send_backs,
    closedAt: r.closed_at,
    warnedAt: r.warned_at,
    escalatedAt: r.escalated_at,
  }));
}

/** How many ledger rows in reach match the filter. */
export async function countLedgerRows(db: Db, filter: LedgerFilter, reach: Reach): Promise<number> {
  const row = await ledgerQuery(db, filter, reach)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

// ---- Project list details (the export adds names to GET /projects' items) --------------------

export interface ProjectDetails {
  orgName: string | null;
  leadSecretaryId: string;
  leadSecretaryName: string | null;
  finalScore: number | null;
  updatedAt: Date;
}

/** Names and scores of the given projects, by id. */
export async function projectDetails(db: Db, ids: string[]): Promise<Map<string, ProjectDetails>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('projects as p')
    .leftJoin('orgs as o', 'o.id', 'p.org_id')
    .leftJoin('users as u', 'u.id', 'p.lead_secretary_id')
    .select(['p.id', 'o.name as org_name', 'p.lead_secretary_id', 'u.name as lead_name', 'p.final_score', 'p.updated_at'])
    .where(sql<SqlBool>`p.id = any(${ids}::text[])`)
    .execute();
  return new Map(rows.map((r) => [r.id, { orgName: r.org_name, leadSecretaryId: r.lead_secretary_id, leadSecretaryName: r.lead_name, finalScore: r.final_score, updatedAt: r.updated_at }]));
}

// ---- Annual task lists (年度攻坚清单) ----------------------------------------------------------

export interface TaskProjectRow {
  id: string;
  cycleId: string;
  parentId: string | null;
  orgId: string;
  orgName: string | null;
  leadSecretaryId: string;
  leadSecretaryName: string | null;
  title: string;
  type: string;
  isKey: boolean;
  stage: string;
  progress: number;
  grade: string | null;
}

export interface IndicatorRow {
  projectId: string;
  id: string;
  name: string;
  unit: string;
  baseline: number;
  target: number;
  weight: number;
  actual: number | null;
}

function taskProjects(db: Db) {
  return db
    .selectFrom('projects as p')
    .leftJoin('orgs as o', 'o.id', 'p.org_id')
    .leftJoin('users as u', 'u.id', 'p.lead_secretary_id')
    .select(['p.id', 'p.cycle_id', 'p.parent_id', 'p.org_id', 'o.name as org_name', 'p.lead_secretary_id', 'u.name as lead_name', 'p.title', 'p.type', 'p.is_key', 'p.stage', 'p.progress', 'p.grade']);
}

type TaskProjectSelect = Awaited<ReturnType<ReturnType<typeof taskProjects>['execute']>>[number];

function taskProjectRow(r: TaskProjectSelect): TaskProjectRow {
  return {
    id: r.id,
    cycleId: r.cycle_id,
    parentId: r.parent_id,
    orgId: r.org_id,
    orgName: r.org_name,
    leadSecretaryId: r.lead_secretary_id,
    leadSecretaryName: r.lead_name,
    title: r.title,
    type: r.type,
    isKey: r.is_key,
    stage: r.stage,
    progress: r.progress,
    grade: r.grade,
  };
}

/** The projects a secretary leads (top-level and sub-projects), of one cycle or all, ordered by cycle and id. */
export async function projectsLedBy(db: Db, secretaryId: string, cycleId?: string): Promise<TaskProjectRow[]> {
  let q = taskProjects(db).where('p.lead_secretary_id', '=', secretaryId);
  if (cycleId !== undefined) q = q.where('p.cycle_id', '=', cycleId);
  return (await q.orderBy('p.cycle_id').orderBy('p.id').execute()).map(taskProjectRow);
}

/** The sub-projects of the given projects, ordered by parent and id. */
export async function subProjectsOf(db: Db, parentIds: string[]): Promise<TaskProjectRow[]> {
  if (parentIds.length === 0) return [];
  const rows = await taskProjects(db).where(sql<SqlBool>`p.parent_id = any(${parentIds}::text[])`).orderBy('p.parent_id').orderBy('p.id').execute();
  return rows.map(taskProjectRow);
}

/** The indicators of the given projects, by project id, in id order. */
export async function indicatorsOf(db: Db, projectIds: string[]): Promise<Map<string, IndicatorRow[]>> {
  const out = new Map<string, IndicatorRow[]>();
  if (projectIds.length === 0) return out;
  const rows = await db
    .selectFrom('project_indicators')
    .selectAll()
    .where(sql<SqlBool>`project_id = any(${projectIds}::text[])`)
    .orderBy('project_id')
    .orderBy('id')
    .execute();
  for (const r of rows) {
    const list = out.get(r.project_id) ?? [];
    list.push({ projectId: r.project_id, id: r.id, name: r.name, unit: r.unit, baseline: r.baseline, target: r.target, weight: r.weight, actual: r.actual });
    out.set(r.project_id, list);
  }
  return out;
}

export interface PersonRow {
  id: string;
  name: string;
  role: string;
  orgId: string;
  orgName: string | null;
}

export async function findPerson(db: Db, id: string): Promise<PersonRow | undefined> {
  const row = await db
    .selectFrom('users as u')
    .leftJoin('orgs as o', 'o.id', 'u.org_id')
    .select(['u.id', 'u.name', 'u.role', 'u.org_id', 'o.name as org_name'])
    .where('u.id', '=', id)
    .executeTakeFirst();
  return row && { id: row.id, name: row.name, role: row.role, orgId: row.org_id, orgName: row.org_name };
}

// ---- Problem lists (问题清单) ----------------------------------------------------------------

export interface ProblemRow {
  id: string;
  orgId: string;
  cycleId: string | null;
  title: string;
  detail: string;
  source: string;
  status: 'open' | 'resolved';
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

function problemRow(r: Selectable<OrgProblemTable>): ProblemRow {
  return { id: r.id, orgId: r.org_id, cycleId: r.cycle_id, title: r.title, detail: r.detail, source: r.source, status: r.status, createdBy: r.created_by, createdAt: r.created_at, updatedAt: r.updated_at };
}

/** An org's problems, newest first, optionally of one cycle or status. */
export async function orgProblems(db: Db, orgId: string, filter: { cycleId?: string; status?: string } = {}): Promise<ProblemRow[]> {
  let q = db.selectFrom('org_problems').selectAll().where('org_id', '=', orgId);
  if (filter.cycleId !== undefined) q = q.where('cycle_id', '=', filter.cycleId);
  if (filter.status !== undefined) q = q.where('status', '=', filter.status as 'open' | 'resolved');
  return (await q.orderBy('created_at', 'desc').orderBy('id').limit(2000).execute()).map(problemRow);
}

export async function findProblem(db: Db, id: string): Promise<ProblemRow | undefined> {
  const row = await db.selectFrom('org_problems').selectAll().where('id', '=', id).executeTakeFirst();
  return row && problemRow(row);
}

export async function insertProblem(db: Db, p: { id: string; orgId: string; cycleId: string | null; title: string; detail: string; source: string; createdBy: string }): Promise<ProblemRow> {
  const row = await db
    .insertInto('org_problems')
    .values({ id: p.id, org_id: p.orgId, cycle_id: p.cycleId, title: p.title, detail: p.detail, source: p.source, created_by: p.createdBy })
    .returningAll()
    .executeTakeFirstOrThrow();
  return problemRow(row);
}

export async function updateProblem(db: Db, id: string, changes: { title?: string; detail?: string; status?: 'open' | 'resolved' }): Promise<ProblemRow | undefined> {
  const row = await db
    .updateTable('org_problems')
    .set({ ...changes, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row && problemRow(row);
}

export interface LinkedProject {
  problemId: string;
  projectId: string;
  title: string;
  orgId: string;
  cycleId: string;
  stage: string;
}

/** The projects whose proposal links each of the given problems (proposal.problemIds), by problem id. */
export async function projectsLinking(db: Db, problemIds: string[]): Promise<Map<string, LinkedProject[]>> {
  const out = new Map<string, LinkedProject[]>();
  if (problemIds.length === 0) return out;
  const rows = await sql<{ problem_id: string; id: string; title: string; org_id: string; cycle_id: string; stage: string }>`
    select pid.value as problem_id, p.id, p.title, p.org_id, p.cycle_id, p.stage
    from projects p cross join lateral jsonb_array_elements_text(p.state->'proposal'->'problemIds') as pid(value)
    where p.state->'proposal'->'problemIds' ?| ${problemIds}::text[]
      and pid.value = any(${problemIds}::text[])
    order by p.id`.execute(db);
  for (const r of rows.rows) {
    const list = out.get(r.problem_id) ?? [];
    list.push({ problemId: r.problem_id, projectId: r.id, title: r.title, orgId: r.org_id, cycleId: r.cycle_id, stage: r.stage });
    out.set(r.problem_id, list);
  }
  return out;
}

// ---- Cycles --------------------------------------------------------------------------------------

export interface CycleRow {
  id: string;
  year: number;
  status: string;
  committeeOrgId: string;
  openedAt: Date;
  launchedAt: Date | null;
}

/** Every cycle, newest year first; `withinOrg`: only cycles whose org tree (committee org and below) holds that org. */
export async function listCycles(db: Db, withinOrg?: string): Promise<CycleRow[]> {
  let q = db.selectFrom('cycles').select(['id', 'year', 'status', sql<string>`config->'committee'->>'orgId'`.as('committee_org_id'), 'opened_at', 'launched_at']);
  if (withinOrg !== undefined) {
    // The org and its ancestors: a cycle rooted at any of them contains the org.
    q = q.where(sql<SqlBool>`config->'committee'->>'orgId' in (
      with recursive up(id, parent_id) as (
        select id, parent_id from orgs where id = ${withinOrg}
        union all
        select o.id, o.parent_id from orgs o join up on o.id = up.parent_id
      )
      select id from up)`);
  }
  const rows = await q.orderBy('year', 'desc').orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, year: r.year, status: r.status, committeeOrgId: r.committee_org_id, openedAt: r.opened_at, launchedAt: r.launched_at }));
}
