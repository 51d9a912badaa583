/**
 * The watchdog `npm start` spawns before it starts PostgreSQL and the Temporal dev server: a tiny
 * process that stops them if `npm start` disappears without stopping them itself (kill -9, OOM
 * killer, a crash). Without it they keep running as orphans and hold their ports.
 *
 * It notices the death of its parent two ways: its stdin is a pipe whose only writer is the parent,
 * so the kernel closes it when the parent dies, whatever killed it; and, as a fallback, it polls its
 * parent pid (it is reparented when the parent dies). It then stops whatever the pid files in the
 * data directory name (scripts/infra/leftovers.ts), the same way the next `npm start` would.
 *
 * Usage (by scripts/start.ts only): node --import tsx scripts/infra/watchdog.ts <parent pid> <json options>
 */
import { loadConfig } from '../../config';
import { createLogger } from '../../logger';
import { reclaimLeftovers } from './leftovers';

const log = createLogger(loadConfig().logLevel, 'party-projects-watchdog');
const parentPid = Number(process.argv[2]);
const options = JSON.parse(process.argv[3] ?? '{}') as { postgresDataDir?: string | null; temporalDbFile?: string | null };

// The watchdog runs in its own process group, so a terminal's Ctrl-C does not reach it; should a
// hang-up or interrupt reach it anyway, it is not its business: it waits for its parent.
for (const sig of ['SIGINT', 'SIGHUP'] as const) process.on(sig, () => undefined);

let acting = false;
async function parentGone(how: string): Promise<void> {
  if (acting) return;
  acting = true;
  clearInterval(poll);
  log.warn({ parentPid, how }, 'npm start is gone without stopping its services; stopping them');
  try {
    const stopped = await reclaimLeftovers({ ...options, graceMs: 5000, deadOwner: parentPid }, log);
    if (stopped.length) log.warn({ stopped }, 'stopped the services npm start left behind');
  } catch (error) {
    log.error({ err: error }, 'could not stop what npm start left behind');
  }
  process.exit(0);
}

process.stdin.on('end', () => void parentGone('pipe closed'));
process.stdin.on('close', () => void parentGone('pipe closed'));
process.stdin.on('error', () => void parentGone('pipe error'));
process.stdin.resume();
const poll = setInterval(() => {
  if (process.ppid !== parentPid) void parentGone('reparented');
}, 500);
// A parent that died before we got here.
if (process.ppid !== parentPid) void parentGone('reparented');
