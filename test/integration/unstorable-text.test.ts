/**
 * Both doors refuse text PostgreSQL could never store: the HTTP API (400 problem+json naming the
 * field) and an Update sent straight to Temporal (the lifecycle core's refusal, before anything
 * enters history). Nothing changes either way, so no project's event log can freeze on it.
 */
import { describe, expect, it } from 'vitest';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { fetchRunHistories } from '../../audit';
import type { Refusal } from '../../workflows/lifecycle';
import * as m from '../../workflows/messages';
import { compressedCycle, proposal } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';
import { SAMPLE_COMMANDS, stringPaths, withString } from '../fixtures/commands';

const ENUM_PATHS = new Set(['type', 'actor.role', 'recommendation', 'rating', 'decision', 'changes.0.kind', 'item.kind']);

describe('unstorable text through every door', () => {
  const cycle = compressedCycle('cy-nul', Date.now());
  const h = useHarness({ name: 'unstorable', cycle, app: { rateLimitPerMinute: 100_000 } });
  const { as } = h;
  const post = (userId: string, url: string, payload: unknown) =>
    h.app.inject({ method: 'POST', url, headers: { ...as(userId), 'content-type': 'application/json' }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });


  async function propose(): Promise<string> {
    const { title, ...rest } = proposal(cycle.year, '字符校验测试项目');
    const created = await post('u-sec-oc1', '/projects', { cycleId: cycle.cycleId, title, ...rest });
    expect(created.statusCode, created.body).toBe(201);
    return created.json().id as string;
  }

  it('an Update sent straight to Temporal with U+0000 in any text field of any command is refused and leaves no history', async () => {
    const id = await propose();
    const handle = h.temporal.client.workflow.getHandle(m.projectWorkflowId(cycle.cycleId, id));
    const before = await handle.query(m.getProjectQuery);
    const acceptedUpdates = async () =>
      (await fetchRunHistories(h.temporal.client, handle.workflowId)).flatMap((r) => r.history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;
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
    const versionBefore = (await h.get('u-sec-oc1', `/projects/${id}`)).json().version;
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
    const query = await h.get('u-committee', `/projects?cycle=a%00b`);
    expect(query.statusCode).toBe(400);
    expect(query.json()).toMatchObject({ field: 'cycle' });
    const param = await h.get('u-committee', `/projects/P-%00`);
    expect(param.statusCode).toBe(400);
    expect((await h.get('u-sec-oc1', `/projects/${id}`)).json().version).toBe(versionBefore);
    const projects = await h.db.selectFrom('projects').select('title').where('cycle_id', '=', cycle.cycleId).execute();
    expect(projects.map((p) => p.title)).not.toContain('新项目');
  });
});
