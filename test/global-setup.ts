/**
 * Starts the infrastructure every integration test file shares: one real Temporal dev server
 * (in memory) and one real embedded PostgreSQL (each file creates its own database in it), and
 * bundles the workflow code once so workers start fast.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { startEmbeddedPostgres } from '../scripts/infra/embedded-postgres';
import { freePort, StartupError } from '../scripts/infra/ports';
import { ensureTemporalCli } from '../scripts/infra/temporal-cli';
import { startTemporalDevServer } from '../scripts/infra/temporal-dev-server';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalCliPath: string;
    postgresServerUrl: string;
    workflowBundlePath: string;
  }
}

export default async function setup(project: TestProject) {
  try {
    return await startInfrastructure(project);
  } catch (error) {
    // A service that cannot start says what to do in one line; a stack would only bury it.
    if (error instanceof StartupError) error.stack = `test infrastructure failed to start: ${error.message}`;
    throw error;
  }
}

async function startInfrastructure(project: TestProject) {
  const config = loadConfig();
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn', 'test-infra');
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'party-projects-test-'));
  // PostgreSQL runs as the `postgres` user when we are root: it must reach its directory.
  fs.chmodSync(workDir, 0o755);

  const started = Date.now();
  // The CLI build (first run only) reports its progress at info level, whatever the test log level.
  const cli = await ensureTemporalCli(config.cacheDir, createLogger('info', 'temporal-cli'));
  const results = await Promise.allSettled([
    freePort().then((port) =>
      startTemporalDevServer({ cliPath: cli, port, uiPort: null, namespace: 'default', dbFile: null, log }),
    ),
    freePort().then((port) => startEmbeddedPostgres({ dataDir: path.join(workDir, 'pg'), port, log, fast: true })),
    bundleWorkflowCode({ workflowsPath: path.join(__dirname, '..', 'workflows', 'index.ts'), logger: new DefaultLogger('WARN') }),
  ] as const);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) {
    // Leave nothing running behind a failed start.
    for (const r of results) if (r.status === 'fulfilled' && 'stop' in r.value) await r.value.stop();
    throw (failed as PromiseRejectedResult).reason;
  }
  const [temporal, postgres, bundle] = results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [
    Awaited<ReturnType<typeof startTemporalDevServer>>,
    Awaited<ReturnType<typeof startEmbeddedPostgres>>,
    Awaited<ReturnType<typeof bundleWorkflowCode>>,
  ];
  const bundlePath = path.join(workDir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, bundle.code);
  process.stdout.write(
    `test infrastructure up in ${((Date.now() - started) / 1000).toFixed(1)} s: Temporal ${temporal.address}, PostgreSQL ${postgres.serverUrl.replace(/:[^:@/]*@/, ':***@')}\n`,
  );

  project.provide('temporalAddress', temporal.address);
  project.provide('temporalCliPath', cli);
  project.provide('postgresServerUrl', postgres.serverUrl);
  project.provide('workflowBundlePath', bundlePath);

  return async () => {
    await Promise.allSettled([temporal.stop(), postgres.stop()]);
    fs.rmSync(workDir, { recursive: true, force: true });
  };
}
