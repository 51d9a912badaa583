/**
 * The real Temporal server (not the dev server) on PostgreSQL, for `npm run cluster` and the
 * cluster test (README "The cluster shape"):
 *
 * - its binaries — `temporal-server` (`cmd/server`) and `temporal-sql-tool` (`cmd/tools/sql`) —
 *   are built once from the Go module proxy with `go install` (CGO_ENABLED=0; the module has no
 *   `replace` directives, so `go install …@version` works) and cached beside the temporal CLI
 *   (`$CACHE_DIR/bin/temporal-server-<version>/`), as root in the root-owned shared cache every
 *   clone uses (`/var/cache/party-projects/`, like the PostgreSQL binaries): a cold build takes
 *   minutes, a clone in a fresh folder should not pay it again. The PostgreSQL schema files of the
 *   same module are copied beside them, so a cached server needs no Go at all;
 * - `temporal` and `temporal_visibility` databases are made with the schema tool's own steps
 *   (`schemaSteps`: create-database, setup-schema -v 0.0, update-schema -d <versioned dir>), the
 *   steps docker-compose.yml runs too (test/unit/compose.test.ts keeps them in step);
 * - the server runs with `HISTORY_SHARDS` history shards (fixed when its database is first set up)
 *   and frontend, history, matching and worker services on the ports it is given.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import { stringify } from 'yaml';
import { SHARED_BINARIES_ROOT } from './embedded-postgres';
import { StartupError } from './ports';
import { settlesWithin, spawnManaged, type ExitInfo } from './processes';

export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
/** History shards of the cluster shape; fixed for a database once it is set up. */
export const HISTORY_SHARDS = 8;
/** The SQL plugin of the server and of its schema tool. */
export const SQL_PLUGIN = 'postgres12';
/** The server's two databases and the schema (folder under schema/postgresql/v12/) of each. */
export const TEMPORAL_DATABASES = [
  { database: 'temporal', schema: 'temporal' },
  { database: 'temporal_visibility', schema: 'visibility' },
] as const;

export interface TemporalServerBinaries {
  /** `temporal-server` (go.temporal.io/server/cmd/server). */
  server: string;
  /** `temporal-sql-tool` (go.temporal.io/server/cmd/tools/sql). */
  sqlTool: string;
  /** The module's `schema/` folder (postgresql/v12/{temporal,visibility}/versioned inside). */
  schemaRoot: string;
}

/** Where the binaries live: as root the shared root-owned cache, else beside the temporal CLI. */
export function temporalServerDir(cacheDir: string): string {
  const name = `temporal-server-${TEMPORAL_SERVER_VERSION}-${os.platform()}-${os.arch()}`;
  return os.userInfo().uid === 0 ? path.join(SHARED_BINARIES_ROOT, name) : path.join(cacheDir, 'bin', name);
}

function binaries(dir: string): TemporalServerBinaries {
  return { server: path.join(dir, 'temporal-server'), sqlTool: path.join(dir, 'temporal-sql-tool'), schemaRoot: path.join(dir, 'schema') };
}

/** Runs a command to its end: exit code and the tail of its output. */
function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs: number; onLine?: (line: string) => void }): Promise<{ code: number | null; output: string; error?: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: options.timeoutMs, env: options.env });
    let output = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output = (output + text).slice(-8000);
      if (options.onLine) for (const line of text.split('\n')) if (line.trim()) options.onLine(line.trim());
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (error: NodeJS.ErrnoException) => resolve({ code: null, output, error: error.code ?? error.message }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

function tail(text: string, lines = 3): string {
  return text.trim().split('\n').filter(Boolean).slice(-lines).join(' | ').slice(0, 600);
}

/** The Go toolchain: `go` on PATH, else the usual install location. */
function goBinary(): string | null {
  for (const candidate of ['go', '/usr/local/go/bin/go']) {
    const probe = spawnSyncQuiet(candidate, ['version']);
    if (probe) return candidate;
  }
  return null;
}

function spawnSyncQuiet(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 });
  return !result.error && result.status === 0;
}

/**
 * The server and its schema tool, built once with Go (a few minutes cold, ~25 s with a warm Go
 * build cache) into a staging folder and renamed into place, so concurrent starts never see half
 * a build.
 */
