import { describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { createDb } from '../../db';
import { freePort } from '../../scripts/infra/ports';
import { compressedCycle } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';
import { testLogger } from '../helpers/infra';
import { waitUntil } from '../helpers/wait';

describe('API protection: rate limits and back-pressure', () => {
  const h = useHarness({ name: 'protection', cycle: () => compressedCycle('cy-protect', Date.now()), worker: false, app: false });

  it('a token over its rate limit gets 429 problems with limit headers, while another token is still served', async () => {
    const app = await buildApp({ db: h.db, temporal: h.temporal.client, namespace: 'default', taskQueue: 'q', logger: testLogger, rateLimitPerMinute: 5 });
    try {
      const { as } = h;
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
    const app = await buildApp({ db: deadDb, temporal: h.temporal.client, namespace: 'default', taskQueue: 'q', logger: testLogger, healthCheckIntervalMs: 100 });
    try {
      await app.ready();
      const shed = async () => {
        const r = await app.inject({ method: 'GET', url: '/projects' });
        return r.statusCode === 503 ? r : undefined;
      };
      const response = await waitUntil('the API to shed load', shed, 3_000, 100).catch(() => app.inject({ method: 'GET', url: '/projects' }));
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
    } finally {
      await app.close();
      await deadDb.destroy();
    }
  });

  it('a request body over the size limit is refused with 413', async () => {
    const app = await buildApp({ db: h.db, temporal: h.temporal.client, namespace: 'default', taskQueue: 'q', logger: testLogger });
    try {
      const response = await app.inject({
        method: 'POST',
        url: '/projects',
        headers: { authorization: `Bearer ${h.cast.tokens['u-sec-oc1']}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ title: 'x'.repeat(2 * 1024 * 1024) }),
      });
      expect(response.statusCode).toBe(413);
      expect(response.headers['content-type']).toContain('application/problem+json');
    } finally {
      await app.close();
    }
  });
});
