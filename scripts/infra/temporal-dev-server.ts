/** Starts `temporal server start-dev` as a child process and waits until it answers. */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import { searchAttributeCliArgs } from '../../workflows/search-attributes';
import { removeDevServerPidFile, writeDevServerPidFile } from './leftovers';
import { StartupError } from './ports';
import { settlesWithin, spawnManaged, type ExitInfo } from './processes';

export interface DevServerOptions {
  cliPath: string;
  port: number;
  uiPort: number | null;
  namespace: string;
  /** SQLite file; null keeps everything in memory (tests). */
  dbFile: string | null;
  log: Logger;
  /** Run it in its own process group (npm start stops it itself, in order; see processes.ts). */
  ownGroup?: boolean;
  /** Aborting kills a server that is still starting. */
  signal?: AbortSignal;
}

export interface RunningDevServer {
  address: string;
  uiUrl: string | null;
  process: ChildProcess;
  pid: number;
  /** Resolves when the server exits, whoever stopped it. */
  exited: Promise<ExitInfo>;
  /** SIGTERM; SIGKILL of its process group if it has not exited after graceMs. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL, now. */
  kill(): void;
}

export async function startTemporalDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  const { cliPath, port, uiPort, namespace, dbFile, log } = options;
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace];
  args.push('--log-level', 'warn', ...searchAttributeCliArgs());
  if (uiPort === null) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  const dbPath = dbFile ? path.resolve(dbFile) : null;
  if (dbPath) {
    fs.mkdirSync(path.dirname(dbPath), { recursive: true });
    // The file-backed store is unusably slow without WAL and relaxed fsync.
    args.push('--db-filename', dbPath, '--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL');
  }
  const server = spawnManaged(cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'], ownGroup: options.ownGroup });
  const child = server.child;
  // Recorded next to the SQLite file, so the next npm start can recognise this server as its own
  // leftover if this process is killed before it could stop it (scripts/infra/leftovers.ts).
  if (dbPath && server.pid > 0) writeDevServerPidFile(dbPath, { pid: server.pid, argv: [cliPath, ...args] });
  void server.exited.then(() => dbPath && removeDevServerPidFile(dbPath, server.pid));
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', (chunk: Buffer) => {
    collect(chunk);
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) log.debug({ temporal: line });
  });

  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.hasExited()) {
      // One line for the person at the terminal: the server's own last words say why (a port taken…).
      const lastLine = output.trim().split('\n').slice(-1)[0] ?? '';
      const reason = /"message":"([^"]*)"/.exec(lastLine)?.[1] ?? lastLine;
      throw new StartupError(`the Temporal dev server exited during start-up on port ${port}${uiPort === null ? '' : ` (UI ${uiPort})`}: ${reason.slice(0, 300)}; if a port is taken, set TEMPORAL_DEV_PORT / TEMPORAL_UI_PORT`);
    }
    if (options.signal?.aborted) {
      await server.stop({ signal: 'SIGKILL', graceMs: 0 });
      throw new Error('temporal dev server start aborted');
    }
    try {
      // A private subchannel: grpc-js shares one per address across connections, and after a long
      // outage the shared one (npm start's own client) may sit in a reconnect backoff of a minute
      // or two, which would hold this probe back although the server is up.
      const connection = await Connection.connect({ address, connectTimeout: 1000, channelArgs: { 'grpc.use_local_subchannel_pool': 1 } });
      try {
        await connection.withDeadline(Date.now() + 2000, () => connection.workflowService.describeNamespace({ namespace }));
      } finally {
        await connection.close();
      }
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        await server.stop({ signal: 'SIGKILL', graceMs: 0 });
        throw new Error(`temporal dev server did not answer on ${address} within 60 s: ${String(error)}\n${output}`, { cause: error });
      }
      await settlesWithin(server.exited, 300);
    }
  }
  return {
    address,
    uiUrl: uiPort === null ? null : `http://127.0.0.1:${uiPort}`,
    process: child,
    pid: server.pid,
    exited: server.exited,
    async stop(graceMs = 10_000) {
      await server.stop({ signal: 'SIGTERM', graceMs });
    },
    kill: () => server.killGroup(),
  };
}
