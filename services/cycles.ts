/**
 * The cycles service: opening an annual cycle (every error of the input at once), its overview,
 * launching it, and what the committee's figures and reports are computed from. It takes its
 * dependencies, not the HTTP server; the SQL is in db/cycles.ts, db/projects.ts and db/orgs.ts.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Db } from '../db';
import type { OrgSnapshot } from '../db/types';
import {
  cycleOrgSnapshot,
  cycleReferenceErrors,
  getCycleConfig,
  launchProgress,
  openNewCycle,
  secretariesWithoutKeyProject,
  type CycleInputError,
  type LaunchProgress,
  type OpenCycleInput,
} from '../db/cycles';
import { userNames } from '../db/directory';
import { getOrg, listOrgs, type Org } from '../db/orgs';
import { createCycleStatesCache } from '../db/cycle-states';
import { ProblemError } from '../api/problem';
import { validate, validateCycleConfig, type CreateEvent, type CycleConfig, type ProjectState, type Refusal } from '../workflows/lifecycle';
import { launchCycleWorkflow, launchWorkflowId } from '../workflows/launch-cycle';
import { reviewerOf } from './reviewer';

export interface CyclesDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
}

export interface CycleView {
  cycleId: string;
  year: number;
  /** The org tree as it stood when the cycle was opened (its snapshot); null for cycles opened before snapshots were kept. */
  orgTree: { takenAt: string; orgs: number } | null;
  launch: LaunchProgress;
  secretariesWithoutKeyProject: { secretaryId: string; orgId: string; keyProjects: number; required: number }[];
}

const MAX_LISTED_ERRORS = 200;

/** Where in the body each rule of validateCycleConfig points. */
const CONFIG_RULE_FIELDS: Record<string, string> = {
  'cycle.id': 'cycle.cycleId',
  'cycle.year': 'cycle.year',
  'cycle.committee': 'cycle.committee',
  'cycle.calendar_date': 'cycle.calendar',
  'cycle.calendar_window': 'cycle.calendar',
  'cycle.calendar_quarters': 'cycle.calendar.quarters',
  'cycle.monthly_reminder_day': 'cycle.calendar.monthlyReminderDay',
  'cycle.review_timeouts': 'cycle.reviewTimeouts',
  'cycle.ledger_timeouts': 'cycle.ledger',
  'cycle.min_key_projects': 'cycle.rules.minKeyProjectsPerSecretary',
  'cycle.rubric': 'cycle.rules.rubric',
  'cycle.deductions': 'cycle.rules.deductions',
  'cycle.grade_thresholds': 'cycle.rules.gradeThresholds',
  'cycle.best_of_list_size': 'cycle.rules.bestOfListSize',
};

function refusalError(refusal: Refusal, field: string): CycleInputError & { rule: string } {
  return { field, detail: refusal.messageZh.endsWith('。') ? refusal.messageZh : `${refusal.messageZh}。`, rule: refusal.rule };
}

/** One 400 naming every error, each with its row and field, in Chinese. */
function invalidCycle(errors: CycleInputError[]): ProblemError {
  const listed = errors.slice(0, MAX_LISTED_ERRORS);
  const preview = listed.slice(0, 3).map((e) => `${e.field}：${e.detail.replace(/。$/, '')}`).join('；');
  return new ProblemError(
    400,
    'validation',
    'The cycle cannot be opened',
    `年度周期未开启，请求中有 ${errors.length} 处错误（见 errors）：${preview}${errors.length > 3 ? '……' : ''}`,
    { rule: 'cycle.invalid', field: listed[0]?.field ?? 'body', errors: listed, ...(errors.length > listed.length ? { errorsTruncated: errors.length - listed.length } : {}) },
  );
}

function cycleNotFound(cycleId: string): ProblemError {
  return new ProblemError(404, 'not-found', 'Cycle not found', `找不到年度周期 ${cycleId}。`);
}

