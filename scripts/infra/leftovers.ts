/**
 * Recognises and stops the embedded services a killed `npm start` left behind, by their data
 * directory: PostgreSQL's own postmaster.pid, and the pid file we write for the Temporal dev
 * server. A process is only ours if its command line names that same data directory (or SQLite
 * file); anything else on our ports is somebody else's and is reported, never touched.
 *
 * Only Node built-ins here: the watchdog (scripts/infra/watchdog.ts) imports this and must start fast.
 */
import fs from 'node:fs';
import path from 'node:path';
import { StartupError } from './ports';
import { commandLine, isAlive, stopPid } from './processes';

export interface Leftover {
  what: string;
  pid: number;
}

interface LogLike {
  info(message: string): void;
  warn(message: string): void;
}

/** pid of a live PostgreSQL postmaster serving `dataDir` (from its postmaster.pid), if any. */
export function postmasterPid(dataDir: string): number | null {
  let content: string;
  try {
    content = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return null;
  }
  const pid = Number(content.split('\n')[0]);
  if (!isAlive(pid)) return null;
  const argv = commandLine(pid);
  // `postgres -D <dataDir> …`: the same data directory, resolved the same way we passed it.
  if (!argv || !argv.some((arg) => path.basename(arg) === 'postgres')) return null;
  const dIndex = argv.indexOf('-D');
  const dir = dIndex >= 0 ? argv[dIndex + 1] : undefined;
  return dir && path.resolve(dir) === path.resolve(dataDir) ? pid : null;
}

export interface DevServerPidFile {
  pid: number;
  argv: string[];
}

export function devServerPidFile(dbFile: string): string {
  return path.join(path.dirname(dbFile), 'dev-server.pid');
}

export function writeDevServerPidFile(dbFile: string, record: DevServerPidFile): void {
  const file = devServerPidFile(dbFile);
  const staging = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(staging, JSON.stringify(record) + '\n');
  fs.renameSync(staging, file);
}

export function removeDevServerPidFile(dbFile: string, pid: number): void {
  // Only our own record: a newer dev server may already have replaced it.
  if (readDevServerPidFile(dbFile)?.pid === pid) fs.rmSync(devServerPidFile(dbFile), { force: true });
}

function readDevServerPidFile(dbFile: string): DevServerPidFile | null {
  try {
    const record = JSON.parse(fs.readFileSync(devServerPidFile(dbFile), 'utf8')) as DevServerPidFile;
    return Number.isInteger(record.pid) && Array.isArray(record.argv) ? record : null;
  } catch {
    return null;
  }
}

/** pid of a live Temporal dev server on `dbFile` recorded in our pid file, if any. */
export function devServerPid(dbFile: string): number | null {
  const record = readDevServerPidFile(dbFile);
  if (!record || !isAlive(record.pid)) return null;
  const argv = commandLine(record.pid);
  // The pid may have been reused by an unrelated process since: the command line must match.
  if (!argv || argv.length < 2) return null;
  const sameCommand = argv.includes('start-dev') && argv.includes(path.resolve(dbFile));
  return sameCommand ? record.pid : null;
}

/**
 * The live `npm start` (scripts/start.ts) that is the parent of `pid`, if any: then the service is
 * not a leftover but another copy's, running on the same data directory.
 */
function liveOwner(pid: number): number | null {
  let ppid: number;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
  if (!(ppid > 1) || !isAlive(ppid)) return null;
  const argv = commandLine(ppid);
  return argv?.some((arg) => arg.endsWith(path.join('scripts', 'start.ts'))) ? ppid : null;
}

/**
 * Stops the leftovers of an earlier `npm start` on this data directory. PostgreSQL gets SIGINT
 * (fast shutdown: a clean checkpoint, no recovery next time), the dev server SIGTERM; both are
 * SIGKILLed with their process group if they do not exit within `graceMs`.
 */
export async function reclaimLeftovers(
  options: {
    postgresDataDir?: string | null;
    temporalDbFile?: string | null;
    graceMs?: number;
    /** The watchdog's parent, which has just died (its children may not be reparented yet). */
    deadOwner?: number;
  },
  log: LogLike,
): Promise<Leftover[]> {
  const graceMs = options.graceMs ?? 5000;
  const found: Array<Leftover & { first: NodeJS.Signals }> = [];
  const pgPid = options.postgresDataDir ? postmasterPid(options.postgresDataDir) : null;
  if (pgPid) found.push({ what: 'embedded PostgreSQL', pid: pgPid, first: 'SIGINT' });
  const temporalPid = options.temporalDbFile ? devServerPid(options.temporalDbFile) : null;
  if (temporalPid) found.push({ what: 'Temporal dev server', pid: temporalPid, first: 'SIGTERM' });
  for (const { what, pid } of found) {
    const owner = liveOwner(pid);
    if (owner && owner !== options.deadOwner) {
      throw new StartupError(`another npm start (pid ${owner}) is running on this data directory (its ${what} is pid ${pid}); stop it first, or set DATA_DIR and the ports for a second copy`);
    }
  }
  await Promise.all(
    found.map(async ({ what, pid, first }) => {
      log.info(`stopping the ${what} (pid ${pid}) left running by an earlier npm start on this data directory`);
      const gone = await stopPid(pid, first, graceMs);
      if (!gone) log.warn(`the leftover ${what} (pid ${pid}) did not exit`);
    }),
  );
  if (options.temporalDbFile && temporalPid) removeDevServerPidFile(options.temporalDbFile, temporalPid);
  return found.map(({ what, pid }) => ({ what, pid }));
}
