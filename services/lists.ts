/**
 * The lists people work from: the rectification ledger across projects (整改台账), secretaries'
 * annual task lists (年度攻坚清单), orgs' problem lists (问题清单), the cycles, and the rows of every
 * export. Who sees what follows the project list (services/projects.ts): committee staff,
 * inspectors and auditors see everything; a secretary their org's subtree (and ledger entries
 * naming them as responsible); a member their own org. The SQL is in db/lists.ts.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db';
import { orgSubtree, type AuthenticatedUser } from '../db/auth';
import { getCycleConfig } from '../db/cycles';
import {
  countLedgerRows,
  findPerson,
  findProblem,
  indicatorsOf,
  insertProblem,
  ledgerRows,
  listCycles,
  orgProblems,
  projectDetails,
  projectsLedBy,
  projectsLinking,
  subProjectsOf,
  updateProblem,
  type CycleRow,
  type IndicatorRow,
  type LedgerFilter,
  type LedgerRow,
  type LinkedProject,
  type ProblemRow,
  type Reach,
  type TaskProjectRow,
} from '../db/lists';
import { getOrg, type Org } from '../db/orgs';
import { ProblemError } from '../api/problem';
import { isLedgerOverdue, QUARTER_LABELS } from '../reports/common';
import { bestOfLists, committeeFigures, type BestOfLists, type CommitteeFigures } from '../reports';
import {
  GRADE_LABELS,
  indicatorProgress,
  LEDGER_STATUS_LABELS,
  PROJECT_TYPE_LABELS,
  STAGE_LABELS,
  type Grade,
  type LedgerStatus,
  type ProjectType,
  type Quarter,
  type Stage,
} from '../workflows/lifecycle';
import type { CyclesService } from './cycles';
import type { ProjectListQuery, ProjectsService } from './projects';

export interface ListsDeps {
  db: Db;
  projects: ProjectsService;
  cycles: CyclesService;
}

/** Rows an export (or an overdue-filtered page) reads at most; past that the caller narrows the filter. */
export const EXPORT_MAX_ROWS = 50_000;

// ---- Types -------------------------------------------------------------------------------------

/** A ledger entry as the ledger list and its export show it. */
export interface LedgerListItem extends Omit<LedgerRow, 'quarter' | 'status'> {
  quarter: Quarter;
  quarterLabel: string;
  status: LedgerStatus;
  statusLabel: string;
  /** reports/common.ts isLedgerOverdue at `asOf`: the figures' definition. */
  overdue: boolean;
}

export interface LedgerQuery {
  cycle?: string;
  unit?: string;
  org?: string;
  project?: string;
  responsible?: string;
  status?: LedgerStatus;
  quarter?: number;
  overdue?: boolean;
  /** The instant that decides what is overdue (ISO date-time); default now. */
  asOf?: string;
}

/** A project of the project export: GET /projects' item with names, labels and the score. */
export interface ProjectExportItem {
  id: string;
  cycleId: string;
  parentId: string | null;
  orgId: string;
  orgName: string | null;
  title: string;
  type: string;
  typeLabel: string;
  isKey: boolean;
  stage: string;
  stageLabel: string;
  progress: number;
  grade: string | null;
  gradeLabel: string | null;
  finalScore: number | null;
  leadSecretaryId: string;
  leadSecretaryName: string | null;
}

export interface TaskIndicator {
  id: string;
  name: string;
  unit: string;
  baseline: number;
  target: number;
  weight: number;
  actual: number | null;
  /** indicatorProgress: 0..1 from baseline to target (rounded to 4 decimals). */
  progress: number;
}

/** A project of an annual task list: its row, with labels and indicator progress. */
export interface TaskProject extends TaskProjectRow {
  typeLabel: string;
  stageLabel: string;
  indicators: TaskIndicator[];
}

export interface AnnualTaskList {
  secretaryId: string;
  secretaryName: string;
  orgId: string;
  orgName: string | null;
  cycleId: string | null;
  /** The projects the secretary leads, each with its sub-projects (1+N) and their indicators. */
  projects: (TaskProject & { subProjects: TaskProject[] })[];
}

export interface OrgProblem extends ProblemRow {
  linkedProjects: Omit<LinkedProject, 'problemId'>[];
}

// ---- Helpers -----------------------------------------------------------------------------------

const CITY_READERS = new Set(['committee', 'auditor', 'inspector']);