export function createCyclesService(deps: CyclesDeps) {
  const { db, temporal, taskQueue } = deps;
  // Whole-cycle reads (figures, reports, exports) reuse what this process read before: see db/cycle-states.ts.
  const cycleStates = createCycleStatesCache(db);

  /** A cycle's overview: launch progress and the secretaries leading too few key projects. */
  async function view(cycleId: string): Promise<CycleView> {
    const cycle = await getCycleConfig(db, cycleId);
    const progress = await launchProgress(db, cycleId);
    if (!cycle || !progress) throw cycleNotFound(cycleId);
    const snapshot = await cycleOrgSnapshot(db, cycleId);
    return {
      cycleId,
      year: cycle.year,
      orgTree: snapshot ? { takenAt: snapshot.takenAt, orgs: snapshot.orgs.length } : null,
      launch: progress,
      secretariesWithoutKeyProject: await secretariesWithoutKeyProject(db, cycleId),
    };
  }

  /**
   * A planned project sent without a reviewer gets the one DESIGN §2 names (reviewerOf), from the
   * orgs sent or, on the managed tree, those stored: the console plans a draft per secretary
   * without knowing the review rule. Answers a copy of the body with those reviewers filled in (the
   * caller's body is left as sent); a malformed project or one whose org is unknown is copied as it
   * is, for the checks to name.
   */
  async function withPlannedReviewers(body: unknown, cycle: CycleConfig): Promise<unknown> {
    const projects = (body as { projects?: unknown } | null)?.projects;
    if (!Array.isArray(projects)) return body;
    const sent = new Map<string, Org>();
    const orgs = (body as { orgs?: unknown }).orgs;
    if (Array.isArray(orgs)) for (const o of orgs as Org[]) if (o && typeof o === 'object' && typeof o.id === 'string') sent.set(o.id, o);
    const orgOf = async (id: string) => sent.get(id) ?? (await getOrg(db, id));
    const filled: unknown[] = [];
    for (const project of projects as ({ create?: Partial<CreateEvent> | null } | null)[]) {
      const create = project?.create;
      const org = create && typeof create === 'object' && create.reviewer === undefined && typeof create.orgId === 'string' ? await orgOf(create.orgId) : undefined;
      filled.push(org ? { ...project, create: { ...create, reviewer: reviewerOf(org, org.parentId ? await orgOf(org.parentId) : undefined, cycle) } } : project);
    }
    return { ...(body as object), projects: filled };
  }

  return {
    view,

    /**
     * What a project page scores with and when the committee dispatches: the rubric (each
     * criterion's name and maximum), the deduction rules, the grade thresholds and the dispatch
     * window, as the cycle was opened (its rules are immutable).
     */
    async rubric(cycleId: string): Promise<Pick<CycleConfig['rules'], 'rubric' | 'deductions' | 'gradeThresholds'> & { dispatchWindow: CycleConfig['calendar']['dispatchWindow'] }> {
      const cycle = await getCycleConfig(db, cycleId);
      if (!cycle) throw cycleNotFound(cycleId);
      const { rubric, deductions, gradeThresholds } = cycle.rules;
      return { rubric, deductions, gradeThresholds, dispatchWindow: cycle.calendar.dispatchWindow };
    },

    /** The org tree the cycle was opened with (an immutable snapshot; later changes to the managed tree do not alter it). */
    async orgSnapshot(cycleId: string): Promise<OrgSnapshot> {
      if (!(await getCycleConfig(db, cycleId))) throw cycleNotFound(cycleId);
      const snapshot = await cycleOrgSnapshot(db, cycleId);
      if (!snapshot) throw new ProblemError(404, 'not-found', 'No org snapshot', `年度周期 ${cycleId} 开启时尚未保存组织体系快照。`);
      return snapshot;
    },

    /**
     * Opens a cycle. `shapeErrors` are the errors the body's schema found (field and detail); the
     * lifecycle core's own checks run on every part whose shape holds, and when anything is wrong
     * every reference that would not hold is named too, so one answer lists it all. Nothing is
     * written unless everything holds.
     */
    async open(sentBody: unknown, shapeErrors: CycleInputError[]): Promise<CycleView> {
      const found = [...shapeErrors];
      let body = sentBody;
      const shapeOk = (prefix: string) => !found.some((e) => e.field === prefix || e.field.startsWith(`${prefix}.`) || e.field === 'body');
      // The lifecycle core's checks (calendar order, duplicate criteria, thresholds, planned
      // projects) run on whatever part has the right shape; they assume it.
      const cycleOk = shapeOk('cycle');
      const cycle = (body as { cycle: CycleConfig } | null)?.cycle as CycleConfig;
      if (cycleOk) {
        body = await withPlannedReviewers(sentBody, cycle);
        const invalid = validateCycleConfig(cycle);
        if (invalid) found.push(refusalError(invalid, CONFIG_RULE_FIELDS[invalid.rule] ?? 'cycle'));
      }
      if (cycleOk && !found.some((e) => e.field.startsWith('cycle'))) {
        const projects = (body as { projects?: unknown } | null)?.projects;
        (Array.isArray(projects) ? (projects as { create: CreateEvent }[]) : []).forEach((project, index) => {
          if (!shapeOk(`projects.${index}`)) return;
          const refusal = validate(null, project.create, cycle);
          if (refusal) found.push({ ...refusalError(refusal, `projects.${index}.create`), detail: `第 ${index + 1} 个计划项目不合法：${refusal.messageZh}` });
        });
      }
      if (found.length > 0) throw invalidCycle([...found, ...(await cycleReferenceErrors(db, body))]);
      // Without orgs and users the cycle is opened on the managed org tree (GET /orgs) as it stands.
      const sent = body as Omit<OpenCycleInput, 'orgs' | 'users'> & Partial<Pick<OpenCycleInput, 'orgs' | 'users'>>;
      const input: OpenCycleInput = { ...sent, orgs: sent.orgs ?? [], users: sent.users ?? [] };
      const outcome = await openNewCycle(db, input);
      if (outcome === 'exists') {
        throw new ProblemError(409, 'conflict', 'The cycle already exists', `年度周期 ${input.cycle.cycleId} 已存在。`, { rule: 'cycle.exists', field: 'cycle.cycleId' });
      }
      if (outcome !== 'opened') throw invalidCycle(outcome);
      return view(input.cycle.cycleId);
    },

    /** Launches the cycle: one workflow per planned project, in batches (idempotent, resumable). */
    async launch(cycleId: string, batchSize?: number): Promise<{ workflowId: string; alreadyRunning: boolean; launch: LaunchProgress }> {
      if (!(await getCycleConfig(db, cycleId))) throw cycleNotFound(cycleId);
      const workflowId = launchWorkflowId(cycleId);
      let alreadyRunning = false;
      try {
        await temporal.workflow.start(launchCycleWorkflow, { workflowId, taskQueue, args: [{ cycleId, batchSize }] });
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        alreadyRunning = true;
      }
      const launch = await launchProgress(db, cycleId);
      if (!launch) throw cycleNotFound(cycleId);
      return { workflowId, alreadyRunning, launch };
    },

    /**
     * What the committee's figures and reports are computed from: the cycle, its projects' states,
     * the org directory and the names of the people they name (lead and org secretaries). The
     * states are shared with other requests and frozen: read them, do not change them.
     */
    async reportInputs(cycleId: string): Promise<{ cycle: CycleConfig; projects: readonly ProjectState[]; orgs: Org[]; people: Map<string, string> }> {
      const cycle = await getCycleConfig(db, cycleId);
      if (!cycle) throw cycleNotFound(cycleId);
      const [projects, orgs] = [await cycleStates.states(cycleId), await listOrgs(db)];
      const ids = [...new Set([...projects.map((p) => p.leadSecretaryId), ...orgs.flatMap((o) => (o.secretaryId ? [o.secretaryId] : []))])];
      return { cycle, projects, orgs, people: await userNames(db, ids) };
    },
  };
}

export type CyclesService = ReturnType<typeof createCyclesService>;