export async function ensureTemporalServer(cacheDir: string, log: Logger): Promise<TemporalServerBinaries> {
  const dir = temporalServerDir(cacheDir);
  const found = binaries(dir);
  if (fs.existsSync(path.join(dir, '.complete'))) return found;
  const go = goBinary();
  if (!go) {
    throw new StartupError(
      `the Temporal server ${TEMPORAL_SERVER_VERSION} is not built yet (${dir}) and Go is not installed to build it; install Go (https://go.dev/dl/) and run again`,
    );
  }
  const parent = path.dirname(dir);
  fs.mkdirSync(parent, { recursive: true, mode: 0o755 });
  const staging = `${dir}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`;
  fs.mkdirSync(staging, { mode: 0o755 });
  const started = Date.now();
  log.info(`building the Temporal server ${TEMPORAL_SERVER_VERSION} and its schema tool from the Go module proxy (${TEMPORAL_SERVER_MODULE}); a cold build takes several minutes`);
  const heartbeat = setInterval(() => log.info(`still building the Temporal server (${Math.round((Date.now() - started) / 1000)} s)`), 30_000);
  try {
    const env = { ...process.env, CGO_ENABLED: '0', GOBIN: staging, GOFLAGS: '-mod=mod' };
    const built = await run(go, ['install', `${TEMPORAL_SERVER_MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}`, `${TEMPORAL_SERVER_MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`], {
      env,
      timeoutMs: 60 * 60_000,
      onLine: (line) => log.debug({ go: line }),
    });
    if (built.code !== 0) throw new StartupError(`building the Temporal server failed (go install: ${built.error ?? `exit ${built.code}`}): ${tail(built.output)}`);
    fs.renameSync(path.join(staging, 'server'), path.join(staging, 'temporal-server'));
    fs.renameSync(path.join(staging, 'sql'), path.join(staging, 'temporal-sql-tool'));
    // The schema files come from the very module version the binaries were built from.
    const located = await run(go, ['mod', 'download', '-json', `${TEMPORAL_SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`], { env, timeoutMs: 600_000 });
    if (located.code !== 0) throw new StartupError(`could not locate the ${TEMPORAL_SERVER_MODULE} module: ${tail(located.output)}`);
    const moduleDir = (JSON.parse(located.output) as { Dir: string }).Dir;
    const schemaTarget = path.join(staging, 'schema', 'postgresql', 'v12');
    fs.cpSync(path.join(moduleDir, 'schema', 'postgresql', 'v12'), schemaTarget, { recursive: true });
    // The module cache is read-only; the copy must be removable and readable by everyone.
    chmodTree(path.join(staging, 'schema'));
    fs.writeFileSync(path.join(staging, '.complete'), `${TEMPORAL_SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}\n`);
    try {
      fs.renameSync(staging, dir);
    } catch (error) {
      // Another start finished the same build first: theirs is as good.
      if (!fs.existsSync(path.join(dir, '.complete'))) throw error;
    }
    log.info(`built the Temporal server in ${Math.round((Date.now() - started) / 1000)} s (${dir})`);
    return found;
  } finally {
    clearInterval(heartbeat);
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

function chmodTree(dir: string): void {
  fs.chmodSync(dir, 0o755);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) chmodTree(full);
    else fs.chmodSync(full, 0o644);
  }
}

/** The steps of the schema tool for one database, as arguments after the connection flags. */
export function schemaSteps(schema: string, schemaRoot: string): string[][] {
  return [['create-database'], ['setup-schema', '-v', '0.0'], ['update-schema', '-d', path.posix.join(schemaRoot, 'postgresql', 'v12', schema, 'versioned')]];
}

export interface SqlServer {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** The server's connection as the schema tool takes it (the password goes in SQL_PASSWORD, never on a command line). */
export function sqlToolConnectionArgs(server: Omit<SqlServer, 'password'>, database: string): string[] {
  return ['--plugin', SQL_PLUGIN, '--ep', server.host, '-p', String(server.port), '-u', server.user, '--db', database];
}

/**
 * Creates and migrates the server's two databases on `server` with the schema tool. Every step is
 * idempotent in this version (create-database ignores an existing database, setup-schema keeps a
 * newer version, update-schema applies only the versions missing), so a restart runs them all again
 * and keeps every workflow — as compose's temporal-schema service does.
 */
export async function setupTemporalSchema(bin: TemporalServerBinaries, server: SqlServer, log: Logger): Promise<void> {
  for (const { database, schema } of TEMPORAL_DATABASES) {
    for (const step of schemaSteps(schema, bin.schemaRoot)) {
      const args = [...sqlToolConnectionArgs(server, database), ...step];
      const result = await run(bin.sqlTool, args, { env: { ...process.env, SQL_PASSWORD: server.password }, timeoutMs: 300_000 });
      if (result.code !== 0) throw new StartupError(`temporal-sql-tool ${step.join(' ')} on ${database} failed: ${result.error ?? tail(result.output)}`);
      log.debug(`temporal-sql-tool ${step[0]} on ${database}: done`);
    }
  }
}

export interface TemporalServerPorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
}

