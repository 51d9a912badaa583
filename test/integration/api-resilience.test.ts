/**
 * "Nothing acknowledged is lost, nothing stays stuck": Idempotency-Keys left behind by a crash are
 * taken over once their lease runs out; an outage of Temporal or PostgreSQL is answered at once
 * with 503 + Retry-After; failed authentications and unauthenticated traffic are limited per
 * client address whatever headers they carry. Real Temporal, real PostgreSQL, real worker.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { Client, Connection } from '@temporalio/client';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { buildApp, type AppDeps } from '../../api/app';
import { IDEMPOTENCY_LEASE_MS, idempotencyRequestHash } from '../../api/plugins/idempotency';
import { createDb, type Database } from '../../db';
import { TOKEN_PREFIX } from '../../db/auth';
import { freePort } from '../../scripts/infra/ports';
import { compressedCycle, proposal } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';

const PROBLEM = 'application/problem+json';

function expectProblem(response: LightMyRequestResponse, status: number): Record<string, unknown> {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toContain(PROBLEM);
  const body = response.json();
  expect(typeof body.type).toBe('string');
  expect(typeof body.title).toBe('string');
  expect(body.status).toBe(status);
  expect(body.detail).toMatch(/[\u4e00-\u9fff]/);
  return body;
}

describe('API resilience: stuck idempotency keys, dependency outages, unauthenticated traffic', () => {
  let app: FastifyInstance;
  const cycle = compressedCycle('cy-resilience', Date.now());
  const h = useHarness({ name: 'resilience', cycle, app: false });
  const apps: FastifyInstance[] = [];

  const make = async (extra: Partial<AppDeps> = {}) => {
    const built = await buildApp(h.appOptions({ rateLimitPerMinute: 100_000, ...extra }));
    apps.push(built);
    return built;
  };
  const { as } = h;
  const post = (target: FastifyInstance, userId: string, url: string, body: unknown, headers: Record<string, string> = {}) =>
    target.inject({ method: 'POST', url, headers: { ...as(userId), 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });
  const proposalBody = (title: string) => {
    const { title: _t, ...rest } = proposal(cycle.year, title);
    return { cycleId: cycle.cycleId, title, ...rest };
  };
  const proposedCount = async (title: string) =>
    (
      await h.db
        .selectFrom('cycle_projects')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('create_event', '@>', JSON.stringify({ proposal: { title } }) as never)
        .executeTakeFirstOrThrow()
    ).n;
  const keyRow = (userId: string, key: string) =>
    h.db.selectFrom('idempotency_keys').selectAll().where('user_id', '=', userId).where('key', '=', key).executeTakeFirst();
  /** A Temporal client whose frontend address nobody listens on. */
  const deadTemporal = async () => new Client({ connection: Connection.lazy({ address: `127.0.0.1:${await freePort()}` }), namespace: 'default' });

  beforeAll(async () => {
    app = await make();
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
  });

  // ---- 1. Idempotency keys that never expire ------------------------------------------------------

  it('an Idempotency-Key left in progress by a crashed request is taken over after its lease expired, and the action is applied once', async () => {
    const title = `崩溃后重试 ${randomUUID().slice(0, 8)}`;
    const body = proposalBody(title);
    const key = `crashed-${randomUUID()}`;
    // What PostgreSQL crashing mid-request leaves behind: the key claimed, no answer, the action not applied.
    await h.db
      .insertInto('idempotency_keys')
      .values({ user_id: 'u-sec-oc1', key, request_hash: idempotencyRequestHash('POST', '/projects', body), status_code: null, response: null, created_at: new Date(Date.now() - 2 * IDEMPOTENCY_LEASE_MS) })
      .execute();

    // Two retries at once: exactly one takes the key over (one UPDATE ... RETURNING).
    const [a, b] = await Promise.all([post(app, 'u-sec-oc1', '/projects', body, { 'idempotency-key': key }), post(app, 'u-sec-oc1', '/projects', body, { 'idempotency-key': key })]);
    const applied = [a, b].filter((r) => r.statusCode === 201 && r.headers['idempotent-replayed'] === undefined);
    expect(applied, `${a.statusCode} ${a.body} / ${b.statusCode} ${b.body}`).toHaveLength(1);
    const other = a === applied[0] ? b : a;
    if (other.statusCode === 409) {
      expectProblem(other, 409);
      expect(other.headers['retry-after']).toBeDefined();
    } else {
      expect(other.statusCode).toBe(201);
      expect(other.headers['idempotent-replayed']).toBe('true');
    }

    const replay = await post(app, 'u-sec-oc1', '/projects', body, { 'idempotency-key': key });
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json().id).toBe(applied[0].json().id);
    expect(await proposedCount(title)).toBe(1);
    expect((await keyRow('u-sec-oc1', key))?.status_code).toBe(201);
  });

  it('an Idempotency-Key still within its lease gets 409 problem+json with Retry-After, and is taken over once the lease ends', async () => {
    const leaseMs = 1500;
    const short = await make({ idempotencyLeaseMs: leaseMs });
    const title = `租约内重试 ${randomUUID().slice(0, 8)}`;
    const body = proposalBody(title);
    const key = `in-lease-${randomUUID()}`;
    await h.db
      .insertInto('idempotency_keys')
      .values({ user_id: 'u-sec-oc1', key, request_hash: idempotencyRequestHash('POST', '/projects', body), status_code: null, response: null })
      .execute();

    const busy = await post(short, 'u-sec-oc1', '/projects', body, { 'idempotency-key': key });
    const problem = expectProblem(busy, 409);
    expect(problem.type).toBe('urn:party-projects:problem:idempotency-key-in-progress');
    expect(Number(busy.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(await proposedCount(title)).toBe(0);

    await new Promise((r) => setTimeout(r, leaseMs + 500));
    const retried = await post(short, 'u-sec-oc1', '/projects', body, { 'idempotency-key': key });
    expect(retried.statusCode, retried.body).toBe(201);
    expect(await proposedCount(title)).toBe(1);
  });

  it('a handler that fails releases its key: 503 problem+json at once, and the retry is applied', async () => {
    const created = await post(app, 'u-sec-oc1', '/projects', proposalBody(`释放键 ${randomUUID().slice(0, 8)}`));
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    const broken = await make({ temporal: await deadTemporal() });
    const key = `released-${randomUUID()}`;

    const failed = await post(broken, 'u-sec-oc1', `/projects/${id}/submit`, {}, { 'idempotency-key': key });
    expectProblem(failed, 503);
    expect(failed.headers['retry-after']).toBeDefined();
    expect(await keyRow('u-sec-oc1', key)).toBeUndefined();

    const retried = await post(app, 'u-sec-oc1', `/projects/${id}/submit`, {}, { 'idempotency-key': key });
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json().stage).toBe('in_review');
    expect((await keyRow('u-sec-oc1', key))?.status_code).toBe(200);
  });

  it('an answer that cannot be stored still reaches the client, and its key is released instead of staying in progress', async () => {
    // A real PostgreSQL failure on exactly the statement that stores the answer.
    await sql`create function refuse_idempotency_store() returns trigger language plpgsql as $$
      begin raise exception 'storage refused for the test'; end $$`.execute(h.db);
    await sql`create trigger refuse_idempotency_store before update on idempotency_keys
      for each row when (new.status_code is not null) execute function refuse_idempotency_store()`.execute(h.db);
    try {
      const title = `无法保存应答 ${randomUUID().slice(0, 8)}`;
      const key = `unstored-${randomUUID()}`;
      const response = await post(app, 'u-sec-oc1', '/projects', proposalBody(title), { 'idempotency-key': key });
      expect(response.statusCode, response.body).toBe(201);
      expect(await keyRow('u-sec-oc1', key)).toBeUndefined();
      expect(await proposedCount(title)).toBe(1);
    } finally {
      await sql`drop trigger refuse_idempotency_store on idempotency_keys`.execute(h.db);
      await sql`drop function refuse_idempotency_store()`.execute(h.db);
    }
  });

  it('every Idempotency-Key answer is problem+json: malformed key, reused key, and the replay of a stored problem', async () => {
    const malformed = await post(app, 'u-sec-oc1', '/projects', proposalBody('x'), { 'idempotency-key': 'bad key!' });
    expectProblem(malformed, 400);

    const key = `problem-replay-${randomUUID()}`;
    const weightless = proposalBody(`权重错误 ${randomUUID().slice(0, 8)}`);
    weightless.indicators[0].weight = 10;
    const refused = await post(app, 'u-sec-oc1', '/projects', weightless, { 'idempotency-key': key });
    const first = expectProblem(refused, 400);
    const replayed = await post(app, 'u-sec-oc1', '/projects', weightless, { 'idempotency-key': key });
    const again = expectProblem(replayed, 400);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(again.rule).toBe(first.rule);

    const reused = await post(app, 'u-sec-oc1', '/projects', proposalBody('另一个'), { 'idempotency-key': key });
    expectProblem(reused, 422);
  });

  // ---- 2. Fail fast while a dependency is down ----------------------------------------------------

  it('while the Temporal server is unreachable a request is answered within seconds with 503 problem+json, Retry-After, naming the workflow engine', async () => {
    const created = await post(app, 'u-sec-oc1', '/projects', proposalBody(`引擎停机 ${randomUUID().slice(0, 8)}`));
    const id = created.json().id as string;
    const broken = await make({ temporal: await deadTemporal() });
    const started = Date.now();
    const response = await broken.inject({ method: 'GET', url: `/projects/${id}`, headers: as('u-sec-oc1') });
    const elapsed = Date.now() - started;
    const problem = expectProblem(response, 503);
    expect(response.headers['retry-after']).toBe('5');
    expect(problem.detail).toMatch(/工作流引擎/);
    expect(elapsed).toBeLessThan(8000);

    // A shorter per-call deadline answers sooner still.
    const quick = await make({ temporal: await deadTemporal(), temporalCallTimeoutMs: 500 });
    const t0 = Date.now();
    expectProblem(await quick.inject({ method: 'GET', url: `/projects/${id}`, headers: as('u-sec-oc1') }), 503);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('when PostgreSQL goes away under a running API a request is answered with 503 problem+json, Retry-After, naming the database', async () => {
    // The API reaches PostgreSQL through a TCP relay that the test then shuts: the server is gone
    // for this API (open connections cut, new ones refused) while the shared server keeps running.
    const target = new URL(h.database.url);
    const sockets = new Set<net.Socket>();
    const relay = net.createServer((client) => {
      const upstream = net.connect(Number(target.port), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const relayed = new URL(h.database.url);
    relayed.hostname = '127.0.0.1';
    relayed.port = String((relay.address() as net.AddressInfo).port);
    const viaRelay = createDb(relayed.toString());
    try {
      // The back-pressure probe (under-pressure) is kept out of the way: this is about the error path itself.
      const fragile = await make({ db: viaRelay, healthCheckIntervalMs: 3_600_000 });
      expect((await fragile.inject({ method: 'GET', url: '/projects', headers: as('u-auditor') })).statusCode).toBe(200);

      await new Promise<void>((resolve) => {
        relay.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      for (let i = 0; i < 2; i++) {
        // First the pooled connection that was cut, then a new one that is refused.
        const response = await fragile.inject({ method: 'GET', url: '/projects', headers: as('u-auditor') });
        const problem = expectProblem(response, 503);
        expect(response.headers['retry-after']).toBe('5');
        expect(problem.detail).toMatch(/数据库/);
        expect(problem.type).toBe('urn:party-projects:problem:dependency-unavailable');
      }
    } finally {
      relay.close();
      await viaRelay.destroy();
    }
  });

  it('a refusal is not mistaken for an outage', async () => {
    const response = await app.inject({ method: 'GET', url: '/projects/P-does-not-exist', headers: as('u-sec-oc1') });
    expectProblem(response, 404);
  });

  // ---- 3. Unauthenticated traffic is limited per client address ------------------------------------

  it('requests with random Authorization headers get 429 problem+json with Retry-After after the per-address limit, without further token lookups', async () => {
    let tokenLookups = 0;
    const counted = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: h.database.url, max: 2 }) }),
      log: (event) => {
        if (event.query.sql.includes('"api_tokens"')) tokenLookups++;
      },
    });
    try {
      const guarded = await make({ db: counted, authFailuresPerMinute: 5 });
      const guess = () => ({ authorization: `Bearer ${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}` });
      for (let i = 0; i < 5; i++) expectProblem(await guarded.inject({ method: 'GET', url: '/projects', headers: guess() }), 401);
      expect(tokenLookups).toBe(5);

      const limited = await guarded.inject({ method: 'GET', url: '/projects', headers: guess() });
      expectProblem(limited, 429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Not even a valid token is looked up from an address that keeps failing, nor a missing one counted as free.
      expectProblem(await guarded.inject({ method: 'GET', url: '/projects', headers: as('u-auditor') }), 429);
      expectProblem(await guarded.inject({ method: 'GET', url: '/projects' }), 429);
      expect(tokenLookups).toBe(5);

      // Another client address has its own budget.
      const elsewhere = await guarded.inject({ method: 'GET', url: '/projects', headers: as('u-auditor'), remoteAddress: '127.0.0.2' });
      expect(elsewhere.statusCode, elsewhere.body).toBe(200);
    } finally {
      await counted.destroy();
    }
  });

  it('the per-address limit on /health cannot be bypassed by varying the Authorization header, and users keep their own budget', async () => {
    const limited = await make({ rateLimitPerMinute: 5 });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await limited.inject({ method: 'GET', url: '/health', headers: { authorization: `Bearer ${randomUUID()}` } });
      statuses.push(response.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const refused = await limited.inject({ method: 'GET', url: '/health', headers: { authorization: `Bearer ${randomUUID()}` } });
    expectProblem(refused, 429);
    expect(refused.headers['retry-after']).toBeDefined();
    expectProblem(await limited.inject({ method: 'GET', url: '/health' }), 429);
    // An authenticated user from the same address is counted on their own budget.
    expect((await limited.inject({ method: 'GET', url: '/projects', headers: as('u-auditor') })).statusCode).toBe(200);
  });
});
