/**
 * Whole-cycle reads (the committee figures, reports, exports) keep a cycle's projected states in the
 * API process and fetch only rows written since the last read (db/cycle-states.ts). What they must
 * never do is answer from a stale copy: every write of a row — by the projection, the launcher or
 * anyone with SQL — is seen by the next read, deleted rows go, new rows come, other cycles stay out.
 * Against a real PostgreSQL; the last test goes through the API and a real workflow.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRow } from '../../activities/projects';
import { createCycleStatesCache } from '../../db/cycle-states';
import { openCycle } from '../../db/cycles';
import { generateCity, type GeneratedCity } from '../../db/seed/city';
import { apply, type CycleConfig, type LifecycleEvent, type ProjectState } from '../../workflows/lifecycle';
import { compressedCycle, proposal } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';
import { createTestDatabase, type TestDatabase } from '../helpers/infra';
import { waitUntil } from '../helpers/wait';

function applied(state: ProjectState | null, event: LifecycleEvent, cycle: CycleConfig): ProjectState {
  const result = apply(state, event, cycle);
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result)}`);
  return result.state;
}

describe('the cycle states cache (real PostgreSQL)', () => {
  let t: TestDatabase;
  let city: GeneratedCity;
  let other: GeneratedCity;
  const states = new Map<string, ProjectState>();

  async function write(state: ProjectState): Promise<void> {
    const row = projectRow(`wf-${state.id}`, state);
    await t.db.insertInto('projects').values(row).onConflict((oc) => oc.column('id').doUpdateSet({ ...row, updated_at: sql`now()` })).execute();
    states.set(state.id, state);
  }

  beforeAll(async () => {
    t = await createTestDatabase('states');
    city = generateCity({ seed: 7, units: 3, projects: 40, cycleId: 'cy-cache-a' });
    other = generateCity({ seed: 8, units: 3, projects: 30, cycleId: 'cy-cache-b' });
    for (const c of [city, other]) {
      await openCycle(t.db, { cycle: c.cycle, orgs: c.orgs, users: c.users, projects: c.projects });
      for (const p of c.projects) await write(applied(null, { ...p.create, projectId: `${c.cycle.cycleId}-${p.create.projectId}` }, c.cycle));
    }
  });
  afterAll(() => t?.close());

  const ids = (list: readonly ProjectState[]) => list.map((s) => s.id);
  const expected = (cycleId: string) => [...states.values()].filter((s) => s.cycleId === cycleId).sort((a, b) => (a.id < b.id ? -1 : 1));

  it('the first read fetches the whole cycle, in id order, and nothing of another cycle', async () => {
    const cache = createCycleStatesCache(t.db);
    const read = await cache.states('cy-cache-a');
    expect(ids(read)).toEqual(ids(expected('cy-cache-a')));
    expect(read).toEqual(expected('cy-cache-a'));
    expect(cache.lastRefresh('cy-cache-a')).toEqual({ listed: city.projects.length, fetched: city.projects.length });
  });

  it('a read with nothing written since fetches no state; one written since is fetched and read as written', async () => {
    const cache = createCycleStatesCache(t.db);
    await cache.states('cy-cache-a');
    await cache.states('cy-cache-a');
    expect(cache.lastRefresh('cy-cache-a')).toEqual({ listed: city.projects.length, fetched: 0 });

    const target = expected('cy-cache-a')[3]!;
    const lead = { userId: target.leadSecretaryId, role: 'secretary' as const, orgId: target.orgId };
    await write(applied(target, { type: 'submit', actor: lead, at: target.createdAt }, city.cycle));
    const read = await cache.states('cy-cache-a');
    expect(cache.lastRefresh('cy-cache-a')).toEqual({ listed: city.projects.length, fetched: 1 });
    expect(read.find((s) => s.id === target.id)?.stage).toBe('in_review');
    expect(read).toEqual(expected('cy-cache-a'));
  });

  it('a row rewritten by hand with the same version is fetched again: the row version is PostgreSQL’s, not the state’s', async () => {
    const cache = createCycleStatesCache(t.db);
    await cache.states('cy-cache-a');
    const target = expected('cy-cache-a')[5]!;
    const renamed = { ...target, proposal: { ...target.proposal, title: '手工修复后的标题' } };
    await t.db.updateTable('projects').set({ state: JSON.stringify(renamed) }).where('id', '=', target.id).execute();
    states.set(target.id, renamed);
    const read = await cache.states('cy-cache-a');
    expect(cache.lastRefresh('cy-cache-a')?.fetched).toBe(1);
    expect(read.find((s) => s.id === target.id)?.proposal.title).toBe('手工修复后的标题');
  });

  it('a deleted row leaves the next read; a new row joins it', async () => {
    const cache = createCycleStatesCache(t.db);
    await cache.states('cy-cache-a');
    const gone = expected('cy-cache-a')[0]!;
    await t.db.deleteFrom('projects').where('id', '=', gone.id).execute();
    states.delete(gone.id);
    const fresh = applied(null, { ...city.projects[1]!.create, projectId: 'cy-cache-a-ZZ-new' }, city.cycle);
    await write(fresh);
    const read = await cache.states('cy-cache-a');
    expect(ids(read)).not.toContain(gone.id);
    expect(ids(read)).toContain('cy-cache-a-ZZ-new');
    expect(read).toEqual(expected('cy-cache-a'));
  });

  it('the states it hands out are frozen: a reader that tries to change one throws and the next read is unharmed', async () => {
    const cache = createCycleStatesCache(t.db);
    const read = await cache.states('cy-cache-a');
    const first = read[0]!;
    expect(() => {
      (first as { stage: string }).stage = 'accepted';
    }).toThrow(TypeError);
    expect(() => (first.evidence as unknown[]).push({})).toThrow(TypeError);
    expect(() => {
      (first.proposal as { title: string }).title = 'x';
    }).toThrow(TypeError);
    expect(await cache.states('cy-cache-a')).toEqual(expected('cy-cache-a'));
  });

  it('concurrent reads of one cycle each see every write committed before them', async () => {
    const cache = createCycleStatesCache(t.db);
    const target = expected('cy-cache-a')[7]!;
    const lead = { userId: target.leadSecretaryId, role: 'secretary' as const, orgId: target.orgId };
    const before = cache.states('cy-cache-a');
    await before;
    await write(applied(target, { type: 'submit', actor: lead, at: target.createdAt }, city.cycle));
    const reads = await Promise.all([cache.states('cy-cache-a'), cache.states('cy-cache-a'), cache.states('cy-cache-a')]);
    for (const read of reads) expect(read.find((s) => s.id === target.id)?.stage).toBe('in_review');
  });

  it('beyond maxCycles the least recently read cycle is forgotten and read whole again', async () => {
    const cache = createCycleStatesCache(t.db, { maxCycles: 1 });
    await cache.states('cy-cache-a');
    expect(ids(await cache.states('cy-cache-b'))).toEqual(ids(expected('cy-cache-b')));
    await cache.states('cy-cache-a');
    expect(cache.lastRefresh('cy-cache-a')?.fetched).toBe(expected('cy-cache-a').length);
  });
});

describe('the committee figures after a lifecycle step (API, real workflow)', () => {
  const cycle = compressedCycle('cy-figures-fresh', Date.now());
  const h = useHarness({ name: 'figures_fresh', cycle });

  it('figures read before a submission count the project as a draft; figures read once it is projected count it in review', async () => {
    const { title: _t, ...rest } = proposal(cycle.year, '缓存刷新验证项目');
    const created = await h.app.inject({ method: 'POST', url: '/projects', headers: h.as('u-sec-oc1'), payload: { cycleId: cycle.cycleId, title: '缓存刷新验证项目', ...rest } });
    expect(created.statusCode, created.body).toBeLessThan(300);
    const id = created.json().id as string;
    await waitUntil('the draft projected', () => h.db.selectFrom('projects').select('id').where('id', '=', id).executeTakeFirst(), 15_000, 100);
    const stageCount = async (key: string) => {
      const figures = await h.get('u-committee', `/cycles/${cycle.cycleId}/figures`);
      expect(figures.statusCode, figures.body).toBe(200);
      return (figures.json().totals.byStage as { key: string; count: number }[]).find((s) => s.key === key)?.count;
    };
    expect(await stageCount('draft')).toBe(1);
    expect(await stageCount('in_review')).toBe(0);

    const submitted = await h.app.inject({ method: 'POST', url: `/projects/${id}/submit`, headers: h.as('u-sec-oc1'), payload: {} });
    expect(submitted.statusCode, submitted.body).toBeLessThan(300);
    await waitUntil('the submission projected', () => h.db.selectFrom('projects').select('id').where('id', '=', id).where('stage', '=', 'in_review').executeTakeFirst(), 15_000, 100);
    expect(await stageCount('in_review')).toBe(1);
    expect(await stageCount('draft')).toBe(0);
  });
});
