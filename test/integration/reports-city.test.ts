/**
 * Figures and reports on a generated city: project states are built through the lifecycle machine,
 * persisted by the real activity, then read back through the API and checked against counts the
 * test computes on its own.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { issueToken } from '../../db/auth';
import { openCycle } from '../../db/cycles';
import { generateCity } from '../../db/seed/city';
import { apply, timerActor, type LifecycleEvent, type PersonActor, type ProjectState } from '../../workflows/lifecycle';
import { useHarness } from '../helpers/harness';

describe('committee figures and reports on a generated city', () => {
  let token: string;
  let secretaryToken: string;
  const city = generateCity({ seed: 11, projects: 300, units: 6 });
  const states: ProjectState[] = [];
  const committeeOrg = city.cycle.committee.orgId;

  function build(index: number, create: LifecycleEvent & { type: 'create' }): { events: LifecycleEvent[]; state: ProjectState } {
    const lead = create.actor as PersonActor;
    const reviewer: PersonActor = {
      userId: create.reviewer.userId,
      role: create.reviewer.orgId === committeeOrg ? 'committee' : 'secretary',
      orgId: create.reviewer.orgId,
    };
    const committee: PersonActor = { userId: city.cycle.committee.userId, role: 'committee', orgId: committeeOrg };
    const y = city.cycle.year;
    const level = index % 5;
    const events: LifecycleEvent[] = [create];
    if (level >= 1) events.push({ type: 'submit', actor: lead, at: `${y}-01-28T09:00:00+08:00` });
    if (level >= 2) events.push({ type: 'approve', actor: reviewer, at: `${y}-02-10T09:00:00+08:00`, comment: null });
    if (level >= 3) {
      events.push({ type: 'signLetter', actor: lead, at: `${y}-02-20T09:00:00+08:00`, text: '责任书' });
      // Every other in-progress project misses its Q1 evidence.
      if (index % 2 === 0) {
        events.push({ type: 'submitEvidence', actor: lead, at: `${y}-03-30T09:00:00+08:00`, evidenceId: `ev-${index}`, quarter: 1, milestoneId: null, text: '一季度材料', files: [], indicatorActuals: [] });
      }
      events.push({ type: 'inspectionDue', quarter: 1, actor: timerActor(create.orgId), at: `${y}-04-11T09:00:00+08:00` });
    }
    if (level >= 4) {
      const scores = city.cycle.rules.rubric.map((c, k) => ({ criterionId: c.criterionId, score: Math.round(c.weight * (0.6 + ((index + k) % 5) * 0.1)) }));
      events.push({ type: 'selfAssess', actor: lead, at: `${y}-12-03T09:00:00+08:00`, scores, narrative: '全年目标完成', businessImpact: '推动业务提质增效' });
      events.push({ type: 'accept', actor: committee, at: `${y}-12-20T09:00:00+08:00`, criterionScores: scores, negativeList: [] });
    }
    let state: ProjectState | null = null;
    for (const event of events) {
      const result = apply(state, event, city.cycle);
      if (!result.ok) throw new Error(`project ${create.projectId} event ${event.type}: ${result.refusal.message}`);
      state = result.state;
    }
    return { events, state: state! };
  }

  const h = useHarness({ name: 'reportscity', worker: false });
  beforeAll(async () => {
    await openCycle(h.db, { cycle: city.cycle, orgs: city.orgs, users: city.users, projects: city.projects });
    const activities = createActivities({ db: h.db });
    for (const [index, project] of city.projects.entries()) {
      const { events, state } = build(index, project.create);
      states.push(state);
      await activities.persistProject({ workflowId: `wf-${state.id}`, runId: 'run', projectId: state.id, cycle: city.cycle, events: events.map((event, i) => ({ seq: i + 1, event })) });
    }
    token = await issueToken(h.db, city.cycle.committee.userId, 'test');
    secretaryToken = await issueToken(h.db, city.users.find((u) => u.role === 'secretary')!.id, 'test');
  }, 120_000);

  const get = (url: string, t = token) => h.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${t}` } });
  const asOf = `${city.cycle.year}-12-31T12:00:00+08:00`;

  it('counts projects by stage and type exactly as an independent tally does', async () => {
    const response = await get(`/cycles/${city.cycle.cycleId}/figures?asOf=${encodeURIComponent(asOf)}`);
    expect(response.statusCode, response.body).toBe(200);
    const figures = response.json();
    const tally = (key: (s: ProjectState) => string) => states.reduce<Record<string, number>>((acc, s) => ((acc[key(s)] = (acc[key(s)] ?? 0) + 1), acc), {});
    const byStage = Object.fromEntries(figures.totals.byStage.filter((c: { count: number }) => c.count > 0).map((c: { key: string; count: number }) => [c.key, c.count]));
    expect(byStage).toEqual(tally((s) => s.stage));
    const byType = Object.fromEntries(figures.totals.byType.filter((c: { count: number }) => c.count > 0).map((c: { key: string; count: number }) => [c.key, c.count]));
    expect(byType).toEqual(tally((s) => s.proposal.type));
    expect(figures.totals.projects).toBe(states.length);
    const missing = states.filter((s) => s.inspections.some((i) => i.missingEvidence)).length;
    expect(missing).toBeGreaterThan(0);
    expect(figures.totals.missingEvidenceProjects).toBe(missing);
    const q1 = figures.inspections.find((q: { quarter: number }) => q.quarter === 1);
    expect(q1).toBeDefined();
  });

  it('names the secretaries who lead no key project, as the generator planned', async () => {
    const figures = (await get(`/cycles/${city.cycle.cycleId}/figures?asOf=${encodeURIComponent(asOf)}`)).json();
    const named = new Set(figures.keyProjectShortfall.map((s: { secretaryId: string }) => s.secretaryId));
    const leadsKey = new Set(states.filter((s) => s.proposal.isKey && s.stage !== 'rejected').map((s) => s.leadSecretaryId));
    const expected = city.orgs.filter((o) => o.kind !== 'committee' && !leadsKey.has(o.secretaryId)).map((o) => o.secretaryId);
    expect([...named].sort()).toEqual([...new Set(expected)].sort());
    // By name, as the users table has them, not by id.
    const users = new Map((await h.db.selectFrom('users').select(['id', 'name']).execute()).map((u) => [u.id, u.name]));
    for (const s of figures.keyProjectShortfall as { secretaryId: string; secretaryName: string }[]) expect(s.secretaryName).toBe(users.get(s.secretaryId));
  });

  it('ranks the best-of lists from accepted projects only, best first, with no project on both lists', async () => {
    const lists = (await get(`/cycles/${city.cycle.cycleId}/best-of`)).json();
    const accepted = new Map(states.filter((s) => s.stage === 'accepted').map((s) => [s.id, s.acceptance!.finalScore]));
    const all = lists.lists as { key: string; entries: { projectId: string; type: string }[] }[];
    expect(all.map((l) => l.key)).toEqual(['overall', 'breakthrough']);
    for (const entry of all[1].entries) expect(entry.type).toBe('breakthrough');
    const ids = all.flatMap((l) => l.entries.map((e) => e.projectId));
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(accepted.has(id)).toBe(true);
    const first = all[0].entries.map((e) => accepted.get(e.projectId)!);
    expect(first).toEqual([...first].sort((a, b) => b - a));
    expect(first[0]).toBe(Math.max(...accepted.values()));
    const users = new Map((await h.db.selectFrom('users').select(['id', 'name']).execute()).map((u) => [u.id, u.name]));
    for (const e of lists.lists.flatMap((l: { entries: { leadSecretaryId: string; leadSecretaryName: string }[] }) => l.entries)) {
      expect(e.leadSecretaryName).toBe(users.get(e.leadSecretaryId));
      expect(e.leadSecretaryName).not.toBe(e.leadSecretaryId);
    }
  });

  it('renders the quarterly report and the achievements compilation as documents people can read and print', async () => {
    const html = await get(`/reports/cycles/${city.cycle.cycleId}/quarterly?quarter=1&format=html&asOf=${encodeURIComponent(asOf)}`);
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.body).toContain('第一季度');
    const markdown = await get(`/reports/cycles/${city.cycle.cycleId}/quarterly?quarter=1&format=md`);
    expect(markdown.headers['content-type']).toContain('text/markdown');
    const compilation = await get(`/reports/cycles/${city.cycle.cycleId}/compilation`);
    expect(compilation.statusCode).toBe(200);
    expect(compilation.body.toLowerCase()).toContain('<!doctype html>');
    for (const s of states.filter((x) => x.stage === 'accepted').slice(0, 10)) expect(compilation.body).toContain(s.proposal.title.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;'));
  });

  it('refuses secretaries the cycle-wide figures (403)', async () => {
    expect((await get(`/cycles/${city.cycle.cycleId}/figures`, secretaryToken)).statusCode).toBe(403);
  });
});
