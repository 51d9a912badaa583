/**
 * The embedded default and the cluster shape side by side (part of `npm run bench`; alone:
 * `node --import tsx bench/shapes.ts`). Each figure is a ratio to its own server's baseline,
 * measured in the same run:
 *
 * - launch of a generated city (BENCH_SHAPE_PROJECTS, default 2,800): starts/s against the raw
 *   start rate of an empty workflow at the same concurrency; nothing lost (workflows counted by
 *   visibility, projections by the database);
 * - evidence submission (HTTP → Update → activity → row) p50/p99 at fixed offered loads
 *   (BENCH_SHAPE_LOADS per second, default 4,8; BENCH_SHAPE_LOAD_SECONDS each, default 15) against
 *   an empty Update's round trip at the same loads (bench/ping-workflow.ts);
 * - `GET /projects?cycle=…` (paged) p50/p95 on the launched city against `GET /me`.
 *
 * The embedded default is what `npm start` runs: the file-backed dev server, the embedded
 * PostgreSQL, one worker and the API in one process. The cluster shape is `startCluster`
 * (scripts/cluster.ts): the real server with 8 history shards on PostgreSQL, two worker processes,
 * two API processes (requests alternate between them). Writes bench/results/shapes.json and
 * bench/results/shapes.html (a table and an SVG chart of the ratios).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { pool } from '../activities/cycles';
import { buildApp } from '../api/app';
import { loadConfig } from '../config';
import { createDb, migrateToLatest, type Db } from '../db';
import { issueToken } from '../db/auth';
import { createFileContentStore } from '../db/content-store';
import { openCycle } from '../db/cycles';
import { generateCity } from '../db/seed/city';
import { createLogger } from '../logger';
import { startCluster } from '../scripts/cluster';
import { ensureDatabase, startEmbeddedPostgres } from '../scripts/infra/embedded-postgres';
import { freePort } from '../scripts/infra/ports';
import { ensureTemporalCli } from '../scripts/infra/temporal-cli';
import { HISTORY_SHARDS, TEMPORAL_SERVER_VERSION } from '../scripts/infra/temporal-server';
import { startTemporalDevServer } from '../scripts/infra/temporal-dev-server';
import { createWorker, installRuntimeLogging } from '../worker';
import { emptyWorkflow } from '../workflows/empty';
import { drainWorkflowTasks } from './task-queue';
import { launchCycleWorkflow, launchWorkflowId } from '../workflows/launch-cycle';
import { compressedCycle, HOUR } from '../test/fixtures/cycles';
import { pingUpdate, pingWorkflow, stopPingSignal } from './ping-workflow';

const PROJECTS = Number(process.env.BENCH_SHAPE_PROJECTS ?? 2800);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const LOADS = (process.env.BENCH_SHAPE_LOADS ?? '4,8').split(',').map(Number);
const LOAD_SECONDS = Number(process.env.BENCH_SHAPE_LOAD_SECONDS ?? 15);
/** Projects driven to "in progress" that take the evidence load. */
const ACTIVE = 40;
const LIST_REQUESTS = 100;
export const RESULTS_DIR = path.join(__dirname, 'results');

interface Shape {
  name: 'embedded' | 'cluster';
  description: string;
  temporalAddress: string;
  taskQueue: string;
  db: Db;
  /** API base URLs; requests alternate between them. */
  apis: string[];
  stop(): Promise<void>;
}

const round = (x: number, digits = 1) => Number(x.toFixed(digits));

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

async function embeddedShape(dir: string, log: ReturnType<typeof createLogger>): Promise<Shape> {
  const config = loadConfig();
  const cli = await ensureTemporalCli(config.cacheDir, log);
  const server = await startTemporalDevServer({ cliPath: cli, port: await freePort(), uiPort: null, namespace: 'default', dbFile: path.join(dir, 'temporal.db'), log });
  const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort(), log });
  const db = createDb(await ensureDatabase(pg.serverUrl, 'party_projects'));
  await migrateToLatest(db);
  const taskQueue = 'party-projects';
  const connection = await NativeConnection.connect({ address: server.address });
  const worker = await createWorker({ connection, namespace: 'default', taskQueue, db });
  const running = worker.run();
  const clientConnection = await Connection.connect({ address: server.address });
  const app: FastifyInstance = await buildApp({ db, temporal: new Client({ connection: clientConnection }), namespace: 'default', taskQueue, logger: log, store: createFileContentStore(path.join(dir, 'evidence')) });
  const port = await freePort();
  await app.listen({ host: '127.0.0.1', port });
  return {
    name: 'embedded',
    description: 'npm start: Temporal dev server (SQLite file, WAL), embedded PostgreSQL, one worker and the API in one process',
    temporalAddress: server.address,
    taskQueue,
    db,
    apis: [`http://127.0.0.1:${port}`],
    async stop() {
      await app.close();
      worker.shutdown();
      await running;
      await connection.close();
      await clientConnection.close();
      await db.destroy();
      await pg.stop();
      await server.stop();
    },
  };
}

