/**
 * `npm start`: the whole system from one command. With no configuration it starts a Temporal dev
 * server (SQLite file under .data/) and an embedded PostgreSQL (also under .data/), migrates the
 * schema, and runs the worker and the API in this process. TEMPORAL_ADDRESS / DATABASE_URL switch
 * to external services, in which case nothing embedded is started.
 *
 * Fault tolerance (README "Fault tolerance of `npm start`"):
 * - the embedded services are supervised: one that dies is restarted with exponential backoff on
 *   the same port and the same data, and the worker is re-created if it stopped in the outage;
 * - a watchdog process stops them if this process is killed; the next start also recognises and
 *   stops leftovers of an earlier start on the same data directory (pid files) before it starts;
 * - Ctrl-C / SIGTERM / SIGHUP stop everything in order, each step with a timeout, all within
 *   10 s; a second Ctrl-C SIGKILLs the services and exits at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, type Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { appSettingsFromConfig, buildApp } from '../api/app';
import { loadConfig } from '../config';
import { createDb, migrateToLatest, type Db } from '../db';
import { createLogger } from '../logger';
import { createWorker, installRuntimeLogging } from '../worker';
import { relayOptionsFromConfig, startRelay, type Relay } from '../notifications/relay';
import { buildConsole } from './build-console';
import { DEMO_CYCLE_ID, ensureDemoCity, type DemoLogin } from './demo';
import { startEmbeddedPostgres, ensureDatabase, postgresDataDirFor, type RunningPostgres } from './infra/embedded-postgres';
import { reclaimLeftovers } from './infra/leftovers';
import { assertPortFree, StartupError } from './infra/ports';
import { settlesWithin } from './infra/processes';
import { DEFAULT_BACKOFF, Supervisor } from './infra/supervisor';
import { ensureTemporalCli } from './infra/temporal-cli';
import { startTemporalDevServer, type RunningDevServer } from './infra/temporal-dev-server';

/** Everything must be down this long after the first Ctrl-C; past it, SIGKILL and exit. */
const STOP_DEADLINE_MS = 9000;
/** A second signal sooner than this is the same Ctrl-C: npm forwards the terminal's SIGINT to us. */
const DUPLICATE_SIGNAL_MS = 500;

const config = loadConfig();
const log = createLogger(config.logLevel, 'party-projects');

// What is running, for the shutdown (filled in as main() gets further).
let temporalSupervisor: Supervisor<RunningDevServer> | null = null;
let postgresSupervisor: Supervisor<RunningPostgres> | null = null;
let watchdog: ChildProcess | null = null;
let app: FastifyInstance | null = null;
let db: Db | null = null;
let clientConnection: Connection | null = null;
let workerHandle: SupervisedWorker | null = null;
let relay: Relay | null = null;

let stopping = false;
let firstSignalAt = 0;

/** Runs `step`, but gives up on it after `ms` (logging which step hung). */
async function bounded(name: string, ms: number, step: () => Promise<unknown>): Promise<void> {
  const started = Date.now();
  const work = step().then(
    () => log.info({ ms: Date.now() - started }, `stopped ${name}`),
    (error: unknown) => log.warn({ err: error }, `stopping ${name} failed`),
  );
  if (!(await settlesWithin(work, ms))) log.warn(`stopping ${name} took more than ${ms} ms; going on without it`);
}

async function shutdown(reason: string, exitCode = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  const started = Date.now();
  log.info(`${reason}: stopping (press Ctrl-C again to kill everything at once)`);
  // Whatever hangs below, this ends it in time: SIGKILL the services, exit.
  setTimeout(() => forceExit('stop deadline passed'), STOP_DEADLINE_MS).unref();
  // Keep the event loop alive until every step is done, whatever handles close first.
  const keepAlive = setInterval(() => undefined, 1000);

  // 1. No new requests, no new tasks. Both drain in-flight work for a moment.
  await Promise.all([
    app && bounded('API', 2000, async () => {
      const closing = app!.close();
      // Keep-alive clients and slow requests must not hold the stop: cut them after a grace.
      if (!(await settlesWithin(closing, 1500))) app!.server.closeAllConnections();
      await closing;
    }),
    workerHandle && bounded('worker', 3000, () => workerHandle!.stop()),
    relay && bounded('notification relay', 3000, () => relay!.stop()),
  ]);
  // 2. Connections and the pool: nothing uses them any more.
  await Promise.all([
    clientConnection && bounded('Temporal client connection', 1000, () => clientConnection!.close()),
    db && bounded('database pool', 1000, () => db!.destroy()),
  ]);
  // 3. The services last, in parallel (neither needs the other to stop). Their own stop escalates
  //    to SIGKILL of the process group after the grace, so these bounds are a second safety.
  await Promise.all([
    temporalSupervisor && bounded('Temporal dev server', 4000, () => temporalSupervisor!.stop(2500)),
    postgresSupervisor && bounded('embedded PostgreSQL', 4000, () => postgresSupervisor!.stop(3000)),
  ]);
  // 4. Nothing is left for the watchdog to do.
  watchdog?.kill('SIGKILL');
  clearInterval(keepAlive);
  log.info({ ms: Date.now() - started }, 'stopped');
  process.exit(exitCode);
}

