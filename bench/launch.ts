/**
 * `npm run bench`: how long launching a generated city of 2,800 projects takes on the embedded
 * default (file-backed Temporal dev server + embedded PostgreSQL), reported against the same
 * server's start rate for an empty workflow measured in the same run, at the same concurrency.
 *
 * Then one project at the schema's maxima (BENCH_EVIDENCE entries of 10,000 characters with files,
 * through the HTTP API): history bytes per entry and the largest payload, against stated bounds.
 *
 * Then people's task lists (GET /me/tasks) on the launched city, against GET /me (bench/my-tasks.ts).
 *
 * Then the embedded default and the cluster shape side by side (bench/shapes.ts, BENCH_SHAPES=0 skips),
 * and the scale figures: audit throughput, deadline storm, worker memory, a 28,000-project cycle
 * (bench/scale.ts, BENCH_SCALE=0 skips).
 *
 *   BENCH_PROJECTS (2800), BENCH_CONCURRENCY (16), BENCH_SEED (1), BENCH_EVIDENCE (300; 0 skips), BENCH_TASKS (0 skips), BENCH_TASK_REQUESTS (200)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection } from '@temporalio/worker';
import { verifyCycle } from '../audit';
import { pool } from '../activities/cycles';
import { createFileContentStore } from '../db/content-store';
import { loadConfig } from '../config';
import { createDb, migrateToLatest } from '../db';
import { launchProgress, openCycle } from '../db/cycles';
import { generateCity } from '../db/seed/city';
import { createLogger } from '../logger';
import { ensureDatabase, startEmbeddedPostgres } from '../scripts/infra/embedded-postgres';
import { freePort } from '../scripts/infra/ports';
import { ensureTemporalCli } from '../scripts/infra/temporal-cli';
import { startTemporalDevServer } from '../scripts/infra/temporal-dev-server';
import { createWorker, installRuntimeLogging } from '../worker';
import { emptyWorkflow } from '../workflows/empty';
import { drainWorkflowTasks } from './task-queue';
import { launchCycleWorkflow, launchWorkflowId } from '../workflows/launch-cycle';
import { buildApp } from '../api/app';
import { STATE_MAX_BYTES } from '../workflows/lifecycle';
import { getProjectQuery, projectWorkflowId } from '../workflows/messages';
import { seedCast } from '../test/helpers/api';
import { cycleWithQuartersHoursAway, proposal } from '../test/fixtures/cycles';
import { BYTES_PER_ENTRY_BOUND, driveBigProject, measureHistories, PAYLOAD_BOUND } from './big-project';
import { benchMyTasksAfterLaunch } from './my-tasks';
import { benchScale } from './scale';
import { benchShapes, RESULTS_DIR } from './shapes';

const PROJECTS = Number(process.env.BENCH_PROJECTS ?? 2800);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const SEED = Number(process.env.BENCH_SEED ?? 1);
const EVIDENCE = Number(process.env.BENCH_EVIDENCE ?? 300);

/** One project at the schema's maxima through the API: how its histories grow and how large their payloads get. */
async function benchPayloads(db: ReturnType<typeof createDb>, client: Client, taskQueue: string, storeDir: string, log: ReturnType<typeof createLogger>) {
  const cycle = cycleWithQuartersHoursAway('bench-big', 6);
  const cast = await seedCast(db, cycle);
  const app = await buildApp({ db, temporal: client, namespace: 'default', taskQueue, logger: log, store: createFileContentStore(storeDir), rateLimitPerMinute: 1_000_000 });
  try {
    const run = await driveBigProject({ app, cycle, secretaryToken: cast.tokens['u-sec-oc1'], reviewerToken: cast.tokens['u-committee'], proposal: proposal(cycle.year, '数据量基准项目') as never, entries: EVIDENCE });
    const { histories: _histories, ...sizes } = await measureHistories(client, cycle.cycleId, run.projectId, EVIDENCE);
    const view = await client.workflow.getHandle(projectWorkflowId(cycle.cycleId, run.projectId)).query(getProjectQuery);
    const stateBytes = Buffer.byteLength(JSON.stringify(view.state));
    return {
      entries: EVIDENCE,
      textChars: 10_000,
      failures: run.failures.length,
      submissionsPerSecond: Number((EVIDENCE / run.submitSeconds).toFixed(1)),
      ...sizes,
      stateBytes,
      bounds: {
        [`largestOtherPayloadBytes < ${PAYLOAD_BOUND}`]: sizes.largestOtherPayloadBytes < PAYLOAD_BOUND,
        [`largestPayloadBytes < ${STATE_MAX_BYTES + PAYLOAD_BOUND} (carried state ≤ ${STATE_MAX_BYTES})`]: sizes.largestPayloadBytes < STATE_MAX_BYTES + PAYLOAD_BOUND,
        [`bytesPerEntry < ${BYTES_PER_ENTRY_BOUND}`]: sizes.bytesPerEntry < BYTES_PER_ENTRY_BOUND,
      },
    };
  } finally {
    await app.close();
  }
}


