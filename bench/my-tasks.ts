/**
 * `GET /me/tasks` at city scale (part of `npm run bench`): after a generated city is launched and
 * persisted, the latency of people's task lists through the app (auth, validation, the indexed
 * query, serialisation) for samples of secretaries, reviewers and inspectors, against the latency
 * of `GET /me` measured in the same run (auth plus one indexed select) as the baseline.
 *
 * Two states of the task table:
 * - `launched`: the rows the persistence activity wrote for the launched projects (all drafts).
 * - `midYear`: each persisted project advanced in memory by the lifecycle core (submit, approve or
 *   left in review, letter, "1+N" children as drafts, the first inspection with problems, some
 *   rectifications reported, some evidence) and its rows written by the same `tasksFor` and
 *   repository function — a fuller table (reviews, evidence, inspections, verifications, dispatch)
 *   without driving thousands of Updates through Temporal.
 */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { buildApp } from '../api/app';
import { createFileContentStore } from '../db/content-store';
import type { Db } from '../db';
import { issueToken } from '../db/auth';
import type { GeneratedCity } from '../db/seed/city';
import { inspectorAssignments } from '../db/seed/city';
import { orgHasChildren, replaceProjectTasks } from '../db/tasks';
import { tasksFor } from '../tasks/derive';
import { apply, subProjectCreateEvent, timerActor, type LifecycleEvent, type PersonActor, type ProjectState, type Role } from '../workflows/lifecycle';

const REQUESTS = Number(process.env.BENCH_TASK_REQUESTS ?? 200);
const SAMPLE = 20;

