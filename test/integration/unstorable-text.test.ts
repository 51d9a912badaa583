/**
 * Both doors refuse text PostgreSQL could never store: the HTTP API (400 problem+json naming the
 * field) and an Update sent straight to Temporal (the lifecycle core's refusal, before anything
 * enters history). Nothing changes either way, so no project's event log can freeze on it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { buildApp } from '../../api/app';
import { fetchRunHistories } from '../../audit';
import type { Refusal } from '../../workflows/lifecycle';
import * as m from '../../workflows/messages';
import { seedCast, type ApiCast } from '../helpers/api';
import { compressedCycle, proposal } from '../helpers/full-year';
import { connectTemporal, createTestDatabase, startTestWorker, testLogger, type RunningTestWorker, type TestDatabase, type TestTemporal } from '../helpers/infra';
import { SAMPLE_COMMANDS, stringPaths, withString } from '../fixtures/commands';

const ENUM_PATHS = new Set(['type', 'actor.role', 'recommendation', 'rating', 'decision', 'changes.0.kind', 'item.kind']);

describe('unstorable text through every door', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let worker: RunningTestWorker;
  let app: FastifyInstance;
  let cast: ApiCast;
  const cycle = compressedCycle('cy-nul', Date.now());
  const as = (userId: string) => ({ authorization: `Bearer ${cast.tokens[userId]}` });
  const post = (userId: string, url: string, payload: unknown) =>
    app.inject({ method: 'POST', url, headers: { ...as(userId), 'content-type': 'application/json' }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });

  beforeAll(async () => {
    database = await createTestDatabase('unstorable');
    temporal = await connectTemporal();
    worker = await startTestWorker(database.db, temporal.taskQueue);
    app = await buildApp({ db: database.db, temporal: temporal.client, namespace: temporal.namespace, taskQueue: temporal.taskQueue, logger: testLogger, rateLimitPerMinute: 100_000 });
    cast = await seedCast(database.db, cycle);
  });
  afterAll(async () => {
    await app?.close();
    await worker?.stop();
    await temporal?.close();
    await database?.close();
  });

  async function propose(): Promise<string> {
    const { title, ...rest } = proposal(cycle.year, '字符校验测试项目');
    const created = await post('u-sec-oc1', '/projects', { cycleId: cycle.cycleId, title, ...rest });
    expect(created.statusCode, created.body).toBe(201);
    return created.json().id as string;
  }

  it('an Update sent straight to Temporal with U+0000 in any text field of any command is refused and leaves no history', async () => {
    const id = await propose();
    const handle = temporal.client.workflow.getHandle(m.projectWorkflowId(cycle.cycleId, id));
    const before = await handle.query(m.getProjectQuery);
    const acceptedUpdates = async () =>
      (await fetchRunHistories(temporal.client, handle.workflowId)).flatMap((r) => r.history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;
    expect(await acceptedUpdates()).toBe(0);
    let tried = 0;
    for (const [type, command] of Object.entries(SAMPLE_COMMANDS) as [m.PersonEventType, object][]) {
      for (const path of stringPaths(command).filter((p) => !ENUM_PATHS.has(p.join('.')))) {
        const poisoned = withString(command, path, (old) => `${old}\u0000`);
        const refusal = await handle.executeUpdate(m.PERSON_UPDATES[type] as never, { args: [poisoned] as never }).then(
          () => null,
          (e: unknown) => (e instanceof WorkflowUpdateFailedError ? ((e.cause as { details?: unknown[] }).details?.[0] as Refusal) : e),
        );
        expect(refusal, `${type}.${path.join('.')}`).toMatchObject({ rule: 'payload.unstorable_character', status: 400 });
        tried += 1;
      }
    }
    expect(tried).toBeGreaterThan(40);
    expect((await handle.query(m.getProjectQuery)).state.version).toBe(before.state.version);
    // Refused in the validator: no Update was accepted, so none entered the history.
    expect(await acceptedUpdates()).toBe(0);
  });

  it('the API refuses U+0000, lone surrogates and control characters in bodies, query strings and paths with 400 problem+json naming the field', async () => {
    const id = await propose();
    const versionBefore = (await app.inject({ method: 'GET', url: `/projects/${id}`, headers: as('u-sec-oc1') })).json().version;
    const cases: { name: string; send: () => ReturnType<typeof post>; field: string }[] = [
      { name: 'draft title with NUL', send: () => post('u-sec-oc1', `/projects/${id}/draft`, { title: '项目\u0000名称' }), field: 'title' },
      { name: 'draft title with a lone surrogate', send: () => post('u-sec-oc1', `/projects/${id}/draft`, '{"title":"项目\\ud800名称"}'), field: 'title' },
      { name: 'draft goal with ESC', send: () => post('u-sec-oc1', `/projects/${id}/draft`, { businessGoal: '服务\u001b群众' }), field: 'businessGoal' },
      { name: 'withdraw reason with NUL', send: () => post('u-sec-oc1', `/projects/${id}/withdraw`, { reason: '\u0000' }), field: 'reason' },
      { name: 'a proposal with NUL in an indicator name', send: () => post('u-sec-oc1', '/projects', { cycleId: cycle.cycleId, ...proposal(cycle.year, '新项目'), indicators: [{ ...proposal(cycle.year, 'x').indicators[0], name: '走访\u0000' }, proposal(cycle.year, 'x').indicators[1]] }), field: 'indicators[0].name' },
      { name: 'a wiring check message with NUL', send: () => post('u-committee', '/wiring-checks', { message: 'hello\u0000' }), field: 'message' },
    ];
    for (const c of cases) {
      const response = await c.send();
      expect(response.statusCode, `${c.name}: ${response.body}`).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({ rule: 'payload.unstorable_character', field: c.field });
      expect(response.json().detail).toMatch(/无法保存的字符/);
    }
    const query = await app.inject({ method: 'GET', url: `/projects?cycle=a%00b`, headers: as('u-committee') });
    expect(query.statusCode).toBe(400);
    expect(query.json()).toMatchObject({ field: 'cycle' });
    const param = await app.inject({ method: 'GET', url: `/projects/P-%00`, headers: as('u-committee') });
    expect(param.statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: `/projects/${id}`, headers: as('u-sec-oc1') })).json().version).toBe(versionBefore);
    const projects = await database.db.selectFrom('projects').select('title').where('cycle_id', '=', cycle.cycleId).execute();
    expect(projects.map((p) => p.title)).not.toContain('新项目');
  });
});
