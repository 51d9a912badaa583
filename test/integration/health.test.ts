import { describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { buildApp } from '../../api/app';
import { createDb } from '../../db';
import { loggerOptions } from '../../logger';
import { freePort } from '../../scripts/infra/ports';
import { useHarness } from '../helpers/harness';
import { testLogger } from '../helpers/infra';

describe('GET /health when a dependency is down', () => {
  const h = useHarness({ name: 'health', worker: false, app: false });

  it('answers 503 naming PostgreSQL when the database cannot be reached', async () => {
    const deadDb = createDb(`postgres://postgres:postgres@127.0.0.1:${await freePort()}/nothing`);
    const app = await buildApp({ db: deadDb, temporal: h.temporal.client, namespace: 'default', taskQueue: 'unused', logger: testLogger });
    try {
      const response = await app.inject({ method: 'GET', url: '/health' });
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      const body = response.json();
      expect(body.status).toBe('unavailable');
      expect(body.checks.temporal.ok).toBe(true);
      expect(body.checks.postgres.ok).toBe(false);
      expect(body.checks.postgres.error).toMatch(/ECONNREFUSED|connect/i);
    } finally {
      await app.close();
      await deadDb.destroy();
    }
  });

  it('answers 503 naming Temporal when the Temporal server cannot be reached', async () => {
    const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: 500 });
    const deadTemporal = new Client({ connection, namespace: 'default' });
    const app = await buildApp({ db: h.db, temporal: deadTemporal, namespace: 'default', taskQueue: 'unused', logger: testLogger });
    try {
      const response = await app.inject({ method: 'GET', url: '/health' });
      expect(response.statusCode).toBe(503);
      const body = response.json();
      expect(body.checks.postgres.ok).toBe(true);
      expect(body.checks.temporal.ok).toBe(false);
      expect(body.checks.temporal.error).toBeTruthy();
    } finally {
      await app.close();
    }
  });
});

describe('request logs', () => {
  const h = useHarness({ name: 'reqlog', worker: false, app: false });

  it('every log line of a request carries its request id', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino(loggerOptions('debug', 'test'), { write: (line: string) => void lines.push(JSON.parse(line)) });
    const app = await buildApp({ db: h.db, temporal: h.temporal.client, namespace: 'default', taskQueue: 'unused', logger, healthCheckIntervalMs: 60_000 });
    try {
      await app.ready();
      lines.length = 0;
      // A public route, a refused one (no token) and an unknown one: each logs at least its start and end.
      for (const [id, url] of [['req-health-1', '/health'], ['req-refused-2', '/projects?cycle=x'], ['req-missing-3', '/no-such-route']] as const) {
        await app.inject({ method: 'GET', url, headers: { 'x-request-id': id } });
        expect(lines.length, `${url} logged`).toBeGreaterThan(0);
        for (const line of lines) expect(line, `${url}: ${String(line.msg)}`).toMatchObject({ reqId: id });
        lines.length = 0;
      }
    } finally {
      await app.close();
    }
  });
});
