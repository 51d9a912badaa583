import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  cityStats,
  generateCity,
  secretariesWithoutKeyProject,
  smallCity,
  type GeneratedCity,
  type GeneratedOrg,
} from '../../db/seed/city';
import {
  apply,
  deadlineMs,
  isIsoDateTime,
  keyProjectShortfall,
  subProjectCreateEvent,
  validateCycleConfig,
  type LifecycleEvent,
  type PersonActor,
  type ProjectState,
} from '../../workflows/lifecycle';

const city = generateCity({ seed: 1 });
const byOrg = new Map(city.orgs.map((o) => [o.id, o]));
const byUser = new Map(city.users.map((u) => [u.id, u]));

function unitOf(org: GeneratedOrg, c: GeneratedCity = city): GeneratedOrg | null {
  const orgs = new Map(c.orgs.map((o) => [o.id, o]));
  let cur: GeneratedOrg | undefined = org;
  while (cur && cur.kind !== 'unit') cur = cur.parentId ? orgs.get(cur.parentId) : undefined;
  return cur ?? null;
}

function step(state: ProjectState, event: LifecycleEvent, c: GeneratedCity = city): ProjectState {
  const result = apply(state, event, c.cycle);
  if (!result.ok) throw new Error(`${event.type} refused: ${JSON.stringify(result.refusal)}`);
  return result.state;
}

function created(c: GeneratedCity = city): ProjectState[] {
  return c.projects.map((p) => {
    const result = apply(null, p.create, c.cycle);
    if (!result.ok) throw new Error(`${p.create.projectId}: ${JSON.stringify(result.refusal)}`);
    return result.state;
  });
}

/** The draft state of each of the default city's projects, by id. */
const drafts = new Map(created().map((s) => [s.id, s]));

afterEach(() => vi.restoreAllMocks());

