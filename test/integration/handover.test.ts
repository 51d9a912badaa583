/**
 * Secretary handover (换届/调动) end to end: the committee changes an org's secretary and
 * `handOverOrg` passes the open projects, pending reviews and sub-projects of the outgoing
 * secretary to the incoming one, each through its workflow (a `handOver` event by the committee
 * user); the incoming secretary acts, the outgoing one no longer can, and the audit verifies.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { verifyProject, type AuditDeps } from '../../audit';
import { issueToken } from '../../db/auth';
import { createFileContentStore } from '../../db/content-store';
import { handOverOrg, type HandOverInput } from '../../services/handover';
import { getProjectQuery, projectWorkflowId } from '../../workflows/messages';
import { compressedCycle, postpone, proposal } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';
import { waitUntil } from '../helpers/wait';

describe('handover (换届/调动): an org’s secretary changes mid-year', () => {
  const cycle = postpone(compressedCycle('cy-handover', Date.now()), 30 * 60_000);
  const h = useHarness({ name: 'handover', cycle });
  const { post } = h;
  const committee = { userId: cycle.committee.userId, role: 'committee' as const, orgId: cycle.committee.orgId };
  const tokens: Record<string, string> = {};
  let deps: AuditDeps;

  /** As a user the cast does not know (a secretary appointed mid-year). */
  const postAs = (userId: string, url: string, payload: object = {}) =>
    h.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${tokens[userId] ?? h.cast.tokens[userId]}` }, payload });

  async function propose(userId: string, title: string): Promise<string> {
    const { title: _t, ...rest } = proposal(cycle.year, title);
    const response = await post(userId, '/projects', { cycleId: cycle.cycleId, title, ...rest });
    expect(response.statusCode, response.body).toBe(201);
    return (response.json() as { id: string }).id;
  }

  const stateOf = async (projectId: string) => (await h.temporal.client.workflow.getHandle(projectWorkflowId(cycle.cycleId, projectId)).query(getProjectQuery)).state;

  /** The logged events of a type, once the workflow has persisted at least `count` of them. */
  const loggedEvents = (projectId: string, type: string, count = 1) =>
    waitUntil(`${count} ${type} event(s) of ${projectId} logged`, async () => {
      const rows = await h.db.selectFrom('project_events').select(['seq', 'actor_id', 'actor_role', 'event']).where('project_id', '=', projectId).where('type', '=', type).orderBy('seq').execute();
      return rows.length >= count ? rows : undefined;
    }, 20_000, 100);

  /** Appoints a new secretary of `orgId` (the org-management side of 换届): a user, the org's secretary_id, a token. */
  async function appoint(orgId: string, userId: string) {
    await h.db.insertInto('users').values({ id: userId, name: `${orgId}新任书记`, role: 'secretary', org_id: orgId }).execute();
    await h.db.updateTable('orgs').set({ secretary_id: userId }).where('id', '=', orgId).execute();
    tokens[userId] = await issueToken(h.db, userId, 'test');
  }

  const handOver = (orgId: string, fromUserId: string, toUserId: string): HandOverInput => ({ orgId, fromUserId, toUserId, actor: committee, reason: '换届调整' });

  beforeAll(() => {
    const store = createFileContentStore(fs.mkdtempSync(path.join(os.tmpdir(), 'handover-store-')));
    deps = { db: h.db, temporal: h.temporal.client, store, workflows: { workflowBundlePath: inject('workflowBundlePath') } };
  });

  let lead: string;
  let branchProject: string;
  let childId: string;

  it('the outgoing secretary’s projects and the reviews pending with them pass to the incoming one, through each workflow', async () => {
    // org-oc1's secretary leads a project reviewed by the committee, and reviews a branch's project.
    lead = await propose('u-sec-oc1', '机关党委“先锋引领”领办项目');
    expect((await post('u-sec-oc1', `/projects/${lead}/submit`)).statusCode).toBe(200);
    expect((await post('u-committee', `/projects/${lead}/review`, { decision: 'approve' })).json().stage).toBe('approved');
    branchProject = await propose('u-sec-b1', '预算处支部“业务+党建”项目');
    expect((await post('u-sec-b1', `/projects/${branchProject}/submit`)).statusCode).toBe(200);
    expect((await stateOf(branchProject)).reviewerId).toBe('u-sec-oc1');
    await waitUntil('both projections', async () => {
      const rows = await h.db.selectFrom('projects').select('id').where('id', 'in', [lead, branchProject]).where('stage', 'in', ['approved', 'in_review']).execute();
      return rows.length === 2 ? rows : undefined;
    }, 20_000, 100);

    await appoint('org-oc1', 'u-sec-oc1-new');
    const result = await handOverOrg({ db: h.db, temporal: h.temporal.client }, handOver('org-oc1', 'u-sec-oc1', 'u-sec-oc1-new'));
    expect(result).toEqual({ projects: [lead, branchProject].sort(), failed: [] });

    const led = await stateOf(lead);
    expect(led.leadSecretaryId).toBe('u-sec-oc1-new');
    expect(led.handovers).toEqual([
      expect.objectContaining({ orgId: 'org-oc1', fromUserId: 'u-sec-oc1', toUserId: 'u-sec-oc1-new', by: 'u-committee', lead: true, review: false, reason: '换届调整' }),
    ]);
    const reviewed = await stateOf(branchProject);
    expect(reviewed).toMatchObject({ leadSecretaryId: 'u-sec-b1', reviewerOrgId: 'org-oc1', reviewerId: 'u-sec-oc1-new', assignedReviewer: { orgId: 'org-oc1', userId: 'u-sec-oc1-new' } });
    expect(reviewed.handovers?.[0]).toMatchObject({ lead: false, review: true });

    // The event is in each project's log, with the committee user as its actor.
    for (const id of [lead, branchProject]) {
      const [row] = await loggedEvents(id, 'handOver');
      expect(row).toMatchObject({ actor_id: 'u-committee', actor_role: 'committee' });
      expect(row.event).toMatchObject({ orgId: 'org-oc1', fromUserId: 'u-sec-oc1', toUserId: 'u-sec-oc1-new' });
    }
    const projected = await waitUntil('the projection of the new lead', async () => {
      const row = await h.db.selectFrom('projects').select('lead_secretary_id').where('id', '=', lead).executeTakeFirst();
      return row?.lead_secretary_id === 'u-sec-oc1-new' ? row : undefined;
    }, 20_000, 100);
    expect(projected.lead_secretary_id).toBe('u-sec-oc1-new');
  });

  it('the incoming secretary acts; the outgoing one is refused (403) and changes nothing', async () => {
    const oldLetter = await post('u-sec-oc1', `/projects/${lead}/letter`, { text: '本人承诺履行第一责任人职责' });
    expect(oldLetter.statusCode, oldLetter.body).toBe(403);
    expect(oldLetter.json().rule).toBe('actor.not_lead_secretary');
    const newLetter = await postAs('u-sec-oc1-new', `/projects/${lead}/letter`, { text: '本人接任后承诺履行第一责任人职责' });
    expect(newLetter.statusCode, newLetter.body).toBe(200);
    expect(newLetter.json().stage).toBe('in_progress');
    expect((await stateOf(lead)).letter?.signedBy).toBe('u-sec-oc1-new');

    const oldReview = await post('u-sec-oc1', `/projects/${branchProject}/review`, { decision: 'approve' });
    expect(oldReview.statusCode, oldReview.body).toBe(403);
    const newReview = await postAs('u-sec-oc1-new', `/projects/${branchProject}/review`, { decision: 'approve', comment: '同意立项' });
    expect(newReview.statusCode, newReview.body).toBe(200);
    expect(newReview.json().stage).toBe('approved');
  });

  it('the outgoing secretary, moved to another unit (调动), still reads the project they led; a stranger does not', async () => {
    await h.db.updateTable('users').set({ org_id: 'org-b3' }).where('id', '=', 'u-sec-oc1').execute();
    try {
      const read = await h.get('u-sec-oc1', `/projects/${lead}`);
      expect(read.statusCode, read.body).toBe(200);
      expect(read.json().leadSecretaryId).toBe('u-sec-oc1-new');
      expect((await h.get('u-sec-b3', `/projects/${lead}`)).statusCode).toBe(404);
    } finally {
      await h.db.updateTable('users').set({ org_id: 'org-oc1' }).where('id', '=', 'u-sec-oc1').execute();
    }
  });

  it('a retried handover changes nothing twice', async () => {
    const before = (await stateOf(lead)).version;
    const again = await handOverOrg({ db: h.db, temporal: h.temporal.client }, handOver('org-oc1', 'u-sec-oc1', 'u-sec-oc1-new'));
    expect(again.failed).toEqual([]);
    expect((await stateOf(lead)).version).toBe(before);
    expect((await stateOf(lead)).handovers).toHaveLength(1);
  });

  it('a sub-project passes to the branch’s new secretary by its own handOver; the parent’s entry follows without a reassignment', async () => {
    const decomposed = await postAs('u-sec-oc1-new', `/projects/${lead}/decompose`, { children: [{ orgId: 'org-b2', secretaryId: 'u-sec-b2', title: '办公室支部子项目' }] });
    expect(decomposed.statusCode, decomposed.body).toBe(200);
    childId = (await stateOf(lead)).children[0].id;
    await waitUntil('the sub-project and its parent’s entry projected', async () => {
      const child = await h.db.selectFrom('projects').select('id').where('id', '=', childId).executeTakeFirst();
      const parent = await h.db.selectFrom('projects').select('state').where('id', '=', lead).executeTakeFirstOrThrow();
      return child && parent.state.children.length === 1 ? child : undefined;
    }, 20_000, 100);

    await appoint('org-b2', 'u-sec-b2-new');
    const result = await handOverOrg({ db: h.db, temporal: h.temporal.client }, handOver('org-b2', 'u-sec-b2', 'u-sec-b2-new'));
    expect(result).toEqual({ projects: [lead, childId].sort(), failed: [] });

    expect((await stateOf(childId)).leadSecretaryId).toBe('u-sec-b2-new');
    expect((await stateOf(lead)).children[0]).toMatchObject({ id: childId, orgId: 'org-b2', secretaryId: 'u-sec-b2-new' });
    const [childEvent] = await loggedEvents(childId, 'handOver');
    expect(childEvent.actor_id).toBe('u-committee');
    await loggedEvents(lead, 'handOver', 2);
    // The parent does not relay the change as a dispatch reassignment: the child's record stays clean.
    await new Promise((r) => setTimeout(r, 500));
    expect((await stateOf(childId)).reassignments).toEqual([]);

    const evidence = await postAs('u-sec-b2-new', `/projects/${childId}/draft`, { businessGoal: '接任后细化目标' });
    expect(evidence.statusCode, evidence.body).toBe(200);
    expect((await post('u-sec-b2', `/projects/${childId}/draft`, { businessGoal: '原书记' })).statusCode).toBe(403);
  });

  it('the audit verifies the handed-over projects (replay, chain, projection) and shows who led when', async () => {
    for (const id of [lead, branchProject, childId]) {
      const report = await waitUntil(`a clean verification of ${id}`, async () => {
        const r = await verifyProject(deps, id);
        return r.ok ? r : undefined;
      }, 30_000, 500).catch(() => verifyProject(deps, id));
      expect(report.ok, JSON.stringify(report.checks.filter((c) => !c.ok))).toBe(true);
    }
    const handovers = (await stateOf(lead)).handovers ?? [];
    expect(handovers.map((x) => [x.orgId, x.fromUserId, x.toUserId, x.by])).toEqual([
      ['org-oc1', 'u-sec-oc1', 'u-sec-oc1-new', 'u-committee'],
      ['org-b2', 'u-sec-b2', 'u-sec-b2-new', 'u-committee'],
    ]);
  });
});
