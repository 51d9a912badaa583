/**
 * One integration-test harness: a test file calls `useHarness(...)` once (at the top of its
 * `describe`) and gets its own database, Temporal client and task queue, a worker polling that
 * queue, the app, and the cast of users with their tokens — set up in a `beforeAll` and closed in
 * an `afterAll` that the harness registers itself (app, worker, Temporal connection, database).
 *
 *   describe('…', () => {
 *     const cycle = compressedCycle('cy-x', Date.now());
 *     const h = useHarness({ name: 'x', cycle });
 *     it('…', async () => {
 *       expect((await h.post('u-sec-oc1', '/projects', body)).statusCode).toBe(201);
 *     });
 *   });
 *
 * The fields are read inside hooks and tests (reading one before the harness is set up throws).
 * A file's own `beforeAll` registered after `useHarness` runs after the harness's.
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { buildApp } from '../../api/app';
import type { Db } from '../../db';
import type { CycleConfig } from '../../workflows/lifecycle';
import { proposal } from '../fixtures/cycles';
import { seedCast, type ApiCast } from './api';
import { connectTemporal, createTestDatabase, startTestWorker, testLogger, type RunningTestWorker, type TestDatabase, type TestTemporal } from './infra';

/** What `buildApp` takes. */
export type AppOptions = Parameters<typeof buildApp>[0];
/** Options of the file's app beyond the harness's wiring (store, rateLimitPerMinute, …). */
export type AppOverrides = Partial<AppOptions>;

export interface HarnessOptions {
  /** Prefix of the file's database name. */
  name: string;
  /** Seed the cast of `seedCast` (orgs, users, tokens) into this cycle; evaluated at setup. No cast without it. */
  cycle?: CycleConfig | (() => CycleConfig);
  /** Connect to Temporal (default true); `false` gives a database only (no worker, no app). */
  temporal?: boolean;
  /** Start a worker on the file's task queue (default true). */
  worker?: boolean;
  /** Build the app (default true), with these overrides (evaluated at setup when a function); `false` builds none. */
  app?: boolean | AppOverrides | (() => AppOverrides);
  /** Await `app.ready()` before seeding the cast (default false: `inject` readies the app itself). */
  ready?: boolean;
}

export interface Harness {
  readonly database: TestDatabase;
  readonly db: Db;
  readonly temporal: TestTemporal;
  readonly worker: RunningTestWorker;
  readonly app: FastifyInstance;
  readonly cast: ApiCast;
  /** The app's wiring for this file (database, Temporal client, namespace, task queue, logger), to build another app with other options. */
  appOptions(overrides?: AppOverrides): AppOptions;
  /** The Authorization header of a cast member. */
  as(userId: string): { authorization: string };
  /** POST through `app.inject` as a cast member. */
  post(userId: string, url: string, payload?: InjectOptions['payload'], headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** GET through `app.inject` as a cast member. */
  get(userId: string, url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** Proposes the fixture proposal (test/fixtures/cycles.ts `proposal`) titled `title` into `cycle` as a cast member; answers the new project's id. */
  propose(userId: string, cycle: Pick<CycleConfig, 'cycleId' | 'year'>, title: string): Promise<string>;
}

/** Registers the file's setup and teardown with vitest and returns the harness (see the module comment). */
export function useHarness(options: HarnessOptions): Harness {
  let database: TestDatabase | undefined;
  let temporal: TestTemporal | undefined;
  let worker: RunningTestWorker | undefined;
  let app: FastifyInstance | undefined;
  let cast: ApiCast | undefined;
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the harness has no ${what} (not set up yet, or not asked for in useHarness)`);
    return value;
  };

  const harness: Harness = {
    get database() {
      return need(database, 'database');
    },
    get db() {
      return need(database, 'database').db;
    },
    get temporal() {
      return need(temporal, 'Temporal client');
    },
    get worker() {
      return need(worker, 'worker');
    },
    get app() {
      return need(app, 'app');
    },
    get cast() {
      return need(cast, 'cast');
    },
    appOptions(overrides = {}) {
      const t = harness.temporal;
      return { db: harness.db, temporal: t.client, namespace: t.namespace, taskQueue: t.taskQueue, logger: testLogger, ...overrides };
    },
    as(userId) {
      return { authorization: `Bearer ${harness.cast.tokens[userId]}` };
    },
    post(userId, url, payload = {}, headers = {}) {
      return harness.app.inject({ method: 'POST', url, headers: { ...harness.as(userId), ...headers }, payload });
    },
    get(userId, url, headers = {}) {
      return harness.app.inject({ method: 'GET', url, headers: { ...harness.as(userId), ...headers } });
    },
    async propose(userId, cycle, title) {
      const proposed = await harness.post(userId, '/projects', { cycleId: cycle.cycleId, ...proposal(cycle.year, title) });
      if (proposed.statusCode !== 201) throw new Error(`proposing “${title}” answered ${proposed.statusCode}: ${proposed.body}`);
      return proposed.json().id as string;
    },
  };

  beforeAll(async () => {
    database = await createTestDatabase(options.name);
    if (options.temporal === false) {
      if (options.cycle) cast = await seedCast(database.db, typeof options.cycle === 'function' ? options.cycle() : options.cycle);
      return;
    }
    temporal = await connectTemporal();
    if (options.worker ?? true) worker = await startTestWorker(database.db, temporal.taskQueue);
    const appOption = options.app ?? true;
    if (appOption !== false) {
      const overrides = appOption === true ? {} : typeof appOption === 'function' ? appOption() : appOption;
      app = await buildApp(harness.appOptions(overrides));
      if (options.ready) await app.ready();
    }
    if (options.cycle) cast = await seedCast(database.db, typeof options.cycle === 'function' ? options.cycle() : options.cycle);
  });
  afterAll(async () => {
    await app?.close();
    await worker?.stop();
    await temporal?.close();
    await database?.close();
  });

  return harness;
}
