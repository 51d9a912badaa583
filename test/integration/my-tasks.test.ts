/**
 * My tasks (待办) and my history (已办) through the API: projects are driven by the people of the
 * cast, the persistence activity keeps the task rows, and each person's `GET /me/tasks` shows what
 * waits for them — and only that. The quarters lie hours away, so the calendar moves nothing
 * while the file runs (Q1 evidence shows at once, inspections not yet).
 */
import { describe, expect, it } from 'vitest';
import { createProjectActivities } from '../../activities/projects';
import { issueToken } from '../../db/auth';
import type { LifecycleEvent, PersonActor } from '../../workflows/lifecycle';
import { cycleWithQuartersHoursAway, proposal } from '../fixtures/cycles';
import type { TaskView } from '../../services/tasks';
import { useHarness } from '../helpers/harness';
import { waitUntil } from '../helpers/wait';

/** What GET /me/tasks answers per item. */
type Task = TaskView;

describe('GET /me/tasks and GET /me/done', () => {
  const cycle = cycleWithQuartersHoursAway('cy-tasks', 6);
  const h = useHarness({ name: 'mytasks', cycle });

  async function tasksOf(userId: string, query = ''): Promise<{ total: number; items: Task[] }> {
    const response = await h.get(userId, `/me/tasks${query}`);
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  }

  /** Waits until the user's tasks of `projectId` are exactly `kinds` (persistence runs after the Update answers). */
  async function waitForKinds(userId: string, projectId: string, kinds: string[]): Promise<Task[]> {
    const want = [...kinds].sort().join(',');
    return waitUntil(`${userId}'s tasks of ${projectId} to be [${want}]`, async () => {
      const mine = (await tasksOf(userId, '?limit=500')).items.filter((t) => t.projectId === projectId);
      return mine.map((t) => t.kind).sort().join(',') === want ? mine : undefined;
    }, 30_000, 200);
  }

  async function propose(userId: string, title: string): Promise<string> {
    const { title: _t, ...rest } = proposal(cycle.year, title);
    const response = await h.post(userId, '/projects', { cycleId: cycle.cycleId, title, ...rest });
    expect(response.statusCode, response.body).toBe(201);
    return response.json().id as string;
  }

  async function ok(userId: string, url: string, body: Record<string, unknown> = {}) {
    const response = await h.post(userId, url, body);
    expect(response.statusCode, response.body).toBe(200);
    return response;
  }

  it('a draft, a review, a letter, then the work: each waits for the right person, with deadline, days left and the action', async () => {
    const id = await propose('u-sec-oc1', '待办测试：机关党建提升项目');
    const [draft] = await waitForKinds('u-sec-oc1', id, ['draft']);
    expect(draft).toMatchObject({
      id: `${id}/draft`,
      kindLabel: '完善立项草稿',
      projectTitle: '待办测试：机关党建提升项目',
      cycleId: cycle.cycleId,
      action: `POST /projects/${id}/submit`,
      deadline: cycle.calendar.proposalDeadline,
      assignedTo: { kind: 'person', userId: 'u-sec-oc1' },
    });
    expect(typeof draft.daysLeft).toBe('number');
    expect(typeof draft.overdue).toBe('boolean');

    await ok('u-sec-oc1', `/projects/${id}/submit`);
    const [review] = await waitForKinds('u-committee', id, ['review']);
    expect(review).toMatchObject({ action: `POST /projects/${id}/review`, assignedTo: { kind: 'person', userId: 'u-committee' } });
    await waitForKinds('u-sec-oc1', id, []);

    await ok('u-committee', `/projects/${id}/review`, { decision: 'approve' });
    const [letter] = await waitForKinds('u-sec-oc1', id, ['letter']);
    expect(letter.action).toBe(`POST /projects/${id}/letter`);
    await waitForKinds('u-committee', id, []);

    await ok('u-sec-oc1', `/projects/${id}/letter`, { text: '本人承诺履行第一责任人职责' });
    // org-oc1 has branches: decompose; Q1 evidence shows now (later quarters later); self-assessment later.
    const work = await waitForKinds('u-sec-oc1', id, ['decompose', 'evidence']);
    expect(work.find((t) => t.kind === 'evidence')).toMatchObject({ label: '报送季度佐证材料：第一季度', deadline: cycle.calendar.quarters[0].evidenceDeadline, overdue: false });
    // Sorted by deadline: the list is in deadline order.
    const all = (await tasksOf('u-sec-oc1', '?limit=500')).items;
    const instants = all.map((t) => Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(t.deadline) ? `${t.deadline}T23:59:59.999+08:00` : t.deadline));
    expect(instants).toEqual([...instants].sort((a, b) => a - b));

    // Filters: by kind, by cycle, overdue only.
    expect((await tasksOf('u-sec-oc1', '?kind=evidence')).items.every((t) => t.kind === 'evidence')).toBe(true);
    expect((await tasksOf('u-sec-oc1', '?cycle=another-cycle')).total).toBe(0);
    expect((await tasksOf('u-sec-oc1', '?overdue=true')).items.every((t) => t.overdue)).toBe(true);
    const paged = await tasksOf('u-sec-oc1', '?limit=1&offset=1');
    expect(paged.items).toHaveLength(Math.min(1, Math.max(0, paged.total - 1)));
    expect((await h.get('u-sec-oc1', '/me/tasks?kind=bogus')).statusCode).toBe(400);
  });

  it('inspectors see rectifications to verify only in the orgs they are assigned to; the responsible secretary sees the rectification', async () => {
    // A second inspector, assigned to unit U2 only (the cast's inspector covers the whole tree).
    await h.db.insertInto('users').values({ id: 'u-inspector-u2', name: '第二督查员', role: 'inspector', org_id: cycle.committee.orgId }).execute();
    await h.db.insertInto('inspector_assignments').values({ inspector_id: 'u-inspector-u2', org_id: 'org-u2' }).execute();
    h.cast.tokens['u-inspector-u2'] = await issueToken(h.db, 'u-inspector-u2', 'test');

    const ledgerDeadline = new Date(Date.now() + 3 * 3600_000).toISOString();
    const inspected: Record<string, string> = {};
    for (const [lead, org] of [['u-sec-oc1', 'org-oc1'], ['u-sec-b3', 'org-b3']] as const) {
      const id = await propose(lead, `督查测试项目 ${org}`);
      await ok(lead, `/projects/${id}/submit`);
      const reviewer = org === 'org-b3' ? 'u-sec-oc2' : 'u-committee';
      await ok(reviewer, `/projects/${id}/review`, { decision: 'approve' });
      await ok(lead, `/projects/${id}/letter`, { text: '责任书' });
      await ok('u-inspector', `/projects/${id}/inspections/1`, {
        rating: 'lagging',
        findings: ['台账不完整'],
        problems: [{ problem: `走访记录缺签字（${org}）`, responsibleOrgId: org, responsiblePersonId: lead, measures: '补齐签字', deadline: ledgerDeadline }],
      });
      const rectify = (await waitForKinds(lead, id, org === 'org-b3' ? ['evidence', 'rectify'] : ['decompose', 'evidence', 'rectify'])).find((t) => t.kind === 'rectify') as Task;
      expect(rectify.label).toBe(`整改台账问题：走访记录缺签字（${org}）`);
      expect(rectify.deadline).toBe(ledgerDeadline);
      const [, method, url] = /^(POST) (.+)$/.exec(rectify.action) ?? [];
      expect(method).toBe('POST');
      const report = await h.post(lead, url, { text: '已补齐签字' });
      expect(report.statusCode, report.body).toBe(200);
      inspected[org] = id;
    }

    const verifyOf = async (inspector: string) => (await tasksOf(inspector, '?kind=verify_rectification&limit=500')).items.map((t) => t.projectId);
    await waitUntil('both verifications for the root inspector', async () => {
      const ids = await verifyOf('u-inspector');
      return ids.includes(inspected['org-oc1']) && ids.includes(inspected['org-b3']) ? ids : undefined;
    }, 30_000, 200);
    const u2 = await verifyOf('u-inspector-u2');
    expect(u2).toContain(inspected['org-b3']);
    expect(u2).not.toContain(inspected['org-oc1']);
    const task = (await tasksOf('u-inspector-u2', '?kind=verify_rectification')).items.find((t) => t.projectId === inspected['org-b3']) as Task;
    expect(task.assignedTo).toEqual({ kind: 'inspector', orgId: 'org-b3' });
    expect(task.action).toMatch(new RegExp(`^POST /projects/${inspected['org-b3']}/rectifications/.+/verify$`));
    // The reported entries are no longer the secretaries' tasks.
    expect((await tasksOf('u-sec-b3', '?kind=rectify')).items.filter((t) => t.projectId === inspected['org-b3'])).toEqual([]);
  });

  it('nobody sees another person’s tasks: other secretaries, the unit above, members, auditors', async () => {
    const id = await propose('u-sec-b1', '他人待办不可见测试');
    await waitForKinds('u-sec-b1', id, ['draft']);
    for (const other of ['u-sec-b3', 'u-sec-u1', 'u-sec-oc1', 'u-member-b1', 'u-auditor', 'u-inspector', 'u-committee']) {
      const theirs = (await tasksOf(other, '?limit=500')).items;
      expect(theirs.filter((t) => t.projectId === id), other).toEqual([]);
      for (const t of theirs) {
        if (t.assignedTo.kind === 'person') expect(t.assignedTo.userId, other).toBe(other);
      }
    }
    expect((await h.app.inject({ method: 'GET', url: '/me/tasks' })).statusCode).toBe(401);
  });

  it('GET /me/done lists what the person did, newest first, with Chinese labels and project titles', async () => {
    const id = await propose('u-sec-oc2', '已办测试项目');
    await ok('u-sec-oc2', `/projects/${id}/submit`);
    await ok('u-committee', `/projects/${id}/review`, { decision: 'return', comment: '请细化指标' });
    const done = await waitUntil('u-sec-oc2 history', async () => {
      const response = await h.get('u-sec-oc2', `/me/done?cycle=${cycle.cycleId}`);
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json() as { total: number; items: { projectId: string; type: string; label: string; projectTitle: string; roleLabel: string }[] };
      const mine = body.items.filter((e) => e.projectId === id);
      return mine.length >= 2 ? mine : undefined;
    }, 30_000, 200);
    expect(done.map((e) => [e.type, e.label])).toEqual([
      ['submit', '提交审核'],
      ['create', '创建项目'],
    ]);
    expect(done[0]).toMatchObject({ projectTitle: '已办测试项目', roleLabel: '党组织书记' });
    const returned = await waitUntil('the committee’s history', async () => {
      const committee = (await h.get('u-committee', '/me/done')).json() as { items: { projectId: string; type: string; label: string }[] };
      return committee.items.find((e) => e.projectId === id);
    }, 30_000, 200);
    expect(returned).toMatchObject({ type: 'return', label: '退回修改' });
    // The returned proposal is a revision task for its secretary, and nobody else's.
    const [revise] = await waitForKinds('u-sec-oc2', id, ['revise']);
    expect(revise.label).toBe('按意见修改退回的立项：请细化指标');
    // Someone who did nothing has no history.
    const member = (await h.get('u-member-b1', '/me/done')).json() as { total: number };
    expect(member.total).toBe(0);
  });

  it('persistProject replaces a project’s rows in its transaction: a retried batch leaves the same rows, the next batch moves them', async () => {
    const activities = createProjectActivities(h.db);
    const lead: PersonActor = { userId: 'u-sec-b2', role: 'secretary', orgId: 'org-b2' };
    const now = new Date().toISOString();
    const events: LifecycleEvent[] = [
      { type: 'create', actor: lead, at: now, projectId: 'p-retry', cycleId: cycle.cycleId, parentId: null, orgId: 'org-b2', leadSecretaryId: 'u-sec-b2', reviewer: { orgId: 'org-oc1', userId: 'u-sec-oc1' }, proposal: proposal(cycle.year, '重试幂等项目') },
      { type: 'submit', actor: lead, at: now },
    ];
    const input = (upTo: number) => ({ workflowId: 'wf-retry', runId: 'run-1', projectId: 'p-retry', cycle, events: events.slice(0, upTo).map((event, i) => ({ seq: i + 1, event })) });
    const rows = () => h.db.selectFrom('tasks').select(['key', 'kind', 'assignee_id', 'deadline']).where('project_id', '=', 'p-retry').orderBy('key').execute();
    await activities.persistProject(input(1));
    const first = await rows();
    expect(first.map((r) => [r.kind, r.assignee_id])).toEqual([['draft', 'u-sec-b2']]);
    await activities.persistProject(input(1));
    expect(await rows()).toEqual(first);
    await activities.persistProject(input(2));
    expect((await rows()).map((r) => [r.kind, r.assignee_id])).toEqual([['review', 'u-sec-oc1']]);
    await activities.persistProject(input(2));
    expect((await rows()).map((r) => [r.kind, r.assignee_id])).toEqual([['review', 'u-sec-oc1']]);
  });
});
