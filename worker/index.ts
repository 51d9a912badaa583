/** Builds the Temporal worker that runs workflows/ and activities/. */
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { createActivities } from '../activities';
import type { Db } from '../db';

let runtimeInstalled = false;

/**
 * Routes the Temporal runtime's own logs (worker, core SDK) through our pino logger. The runtime
 * can be installed once per process, so later calls are no-ops.
 */
export function installRuntimeLogging(logger: Logger): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const temporalLog = logger.child({ component: 'temporal' });
  Runtime.install({
    // The start script and the tests own shutdown; the runtime must not drain workers on its own.
    shutdownSignals: [],
    logger: new DefaultLogger(toTemporalLevel(logger.level), (entry) => {
      const fields: Record<string, unknown> = { ...(entry.meta ?? {}) };
      // pino serialises errors under `err`; the SDK puts them under `error`.
      if (fields.error instanceof Error) {
        fields.err = fields.error;
        delete fields.error;
      }
      const method = entry.level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
      temporalLog[method](fields, entry.message);
    }),
  });
}

function toTemporalLevel(level: string): LogLevel {
  switch (level) {
    case 'trace':
      return 'TRACE';
    case 'debug':
      return 'DEBUG';
    case 'info':
      return 'INFO';
    case 'warn':
      return 'WARN';
    default:
      return 'ERROR';
  }
}

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  db: Db;
  /** A prebuilt workflow bundle (tests share one); otherwise workflows/ is bundled at start. */
  workflowBundlePath?: string;
}

export async function createWorker(options: WorkerOptions): Promise<Worker> {
  // Activities that start workflows (cycle launch) use a client on the worker's own connection.
  const temporal = new Client({ connection: options.connection, namespace: options.namespace });
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundlePath
      ? { workflowBundle: { codePath: options.workflowBundlePath } }
      : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities({ db: options.db, temporal, taskQueue: options.taskQueue }),
  });
}