function forbidden(detail: string, rule: string): ProblemError {
  return new ProblemError(403, 'forbidden', 'Not allowed for your role or org', detail, { rule });
}

/** The ledger entries a user may see (see the module comment). */
function ledgerReach(user: AuthenticatedUser): Reach {
  if (CITY_READERS.has(user.role)) return { kind: 'all' };
  if (user.role === 'secretary') return { kind: 'subtree', orgId: user.orgId, personId: user.id };
  return { kind: 'org', orgId: user.orgId, personId: user.id };
}

function ledgerItem(row: LedgerRow, atMs: number): LedgerListItem {
  const status = row.status as LedgerStatus;
  const quarter = row.quarter as Quarter;
  return {
    ...row,
    quarter,
    quarterLabel: QUARTER_LABELS[quarter] ?? String(quarter),
    status,
    statusLabel: LEDGER_STATUS_LABELS[status] ?? status,
    overdue: isLedgerOverdue({ status, deadline: row.deadline }, atMs),
  };
}

function asOfMs(asOf: string | undefined): number {
  if (asOf === undefined) return Date.now();
  const ms = Date.parse(asOf);
  if (!Number.isFinite(ms)) throw new ProblemError(400, 'validation', 'Invalid asOf', 'asOf 须为带时区的 ISO 日期时间。', { field: 'asOf' });
  return ms;
}

function tooMany(total: number): ProblemError {
  return new ProblemError(400, 'validation', 'Too many rows', `符合条件的记录有 ${total} 条，超过单次最多 ${EXPORT_MAX_ROWS} 条，请缩小筛选范围（如按年度周期或单位）。`, { rule: 'list.too_many_rows' });
}

function taskProject(p: TaskProjectRow, indicators: Map<string, IndicatorRow[]>): TaskProject {
  return {
    ...p,
    typeLabel: PROJECT_TYPE_LABELS[p.type as ProjectType] ?? p.type,
    stageLabel: STAGE_LABELS[p.stage as Stage] ?? p.stage,
    indicators: (indicators.get(p.id) ?? []).map((i) => ({
      id: i.id,
      name: i.name,
      unit: i.unit,
      baseline: i.baseline,
      target: i.target,
      weight: i.weight,
      actual: i.actual,
      progress: Math.round(indicatorProgress(i) * 10_000) / 10_000,
    })),
  };
}

// ---- The service -------------------------------------------------------------------------------

