/** The year's best-of lists (双十佳) and their documented tie-breaking rule. */
import { describe, expect, it } from 'vitest';
import { rectificationRate } from '../../workflows/lifecycle';
import type { CycleConfig, ProjectState } from '../../workflows/lifecycle';
import { bestOfLists, compareBestOf } from '../../reports';
import { at, buildProject, cycleProjects, makeCycle, ORGS } from './reports.fixtures';

/** Every deduction costs 2 points, so different deductions can leave exactly the same total. */
function tieCycle(bestOfListSize = 3): CycleConfig {
  const base = makeCycle();
  return makeCycle({
    rules: {
      ...base.rules,
      deductions: [
        { code: 'open_ledger_entry', points: 2 },
        { code: 'missing_evidence', points: 2 },
        { code: 'negative_list', points: 2 },
      ],
      bestOfListSize,
    },
  });
}

const FULL = [
  { indicatorId: 'i1', actual: 100 },
  { indicatorId: 'i2', actual: 20 },
];

/**
 * Exact ties, each broken by one more rule of compareBestOf:
 * a 90 (no deduction) > b 90 (−2, rate 1, progress 1) > d 90 (−2, rate 1, progress 0.2) > c 90 (−2, rate 0.5)
 * > f 88 (accepted 09:30 Beijing) > e 88 (accepted 02:00Z = 10:00 Beijing) > g10 85 = g2 85 (by id).
 */
function tieProjects(cycle: CycleConfig): Record<string, ProjectState> {
  const accepted = (id: string, extra: Partial<Parameters<typeof buildProject>[0]>) =>
    buildProject({ id, orgId: 'oc1', secretaryId: 's-oc1', stage: 'accepted', actuals: FULL, ...extra }, cycle);
  const parent = buildProject(
    {
      id: 'tie-parent',
      orgId: 'u2',
      secretaryId: 's-u2',
      stage: 'in_progress',
      children: [{ id: 'tie-sub', orgId: 'oc2', secretaryId: 's-oc2', title: '子项目' }],
    },
    cycle,
  );
  return {
    a: accepted('tie-a', { type: 'improvement', scores: [40, 30, 20] }),
    b: accepted('tie-b', { type: 'breakthrough', scores: [40, 30, 22], negativeList: ['会议记录不规范'] }),
    c: accepted('tie-c', {
      type: 'breakthrough',
      scores: [40, 30, 22],
      quarters: [
        {
          quarter: 1,
          due: false,
          rating: 'on_track',
          problems: [
            { id: 'L-c1', deadline: '2025-06-30', status: 'closed' },
            { id: 'L-c2', deadline: '2025-06-30', status: 'open' },
          ],
        },
      ],
    }),
    d: accepted('tie-d', { type: 'breakthrough', scores: [40, 30, 22], negativeList: ['台账不全'], actuals: [{ indicatorId: 'i2', actual: 10 }] }),
    e: accepted('tie-e', { type: 'service', scores: [38, 30, 20], acceptedAt: '2025-12-20T02:00:00.000Z' }),
    f: accepted('tie-f', { type: 'breakthrough', scores: [38, 30, 20], acceptedAt: '2025-12-20T09:30:00.000+08:00' }),
    g10: accepted('tie-g10', { type: 'breakthrough', scores: [35, 30, 20] }),
    g2: accepted('tie-g2', { type: 'service', scores: [35, 30, 20] }),
    // Not candidates: a sub-project (even with full marks), one not yet accepted, one failed.
    sub: buildProject({ id: 'tie-sub', orgId: 'oc2', secretaryId: 's-oc2', parent, stage: 'accepted', scores: [40, 30, 30] }, cycle),
    parent,
    selfAssessed: buildProject({ id: 'tie-self', orgId: 'b1a', secretaryId: 's-b1a', type: 'breakthrough', stage: 'self_assessed' }, cycle),
    failed: buildProject({ id: 'tie-fail', orgId: 'b1b', secretaryId: 's-b1b', type: 'breakthrough', stage: 'failed', scores: [10, 10, 10] }, cycle),
  };
}

const EXPECTED_RANKING = ['tie-a', 'tie-b', 'tie-d', 'tie-c', 'tie-f', 'tie-e', 'tie-g10', 'tie-g2'];

