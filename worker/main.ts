/** Production entry of a worker process (docker-compose `worker` service); run more to scale out. */
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../config';
import { createDb } from '../db';
import { createLogger } from '../logger';
import { startRelay, relayOptionsFromConfig } from '../notifications/relay';
import { createWorker, installRuntimeLogging } from '.';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'party-projects-worker');
  if (!config.temporal.address || !config.database.url) {
    throw new Error('worker/main.ts needs TEMPORAL_ADDRESS and DATABASE_URL; use `npm start` for the embedded defaults');
  }
  installRuntimeLogging(log);
  const db = createDb(config.database.url);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await createWorker({ connection, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue, db });
  log.info({ maxCachedWorkflows: worker.options.maxCachedWorkflows, maxConcurrentWorkflowTaskExecutions: worker.options.maxConcurrentWorkflowTaskExecutions }, 'worker created');
  // Once a minute: the process's memory beside the workflows it caches (a bounded cache keeps it flat).
  const memory = setInterval(() => {
    const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
    const mib = (n: number) => Math.round(n / 1048576);
    log.info({ rssMiB: mib(rss), heapTotalMiB: mib(heapTotal), heapUsedMiB: mib(heapUsed), externalMiB: mib(external), arrayBuffersMiB: mib(arrayBuffers), cachedWorkflows: worker.getStatus().numCachedWorkflows }, 'worker memory');
  }, config.worker.memoryLogMs);
  memory.unref();
  const stop = () => worker.getState() === 'RUNNING' && worker.shutdown();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // This process's notification relay; it shares the work with every other process's (SKIP LOCKED).
  const relay = startRelay({ db, log, ...relayOptionsFromConfig(config) });
  await worker.run();
  clearInterval(memory);
  await relay.stop();
  await connection.close();
  await db.destroy();
}

main().catch((error) => {
  process.stderr.write(`worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
