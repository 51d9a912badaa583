import fs from 'node:fs';
import net from 'node:net';

/** An error whose message is meant for the person who ran `npm start`: printed as one line, no stack. */
export class StartupError extends Error {}

/** Throws a one-line StartupError if something already listens on host:port. */
export async function assertPortFree(port: number, what: string, envVar: string, host = '127.0.0.1'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE') return reject(error);
      const holder = listeningProcess(port);
      reject(
        new StartupError(
          `port ${port} for the ${what} is already in use${holder ? ` by ${holder}` : ''}, which is not a leftover of npm start on this data directory; stop it or set ${envVar} to another port`,
        ),
      );
    });
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/**
 * "pid 1234 (postgres)" for the process listening on a TCP port, where /proc tells (Linux, and
 * only processes we may inspect); null otherwise. Only used to make the port-in-use message precise.
 */
export function listeningProcess(port: number): string | null {
  try {
    const inodes = new Set<string>();
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      let lines: string[];
      try {
        lines = fs.readFileSync(table, 'utf8').split('\n').slice(1);
      } catch {
        continue;
      }
      for (const line of lines) {
        const cols = line.trim().split(/\s+/);
        // local_address is HEX_IP:HEX_PORT; state 0A is LISTEN; column 9 is the socket inode.
        if (cols.length > 9 && cols[3] === '0A' && parseInt(cols[1]!.split(':')[1]!, 16) === port) inodes.add(cols[9]!);
      }
    }
    if (inodes.size === 0) return null;
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let fds: string[];
      try {
        fds = fs.readdirSync(`/proc/${entry}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        let target: string;
        try {
          target = fs.readlinkSync(`/proc/${entry}/fd/${fd}`);
        } catch {
          continue;
        }
        const match = /^socket:\[(\d+)\]$/.exec(target);
        if (match && inodes.has(match[1]!)) {
          const name = fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
          return `pid ${entry} (${name})`;
        }
      }
    }
  } catch {
    // not Linux, or not allowed: the message goes without the holder
  }
  return null;
}

/** Asks the OS for a free port (tests). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
