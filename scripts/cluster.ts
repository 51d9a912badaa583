/**
 * `npm run cluster`: the production shape of docker-compose.yml on this machine (README "The
 * cluster shape"): the real Temporal server (built from the Go module proxy, PostgreSQL
 * persistence and visibility, HISTORY_SHARDS history shards) on the embedded PostgreSQL (or
 * DATABASE_URL's server), the namespace and the project's search attributes registered with the
 * temporal CLI, then two worker processes (worker/main.ts) and two API processes (api/server.ts)
 * configured only through the environment variables config.ts reads, as compose configures them.
 *
 * A worker or API process that dies is started again (compose's `restart: unless-stopped`).
 * Ctrl-C stops everything it started: the API and worker processes, then the server, then PostgreSQL.
 *
 * The functions are exported for the cluster test and the benchmark (startCluster).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import { loadConfig } from '../config';
import { createDb, migrateToLatest } from '../db';
import { createLogger } from '../logger';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';
import { ensureDatabase, postgresDataDirFor, startEmbeddedPostgres, type RunningPostgres } from './infra/embedded-postgres';
import { reclaimLeftovers } from './infra/leftovers';
import { assertPortFree, StartupError } from './infra/ports';
import { commandLine, isAlive, settlesWithin, spawnManaged, stopPid, type ManagedChild } from './infra/processes';
import { ensureTemporalCli } from './infra/temporal-cli';
import {
  ensureTemporalServer,
  HISTORY_SHARDS,
  setupTemporalSchema,
  startTemporalServer,
  type RunningTemporalServer,
  type SqlServer,
  type TemporalServerPorts,
} from './infra/temporal-server';

const ROOT = path.join(__dirname, '..');

/** The processes of the shape and their entry points (compose's `api` and `worker` services). */
export const CLUSTER_ENTRY = { api: 'api/server.ts', worker: 'worker/main.ts' } as const;
export const CLUSTER_WORKERS = 2;
export const CLUSTER_APIS = 2;

/**
 * The environment of an API or worker process: exactly the variables docker-compose.yml gives its
 * `api` and `worker` services (test/unit/compose.test.ts compares the names).
 */
export function clusterProcessEnv(
  kind: 'api' | 'worker',
  settings: { temporalAddress: string; namespace: string; taskQueue: string; databaseUrl: string; evidenceDir: string; logLevel: string; host?: string; port?: number },
): Record<string, string> {
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: settings.temporalAddress,
    TEMPORAL_NAMESPACE: settings.namespace,
    TEMPORAL_TASK_QUEUE: settings.taskQueue,
    DATABASE_URL: settings.databaseUrl,
    EVIDENCE_DIR: settings.evidenceDir,
    LOG_LEVEL: settings.logLevel,
  };
  if (kind === 'api') {
    env.HOST = settings.host ?? '127.0.0.1';
    env.PORT = String(settings.port ?? 3000);
  }
  return env;
}

export interface ClusterOptions {
  /** The shape's own folder: PostgreSQL (unless databaseUrl), the server's config, evidence files, process logs. */
  dir: string;
  cacheDir: string;
  /** External PostgreSQL for the app; the server's databases go on the same server. Null: embedded. */
  databaseUrl: string | null;
  postgresPort: number;
  /** The Temporal frontend's gRPC port; the server's other ports are free ones. */
  temporalPort: number;
  apiHost: string;
  /** One API process per port. */
  apiPorts: number[];
  workers: number;
  namespace: string;
  taskQueue: string;
  log: Logger;
  /** LOG_LEVEL of the API and worker processes. */
  logLevel: string;
  /** Tests trade PostgreSQL's durability for speed. */
  fastPostgres?: boolean;
  /** Start a dead API or worker process again (default true). */
  restart?: boolean;
}

