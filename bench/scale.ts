/**
 * Scale figures of issue #15 on the embedded default (part of `npm run bench`; alone:
 * `node --import tsx bench/scale.ts`; `BENCH_SCALE=0` skips it in `npm run bench`). One file-backed
 * Temporal dev server, one embedded PostgreSQL, one worker process (worker/main.ts, as in production)
 * and the app in this process; every figure is a ratio to a baseline measured in the same run:
 *
 * 1. city launch: a generated city of BENCH_SCALE_PROJECTS (2,800) launched, starts/s against the
 *    raw empty-workflow start rate at the same concurrency, workflows and projections counted;
 * 2. worker memory: the worker process's RSS, settled, with the city's workflows open, the
 *    worker's workflow cache size (maxCachedWorkflows) beside it;
 * 3. cycle-wide audit verification of the city (verifyCycle: replay, hash chain, evidence, event
 *    log = workflow, projection = workflow): projects/s and its ratio to the city's launch rate;
 * 4. quarterly deadline storm: BENCH_STORM_PROJECTS (300) projects of another cycle brought to
 *    "in progress" through the API, their Q1 evidence deadline set to one instant after that;
 *    from the deadline until every resulting inspection-due event, projection row, task and
 *    notification is stored, with counts;
 * 5. the province: BENCH_BIG_PROJECTS (28,000; 0 skips) projects in one cycle (generateCity with
 *    BENCH_BIG_UNITS, 400 — ten cities of 40 units), launched against the empty-workflow rate
 *    re-measured just before, nothing lost; the worker's RSS again, settled, and its ratio to (2); then GET /me/tasks,
 *    GET /projects (filtered by org subtree and stage, paged) and GET /cycles/:id/figures p50/p95
 *    against GET /me on that cycle.
 *
 * Writes bench/results/scale.json after each part (a run stopped early keeps what it measured)
 * and bench/results/scale.html (the table and an SVG chart of the ratios).
 *
 *   BENCH_SCALE_PROJECTS (2800), BENCH_BIG_PROJECTS (28000), BENCH_BIG_UNITS (400),
 *   BENCH_STORM_PROJECTS (300; 0 skips), BENCH_STORM_LEAD_SECONDS (derived), BENCH_CONCURRENCY (16),
 *   BENCH_VERIFY_CONCURRENCY (8), BENCH_SEED (1), BENCH_LATENCY_REQUESTS (100), BENCH_SCALE_STOP_AT (an
 *   instant: a launch still running then is stopped and measured as far as it got)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { pool } from '../activities/cycles';
import { buildApp } from '../api/app';
import { replayStats, verifyCycle } from '../audit';
import { loadConfig } from '../config';
import { createDb, migrateToLatest, type Db } from '../db';
import { issueToken } from '../db/auth';
import { createFileContentStore } from '../db/content-store';
import { openCycle } from '../db/cycles';
import { generateCity, type GeneratedCity } from '../db/seed/city';
import { createLogger } from '../logger';
import { ensureDatabase, startEmbeddedPostgres } from '../scripts/infra/embedded-postgres';
import { freePort } from '../scripts/infra/ports';
import { ensureTemporalCli } from '../scripts/infra/temporal-cli';
import { startTemporalDevServer } from '../scripts/infra/temporal-dev-server';
import { managedProcess, clusterProcessEnv, type ManagedProcess } from '../scripts/cluster';
import { installRuntimeLogging } from '../worker';
import { emptyWorkflow } from '../workflows/empty';
import { drainWorkflowTasks } from './task-queue';
import { launchCycleWorkflow, launchWorkflowId } from '../workflows/launch-cycle';
import { projectWorkflowId } from '../workflows/messages';
import { compressedCycle, HOUR } from '../test/fixtures/cycles';

const CITY = Number(process.env.BENCH_SCALE_PROJECTS ?? 2800);
const BIG = Number(process.env.BENCH_BIG_PROJECTS ?? 28000);
const BIG_UNITS = Number(process.env.BENCH_BIG_UNITS ?? 400);
const STORM = Number(process.env.BENCH_STORM_PROJECTS ?? 300);
const STORM_LEAD_SECONDS = Number(process.env.BENCH_STORM_LEAD_SECONDS ?? 0);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const VERIFY_CONCURRENCY = Number(process.env.BENCH_VERIFY_CONCURRENCY ?? 8);
const SEED = Number(process.env.BENCH_SEED ?? 1);
const LATENCY_REQUESTS = Number(process.env.BENCH_LATENCY_REQUESTS ?? 100);
/** The committee figures take seconds at the province's size: fewer requests (p95 of 20 is the second slowest). */
const FIGURES_REQUESTS = Number(process.env.BENCH_FIGURES_REQUESTS ?? 20);
/** Empty workflows started for each baseline (a rate; more would only lengthen the run). */
const BASELINE_STARTS = Math.min(CITY, 2800);
export const RESULTS_DIR = path.join(__dirname, 'results');

const round = (x: number, digits = 1) => Number(x.toFixed(digits));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stopAtMs = () => (process.env.BENCH_SCALE_STOP_AT ? Date.parse(process.env.BENCH_SCALE_STOP_AT) : Infinity);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/** The city with its project ids under another prefix (`P-0001` → `PS-0001`), so several cycles share one database. */
export function withProjectPrefix(city: GeneratedCity, prefix: string): GeneratedCity {
  const rename = (id: string) => id.replace(/^P-/, `${prefix}-`);
  return {
    ...city,
    projects: city.projects.map((p) => ({
      create: { ...p.create, projectId: rename(p.create.projectId) },
      children: p.children.map((c) => ({ ...c, id: rename(c.id) })),
    })),
  };
}

interface Bench {
  db: Db;
  client: Client;
  app: FastifyInstance;
  worker: ManagedProcess;
  /** The Temporal server's and PostgreSQL's postmaster's pids, for CPU accounting. */
  serverPid: number;
  postgresPid: number;
  taskQueue: string;
  bundlePath: string;
  dir: string;
  log: ReturnType<typeof createLogger>;
}

async function countRows(db: Db, query: ReturnType<typeof sql<{ n: string }>>): Promise<number> {
  const { rows } = await query.execute(db);
  return Number(rows[0]?.n ?? 0);
}