async function clusterShape(dir: string, log: ReturnType<typeof createLogger>): Promise<Shape> {
  const cluster = await startCluster({
    dir,
    cacheDir: loadConfig().cacheDir,
    databaseUrl: null,
    postgresPort: await freePort(),
    temporalPort: await freePort(),
    apiHost: '127.0.0.1',
    apiPorts: [await freePort(), await freePort()],
    workers: 2,
    namespace: 'default',
    taskQueue: 'party-projects',
    log,
    logLevel: 'warn',
  });
  const db = createDb(cluster.databaseUrl);
  return {
    name: 'cluster',
    description: `npm run cluster: Temporal server ${TEMPORAL_SERVER_VERSION} (${HISTORY_SHARDS} history shards, PostgreSQL), two worker processes, two API processes`,
    temporalAddress: cluster.temporalAddress,
    taskQueue: cluster.taskQueue,
    db,
    apis: cluster.apis.map((p) => p.url!),
    async stop() {
      await db.destroy();
      await cluster.stop();
    },
  };
}

/** Requests at a fixed offered rate (open loop: a slow answer does not slow the arrivals); latencies in ms. */
async function openLoop(perSecond: number, seconds: number, request: (i: number) => Promise<void>): Promise<{ latencies: number[]; failures: number }> {
  const latencies: number[] = [];
  let failures = 0;
  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  const total = Math.round(perSecond * seconds);
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(
      (async () => {
        const t = performance.now();
        try {
          await request(i);
          latencies.push(performance.now() - t);
        } catch {
          failures += 1;
        }
      })(),
    );
  }
  await Promise.all(inFlight);
  return { latencies, failures };
}

async function post(base: string, token: string, url: string, body: unknown, key: string): Promise<void> {
  const response = await fetch(`${base}${url}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${url}: ${response.status} ${text.slice(0, 200)}`);
}