/** One API or worker process of the shape. */
export interface ClusterProcess {
  name: string;
  kind: 'api' | 'worker';
  /** The API's base URL. */
  url: string | null;
  /** The current process's pid. */
  pid(): number;
  /** Starts (or after a death, restarts) counted. */
  starts(): number;
  /** SIGKILL now, like a crashed machine; restarted afterwards when the cluster restarts processes. */
  kill(): void;
  /** Resolves once the (current) process serves: the API answers /health, the worker polls its task queue. */
  ready(): Promise<void>;
  output(): string;
}

export interface RunningCluster {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  /** The app's database. */
  databaseUrl: string;
  evidenceDir: string;
  server: RunningTemporalServer;
  postgres: RunningPostgres | null;
  apis: ClusterProcess[];
  workers: ClusterProcess[];
  /** Seconds each start-up step took. */
  timings: Record<string, number>;
  stop(): Promise<void>;
}

/**
 * A free port below the kernel's ephemeral range (32768 and up on Linux): the server stores its
 * services' membership ports in a smallint column (≤ 32767), and a port from the ephemeral range can
 * meanwhile become the local end of some outgoing connection.
 */
async function lowFreePort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.has(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) {
      taken.add(port);
      return port;
    }
  }
  throw new StartupError('found no free port between 20000 and 32000 for the Temporal server');
}

/** Free ports for the server's services other than the frontend. */
async function serverPorts(frontend: number): Promise<TemporalServerPorts> {
  const taken = new Set([frontend]);
  return {
    frontend,
    frontendHttp: await lowFreePort(taken),
    frontendMembership: await lowFreePort(taken),
    history: await lowFreePort(taken),
    historyMembership: await lowFreePort(taken),
    matching: await lowFreePort(taken),
    matchingMembership: await lowFreePort(taken),
    worker: await lowFreePort(taken),
    workerMembership: await lowFreePort(taken),
  };
}

function sqlServerOf(url: string): SqlServer {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
  };
}

/**
 * Registers the namespace and the search attributes with the temporal CLI (what compose's setup
 * service runs), then waits until the frontend's namespace cache (refreshed every ~10 s) sees both:
 * a workflow carrying every search attribute can be started.
 */