type CpuSeconds = { server: number; worker: number; postgres: number };

/** utime + stime of a process and of its children it has waited for, in seconds (Linux /proc, 100 ticks/s). */
function processCpuSeconds(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds used so far by the Temporal server, the worker process and PostgreSQL (the postmaster, its backends alive and reaped). */
function cpuSeconds(b: Bench): CpuSeconds {
  let postgres = processCpuSeconds(b.postgresPid);
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(b.postgresPid)) postgres += processCpuSeconds(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return { server: processCpuSeconds(b.serverPid), worker: processCpuSeconds(b.worker.pid() ?? 0), postgres };
}

/** CPU milliseconds per item between two samples, by process and in all. */
function cpuMsPer(before: CpuSeconds, after: CpuSeconds, items: number) {
  const per = (k: keyof CpuSeconds) => round(((after[k] - before[k]) * 1000) / Math.max(1, items), 1);
  const parts = { server: per('server'), worker: per('worker'), postgres: per('postgres') };
  return { ...parts, total: round(parts.server + parts.worker + parts.postgres, 1) };
}

/**
 * Raw start rate of an empty workflow from this process, at the launcher's concurrency, and what
 * each cost in CPU until its one workflow task is done. The rate counts the starts the server
 * accepted; the worker runs their tasks later (the backlog is drained before the next measurement,
 * so a launch does not queue behind it).
 */
async function emptyStartRate(b: Bench, label: string): Promise<{ rate: number; tasksDoneSeconds: number; cpuMsPerWorkflow: ReturnType<typeof cpuMsPer> }> {
  const cpu = cpuSeconds(b);
  const t = performance.now();
  await pool(Array.from({ length: BASELINE_STARTS }, (_, i) => i), CONCURRENCY, async (i) => {
    await b.client.workflow.start(emptyWorkflow, { workflowId: `baseline-${label}-${i}`, taskQueue: b.taskQueue });
  });
  const rate = BASELINE_STARTS / ((performance.now() - t) / 1000);
  await drainWorkflowTasks(b.client, b.taskQueue);
  for (let i = 0; i < 240 && (await b.client.workflow.count(`WorkflowType = "emptyWorkflow" AND ExecutionStatus = "Running"`)).count > 0; i++) await sleep(250);
  const tasksDoneSeconds = (performance.now() - t) / 1000;
  return { rate, tasksDoneSeconds: round(tasksDoneSeconds), cpuMsPerWorkflow: cpuMsPer(cpu, cpuSeconds(b), BASELINE_STARTS) };
}

/** Opens the city's cycle, launches it and waits until every project is projected and listed by visibility. */
async function launchCity(b: Bench, city: GeneratedCity) {
  const cycleId = city.cycle.cycleId;
  const topLevel = city.projects.length;
  await openCycle(b.db, { cycle: city.cycle, orgs: city.orgs, users: city.users, projects: city.projects });
  const cpu = cpuSeconds(b);
  const t = performance.now();
  const handle = await b.client.workflow.start(launchCycleWorkflow, { workflowId: launchWorkflowId(cycleId), taskQueue: b.taskQueue, args: [{ cycleId, batchSize: 100, concurrency: CONCURRENCY }] });
  // BENCH_SCALE_STOP_AT (an instant): a launch still running then is stopped, and the figures are those of what it started.
  const stopAt = stopAtMs();
  let timer: NodeJS.Timeout | undefined;
  const stopped = Number.isFinite(stopAt)
    ? await Promise.race([handle.result().then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), Math.max(0, stopAt - Date.now()))))])
    : await handle.result().then(() => false);
  clearTimeout(timer);
  if (stopped) await handle.terminate('BENCH_SCALE_STOP_AT reached');
  const launchSeconds = (performance.now() - t) / 1000;
  // Stopped: what was started is what visibility lists (the last batch may be started but not yet marked).
  if (stopped) await sleep(5000);
  const started = stopped ? (await b.client.workflow.count(`CycleId = "${cycleId}"`)).count : topLevel;
  const deadline = stopped ? Date.now() + 60_000 : Date.now() + Math.max(20 * 60_000, topLevel * 100);
  let projected: number;
  for (;;) {
    projected = await countRows(b.db, sql<{ n: string }>`select count(*) as n from projects where cycle_id = ${cycleId} and parent_id is null`);
    if (projected >= started || Date.now() > deadline) break;
    await sleep(1000);
  }
  const projectedSeconds = (performance.now() - t) / 1000;
  // The launcher writes the projections; the workflows' first tasks may still be queued: CPU is counted until they are done.
  await drainWorkflowTasks(b.client, b.taskQueue);
  const firstTasksDoneSeconds = (performance.now() - t) / 1000;
  const cpuMsPerWorkflow = cpuMsPer(cpu, cpuSeconds(b), started);
  let workflows = 0;
  for (let i = 0; i < 120; i++) {
    workflows = (await b.client.workflow.count(`CycleId = "${cycleId}"`)).count;
    if (workflows >= started) break;
    await sleep(1000);
  }
  // What one launch costs Temporal: the events, workflow tasks and activities in a launched project's history.
  const sample = await b.client.workflow.getHandle(projectWorkflowId(cycleId, city.projects[0]!.create.projectId)).fetchHistory();
  const events = sample.events ?? [];
  return {
    cycleId,
    perLaunchedWorkflow: {
      historyEvents: events.length,
      workflowTasks: events.filter((e) => e.workflowTaskCompletedEventAttributes).length,
      activities: events.filter((e) => e.activityTaskScheduledEventAttributes).length,
      localActivityMarkers: events.filter((e) => e.markerRecordedEventAttributes).length,
    },
    projectsInCity: city.projects.length + city.projects.reduce((n, p) => n + p.children.length, 0),
    topLevelWorkflows: topLevel,
    ...(stopped ? { stoppedEarly: true, startedBeforeStop: started } : {}),
    launchSeconds: round(launchSeconds),
    launchStartsPerSecond: round(started / launchSeconds),
    allProjectedSeconds: round(projectedSeconds),
    /** Until the worker had run every launched workflow's first task (the task queue's backlog empty). */
    firstTasksDoneSeconds: round(firstTasksDoneSeconds),
    /** CPU per launched workflow from the launch's start until all are projected and their first tasks done, by process. */
    cpuMsPerWorkflow,
    workflowsCounted: workflows,
    projectionsCounted: projected,
    nothingLost: workflows === started && projected === started,
  };
}

