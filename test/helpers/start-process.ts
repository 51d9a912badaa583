/**
 * `npm start` as a real OS process for the fault tests: its own data directory and free ports, so
 * it collides with nothing else on the machine, and the pids of everything it started, read the
 * way an operator would (postmaster.pid, the dev server's pid file, /proc).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { devServerPidFile, postmasterPid } from '../../scripts/infra/leftovers';
import { freePort } from '../../scripts/infra/ports';
import { isAlive } from '../../scripts/infra/processes';

const ROOT = path.join(__dirname, '..', '..');

export interface StartEnv {
  DATA_DIR: string;
  PORT: string;
  EMBEDDED_PG_PORT: string;
  TEMPORAL_DEV_PORT: string;
  TEMPORAL_UI_PORT: string;
  DEMO: string;
}

/**
 * A free port below the kernel's ephemeral range (32768 and up on Linux). The scenarios start
 * npm start again and again on the same ports; a port from the ephemeral range (what freePort
 * gives) can meanwhile become the local end of some outgoing connection on this busy machine, and
 * the next bind fails.
 */
export async function quietPort(taken: Set<number> = new Set()): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
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
  return freePort();
}

/** Fresh ports and the given data directory (which PostgreSQL, running as `postgres` when we are root, must reach). */
export async function startEnv(dataDir: string, demo = false): Promise<StartEnv> {
  fs.mkdirSync(dataDir, { recursive: true });
  fs.chmodSync(dataDir, 0o755);
  const taken = new Set<number>();
  return {
    DATA_DIR: dataDir,
    PORT: String(await quietPort(taken)),
    EMBEDDED_PG_PORT: String(await quietPort(taken)),
    TEMPORAL_DEV_PORT: String(await quietPort(taken)),
    TEMPORAL_UI_PORT: String(await quietPort(taken)),
    DEMO: demo ? '1' : '0',
  };
}

export interface StartedProcess {
  child: ChildProcess;
  pid: number;
  env: StartEnv;
  base: string;
  /** Resolves when "Press Ctrl-C to stop." is printed; rejects if the process exits first. */
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  /** pino log records printed so far. */
  logs(): Array<Record<string, unknown> & { msg?: string }>;
}

/** Runs what `npm start` runs (node --import tsx scripts/start.ts), so the pid is the start script itself. */
export function spawnStart(env: StartEnv, extraEnv: Record<string, string> = {}): StartedProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'start.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...env, LOG_LEVEL: 'info', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const onData = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-400_000);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<void>((resolve, reject) => {
    const check = () => {
      if (output.includes('Press Ctrl-C to stop.')) resolve();
    };
    child.stdout?.on('data', check);
    void exited.then(({ code, signal }) => reject(new Error(`npm start exited (${code ?? signal}) before it was up:\n${output.slice(-4000)}`)));
  });
  ready.catch(() => undefined);
  return {
    child,
    pid: child.pid!,
    env,
    base: `http://127.0.0.1:${env.PORT}`,
    ready,
    exited,
    output: () => output,
    logs: () =>
      output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as Record<string, unknown>];
          } catch {
            return [];
          }
        }),
  };
}

/** The postmaster's pid, from postmaster.pid in the data directory. */
export function postgresPid(env: StartEnv): number | null {
  return postmasterPid(path.join(env.DATA_DIR, 'postgres'));
}

/** The Temporal dev server's pid, from the pid file npm start writes next to its SQLite file. */
export function temporalPid(env: StartEnv): number | null {
  try {
    const record = JSON.parse(fs.readFileSync(devServerPidFile(path.join(env.DATA_DIR, 'temporal', 'temporal.db')), 'utf8')) as { pid: number };
    return isAlive(record.pid) ? record.pid : null;
  } catch {
    return null;
  }
}

/** Every live descendant of `pid` (children, their children…), from /proc. */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parentOf.set(Number(entry), Number(fields[1]));
    } catch {
      // exited while we looked
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const current = queue.shift()!;
    for (const [child, parent] of parentOf) {
      if (parent === current && isAlive(child)) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

export function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '(gone)';
  }
}

/** GET /health: status code, or 0 when nothing answers (timeout 3 s). */
export async function health(base: string): Promise<number> {
  try {
    const response = await fetch(`${base}/health`, { signal: AbortSignal.timeout(3000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}
