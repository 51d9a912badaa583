/** Per-file access to the shared test infrastructure: an own database and an own task queue. */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { createDb, migrateToLatest, type Db } from '../../db';
import { ensureDatabase } from '../../scripts/infra/embedded-postgres';
import { createLogger } from '../../logger';
import { createWorker, installRuntimeLogging } from '../../worker';

export const testLogger = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn', 'test');

export interface TestDatabase {
  db: Db;
  url: string;
  name: string;
  close(): Promise<void>;
}

/** A fresh, migrated database of its own, so test files can run in parallel. */
export async function createTestDatabase(prefix = 't'): Promise<TestDatabase> {
  const name = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const url = await ensureDatabase(inject('postgresServerUrl'), name);
  const db = createDb(url);
  await migrateToLatest(db);
  return { db, url, name, close: () => db.destroy() };
}

export interface TestTemporal {
  client: Client;
  taskQueue: string;
  namespace: string;
  close(): Promise<void>;
}

export async function connectTemporal(): Promise<TestTemporal> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  return {
    client: new Client({ connection, namespace: 'default' }),
    taskQueue: `test-${randomUUID()}`,
    namespace: 'default',
    close: () => connection.close(),
  };
}

export interface RunningTestWorker {
  worker: Worker;
  /** Stops the worker and waits until it has fully shut down. */
  stop(): Promise<void>;
}

/** Starts a real worker on the shared server, polling the given task queue. */
export async function startTestWorker(db: Db, taskQueue: string): Promise<RunningTestWorker> {
  installRuntimeLogging(testLogger);
  const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const worker = await createWorker({
    connection,
    namespace: 'default',
    taskQueue,
    db,
    workflowBundlePath: inject('workflowBundlePath'),
  });
  const running = worker.run();
  return {
    worker,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
