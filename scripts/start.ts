/**
 * `npm start`: the whole system from one command. With no configuration it starts a Temporal dev
 * server (SQLite file under .data/) and an embedded PostgreSQL (also under .data/), migrates the
 * schema, and runs the worker and the API in this process. TEMPORAL_ADDRESS / DATABASE_URL switch
 * to external services, in which case nothing embedded is started. Ctrl-C stops everything.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { buildApp } from '../api/app';
import { loadConfig } from '../config';
import { createDb, migrateToLatest } from '../db';
import { createLogger } from '../logger';
import { createWorker, installRuntimeLogging } from '../worker';
import { DEMO_CYCLE_ID, ensureDemoCity, type DemoLogin } from './demo';
import { startEmbeddedPostgres, ensureDatabase } from './infra/embedded-postgres';
import { assertPortFree } from './infra/ports';
import { ensureTemporalCli } from './infra/temporal-cli';
import { startTemporalDevServer } from './infra/temporal-dev-server';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'party-projects');
  const stops: Array<{ name: string; stop: () => Promise<unknown> }> = [];
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received, stopping`);
    // Keep the event loop alive until every child has stopped, whatever handles close first.
    const keepAlive = setInterval(() => undefined, 1000);
    for (const { name, stop } of stops.reverse()) {
      try {
        await stop();
        log.info(`stopped ${name}`);
      } catch (error) {
        log.warn({ err: error }, `stopping ${name} failed`);
      }
    }
    clearInterval(keepAlive);
    process.exit(0);
  };
  // embedded-postgres registers async-exit-hook, which stops PostgreSQL and exits on the first
  // signal while the worker may still be writing; this process owns the order of shutdown instead.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  const startedAt = Date.now();
  let temporalAddress = config.temporal.address;
  let temporalUi: string | null = null;
  if (!temporalAddress) {
    await assertPortFree(config.temporal.devServerPort, 'Temporal dev server', 'TEMPORAL_DEV_PORT');
    await assertPortFree(config.temporal.devServerUiPort, 'Temporal UI', 'TEMPORAL_UI_PORT');
    const cli = await ensureTemporalCli(config.cacheDir, log);
    log.info(`starting the Temporal dev server (${cli})`);
    const server = await startTemporalDevServer({
      cliPath: cli,
      port: config.temporal.devServerPort,
      uiPort: config.temporal.devServerUiPort,
      namespace: config.temporal.namespace,
      dbFile: path.join(config.dataDir, 'temporal', 'temporal.db'),
      log,
    });
    stops.push({ name: 'Temporal dev server', stop: () => server.stop() });
    temporalAddress = server.address;
    temporalUi = server.uiUrl;
  }

  let databaseUrl = config.database.url;
  if (!databaseUrl) {
    await assertPortFree(config.database.embeddedPort, 'embedded PostgreSQL', 'EMBEDDED_PG_PORT');
    log.info('starting the embedded PostgreSQL');
    const pg = await startEmbeddedPostgres({ dataDir: path.join(config.dataDir, 'postgres'), port: config.database.embeddedPort, log });
    stops.push({ name: 'embedded PostgreSQL', stop: () => pg.stop() });
    databaseUrl = await ensureDatabase(pg.serverUrl, config.database.embeddedDatabase);
  }

  await assertPortFree(config.api.port, 'API', 'PORT', config.api.host);
  const db = createDb(databaseUrl);
  stops.push({ name: 'database pool', stop: () => db.destroy() });
  const migrated = await migrateToLatest(db);
  log.info(`database migrated (${migrated.results?.length ?? 0} new migration(s))`);

  installRuntimeLogging(log);
  const workerConnection = await NativeConnection.connect({ address: temporalAddress });
  stops.push({ name: 'worker connection', stop: () => workerConnection.close() });
  const worker = await createWorker({
    connection: workerConnection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    db,
  });
  const workerRun = worker.run();
  stops.push({
    name: 'worker',
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerRun;
    },
  });
  workerRun.catch((error) => {
    log.error({ err: error }, 'worker stopped unexpectedly');
    void shutdown('worker failure');
  });

  const clientConnection = await Connection.connect({ address: temporalAddress });
  stops.push({ name: 'client connection', stop: () => clientConnection.close() });
  const temporal = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
  const app = await buildApp({ db, temporal, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue, logger: log });
  await app.listen({ host: config.api.host, port: config.api.port });
  stops.push({ name: 'API', stop: () => app.close() });

  const base = `http://${config.api.host}:${config.api.port}`;
  let demo: DemoLogin[] = [];
  if (!config.database.url && process.env.DEMO !== '0') demo = await ensureDemoCity(db, temporal, config.temporal.taskQueue);
  const lines = [
    '',
    `Party-building project engine is up (${Math.round((Date.now() - startedAt) / 1000)} s)`,
    `  API            ${base}`,
    `  Health         ${base}/health`,
    `  OpenAPI docs   ${base}/docs   (document: ${base}/docs/json)`,
    `  Temporal       ${temporalAddress} (namespace ${config.temporal.namespace})`,
    `  Temporal UI    ${temporalUi ?? '(external Temporal: see its own UI)'}`,
    `  PostgreSQL     ${config.database.url ? 'external (DATABASE_URL)' : `embedded on 127.0.0.1:${config.database.embeddedPort}, data in ${path.join(config.dataDir, 'postgres')}`}`,
    ...(demo.length
      ? [
          '',
          `Demo city (cycle ${DEMO_CYCLE_ID}); fresh bearer tokens, one user per role (valid 30 days):`,
          ...demo.map((d) => `  ${d.role.padEnd(10)} ${d.userId.padEnd(22)} ${d.token}`),
          `  e.g. curl -H "Authorization: Bearer <token>" ${base}/projects?cycle=${DEMO_CYCLE_ID}`,
        ]
      : []),
    'Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((error) => {
  process.stderr.write(`start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