function forceExit(reason: string): void {
  log.warn(`${reason}: killing the embedded services and exiting now`);
  temporalSupervisor?.kill();
  postgresSupervisor?.kill();
  watchdog?.kill('SIGKILL');
  process.exit(130);
}

function onSignal(signal: NodeJS.Signals): void {
  if (!firstSignalAt) {
    firstSignalAt = Date.now();
    void shutdown(`${signal} received`);
  } else if (Date.now() - firstSignalAt < DUPLICATE_SIGNAL_MS) {
    log.debug(`${signal} received again at once (forwarded by npm); still stopping`);
  } else {
    forceExit(`${signal} received again`);
  }
}

/**
 * The worker of this process. The Temporal SDK retries polls across a dev-server outage on its
 * own; should the worker stop anyway (a fatal poll error after a long outage), it is re-created
 * on a fresh connection with the same backoff as the services.
 */
interface SupervisedWorker {
  stop(): Promise<void>;
}

async function superviseWorker(address: string, workerDb: Db, bundlePath: string): Promise<SupervisedWorker> {
  let connection: NativeConnection | null = null;
  let worker: Worker | null = null;
  let running: Promise<void> = Promise.resolve();
  let failures = 0;
  let timer: NodeJS.Timeout | null = null;
  let startedAt = 0;
  let halted = false;

  const launch = async (): Promise<void> => {
    connection = await NativeConnection.connect({ address });
    try {
      worker = await createWorker({
        connection,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        db: workerDb,
        workflowBundlePath: bundlePath,
      });
    } catch (error) {
      await connection.close().catch(() => undefined);
      connection = null;
      throw error;
    }
    if (halted) {
      // Stopped while we were connecting: do not start polling now.
      await connection.close().catch(() => undefined);
      return;
    }
    startedAt = Date.now();
    const current = worker;
    running = current.run();
    running.then(
      () => onStopped(current, null),
      (error: unknown) => onStopped(current, error),
    );
  };
  const onStopped = (which: Worker, error: unknown) => {
    if (halted || stopping || which !== worker) return;
    log.error({ err: error ?? undefined }, 'the Temporal worker stopped unexpectedly; re-creating it');
    if (Date.now() - startedAt > DEFAULT_BACKOFF.stableAfterMs) failures = 0;
    const old = connection;
    connection = null;
    worker = null;
    void old?.close().catch(() => undefined);
    retry();
  };
  const retry = () => {
    if (halted || stopping) return;
    const delay = Math.min(DEFAULT_BACKOFF.maxDelayMs, DEFAULT_BACKOFF.initialDelayMs * 2 ** failures);
    failures += 1;
    timer = setTimeout(() => {
      timer = null;
      launch().then(
        () => log.warn('Temporal worker re-created'),
        (error: unknown) => {
          log.error({ err: error }, `re-creating the Temporal worker failed; next try in ${Math.min(DEFAULT_BACKOFF.maxDelayMs, DEFAULT_BACKOFF.initialDelayMs * 2 ** failures)} ms`);
          retry();
        },
      );
    }, delay);
  };

  await launch();
  return {
    async stop() {
      halted = true;
      if (timer) clearTimeout(timer);
      const current = worker as Worker | null;
      if (current && current.getState() === 'RUNNING') current.shutdown();
      await running.catch(() => undefined);
      await (connection as NativeConnection | null)?.close();
    },
  };
}

