/**
 * A cycle opened on the managed org tree: `POST /cycles` without orgs and users uses the tree the
 * committee keeps with /orgs and /users, and keeps an immutable snapshot of it (GET
 * /cycles/:id/orgs) that later changes to the tree do not alter. A committee org that is not in
 * the tree is refused, naming the field, and nothing is written.
 */
import { describe, expect, it } from 'vitest';
import { issueToken } from '../../db/auth';
import { compressedCycle, postpone, proposal } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';

describe('opening a cycle on the managed org tree', () => {
  const h = useHarness({ name: 'cycle_tree', cycle: () => compressedCycle('cy-cast', Date.now() + 3600_000) });
  const managed = postpone(compressedCycle('cy-managed', Date.now()), 3600_000);

  it('opens without orgs or users, snapshots the tree, and the snapshot stays as it was when the tree changes', async () => {
    // The committee grows the tree through the directory: a unit and its secretary.
    expect((await h.post('u-committee', '/orgs', { id: 'org-u9', parentId: 'org-committee', kind: 'unit', name: '市审计局党组' })).statusCode).toBe(201);
    const user = await h.post('u-committee', '/users', { id: 'u-sec-u9', name: '审计局书记', role: 'secretary', orgId: 'org-u9' });
    expect(user.statusCode, user.body).toBe(201);
    const appointed = await h.app.inject({ method: 'PATCH', url: '/orgs/org-u9', headers: h.as('u-committee'), payload: { secretaryId: 'u-sec-u9' } });
    expect(appointed.statusCode, appointed.body).toBe(200);

    const opened = await h.post('u-committee', '/cycles', { cycle: managed, projects: [] });
    expect(opened.statusCode, opened.body).toBe(201);
    const orgCount = (await h.db.selectFrom('orgs').select('id').where('closed_at', 'is', null).execute()).length;
    expect(opened.json().orgTree).toMatchObject({ orgs: orgCount });

    const snapshot = await h.get('u-auditor', '/cycles/cy-managed/orgs');
    expect(snapshot.statusCode, snapshot.body).toBe(200);
    expect(snapshot.json().orgs).toContainEqual({ id: 'org-u9', parentId: 'org-committee', kind: 'unit', name: '市审计局党组', secretaryId: 'u-sec-u9' });

    // The tree changes after opening; the cycle's record of it does not.
    const renamed = await h.app.inject({ method: 'PATCH', url: '/orgs/org-u9', headers: h.as('u-committee'), payload: { name: '市审计局党委' } });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect((await h.get('u-auditor', '/cycles/cy-managed/orgs')).json()).toEqual(snapshot.json());

    // The new unit's secretary takes part in the cycle opened on the managed tree.
    const token = await issueToken(h.db, 'u-sec-u9', 'test');
    const { title, ...rest } = proposal(managed.year, '审计整改闭环项目');
    const proposed = await h.app.inject({ method: 'POST', url: '/projects', headers: { authorization: `Bearer ${token}` }, payload: { cycleId: 'cy-managed', title, ...rest } });
    expect(proposed.statusCode, proposed.body).toBe(201);
  });

  it('refuses a cycle whose committee org is not in the managed tree, naming the field, and writes nothing', async () => {
    const stray = { ...postpone(compressedCycle('cy-stray', Date.now()), 3600_000), committee: { orgId: 'org-nowhere', userId: 'u-committee' } };
    const refused = await h.post('u-committee', '/cycles', { cycle: stray, projects: [] });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors.map((e: { field: string }) => e.field)).toContain('cycle.committee.orgId');
    expect(await h.db.selectFrom('cycles').select('id').where('id', '=', 'cy-stray').executeTakeFirst()).toBeUndefined();
  });

  it('shows the snapshot only to the committee, inspectors and auditors', async () => {
    expect((await h.get('u-sec-oc1', '/cycles/cy-managed/orgs')).statusCode).toBe(403);
    expect((await h.get('u-member-b1', '/cycles/cy-managed/orgs')).statusCode).toBe(403);
    expect((await h.get('u-inspector', '/cycles/cy-managed/orgs')).statusCode).toBe(200);
    expect((await h.get('u-committee', '/cycles/cy-nothing/orgs')).statusCode).toBe(404);
  });
});