/**
 * The worker process's resident set once it settles: the median of five samples a second apart,
 * 10 s after the load, and again 60 s after it (V8 and the allocator give memory back lazily).
 */
async function workerResidentMiB(worker: ManagedProcess, logFile: string): Promise<{ rssMiB: number; rssMiBAfter60s: number; heap: WorkerMemoryLine | null; heapAfter60s: WorkerMemoryLine | null }> {
  const median = async () => {
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      samples.push((await workerResidentMiBNow(worker)) ?? NaN);
      await sleep(1000);
    }
    return [...samples].sort((x, y) => x - y)[2]!;
  };
  await sleep(10_000);
  const rssMiB = await median();
  const heap = lastWorkerMemory(logFile);
  await sleep(45_000);
  return { rssMiB, rssMiBAfter60s: await median(), heap, heapAfter60s: lastWorkerMemory(logFile) };
}

/** The worker's own `worker memory` log line (every 5 s here): where its RSS goes, V8's heap or native memory. */
interface WorkerMemoryLine {
  rssMiB: number;
  heapTotalMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
  arrayBuffersMiB: number;
  cachedWorkflows: number;
}

function lastWorkerMemory(logFile: string): WorkerMemoryLine | null {
  // The log file, not the process's recent output: a busy worker's last 20 KB may hold no such line.
  let text: string;
  try {
    const fd = fs.openSync(logFile, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const length = Math.min(size, 1 << 20);
      const buffer = Buffer.alloc(length);
      fs.readSync(fd, buffer, 0, length, size - length);
      text = buffer.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
  const line = text
    .split('\n')
    .filter((l) => l.includes('"worker memory"') && l.endsWith('}'))
    .at(-1);
  if (!line) return null;
  try {
    const { rssMiB, heapTotalMiB, heapUsedMiB, externalMiB, arrayBuffersMiB, cachedWorkflows } = JSON.parse(line) as WorkerMemoryLine;
    return { rssMiB, heapTotalMiB, heapUsedMiB, externalMiB, arrayBuffersMiB, cachedWorkflows };
  } catch {
    return null; // a line cut by the 1 MiB window
  }
}

/**
 * The worker's RSS sampled each minute of the province launch, under the same load throughout
 * while the open workflows grow: its lowest and highest, and whether every sample lies within ±10%
 * of their midpoint. The first two minutes are left out (the cache fills and the heap grows to its
 * working size then).
 */
function rssSpread(series: { seconds: number; openWorkflows: number; rssMiB: number }[]) {
  const steady = series.filter((x) => x.seconds >= 120);
  if (steady.length < 2) return { samples: series };
  const rss = steady.map((x) => x.rssMiB);
  const min = Math.min(...rss);
  const max = Math.max(...rss);
  const mid = (min + max) / 2;
  return {
    samples: series,
    openWorkflows: [steady[0]!.openWorkflows, steady.at(-1)!.openWorkflows],
    rssMiB: [min, max],
    spreadAroundMidpoint: round((max - mid) / mid, 3),
    withinTenPercent: (max - mid) / mid <= 0.1,
  };
}

/** The V8 heap beside the RSS, from the worker's own memory lines, for the table. */
function heapText(city: unknown, big: unknown): string {
  const line = (x: unknown) => x as WorkerMemoryLine | null | undefined;
  const a = line(city);
  const b = line(big);
  if (!a) return '';
  const one = (x: WorkerMemoryLine) => `${x.heapUsedMiB} of ${x.heapTotalMiB} MiB heap, ${x.cachedWorkflows} cached`;
  return `; V8: ${one(a)}${b ? ` → ${one(b)}` : ''}`;
}

/** One RSS sample of the worker process, for progress lines. */
async function workerResidentMiBNow(worker: ManagedProcess): Promise<number | undefined> {
  try {
    const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${worker.pid()}/status`, 'utf8'))?.[1]);
    return Number.isFinite(kb) ? round(kb / 1024) : undefined;
  } catch {
    return undefined;
  }
}

async function openWorkflows(b: Bench): Promise<number> {
  return (await b.client.workflow.count('ExecutionStatus = "Running"')).count;
}

/** Cycle-wide verification of a launched cycle: projects/s, failures, replay workers used. */
async function verifyCity(b: Bench, cycleId: string) {
  const before = { ...replayStats };
  const t = performance.now();
  const result = await verifyCycle({ db: b.db, temporal: b.client, store: createFileContentStore(path.join(b.dir, 'evidence')), workflows: { workflowBundlePath: b.bundlePath } }, cycleId, {
    concurrency: VERIFY_CONCURRENCY,
    onProgress: (p) => {
      if (p.done % 500 === 0) b.log.warn(`verified ${p.done}/${p.total}`);
    },
  });
  const seconds = (performance.now() - t) / 1000;
  return {
    concurrency: VERIFY_CONCURRENCY,
    seconds: round(seconds),
    topLevelVerified: result.verified,
    projectsCovered: result.projectsCovered,
    projectsPerSecond: round(result.verified / seconds),
    failures: result.failures.length,
    failedChecks: result.failedChecks,
    replayWorkersMade: replayStats.workers - before.workers,
    historiesReplayed: replayStats.histories - before.histories,
  };
}

/**
 * One request through the app. A read, and an action with its Idempotency-Key, are retried as a
 * client would while the answer is "busy" (503, 429); an action also while "the same key is still
 * in progress" (409). (The full run of 2026-12-01 lost its latencies to one unretried 503.)
 */
async function inject(b: Bench, token: string, method: 'GET' | 'POST', url: string, body?: unknown, key?: string) {
  for (let attempt = 1; ; attempt++) {
    const response = await b.app.inject({ method, url, headers: { authorization: `Bearer ${token}`, ...(key ? { 'idempotency-key': key } : {}) }, ...(body === undefined ? {} : { payload: body as object }) });
    if (response.statusCode < 300) return response;
    const busy = response.statusCode === 503 || response.statusCode === 429;
    const retry = attempt < 20 && (method === 'GET' ? busy : key !== undefined && (busy || (response.statusCode === 409 && response.body.includes('progress'))));
    if (!retry) throw new Error(`${method} ${url}: ${response.statusCode} ${response.body.slice(0, 300)}`);
    await sleep(Math.min(5000, 250 * attempt));
  }
}

/**
 * The quarterly deadline storm: STORM projects brought to "in progress" (submit, approve, letter
 * through the API), their Q1 evidence deadline one instant for all; from that instant until every
 * inspection-due event, inspection row, inspection task and missing-evidence notice is stored.
 */
async function deadlineStorm(b: Bench, launchRate: number) {
  const generated = withProjectPrefix(generateCity({ seed: SEED + 1, projects: STORM, units: Math.max(1, Math.min(40, Math.floor((STORM - 1) / 3))), cycleId: 'bench-storm' }), 'PS');
  const city = { ...generated, projects: generated.projects.map((p) => ({ ...p, children: [] })) };
  const n = city.projects.length;
  // Launch and three Updates per project must be done by the deadline: a conservative lead
  // (an Update with its persistence costs about two launches here.)
  const leadSeconds = STORM_LEAD_SECONDS > 0 ? STORM_LEAD_SECONDS : Math.ceil(30 + (7.5 * n) / Math.max(1, launchRate));
  const deadlineAt = Date.now() + leadSeconds * 1000;
  const deadline = new Date(deadlineAt).toISOString();
  const base = compressedCycle(city.cycle.cycleId, Date.now() + 6 * HOUR);
  const cycle = {
    ...base,
    committee: city.cycle.committee,
    calendar: { ...base.calendar, quarters: base.calendar.quarters.map((q) => (q.quarter === 1 ? { ...q, evidenceDeadline: deadline, inspectionWindowEnd: new Date(deadlineAt + HOUR).toISOString() } : q)) },
  };
  await openCycle(b.db, { cycle, orgs: city.orgs, users: city.users, projects: city.projects });
  let t = performance.now();
  await b.client.workflow.execute(launchCycleWorkflow, { workflowId: launchWorkflowId(cycle.cycleId), taskQueue: b.taskQueue, args: [{ cycleId: cycle.cycleId, batchSize: 100, concurrency: CONCURRENCY }] });
  for (;;) {
    const projected = await countRows(b.db, sql<{ n: string }>`select count(*) as n from projects where cycle_id = ${cycle.cycleId}`);
    if (projected >= n) break;
    await sleep(500);
  }
  const launchSeconds = (performance.now() - t) / 1000;
  const tokens = new Map<string, string>();
  for (const id of new Set(city.projects.flatMap((p) => [p.create.leadSecretaryId, p.create.reviewer.userId]))) tokens.set(id, await issueToken(b.db, id, 'bench-storm'));
  t = performance.now();
  let driveFailures = 0;
  await pool(
    city.projects.map((p) => p.create),
    CONCURRENCY,
    async (create) => {
      const id = create.projectId;
      try {
        await inject(b, tokens.get(create.leadSecretaryId)!, 'POST', `/projects/${id}/submit`, {}, `storm-${id}-submit`);
        await inject(b, tokens.get(create.reviewer.userId)!, 'POST', `/projects/${id}/review`, { decision: 'approve' }, `storm-${id}-review`);
        await inject(b, tokens.get(create.leadSecretaryId)!, 'POST', `/projects/${id}/letter`, { text: '本人承诺履行第一责任人职责' }, `storm-${id}-letter`);
      } catch (error) {
        driveFailures += 1;
        b.log.warn(`storm: ${id}: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
  );
  const driveSeconds = (performance.now() - t) / 1000;
  const waitedSeconds = Math.max(0, (deadlineAt - Date.now()) / 1000);
  b.log.warn(`storm: ${n} projects driven in ${round(driveSeconds)} s; deadline in ${round(waitedSeconds)} s`);
  if (waitedSeconds > 0) await sleep(waitedSeconds * 1000);
  // In progress at the deadline: the letter signed before it (a later letter answers for later quarters only).
  await sleep(2000);
  const inProgressBeforeDeadline = await countRows(
    b.db,
    sql<{ n: string }>`select count(*) as n from project_events e join projects p on p.id = e.project_id where p.cycle_id = ${cycle.cycleId} and e.type = 'signLetter' and (e.event->>'at')::timestamptz < ${new Date(deadlineAt)}`,
  );

  const counts = async () => ({
    inspectionDueEvents: await countRows(b.db, sql<{ n: string }>`select count(*) as n from project_events e join projects p on p.id = e.project_id where p.cycle_id = ${cycle.cycleId} and e.type = 'inspectionDue'`),
    inspectionRowsDue: await countRows(b.db, sql<{ n: string }>`select count(*) as n from inspections i join projects p on p.id = i.project_id where p.cycle_id = ${cycle.cycleId} and i.quarter = 1 and i.due`),
    inspectionTasks: await countRows(b.db, sql<{ n: string }>`select count(*) as n from tasks where cycle_id = ${cycle.cycleId} and key = 'inspection:Q1'`),
    missingEvidenceNotices: await countRows(b.db, sql<{ n: string }>`select count(*) as n from notifications where cycle_id = ${cycle.cycleId} and kind = 'evidence_missing'`),
  });
  const limit = Date.now() + Math.max(10 * 60_000, n * 1000);
  let now = await counts();
  while (Date.now() < limit) {
    now = await counts();
    if (now.inspectionDueEvents >= inProgressBeforeDeadline && now.inspectionRowsDue >= inProgressBeforeDeadline && now.missingEvidenceNotices >= inProgressBeforeDeadline) break;
    await sleep(250);
  }
  const lastStored = await sql<{ last: Date | null; first: Date | null }>`
    select max(at) as last, min(at) as first from (
      select e.recorded_at as at from project_events e join projects p on p.id = e.project_id where p.cycle_id = ${cycle.cycleId} and e.type = 'inspectionDue'
      union all select created_at from notifications where cycle_id = ${cycle.cycleId} and kind = 'evidence_missing'
    ) x`.execute(b.db);
  const last = lastStored.rows[0]?.last ? new Date(lastStored.rows[0].last).getTime() : NaN;
  const first = lastStored.rows[0]?.first ? new Date(lastStored.rows[0].first).getTime() : NaN;
  const doneSeconds = (last - deadlineAt) / 1000;
  return {
    cycleId: cycle.cycleId,
    projects: n,
    leadSeconds,
    launchSeconds: round(launchSeconds),
    driveSeconds: round(driveSeconds),
    driveFailures,
    inProgressAtDeadline: inProgressBeforeDeadline,
    ...now,
    firstStoredAfterDeadlineSeconds: round((first - deadlineAt) / 1000, 2),
    allDoneAfterDeadlineSeconds: round(doneSeconds, 2),
    projectsPerSecond: round(inProgressBeforeDeadline / doneSeconds),
    ratioToLaunchRate: round(inProgressBeforeDeadline / doneSeconds / launchRate, 2),
    complete: now.inspectionDueEvents === inProgressBeforeDeadline && now.inspectionRowsDue === inProgressBeforeDeadline && now.missingEvidenceNotices === inProgressBeforeDeadline,
  };
}

/** Sequential requests over the tokens in turn; p50/p95 in ms after five warm-up requests. */
async function latency(b: Bench, tokens: string[], url: (i: number) => string, requests = LATENCY_REQUESTS) {
  const times: number[] = [];
  for (let i = 0; i < requests + 5; i++) {
    const t = performance.now();
    await inject(b, tokens[i % tokens.length]!, 'GET', url(i));
    if (i >= 5) times.push(performance.now() - t);
  }
  return { requests, p50Ms: round(percentile(times, 50)), p95Ms: round(percentile(times, 95)) };
}

/** GET /me/tasks, GET /projects (org subtree + stage, paged) and the committee figures on the big cycle, against GET /me. */
async function bigLatencies(b: Bench, city: GeneratedCity, progress: (soFar: Record<string, unknown>) => void) {
  const cycleId = city.cycle.cycleId;
  const spread = <T>(list: T[], k: number) => (list.length <= k ? list : Array.from({ length: k }, (_, i) => list[Math.floor((i * list.length) / k)]!));
  const secretaries = spread([...new Set(city.projects.map((p) => p.create.leadSecretaryId))], 20);
  const reviewers = spread([...new Set(city.projects.map((p) => p.create.reviewer.userId))], 20);
  const committee = city.users.filter((u) => u.role === 'committee').map((u) => u.id);
  const tokensOf = (ids: string[]) => Promise.all(ids.map((id) => issueToken(b.db, id, 'bench-scale')));
  const people = await tokensOf([...secretaries, ...reviewers]);
  const staff = await tokensOf(committee);
  const units = city.orgs.filter((o) => o.parentId === city.cycle.committee.orgId).map((o) => o.id);
  const perUnit = Math.max(1, Math.round(city.projects.length / Math.max(1, units.length)));
  const result: Record<string, unknown> = {};
  const getMe = await latency(b, [...people, ...staff], () => '/me');
  result.getMe = getMe;
  progress(result);
  const myTasks = await latency(b, people, () => '/me/tasks');
  result.myTasks = { ...myTasks, ratioP95: round(myTasks.p95Ms / getMe.p95Ms, 2), under100msAtP95: myTasks.p95Ms < 100 };
  progress(result);
  const listProjects = await latency(b, staff, (i) => `/projects?cycle=${cycleId}&org=${units[i % units.length]}&stage=draft&limit=50&offset=${((i * 50) % perUnit) - (((i * 50) % perUnit) % 50)}`);
  const firstList = await inject(b, staff[0]!, 'GET', `/projects?cycle=${cycleId}&limit=1`);
  result.listProjects = { filter: 'org subtree of a unit, stage=draft, 50 per page', ...listProjects, ratioP95: round(listProjects.p95Ms / getMe.p95Ms, 2), under100msAtP95: listProjects.p95Ms < 100, cycleTotal: (firstList.json() as { total?: number }).total ?? null };
  progress(result);
  // The figures: the API process keeps a cycle's states between reads (db/cycle-states.ts), so the
  // first read of the cycle in this process (cold) is measured apart; then reads with nothing
  // written between them; then reads each after 1% of the cycle's projects were written again
  // (their rows rewritten unchanged: a new row version, as a busy day's projections give).
  const figuresUrl = `/cycles/${cycleId}/figures`;
  const coldStarted = performance.now();
  await inject(b, staff[0]!, 'GET', figuresUrl);
  const coldMs = round(performance.now() - coldStarted);
  const figures = await latency(b, staff, () => figuresUrl, FIGURES_REQUESTS);
  const ids = (await b.db.selectFrom('projects').select('id').where('cycle_id', '=', cycleId).execute()).map((r) => r.id);
  const perRound = Math.max(1, Math.round(ids.length / 100));
  const afterWrites: number[] = [];
  for (let i = 0; i < FIGURES_REQUESTS; i++) {
    const written = Array.from({ length: perRound }, (_, k) => ids[(i * perRound + k * 97) % ids.length]!);
    await sql`update projects set state = state where id = any(${written}::text[])`.execute(b.db);
    const t = performance.now();
    await inject(b, staff[i % staff.length]!, 'GET', figuresUrl);
    afterWrites.push(performance.now() - t);
  }
  result.figures = {
    ...figures,
    coldMs,
    afterWrites: { projectsWrittenBeforeEach: perRound, p50Ms: round(percentile(afterWrites, 50)), p95Ms: round(percentile(afterWrites, 95)) },
    ratioP95: round(figures.p95Ms / getMe.p95Ms, 2),
    under2sAtP95: figures.p95Ms < 2000 && percentile(afterWrites, 95) < 2000,
  };
  return result;
}

function write(report: Record<string, unknown>): void {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  fs.writeFileSync(path.join(RESULTS_DIR, 'scale.json'), `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(RESULTS_DIR, 'scale.html'), scaleHtml(report));
}

/** Runs every part in order, writing the results after each. */
export async function benchScale(): Promise<Record<string, unknown>> {
  const log = createLogger('warn', 'bench-scale');
  installRuntimeLogging(log);
  const config = loadConfig();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'party-bench-scale-'));
  fs.chmodSync(dir, 0o755);
  const cli = await ensureTemporalCli(config.cacheDir, log);
  const server = await startTemporalDevServer({ cliPath: cli, port: await freePort(), uiPort: null, namespace: 'default', dbFile: path.join(dir, 'temporal.db'), log });
  const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort(), log });
  const databaseUrl = await ensureDatabase(pg.serverUrl, 'party_projects');
  const db = createDb(databaseUrl, { max: 20 });
  const report: Record<string, unknown> = {
    measuredAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGiB: round(os.totalmem() / 2 ** 30), node: process.version, loadAverageAtStart: os.loadavg().map((x) => round(x, 2)) },
    shape: 'embedded default: Temporal dev server (SQLite file, WAL), embedded PostgreSQL, one worker process (worker/main.ts) and the app in this process',
    settings: { cityProjects: CITY, bigProjects: BIG, bigUnits: BIG_UNITS, stormProjects: STORM, concurrency: CONCURRENCY, verifyConcurrency: VERIFY_CONCURRENCY, baselineStarts: BASELINE_STARTS, latencyRequests: LATENCY_REQUESTS, seed: SEED },
  };
  let clientConnection: Connection | undefined;
  let worker: ManagedProcess | undefined;
  let stopping = false;
  let app: FastifyInstance | undefined;
  try {
    await migrateToLatest(db);
    const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: new DefaultLogger('WARN') });
    const bundlePath = path.join(dir, 'bundle.js');
    fs.writeFileSync(bundlePath, bundle.code);
    const taskQueue = 'bench-scale';
    // The worker in its own process, as in production: its RSS is the worker's alone.
    worker = managedProcess({
      kind: 'worker',
      name: 'worker',
      env: { ...clusterProcessEnv('worker', { temporalAddress: server.address, namespace: 'default', taskQueue, databaseUrl, evidenceDir: path.join(dir, 'evidence'), logLevel: 'info' }), WORKER_MEMORY_LOG_SECONDS: '5' },
      url: null,
      logFile: path.join(dir, 'worker.log'),
      log,
      restart: false,
      isStopping: () => stopping,
      address: server.address,
      namespace: 'default',
      taskQueue,
      onSpawn: () => undefined,
    });
    await worker.ready();
    clientConnection = await Connection.connect({ address: server.address });
    const client = new Client({ connection: clientConnection });
    app = await buildApp({ db, temporal: client, namespace: 'default', taskQueue, logger: log, store: createFileContentStore(path.join(dir, 'evidence')), rateLimitPerMinute: 10_000_000 });
    const b: Bench = { db, client, app, worker, serverPid: server.pid, postgresPid: pg.pid, taskQueue, bundlePath, dir, log };
    const created = worker
      .output()
      .split('\n')
      .map((line) => (line.includes('worker created') ? (JSON.parse(line) as { maxCachedWorkflows?: number; maxConcurrentWorkflowTaskExecutions?: number }) : undefined))
      .find((x) => x !== undefined);
    report.worker = { pid: worker.pid(), maxCachedWorkflows: created?.maxCachedWorkflows ?? null, maxConcurrentWorkflowTaskExecutions: created?.maxConcurrentWorkflowTaskExecutions ?? null };
    const startedAt = Date.now();
    const elapsed = () => `${round((Date.now() - startedAt) / 1000)} s`;

    // 1. The city's launch against the empty-workflow start rate.
    const { rate: baseline, tasksDoneSeconds: baselineTasksDone, cpuMsPerWorkflow: baselineCpu } = await emptyStartRate(b, 'city');
    const city = generateCity({ seed: SEED, projects: CITY, cycleId: 'bench-city' });
    const cityLaunch = await launchCity(b, city);
    report.cityLaunch = { ...cityLaunch, baselineEmptyStartsPerSecond: round(baseline), baselineEmptyTasksDoneSeconds: baselineTasksDone,
      baselineCpuMsPerEmptyWorkflow: baselineCpu,
      ratio: round(cityLaunch.launchStartsPerSecond / baseline, 3),
      /** The same comparison counted until every first workflow task was done, of the launch and of the empty workflows. */
      ratioFirstTasksDone: round(cityLaunch.topLevelWorkflows / cityLaunch.firstTasksDoneSeconds / (BASELINE_STARTS / baselineTasksDone), 3),
    };
    log.warn(`[${elapsed()}] city: ${JSON.stringify(report.cityLaunch)}`);
    write(report);

    // 2. Memory with the city's workflows open.
    const memoryCity = { openWorkflows: await openWorkflows(b), ...(await workerResidentMiB(worker, path.join(dir, 'worker.log'))) };
    report.memory = { withCity: memoryCity };
    write(report);

    // 3. Cycle-wide audit verification of the city.
    const verification = await verifyCity(b, cityLaunch.cycleId);
    report.verification = { ...verification, ratioToLaunchRate: round(verification.projectsPerSecond / cityLaunch.launchStartsPerSecond, 3) };
    log.warn(`[${elapsed()}] verification: ${JSON.stringify(report.verification)}`);
    write(report);

    // 4. The quarterly deadline storm.
    if (STORM > 0) {
      report.deadlineStorm = await deadlineStorm(b, cityLaunch.launchStartsPerSecond);
      log.warn(`[${elapsed()}] storm: ${JSON.stringify(report.deadlineStorm)}`);
      write(report);
    }

    // 5. The province-sized cycle.
    if (BIG > 0) {
      const { rate: bigBaseline, tasksDoneSeconds: bigBaselineTasksDone, cpuMsPerWorkflow: bigBaselineCpu } = await emptyStartRate(b, 'big');
      const big = withProjectPrefix(generateCity({ seed: SEED, projects: BIG, units: BIG_UNITS, cycleId: 'bench-province' }), 'PB');
      log.warn(`[${elapsed()}] launching ${big.projects.length} top-level projects (empty workflows ${round(bigBaseline)}/s)`);
      // Progress every minute into the JSON too: a run stopped before the end keeps the rate so far.
      // The worker's RSS each minute beside the open workflows: the same load throughout, the open
      // workflows growing tenfold.
      const openBefore = await openWorkflows(b);
      const series: { seconds: number; openWorkflows: number; rssMiB: number; heapUsedMiB?: number; heapTotalMiB?: number; cachedWorkflows?: number }[] = [];
      const bigStarted = Date.now();
      const sampler = setInterval(() => {
        void (async () => {
          const seconds = (Date.now() - bigStarted) / 1000;
          const started = await countRows(db, sql<{ n: string }>`select count(*) as n from cycle_projects where cycle_id = ${big.cycle.cycleId} and started_at is not null`);
          const projected = await countRows(db, sql<{ n: string }>`select count(*) as n from projects where cycle_id = ${big.cycle.cycleId} and parent_id is null`);
          const rssMiB = (await workerResidentMiBNow(b.worker)) ?? null;
          const heap = lastWorkerMemory(path.join(dir, 'worker.log'));
          if (rssMiB !== null) series.push({ seconds: round(seconds), openWorkflows: openBefore + started, rssMiB, ...(heap ? { heapUsedMiB: heap.heapUsedMiB, heapTotalMiB: heap.heapTotalMiB, cachedWorkflows: heap.cachedWorkflows } : {}) });
          report.bigLaunchProgress = { topLevelWorkflows: big.projects.length, seconds: round(seconds), started, projected, startsPerSecondSoFar: round(started / seconds), ratioSoFar: round(started / seconds / bigBaseline, 3), rssMiB };
          log.warn(`[${elapsed()}] big: ${JSON.stringify(report.bigLaunchProgress)}`);
          write(report);
        })().catch(() => undefined);
      }, 60_000);
      let bigLaunch: Awaited<ReturnType<typeof launchCity>>;
      try {
        bigLaunch = await launchCity(b, big);
      } finally {
        clearInterval(sampler);
      }
      report.bigLaunch = { ...bigLaunch, baselineEmptyStartsPerSecond: round(bigBaseline), baselineEmptyTasksDoneSeconds: bigBaselineTasksDone,
        baselineCpuMsPerEmptyWorkflow: bigBaselineCpu,
        ratio: round(bigLaunch.launchStartsPerSecond / bigBaseline, 3),
        ratioFirstTasksDone: round(bigLaunch.topLevelWorkflows / bigLaunch.firstTasksDoneSeconds / (BASELINE_STARTS / bigBaselineTasksDone), 3),
      };
      log.warn(`[${elapsed()}] big: ${JSON.stringify(report.bigLaunch)}`);
      const memoryBig = { openWorkflows: await openWorkflows(b), ...(await workerResidentMiB(worker, path.join(dir, 'worker.log'))) };
      // Both samples settled, in the worker process alone: with its workflow cache bounded (full
      // at the city's size already), ten times the open workflows should cost the same memory.
      report.memory = {
        withCity: memoryCity,
        afterBig: memoryBig,
        ratioRss: round(memoryBig.rssMiB / memoryCity.rssMiB, 3),
        withinTenPercent: Math.abs(memoryBig.rssMiB / memoryCity.rssMiB - 1) <= 0.1,
        ratioRssAfter60s: round(memoryBig.rssMiBAfter60s / memoryCity.rssMiBAfter60s, 3),
        withinTenPercentAfter60s: Math.abs(memoryBig.rssMiBAfter60s / memoryCity.rssMiBAfter60s - 1) <= 0.1,
        // The worker's environment: glibc's malloc arenas are capped when MALLOC_ARENA_MAX is set.
        mallocArenaMax: process.env.MALLOC_ARENA_MAX ?? null,
        duringBigLaunch: rssSpread(series),
      };
      write(report);
      await sql`analyze`.execute(db);
      report.bigLatencies = await bigLatencies(b, big, (part) => {
        report.bigLatencies = part;
        write(report);
      });
      log.warn(`[${elapsed()}] latencies: ${JSON.stringify(report.bigLatencies)}`);
      write(report);
    }
    report.loadAverageAtEnd = os.loadavg().map((x) => round(x, 2));
    report.seconds = round((Date.now() - startedAt) / 1000);
    write(report);
    return report;
  } finally {
    stopping = true;
    await app?.close();
    await worker?.stop();
    await clientConnection?.close();
    await db.destroy();
    await pg.stop();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

type Numbers = Record<string, number | boolean | string | null | undefined | object>;

/** A page a person can look at: every figure with its baseline, and a chart of the ratios (inline SVG). */
export function scaleHtml(report: Record<string, unknown>): string {
  const get = (part: string) => report[part] as Numbers | undefined;
  const lat = get('bigLatencies') as Record<string, Numbers> | undefined;
  const rows: [string, string, number | undefined, number | undefined, 'higher' | 'lower' | 'near1'][] = [];
  const city = get('cityLaunch');
  if (city) rows.push(['city launch starts/s ÷ empty starts/s', `${city.launchStartsPerSecond}/s vs ${city.baselineEmptyStartsPerSecond}/s; ${city.topLevelWorkflows} workflows, ${city.workflowsCounted} counted, ${city.projectionsCounted} projected`, Number(city.ratio), 0.5, 'higher']);
  if (city?.ratioFirstTasksDone !== undefined) rows.push(['city launch ÷ empty workflows, until every first workflow task is done', `${city.topLevelWorkflows} in ${city.firstTasksDoneSeconds} s vs ${BASELINE_STARTS} empty in ${city.baselineEmptyTasksDoneSeconds} s`, Number(city.ratioFirstTasksDone), 0.5, 'higher']);
  const cpu = (x: unknown) => x as { server: number; worker: number; postgres: number; total: number } | undefined;
  const launchCpu = cpu(city?.cpuMsPerWorkflow);
  const emptyCpu = cpu(city?.baselineCpuMsPerEmptyWorkflow);
  if (launchCpu && emptyCpu) {
    const text = (c: NonNullable<typeof launchCpu>) => `${c.total} ms (server ${c.server}, worker ${c.worker}, PostgreSQL ${c.postgres})`;
    rows.push(['city: CPU per launched workflow ÷ per empty workflow', `${text(launchCpu)} vs ${text(emptyCpu)}`, round(launchCpu.total / Math.max(0.1, emptyCpu.total), 2), undefined, 'lower']);
  }
  const v = get('verification');
  if (v) rows.push(['audit projects/s ÷ launch starts/s', `${v.projectsPerSecond} projects/s (${v.topLevelVerified} in ${v.seconds} s, ${v.failures} failures, ${v.replayWorkersMade} replay workers)`, Number(v.ratioToLaunchRate), undefined, 'higher']);
  const s = get('deadlineStorm');
  if (s) rows.push(['deadline storm projects/s ÷ launch starts/s', `${s.inProgressAtDeadline} projects due at once: all done ${s.allDoneAfterDeadlineSeconds} s after the deadline (${s.inspectionDueEvents} events, ${s.inspectionRowsDue} rows, ${s.inspectionTasks} tasks, ${s.missingEvidenceNotices} notices)`, Number(s.ratioToLaunchRate), undefined, 'higher']);
  const big = get('bigLaunch');
  if (big) rows.push(['province launch starts/s ÷ empty starts/s', `${big.projectsInCity} projects, ${big.topLevelWorkflows} workflows${big.stoppedEarly ? ` (stopped at BENCH_SCALE_STOP_AT after ${big.startedBeforeStop} started)` : ''}: ${big.launchStartsPerSecond}/s vs ${big.baselineEmptyStartsPerSecond}/s; ${big.workflowsCounted} counted, ${big.projectionsCounted} projected`, Number(big.ratio), 0.5, 'higher']);
  if (big?.ratioFirstTasksDone !== undefined) rows.push(['province launch ÷ empty workflows, until every first workflow task is done', `${big.topLevelWorkflows} in ${big.firstTasksDoneSeconds} s vs ${BASELINE_STARTS} empty in ${big.baselineEmptyTasksDoneSeconds} s`, Number(big.ratioFirstTasksDone), 0.5, 'higher']);
  const m = get('memory') as { withCity?: Numbers; afterBig?: Numbers; ratioRss?: number } | undefined;
  const ref = m?.withCity;
  if (m && ref) {
    rows.push([
      'worker RSS after province ÷ worker RSS with city',
      `${ref.rssMiB} MiB with ${ref.openWorkflows} open${m.afterBig ? `; ${m.afterBig.rssMiB} MiB with ${m.afterBig.openWorkflows} open` : ''} (worker process alone, 10 s after the load${ref.rssMiBAfter60s !== undefined ? `; 60 s after: ${ref.rssMiBAfter60s} and ${m.afterBig?.rssMiBAfter60s ?? '—'} MiB` : ''})${heapText(ref.heap, (m.afterBig as { heap?: unknown } | undefined)?.heap)}`,
      m.ratioRss,
      1.1,
      'near1',
    ]);
  }
  const spread = (m as { duringBigLaunch?: { openWorkflows?: number[]; rssMiB?: number[] } } | undefined)?.duringBigLaunch;
  if (spread?.rssMiB && spread.openWorkflows) {
    const [low, high] = spread.rssMiB as [number, number];
    rows.push([
      'worker RSS during the province launch: highest ÷ lowest',
      `${low}–${high} MiB each minute while the open workflows grew from ${spread.openWorkflows[0]} to ${spread.openWorkflows[1]} (from the third minute on)`,
      round(high / low, 3),
      1.2,
      'near1',
    ]);
  }
  if (lat) {
    if (lat.myTasks) rows.push(['GET /me/tasks p95 ÷ GET /me p95', `p50 ${lat.myTasks.p50Ms} / p95 ${lat.myTasks.p95Ms} ms (target p95 < 100 ms); GET /me p95 ${lat.getMe.p95Ms} ms`, Number(lat.myTasks.ratioP95), undefined, 'lower']);
    if (lat.listProjects) rows.push(['GET /projects p95 ÷ GET /me p95', `p50 ${lat.listProjects.p50Ms} / p95 ${lat.listProjects.p95Ms} ms (target p95 < 100 ms)`, Number(lat.listProjects.ratioP95), undefined, 'lower']);
    if (lat.figures) {
      const after = lat.figures.afterWrites as { projectsWrittenBeforeEach: number; p50Ms: number; p95Ms: number } | undefined;
      const detail = [
        `p50 ${lat.figures.p50Ms} / p95 ${lat.figures.p95Ms} ms with nothing written between reads`,
        after ? `p50 ${after.p50Ms} / p95 ${after.p95Ms} ms with ${after.projectsWrittenBeforeEach} projects written before each` : null,
        lat.figures.coldMs !== undefined ? `first read in the process ${lat.figures.coldMs} ms` : null,
      ].filter(Boolean).join('; ');
      rows.push(['GET /cycles/:id/figures p95 ÷ GET /me p95', `${detail} (target p95 < 2 s)`, Number(lat.figures.ratioP95), undefined, 'lower']);
    }
  }
  const width = 820;
  const left = 330;
  const rowHeight = 34;
  const charted = rows.filter((r) => typeof r[2] === 'number' && Number.isFinite(r[2]));
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${charted.length * rowHeight + 20}" role="img" aria-label="ratios">`,
    ...charted.flatMap(([label, , ratio, target], i) => {
      const y = 10 + i * rowHeight;
      const max = Math.max(ratio!, target ?? 0) * 1.15 || 1;
      const x = (value: number) => left + ((width - left - 70) * value) / max;
      return [
        `<text x="${left - 8}" y="${y + 17}" text-anchor="end" font-size="13">${escape(label)}</text>`,
        `<rect x="${left}" y="${y + 4}" width="${Math.max(1, x(ratio!) - left)}" height="18" fill="#3b6ea5"/><text x="${x(ratio!) + 4}" y="${y + 18}" font-size="12">${ratio}</text>`,
        target === undefined ? '' : `<line x1="${x(target)}" x2="${x(target)}" y1="${y}" y2="${y + 28}" stroke="#c00" stroke-dasharray="4 3"/>`,
      ];
    }),
    '</svg>',
  ].join('\n');
  const table = rows.map(([label, text, ratio]) => `<tr><th>${escape(label)}</th><td>${escape(text)}</td><td><b>${ratio ?? '—'}</b></td></tr>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Scale figures</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.4rem;vertical-align:top;font-size:14px;text-align:left}</style></head>
<body><h1>Scale figures (issue #15), embedded default</h1>
<p>Measured ${escape(String(report.measuredAt))} on ${escape(JSON.stringify(report.machine ?? {}))}; settings ${escape(JSON.stringify(report.settings ?? {}))}; worker ${escape(JSON.stringify(report.worker ?? {}))}. Each figure is a ratio to a baseline measured in the same run (red line: target).</p>
${svg}
<table><tr><th>figure</th><th>measured</th><th>ratio</th></tr>
${table}
</table></body></html>
`;
}

if (require.main === module) {
  benchScale().then(
    (report) => {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
