/**
 * An action's answer (the project as it now is) is folded in the API from the state its checks read
 * and the event the workflow applied (the command with the workflow's `at`), with the same lifecycle
 * core, instead of a query through the worker — and it is exactly what the workflow holds. When
 * another event came between that state and the action, or the workflow's answer disagrees with the
 * fold, the workflow is queried instead.
 */
import { describe, expect, it } from 'vitest';
import { authenticate, type AuthenticatedUser } from '../../db/auth';
import { getProjectQuery, projectWorkflowId } from '../../workflows/messages';
import { compressedCycle } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';
import { waitUntil } from '../helpers/wait';

describe('action answers folded without a query', () => {
  const cycle = compressedCycle('cy-answers', Date.now());
  const h = useHarness({ name: 'answers', cycle });
  const { post, get } = h;

  const projectedVersion = async (id: string) => (await h.db.selectFrom('projects').select('version').where('id', '=', id).executeTakeFirst())?.version;
  const projectedAt = (id: string, version: number) => waitUntil(`projection at version ${version}`, async () => ((await projectedVersion(id)) === version ? true : undefined), 60_000, 100);
  const user = async (id: string): Promise<AuthenticatedUser> => {
    const u = await authenticate(h.db, h.cast.tokens[id]!);
    if (typeof u === 'string') throw new Error(`${id}: ${u}`);
    return u;
  };

  /** A project proposed and projected, then submitted through the service (not the route), with the action's outcome. */
  const submittedThroughService = async (title: string) => {
    const id = await h.propose('u-sec-oc1', cycle, title);
    await projectedAt(id, 1);
    const projects = h.app.services.projects;
    return { id, projects, outcome: await projects.act(await user('u-sec-oc1'), id, 'submit', {}) };
  };

  it('each answer along a project’s life equals the project read from its workflow right after', async () => {
    const id = await h.propose('u-sec-oc1', cycle, '答复折叠测试项目');
    await projectedAt(id, 1);
    const steps: [string, string, Record<string, unknown>][] = [
      ['u-sec-oc1', `/projects/${id}/draft`, { title: '答复折叠测试项目（修改）' }],
      ['u-sec-oc1', `/projects/${id}/submit`, {}],
      ['u-committee', `/projects/${id}/review/transfer`, { toUserId: 'u-sec-u1', toOrgId: 'org-u1', reason: '请单位党组把关' }],
      ['u-sec-u1', `/projects/${id}/review`, { decision: 'approve', comment: '同意立项' }],
    ];
    let version = 1;
    for (const [userId, url, body] of steps) {
      const answered = await post(userId, url, body);
      expect(answered.statusCode, `${url}: ${answered.body}`).toBe(200);
      version += 1;
      expect(answered.json().version).toBe(version);
      const read = await get('u-committee', `/projects/${id}`);
      expect(read.statusCode).toBe(200);
      expect(answered.json(), url).toEqual(read.json());
      await projectedAt(id, version);
    }
  }, 120_000);

  it('answers from the fold alone when the action came right after the state read: no workflow is asked', async () => {
    const { id, projects, outcome } = await submittedThroughService('无需查询的答复');
    expect(outcome.seq).toBe(2);
    expect(outcome.at).toMatch(/^\d{4}-\d\d-\d\dT/);
    // A workflow id no server knows: only an answer that needs no query can come back.
    const view = await projects.viewAfter({ ...outcome, ref: { ...outcome.ref, workflowId: `${outcome.ref.workflowId}-nowhere` } });
    expect(view.seq).toBe(2);
    const live = await h.temporal.client.workflow.getHandle(projectWorkflowId(cycle.cycleId, id)).query(getProjectQuery);
    expect(view).toEqual(live);
  }, 60_000);

  it('asks the workflow when another event came in between, or when its answer disagrees with the fold', async () => {
    const { projects, outcome } = await submittedThroughService('需要查询的答复');
    const nowhere = { ...outcome.ref, workflowId: `${outcome.ref.workflowId}-nowhere` };
    // The state read was one event further behind: the fold would miss that event.
    const stale = { ...outcome, ref: nowhere, basis: { ...outcome.basis!, view: { ...outcome.basis!.view, seq: outcome.basis!.view.seq - 1 } } };
    await expect(projects.viewAfter(stale)).rejects.toThrow(/not found/i);
    // The workflow answered another stage than the fold gives.
    await expect(projects.viewAfter({ ...outcome, ref: nowhere, stage: 'draft' })).rejects.toThrow(/not found/i);
    // An answer recorded without `at` (older workflow code).
    await expect(projects.viewAfter({ ...outcome, ref: nowhere, at: undefined })).rejects.toThrow(/not found/i);
    // The real workflow answers all three.
    for (const result of [{ ...stale, ref: outcome.ref }, { ...outcome, at: undefined }]) {
      expect((await projects.viewAfter(result)).seq).toBe(2);
    }
  }, 60_000);
});