describe('best-of ranking (双十佳排序规则)', () => {
  const cycle = tieCycle();
  const t = tieProjects(cycle);

  it('the constructed projects really tie where the rule says they do', () => {
    const score = (p: ProjectState) => p.acceptance?.finalScore;
    expect([t.a, t.b, t.c, t.d].map(score)).toEqual([90, 90, 90, 90]);
    expect([t.b, t.c, t.d].map((p) => p.acceptance?.totalDeduction)).toEqual([2, 2, 2]);
    expect([t.b, t.d].map((p) => rectificationRate(p.ledger))).toEqual([1, 1]);
    expect(rectificationRate(t.c.ledger)).toBe(0.5);
    expect(t.b.progress).toBeGreaterThan(t.d.progress);
    expect([t.e, t.f].map(score)).toEqual([88, 88]);
    expect(t.e.progress).toBe(t.f.progress);
    expect([t.g10, t.g2].map(score)).toEqual([85, 85]);
    expect(t.g10.acceptance?.at).toBe(t.g2.acceptance?.at);
    expect(t.g10.progress).toBe(t.g2.progress);
  });

  it('orders by final score, then fewer deductions, higher rectification rate, higher progress, earlier acceptance, id', () => {
    const shuffled = [t.g2, t.c, t.e, t.a, t.g10, t.d, t.f, t.b];
    expect([...shuffled].sort(compareBestOf).map((p) => p.id)).toEqual(EXPECTED_RANKING);
    expect([...shuffled].reverse().sort(compareBestOf).map((p) => p.id)).toEqual(EXPECTED_RANKING);
  });

  it('breaks each tie by the next rule, in both directions', () => {
    const pairs: [ProjectState, ProjectState][] = [
      [t.a, t.b], // fewer deduction points
      [t.d, t.c], // higher rectification rate
      [t.b, t.d], // higher progress
      [t.f, t.e], // earlier acceptance as an instant, though its text sorts later
      [t.g10, t.g2], // project id by code units: "tie-g10" < "tie-g2"
    ];
    for (const [better, worse] of pairs) {
      expect(compareBestOf(better, worse)).toBeLessThan(0);
      expect(compareBestOf(worse, better)).toBeGreaterThan(0);
    }
    expect(compareBestOf(t.a, t.a)).toBe(0);
  });

  it('puts a project without an acceptance after every accepted one', () => {
    expect(compareBestOf(t.selfAssessed, t.g2)).toBeGreaterThan(0);
    expect(compareBestOf(t.g2, t.selfAssessed)).toBeLessThan(0);
  });
});

describe('best-of lists (双十佳)', () => {
  it('picks list A from all accepted top-level projects, then list B from the remaining breakthrough projects', () => {
    const cycle = tieCycle(3);
    const lists = bestOfLists(Object.values(tieProjects(cycle)), cycle, ORGS);
    const [a, b] = lists.lists;
    expect(a).toMatchObject({ key: 'overall', title: '十佳党建项目', size: 3 });
    expect(b).toMatchObject({ key: 'breakthrough', title: '十佳“新突破”破题项目', size: 3 });
    expect(a.entries.map((e) => e.projectId)).toEqual(['tie-a', 'tie-b', 'tie-d']);
    expect(b.entries.map((e) => e.projectId)).toEqual(['tie-c', 'tie-f', 'tie-g10']);
    expect(b.entries.map((e) => e.rank)).toEqual([1, 2, 3]);
    expect(b.entries.every((e) => e.type === 'breakthrough' && e.typeLabel === '破题型')).toBe(true);
    expect(lists.title).toBe('2025年度“双十佳新突破”党建项目');
    expect(lists.rule).toContain('减分较少');
  });

  it('never puts a project on both lists, even when every candidate fits on list A', () => {
    const cycle = tieCycle(10);
    const [a, b] = bestOfLists(Object.values(tieProjects(cycle)), cycle).lists;
    expect(a.entries.map((e) => e.projectId)).toEqual(EXPECTED_RANKING);
    expect(b.entries).toEqual([]);
  });

  it('leaves out sub-projects, projects not yet accepted and failed projects', () => {
    const cycle = tieCycle(10);
    const lists = bestOfLists(Object.values(tieProjects(cycle)), cycle);
    const ids = lists.lists.flatMap((l) => l.entries.map((e) => e.projectId));
    for (const id of ['tie-sub', 'tie-parent', 'tie-self', 'tie-fail']) expect(ids).not.toContain(id);
  });

  it('holds at most bestOfListSize projects per list and does not back-fill B with other types', () => {
    const base = makeCycle();
    const projects = cycleProjects(base);
    const sized = (n: number) => ({ ...base, rules: { ...base.rules, bestOfListSize: n } });
    const ids = (n: number) => bestOfLists(projects, sized(n), ORGS).lists.map((l) => l.entries.map((e) => e.projectId));
    expect(ids(1)).toEqual([['p-oc1'], ['p-oc2']]);
    expect(ids(2)).toEqual([['p-oc1', 'p-oc2'], ['p-b1a']]);
    expect(ids(10)).toEqual([['p-oc1', 'p-oc2', 'p-b1a'], []]);
  });

  it('describes each entry for publication, with labels and figures, naming the lead secretary (their id when unknown)', () => {
    const base = makeCycle();
    const [a] = bestOfLists(cycleProjects(base), base, ORGS, new Map([['s-oc2', '王外贸']])).lists;
    expect(a.entries[0]).toMatchObject({ projectId: 'p-oc1', leadSecretaryId: 's-oc1', leadSecretaryName: 's-oc1' });
    expect(a.entries[1]).toEqual({
      rank: 2,
      projectId: 'p-oc2',
      title: '外贸企业“出海”破题项目',
      orgId: 'oc2',
      orgName: '市商务局机关党委',
      leadSecretaryId: 's-oc2',
      leadSecretaryName: '王外贸',
      type: 'breakthrough',
      typeLabel: '破题型',
      isKey: true,
      finalScore: 88,
      grade: 'good',
      gradeLabel: '良好',
      totalDeduction: 0,
      rectificationRate: 1,
      rectificationRateText: '100%',
      progress: 0.6,
      acceptedAt: at('2025-12-20'),
    });
  });
});
