import { describe, expect, it } from 'vitest';
import { issueToken } from '../../db/auth';
import { openCycle } from '../../db/cycles';
import { compressedCycle, proposal } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';
import { waitUntil } from '../helpers/wait';

describe('the project API: lifecycle actions, scoping and refusals', () => {
  const cycle = compressedCycle('cy-api', Date.now());
  // The cast's committee reviewer is the cycle's committee user; the lead is the organ committee's secretary.
  const h = useHarness({ name: 'apiprojects', cycle });
  const { post } = h;

  async function propose(userId = 'u-sec-oc1') {
    const { title, ...rest } = proposal(cycle.year, '机关党建“双融双促”提升项目');
    const response = await post(userId, '/projects', { cycleId: cycle.cycleId, title, ...rest });
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as { id: string; stage: string; stageLabel: string };
  }

  const version = (projectId: string) =>
    h.db.selectFrom('projects').select('version').where('id', '=', projectId).executeTakeFirst().then((row) => row?.version ?? 0);

  /** The persisted version once the workflow has written its latest events (waits for the projection). */
  async function eventCount(projectId: string) {
    return waitUntil('a persisted version', async () => { const v = await version(projectId); return v > 0 ? v : undefined; }, 10_000, 100).catch(() => version(projectId));
  }

  /** Waits until the projection holds `version` (the workflow persists asynchronously). */
  async function persistedVersion(projectId: string, atLeast: number) {
    return waitUntil(`version ${atLeast} persisted`, async () => { const v = await version(projectId); return v >= atLeast ? v : undefined; }, 10_000, 100).catch(() => version(projectId));
  }

  it('a returned proposal can be edited, resubmitted and approved, then signed', async () => {
    const project = await propose();
    expect(project).toMatchObject({ stage: 'draft', stageLabel: '草稿' });
    expect((await post('u-sec-oc1', `/projects/${project.id}/submit`)).json().stage).toBe('in_review');
    const returned = await post('u-committee', `/projects/${project.id}/review`, { decision: 'return', comment: '请细化指标' });
    expect(returned.statusCode, returned.body).toBe(200);
    expect(returned.json().stage).toBe('draft');
    expect((await post('u-sec-oc1', `/projects/${project.id}/draft`, { businessGoal: '以第三方测评衡量满意度' })).statusCode).toBe(200);
    await post('u-sec-oc1', `/projects/${project.id}/submit`);
    const approved = await post('u-committee', `/projects/${project.id}/review`, { decision: 'approve' });
    expect(approved.json().stage).toBe('approved');
    const signed = await post('u-sec-oc1', `/projects/${project.id}/letter`, { text: '本人承诺履行第一责任人职责' });
    expect(signed.json()).toMatchObject({ stage: 'in_progress', stageLabel: '实施中' });
  });

  it('another org’s secretary can neither read nor act on a project by guessing its id (404, nothing changes)', async () => {
    const project = await propose();
    const read = await h.get('u-sec-b3', `/projects/${project.id}`);
    expect(read.statusCode).toBe(404);
    const submit = await post('u-sec-b3', `/projects/${project.id}/submit`);
    expect(submit.statusCode).toBe(404);
    expect((await h.get('u-sec-oc1', `/projects/${project.id}`)).json().stage).toBe('draft');
  });

  it('the unit secretary reads the organ committee’s project in their subtree but cannot submit it (403 naming the rule)', async () => {
    const project = await propose();
    expect((await h.get('u-sec-u1', `/projects/${project.id}`)).statusCode).toBe(200);
    const response = await post('u-sec-u1', `/projects/${project.id}/submit`);
    expect(response.statusCode).toBe(403);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json().rule).toMatch(/^actor\./);
    expect(response.json().detail).toMatch(/[\u4e00-\u9fa5]/);
  });

  it('a secretary calling review or acceptance gets 403, and an action in the wrong stage 409', async () => {
    const project = await propose();
    await post('u-sec-oc1', `/projects/${project.id}/submit`);
    expect((await post('u-sec-oc1', `/projects/${project.id}/review`, { decision: 'approve' })).statusCode).toBe(403);
    expect((await post('u-sec-oc1', `/projects/${project.id}/acceptance`, { criterionScores: [], negativeList: [] })).statusCode).toBe(403);
    const letter = await post('u-sec-oc1', `/projects/${project.id}/letter`, { text: '责任书' });
    expect(letter.statusCode).toBe(409);
    expect(letter.json().rule).toMatch(/^stage\./);
  });

  it('auditors read everything and change nothing', async () => {
    const project = await propose();
    expect((await h.get('u-auditor', `/projects/${project.id}`)).statusCode).toBe(200);
    const before = await eventCount(project.id);
    const response = await post('u-auditor', `/projects/${project.id}/submit`);
    expect(response.statusCode).toBe(403);
    expect(response.json().rule).toBe('actor.auditor_read_only');
    await new Promise((r) => setTimeout(r, 300));
    expect(await eventCount(project.id)).toBe(before);
  });

  it('a body carrying stage, grade or orgId is refused with 400 naming the field, and nothing is stored', async () => {
    const project = await propose();
    for (const extra of [{ stage: 'accepted' }, { grade: 'excellent' }, { orgId: 'org-b3' }]) {
      const response = await post('u-sec-oc1', `/projects/${project.id}/draft`, { businessGoal: 'x', ...extra });
      expect(response.statusCode).toBe(400);
      expect(response.json().type).toBe('urn:party-projects:problem:validation');
    }
    const { title, ...rest } = proposal(cycle.year, 't');
    const sneaky = await post('u-sec-oc1', '/projects', { cycleId: cycle.cycleId, title, ...rest, stage: 'approved' });
    expect(sneaky.statusCode).toBe(400);
  });

  it('a proposal whose indicator weights do not sum to 100 is refused with 400 naming the rule', async () => {
    const { title, ...rest } = proposal(cycle.year, '权重错误项目');
    rest.indicators[0].weight = 10;
    const response = await post('u-sec-oc1', '/projects', { cycleId: cycle.cycleId, title, ...rest });
    expect(response.statusCode).toBe(400);
    expect(response.json().rule).toBe('payload.indicator_weight_sum');
  });

  it('a retried POST with the same Idempotency-Key returns the first response and acts once', async () => {
    const { title, ...rest } = proposal(cycle.year, '幂等申报项目');
    const body = { cycleId: cycle.cycleId, title, ...rest };
    const key = { 'idempotency-key': 'propose-0001-abcdef' };
    const first = await post('u-sec-oc1', '/projects', body, key);
    const second = await post('u-sec-oc1', '/projects', body, key);
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json().id).toBe(first.json().id);
    const count = await h.db.selectFrom('cycle_projects').select((eb) => eb.fn.countAll<number>().as('n')).where('create_event', '@>', JSON.stringify({ proposal: { title } }) as never).executeTakeFirstOrThrow();
    expect(count.n).toBe(1);
    const reused = await post('u-sec-oc1', '/projects', { ...body, title: '另一个项目' }, key);
    expect(reused.statusCode).toBe(422);
  });

  it('lists only what the caller may see, filtered and paginated', async () => {
    await propose('u-sec-b3');
    // Wait for projections.
    await new Promise((r) => setTimeout(r, 1000));
    const mine = await h.get('u-sec-b3', `/projects?cycle=${cycle.cycleId}`);
    expect(mine.statusCode).toBe(200);
    expect(mine.json().items.length).toBeGreaterThan(0);
    expect(mine.json().items.every((p: { orgId: string }) => p.orgId === 'org-b3')).toBe(true);
    const all = await h.get('u-committee', `/projects?cycle=${cycle.cycleId}&limit=2`);
    expect(all.json().items).toHaveLength(2);
    expect(all.json().total).toBeGreaterThan(2);
    expect((await h.get('u-committee', '/projects?limit=100000')).statusCode).toBe(400);
  });

  it('an inspector inspects only the orgs assigned to them (403 elsewhere, nothing recorded)', async () => {
    await openCycle(h.db, { cycle, orgs: [], users: [{ id: 'u-inspector-2', name: '督查员二', role: 'inspector', orgId: cycle.committee.orgId }], projects: [], inspectorAssignments: [{ inspectorId: 'u-inspector-2', orgId: 'org-u2' }] });
    h.cast.tokens['u-inspector-2'] = await issueToken(h.db, 'u-inspector-2', 'test');
    const project = await propose();
    await post('u-sec-oc1', `/projects/${project.id}/submit`);
    await post('u-committee', `/projects/${project.id}/review`, { decision: 'approve' });
    const signed = await post('u-sec-oc1', `/projects/${project.id}/letter`, { text: '责任书' });
    const before = await persistedVersion(project.id, signed.json().version);
    const body = { rating: 'on_track', findings: ['按计划推进'], problems: [] };
    const refused = await post('u-inspector-2', `/projects/${project.id}/inspections/1`, body);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().rule).toBe('actor.inspector_not_assigned');
    expect(await eventCount(project.id)).toBe(before);
    const allowed = await post('u-inspector', `/projects/${project.id}/inspections/1`, body);
    expect(allowed.statusCode, allowed.body).toBe(200);
  });

  it('sends security headers on every response', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/health' });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBeDefined();
  });
});
