/**
 * Process plumbing for the embedded services: children in their own process group that can always
 * be stopped within a bounded time, and checks on pids found in pid files (alive? ours?).
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedChild {
  child: ChildProcess;
  pid: number;
  /** Resolves once the process has exited (never rejects). */
  exited: Promise<ExitInfo>;
  hasExited(): boolean;
  /**
   * Sends `signal` to the leader, waits up to `graceMs`, then SIGKILLs the whole process group and
   * waits a little more. Never waits longer than graceMs + 2 s, even if the process is unkillable.
   */
  stop(options: { signal: NodeJS.Signals; graceMs: number }): Promise<void>;
  /** SIGKILL to the whole process group, now. */
  killGroup(): void;
}

/**
 * Spawns `command` as the leader of a new process group (detached), when `ownGroup` is set. A
 * terminal's Ctrl-C reaches the whole foreground group at once; a child in its own group only stops
 * when we tell it to, in our order (PostgreSQL after the worker has finished its last write). It also
 * lets us SIGKILL the child together with whatever it forked (PostgreSQL's backends).
 */
export function spawnManaged(command: string, args: string[], options: SpawnOptions & { ownGroup?: boolean }): ManagedChild {
  const { ownGroup, ...spawnOptions } = options;
  const child = spawn(command, args, { ...spawnOptions, detached: ownGroup === true });
  let exitInfo: ExitInfo | null = null;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
    // A spawn failure (ENOENT, EACCES) emits 'error' and maybe no 'exit'.
    child.once('error', () => {
      if (child.pid === undefined) {
        exitInfo = { code: -1, signal: null };
        resolve(exitInfo);
      }
    });
  });
  const pid = child.pid ?? -1;
  const killGroup = () => {
    if (pid <= 0) return;
    try {
      // Negative pid: the whole group, including children the leader left behind when it died.
      if (ownGroup) process.kill(-pid, 'SIGKILL');
      else if (!exitInfo) child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  };
  return {
    child,
    pid,
    exited,
    hasExited: () => exitInfo !== null,
    killGroup,
    async stop({ signal, graceMs }) {
      if (exitInfo) {
        killGroup(); // stragglers of a leader that died on its own
        return;
      }
      try {
        child.kill(signal);
      } catch {
        // exited in between
      }
      if (!(await settlesWithin(exited, graceMs))) killGroup();
      await settlesWithin(exited, 2000);
      if (ownGroup) killGroup();
    },
  };
}

/** True if `promise` settled within `ms`. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * True if a process with this pid exists and is not a zombie. A killed orphan whose new parent has
 * not reaped it yet still answers kill(pid, 0), but it holds no port and no file.
 */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const state = procState(pid);
  return state !== 'Z' && state !== 'X';
}

function procState(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after the parenthesised command name (which may itself contain spaces or parentheses).
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}

/** The argument vector of a running process, or null if it is gone or unreadable. */
export function commandLine(pid: number): string[] | null {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((part, index, all) => part !== '' || index < all.length - 1);
  } catch {
    // No /proc (macOS): ask ps; it joins arguments with spaces, good enough for our checks.
    const result = spawnSync('ps', ['-p', String(pid), '-o', 'args='], { encoding: 'utf8' });
    const line = result.status === 0 ? result.stdout.trim() : '';
    return line ? line.split(/\s+/) : null;
  }
}

/** Waits until `pid` is gone (or a zombie), up to `timeoutMs`; true if it is gone. */
export async function waitForDeath(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/** Sends a signal to a pid (and optionally its process group), ignoring "no such process". */
export function signal(pid: number, sig: NodeJS.Signals, group = false): void {
  for (const target of group ? [-pid, pid] : [pid]) {
    try {
      process.kill(target, sig);
    } catch {
      // gone, or not a group leader
    }
  }
}

/**
 * Stops a process that is not our child (a leftover from a killed `npm start`): `first`, then
 * SIGKILL to it and its group after `graceMs`. Resolves true once it is gone.
 */
export async function stopPid(pid: number, first: NodeJS.Signals, graceMs: number): Promise<boolean> {
  signal(pid, first);
  if (await waitForDeath(pid, graceMs)) {
    signal(pid, 'SIGKILL', true); // whatever it forked
    return true;
  }
  signal(pid, 'SIGKILL', true);
  return waitForDeath(pid, 3000);
}
