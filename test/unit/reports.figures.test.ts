/**
 * Committee figures over a replayed cycle. The cycle (reports.fixtures.ts), by responsible org:
 *
 * | project  | org | stage       | key | type         | notes                                                        |
 * |----------|-----|-------------|-----|--------------|--------------------------------------------------------------|
 * | p-oc1    | oc1 | accepted 92 | yes | improvement  | Q1 lagging, L-oc1-1 closed                                   |
 * | p-b1a    | b1a | accepted 85 | yes | breakthrough | Q1 evidence late (missing at deadline), Q2 L-b1a-1 closed     |
 * | p-b1b    | b1b | in_progress | no  | service      | L-b1b-1 open (due 05-31), L-b1b-2 reported (due 2026-01-15),  |
 * |          |     |             |     |              | L-b1b-3 closed but owed by b1a; Q2 and Q4 evidence missing     |
 * | p-oc2    | oc2 | accepted 88 | yes | breakthrough | L-oc2-1 (Q2), L-oc2-2 (Q3) closed                             |
 * | p-b2a    | b2a | draft       | no  | improvement  |                                                              |
 * | p-u2     | u2  | rejected    | yes | service      | rejected: does not count as a key project                     |
 * | p-u1     | u1  | in_progress | yes | improvement  | decomposed into p-u1-c1; Q3/Q4 due, not rated                 |
 * | p-u1-c1  | b1a | in_progress | no  | improvement  | sub-project; Q2 evidence missing; no Q3/Q4 record             |
 * | p-t      | b2a | terminated  | no  | service      | L-t-1 open (due 07-31)                                        |
 * | p-oc1-2  | oc1 | failed      | no  | service      |                                                              |
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { STAGES } from '../../workflows/lifecycle';
import type { LedgerEntry, ProjectState } from '../../workflows/lifecycle';
import { committeeFigures, percentText } from '../../reports';
import type { CommitteeFigures } from '../../reports';
import { at, buildProject, cycleProjects, makeCycle, ORGS } from './reports.fixtures';

const cycle = makeCycle();
const YEAR_END = at('2025-12-31', '18:00');

let projects: ProjectState[];
let figures: CommitteeFigures;

beforeAll(() => {
  projects = cycleProjects(cycle);
  figures = committeeFigures(projects, cycle, ORGS, YEAR_END, new Map([['s-b1b', '李国库'], ['s-u3', '赵卫健']]));
});

const count = (items: { key: string; count: number }[], key: string) => items.find((i) => i.key === key)?.count;
const org = (id: string) => figures.byOrg.find((o) => o.orgId === id);
const unit = (id: string) => figures.byUnit.find((u) => u.unitId === id);
const allEntries = (): LedgerEntry[] => projects.flatMap((p) => p.ledger);

describe('committee figures: counts (工委数据看板)', () => {
  it('counts every project of the cycle by stage, sub-projects included', () => {
    for (const stage of STAGES) {
      expect(count(figures.totals.byStage, stage)).toBe(projects.filter((p) => p.stage === stage).length);
    }
    expect(figures.totals.projects).toBe(10);
    expect(figures.totals.subProjects).toBe(1);
    expect(figures.totals.topLevel).toBe(9);
    expect(count(figures.totals.byStage, 'accepted')).toBe(3);
    expect(count(figures.totals.byStage, 'in_progress')).toBe(3);
    expect(figures.totals.byStage.find((s) => s.key === 'terminated')?.label).toBe('已终止');
  });

  it('counts projects by type with Chinese labels', () => {
    expect(figures.totals.byType).toEqual([
      { key: 'service', label: '服务型', count: projects.filter((p) => p.proposal.type === 'service').length },
      { key: 'improvement', label: '提升型', count: projects.filter((p) => p.proposal.type === 'improvement').length },
      { key: 'breakthrough', label: '破题型', count: projects.filter((p) => p.proposal.type === 'breakthrough').length },
    ]);
    expect(figures.totals.byType.map((t) => t.count)).toEqual([4, 4, 2]);
  });

  it('counts key projects except rejected and cancelled ones', () => {
    const expected = projects.filter((p) => p.proposal.isKey && p.stage !== 'rejected' && p.stage !== 'cancelled').length;
    expect(figures.totals.keyProjects).toBe(expected);
    expect(figures.totals.keyProjects).toBe(4);
  });

  it('counts projects under their own org, sub-projects under the org that carries them', () => {
    for (const o of ORGS) expect(org(o.id)?.projects).toBe(projects.filter((p) => p.orgId === o.id).length);
    expect(org('b1a')).toMatchObject({ projects: 2, subProjects: 1, keyProjects: 1, orgName: '预算处党支部', kindLabel: '党支部', unitId: 'u1' });
    expect(org('u3')?.projects).toBe(0);
    expect(figures.byOrg.map((o) => o.orgId)).toEqual(['org-com', 'u1', 'oc1', 'b1a', 'b1b', 'u2', 'oc2', 'b2a', 'u3']);
  });

  it('rolls a unit up over its whole subtree (organ party committee and branches)', () => {
    const subtree = { u1: ['u1', 'oc1', 'b1a', 'b1b'], u2: ['u2', 'oc2', 'b2a'], u3: ['u3'] };
    for (const [unitId, orgIds] of Object.entries(subtree)) {
      expect(unit(unitId)?.orgIds).toEqual(orgIds);
      expect(unit(unitId)?.projects).toBe(projects.filter((p) => orgIds.includes(p.orgId)).length);
    }
    expect(unit('u1')).toMatchObject({ unitName: '市财政局党组', projects: 6, keyProjects: 3 });
    expect(unit('u2')?.projects).toBe(4);
    expect(figures.byUnit.map((u) => u.unitId)).toEqual(['u1', 'u2', 'u3']);
  });

  it('puts projects of orgs missing from the directory under their id, in no unit', () => {
    const stray = buildProject({ id: 'p-x', orgId: 'org-x', secretaryId: 's-x', stage: 'draft' }, cycle);
    const f = committeeFigures([...projects, stray], cycle, ORGS, YEAR_END);
    expect(f.byOrg.at(-1)).toMatchObject({ orgId: 'org-x', orgName: 'org-x', kind: null, unitId: null, projects: 1 });
    expect(f.totals.projects).toBe(11);
    expect(f.byUnit.reduce((acc, u) => acc + u.projects, 0)).toBe(10);
  });

  it('ignores projects of another cycle', () => {
    const other = { ...projects[0], id: 'p-old', cycleId: 'cycle-2024' };
    expect(committeeFigures([...projects, other], cycle, ORGS, YEAR_END).totals.projects).toBe(10);
  });
});

describe('committee figures: evidence (佐证材料)', () => {
  it('lists projects whose inspection fell due without evidence, with the quarters', () => {
    expect(figures.missingEvidence.map((m) => [m.projectId, m.quarters])).toEqual([
      ['p-b1a', [1]],
      ['p-u1-c1', [2]],
      ['p-b1b', [2, 4]],
    ]);
    expect(figures.missingEvidence[0]).toMatchObject({ orgName: '预算处党支部', unitName: '市财政局党组', quarterLabels: ['第一季度'] });
    expect(figures.totals.missingEvidenceProjects).toBe(projects.filter((p) => p.inspections.some((i) => i.missingEvidence)).length);
  });

  it('lists evidence first submitted after the quarter deadline (end of that day, Beijing time) as late', () => {
    expect(figures.lateEvidence).toHaveLength(1);
    expect(figures.lateEvidence[0]).toMatchObject({
      projectId: 'p-b1a',
      late: [{ quarter: 1, quarterLabel: '第一季度', deadline: '2025-03-31', firstSubmittedAt: at('2025-04-05') }],
    });
    expect(figures.totals.lateEvidenceProjects).toBe(1);
    expect(org('b1a')?.lateEvidenceProjects).toBe(1);
  });

  it('evidence submitted on the last minute of the deadline day is not late, one minute later it is', () => {
    const onTime = buildProject({ id: 'p-e1', orgId: 'b1b', secretaryId: 's-b1b', stage: 'in_progress', quarters: [{ quarter: 1, evidenceAt: at('2025-03-31', '23:59'), due: false }] }, cycle);
    const late = buildProject({ id: 'p-e2', orgId: 'b1b', secretaryId: 's-b1b', stage: 'in_progress', quarters: [{ quarter: 1, evidenceAt: '2025-03-31T16:00:00.000Z', due: false }] }, cycle);
    const f = committeeFigures([onTime, late], cycle, ORGS, YEAR_END);
    expect(f.lateEvidence.map((l) => l.projectId)).toEqual(['p-e2']);
    expect(f.missingEvidence).toEqual([]);
  });
});

describe('committee figures: rectification ledger (整改台账)', () => {
  it('counts open, reported, closed and overdue entries for the whole cycle', () => {
    const entries = allEntries();
    expect(figures.totals.ledger).toEqual({
      total: entries.length,
      open: entries.filter((e) => e.status === 'open').length,
      reported: entries.filter((e) => e.status === 'reported').length,
      closed: entries.filter((e) => e.status === 'closed').length,
      unclosed: entries.filter((e) => e.status !== 'closed').length,
      overdue: 2,
      rectificationRate: 0.625,
      rectificationRateText: '62.50%',
      cleared: false,
    });
    expect(figures.totals.ledger).toMatchObject({ total: 8, open: 2, reported: 1, closed: 5 });
  });

  it('gives the rectification rate (closed ÷ total) per responsible org, null ("—") where there are no entries', () => {
    const rates = Object.fromEntries(figures.byOrg.map((o) => [o.orgId, [o.ledger.total, o.ledger.closed, o.ledger.rectificationRate]]));
    expect(rates).toEqual({
      'org-com': [0, 0, null],
      u1: [0, 0, null],
      oc1: [1, 1, 1],
      // L-b1b-3 was found on p-b1b but is owed by b1a: the ledger counts where the rectification is owed.
      b1a: [2, 2, 1],
      b1b: [2, 0, 0],
      u2: [0, 0, null],
      oc2: [2, 2, 1],
      b2a: [1, 0, 0],
      u3: [0, 0, null],
    });
    expect(org('b1b')?.ledger).toMatchObject({ open: 1, reported: 1, overdue: 1, cleared: false, rectificationRateText: '0%' });
    expect(org('oc2')?.ledger.cleared).toBe(true);
  });

  it('gives the rectification rate per unit subtree', () => {
    expect(unit('u1')?.ledger).toMatchObject({ total: 5, closed: 3, rectificationRate: 0.6, rectificationRateText: '60%' });
    expect(unit('u2')?.ledger).toMatchObject({ total: 3, closed: 2, rectificationRate: 0.6667, rectificationRateText: '66.67%' });
    expect(unit('u3')?.ledger).toMatchObject({ total: 0, rectificationRate: null, rectificationRateText: '—', cleared: true });
  });

  it('computes overdue from asOf: an open entry becomes overdue once its deadline day has ended in Beijing', () => {
    const before = committeeFigures(projects, cycle, ORGS, at('2025-05-31', '23:59'));
    const after = committeeFigures(projects, cycle, ORGS, at('2025-06-01', '00:00'));
    expect(before.overdueLedger.map((l) => l.entryId)).toEqual([]);
    expect(after.overdueLedger.map((l) => l.entryId)).toEqual(['L-b1b-1']);
    // The same instant written in UTC.
    expect(committeeFigures(projects, cycle, ORGS, '2025-05-31T16:00:00.000Z').totals.ledger.overdue).toBe(1);
    expect(figures.overdueLedger.map((l) => [l.entryId, l.responsibleOrgName, l.statusLabel])).toEqual([
      ['L-b1b-1', '国库处党支部', '待整改'],
      ['L-t-1', '外贸处党支部', '待整改'],
    ]);
  });

  it('never counts a closed entry as overdue, and counts a reported one until it is verified', () => {
    const f = committeeFigures(projects, cycle, ORGS, at('2026-02-01'));
    const deadlinePassed = allEntries().filter((e) => e.status !== 'closed' && Date.parse(`${e.deadline}T23:59:59.999+08:00`) < Date.parse(at('2026-02-01')));
    expect(f.totals.ledger.overdue).toBe(deadlinePassed.length);
    expect(f.overdueLedger.map((l) => [l.entryId, l.status])).toEqual([
      ['L-b1b-1', 'open'],
      ['L-b1b-2', 'reported'],
      ['L-t-1', 'open'],
    ]);
  });

  it('formats a rate like the seed’s 98.3%: 59 of 60 entries closed', () => {
    const problems = Array.from({ length: 60 }, (_, i) => ({ id: `L-${i}`, deadline: '2025-06-30', status: i === 0 ? ('open' as const) : ('closed' as const) }));
    const p = buildProject({ id: 'p-60', orgId: 'oc2', secretaryId: 's-oc2', stage: 'in_progress', quarters: [{ quarter: 1, rating: 'lagging', problems }] }, cycle);
    const f = committeeFigures([p], cycle, ORGS, YEAR_END);
    expect(f.totals.ledger).toMatchObject({ total: 60, closed: 59, rectificationRate: 0.9833, rectificationRateText: '98.33%' });
    expect(percentText(59 / 60)).toBe('98.33%');
    // Two decimals: 205 of 208 entries closed must not read as 98.6%.
    expect(percentText(205 / 208)).toBe('98.56%');
    expect(percentText(1)).toBe('100%');
    expect(percentText(0)).toBe('0%');
  });
});

describe('committee figures: inspections per quarter (季度督查)', () => {
  it('counts ratings per quarter and those due but not yet rated', () => {
    expect(figures.inspections.map((q) => [q.quarter, q.due, q.onTrack, q.lagging, q.stalled, q.notRated])).toEqual([
      [1, 8, 6, 1, 1, 0],
      [2, 8, 4, 3, 1, 0],
      [3, 7, 4, 0, 0, 3],
      [4, 7, 4, 0, 0, 3],
    ]);
    for (const q of figures.inspections) {
      const rated = (r: string) => projects.filter((p) => p.inspections.some((i) => i.quarter === q.quarter && i.rating === r)).length;
      expect([q.onTrack, q.lagging, q.stalled]).toEqual([rated('on_track'), rated('lagging'), rated('stalled')]);
    }
    expect(figures.inspections[1].distribution).toEqual([
      { key: 'on_track', label: '按期推进', count: 4 },
      { key: 'lagging', label: '进度滞后', count: 3 },
      { key: 'stalled', label: '停滞', count: 1 },
      { key: 'not_rated', label: '尚未评价', count: 0 },
    ]);
  });

  it('a project under way with no record for a quarter is due once the quarter’s deadline passed as of asOf', () => {
    // p-u1-c1 has no Q3 record at all; the Q3 evidence deadline is 2025-09-30.
    const before = committeeFigures(projects, cycle, ORGS, at('2025-09-30', '23:59'));
    const after = committeeFigures(projects, cycle, ORGS, at('2025-10-01', '00:01'));
    expect(after.inspections[2].due - before.inspections[2].due).toBe(1);
    expect(after.inspections[2].notRated - before.inspections[2].notRated).toBe(1);
  });

  it('a terminated project without a record for a later quarter is not due for it', () => {
    expect(projects.find((p) => p.id === 'p-t')?.inspections.map((i) => i.quarter)).toEqual([1, 2]);
    expect(figures.inspections[2].due).toBe(projects.filter((p) => p.inspections.some((i) => i.quarter === 3)).length + 1);
  });
});

describe('committee figures: key projects (每年至少领办1个重点项目)', () => {
  it('names the secretaries (by name when the directory knows them) leading fewer key projects than required, a rejected one not counting', () => {
    expect(figures.keyProjectShortfall).toEqual([
      { secretaryId: 's-b1b', secretaryName: '李国库', orgIds: ['b1b'], orgNames: ['国库处党支部'], keyProjects: 0, required: 1 },
      { secretaryId: 's-u2', secretaryName: 's-u2', orgIds: ['u2'], orgNames: ['市商务局党组'], keyProjects: 0, required: 1 },
      { secretaryId: 's-b2a', secretaryName: 's-b2a', orgIds: ['b2a'], orgNames: ['外贸处党支部'], keyProjects: 0, required: 1 },
      { secretaryId: 's-u3', secretaryName: '赵卫健', orgIds: ['u3'], orgNames: ['市卫健委党组'], keyProjects: 0, required: 1 },
    ]);
    // Independently: every directory secretary but the committee's, with no counting key project.
    const expected = ORGS.filter((o) => o.kind !== 'committee' && o.secretaryId)
      .map((o) => o.secretaryId as string)
      .filter((s) => !projects.some((p) => p.leadSecretaryId === s && p.proposal.isKey && !['rejected', 'cancelled'].includes(p.stage)));
    expect(figures.keyProjectShortfall.map((s) => s.secretaryId)).toEqual(expected);
  });

  it('also checks secretaries found only on projects when the directory does not name them', () => {
    const bare = ORGS.map(({ secretaryId: _omit, ...o }) => o);
    const f = committeeFigures(projects, cycle, bare, YEAR_END);
    expect(f.keyProjectShortfall.map((s) => s.secretaryId)).toEqual(['s-b1b', 's-u2', 's-b2a']);
  });
});

describe('committee figures: output', () => {
  it('is plain JSON with Chinese labels, and the same inputs give the same output', () => {
    expect(JSON.parse(JSON.stringify(figures))).toEqual(figures);
    expect(committeeFigures([...projects].reverse(), cycle, ORGS, YEAR_END, new Map([['s-b1b', '李国库'], ['s-u3', '赵卫健']]))).toEqual(figures);
    expect(figures.labels.rectificationRate).toBe('整改率');
    expect(figures).toMatchObject({ cycleId: 'cycle-2025', year: 2025, asOf: YEAR_END });
  });

  it('refuses an asOf that is not an ISO date-time with an offset', () => {
    expect(() => committeeFigures(projects, cycle, ORGS, '2025-12-31')).toThrow(RangeError);
    expect(() => committeeFigures(projects, cycle, ORGS, 'yesterday')).toThrow(/asOf/);
  });
});