describe('city generator: reproducibility', () => {
  it('the same seed builds an identical city', () => {
    expect(generateCity({ seed: 1 })).toEqual(city);
    expect(JSON.stringify(generateCity({ seed: 42, projects: 500, units: 12 }))).toBe(JSON.stringify(generateCity({ seed: 42, projects: 500, units: 12 })));
  });

  it('a different seed builds a different city', () => {
    const other = generateCity({ seed: 2 });
    expect(other).not.toEqual(city);
    expect(other.projects.map((p) => p.create.proposal.title)).not.toEqual(city.projects.map((p) => p.create.proposal.title));
    expect(other.users.map((u) => u.name)).not.toEqual(city.users.map((u) => u.name));
  });

  it('never reads Math.random or the clock', () => {
    const random = vi.spyOn(Math, 'random');
    const now = vi.spyOn(Date, 'now');
    generateCity({ seed: 7, projects: 400, units: 8 });
    expect(random).not.toHaveBeenCalled();
    expect(now).not.toHaveBeenCalled();
  });

  it('builds the default city well under a second', () => {
    generateCity({ seed: 3 }); // warm up
    const t0 = performance.now();
    generateCity({ seed: 4 });
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('refuses options it cannot honour', () => {
    expect(() => generateCity({ seed: 1.5 })).toThrow(RangeError);
    expect(() => generateCity({ seed: 1, units: 0 })).toThrow(RangeError);
    expect(() => generateCity({ seed: 1, units: 10, projects: 30 })).toThrow(/at least 31 projects/);
    expect(() => generateCity({ seed: 1, year: 99 })).toThrow(RangeError);
  });
});

describe('city generator: counts', () => {
  it('the default city has 2,800 projects counting planned sub-projects, and tens of units', () => {
    const stats = cityStats(city);
    expect(stats.totalProjects).toBe(2800);
    expect(city.projects.length + city.projects.reduce((n, p) => n + p.children.length, 0)).toBe(2800);
    expect(stats.topLevelProjects).toBeGreaterThan(2000);
    expect(stats.plannedChildren).toBeGreaterThan(100);
    expect(stats.orgs).toMatchObject({ committee: 1, unit: 40, organ_committee: 40 });
    expect(stats.orgs.branch).toBeGreaterThan(300);
    expect(city.users.length).toBeLessThan(5000);
    expect(stats.users.auditor).toBe(2);
    expect(stats.users.committee).toBeGreaterThanOrEqual(2);
    expect(stats.users.inspector).toBeGreaterThanOrEqual(3);
    expect(stats.users.secretary).toBe(city.orgs.length);
  });

  it('honours the requested number of projects and units exactly', () => {
    for (const [units, projects] of [[5, 100], [12, 500], [60, 4000], [3, 10]] as const) {
      const c = generateCity({ seed: 9, units, projects });
      expect(c.orgs.filter((o) => o.kind === 'unit')).toHaveLength(units);
      expect(cityStats(c).totalProjects).toBe(projects);
    }
  });

  it('about a third of unit and organ-committee projects plan 2-5 sub-projects', () => {
    const upper = city.projects.filter((p) => ['unit', 'organ_committee'].includes(byOrg.get(p.create.orgId)!.kind));
    const split = upper.filter((p) => p.children.length > 0);
    expect(split.length / upper.length).toBeGreaterThan(0.2);
    expect(split.length / upper.length).toBeLessThan(0.45);
    for (const p of split) {
      expect(p.children.length).toBeGreaterThanOrEqual(2);
      expect(p.children.length).toBeLessThanOrEqual(5);
    }
    // Branch and committee projects are not split.
    expect(city.projects.filter((p) => p.children.length > 0).every((p) => upper.includes(p))).toBe(true);
  });

  it('skews project types realistically: service most, breakthrough fewest', () => {
    const { byType } = cityStats(city);
    expect(byType.service).toBeGreaterThan(byType.improvement);
    expect(byType.improvement).toBeGreaterThan(byType.breakthrough);
    expect(byType.breakthrough).toBeGreaterThan(0);
  });
});

describe('city generator: org tree and users', () => {
  it('is a committee → unit → organ committee → branch tree', () => {
    const parentKind = { committee: null, unit: 'committee', organ_committee: 'unit', branch: 'organ_committee' } as const;
    const roots = city.orgs.filter((o) => o.parentId === null);
    expect(roots).toHaveLength(1);
    expect(roots[0].kind).toBe('committee');
    for (const org of city.orgs) {
      if (org.kind === 'committee') continue;
      expect(byOrg.get(org.parentId!)?.kind, org.id).toBe(parentKind[org.kind]);
    }
    for (const unit of city.orgs.filter((o) => o.kind === 'unit')) {
      const organs = city.orgs.filter((o) => o.parentId === unit.id);
      expect(organs.map((o) => o.kind)).toEqual(['organ_committee']);
      expect(city.orgs.filter((o) => o.parentId === organs[0].id).length).toBeGreaterThanOrEqual(2);
    }
  });

  it('names orgs like real city departments', () => {
    const names = city.orgs.map((o) => o.name);
    expect(names[0]).toMatch(/^中共.+市委市直机关工作委员会$/);
    expect(city.orgs.filter((o) => o.kind === 'unit').every((o) => /^中共市.+(党组|委员会)$/.test(o.name))).toBe(true);
    expect(city.orgs.filter((o) => o.kind === 'organ_committee').every((o) => o.name.endsWith('机关党委'))).toBe(true);
    expect(city.orgs.filter((o) => o.kind === 'branch').every((o) => o.name.endsWith('党支部'))).toBe(true);
    expect(new Set(names).size).toBe(names.length);
  });

  it('gives every org exactly one secretary', () => {
    for (const org of city.orgs) {
      const secretaries = city.users.filter((u) => u.role === 'secretary' && u.orgId === org.id);
      expect(secretaries.map((u) => u.id), org.id).toEqual([org.secretaryId]);
    }
  });

  it('puts staff, inspectors and auditors in the committee and members in branches', () => {
    const committeeId = city.orgs[0].id;
    for (const u of city.users) {
      expect(byOrg.has(u.orgId), u.id).toBe(true);
      if (u.role === 'committee' || u.role === 'inspector' || u.role === 'auditor') expect(u.orgId).toBe(committeeId);
      if (u.role === 'member') expect(byOrg.get(u.orgId)?.kind).toBe('branch');
      expect(u.name).toMatch(/^\p{Script=Han}{2,3}$/u);
    }
    expect(city.cycle.committee).toEqual({ orgId: committeeId, userId: expect.any(String) });
    expect(byUser.get(city.cycle.committee.userId)?.role).toBe('committee');
  });

  it('uses unique ids everywhere', () => {
    const unique = (ids: string[]) => expect(new Set(ids).size).toBe(ids.length);
    unique(city.orgs.map((o) => o.id));
    unique(city.users.map((u) => u.id));
    unique(city.projects.flatMap((p) => [p.create.projectId, ...p.children.map((c) => c.id)]));
    unique(city.problems.map((p) => p.id));
    expect(city.projects[0].create.projectId).toBe('P-0001');
  });
});

describe('city generator: projects', () => {
  it('every create event is accepted by the lifecycle machine, and the cycle is valid', () => {
    expect(validateCycleConfig(city.cycle)).toBeNull();
    const states = created();
    expect(states).toHaveLength(city.projects.length);
    expect(states.every((s) => s.stage === 'draft')).toBe(true);
  });

  it('lead secretaries propose for their own org and are reviewed as DESIGN §2 says', () => {
    const committeeId = city.orgs[0].id;
    for (const { create } of city.projects) {
      const org = byOrg.get(create.orgId)!;
      expect(create.leadSecretaryId).toBe(org.secretaryId);
      expect(create.actor).toEqual({ userId: org.secretaryId, role: 'secretary', orgId: org.id } satisfies PersonActor);
      expect(create.parentId).toBeNull();
      expect(create.cycleId).toBe(city.cycle.cycleId);
      if (org.kind === 'branch') {
        const organ = byOrg.get(org.parentId!)!;
        expect(create.reviewer).toEqual({ orgId: organ.id, userId: organ.secretaryId });
      } else {
        expect(create.reviewer.orgId).toBe(committeeId);
        expect(byUser.get(create.reviewer.userId)?.role).toBe('committee');
      }
    }
  });

  it('every secretary leads at least one project', () => {
    const leads = new Set(city.projects.map((p) => p.create.leadSecretaryId));
    expect(city.users.filter((u) => u.role === 'secretary' && !leads.has(u.id))).toEqual([]);
  });

  it('plans sub-projects for distinct branches of the parent’s own unit, and the machine accepts the split', () => {
    const split = city.projects.filter((p) => p.children.length > 0);
    expect(split.length).toBeGreaterThan(0);
    for (const p of split) {
      const unit = unitOf(byOrg.get(p.create.orgId)!);
      const orgIds = p.children.map((c) => c.orgId);
      expect(new Set(orgIds).size).toBe(orgIds.length);
      for (const child of p.children) {
        const branch = byOrg.get(child.orgId)!;
        expect(branch.kind).toBe('branch');
        expect(unitOf(branch)?.id).toBe(unit?.id);
        expect(child.secretaryId).toBe(branch.secretaryId);
        expect(child.id.startsWith(`${p.create.projectId}-S`)).toBe(true);
      }
      // Drive the parent to in_progress and decompose it as planned; each child is creatable.
      const lead = p.create.actor;
      const reviewer: PersonActor = { ...p.create.reviewer, role: 'committee' };
      const at = (day: number) => `${city.cycle.year}-02-${String(day).padStart(2, '0')}T10:00:00+08:00`;
      let s = drafts.get(p.create.projectId)!;
      s = step(s, { type: 'submit', actor: lead, at: at(1) });
      s = step(s, { type: 'approve', actor: reviewer, at: at(2), comment: null });
      s = step(s, { type: 'signLetter', actor: lead, at: at(3), text: '本人承诺履行党建项目第一责任人职责。' });
      s = step(s, { type: 'decompose', actor: lead, at: at(4), children: p.children });
      expect(s.children.map((c) => c.id)).toEqual(p.children.map((c) => c.id));
      for (const child of p.children) {
        expect(apply(null, subProjectCreateEvent(s, child, lead, at(4)), city.cycle).ok).toBe(true);
      }
    }
  });

  it('every proposal can be submitted for review as generated', () => {
    for (const p of city.projects) {
      const s = drafts.get(p.create.projectId)!;
      expect(apply(s, { type: 'submit', actor: p.create.actor, at: `${city.cycle.year}-01-26T09:00:00+08:00` }, city.cycle).ok).toBe(true);
    }
  });

  it('has indicators with weights summing to exactly 100 and a real direction', () => {
    for (const { create } of city.projects) {
      const { indicators } = create.proposal;
      expect(indicators.length).toBeGreaterThanOrEqual(2);
      expect(indicators.length).toBeLessThanOrEqual(4);
      expect(indicators.reduce((n, i) => n + i.weight, 0)).toBe(100);
      for (const i of indicators) {
        expect(i.target).not.toBe(i.baseline);
        expect(i.baseline).toBeGreaterThanOrEqual(0);
        expect(i.target).toBeGreaterThanOrEqual(0);
        if (i.unit === '%' && i.target > i.baseline) expect(i.target).toBeLessThanOrEqual(100);
      }
    }
    // Both rising and falling ("reduce") indicators occur.
    const all = city.projects.flatMap((p) => p.create.proposal.indicators);
    expect(all.some((i) => i.target > i.baseline)).toBe(true);
    expect(all.some((i) => i.target < i.baseline)).toBe(true);
  });

  it('dates milestones inside the cycle year, in order, and proposes in January before the deadline', () => {
    const year = city.cycle.year;
    for (const { create } of city.projects) {
      const { milestones } = create.proposal;
      expect(milestones.length).toBeGreaterThanOrEqual(2);
      expect(milestones.length).toBeLessThanOrEqual(4);
      const dues = milestones.map((m) => m.due);
      expect(dues.every((d) => d.startsWith(`${year}-`))).toBe(true);
      expect([...dues].sort()).toEqual(dues);
      expect(isIsoDateTime(create.at)).toBe(true);
      expect(create.at.startsWith(`${year}-01-`)).toBe(true);
      expect(Date.parse(create.at)).toBeLessThanOrEqual(deadlineMs(city.cycle.calendar.proposalDeadline));
    }
  });

  it('links problem-oriented projects to problems on their own org’s list', () => {
    const problems = new Map(city.problems.map((p) => [p.id, p]));
    let problemOriented = 0;
    for (const { create } of city.projects) {
      const { orientation, problemIds } = create.proposal;
      if (orientation === 'problem') {
        problemOriented += 1;
        expect(problemIds.length).toBeGreaterThanOrEqual(1);
        for (const id of problemIds) {
          expect(id).toMatch(/^PRB-\d{4,}$/);
          expect(problems.get(id)?.orgId).toBe(create.orgId);
        }
      } else {
        expect(problemIds).toEqual([]);
      }
    }
    expect(problemOriented).toBeGreaterThan(0);
    expect(problemOriented).toBeLessThan(city.projects.length);
  });

  it('titles combine party-building themes with the unit’s business', () => {
    const titles = city.projects.map((p) => p.create.proposal.title);
    expect(titles.every((t) => /^“.+”.+$/.test(t) && t.length <= 200)).toBe(true);
    expect(titles.some((t) => t.includes('党建+营商环境'))).toBe(true);
    expect(titles.some((t) => t.includes('红色物业'))).toBe(true);
    expect(titles.some((t) => t.includes('服务服务'))).toBe(false);
    expect(city.projects.every((p) => p.create.proposal.businessGoal.length > 0)).toBe(true);
  });
});

describe('city generator: key projects', () => {
  it('some but few secretaries lead no key project, and they can be named', () => {
    const secretaries = city.users.filter((u) => u.role === 'secretary');
    const without = secretariesWithoutKeyProject(city);
    expect(without.length).toBeGreaterThan(0);
    expect(without.length).toBeLessThanOrEqual(Math.ceil(secretaries.length * 0.03));
    for (const u of without) {
      expect(u.role).toBe('secretary');
      expect(u.name.length).toBeGreaterThan(0);
      expect(byOrg.get(u.orgId)?.secretaryId).toBe(u.id);
    }
    // The lifecycle's own report finds exactly the same secretaries.
    const shortfall = keyProjectShortfall(secretaries.map((u) => u.id), [...drafts.values()], city.cycle);
    expect(shortfall.map((s) => s.secretaryId)).toEqual(without.map((u) => u.id));
  });

  it('unit and organ-committee projects are mostly key, branch projects mostly not', () => {
    const share = (kinds: string[]) => {
      const list = city.projects.filter((p) => kinds.includes(byOrg.get(p.create.orgId)!.kind));
      return list.filter((p) => p.create.proposal.isKey).length / list.length;
    };
    expect(share(['unit', 'organ_committee'])).toBeGreaterThan(0.6);
    expect(share(['branch'])).toBeLessThan(0.5);
  });
});

describe('city generator: cycle', () => {
  it('carries a real Asia/Shanghai calendar and the rules of the year', () => {
    const { calendar, rules, reviewTimeouts, ledger, year } = city.cycle;
    expect(year).toBe(2026);
    expect(city.cycle.cycleId).toBe('cycle-2026');
    expect(calendar.proposalDeadline).toMatch(/^2026-01-/);
    expect(calendar.reviewDeadline <= '2026-02-15').toBe(true);
    expect(calendar.letterDeadline).toBe('2026-02-28');
    expect(calendar.quarters.map((q) => q.evidenceDeadline)).toEqual(['2026-04-10', '2026-07-10', '2026-10-10', '2026-12-01']);
    expect(calendar.dispatchWindow.start).toMatch(/^2026-07-/);
    expect(calendar.dispatchWindow.end).toMatch(/^2026-07-/);
    expect(calendar.selfAssessmentDeadline).toMatch(/^2026-12-0/);
    expect(calendar.acceptanceWindow.start).toMatch(/^2026-12-/);
    expect(calendar.monthlyReminderDay).toBe(5);
    expect(reviewTimeouts.remindAfterMs).toBeGreaterThanOrEqual(24 * 3600 * 1000);
    expect(ledger).toEqual({ warnBeforeMs: 3 * 24 * 3600 * 1000, escalateAfterMs: 7 * 24 * 3600 * 1000 });
    expect(rules.rubric.reduce((n, c) => n + c.weight, 0)).toBe(100);
    expect(rules.gradeThresholds).toEqual({ excellent: 90, good: 80, pass: 60 });
    expect(rules.bestOfListSize).toBe(10);
  });

  it('follows the year and cycle id asked for (leap February included)', () => {
    const c = generateCity({ seed: 5, projects: 200, units: 6, year: 2028, cycleId: 'demo-2028' });
    expect(c.cycle).toMatchObject({ year: 2028, cycleId: 'demo-2028' });
    expect(c.cycle.calendar.letterDeadline).toBe('2028-02-29');
    expect(validateCycleConfig(c.cycle)).toBeNull();
    expect(() => created(c)).not.toThrow();
    expect(c.projects.every((p) => p.create.proposal.milestones.every((m) => m.due.startsWith('2028-')))).toBe(true);
  });
});

describe('smallCity preset', () => {
  it('has 3 units and 30 projects, with a split and a secretary without a key project, for any seed', () => {
    for (let seed = 1; seed <= 25; seed++) {
      const c = smallCity(seed);
      const stats = cityStats(c);
      expect(stats.orgs.unit).toBe(3);
      expect(stats.totalProjects).toBe(30);
      expect(stats.splitProjects).toBeGreaterThan(0);
      expect(secretariesWithoutKeyProject(c).length).toBeGreaterThan(0);
      expect(validateCycleConfig(c.cycle)).toBeNull();
      expect(() => created(c)).not.toThrow();
      expect(smallCity(seed)).toEqual(c);
    }
  });
});
