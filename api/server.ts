/**
 * Production entry of the API process (docker-compose `api` service): external Temporal and
 * PostgreSQL only; `npm start` is the all-in-one entry for development.
 */
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../config';
import { createDb, migrateToLatest } from '../db';
import { createLogger } from '../logger';
import { startRelay, relayOptionsFromConfig } from '../notifications/relay';
import { appSettingsFromConfig, buildApp } from './app';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'party-projects-api');
  if (!config.temporal.address || !config.database.url) {
    throw new Error('api/server.ts needs TEMPORAL_ADDRESS and DATABASE_URL; use `npm start` for the embedded defaults');
  }
  const db = createDb(config.database.url);
  await migrateToLatest(db);
  const connection = await Connection.connect({ address: config.temporal.address });
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  const app = await buildApp({ db, temporal, logger: log, ...appSettingsFromConfig(config) });
  // This process's notification relay; it shares the work with every other process's (SKIP LOCKED).
  const relay = startRelay({ db, log, ...relayOptionsFromConfig(config) });
  // The connection and the pool are created here, so they close with the app: after its
  // in-flight requests are answered (onClose runs once the server stopped taking requests).
  // The relay stops first: its round in flight settles its deliveries before the pool closes.
  app.addHook('onClose', async () => {
    await relay.stop();
    await connection.close();
    await db.destroy();
  });
  const close = async () => {
    await app.close();
    process.exit(0);
  };
  // Fire-and-forget from a signal handler: close() ends the process itself.
  process.once('SIGINT', () => void close());
  process.once('SIGTERM', () => void close());
  await app.listen({ host: config.api.host, port: config.api.port });
}

main().catch((error) => {
  process.stderr.write(`api failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