async function measureShape(shape: Shape, log: ReturnType<typeof createLogger>): Promise<Record<string, unknown>> {
  const connection = await Connection.connect({ address: shape.temporalAddress });
  const client = new Client({ connection });
  const native = await NativeConnection.connect({ address: shape.temporalAddress });
  const pingWorker = await Worker.create({ connection: native, taskQueue: 'bench-ping', workflowsPath: require.resolve('./ping-workflow') });
  const pingRunning = pingWorker.run();
  try {
    // Baseline 1: raw start rate of an empty workflow, same concurrency as the launcher.
    let t = performance.now();
    await pool(Array.from({ length: PROJECTS }, (_, i) => i), CONCURRENCY, async (i) => {
      await client.workflow.start(emptyWorkflow, { workflowId: `baseline-${i}`, taskQueue: shape.taskQueue });
    });
    const baselineStartsPerSecond = PROJECTS / ((performance.now() - t) / 1000);
    // The workers run the empty workflows' tasks after their starts: the launch does not queue behind them.
    await drainWorkflowTasks(client, shape.taskQueue);

    // The launch of a generated city, on a calendar whose deadlines lie hours away.
    const cycleId = `bench-shape-${shape.name}`;
    const city = generateCity({ seed: 1, projects: PROJECTS, cycleId });
    const cycle = { ...compressedCycle(cycleId, Date.now() + 6 * HOUR), committee: city.cycle.committee };
    await openCycle(shape.db, { cycle, orgs: city.orgs, users: city.users, projects: city.projects });
    const topLevel = city.projects.length;
    t = performance.now();
    await client.workflow.execute(launchCycleWorkflow, { workflowId: launchWorkflowId(cycleId), taskQueue: shape.taskQueue, args: [{ cycleId, batchSize: 100, concurrency: CONCURRENCY }] });
    const launchStartsPerSecond = topLevel / ((performance.now() - t) / 1000);
    const persistDeadline = Date.now() + 20 * 60_000;
    let projected = 0;
    while (Date.now() < persistDeadline) {
      const row = await shape.db.selectFrom('projects').select((eb) => eb.fn.countAll<string>().as('n')).where('cycle_id', '=', cycleId).executeTakeFirstOrThrow();
      projected = Number(row.n);
      if (projected >= topLevel) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const projectedSeconds = (performance.now() - t) / 1000;
    // The launcher writes the projections before the workflows' first tasks have run: the loads
    // below are measured once the workers have worked that backlog off, not while they compete with it.
    await drainWorkflowTasks(client, shape.taskQueue);
    const firstTasksDoneSeconds = (performance.now() - t) / 1000;
    let workflows = 0;
    for (let i = 0; i < 60; i++) {
      workflows = (await client.workflow.count(`CycleId = "${cycleId}"`)).count;
      if (workflows >= topLevel) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    log.warn(`${shape.name}: launched ${topLevel} projects at ${round(launchStartsPerSecond)}/s (empty workflows ${round(baselineStartsPerSecond)}/s)`);

    // GET /projects on the launched city against GET /me, committee staff in turn.
    const committeeIds = city.users.filter((u) => u.role === 'committee').map((u) => u.id);
    const committeeTokens = await Promise.all(committeeIds.map((id) => issueToken(shape.db, id, 'bench')));
    const timeGets = async (url: (i: number) => string) => {
      const times: number[] = [];
      for (let i = 0; i < LIST_REQUESTS + 5; i++) {
        const started = performance.now();
        const response = await fetch(`${shape.apis[i % shape.apis.length]}${url(i)}`, { headers: { authorization: `Bearer ${committeeTokens[i % committeeTokens.length]}` } });
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`${url(i)}: ${response.status}`);
        if (i >= 5) times.push(performance.now() - started);
      }
      return { p50Ms: round(percentile(times, 50)), p95Ms: round(percentile(times, 95)) };
    };
    const getMe = await timeGets(() => '/me');
    const getProjects = await timeGets((i) => `/projects?cycle=${cycleId}&limit=50&offset=${(i * 50) % Math.max(50, topLevel - 50)}`);

    // Evidence: ACTIVE projects brought to "in progress" through the API, then loaded.
    const active = city.projects.slice(0, ACTIVE).map((p) => p.create);
    const tokens = new Map<string, string>();
    for (const id of new Set(active.flatMap((c) => [c.leadSecretaryId, c.reviewer.userId]))) tokens.set(id, await issueToken(shape.db, id, 'bench'));
    await pool(active, 8, async (create) => {
      const id = create.projectId;
      const base = shape.apis[id.charCodeAt(id.length - 1) % shape.apis.length]!;
      await post(base, tokens.get(create.leadSecretaryId)!, `/projects/${id}/submit`, {}, `b-${id}-submit`);
      await post(base, tokens.get(create.reviewer.userId)!, `/projects/${id}/review`, { decision: 'approve' }, `b-${id}-review`);
      await post(base, tokens.get(create.leadSecretaryId)!, `/projects/${id}/letter`, { text: '本人承诺履行第一责任人职责' }, `b-${id}-letter`);
    });
    const pings = await Promise.all(Array.from({ length: ACTIVE }, (_, i) => client.workflow.start(pingWorkflow, { workflowId: `ping-${i}`, taskQueue: 'bench-ping' })));
    for (const handle of pings) await handle.executeUpdate(pingUpdate, { args: [0] });
    // Both measured warm: as each ping workflow answered one Update, each project takes one
    // evidence submission first, through every API process in turn (unmeasured).
    for (const [i, create] of active.entries()) {
      await post(shape.apis[i % shape.apis.length]!, tokens.get(create.leadSecretaryId)!, `/projects/${create.projectId}/evidence`, { quarter: 1, text: '预热佐证材料', files: [], indicatorActuals: [] }, `b-ev-warm-${create.projectId}`);
    }
    const loads: Record<string, unknown>[] = [];
    for (const perSecond of LOADS) {
      const update = await openLoop(perSecond, LOAD_SECONDS, async (i) => {
        await pings[i % ACTIVE]!.executeUpdate(pingUpdate, { args: [i] });
      });
      const evidence = await openLoop(perSecond, LOAD_SECONDS, async (i) => {
        const create = active[i % ACTIVE]!;
        await post(shape.apis[i % shape.apis.length]!, tokens.get(create.leadSecretaryId)!, `/projects/${create.projectId}/evidence`, { quarter: 1 + (i % 4), text: `负载 ${perSecond}/s 第${i}条佐证材料`, files: [], indicatorActuals: [] }, `b-ev-${perSecond}-${i}`);
      });
      const u = { p50Ms: round(percentile(update.latencies, 50)), p99Ms: round(percentile(update.latencies, 99)), failures: update.failures };
      const e = { p50Ms: round(percentile(evidence.latencies, 50)), p99Ms: round(percentile(evidence.latencies, 99)), failures: evidence.failures };
      loads.push({ perSecond, emptyUpdate: u, evidence: e, ratioP50: round(e.p50Ms / u.p50Ms, 2), ratioP99: round(e.p99Ms / u.p99Ms, 2) });
      log.warn(`${shape.name}: evidence at ${perSecond}/s p99 ${e.p99Ms} ms (empty Update ${u.p99Ms} ms)`);
    }
    await Promise.all(pings.map((h) => h.signal(stopPingSignal)));
    return {
      description: shape.description,
      apiProcesses: shape.apis.length,
      launch: {
        projects: topLevel,
        concurrency: CONCURRENCY,
        baselineEmptyStartsPerSecond: round(baselineStartsPerSecond),
        launchStartsPerSecond: round(launchStartsPerSecond),
        ratio: round(launchStartsPerSecond / baselineStartsPerSecond, 3),
        allProjectedSeconds: round(projectedSeconds),
        firstTasksDoneSeconds: round(firstTasksDoneSeconds),
        workflowsCounted: workflows,
        projectionsCounted: projected,
        nothingLost: workflows === topLevel && projected === topLevel,
      },
      evidence: loads,
      getProjects: { ...getProjects, baselineGetMe: getMe, ratioP95: round(getProjects.p95Ms / getMe.p95Ms, 2), under100msAtP95: getProjects.p95Ms < 100 },
    };
  } finally {
    pingWorker.shutdown();
    await pingRunning;
    await native.close();
    await connection.close();
  }
}

/** Runs both shapes one after the other and writes the JSON and the HTML page. */
export async function benchShapes(): Promise<Record<string, unknown>> {
  const log = createLogger('warn', 'bench-shapes');
  installRuntimeLogging(log);
  const report: Record<string, unknown> = {
    measuredAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGiB: round(os.totalmem() / 2 ** 30), node: process.version, loadAverageAtStart: os.loadavg().map((x) => round(x, 2)) },
    settings: { projects: PROJECTS, concurrency: CONCURRENCY, loadsPerSecond: LOADS, loadSeconds: LOAD_SECONDS, activeProjects: ACTIVE, listRequests: LIST_REQUESTS },
    shapes: {} as Record<string, unknown>,
  };
  for (const make of [embeddedShape, clusterShape]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'party-bench-shape-'));
    fs.chmodSync(dir, 0o755);
    const shape = await make(dir, log);
    try {
      (report.shapes as Record<string, unknown>)[shape.name] = await measureShape(shape, log);
    } finally {
      await shape.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  fs.writeFileSync(path.join(RESULTS_DIR, 'shapes.json'), `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(RESULTS_DIR, 'shapes.html'), shapesHtml(report));
  return report;
}

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** A page a person can look at: the figures per shape and a bar chart of the ratios (inline SVG). */
export function shapesHtml(report: Record<string, unknown>): string {
  type Fig = { launch: Record<string, number | boolean>; evidence: { perSecond: number; ratioP99: number; evidence: { p50Ms: number; p99Ms: number }; emptyUpdate: { p50Ms: number; p99Ms: number } }[]; getProjects: { p95Ms: number; ratioP95: number; baselineGetMe: { p95Ms: number } }; description: string };
  const shapes = report.shapes as Record<string, Fig>;
  const names = Object.keys(shapes);
  const bars: { label: string; values: number[]; target?: number; better: 'higher' | 'lower' }[] = [
    { label: 'launch ÷ empty starts', values: names.map((n) => Number(shapes[n]!.launch.ratio)), target: 0.5, better: 'higher' },
    ...(shapes[names[0]!]?.evidence ?? []).map((load, i) => ({ label: `evidence p99 ÷ Update p99 at ${load.perSecond}/s`, values: names.map((n) => shapes[n]!.evidence[i]?.ratioP99 ?? 0), target: 3, better: 'lower' as const })),
    { label: 'GET /projects p95 ÷ GET /me p95', values: names.map((n) => shapes[n]!.getProjects.ratioP95), better: 'lower' },
  ];
  const colours = ['#3b6ea5', '#d9822b'];
  const rowHeight = 54;
  const width = 760;
  const left = 260;
  // Each row on its own scale (a launch ratio near 0.5 and a latency ratio of 30 share no axis).
  const scale = (bar: (typeof bars)[number]) => {
    const max = Math.max(...bar.values, bar.target ?? 0) * 1.15 || 1;
    return (v: number) => left + ((width - left - 60) * v) / max;
  };
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${bars.length * rowHeight + 40}" role="img" aria-label="ratios per shape">`,
    ...bars.flatMap((bar, i) => {
      const y = 20 + i * rowHeight;
      const x = scale(bar);
      return [
        `<text x="${left - 8}" y="${y + 22}" text-anchor="end" font-size="13">${escape(bar.label)}</text>`,
        ...bar.values.map((v, k) => `<rect x="${left}" y="${y + 4 + k * 20}" width="${Math.max(1, x(v) - left)}" height="16" fill="${colours[k]}"/><text x="${x(v) + 4}" y="${y + 17 + k * 20}" font-size="12">${v}</text>`),
        bar.target === undefined ? '' : `<line x1="${x(bar.target)}" x2="${x(bar.target)}" y1="${y}" y2="${y + 44}" stroke="#c00" stroke-dasharray="4 3"/><text x="${x(bar.target) + 3}" y="${y + 2}" font-size="10" fill="#c00">target ${bar.better === 'higher' ? '≥' : '≤'} ${bar.target}</text>`,
      ];
    }),
    ...names.map((n, k) => `<rect x="${left + k * 140}" y="${bars.length * rowHeight + 22}" width="12" height="12" fill="${colours[k]}"/><text x="${left + 16 + k * 140}" y="${bars.length * rowHeight + 32}" font-size="12">${escape(n)}</text>`),
    '</svg>',
  ].join('\n');
  const rows = names
    .map((n) => {
      const s = shapes[n]!;
      const ev = s.evidence.map((l) => `${l.perSecond}/s: p50 ${l.evidence.p50Ms} / p99 ${l.evidence.p99Ms} ms (Update ${l.emptyUpdate.p50Ms} / ${l.emptyUpdate.p99Ms}; ×${l.ratioP99})`).join('<br>');
      return `<tr><th>${escape(n)}</th><td>${escape(s.description)}</td><td>${s.launch.launchStartsPerSecond}/s vs ${s.launch.baselineEmptyStartsPerSecond}/s = <b>${s.launch.ratio}</b>; nothing lost: ${s.launch.nothingLost}</td><td>${ev}</td><td>p95 ${s.getProjects.p95Ms} ms vs /me ${s.getProjects.baselineGetMe.p95Ms} ms = <b>×${s.getProjects.ratioP95}</b></td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shapes: embedded default and cluster</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.4rem;vertical-align:top;font-size:14px}</style></head>
<body><h1>The embedded default and the cluster shape, side by side</h1>
<p>Measured ${escape(String(report.measuredAt))} on ${escape(JSON.stringify(report.machine))}; settings ${escape(JSON.stringify(report.settings))}. Each figure is a ratio to its own server's baseline measured in the same run.</p>
${svg}
<table><tr><th>shape</th><th>what runs</th><th>launch starts/s vs empty workflow</th><th>evidence p50/p99 vs empty Update</th><th>GET /projects vs GET /me</th></tr>
${rows}
</table></body></html>
`;
}

if (require.main === module) {
  benchShapes().then(
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
