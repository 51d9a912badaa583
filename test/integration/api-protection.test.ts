import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { createDb } from '../../db';
import { freePort } from '../../scripts/infra/ports';
import { seedCast, type ApiCast } from '../helpers/api';
import { compressedCycle } from '../helpers/full-year';
import { connectTemporal, createTestDatabase, testLogger, type TestDatabase, type TestTemporal } from '../helpers/infra';

describe('API protection: rate limits and back-pressure', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let cast: ApiCast;

  beforeAll(async () => {
    database = await createTestDatabase('protection');
    temporal = await connectTemporal();
    cast = await seedCast(database.db, compressedCycle('cy-protect', Date.now()));
  });
  afterAll(async () => {
    await temporal?.close();
    await database?.close();
  });

  it('a token over its rate limit gets 429 problems with limit headers, while another token is still served', async () => {
    const app = await buildApp({ db: database.db, temporal: temporal.client, namespace: 'default', taskQueue: 'q', logger: testLogger, rateLimitPerMinute: 5 });
    try {
      const as = (id: string) => ({ authorization: `Bearer ${cast.tokens[id]}` });
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await app.inject({ method: 'GET', url: '/projects', headers: as('u-committee') })).statusCode);
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      const limited = await app.inject({ method: 'GET', url: '/projects', headers: as('u-committee') });
      expect(limited.statusCode).toBe(429);
      expect(limited.headers['x-ratelimit-limit']).toBe('5');
      expect(limited.headers['retry-after']).toBeDefined();
      expect(limited.headers['content-type']).toContain('application/problem+json');
      expect(limited.json().detail).toMatch(/请求过于频繁/);
      expect((await app.inject({ method: 'GET', url: '/projects', headers: as('u-auditor') })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('when the database stops answering the API sheds load with 503 and Retry-After', async () => {
    const deadDb = createDb(`postgres://postgres:postgres@127.0.0.1:${await freePort()}/none`);
    const app = await buildApp({ db: deadDb, temporal: temporal.client, namespace: 'default', taskQueue: 'q', logger: testLogger, healthCheckIntervalMs: 100 });
    try {
      await app.ready();
      let response = await app.inject({ method: 'GET', url: '/projects' });
      for (let i = 0; i < 30 && response.statusCode !== 503; i++) {
        await new Promise((r) => setTimeout(r, 100));
        response = await app.inject({ method: 'GET', url: '/projects' });
      }
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
    } finally {
      await app.close();
      await deadDb.destroy();
    }
  });

  it('a request body over the size limit is refused with 413', async () => {
    const app = await buildApp({ db: database.db, temporal: temporal.client, namespace: 'default', taskQueue: 'q', logger: testLogger });
    try {
      const response = await app.inject({
        method: 'POST',
        url: '/projects',
        headers: { authorization: `Bearer ${cast.tokens['u-sec-oc1']}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ title: 'x'.repeat(2 * 1024 * 1024) }),
      });
      expect(response.statusCode).toBe(413);
      expect(response.headers['content-type']).toContain('application/problem+json');
    } finally {
      await app.close();
    }
  });
});