function startWatchdog(options: { postgresDataDir: string | null; temporalDbFile: string | null }): ChildProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, 'infra', 'watchdog.ts'), String(process.pid), JSON.stringify(options)],
    {
      cwd: path.join(__dirname, '..'),
      // Own process group: a terminal's Ctrl-C is for us, not for it. stdin: the pipe whose closing
      // tells it we are gone.
      detached: true,
      stdio: ['pipe', 'inherit', 'inherit'],
    },
  );
  // It must not keep this process alive, nor crash it if it dies first.
  child.on('error', (error) => log.warn({ err: error }, 'the watchdog could not start'));
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return child;
}

async function main(): Promise<void> {
  // embedded-postgres registers async-exit-hook, which stops PostgreSQL and exits on the first
  // signal while the worker may still be writing; this process owns the order of shutdown instead.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => onSignal(signal));
  }

  const startedAt = Date.now();
  const embeddedTemporal = !config.temporal.address;
  const embeddedPostgres = !config.database.url;
  // As root in a folder other users cannot enter, the cluster lives outside the project (announced
  // in the log and the banner; README "Embedded PostgreSQL as root"): everything below uses this.
  const postgresDataDir = embeddedPostgres ? postgresDataDirFor(path.join(config.dataDir, 'postgres'), log) : null;
  const temporalDbFile = embeddedTemporal ? path.join(config.dataDir, 'temporal', 'temporal.db') : null;

  // An earlier `npm start` on this data directory that was killed (and whose watchdog died too)
  // may have left its services running: they are ours, stop them instead of failing on their ports.
  await reclaimLeftovers({ postgresDataDir, temporalDbFile }, { info: (m) => log.warn(m), warn: (m) => log.warn(m) });
  if (embeddedTemporal) {
    await assertPortFree(config.temporal.devServerPort, 'Temporal dev server', 'TEMPORAL_DEV_PORT');
    await assertPortFree(config.temporal.devServerUiPort, 'Temporal UI', 'TEMPORAL_UI_PORT');
  }
  if (embeddedPostgres) await assertPortFree(config.database.embeddedPort, 'embedded PostgreSQL', 'EMBEDDED_PG_PORT');
  await assertPortFree(config.api.port, 'API', 'PORT', config.api.host);
  if (embeddedTemporal || embeddedPostgres) watchdog = startWatchdog({ postgresDataDir, temporalDbFile });

  // The web console is built (when missing or stale) while the services start; the API waits for it.
  const consoleBuilt = buildConsole({ info: (m) => log.info(m), warn: (m) => log.warn(m) });
  // The two services start in parallel; each is supervised from its first start on.
  const cli = embeddedTemporal ? await ensureTemporalCli(config.cacheDir, log) : null;
  const [temporalServer, postgres] = await Promise.all([
    (async () => {
      if (!cli || !temporalDbFile) return null;
      log.info(`starting the Temporal dev server (${cli})`);
      temporalSupervisor = new Supervisor('Temporal dev server', (signal) =>
        startTemporalDevServer({
          cliPath: cli,
          port: config.temporal.devServerPort,
          uiPort: config.temporal.devServerUiPort,
          namespace: config.temporal.namespace,
          dbFile: temporalDbFile,
          log,
          ownGroup: true,
          signal,
        }),
        log,
      );
      const server = await temporalSupervisor.start();
      log.info({ childPid: server.pid }, `Temporal dev server up on ${server.address}`);
      return server;
    })(),
    (async () => {
      if (!postgresDataDir) return null;
      log.info(`starting the embedded PostgreSQL (data in ${postgresDataDir})`);
      postgresSupervisor = new Supervisor('embedded PostgreSQL', (signal) =>
        startEmbeddedPostgres({ dataDir: postgresDataDir, port: config.database.embeddedPort, log, ownGroup: true, signal }),
        log,
      );
      const server = await postgresSupervisor.start();
      log.info({ childPid: server.pid }, `embedded PostgreSQL up on 127.0.0.1:${config.database.embeddedPort}`);
      return server;
    })(),
  ]);
  const temporalAddress = temporalServer?.address ?? config.temporal.address!;
  const databaseUrl = postgres ? await ensureDatabase(postgres.serverUrl, config.database.embeddedDatabase) : config.database.url!;

  // pg's pool drops a connection that fails and opens a new one for the next query, so the pool
  // survives a PostgreSQL restart (test/integration/fault-start.test.ts checks it) — given
  // createDb's error listener on every pooled client.
  db = createDb(databaseUrl);
  const migrated = await migrateToLatest(db);
  log.info(`database migrated (${migrated.results?.length ?? 0} new migration(s))`);

  installRuntimeLogging(log);
  // Bundled once, so that a re-created worker starts in a moment instead of bundling again.
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: quietBundlerLogger(log) });
  const bundlePath = path.join(config.dataDir, 'run', 'workflow-bundle.js');
  fs.mkdirSync(path.dirname(bundlePath), { recursive: true });
  fs.writeFileSync(bundlePath, bundle.code);
  workerHandle = await superviseWorker(temporalAddress, db, bundlePath);
  // Delivers the workflows' notifications (inbox, webhook, e-mail); one per process.
  relay = startRelay({ db, log, ...relayOptionsFromConfig(config) });

  // The client's gRPC channel reconnects by itself to the same address after a dev-server restart,
  // but grpc-js backs off up to 2 minutes between attempts: after a long outage the API would
  // answer 503 for up to that long after the server is back. A local server is cheap to retry.
  clientConnection = await Connection.connect({
    address: temporalAddress,
    channelArgs: embeddedTemporal ? { 'grpc.initial_reconnect_backoff_ms': 250, 'grpc.max_reconnect_backoff_ms': 2000 } : {},
  });
  const temporal = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
  await consoleBuilt;
  app = await buildApp({ db, temporal, logger: log, ...appSettingsFromConfig(config) });
  await app.listen({ host: config.api.host, port: config.api.port });

  const base = `http://${config.api.host}:${config.api.port}`;
  let demo: DemoLogin[] = [];
  if (embeddedPostgres && config.demo) {
    // The demo year is driven through the services (a few hundred actions on the first start, none after); progress goes to the log.
    demo = await ensureDemoCity(db, temporal, config.temporal.taskQueue, { progress: (line) => log.info({ component: 'demo' }, line) });
  }
  if (stopping) return;
  const lines = [
    '',
    `Party-building project engine is up (${Math.round((Date.now() - startedAt) / 1000)} s)`,
    `  Web console    ${base}/   (网页控制台)`,
    `  API            ${base}`,
    `  Health         ${base}/health`,
    `  OpenAPI docs   ${base}/docs   (document: ${base}/docs/json)`,
    `  Temporal       ${temporalAddress} (namespace ${config.temporal.namespace})`,
    `  Temporal UI    ${temporalServer?.uiUrl ?? '(external Temporal: see its own UI)'}`,
    `  PostgreSQL     ${postgresDataDir ? `embedded on 127.0.0.1:${config.database.embeddedPort}, data in ${postgresDataDir}` : 'external (DATABASE_URL)'}`,
    ...(demo.length
      ? [
          '',
          `Demo city (cycle ${DEMO_CYCLE_ID}); one user per role — sign in with username and password, or use the fresh bearer token (valid 30 days):`,
          `  ${'role'.padEnd(10)} ${'username'.padEnd(22)} ${'password'.padEnd(16)} token`,
          ...demo.flatMap((d) => [`  ${d.role.padEnd(10)} ${d.username.padEnd(22)} ${d.password.padEnd(16)} ${d.token}`, `             ↳ ${d.hint}`]),
          `  the year is under way: calendar around today (Q1–Q2 past, Q3 current); reports with charts: ${base}/reports/cycles/${DEMO_CYCLE_ID}/quarterly?quarter=2&format=html`,
          `  e.g. curl -H "Authorization: Bearer <token>" ${base}/projects?cycle=${DEMO_CYCLE_ID}`,
          `       curl -c jar -H 'content-type: application/json' -d '{"login":"<username>","password":"<password>"}' ${base}/auth/sign-in`,
        ]
      : []),
    'Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}


/** The bundler reports every module at info; only its warnings matter here. */
function quietBundlerLogger(logger: Logger) {
  const child = logger.child({ component: 'bundler' });
  const forward = (level: 'warn' | 'error') => (message: string, meta?: Record<string, unknown>) => child[level](meta ?? {}, message);
  const ignore = () => undefined;
  return { trace: ignore, debug: ignore, info: ignore, log: ignore, warn: forward('warn'), error: forward('error') };
}

main().catch((error: unknown) => {
  // A signal during start-up makes the steps in flight fail; the shutdown under way reports that.
  if (stopping) return;
  if (error instanceof StartupError) process.stderr.write(`start failed: ${error.message}\n`);
  else process.stderr.write(`start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  // Stop whatever did start (a service, the watchdog) before exiting.
  if (!watchdog && !temporalSupervisor && !postgresSupervisor && !db) process.exit(1);
  void shutdown('start failed', 1);
});
