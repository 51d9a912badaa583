/**
 * Orgs and people as managed data (组织与人员管理), on the real PostgreSQL and Temporal of the
 * suite: the authorisation matrix of every directory route for every role of the cast and no token
 * (refusals change nothing: the directory, the assignments, the security log, tokens and sessions
 * read back identical); the happy paths; every validation refusal with its status and field, and
 * nothing changed; a disabled user's token refused at once; one-time passwords answered once and
 * stored as argon2id; the security log; and a secretary change handing the old secretary's open
 * project over to the new one through its workflow.
 */
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { issueToken } from '../../db/auth';
import { createSession } from '../../db/identity';
import { compressedCycle, HOUR, proposal } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';
import { waitUntil } from '../helpers/wait';

describe('orgs and people as managed data', () => {
  // The calendar lies an hour ahead: a project proposed here stays a draft, open, while the file runs.
  const cycle = compressedCycle('cy-directory', Date.now() + HOUR);
  const h = useHarness({ name: 'directory', cycle, app: { rateLimitPerMinute: 100_000 } });

  type Method = 'GET' | 'POST' | 'PATCH' | 'PUT';
  const call = (userId: string | null, method: Method, url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> =>
    h.app.inject({
      method,
      url,
      headers: { ...(userId ? h.as(userId) : {}), ...(payload === undefined ? {} : { 'content-type': 'application/json' }), 'user-agent': 'directory-test', ...headers },
      payload: payload === undefined ? undefined : JSON.stringify(payload),
    });

  /** Everything a directory route could change. */
  async function snapshot() {
    const [orgs, users, assignments, events, tokens, sessions] = await Promise.all([
      h.db.selectFrom('orgs').selectAll().orderBy('id').execute(),
      h.db.selectFrom('users').selectAll().orderBy('id').execute(),
      h.db.selectFrom('inspector_assignments').selectAll().orderBy('inspector_id').orderBy('org_id').execute(),
      h.db.selectFrom('security_events').select(['id', 'kind', 'subject']).orderBy('id').execute(),
      h.db.selectFrom('api_tokens').select(['token_hash', 'revoked_at']).orderBy('token_hash').execute(),
      h.db.selectFrom('sessions').select(['id_hash', 'revoked_at']).orderBy('id_hash').execute(),
    ]);
    return { orgs, users, assignments, events, tokens, sessions };
  }

  /** The request is refused with this status (and field), and nothing changes. */
  async function refused(response: Promise<LightMyRequestResponse>, status: number, field?: string) {
    const before = await snapshot();
    const r = await response;
    expect(r.statusCode, r.body).toBe(status);
    expect(r.headers['content-type']).toContain('application/problem+json');
    const problem = r.json();
    expect(problem.detail).toMatch(/[\u4e00-\u9fff]/);
    if (field !== undefined) expect(problem.field, r.body).toBe(field);
    const after = await snapshot();
    expect(isDeepStrictEqual(after, before), 'a refusal changed something').toBe(true);
    return problem as { field?: string; rule?: string; detail: string };
  }

  const events = async (subject: string) => h.db.selectFrom('security_events').selectAll().where('subject', '=', subject).orderBy('id').execute();

  // ---- The authorisation matrix -------------------------------------------------------------

  const CALLERS = [null, 'u-committee', 'u-auditor', 'u-inspector', 'u-member-b1', 'u-sec-u1', 'u-sec-oc1', 'u-sec-b1', 'u-sec-b3'] as const;
  type Caller = (typeof CALLERS)[number];
  const SECRETARIES: readonly Caller[] = ['u-sec-u1', 'u-sec-oc1', 'u-sec-b1', 'u-sec-b3'];

  interface Cell {
    method: Method;
    url: string;
    body?: unknown;
    /** Who is answered 2xx. */
    allowed: readonly Caller[];
  }

  const READS: Cell[] = [
    { method: 'GET', url: '/orgs', allowed: ['u-committee', 'u-auditor', ...SECRETARIES] },
    { method: 'GET', url: '/orgs/org-b1', allowed: ['u-committee', 'u-auditor', 'u-sec-u1', 'u-sec-oc1', 'u-sec-b1'] },
    { method: 'GET', url: '/orgs/org-oc1/tree', allowed: ['u-committee', 'u-auditor', 'u-sec-u1', 'u-sec-oc1'] },
    { method: 'GET', url: '/users', allowed: ['u-committee', 'u-auditor', ...SECRETARIES] },
    { method: 'GET', url: '/users/u-member-b1', allowed: ['u-committee', 'u-auditor', 'u-sec-u1', 'u-sec-oc1', 'u-sec-b1'] },
    { method: 'GET', url: '/inspector-assignments', allowed: ['u-committee', 'u-auditor', 'u-inspector', ...SECRETARIES] },
    { method: 'GET', url: '/security-events', allowed: ['u-committee', 'u-auditor'] },
  ];

  it('reads: committee staff and auditors read everything, a secretary their own subtree (404 outside it), inspectors their assignments, members nothing', async () => {
    for (const cell of READS) {
      for (const caller of CALLERS) {
        const before = await snapshot();
        const r = await call(caller, cell.method, cell.url);
        const expected = caller === null ? 401 : cell.allowed.includes(caller) ? 200 : null;
        if (expected !== null) expect(r.statusCode, `${caller} ${cell.method} ${cell.url}: ${r.body}`).toBe(expected);
        else expect([403, 404], `${caller} ${cell.method} ${cell.url}: ${r.body}`).toContain(r.statusCode);
        if (r.statusCode >= 400) expect(r.headers['content-type']).toContain('application/problem+json');
        expect(isDeepStrictEqual(await snapshot(), before)).toBe(true);
      }
    }
    // Scoped lists: a secretary sees their subtree only, whatever the filter asks.
    const orgIds = (await call('u-sec-oc1', 'GET', '/orgs')).json().items.map((o: { id: string }) => o.id);
    expect(orgIds.sort()).toEqual(['org-b1', 'org-b2', 'org-oc1']);
    expect((await call('u-sec-oc1', 'GET', '/orgs?parent=org-u2')).json().total).toBe(0);
    const userIds = (await call('u-sec-oc1', 'GET', '/users')).json().items.map((u: { id: string }) => u.id);
    expect(userIds.sort()).toEqual(['u-member-b1', 'u-sec-b1', 'u-sec-b2', 'u-sec-oc1']);
    expect((await call('u-sec-oc1', 'GET', '/users/u-sec-u2')).statusCode).toBe(404);
    expect((await call('u-sec-oc1', 'GET', '/orgs/org-u1')).statusCode).toBe(404);
    expect((await call('u-inspector', 'GET', '/inspector-assignments')).json().items).toEqual([
      { inspectorId: 'u-inspector', inspectorName: '督查员', orgId: cycle.committee.orgId, orgName: '市直机关工委' },
    ]);
  });

  it('writes: only committee staff change the directory; every other caller is refused (401/403) and nothing changes', async () => {
    // Fixtures on which each write succeeds for committee staff.
    expect((await call('u-committee', 'POST', '/orgs', { id: 'org-mx-leaf', parentId: 'org-oc2', kind: 'branch', name: '矩阵测试党支部' })).statusCode).toBe(201);
    expect((await call('u-committee', 'POST', '/users', { id: 'u-mx', name: '矩阵测试党员', role: 'member', orgId: 'org-b3', username: 'mx.member' })).statusCode).toBe(201);
    expect((await call('u-committee', 'POST', '/users', { id: 'u-mx-off', name: '矩阵停用人员', role: 'member', orgId: 'org-b3' })).statusCode).toBe(201);
    expect((await call('u-committee', 'POST', '/users/u-mx-off/disable', {})).statusCode).toBe(200);
    const WRITES: Cell[] = [
      { method: 'POST', url: '/orgs', body: { id: 'org-mx-new', parentId: 'org-oc2', kind: 'branch', name: '矩阵新建党支部' }, allowed: ['u-committee'] },
      { method: 'PATCH', url: '/orgs/org-mx-leaf', body: { name: '矩阵测试党支部（更名）' }, allowed: ['u-committee'] },
      { method: 'POST', url: '/orgs/org-mx-leaf/close', body: {}, allowed: ['u-committee'] },
      { method: 'POST', url: '/orgs/org-b2/handover', body: { fromUserId: 'u-sec-b1' }, allowed: ['u-committee'] },
      { method: 'POST', url: '/users', body: { id: 'u-mx-new', name: '矩阵新建党员', role: 'member', orgId: 'org-b3' }, allowed: ['u-committee'] },
      { method: 'PATCH', url: '/users/u-mx', body: { name: '矩阵测试党员（更名）' }, allowed: ['u-committee'] },
      { method: 'POST', url: '/users/u-mx/reset-password', body: {}, allowed: ['u-committee'] },
      { method: 'POST', url: '/users/u-mx/disable', body: {}, allowed: ['u-committee'] },
      { method: 'POST', url: '/users/u-mx-off/enable', body: {}, allowed: ['u-committee'] },
      { method: 'PUT', url: '/users/u-inspector/inspector-assignments', body: { orgIds: [cycle.committee.orgId, 'org-u1'] }, allowed: ['u-committee'] },
    ];
    for (const cell of WRITES) {
      for (const caller of CALLERS.filter((c) => c === null || !cell.allowed.includes(c))) {
        const r = await refused(call(caller, cell.method, cell.url, cell.body), caller === null ? 401 : 403);
        expect(r.detail.length).toBeGreaterThan(0);
      }
      const ok = await call('u-committee', cell.method, cell.url, cell.body);
      expect(ok.statusCode, `${cell.method} ${cell.url}: ${ok.body}`).toBeLessThan(300);
    }
  });

  // ---- Orgs -------------------------------------------------------------------------------------

  it('creates a unit with its organ committee and branch, appoints their secretaries, and reads the nested tree with their names', async () => {
    const unit = await call('u-committee', 'POST', '/orgs', { id: 'org-u3', parentId: cycle.committee.orgId, kind: 'unit', name: '市卫健委党组' });
    expect(unit.statusCode, unit.body).toBe(201);
    expect(unit.json()).toMatchObject({ id: 'org-u3', parentId: cycle.committee.orgId, kind: 'unit', name: '市卫健委党组', secretaryId: null, closed: false });
    // Creating with a secretary moves that user into the new org.
    expect((await call('u-committee', 'POST', '/users', { id: 'u-sec-u3-oc', name: '卫健委机关党委书记', role: 'secretary', orgId: 'org-u3' })).statusCode).toBe(201);
    const organ = await call('u-committee', 'POST', '/orgs', { id: 'org-u3-oc', parentId: 'org-u3', kind: 'organ_committee', name: '市卫健委机关党委', secretaryId: 'u-sec-u3-oc' });
    expect(organ.statusCode, organ.body).toBe(201);
    expect(organ.json()).toMatchObject({ secretaryId: 'u-sec-u3-oc', secretaryName: '卫健委机关党委书记' });
    expect((await call('u-committee', 'GET', '/users/u-sec-u3-oc')).json().orgId).toBe('org-u3-oc');
    expect((await call('u-committee', 'POST', '/orgs', { id: 'org-u3-b1', parentId: 'org-u3-oc', kind: 'branch', name: '医政处党支部' })).statusCode).toBe(201);

    // A secretary for the unit: created in it, then appointed.
    expect((await call('u-committee', 'POST', '/users', { id: 'u-sec-u3', name: '卫健委党组书记', role: 'secretary', orgId: 'org-u3' })).statusCode).toBe(201);
    const appointed = await call('u-committee', 'PATCH', '/orgs/org-u3', { secretaryId: 'u-sec-u3' });
    expect(appointed.statusCode, appointed.body).toBe(200);
    // Nobody led it before: nothing to hand over.
    expect(appointed.json()).toMatchObject({ org: { secretaryId: 'u-sec-u3', secretaryName: '卫健委党组书记' }, handover: null });

    const tree = await call('u-committee', 'GET', '/orgs/org-u3/tree');
    expect(tree.statusCode, tree.body).toBe(200);
    expect(tree.json()).toEqual({
      id: 'org-u3',
      kind: 'unit',
      name: '市卫健委党组',
      secretaryId: 'u-sec-u3',
      secretaryName: '卫健委党组书记',
      closedAt: null,
      children: [
        {
          id: 'org-u3-oc',
          kind: 'organ_committee',
          name: '市卫健委机关党委',
          secretaryId: 'u-sec-u3-oc',
          secretaryName: '卫健委机关党委书记',
          closedAt: null,
          children: [{ id: 'org-u3-b1', kind: 'branch', name: '医政处党支部', secretaryId: null, secretaryName: null, closedAt: null, children: [] }],
        },
      ],
    });
    const whole = (await call('u-auditor', 'GET', `/orgs/${cycle.committee.orgId}/tree`)).json();
    expect(whole.children.map((c: { id: string }) => c.id)).toEqual(['org-u1', 'org-u2', 'org-u3']);
    expect(whole.secretaryName).toBe('工委审核员');

    // Lists: filters and paging.
    expect((await call('u-committee', 'GET', '/orgs?kind=unit')).json().items.map((o: { id: string }) => o.id)).toEqual(['org-u1', 'org-u2', 'org-u3']);
    expect((await call('u-committee', 'GET', `/orgs?parent=org-u3`)).json().items.map((o: { id: string }) => o.id)).toEqual(['org-u3-oc']);
    expect((await call('u-committee', 'GET', `/orgs?q=${encodeURIComponent('卫健委')}`)).json().total).toBe(2);
    const page = (await call('u-committee', 'GET', '/orgs?limit=2&offset=1')).json();
    expect(page).toMatchObject({ limit: 2, offset: 1 });
    expect(page.items).toHaveLength(2);
    expect(page.total).toBeGreaterThan(3);

    const created = await events('org-u3');
    expect(created.map((e) => e.kind)).toEqual(['org_created', 'secretary_changed']);
    expect(created[1]).toMatchObject({ actor_id: 'u-committee', user_agent: 'directory-test', detail: { changes: { secretaryId: { from: null, to: 'u-sec-u3' } } } });
    expect(created[1].ip).toBeTruthy();
  });

  it('renames and moves an org, each change recorded old → new', async () => {
    const renamed = await call('u-committee', 'PATCH', '/orgs/org-u3-b1', { name: '医政医管处党支部' });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json().org.name).toBe('医政医管处党支部');
    const moved = await call('u-committee', 'PATCH', '/orgs/org-u3-b1', { parentId: 'org-oc2' });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json().org.parentId).toBe('org-oc2');
    const log = await events('org-u3-b1');
    expect(log.map((e) => [e.kind, e.detail])).toEqual([
      ['org_created', { parentId: 'org-u3-oc', kind: 'branch', name: '医政处党支部' }],
      ['org_changed', { changes: { name: { from: '医政处党支部', to: '医政医管处党支部' } } }],
      ['org_moved', { changes: { parentId: { from: 'org-u3-oc', to: 'org-oc2' } } }],
    ]);
    // A PATCH that changes nothing records nothing.
    expect((await call('u-committee', 'PATCH', '/orgs/org-u3-b1', { name: '医政医管处党支部', parentId: 'org-oc2' })).statusCode).toBe(200);
    expect(await events('org-u3-b1')).toHaveLength(3);
    expect((await call('u-committee', 'PATCH', '/orgs/org-u3-b1', { parentId: 'org-u3-oc' })).statusCode).toBe(200);
  });

  it('every refusal of an org change names the field and changes nothing', async () => {
    const post = (body: unknown) => call('u-committee', 'POST', '/orgs', body);
    const patch = (id: string, body: unknown) => call('u-committee', 'PATCH', `/orgs/${id}`, body);
    const committeeOrg = cycle.committee.orgId;
    await refused(post({ id: 'org-u1', parentId: committeeOrg, kind: 'unit', name: '重复编号' }), 409, 'id');
    await refused(post({ id: 'org-x1', parentId: 'org-nowhere', kind: 'unit', name: '无上级' }), 400, 'parentId');
    await refused(post({ id: 'org-x1', parentId: committeeOrg, kind: 'committee', name: '第二个工委在工委下' }), 400, 'parentId');
    await refused(post({ id: 'org-x1', kind: 'unit', name: '没有上级的单位' }), 400, 'parentId');
    await refused(post({ id: 'org-x1', parentId: null, kind: 'branch', name: '没有上级的支部' }), 400, 'parentId');
    await refused(post({ id: 'org-x1', parentId: 'org-u1', kind: 'branch', name: '单位下直接设支部' }), 400, 'parentId');
    await refused(post({ id: 'org-x1', parentId: 'org-b1', kind: 'branch', name: '支部下设支部' }), 400, 'parentId');
    await refused(post({ id: 'org-x1', parentId: 'org-oc1', kind: 'branch', name: '预算处党支部' }), 409, 'name');
    await refused(post({ id: 'org-x1', parentId: 'org-oc1', kind: 'branch', name: '   ' }), 400, 'name');
    await refused(post({ id: 'org x1', parentId: 'org-oc1', kind: 'branch', name: '编号含空格' }), 400, 'id');
    await refused(post({ id: 'org-x1', parentId: 'org-oc1', kind: 'cell', name: '未知类型' }), 400, 'kind');
    await refused(post({ id: 'org-x1', parentId: 'org-oc1', kind: 'branch', name: '多余字段', extra: 1 }), 400);
    await refused(post({ id: 'org-x1', parentId: 'org-oc1', kind: 'branch', name: '未知书记', secretaryId: 'u-nobody' }), 400, 'secretaryId');
    await refused(post({ id: 'org-x1', parentId: 'org-oc1', kind: 'branch', name: '党员当书记', secretaryId: 'u-member-b1' }), 400, 'secretaryId');
    await refused(post({ id: 'org-x1', parentId: 'org-oc1', kind: 'branch', name: '已是书记', secretaryId: 'u-sec-b1' }), 409, 'secretaryId');

    // The tree stays a tree.
    await refused(patch('org-u1', { parentId: 'org-u1' }), 400, 'parentId');
    await refused(patch('org-u1', { parentId: 'org-b1' }), 400, 'parentId');
    await refused(patch('org-u1', { parentId: 'org-oc1' }), 400, 'parentId');
    await refused(patch('org-b1', { parentId: 'org-nowhere' }), 400, 'parentId');
    await refused(patch('org-b1', { parentId: 'org-u2' }), 400, 'parentId');
    await refused(patch('org-b1', { parentId: null }), 400, 'parentId');
    await refused(patch(committeeOrg, { parentId: 'org-u1' }), 400, 'parentId');
    await refused(patch('org-b2', { name: '预算处党支部' }), 409, 'name');
    // A secretary belongs to the org they lead, is enabled, and is a secretary.
    await refused(patch('org-b1', { secretaryId: 'u-sec-b2' }), 400, 'secretaryId');
    await refused(patch('org-b1', { secretaryId: 'u-member-b1' }), 400, 'secretaryId');
    await refused(patch('org-b1', { secretaryId: 'u-nobody' }), 400, 'secretaryId');
    expect((await call('u-committee', 'POST', '/users', { id: 'u-b1-off', name: '停用书记候选', role: 'secretary', orgId: 'org-b1' })).statusCode).toBe(201);
    expect((await call('u-committee', 'POST', '/users/u-b1-off/disable', {})).statusCode).toBe(200);
    await refused(patch('org-b1', { secretaryId: 'u-b1-off' }), 400, 'secretaryId');
    await refused(patch('org-nowhere', { name: '不存在' }), 404);

    // Closing: not while it has open child orgs or people other than its secretary.
    await refused(call('u-committee', 'POST', '/orgs/org-oc1/close', {}), 409, 'id');
    await refused(call('u-committee', 'POST', '/orgs/org-b1/close', {}), 409, 'id');
    await refused(call('u-committee', 'POST', '/orgs/org-nowhere/close', {}), 404);
  });

  it('closes an org once it is empty; a closed org takes no children, people or changes, and its secretary can then leave', async () => {
    expect((await call('u-committee', 'POST', '/orgs', { id: 'org-u3-b9', parentId: 'org-u3-oc', kind: 'branch', name: '待撤销党支部' })).statusCode).toBe(201);
    expect((await call('u-committee', 'POST', '/users', { id: 'u-sec-u3-b9', name: '待撤销支部书记', role: 'secretary', orgId: 'org-u3-b9' })).statusCode).toBe(201);
    expect((await call('u-committee', 'POST', '/users', { id: 'u-member-u3-b9', name: '待撤销支部党员', role: 'member', orgId: 'org-u3-b9' })).statusCode).toBe(201);
    expect((await call('u-committee', 'PATCH', '/orgs/org-u3-b9', { secretaryId: 'u-sec-u3-b9' })).statusCode).toBe(200);
    const busy = await refused(call('u-committee', 'POST', '/orgs/org-u3-b9/close', {}), 409, 'id');
    expect(busy.detail).toContain('u-member-u3-b9');
    expect((await call('u-committee', 'PATCH', '/users/u-member-u3-b9', { orgId: 'org-u3-b1' })).statusCode).toBe(200);
    // Its secretary may not leave or be disabled while leading it.
    await refused(call('u-committee', 'PATCH', '/users/u-sec-u3-b9', { orgId: 'org-u3-b1' }), 409, 'orgId');
    await refused(call('u-committee', 'POST', '/users/u-sec-u3-b9/disable', {}), 409, 'id');

    const closedOrg = await call('u-committee', 'POST', '/orgs/org-u3-b9/close', { reason: '机构改革' });
    expect(closedOrg.statusCode, closedOrg.body).toBe(200);
    expect(closedOrg.json()).toMatchObject({ closed: true, closedAt: expect.any(String) });
    expect((await events('org-u3-b9')).at(-1)).toMatchObject({ kind: 'org_closed', detail: { reason: '机构改革' } });

    await refused(call('u-committee', 'POST', '/orgs/org-u3-b9/close', {}), 409, 'id');
    await refused(call('u-committee', 'PATCH', '/orgs/org-u3-b9', { name: '改名' }), 409, 'id');
    await refused(call('u-committee', 'POST', '/users', { id: 'u-late', name: '迟到', role: 'member', orgId: 'org-u3-b9' }), 409, 'orgId');
    await refused(call('u-committee', 'PUT', '/users/u-inspector/inspector-assignments', { orgIds: ['org-u3-b9'] }), 409, 'orgIds.0');
    // Closed orgs leave the lists and the tree unless asked for.
    expect((await call('u-committee', 'GET', '/orgs?parent=org-u3-oc')).json().items.map((o: { id: string }) => o.id)).toEqual(['org-u3-b1']);
    expect((await call('u-committee', 'GET', '/orgs?parent=org-u3-oc&includeClosed=true')).json().items.map((o: { id: string }) => o.id)).toEqual(['org-u3-b1', 'org-u3-b9']);
    expect((await call('u-committee', 'GET', '/orgs/org-u3-oc/tree?includeClosed=true')).json().children).toHaveLength(2);
    // Now its secretary can be disabled.
    expect((await call('u-committee', 'POST', '/users/u-sec-u3-b9/disable', {})).statusCode).toBe(200);
  });

  // ---- Users -----------------------------------------------------------------------------------

  it('creates a user with a username and mobile number: the initial password is answered once, stored as argon2id, and must be changed', async () => {
    const r = await call('u-committee', 'POST', '/users', { id: 'u-zhang', name: '张三', role: 'member', orgId: 'org-b1', username: ' ＺｈａｎｇＳａｎ ', mobile: '１３８ ０013 8000' });
    expect(r.statusCode, r.body).toBe(201);
    const body = r.json();
    expect(body.user).toMatchObject({ id: 'u-zhang', username: 'zhangsan', mobile: '13800138000', hasPassword: true, mustChangePassword: true, disabled: false, orgName: '预算处党支部' });
    expect(body.initialPassword).toMatch(/^\S{10,}$/);
    expect(r.body).not.toMatch(/argon2|password_hash|passwordHash/);
    const row = await h.db.selectFrom('users').select(['password_hash', 'must_change_password']).where('id', '=', 'u-zhang').executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(row.password_hash).not.toContain(body.initialPassword);
    expect(row.must_change_password).toBe(true);
    // Read back: never the password, never its hash.
    for (const url of ['/users/u-zhang', '/users?q=zhang']) {
      const read = await call('u-committee', 'GET', url);
      expect(read.statusCode).toBe(200);
      expect(read.body).not.toContain(body.initialPassword);
      expect(read.body).not.toMatch(/argon2|password_hash|passwordHash/);
    }
    // No login, no password.
    const plain = await call('u-committee', 'POST', '/users', { id: 'u-li', name: '李四', role: 'member', orgId: 'org-b1' });
    expect(plain.json()).toMatchObject({ user: { hasPassword: false, mustChangePassword: false }, initialPassword: null });
    expect((await events('u-zhang'))[0]).toMatchObject({ kind: 'user_created', actor_id: 'u-committee', detail: { username: 'zhangsan', mobile: '13800138000', initialPassword: true } });
    expect(JSON.stringify(await events('u-zhang'))).not.toContain(body.initialPassword);
    // Lists: filters.
    expect((await call('u-committee', 'GET', '/users?org=org-b1&role=member')).json().items.map((u: { id: string }) => u.id)).toEqual(['u-li', 'u-member-b1', 'u-zhang']);
    expect((await call('u-committee', 'GET', '/users?under=org-oc1&role=secretary')).json().items.map((u: { id: string }) => u.id)).toEqual(['u-b1-off', 'u-sec-b1', 'u-sec-b2', 'u-sec-oc1'].filter((id) => id !== 'u-b1-off'));
    expect((await call('u-committee', 'GET', '/users?under=org-oc1&role=secretary&includeDisabled=true')).json().total).toBe(4);
    expect((await call('u-committee', 'GET', '/users?q=13800138000')).json().items.map((u: { id: string }) => u.id)).toEqual(['u-zhang']);
  });

  it('an Idempotency-Key is refused where the answer carries a one-time password (it would be stored for replay)', async () => {
    await refused(call('u-committee', 'POST', '/users', { id: 'u-idem', name: '幂等', role: 'member', orgId: 'org-b1', username: 'idem.user' }, { 'idempotency-key': 'key-12345678' }), 400, 'Idempotency-Key');
    await refused(call('u-committee', 'POST', '/users/u-zhang/reset-password', {}, { 'idempotency-key': 'key-87654321' }), 400, 'Idempotency-Key');
    expect(await h.db.selectFrom('idempotency_keys').selectAll().where('key', 'in', ['key-12345678', 'key-87654321']).execute()).toEqual([]);
  });

  it('every refusal of a user change names the field and changes nothing', async () => {
    const post = (body: Record<string, unknown>) => call('u-committee', 'POST', '/users', { id: 'u-new', name: '新人', role: 'member', orgId: 'org-b1', ...body });
    const patch = (id: string, body: unknown) => call('u-committee', 'PATCH', `/users/${id}`, body);
    await refused(post({ id: 'u-zhang' }), 409, 'id');
    await refused(post({ orgId: 'org-nowhere' }), 400, 'orgId');
    await refused(post({ role: 'inspector' }), 400, 'role');
    await refused(post({ role: 'boss' }), 400, 'role');
    await refused(post({ name: ' ' }), 400, 'name');
    await refused(post({ mobile: '12345' }), 400, 'mobile');
    await refused(post({ mobile: '23800138000' }), 400, 'mobile');
    await refused(post({ mobile: '13800138000' }), 409, 'mobile');
    await refused(post({ username: 'ZHANGSAN' }), 409, 'username');
    await refused(post({ username: 'ｚｈａｎｇｓａｎ' }), 409, 'username');
    // One sign-in field takes a name or a mobile number: neither may reach two accounts.
    await refused(post({ username: '13800138000' }), 409, 'username');
    await refused(post({ username: 'has space' }), 400, 'username');
    await refused(post({ password: 'Chosen-By-Me-1' }), 400);

    await refused(patch('u-nobody', { name: 'x' }), 404);
    await refused(patch('u-li', { mobile: '１３８００１３８０００' }), 409, 'mobile');
    await refused(patch('u-li', { username: 'zhangsan' }), 409, 'username');
    await refused(patch('u-li', { orgId: 'org-nowhere' }), 400, 'orgId');
    await refused(patch('u-li', { role: 'auditor' }), 400, 'role');
    await refused(patch('u-li', { oidcSubject: '  ' }), 400, 'oidcSubject');
    expect((await patch('u-zhang', { oidcSubject: 'sso|zhang' })).statusCode).toBe(200);
    await refused(patch('u-li', { oidcSubject: 'sso|zhang' }), 409, 'oidcSubject');
    // A secretary stays in the org they lead, and stays a secretary, until replaced.
    await refused(patch('u-sec-b1', { orgId: 'org-b2' }), 409, 'orgId');
    await refused(patch('u-sec-b1', { role: 'member' }), 409, 'role');
    // One's own role is changed by someone else.
    await refused(patch('u-committee', { role: 'auditor' }), 409, 'role');
    // An inspector with assignments keeps the role until they are cleared.
    await refused(patch('u-inspector', { role: 'auditor' }), 409, 'role');

    await refused(call('u-committee', 'POST', '/users/u-committee/disable', {}), 409, 'id');
    await refused(call('u-committee', 'POST', '/users/u-sec-b1/disable', {}), 409, 'id');
    await refused(call('u-committee', 'POST', '/users/u-nobody/disable', {}), 404);
    await refused(call('u-committee', 'POST', '/users/u-li/reset-password', {}), 409, 'username');
    await refused(call('u-committee', 'POST', '/users/u-nobody/reset-password', {}), 404);

    const put = (id: string, orgIds: unknown) => call('u-committee', 'PUT', `/users/${id}/inspector-assignments`, { orgIds });
    await refused(put('u-sec-b1', ['org-b1']), 409, 'role');
    await refused(put('u-inspector', ['org-u1', 'org-nowhere']), 400, 'orgIds.1');
    await refused(put('u-inspector', ['org-u1', 'org-u1']), 400, 'orgIds.1');
    await refused(put('u-inspector', 'org-u1'), 400, 'orgIds');
    await refused(put('u-nobody', []), 404);
  });

  it('edits a user (name, role, org, logins) with every change recorded old → new', async () => {
    const r = await call('u-committee', 'PATCH', '/users/u-li', { name: '李四（调入）', orgId: 'org-b2', role: 'secretary', username: 'lisi', mobile: '13900139000' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ name: '李四（调入）', orgId: 'org-b2', role: 'secretary', username: 'lisi', mobile: '13900139000' });
    expect((await events('u-li')).at(-1)).toMatchObject({
      kind: 'user_changed',
      detail: {
        changes: {
          name: { from: '李四', to: '李四（调入）' },
          orgId: { from: 'org-b1', to: 'org-b2' },
          role: { from: 'member', to: 'secretary' },
          username: { from: null, to: 'lisi' },
          mobile: { from: null, to: '13900139000' },
        },
      },
    });
    const cleared = await call('u-committee', 'PATCH', '/users/u-li', { mobile: null });
    expect(cleared.json().mobile).toBeNull();
  });

  it('inspector assignments are replaced as a whole and recorded', async () => {
    const r = await call('u-committee', 'PUT', '/users/u-inspector/inspector-assignments', { orgIds: ['org-u2', 'org-u1'] });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ inspectorId: 'u-inspector', orgIds: ['org-u1', 'org-u2'] });
    expect((await call('u-auditor', 'GET', '/inspector-assignments?inspector=u-inspector')).json().items.map((a: { orgId: string }) => a.orgId)).toEqual(['org-u1', 'org-u2']);
    // A secretary sees the assignments over their subtree.
    expect((await call('u-sec-u1', 'GET', '/inspector-assignments')).json().items.map((a: { orgId: string }) => a.orgId)).toEqual(['org-u1']);
    const log = (await events('u-inspector')).filter((e) => e.kind === 'inspector_assignments_changed').at(-1);
    expect(log?.detail).toMatchObject({ changes: { orgIds: { from: [cycle.committee.orgId, 'org-u1'], to: ['org-u1', 'org-u2'] } }, added: ['org-u2'], removed: [cycle.committee.orgId] });
    // Cleared: then the role may change.
    expect((await call('u-committee', 'PUT', '/users/u-inspector/inspector-assignments', { orgIds: [] })).json().orgIds).toEqual([]);
    expect((await call('u-committee', 'PUT', '/users/u-inspector/inspector-assignments', { orgIds: ['org-u1'] })).statusCode).toBe(200);
  });

  it('disabling a user stops their tokens and sessions at once; enabling lets them sign in again (with new credentials)', async () => {
    expect((await call('u-committee', 'POST', '/users', { id: 'u-leaver', name: '离职人员', role: 'secretary', orgId: 'org-b3' })).statusCode).toBe(201);
    const token = await issueToken(h.db, 'u-leaver', 'test');
    const session = await createSession(h.db, 'u-leaver', 'password');
    const asLeaver = () => h.app.inject({ method: 'GET', url: '/orgs', headers: { authorization: `Bearer ${token}` } });
    expect((await asLeaver()).statusCode).toBe(200);

    const r = await call('u-committee', 'POST', '/users/u-leaver/disable', { reason: '调离' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ disabled: true, disabledAt: expect.any(String) });
    expect((await asLeaver()).statusCode).toBe(401);
    const tokens = await h.db.selectFrom('api_tokens').select('revoked_at').where('user_id', '=', 'u-leaver').execute();
    expect(tokens.every((t) => t.revoked_at !== null)).toBe(true);
    const sessions = await h.db.selectFrom('sessions').select('revoked_at').where('user_id', '=', 'u-leaver').execute();
    expect(sessions.every((s) => s.revoked_at !== null)).toBe(true);
    expect(session.sessionId).toBeTruthy();
    expect((await events('u-leaver')).at(-1)).toMatchObject({ kind: 'user_disabled', detail: { tokensRevoked: 1, sessionsRevoked: 1, reason: '调离' } });
    // A token minted behind the API's back for a disabled user does not work either (the auth plugin checks disabled_at).
    const minted = await issueToken(h.db, 'u-leaver', 'minted');
    expect((await h.app.inject({ method: 'GET', url: '/orgs', headers: { authorization: `Bearer ${minted}` } })).statusCode).toBe(401);
    // Disabled users leave the lists unless asked for; disabling twice changes nothing more.
    expect((await call('u-committee', 'GET', '/users?org=org-b3')).json().items.map((u: { id: string }) => u.id)).not.toContain('u-leaver');
    expect((await call('u-committee', 'GET', '/users?org=org-b3&includeDisabled=true')).json().items.map((u: { id: string }) => u.id)).toContain('u-leaver');
    const eventsBefore = (await events('u-leaver')).length;
    expect((await call('u-committee', 'POST', '/users/u-leaver/disable', {})).statusCode).toBe(200);
    expect(await events('u-leaver')).toHaveLength(eventsBefore);
    await refused(call('u-committee', 'POST', '/users/u-leaver/reset-password', {}), 409, 'id');

    const enabled = await call('u-committee', 'POST', '/users/u-leaver/enable', {});
    expect(enabled.statusCode, enabled.body).toBe(200);
    expect(enabled.json().disabled).toBe(false);
    expect((await events('u-leaver')).at(-1)?.kind).toBe('user_enabled');
    // The old token stays revoked; a new one works.
    expect((await asLeaver()).statusCode).toBe(401);
    const fresh = await issueToken(h.db, 'u-leaver', 'fresh');
    expect((await h.app.inject({ method: 'GET', url: '/orgs', headers: { authorization: `Bearer ${fresh}` } })).statusCode).toBe(200);
  });

  it('resetting a password answers a new one-time password once, ends the user’s sessions and requires a change', async () => {
    await createSession(h.db, 'u-zhang', 'password');
    const before = await h.db.selectFrom('users').select('password_hash').where('id', '=', 'u-zhang').executeTakeFirstOrThrow();
    const r = await call('u-committee', 'POST', '/users/u-zhang/reset-password', {});
    expect(r.statusCode, r.body).toBe(200);
    const { user, password } = r.json();
    expect(password).toMatch(/^\S{10,}$/);
    expect(user).toMatchObject({ id: 'u-zhang', mustChangePassword: true, hasPassword: true });
    const after = await h.db.selectFrom('users').select(['password_hash', 'must_change_password']).where('id', '=', 'u-zhang').executeTakeFirstOrThrow();
    expect(after.password_hash).toMatch(/^\$argon2id\$/);
    expect(after.password_hash).not.toBe(before.password_hash);
    const sessions = await h.db.selectFrom('sessions').select('revoked_at').where('user_id', '=', 'u-zhang').execute();
    expect(sessions.length).toBeGreaterThan(0);
    expect(sessions.every((s) => s.revoked_at !== null)).toBe(true);
    expect((await events('u-zhang')).at(-1)).toMatchObject({ kind: 'password_reset', actor_id: 'u-committee', detail: { sessionsRevoked: 1 } });
    expect(JSON.stringify(await events('u-zhang'))).not.toContain(password);
  });

  // ---- The security log -------------------------------------------------------------------------

  it('GET /security-events: newest first, filtered by kind, subject, actor and time, with who, when, what and from where', async () => {
    const all = await call('u-auditor', 'GET', '/security-events?limit=500');
    expect(all.statusCode, all.body).toBe(200);
    const items = all.json().items as { id: number; at: string; kind: string; actorId: string; subject: string; ip: string; userAgent: string; detail: Record<string, unknown> }[];
    expect(all.json().total).toBe(items.length);
    expect(items.map((e) => e.id)).toEqual([...items.map((e) => e.id)].sort((a, b) => b - a));
    const kinds = new Set(items.map((e) => e.kind));
    for (const kind of ['org_created', 'org_changed', 'org_moved', 'org_closed', 'secretary_changed', 'user_created', 'user_changed', 'user_disabled', 'user_enabled', 'password_reset', 'inspector_assignments_changed']) {
      expect(kinds, kind).toContain(kind);
    }
    const moved = await call('u-committee', 'GET', '/security-events?kind=org_moved&subject=org-u3-b1');
    expect(moved.json().items).toHaveLength(2);
    expect(moved.json().items[0]).toMatchObject({ kind: 'org_moved', actorId: 'u-committee', subject: 'org-u3-b1', userAgent: 'directory-test', detail: { changes: { parentId: { from: 'org-oc2', to: 'org-u3-oc' } } } });
    expect(moved.json().items[0].ip).toBeTruthy();
    expect((await call('u-committee', 'GET', '/security-events?actor=u-auditor')).json().total).toBe(0);
    expect((await call('u-committee', 'GET', '/security-events?from=2099-01-01')).json().total).toBe(0);
    expect((await call('u-committee', 'GET', `/security-events?to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}&limit=1`)).json().items).toHaveLength(1);
    await refused(call('u-committee', 'GET', '/security-events?from=yesterday'), 400, 'from');
  });

  // ---- Handover ---------------------------------------------------------------------------------

  it('a new secretary takes over the old one’s open project through its workflow, and the PATCH answers what was handed over', async () => {
    const proposed = await call('u-sec-b3', 'POST', '/projects', { cycleId: cycle.cycleId, ...proposal(cycle.year, '基教处换届交接测试项目') });
    expect(proposed.statusCode, proposed.body).toBe(201);
    const projectId = proposed.json().id as string;
    await waitUntil('the project in the projection', async () =>
      (await h.db.selectFrom('projects').select('id').where('id', '=', projectId).executeTakeFirst()) ?? undefined,
    );
    expect((await call('u-committee', 'POST', '/users', { id: 'u-sec-b3-new', name: '基教处新书记', role: 'secretary', orgId: 'org-b3' })).statusCode).toBe(201);

    const r = await call('u-committee', 'PATCH', '/orgs/org-b3', { secretaryId: 'u-sec-b3-new' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({
      org: { secretaryId: 'u-sec-b3-new', secretaryName: '基教处新书记' },
      handover: { fromUserId: 'u-sec-b3', toUserId: 'u-sec-b3-new', projects: [projectId], failed: [], error: null },
    });
    await waitUntil('the project led by the new secretary', async () => {
      const project = await call('u-committee', 'GET', `/projects/${projectId}`);
      return project.json().leadSecretaryId === 'u-sec-b3-new' ? true : undefined;
    });
    const log = await events('org-b3');
    expect(log.at(-2)).toMatchObject({ kind: 'secretary_changed', actor_id: 'u-committee', detail: { changes: { secretaryId: { from: 'u-sec-b3', to: 'u-sec-b3-new' } } } });
    expect(log.at(-1)).toMatchObject({ kind: 'handover', actor_id: 'u-committee', detail: { fromUserId: 'u-sec-b3', toUserId: 'u-sec-b3-new', projects: [projectId], failed: [] } });

    // Run again (after a partial failure, say): nothing is held any more, nothing is repeated.
    const again = await call('u-committee', 'POST', '/orgs/org-b3/handover', { fromUserId: 'u-sec-b3' });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().handover).toEqual({ fromUserId: 'u-sec-b3', toUserId: 'u-sec-b3-new', projects: [], failed: [], error: null });
    await refused(call('u-committee', 'POST', '/orgs/org-b3/handover', { fromUserId: 'u-sec-b3-new' }), 400, 'fromUserId');
    await refused(call('u-committee', 'POST', '/orgs/org-b3/handover', { fromUserId: 'u-nobody' }), 400, 'fromUserId');
    await refused(call('u-committee', 'POST', '/orgs/org-u3-b1/handover', { fromUserId: 'u-sec-b3' }), 409, 'id');
    await refused(call('u-committee', 'POST', '/orgs/org-nowhere/handover', { fromUserId: 'u-sec-b3' }), 404);
    // The old secretary is no longer a secretary of anything: now they may move or be disabled.
    expect((await call('u-committee', 'POST', '/users/u-sec-b3/disable', {})).statusCode).toBe(200);
  });
});
