/**
 * POST /cycles as a new user meets it: a brand-new org tree opens (the root's `parentId: null` stays
 * null — coerced to "" it once failed a foreign key as a 500), and a malformed body — `cycle: null`,
 * no calendar or rules, an org whose parent is not in the tree, a user in an org not in the tree, a
 * committee user who does not exist — is one 400 problem naming the row and field of every error in
 * Chinese, with nothing written. The OpenAPI document shows the cycle's full schema.
 */
import { describe, expect, it } from 'vitest';
import { compressedCycle } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';

describe('POST /cycles validates the whole body and every reference before writing', () => {
  const stamp = Date.now();
  const h = useHarness({ name: 'cycleopen', cycle: () => compressedCycle('cy-open-setup', stamp), worker: false });
  const open = (payload: unknown) => h.app.inject({ method: 'POST', url: '/cycles', headers: { authorization: `Bearer ${h.cast.tokens['u-committee']}` }, payload: payload as object });
  const newTree = (cycleId: string) => {
    const cycle = { ...compressedCycle(cycleId, stamp), committee: { orgId: `${cycleId}-root`, userId: `${cycleId}-committee` } };
    return {
      cycle,
      orgs: [
        { id: `${cycleId}-root`, parentId: null, kind: 'committee', name: '新区机关工委', secretaryId: `${cycleId}-committee` },
        { id: `${cycleId}-unit`, parentId: `${cycleId}-root`, kind: 'unit', name: '新区财政局党组', secretaryId: `${cycleId}-sec` },
      ],
      users: [
        { id: `${cycleId}-committee`, name: '新区工委', role: 'committee', orgId: `${cycleId}-root` },
        { id: `${cycleId}-sec`, name: '新区书记', role: 'secretary', orgId: `${cycleId}-unit` },
      ],
      projects: [],
      inspectorAssignments: [],
    };
  };
  /** Nothing of the cycle, its orgs or its users is stored. */
  const nothingWritten = async (cycleId: string) => {
    const cycles = await h.db.selectFrom('cycles').select('id').where('id', '=', cycleId).execute();
    const orgs = await h.db.selectFrom('orgs').select('id').where('id', 'like', `${cycleId}-%`).execute();
    const users = await h.db.selectFrom('users').select('id').where('id', 'like', `${cycleId}-%`).execute();
    return cycles.length + orgs.length + users.length === 0;
  };
  const fieldsOf = (body: { errors: { field: string; detail: string }[] }) => body.errors.map((e) => e.field);


  it('opens a cycle with a brand-new org tree whose root has no parent', async () => {
    const body = newTree('cy-fresh');
    const response = await open(body);
    expect(response.statusCode, response.body).toBe(201);
    const root = await h.db.selectFrom('orgs').select(['id', 'parent_id']).where('id', '=', 'cy-fresh-root').executeTakeFirstOrThrow();
    expect(root.parent_id).toBeNull();
    const again = await open(body);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ rule: 'cycle.exists' });
  });

  it('cycle: null, or a cycle without calendar and rules, is a 400 naming the fields (no 500)', async () => {
    const nullCycle = await open({ ...newTree('cy-null'), cycle: null });
    expect(nullCycle.statusCode, nullCycle.body).toBe(400);
    expect(nullCycle.headers['content-type']).toContain('application/problem+json');
    expect(fieldsOf(nullCycle.json())).toContain('cycle');
    expect(await nothingWritten('cy-null')).toBe(true);

    const body = newTree('cy-bare');
    const { calendar: _calendar, rules: _rules, ...bare } = body.cycle;
    const response = await open({ ...body, cycle: bare });
    expect(response.statusCode, response.body).toBe(400);
    expect(fieldsOf(response.json())).toEqual(expect.arrayContaining(['cycle.calendar', 'cycle.rules']));
    for (const e of response.json().errors) expect(e.detail).toMatch(/[\u4e00-\u9fff]/);
    expect(await nothingWritten('cy-bare')).toBe(true);
  });

  it('names every broken reference and shape error in one answer, and writes nothing', async () => {
    const body = newTree('cy-broken');
    body.cycle.committee.userId = 'cy-broken-nobody';
    body.orgs.push({ id: 'cy-broken-orphan', parentId: 'cy-broken-missing-parent', kind: 'branch', name: '无上级支部', secretaryId: 'cy-broken-sec' });
    body.users.push({ id: 'cy-broken-stray', name: '无组织党员', role: 'member', orgId: 'cy-broken-missing-org' });
    body.orgs[1].kind = 'ministry';
    (body.users[1] as { name: unknown }).name = 42;
    const response = await open(body);
    expect(response.statusCode, response.body).toBe(400);
    const problem = response.json();
    expect(problem.detail).toMatch(/年度周期未开启/);
    expect(fieldsOf(problem)).toEqual(
      expect.arrayContaining(['orgs.1.kind', 'users.1.name', 'cycle.committee.userId', 'orgs.2.parentId', 'users.2.orgId']),
    );
    for (const e of problem.errors) expect(e.detail).toMatch(/[\u4e00-\u9fff]/);
    expect(await nothingWritten('cy-broken')).toBe(true);

    // With the shape fixed, the references alone are still refused, and still nothing is written.
    body.orgs[1].kind = 'unit';
    (body.users[1] as { name: unknown }).name = '新区书记';
    const references = await open(body);
    expect(references.statusCode, references.body).toBe(400);
    // The orphan's secretary belongs to another org: a secretary must be a user of the org they lead.
    expect(fieldsOf(references.json()).sort()).toEqual(['cycle.committee.userId', 'orgs.2.parentId', 'orgs.2.secretaryId', 'users.2.orgId']);
    expect(await nothingWritten('cy-broken')).toBe(true);
  });

  it('a body without its planned projects, or with new orgs but not their users, or a planned project that is not an event, is a 400 too', async () => {
    // `orgs` and `users` may be left out (the cycle then opens on the managed tree), `projects' may not;
    // orgs sent without the users who lead them name each secretary that exists nowhere.
    const { projects: _projects, users: _users, ...partial } = newTree('cy-partial');
    const missing = await open(partial);
    expect(missing.statusCode, missing.body).toBe(400);
    expect(fieldsOf(missing.json())).toContain('projects');
    expect(fieldsOf(missing.json()).some((f) => /^orgs\.\d+\.secretaryId$/.test(f)), missing.body).toBe(true);
    const notAnEvent = await open({ ...newTree('cy-null-create'), projects: [{ create: null, children: [] }] });
    expect(notAnEvent.statusCode, notAnEvent.body).toBe(400);
    expect(fieldsOf(notAnEvent.json())).toEqual(['projects.0.create']);
    for (const body of [null, [], 'cycle', 42]) {
      const response = await h.app.inject({ method: 'POST', url: '/cycles', headers: { authorization: `Bearer ${h.cast.tokens['u-committee']}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
      expect(response.statusCode, `${JSON.stringify(body)}: ${response.body}`).toBe(400);
    }
    expect(await nothingWritten('cy-partial')).toBe(true);
    expect(await nothingWritten('cy-null-create')).toBe(true);
  });

  it('no type coercion: a number where text is due, or a string where a number is due, is refused', async () => {
    const body = newTree('cy-coerce');
    const response = await open({ ...body, cycle: { ...body.cycle, year: String(body.cycle.year) }, orgs: [{ ...body.orgs[0], name: 7 }, body.orgs[1]] });
    expect(response.statusCode, response.body).toBe(400);
    expect(fieldsOf(response.json())).toEqual(expect.arrayContaining(['cycle.year', 'orgs.0.name']));
    expect(await nothingWritten('cy-coerce')).toBe(true);
  });

  it('the OpenAPI document describes the cycle, not an unknown value', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json();
    const schema = doc.paths['/cycles'].post.requestBody.content['application/json'].schema;
    expect(Object.keys(schema.properties.cycle.properties)).toEqual(expect.arrayContaining(['cycleId', 'year', 'committee', 'calendar', 'reviewTimeouts', 'ledger', 'rules']));
    expect(schema.properties.cycle.properties.calendar.properties.quarters.items.properties).toHaveProperty('evidenceDeadline');
  });
});
