/**
 * Names on the project and the audit timeline (issue #14): GET /projects/:id and every action that
 * answers the project carry `names` — each person and org the project refers to (lead secretary,
 * reviewers of a transfer, the delegate, a sub-project's org and secretary) by their directory
 * name, an id the directory does not know as itself — and the audit timeline names who acted, a
 * person by name and the review timer as 系统（定时器）. Who may read the project is unchanged.
 */
import { describe, expect, it } from 'vitest';
import { compressedCycle } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';

describe('names of people and orgs on the project and its audit timeline', () => {
  // The review timer reminds 2 s after a submission, so a timer's event lands in the timeline.
  const cycle = { ...compressedCycle(`cy-names-${Date.now().toString(36)}`, Date.now()), reviewTimeouts: { remindAfterMs: 2000, escalateAfterMs: 600_000 } };
  const h = useHarness({ name: 'projectnames', cycle });

  it('names the lead secretary, the reviewers of a transfer, the delegate and a sub-project’s org and secretary', async () => {
    const id = await h.propose('u-sec-oc1', cycle, '名称显示项目');
    const proposed = await h.get('u-sec-oc1', `/projects/${id}`);
    expect(proposed.statusCode, proposed.body).toBe(200);
    expect(proposed.json().names).toEqual({
      users: { 'u-sec-oc1': '市财政局机关党委书记', 'u-committee': '工委审核员' },
      orgs: { 'org-oc1': '市财政局机关党委', 'org-committee': '市直机关工委' },
    });

    expect((await h.post('u-sec-oc1', `/projects/${id}/submit`)).statusCode).toBe(200);
    const transferred = await h.post('u-committee', `/projects/${id}/review/transfer`, { toUserId: 'u-sec-u1', toOrgId: 'org-u1', reason: '请单位党组把关' });
    expect(transferred.statusCode, transferred.body).toBe(200);
    // The action's answer carries the names too, the new reviewer among them.
    expect(transferred.json().names.users['u-sec-u1']).toBe('市财政局党组书记');
    expect(transferred.json().names.orgs['org-u1']).toBe('市财政局党组');

    const delegated = await h.post('u-sec-u1', `/projects/${id}/review/delegate`, { toUserId: 'u-sec-b1', toOrgId: 'org-b1', note: '请提意见' });
    expect(delegated.statusCode, delegated.body).toBe(200);
    expect(delegated.json().names.users['u-sec-b1']).toBe('预算处党支部书记');
    expect((await h.post('u-sec-b1', `/projects/${id}/review/opinion`, { recommendation: 'approve', opinion: '同意' })).statusCode).toBe(200);
    expect((await h.post('u-sec-u1', `/projects/${id}/review`, { decision: 'approve', comment: '同意立项' })).statusCode).toBe(200);
    expect((await h.post('u-sec-oc1', `/projects/${id}/letter`, { text: '责任书：按期完成各项指标。' })).statusCode).toBe(200);
    const decomposed = await h.post('u-sec-oc1', `/projects/${id}/decompose`, { children: [{ orgId: 'org-b2', secretaryId: 'u-sec-b2', title: '办公室子项目' }] });
    expect(decomposed.statusCode, decomposed.body).toBe(200);

    const read = (await h.get('u-sec-oc1', `/projects/${id}`)).json();
    expect(read.names.users).toMatchObject({
      'u-sec-oc1': '市财政局机关党委书记',
      'u-committee': '工委审核员',
      'u-sec-u1': '市财政局党组书记',
      'u-sec-b1': '预算处党支部书记',
      'u-sec-b2': '办公室党支部书记',
    });
    expect(read.names.orgs).toMatchObject({ 'org-oc1': '市财政局机关党委', 'org-u1': '市财政局党组', 'org-b1': '预算处党支部', 'org-b2': '办公室党支部' });
    // Every id the answer shows for a person or an org is named.
    expect(read.names.users[read.leadSecretaryId]).toBeDefined();
    expect(read.names.users[read.reviewer.userId]).toBeDefined();
    for (const c of read.children) {
      expect(read.names.orgs[c.orgId]).toBeDefined();
      expect(read.names.users[c.secretaryId]).toBeDefined();
    }

    // The auditor's timeline names who acted and the people and orgs its changes show (the reviewer
    // transferred to, the sub-project's org and secretary), not only the actors.
    const timeline = await h.get('u-auditor', `/audit/projects/${id}/timeline`);
    expect(timeline.statusCode, timeline.body).toBe(200);
    expect(timeline.json().names.users).toMatchObject({ 'u-sec-oc1': '市财政局机关党委书记', 'u-committee': '工委审核员', 'u-sec-u1': '市财政局党组书记', 'u-sec-b1': '预算处党支部书记', 'u-sec-b2': '办公室党支部书记' });
    expect(timeline.json().names.orgs).toMatchObject({ 'org-oc1': '市财政局机关党委', 'org-b2': '办公室党支部' });
  });

  it('a reviewer the directory does not know is named by their id; the timeline labels the review timer and names the people', async () => {
    const id = await h.propose('u-sec-oc1', cycle, '未知审核人项目');
    expect((await h.post('u-sec-oc1', `/projects/${id}/submit`)).statusCode).toBe(200);
    const transferred = await h.post('u-committee', `/projects/${id}/review/transfer`, { toUserId: 'u-not-in-directory', toOrgId: 'org-u2' });
    expect(transferred.statusCode, transferred.body).toBe(200);
    expect(transferred.json().names.users['u-not-in-directory']).toBe('u-not-in-directory');
    expect(transferred.json().names.orgs['org-u2']).toBe('市教育局党组');

    // Wait for the review timer's reminder (2 s after the transfer restarts the round's clock).
    let timeline: { entries: { actor: { userId: string; system: boolean } }[]; names: { users: Record<string, string>; orgs: Record<string, string> } } | undefined;
    for (let i = 0; i < 60; i += 1) {
      const answer = await h.get('u-auditor', `/audit/projects/${id}/timeline`);
      expect(answer.statusCode, answer.body).toBe(200);
      timeline = answer.json();
      if (timeline!.entries.some((e) => e.actor.system)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const timer = timeline!.entries.find((e) => e.actor.system);
    expect(timer?.actor.userId).toBe('system:timer');
    expect(timeline!.names.users['system:timer']).toBe('系统（定时器）');
    expect(timeline!.names.users['u-sec-oc1']).toBe('市财政局机关党委书记');
    expect(timeline!.names.users['u-committee']).toBe('工委审核员');
    // Every actor of the timeline is named.
    for (const e of timeline!.entries) expect(timeline!.names.users[e.actor.userId]).toBeDefined();
  });

  it('who may read the project is unchanged: a secretary of another unit gets 404, a member 404, without signing in 401', async () => {
    const id = await h.propose('u-sec-oc1', cycle, '可见性不变项目');
    const stranger = await h.get('u-sec-b3', `/projects/${id}`);
    expect(stranger.statusCode).toBe(404);
    expect(stranger.json().detail).toBe(`找不到项目 ${id}，或您无权查看该项目。`);
    expect(stranger.json().names).toBeUndefined();
    expect((await h.get('u-member-b1', `/projects/${id}`)).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: `/projects/${id}` })).statusCode).toBe(401);
    // The timeline stays the auditors' and the committee's.
    const timeline = await h.get('u-sec-oc1', `/audit/projects/${id}/timeline`);
    expect(timeline.statusCode).toBe(403);
    expect(timeline.json().detail).toBe('只有审计人员和工委工作人员可以查看审计回放与核验。');
  });
});