async function waitForProjections(db: ReturnType<typeof createDb>, count: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const row = await db.selectFrom('projects').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    if (row.n >= count) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('warn', 'bench');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'party-bench-'));
  fs.chmodSync(dir, 0o755);
  const cli = await ensureTemporalCli(config.cacheDir, createLogger('info', 'temporal-cli'));
  const temporalServer = await startTemporalDevServer({ cliPath: cli, port: await freePort(), uiPort: null, namespace: 'default', dbFile: path.join(dir, 'temporal.db'), log });
  const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort(), log });
  const db = createDb(await ensureDatabase(pg.serverUrl, 'bench'), { max: 20 });
  const stopAll = async () => {
    await db.destroy();
    await pg.stop();
    await temporalServer.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await migrateToLatest(db);
    installRuntimeLogging(log);
    const taskQueue = 'bench';
    const nativeConnection = await NativeConnection.connect({ address: temporalServer.address });
    const worker = await createWorker({ connection: nativeConnection, namespace: 'default', taskQueue, db });
    const running = worker.run();
    const connection = await Connection.connect({ address: temporalServer.address });
    const client = new Client({ connection });

    // Baseline: raw start rate of an empty workflow on this server, same concurrency.
    let t = performance.now();
    await pool(Array.from({ length: PROJECTS }, (_, i) => i), CONCURRENCY, async (i) => {
      await client.workflow.start(emptyWorkflow, { workflowId: `baseline-${i}`, taskQueue });
    });
    const baselineSeconds = (performance.now() - t) / 1000;
    // The worker runs the empty workflows' tasks after their starts: the launch does not queue behind them.
    await drainWorkflowTasks(client, taskQueue);

    // The real thing: open a generated city and launch it.
    const city = generateCity({ seed: SEED, projects: PROJECTS });
    const topLevel = city.projects.length;
    t = performance.now();
    await openCycle(db, { cycle: city.cycle, orgs: city.orgs, users: city.users, projects: city.projects });
    const openSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    const result = await client.workflow.execute(launchCycleWorkflow, {
      workflowId: launchWorkflowId(city.cycle.cycleId),
      taskQueue,
      args: [{ cycleId: city.cycle.cycleId, batchSize: 100, concurrency: CONCURRENCY }],
    });
    const launchSeconds = (performance.now() - t) / 1000;
    const progress = await launchProgress(db, city.cycle.cycleId);

    const report = {
      projectsInCity: PROJECTS,
      topLevelWorkflowsLaunched: result.started,
      launchProgress: progress,
      concurrency: CONCURRENCY,
      openCycleSeconds: Number(openSeconds.toFixed(2)),
      launchSeconds: Number(launchSeconds.toFixed(2)),
      launchStartsPerSecond: Number((topLevel / launchSeconds).toFixed(1)),
      baselineEmptyStartsPerSecond: Number((PROJECTS / baselineSeconds).toFixed(1)),
      ratioLaunchToBaseline: Number((topLevel / launchSeconds / (PROJECTS / baselineSeconds)).toFixed(3)),
    };
    let verification: Record<string, unknown> | undefined;
    if (process.env.BENCH_VERIFY === '1') {
      // Audit: verify every launched project (replay, hash chain, evidence, projection, event log).
      await waitForProjections(db, topLevel);
      const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: new DefaultLogger('WARN') });
      const bundlePath = path.join(dir, 'bundle.js');
      fs.writeFileSync(bundlePath, bundle.code);
      const store = createFileContentStore(path.join(dir, 'evidence'));
      t = performance.now();
      const result = await verifyCycle({ db, temporal: client, store, workflows: { workflowBundlePath: bundlePath } }, city.cycle.cycleId, {
        concurrency: 4,
        onProgress: (p: { done: number; total: number }) => {
          if (p.done % 250 === 0) process.stderr.write(`verified ${p.done}/${p.total}\n`);
        },
      } as never);
      const seconds = (performance.now() - t) / 1000;
      verification = { verifyCycleSeconds: Number(seconds.toFixed(1)), projectsVerified: topLevel, perProjectMs: Number(((seconds * 1000) / topLevel).toFixed(1)), failures: (result as { failures: unknown[] }).failures.length };
    }
    // My tasks (待办) at city scale: GET /me/tasks latency against GET /me (BENCH_TASKS=0 skips).
    const myTasks = process.env.BENCH_TASKS === '0' ? undefined : await benchMyTasksAfterLaunch({ db, client, taskQueue, log, city, storeDir: path.join(dir, 'evidence-tasks') });
    const payloads = EVIDENCE > 0 ? await benchPayloads(db, client, taskQueue, path.join(dir, 'evidence-big'), log) : undefined;
    process.stdout.write(`${JSON.stringify({ ...report, ...(verification ? { verification } : {}), ...(myTasks ? { myTasks } : {}), ...(payloads ? { payloads } : {}) }, null, 2)}\n`);
    worker.shutdown();
    await running;
    await nativeConnection.close();
    await connection.close();
  } finally {
    await stopAll();
  }
}

// Then the embedded default and the cluster shape side by side (bench/shapes.ts; BENCH_SHAPES=0 skips).
main()
  .then(async () => {
    if (process.env.BENCH_SHAPES === '0') return;
    const report = await benchShapes();
    process.stdout.write(`${JSON.stringify({ shapes: report }, null, 2)}\n(also in ${RESULTS_DIR}/shapes.json and shapes.html)\n`);
  })
  .then(async () => {
    // Then the scale figures of issue #15 (bench/scale.ts; BENCH_SCALE=0 skips).
    if (process.env.BENCH_SCALE === '0') return;
    const report = await benchScale();
    process.stdout.write(`${JSON.stringify({ scale: report }, null, 2)}\n(also in ${RESULTS_DIR}/scale.json and scale.html)\n`);
  })
  .then(
    () => process.exit(0),
    (error) => {
      process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