interface Figures {
  requests: number;
  users: number;
  p50Ms: number;
  p95Ms: number;
  meanItems: number;
  meanTotal: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** `REQUESTS` sequential requests spread over the users' tokens. */
async function measure(app: FastifyInstance, tokens: string[], url: string): Promise<Figures> {
  const times: number[] = [];
  let items = 0;
  let total = 0;
  // Warm-up: compile the route's serializer, fill the pool.
  for (const token of tokens.slice(0, 3)) await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  for (let i = 0; i < REQUESTS; i++) {
    const token = tokens[i % tokens.length];
    const t = performance.now();
    const response = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
    times.push(performance.now() - t);
    if (response.statusCode !== 200) throw new Error(`GET ${url}: ${response.statusCode} ${response.body}`);
    const body = response.json() as { items?: unknown[]; total?: number };
    items += body.items?.length ?? 0;
    total += body.total ?? 0;
  }
  times.sort((a, b) => a - b);
  const round = (x: number) => Number(x.toFixed(2));
  return { requests: REQUESTS, users: tokens.length, p50Ms: round(percentile(times, 50)), p95Ms: round(percentile(times, 95)), meanItems: round(items / REQUESTS), meanTotal: round(total / REQUESTS) };
}

/** Up to `n` items spread evenly over the list (deterministic). */
function spread<T>(list: T[], n: number): T[] {
  if (list.length <= n) return list;
  return Array.from({ length: n }, (_, i) => list[Math.floor((i * list.length) / n)]);
}

/** Advances a launched draft to mid-year with the lifecycle core; the state as far as it got. */
function advance(state: ProjectState, city: GeneratedCity, index: number): ProjectState[] {
  const cycle = city.cycle;
  const year = cycle.year;
  const users = new Map(city.users.map((u) => [u.id, u]));
  const inspector = city.users.find((u) => u.role === 'inspector');
  const lead: PersonActor = { userId: state.leadSecretaryId, role: 'secretary', orgId: state.orgId };
  const reviewerRole = (users.get(state.reviewerId)?.role ?? 'secretary') as Role;
  const reviewer: PersonActor = { userId: state.assignedReviewer.userId, role: reviewerRole, orgId: state.assignedReviewer.orgId };
  const at = (date: string, time = '10:00') => `${date}T${time}:00+08:00`;
  let s = state;
  const step = (event: LifecycleEvent): boolean => {
    const r = apply(s, event, cycle);
    if (r.ok) s = r.state;
    return r.ok;
  };
  const children: ProjectState[] = [];
  if (!step({ type: 'submit', actor: lead, at: at(`${year}-01-26`) })) return [s];
  // One project in ten is still waiting for its reviewer.
  if (index % 10 === 0) return [s];
  if (!step({ type: 'approve', actor: reviewer, at: at(`${year}-02-05`), comment: null })) return [s];
  if (index % 10 === 1) return [s];
  if (!step({ type: 'signLetter', actor: lead, at: at(`${year}-02-20`), text: '本人承诺履行第一责任人职责' })) return [s];
  const planned = city.projects.find((p) => p.create.projectId === state.id)?.children ?? [];
  if (planned.length > 0 && step({ type: 'decompose', actor: lead, at: at(`${year}-03-01`), children: planned })) {
    for (const child of planned) {
      const r = apply(null, subProjectCreateEvent(s, child, lead, at(`${year}-03-01`)), cycle);
      if (r.ok) children.push(r.state);
    }
  }
  if (index % 2 === 0) {
    step({ type: 'submitEvidence', actor: lead, at: at(`${year}-04-05`), evidenceId: `${s.id}-ev1`, quarter: 1, milestoneId: null, text: '一季度工作情况', files: [], indicatorActuals: [] });
  }
  step({ type: 'inspectionDue', actor: timerActor(s.orgId), at: at(`${year}-04-11`, '00:05'), quarter: 1 });
  if (inspector && index % 3 !== 2) {
    const problems = index % 3 === 0 ? [{ id: `${s.id}-L1`, problem: '台账记录不完整', responsibleOrgId: s.orgId, responsiblePersonId: s.leadSecretaryId, measures: '补齐台账', deadline: `${year}-06-30` }] : [];
    const inspectorActor: PersonActor = { userId: inspector.id, role: 'inspector', orgId: inspector.orgId };
    if (step({ type: 'recordInspection', actor: inspectorActor, at: at(`${year}-04-20`), quarter: 1, rating: problems.length ? 'lagging' : 'on_track', findings: ['按计划推进'], problems }) && problems.length && index % 2 === 0) {
      step({ type: 'reportRectification', actor: lead, at: at(`${year}-05-20`), entryId: `${s.id}-L1`, text: '已整改' });
    }
  }
  return [s, ...children];
}

async function benchMyTasks(db: Db, app: FastifyInstance, city: GeneratedCity): Promise<Record<string, unknown>> {
  const assignments = inspectorAssignments(city);
  if (assignments.length > 0) {
    await db.insertInto('inspector_assignments').values(assignments.map((a) => ({ inspector_id: a.inspectorId, org_id: a.orgId }))).onConflict((oc) => oc.doNothing()).execute();
  }
  const projects = await db.selectFrom('projects').select(['id', 'state']).where('cycle_id', '=', city.cycle.cycleId).orderBy('id').execute();
  const states = projects.map((p) => p.state);
  const secretaries = spread([...new Set(states.map((s) => s.leadSecretaryId))], SAMPLE);
  const reviewers = spread([...new Set(states.map((s) => s.assignedReviewer.userId))], SAMPLE);
  const inspectors = spread([...new Set(assignments.map((a) => a.inspectorId))], SAMPLE);
  const tokens = async (ids: string[]) => Promise.all(ids.map((id) => issueToken(db, id, 'bench')));
  const groups = { secretaries: await tokens(secretaries), reviewers: await tokens(reviewers), inspectors: await tokens(inspectors) };
  const everyone = [...groups.secretaries, ...groups.reviewers, ...groups.inspectors];

  const run = async () => {
    const baseline = await measure(app, everyone, '/me');
    const lists: Record<string, Figures> = {};
    for (const [name, list] of Object.entries(groups)) lists[name] = await measure(app, list, '/me/tasks');
    const worstP95 = Math.max(...Object.values(lists).map((f) => f.p95Ms));
    const rows = await db.selectFrom('tasks').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return { taskRows: rows.n, baselineGetMe: { p50Ms: baseline.p50Ms, p95Ms: baseline.p95Ms }, myTasks: lists, worstP95Ms: worstP95, ratioWorstP95ToBaselineP95: Number((worstP95 / baseline.p95Ms).toFixed(2)), under100msAtP95: worstP95 < 100 };
  };

  const launched = await run();

  const t = performance.now();
  let written = 0;
  for (let i = 0; i < states.length; i++) {
    for (const state of advance(states[i], city, i)) {
      const hasLowerOrgs = await orgHasChildren(db, state.orgId);
      await replaceProjectTasks(db, state.id, tasksFor(state, city.cycle, { hasLowerOrgs }));
      written += 1;
    }
  }
  const midYearWriteSeconds = Number(((performance.now() - t) / 1000).toFixed(1));
  await sql`analyze tasks`.execute(db);
  const midYear = await run();
  return { requestsPerGroup: REQUESTS, launched, midYear: { projectsWithRows: written, writeSeconds: midYearWriteSeconds, ...midYear } };
}

/**
 * Waits until every launched project is persisted with its task rows, then measures (see the
 * module comment) through an app of its own.
 */
export async function benchMyTasksAfterLaunch(options: { db: Db; client: Client; taskQueue: string; log: Logger; city: GeneratedCity; storeDir: string }): Promise<Record<string, unknown>> {
  const { db, city } = options;
  const expected = city.projects.length;
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    const row = await db
      .selectFrom('projects')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('cycle_id', '=', city.cycle.cycleId)
      .executeTakeFirstOrThrow();
    const withTasks = await db.selectFrom('tasks').select((eb) => eb.fn.count<number>('project_id').distinct().as('n')).where('cycle_id', '=', city.cycle.cycleId).executeTakeFirstOrThrow();
    if (row.n >= expected && withTasks.n >= expected) break;
    if (Date.now() > deadline) throw new Error(`persisted ${row.n}/${expected} projects, ${withTasks.n} with tasks`);
    await new Promise((r) => setTimeout(r, 500));
  }
  await sql`analyze tasks`.execute(db);
  const app = await buildApp({ db, temporal: options.client, namespace: 'default', taskQueue: options.taskQueue, logger: options.log, store: createFileContentStore(options.storeDir), rateLimitPerMinute: 1_000_000 });
  try {
    return await benchMyTasks(db, app, city);
  } finally {
    await app.close();
  }
}
