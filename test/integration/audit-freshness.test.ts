/**
 * Right after an action answers 200, the audit's timeline and state-as-of include it: they wait
 * (bounded) for the event log to hold every event the workflow has applied, and say how far
 * behind the log still is when it cannot catch up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildApp } from '../../api/app';
import { seedCast, type ApiCast } from '../helpers/api';
import { compressedCycle, proposal } from '../helpers/full-year';
import { connectTemporal, createTestDatabase, startTestWorker, testLogger, type RunningTestWorker, type TestDatabase, type TestTemporal } from '../helpers/infra';

describe('the audit right after an action', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let worker: RunningTestWorker;
  let app: FastifyInstance;
  let cast: ApiCast;
  const cycle = compressedCycle('cy-fresh', Date.now());
  const as = (userId: string) => ({ authorization: `Bearer ${cast.tokens[userId]}` });
  const post = (userId: string, url: string, payload: object = {}) => app.inject({ method: 'POST', url, headers: as(userId), payload });

  beforeAll(async () => {
    database = await createTestDatabase('auditfresh');
    temporal = await connectTemporal();
    worker = await startTestWorker(database.db, temporal.taskQueue);
    app = await buildApp({ db: database.db, temporal: temporal.client, namespace: temporal.namespace, taskQueue: temporal.taskQueue, logger: testLogger });
    cast = await seedCast(database.db, cycle);
  });
  afterAll(async () => {
    await app?.close();
    await worker?.stop();
    await temporal?.close();
    await database?.close();
  });

  it('the timeline and the state as of now include the action that just answered 200', async () => {
    const { title, ...rest } = proposal(cycle.year, '审计即时性项目');
    const id = (await post('u-sec-oc1', '/projects', { cycleId: cycle.cycleId, title, ...rest })).json().id as string;
    for (let round = 0; round < 3; round++) {
      const submitted = await post('u-sec-oc1', `/projects/${id}/submit`);
      expect(submitted.statusCode, submitted.body).toBe(200);
      const seq = submitted.json().version as number;
      const timeline = await app.inject({ method: 'GET', url: `/audit/projects/${id}/timeline`, headers: as('u-auditor') });
      expect(timeline.statusCode, timeline.body).toBe(200);
      expect(timeline.json().entries.map((e: { seq: number }) => e.seq)).toContain(seq);
      expect(timeline.json().log).toMatchObject({ behind: 0, persistenceLagging: false });
      const state = await app.inject({ method: 'GET', url: `/audit/projects/${id}/state`, headers: as('u-auditor') });
      expect(state.json()).toMatchObject({ seq, state: { stage: 'in_review' }, log: { behind: 0 } });
      expect((await post('u-sec-oc1', `/projects/${id}/withdraw`, {})).statusCode).toBe(200);
    }
  });

  it('when the log cannot catch up, the answer says how far behind it is', async () => {
    const { title, ...rest } = proposal(cycle.year, '审计滞后项目');
    const id = (await post('u-sec-oc1', '/projects', { cycleId: cycle.cycleId, title, ...rest })).json().id as string;
    await app.inject({ method: 'GET', url: `/audit/projects/${id}/timeline`, headers: as('u-auditor') });
    await sql`create function refuse_fresh() returns trigger language plpgsql as $$ begin if new.project_id = ${sql.lit(id)} then raise exception 'simulated outage'; end if; return new; end $$`.execute(database.db);
    await sql`create trigger refuse_fresh before insert on project_events for each row execute function refuse_fresh()`.execute(database.db);
    try {
      expect((await post('u-sec-oc1', `/projects/${id}/submit`)).statusCode).toBe(200);
      const timeline = await app.inject({ method: 'GET', url: `/audit/projects/${id}/timeline`, headers: as('u-auditor') });
      expect(timeline.statusCode).toBe(200);
      expect(timeline.json().log).toMatchObject({ behind: 1 });
      expect(timeline.json().log.workflowSeq).toBe(timeline.json().log.loggedSeq + 1);
    } finally {
      await sql`drop trigger refuse_fresh on project_events`.execute(database.db);
    }
  });
});
