import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../scripts/infra/ports';
import { startTemporalDevServer, type RunningDevServer } from '../../scripts/infra/temporal-dev-server';
import { testLogger } from '../helpers/infra';

describe('the file-backed Temporal dev server that npm start runs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-restart-'));
  let server: RunningDevServer | undefined;
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps a started workflow, with its search attributes, across a restart', async () => {
    const port = await freePort();
    const options = { cliPath: inject('temporalCliPath'), port, uiPort: null, namespace: 'default', dbFile: path.join(dir, 'temporal.db'), log: testLogger };
    server = await startTemporalDevServer(options);
    let connection = await Connection.connect({ address: server.address });
    let client = new Client({ connection });
    // No worker polls this queue: the workflow stays running, which is what a restart must keep.
    await client.workflow.start('wiringCheckWorkflow', {
      workflowId: 'restart-check',
      taskQueue: 'nobody-polls-this',
      args: [{ checkId: 'x', message: 'y' }],
      searchAttributes: { CycleId: ['2026'] },
    });
    await connection.close();
    await server.stop();

    server = await startTemporalDevServer(options);
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection });
    const description = await client.workflow.getHandle('restart-check').describe();
    expect(description.status.name).toBe('RUNNING');
    expect(description.searchAttributes.CycleId).toEqual(['2026']);
    await connection.close();
  });
});