export async function registerNamespace(options: { cli: string; address: string; namespace: string; log: Logger }): Promise<void> {
  const { cli, address, namespace, log } = options;
  const connection = await Connection.connect({ address });
  try {
    const exists = await connection.workflowService.describeNamespace({ namespace }).then(() => true, () => false);
    if (!exists) {
      runCli(cli, ['operator', 'namespace', 'create', '--address', address, '--namespace', namespace, '--retention', '720h']);
      log.info(`namespace ${namespace} registered`);
    }
    const names = SEARCH_ATTRIBUTE_KEYS.map((key) => key.name);
    let missing: string[] = names;
    // The namespace may not be visible to the operator service for a few seconds.
    for (let attempt = 0; ; attempt++) {
      try {
        const listed = await connection.operatorService.listSearchAttributes({ namespace });
        missing = names.filter((name) => !(name in (listed.customAttributes ?? {})));
        break;
      } catch (error) {
        if (attempt > 60) throw error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    // One at a time, as compose's setup service does: the CLI takes several --name but one --type,
    // and against this server registered only the first name of a list.
    for (const name of missing) runCli(cli, ['operator', 'search-attribute', 'create', '--address', address, '--namespace', namespace, '--name', name, '--type', 'Keyword']);
    if (missing.length > 0) log.info(`search attributes ${missing.join(', ')} registered`);
    const client = new Client({ connection, namespace });
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        const handle = await client.workflow.start('clusterProbe', {
          taskQueue: 'cluster-probe',
          workflowId: `cluster-probe-${Date.now()}`,
          typedSearchAttributes: SEARCH_ATTRIBUTE_KEYS.map((key) => ({ key, value: 'probe' })),
        });
        await handle.terminate('namespace cache probe');
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new StartupError(`the namespace ${namespace} and its search attributes did not become usable within 90 s: ${String(error)} ${String((error as { cause?: unknown }).cause ?? '')}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  } finally {
    await connection.close();
  }
}

function runCli(cli: string, args: string[]): void {
  const result = spawnSync(cli, args, { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new StartupError(`temporal ${args.slice(0, 3).join(' ')} failed: ${(result.stderr || result.stdout || String(result.error)).trim().slice(0, 400)}`);
}

/** A file naming every process the cluster runs, so a start after a SIGKILLed one stops the leftovers. */
function pidFile(dir: string): string {
  return path.join(dir, 'cluster-pids.json');
}

async function reclaimClusterLeftovers(dir: string, postgresDataDir: string | null, log: Logger): Promise<void> {
  await reclaimLeftovers({ postgresDataDir, temporalDbFile: null, graceMs: 5000 }, { info: (m) => log.warn(m), warn: (m) => log.warn(m) });
  let records: { pid: number; argv: string[] }[] = [];
  try {
    records = JSON.parse(fs.readFileSync(pidFile(dir), 'utf8')) as typeof records;
  } catch {
    return;
  }
  for (const record of records) {
    const argv = isAlive(record.pid) ? commandLine(record.pid) : null;
    if (argv && argv.join('\0') === record.argv.join('\0')) {
      log.warn(`stopping pid ${record.pid} (${path.basename(record.argv[0] ?? '')}), left over by an earlier npm run cluster on ${dir}`);
      await stopPid(record.pid, 'SIGTERM', 5000);
    }
  }
  fs.rmSync(pidFile(dir), { force: true });
}

export async function startCluster(options: ClusterOptions): Promise<RunningCluster> {
  const { log } = options;
  const dir = path.resolve(options.dir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, step: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    try {
      return await step();
    } finally {
      timings[name] = Number(((Date.now() - t) / 1000).toFixed(1));
    }
  };
  const postgresDataDir = options.databaseUrl ? null : postgresDataDirFor(path.join(dir, 'postgres'), log);
  await reclaimClusterLeftovers(dir, postgresDataDir, log);
  await assertPortFree(options.temporalPort, 'Temporal frontend', 'TEMPORAL_DEV_PORT');
  for (const port of options.apiPorts) await assertPortFree(port, 'API', 'PORT', options.apiHost);

  const stoppers: (() => Promise<void>)[] = [];
  const stopStarted = async () => {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
  };
  try {
    const [bin, cli, postgres] = await Promise.all([
      timed('buildOrFindServer', () => ensureTemporalServer(options.cacheDir, log)),
      ensureTemporalCli(options.cacheDir, log),
      postgresDataDir
        ? timed('postgres', async () => {
            await assertPortFree(options.postgresPort, 'embedded PostgreSQL', 'EMBEDDED_PG_PORT');
            const started = await startEmbeddedPostgres({ dataDir: postgresDataDir, port: options.postgresPort, log, ownGroup: true, fast: options.fastPostgres });
            stoppers.push(() => started.stop());
            return started;
          })
        : Promise.resolve(null),
    ]);
    const serverUrl = postgres?.serverUrl ?? options.databaseUrl!;
    const databaseUrl = postgres ? await ensureDatabase(postgres.serverUrl, 'party_projects') : options.databaseUrl!;
    const sql = sqlServerOf(serverUrl);
    await timed('schema', async () => {
      await setupTemporalSchema(bin, sql, log);
      const db = createDb(databaseUrl);
      try {
        await migrateToLatest(db);
      } finally {
        await db.destroy();
      }
    });
    const server = await timed('server', async () => {
      const ports = await serverPorts(options.temporalPort);
      const started = await startTemporalServer({ bin, dir: path.join(dir, 'temporal'), db: sql, ports, log, ownGroup: true });
      stoppers.push(() => started.stop(8000));
      return started;
    });
    await timed('namespace', () => registerNamespace({ cli, address: server.address, namespace: options.namespace, log }));

    const evidenceDir = path.join(dir, 'evidence');
    const logDir = path.join(dir, 'logs');
    fs.mkdirSync(evidenceDir, { recursive: true });
    fs.mkdirSync(logDir, { recursive: true });
    let stopping = false;
    const settings = { temporalAddress: server.address, namespace: options.namespace, taskQueue: options.taskQueue, databaseUrl, evidenceDir, logLevel: options.logLevel };
    const pids: { pid: number; argv: string[] }[] = [{ pid: server.pid, argv: commandLine(server.pid) ?? [] }];
    const writePids = (processes: ManagedProcess[]) =>
      fs.writeFileSync(pidFile(dir), JSON.stringify([...pids, ...processes.map((p) => ({ pid: p.pid(), argv: p.argv }))]));
    const all: ManagedProcess[] = [];
    const spawnOne = (kind: 'api' | 'worker', name: string, env: Record<string, string>, url: string | null) =>
      managedProcess({ kind, name, env, url, logFile: path.join(logDir, `${name}.log`), log, restart: options.restart ?? true, isStopping: () => stopping, address: server.address, namespace: options.namespace, taskQueue: options.taskQueue, onSpawn: () => writePids(all) });
    stoppers.push(async () => {
      stopping = true;
      await Promise.all(all.map((p) => p.stop()));
      fs.rmSync(pidFile(dir), { force: true });
    });
    const workers = Array.from({ length: options.workers }, (_, i) => spawnOne('worker', `worker-${i + 1}`, clusterProcessEnv('worker', settings), null));
    const apis = options.apiPorts.map((port, i) =>
      spawnOne('api', `api-${i + 1}`, clusterProcessEnv('api', { ...settings, host: options.apiHost, port }), `http://${options.apiHost}:${port}`),
    );
    all.push(...workers, ...apis);
    writePids(all);
    await timed('processes', () => Promise.all(all.map((p) => p.ready())));
    let stopped: Promise<void> | null = null;
    return {
      temporalAddress: server.address,
      namespace: options.namespace,
      taskQueue: options.taskQueue,
      databaseUrl,
      evidenceDir,
      server,
      postgres,
      apis,
      workers,
      timings,
      stop: () => (stopped ??= stopStarted()),
    };
  } catch (error) {
    await stopStarted();
    throw error;
  }
}

export interface ManagedProcess extends ClusterProcess {
  argv: string[];
  stop(): Promise<void>;
}

/** An API or worker process, restarted after a death unless the cluster is stopping. */
export function managedProcess(options: {
  kind: 'api' | 'worker';
  name: string;
  env: Record<string, string>;
  url: string | null;
  logFile: string;
  log: Logger;
  restart: boolean;
  isStopping: () => boolean;
  address: string;
  namespace: string;
  taskQueue: string;
  onSpawn: () => void;
}): ManagedProcess {
  const argv = [process.execPath, '--import', 'tsx', path.join(ROOT, CLUSTER_ENTRY[options.kind])];
  const logStream = fs.createWriteStream(options.logFile, { flags: 'a' });
  let output = '';
  let child: ManagedChild;
  let starts = 0;
  let readyPromise: Promise<void>;
  const spawnChild = () => {
    starts += 1;
    child = spawnManaged(argv[0]!, argv.slice(1), { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'], ownGroup: true });
    const onData = (chunk: Buffer) => {
      logStream.write(chunk);
      output = (output + chunk.toString('utf8')).slice(-20_000);
    };
    child.child.stdout?.on('data', onData);
    child.child.stderr?.on('data', onData);
    const current = child;
    readyPromise = waitReady(current);
    readyPromise.catch(() => undefined);
    void current.exited.then((info) => {
      if (options.isStopping()) return;
      options.log.warn(`${options.name} (pid ${current.pid}) died (${info.signal ?? `exit ${info.code}`})${options.restart ? '; starting it again' : ''}`);
      if (options.restart) setTimeout(() => !options.isStopping() && spawnChild(), 500);
    });
    options.onSpawn();
  };
  const waitReady = async (current: ManagedChild): Promise<void> => {
    const deadline = Date.now() + 180_000;
    const connection = options.kind === 'worker' ? await Connection.connect({ address: options.address }) : null;
    try {
      for (;;) {
        if (current.hasExited()) throw new Error(`${options.name} exited before it was ready:\n${output.slice(-3000)}`);
        if (Date.now() > deadline) throw new Error(`${options.name} was not ready within 180 s:\n${output.slice(-3000)}`);
        if (connection) {
          // The SDK's default identity is pid@host: this very process polls the task queue.
          const described = await connection.workflowService
            .describeTaskQueue({ namespace: options.namespace, taskQueue: { name: options.taskQueue }, taskQueueType: 1 })
            .catch(() => null);
          if (described?.pollers?.some((p) => p.identity?.startsWith(`${current.pid}@`))) return;
        } else {
          const status = await fetch(`${options.url}/health`, { signal: AbortSignal.timeout(2000) }).then((r) => r.status, () => 0);
          if (status === 200) return;
        }
        await settlesWithin(current.exited, 500);
      }
    } finally {
      await connection?.close();
    }
  };
  spawnChild();
  return {
    name: options.name,
    kind: options.kind,
    url: options.url,
    argv,
    pid: () => child.pid,
    starts: () => starts,
    kill: () => child.killGroup(),
    ready: () => readyPromise,
    output: () => output,
    async stop() {
      // SIGTERM: the API answers what it holds, the worker finishes its tasks; SIGKILL after 5 s.
      await child.stop({ signal: 'SIGTERM', graceMs: 5000 });
      logStream.end();
    },
  };
}

/** `npm run cluster [-- --workers N --apis N]`. */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'party-projects-cluster');
  const flag = (name: string, fallback: number) => {
    const index = process.argv.indexOf(`--${name}`);
    const value = index > 0 ? Number(process.argv[index + 1]) : fallback;
    if (!Number.isInteger(value) || value < 1) throw new StartupError(`--${name} takes a positive whole number`);
    return value;
  };
  const apis = flag('apis', CLUSTER_APIS);
  const started = Date.now();
  let cluster: RunningCluster | null = null;
  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) {
      log.warn(`${why} again: exiting now`);
      process.exit(130);
    }
    stopping = true;
    log.info(`${why}: stopping the API and worker processes, the Temporal server and PostgreSQL`);
    setTimeout(() => process.exit(130), 20_000).unref();
    await cluster?.stop();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => void stop(`${signal} received`));
  }
  cluster = await startCluster({
    dir: path.join(config.dataDir, 'cluster'),
    cacheDir: config.cacheDir,
    databaseUrl: config.database.url,
    postgresPort: config.database.embeddedPort,
    temporalPort: config.temporal.devServerPort,
    apiHost: config.api.host,
    apiPorts: Array.from({ length: apis }, (_, i) => config.api.port + i),
    workers: flag('workers', CLUSTER_WORKERS),
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    log,
    logLevel: config.logLevel,
  });
  if (stopping) return;
  const lines = [
    '',
    `The cluster shape is up (${Math.round((Date.now() - started) / 1000)} s: ${Object.entries(cluster.timings).map(([k, v]) => `${k} ${v} s`).join(', ')})`,
    `  Temporal server  ${cluster.server.address} (namespace ${cluster.namespace}, ${HISTORY_SHARDS} history shards, PostgreSQL persistence and visibility; no Web UI: use the temporal CLI)`,
    `  PostgreSQL       ${cluster.postgres ? `embedded on 127.0.0.1:${config.database.embeddedPort}` : 'DATABASE_URL'} (databases party_projects, temporal, temporal_visibility)`,
    ...cluster.apis.map((p) => `  ${p.name.padEnd(16)} ${p.url}   (pid ${p.pid()}, health ${p.url}/health)`),
    ...cluster.workers.map((p) => `  ${p.name.padEnd(16)} task queue ${cluster!.taskQueue}   (pid ${p.pid()})`),
    `  logs             ${path.join(config.dataDir, 'cluster', 'logs')}/`,
    'Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`cluster failed: ${error instanceof StartupError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