/** The server's configuration (development-postgres12.yaml's shape), as an object to write as YAML. */
export function temporalServerConfig(options: { db: SqlServer; ports: TemporalServerPorts; shards?: number; dynamicConfigFile: string; logLevel?: string }): Record<string, unknown> {
  const { db, ports } = options;
  const datastore = (database: string, maxConns: number) => ({
    sql: {
      pluginName: SQL_PLUGIN,
      databaseName: database,
      connectAddr: `${db.host}:${db.port}`,
      connectProtocol: 'tcp',
      user: db.user,
      password: db.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const service = (grpcPort: number, membershipPort: number, extra: Record<string, unknown> = {}) => ({
    rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra },
  });
  return {
    log: { stdout: true, level: options.logLevel ?? 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: options.shards ?? HISTORY_SHARDS,
      datastores: {
        'postgres-default': datastore(TEMPORAL_DATABASES[0].database, 20),
        'postgres-visibility': datastore(TEMPORAL_DATABASES[1].database, 10),
      },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: {
      frontend: service(ports.frontend, ports.frontendMembership, { httpPort: ports.frontendHttp }),
      history: service(ports.history, ports.historyMembership),
      matching: service(ports.matching, ports.matchingMembership),
      worker: service(ports.worker, ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${ports.frontend}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: options.dynamicConfigFile, pollInterval: '10s' },
  };
}

/** Dynamic configuration: ids as long as the dev server allows; search attributes read without waiting for a cache refresh. */
export const DYNAMIC_CONFIG = {
  'limit.maxIDLength': [{ value: 255, constraints: {} }],
  'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true, constraints: {} }],
};

export interface RunningTemporalServer {
  address: string;
  pid: number;
  exited: Promise<ExitInfo>;
  /** SIGTERM (the server drains), SIGKILL of its group after graceMs. */
  stop(graceMs?: number): Promise<void>;
  kill(): void;
  /** The last lines it printed (for error messages). */
  output(): string;
}

/** Writes the configuration into `dir/config/cluster.yaml` and starts the server; resolves once its frontend answers. */
export async function startTemporalServer(options: {
  bin: TemporalServerBinaries;
  dir: string;
  db: SqlServer;
  ports: TemporalServerPorts;
  log: Logger;
  ownGroup?: boolean;
  shards?: number;
}): Promise<RunningTemporalServer> {
  const { bin, dir, log, ports } = options;
  const configDir = path.join(dir, 'config');
  fs.mkdirSync(configDir, { recursive: true });
  const dynamicConfigFile = path.join(configDir, 'dynamic.yaml');
  fs.writeFileSync(dynamicConfigFile, stringify(DYNAMIC_CONFIG));
  fs.writeFileSync(path.join(configDir, 'cluster.yaml'), stringify(temporalServerConfig({ db: options.db, ports, shards: options.shards, dynamicConfigFile })), { mode: 0o600 });
  const server = spawnManaged(bin.server, ['--root', dir, '--config', 'config', '--env', 'cluster', '--allow-no-auth', 'start'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ownGroup: options.ownGroup,
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output = (output + text).slice(-16_000);
    for (const line of text.split('\n')) if (line.trim()) log.debug({ temporalServer: line.trim().slice(0, 500) });
  };
  server.child.stdout?.on('data', collect);
  server.child.stderr?.on('data', collect);
  const address = `127.0.0.1:${ports.frontend}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (server.hasExited()) throw new StartupError(`the Temporal server exited during start-up: ${tail(output, 4)}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000, channelArgs: { 'grpc.use_local_subchannel_pool': 1 } });
      try {
        await connection.withDeadline(Date.now() + 3000, () => connection.workflowService.getSystemInfo({}));
        // The system namespace answering means history and matching are up too.
        await connection.withDeadline(Date.now() + 3000, () => connection.workflowService.describeNamespace({ namespace: 'temporal-system' }));
      } finally {
        await connection.close();
      }
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        await server.stop({ signal: 'SIGKILL', graceMs: 0 });
        throw new StartupError(`the Temporal server did not answer on ${address} within 120 s (${String(error)}): ${tail(output, 4)}`);
      }
      await settlesWithin(server.exited, 500);
    }
  }
  return {
    address,
    pid: server.pid,
    exited: server.exited,
    stop: (graceMs = 10_000) => server.stop({ signal: 'SIGTERM', graceMs }),
    kill: () => server.killGroup(),
    output: () => output,
  };
}