export function createListsService(deps: ListsDeps) {
  const { db } = deps;

  /** Every ledger item in reach matching the query, up to EXPORT_MAX_ROWS (more: 400). */
  async function allLedgerItems(user: AuthenticatedUser, q: LedgerQuery): Promise<LedgerListItem[]> {
    const atMs = asOfMs(q.asOf);
    const filter = ledgerFilter(q);
    const reach = ledgerReach(user);
    const total = await countLedgerRows(db, filter, reach);
    if (total > EXPORT_MAX_ROWS) throw tooMany(total);
    const items = (await ledgerRows(db, filter, reach, { limit: EXPORT_MAX_ROWS, offset: 0 })).map((r) => ledgerItem(r, atMs));
    return q.overdue === undefined ? items : items.filter((i) => i.overdue === q.overdue);
  }

  function ledgerFilter(q: LedgerQuery): LedgerFilter {
    return {
      cycleId: q.cycle,
      unitId: q.unit,
      orgId: q.org,
      projectId: q.project,
      responsiblePersonId: q.responsible,
      status: q.status,
      quarter: q.quarter,
      // Only an unclosed entry can be overdue: the SQL narrows, isLedgerOverdue decides.
      unclosed: q.overdue === true ? true : undefined,
    };
  }

  /** Whether the user may read an org's lists: city readers all, secretaries their subtree, members their org. */
  async function mayReadOrg(user: AuthenticatedUser, orgId: string): Promise<boolean> {
    if (CITY_READERS.has(user.role)) return true;
    if (user.role === 'secretary') return (await orgSubtree(db, user.orgId)).includes(orgId);
    return user.orgId === orgId;
  }

  /** Committee staff, or the org's own secretary, keep its problem list. */
  function mayKeepProblems(user: AuthenticatedUser, org: Org): boolean {
    return user.role === 'committee' || (user.role === 'secretary' && (org.secretaryId === user.id || user.orgId === org.id));
  }

  async function orgOr404(orgId: string): Promise<Org> {
    const org = await getOrg(db, orgId);
    if (!org) throw new ProblemError(404, 'not-found', 'Org not found', `找不到党组织 ${orgId}。`);
    return org;
  }

  /** Each problem with the projects linking it that the user may list (the project list's reach). */
  async function withLinks(user: AuthenticatedUser, problems: ProblemRow[]): Promise<OrgProblem[]> {
    const links = await projectsLinking(db, problems.map((p) => p.id));
    const subtree = user.role === 'secretary' ? new Set(await orgSubtree(db, user.orgId)) : null;
    const listable = (orgId: string) => CITY_READERS.has(user.role) || (subtree ? subtree.has(orgId) : orgId === user.orgId);
    return problems.map((p) => ({ ...p, linkedProjects: (links.get(p.id) ?? []).filter((l) => listable(l.orgId)).map(({ problemId: _p, ...rest }) => rest) }));
  }

  function requireCityReader(user: AuthenticatedUser): void {
    if (!CITY_READERS.has(user.role)) throw forbidden('只有工委、督查员和审计人员可以查看全周期数据和报告。', 'actor.not_committee');
  }

  return {
    /** One page of the ledger (整改台账) and how many entries match. */
    async ledger(user: AuthenticatedUser, q: LedgerQuery, page: { limit: number; offset: number }): Promise<{ items: LedgerListItem[]; total: number }> {
      if (q.overdue !== undefined) {
        // Overdue is judged in code (one definition, isLedgerOverdue), so the page is cut here.
        const all = await allLedgerItems(user, q);
        return { items: all.slice(page.offset, page.offset + page.limit), total: all.length };
      }
      const atMs = asOfMs(q.asOf);
      const filter = ledgerFilter(q);
      const reach = ledgerReach(user);
      const [rows, total] = await Promise.all([ledgerRows(db, filter, reach, page), countLedgerRows(db, filter, reach)]);
      return { items: rows.map((r) => ledgerItem(r, atMs)), total };
    },

    /** Every ledger entry of the query, for the export. */
    allLedgerItems,

    /** The projects of GET /projects' query (no paging), with names and labels, for the export. */
    async projectsForExport(user: AuthenticatedUser, q: Omit<ProjectListQuery, 'limit' | 'offset'>): Promise<ProjectExportItem[]> {
      const { items, total } = await deps.projects.list(user, { ...q, limit: EXPORT_MAX_ROWS, offset: 0 });
      if (total > EXPORT_MAX_ROWS) throw tooMany(total);
      const details = await projectDetails(db, items.map((p) => p.id));
      return items.map((p) => {
        const d = details.get(p.id);
        return {
          id: p.id,
          cycleId: p.cycleId,
          parentId: p.parentId,
          orgId: p.orgId,
          orgName: d?.orgName ?? null,
          title: p.title,
          type: p.type,
          typeLabel: PROJECT_TYPE_LABELS[p.type as ProjectType] ?? p.type,
          isKey: p.isKey,
          stage: p.stage,
          stageLabel: STAGE_LABELS[p.stage as Stage] ?? p.stage,
          progress: p.progress,
          grade: p.grade,
          gradeLabel: p.grade === null ? null : (GRADE_LABELS[p.grade as Grade] ?? p.grade),
          finalScore: d?.finalScore ?? null,
          leadSecretaryId: d?.leadSecretaryId ?? '',
          leadSecretaryName: d?.leadSecretaryName ?? null,
        };
      });
    },

    /** The committee figures of a cycle (committee, inspectors, auditors), as GET /cycles/:id/figures answers them. */
    async figures(user: AuthenticatedUser, cycleId: string, asOf: string | undefined): Promise<CommitteeFigures> {
      requireCityReader(user);
      const { cycle, projects, orgs, people } = await deps.cycles.reportInputs(cycleId);
      return committeeFigures(projects, cycle, orgs, asOf ?? new Date().toISOString(), people);
    },

    /** The best-of lists of a cycle (committee, inspectors, auditors), as GET /cycles/:id/best-of answers them. */
    async bestOf(user: AuthenticatedUser, cycleId: string): Promise<BestOfLists> {
      requireCityReader(user);
      const { cycle, projects, orgs, people } = await deps.cycles.reportInputs(cycleId);
      return bestOfLists(projects, cycle, orgs, people);
    },

    /**
     * A secretary's annual task list (年度攻坚清单): the projects they lead, each with its
     * sub-projects, every one with its indicators' progress against targets. The secretary
     * themselves, secretaries above them, and committee staff, inspectors and auditors may read it.
     */
    async annualTasks(user: AuthenticatedUser, secretaryId: string, cycleId?: string): Promise<AnnualTaskList> {
      const person = await findPerson(db, secretaryId);
      const allowed = person !== undefined && (CITY_READERS.has(user.role) || user.id === secretaryId || (user.role === 'secretary' && (await orgSubtree(db, user.orgId)).includes(person.orgId)));
      if (!person || !allowed) throw new ProblemError(404, 'not-found', 'Secretary not found', `找不到书记 ${secretaryId}，或您无权查看其年度攻坚清单。`);
      const led = await projectsLedBy(db, secretaryId, cycleId);
      const ledIds = new Set(led.map((p) => p.id));
      // A sub-project the secretary leads themselves shows under its parent when they lead that too.
      const top = led.filter((p) => p.parentId === null || !ledIds.has(p.parentId));
      const subs = await subProjectsOf(db, led.map((p) => p.id));
      const indicators = await indicatorsOf(db, [...led.map((p) => p.id), ...subs.map((p) => p.id)]);
      const childrenOf = (id: string) => subs.filter((s) => s.parentId === id);
      const withChildren = (p: TaskProjectRow): TaskProject & { subProjects: TaskProject[] } => ({ ...taskProject(p, indicators), subProjects: childrenOf(p.id).map((c) => taskProject(c, indicators)) });
      return {
        secretaryId: person.id,
        secretaryName: person.name,
        orgId: person.orgId,
        orgName: person.orgName,
        cycleId: cycleId ?? null,
        projects: top.map(withChildren),
      };
    },

    /** An org's problem list (问题清单) with the projects linking each problem. */
    async problems(user: AuthenticatedUser, orgId: string, filter: { cycle?: string; status?: string }): Promise<{ orgId: string; orgName: string; items: OrgProblem[] }> {
      const org = await orgOr404(orgId);
      if (!(await mayReadOrg(user, orgId))) throw forbidden('您只能查看本组织及下级组织的问题清单。', 'actor.org_out_of_reach');
      return { orgId: org.id, orgName: org.name, items: await withLinks(user, await orgProblems(db, orgId, { cycleId: filter.cycle, status: filter.status })) };
    },

    /** Adds a problem to an org's list (the org's secretary or committee staff). */
    async addProblem(user: AuthenticatedUser, orgId: string, input: { title: string; detail?: string; source: string; cycleId?: string | null }): Promise<OrgProblem> {
      const org = await orgOr404(orgId);
      if (!mayKeepProblems(user, org)) throw forbidden('只有该组织书记或工委工作人员可以维护问题清单。', 'actor.not_org_secretary');
      const cycleId = input.cycleId ?? null;
      if (cycleId !== null && !(await getCycleConfig(db, cycleId))) {
        throw new ProblemError(400, 'validation', 'Unknown cycle', `找不到年度周期 ${cycleId}。`, { field: 'cycleId' });
      }
      const id = `PB-${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      const row = await insertProblem(db, { id, orgId, cycleId, title: input.title, detail: input.detail ?? '', source: input.source, createdBy: user.id });
      return { ...row, linkedProjects: [] };
    },

    /** Changes a problem's status, title or detail (the org's secretary or committee staff). */
    async changeProblem(user: AuthenticatedUser, id: string, changes: { title?: string; detail?: string; status?: 'open' | 'resolved' }): Promise<OrgProblem> {
      const problem = await findProblem(db, id);
      const notFound = new ProblemError(404, 'not-found', 'Problem not found', `找不到问题 ${id}，或您无权查看。`);
      if (!problem || !(await mayReadOrg(user, problem.orgId))) throw notFound;
      const org = await orgOr404(problem.orgId);
      if (!mayKeepProblems(user, org)) throw forbidden('只有该组织书记或工委工作人员可以维护问题清单。', 'actor.not_org_secretary');
      const row = await updateProblem(db, id, changes);
      if (!row) throw notFound;
      return (await withLinks(user, [row]))[0];
    },

    /** The cycles a user takes part in (all for committee staff, inspectors and auditors). */
    async cycles(user: AuthenticatedUser): Promise<CycleRow[]> {
      return listCycles(db, CITY_READERS.has(user.role) ? undefined : user.orgId);
    },
  };
}

export type ListsService = ReturnType<typeof createListsService>;
