/**
 * A bulk data generator that builds a realistic city of party-building projects (党建项目) for
 * tests, demos and benchmarks, reproducible from a seed number.
 *
 * `generateCity({ seed })` is pure and deterministic: the same options always give a deep-equal
 * city (a seeded mulberry32 PRNG, never Math.random nor the clock). What it builds (DESIGN §2–4):
 *
 * - **Org tree**: one work committee (工委) → `units` city departments (单位党组/党委, picked from
 *   a list of sixty such as 市发展和改革委员会, 市财政局, 市教育局) → one organ party committee
 *   (机关党委) per unit → its party branches (党支部, named after divisions such as 办公室党支部,
 *   综合处党支部, then 机关第N党支部). Large departments get more branches than small ones.
 * - **Users**: exactly one secretary per org; committee staff (role `committee`, the first of
 *   them is the cycle's reviewing user who also takes escalated reviews), inspectors, two auditors
 *   (all in the committee org) and two to four party members per branch.
 * - **Projects**: `projects` counts top-level create events PLUS their planned "1+N"
 *   sub-projects, exactly: `city.projects.length + Σ children.length === projects`.
 *   Every secretary (the committee's too) leads at least one top-level project; the remaining
 *   budget goes to randomly chosen secretaries, units' and organ committees' a bit more often.
 *   About a third of unit and organ-committee projects plan 2–5 children, each for a different
 *   branch of the same unit (children are planned, not created: `children` is what the lead
 *   secretary will pass to `decompose`).
 * - **Key projects**: every secretary leads at least one key project (重点项目), except a small
 *   deterministic set of about 2% of the secretaries (at least one) whose projects are all
 *   non-key, so the "secretaries without a key project" report has something to find; see
 *   `secretariesWithoutKeyProject`. Unit and organ-committee projects are mostly key, branch
 *   projects mostly not.
 * - **Reviewers** (DESIGN §2): unit and organ-committee projects are reviewed by a committee staff
 *   member (each unit has a liaison, 联系人, among the staff other than the cycle's reviewing
 *   user); branch projects by the unit's organ-committee secretary; the committee secretary's
 *   own project by the cycle's reviewing user.
 * - **Cycle**: a valid `CycleConfig` for `year` with real Asia/Shanghai dates.
 *
 * The default city (seed any, 2,800 projects, 40 units) has about 1,000 orgs, under 4,000 users
 * and is generated in well under a second.
 */
import type {
  ChildInput,
  CreateEvent,
  CycleConfig,
  IndicatorInput,
  Milestone,
  Orientation,
  ProjectType,
  ProposalInput,
  Role,
} from '../../workflows/lifecycle';
import {
  ACTIONS,
  chineseNumeral,
  CITY_NAMES,
  DIVISIONS,
  GIVEN_CHARS,
  GOAL_OPENINGS,
  GOAL_OUTCOMES,
  INDICATORS,
  MILESTONES,
  PROBLEMS,
  SURNAMES,
  THEMES,
  TITLE_SUFFIXES,
  UNIT_CATALOG,
  type IndicatorTemplate,
  type UnitSize,
  type UnitTemplate,
} from './catalog';
import { Rng, WeightedTable } from './random';

// ---------------------------------------------------------------------------------------------
// Public shapes
// ---------------------------------------------------------------------------------------------

export type OrgKind = 'committee' | 'unit' | 'organ_committee' | 'branch';

export interface GeneratedOrg {
  id: string;
  parentId: string | null;
  kind: OrgKind;
  name: string;
  secretaryId: string;
}

export interface GeneratedUser {
  id: string;
  name: string;
  role: Role;
  orgId: string;
}

export interface GeneratedProject {
  /** The top-level project's create event, proposed by its lead secretary. */
  create: CreateEvent;
  /** The planned "1+N" split (may be empty): what the lead secretary passes to `decompose`. */
  children: ChildInput[];
}

/** An entry of an org's problem list (问题清单), linked by problem-oriented projects. */
export interface GeneratedProblem {
  id: string;
  orgId: string;
  title: string;
}

export interface GeneratedCity {
  seed: number;
  /** e.g. 江州市. */
  name: string;
  cycle: CycleConfig;
  /** In tree order: the committee, then each unit followed by its organ committee and branches. */
  orgs: GeneratedOrg[];
  users: GeneratedUser[];
  /** Top-level projects by id (`P-0001`, …), grouped by org in tree order. */
  projects: GeneratedProject[];
  problems: GeneratedProblem[];
}

export interface CityOptions {
  seed: number;
  /**
   * Top-level projects plus their planned sub-projects (default 2,800). At least
   * `3 × units + 1`, so that every secretary can lead a project.
   */
  projects?: number;
  /** Units (单位) under the committee (default 40). Past the sixty departments known, names repeat with a suffix. */
  units?: number;
  /** The cycle year (default 2026). */
  year?: number;
  /** Default `cycle-<year>`. */
  cycleId?: string;
}

export const DEFAULT_PROJECTS = 2800;
export const DEFAULT_UNITS = 40;
export const DEFAULT_YEAR = 2026;
const MAX_UNITS = 999;
const MAX_BRANCHES_PER_UNIT = 36;

const COMMITTEE_STAFF = 6;
const AUDITORS = 2;
/** Share of secretaries who lead no key project (at least one of them). */
const NO_KEY_SHARE = 0.02;
/** Share of unit and organ-committee projects planned as a "1+N" split. */
const SPLIT_SHARE = 1 / 3;

const DAY_MS = 24 * 60 * 60 * 1000;

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

const pad = (n: number, width: number) => String(n).padStart(width, '0');

function roundTo(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

function daysInMonth(year: number, month: number): number {
  // Date.UTC only does calendar arithmetic on the given numbers; no clock is read.
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const isoDate = (year: number, month: number, day: number) => `${year}-${pad(month, 2)}-${pad(day, 2)}`;

function personName(rng: Rng): string {
  const given = rng.chance(0.6) ? rng.pick(GIVEN_CHARS) + rng.pick(GIVEN_CHARS) : rng.pick(GIVEN_CHARS);
  return rng.pick(SURNAMES) + given;
}

// ---------------------------------------------------------------------------------------------
// The org tree
// ---------------------------------------------------------------------------------------------

interface OrgNode {
  org: GeneratedOrg;
  /** The branch's short name (办公室党支部), used in sub-project titles. */
  short: string;
  unit: UnitNode | null;
}

interface UnitNode {
  index: number;
  template: UnitTemplate;
  unit: OrgNode;
  organ: OrgNode;
  branches: OrgNode[];
  /** The committee staff member who reviews this unit's projects. */
  liaisonId: string;
}

const SIZE_FACTOR: Record<UnitSize, number> = { S: 0.6, M: 1, L: 1.5 };

function pickUnitTemplates(rng: Rng, units: number): UnitTemplate[] {
  if (units <= UNIT_CATALOG.length) {
    const indices = rng.sample(
      UNIT_CATALOG.map((_, i) => i),
      units,
    );
    return indices.sort((a, b) => a - b).map((i) => UNIT_CATALOG[i]);
  }
  const out: UnitTemplate[] = [...UNIT_CATALOG];
  for (let i = UNIT_CATALOG.length; i < units; i++) {
    const base = UNIT_CATALOG[i % UNIT_CATALOG.length];
    const round = Math.floor(i / UNIT_CATALOG.length) + 1;
    out.push({ ...base, name: `${base.name}（${chineseNumeral(round)}）` });
  }
  return out;
}

function branchShortNames(rng: Rng, count: number): string[] {
  const divisionCount = Math.min(count, DIVISIONS.length);
  const divisions = rng
    .sample(
      DIVISIONS.map((_, i) => i),
      divisionCount,
    )
    .sort((a, b) => a - b)
    .map((i) => `${DIVISIONS[i]}党支部`);
  for (let n = 1; divisions.length < count; n++) divisions.push(`机关第${chineseNumeral(n)}党支部`);
  return divisions;
}

interface Tree {
  cityName: string;
  committee: OrgNode;
  units: UnitNode[];
  /** Every org in tree order. */
  nodes: OrgNode[];
  users: GeneratedUser[];
  staffIds: string[];
  inspectorIds: string[];
}

function buildTree(seed: number, units: number, projects: number): Tree {
  const rng = new Rng(seed, 'tree');
  const people = new Rng(seed, 'people');
  const cityName = rng.pick(CITY_NAMES);
  const unitWidth = Math.max(2, String(units).length);

  // Branches per unit: from the project budget per unit, so that every secretary can lead a
  // project and most lead one to three (default: 11..34 branches before the size factor).
  const perUnit = projects / units;
  const hi = Math.min(MAX_BRANCHES_PER_UNIT, Math.max(1, Math.floor((perUnit - 2) * 0.5)));
  const lo = Math.max(Math.min(2, hi), Math.floor(hi / 3));

  const users: GeneratedUser[] = [];
  const secretary = (org: GeneratedOrg) => users.push({ id: org.secretaryId, name: personName(people), role: 'secretary', orgId: org.id });

  const committeeOrg: GeneratedOrg = {
    id: 'org-committee',
    parentId: null,
    kind: 'committee',
    name: `中共${cityName}市委市直机关工作委员会`,
    secretaryId: 'u-sec-committee',
  };
  const committee: OrgNode = { org: committeeOrg, short: '市直机关工委', unit: null };
  secretary(committeeOrg);
  const staffIds: string[] = [];
  for (let i = 1; i <= COMMITTEE_STAFF; i++) {
    const id = `u-committee-${pad(i, 2)}`;
    staffIds.push(id);
    users.push({ id, name: personName(people), role: 'committee', orgId: committeeOrg.id });
  }
  const inspectorIds: string[] = [];
  const inspectors = Math.max(3, Math.ceil(units / 4));
  for (let i = 1; i <= inspectors; i++) {
    const id = `u-inspector-${pad(i, 2)}`;
    inspectorIds.push(id);
    users.push({ id, name: personName(people), role: 'inspector', orgId: committeeOrg.id });
  }
  for (let i = 1; i <= AUDITORS; i++) users.push({ id: `u-auditor-${pad(i, 2)}`, name: personName(people), role: 'auditor', orgId: committeeOrg.id });

  const nodes: OrgNode[] = [committee];
  const unitNodes: UnitNode[] = [];
  // Staff other than the reviewing user (who takes escalations) act as the units' liaisons.
  const liaisons = staffIds.length > 1 ? staffIds.slice(1) : staffIds;
  pickUnitTemplates(rng, units).forEach((template, i) => {
    const code = `u${pad(i + 1, unitWidth)}`;
    const unitOrg: GeneratedOrg = {
      id: `org-${code}`,
      parentId: committeeOrg.id,
      kind: 'unit',
      name: template.party === '党组' ? `中共${template.name}党组` : `中共${template.name}委员会`,
      secretaryId: `u-sec-${code}`,
    };
    const organOrg: GeneratedOrg = {
      id: `org-${code}-oc`,
      parentId: unitOrg.id,
      kind: 'organ_committee',
      name: `${template.name}机关党委`,
      secretaryId: `u-sec-${code}-oc`,
    };
    const node: UnitNode = {
      index: i,
      template,
      unit: { org: unitOrg, short: template.name, unit: null },
      organ: { org: organOrg, short: '机关党委', unit: null },
      branches: [],
      liaisonId: liaisons[i % liaisons.length],
    };
    node.unit.unit = node;
    node.organ.unit = node;
    secretary(unitOrg);
    secretary(organOrg);
    nodes.push(node.unit, node.organ);

    const count = Math.min(hi, Math.max(Math.min(2, hi), Math.round(rng.int(lo, hi) * SIZE_FACTOR[template.size])));
    branchShortNames(rng, count).forEach((short, b) => {
      const branchCode = `${code}-b${pad(b + 1, 2)}`;
      const org: GeneratedOrg = {
        id: `org-${branchCode}`,
        parentId: organOrg.id,
        kind: 'branch',
        name: `${template.name}${short}`,
        secretaryId: `u-sec-${branchCode}`,
      };
      const branch: OrgNode = { org, short, unit: node };
      node.branches.push(branch);
      nodes.push(branch);
      secretary(org);
      const members = people.int(2, 4);
      for (let m = 1; m <= members; m++) {
        users.push({ id: `u-member-${branchCode}-${pad(m, 2)}`, name: personName(people), role: 'member', orgId: org.id });
      }
    });
    unitNodes.push(node);
  });

  return { cityName: `${cityName}市`, committee, units: unitNodes, nodes, users, staffIds, inspectorIds };
}

// ---------------------------------------------------------------------------------------------
// The cycle
// ---------------------------------------------------------------------------------------------

/**
 * The annual cycle (年度项目周期) with real Asia/Shanghai dates. Quarterly evidence is due ten days
 * after the end of Q1–Q3; Q4's materials are due on 1 December instead, before the
 * self-assessment and the December acceptance that close the year (the end of Q4 plus ten days
 * would fall in the next January, after the cycle has closed).
 */
export function cityCycle(year: number, cycleId: string, committee: { orgId: string; userId: string }): CycleConfig {
  return {
    cycleId,
    year,
    committee: { orgId: committee.orgId, userId: committee.userId },
    calendar: {
      proposalDeadline: isoDate(year, 1, 25),
      reviewDeadline: isoDate(year, 2, 15),
      letterDeadline: isoDate(year, 2, daysInMonth(year, 2)),
      quarters: [
        { quarter: 1, evidenceDeadline: isoDate(year, 4, 10), inspectionWindowEnd: isoDate(year, 4, 30) },
        { quarter: 2, evidenceDeadline: isoDate(year, 7, 10), inspectionWindowEnd: isoDate(year, 7, 31) },
        { quarter: 3, evidenceDeadline: isoDate(year, 10, 10), inspectionWindowEnd: isoDate(year, 10, 31) },
        { quarter: 4, evidenceDeadline: isoDate(year, 12, 1), inspectionWindowEnd: isoDate(year, 12, 8) },
      ],
      dispatchWindow: { start: isoDate(year, 7, 15), end: isoDate(year, 7, 31) },
      selfAssessmentDeadline: isoDate(year, 12, 5),
      acceptanceWindow: { start: isoDate(year, 12, 10), end: isoDate(year, 12, 31) },
      monthlyReminderDay: 5,
    },
    reviewTimeouts: { remindAfterMs: 5 * DAY_MS, escalateAfterMs: 10 * DAY_MS },
    ledger: { warnBeforeMs: 3 * DAY_MS, escalateAfterMs: 7 * DAY_MS },
    rules: {
      minKeyProjectsPerSecretary: 1,
      rubric: [
        { criterionId: 'c-leadership', name: '组织领导', weight: 20 },
        { criterionId: 'c-goal', name: '目标完成', weight: 40 },
        { criterionId: 'c-fusion', name: '融合成效', weight: 25 },
        { criterionId: 'c-innovation', name: '创新特色', weight: 15 },
      ],
      deductions: [
        { code: 'open_ledger_entry', points: 2 },
        { code: 'missing_evidence', points: 3 },
        { code: 'negative_list', points: 5 },
      ],
      gradeThresholds: { excellent: 90, good: 80, pass: 60 },
      bestOfListSize: 10,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Project allocation
// ---------------------------------------------------------------------------------------------

interface Plan {
  node: OrgNode;
  isKey: boolean;
  children: OrgNode[];
}

const isUpper = (node: OrgNode) => node.org.kind === 'unit' || node.org.kind === 'organ_committee';

function planProjects(seed: number, tree: Tree, projects: number): Plan[] {
  const rng = new Rng(seed, 'plan');
  const leaders = tree.nodes.filter((n) => n.org.kind !== 'committee');
  const noKeyCount = Math.max(1, Math.round(leaders.length * NO_KEY_SHARE));
  const noKey = new Set(rng.sample(leaders, noKeyCount).map((n) => n.org.id));

  let used = 0;
  let forcedSplit = false;
  const splitFor = (node: OrgNode, budget: number): OrgNode[] => {
    const branches = node.unit?.branches ?? [];
    if (!isUpper(node) || branches.length < 2 || budget < 2) return [];
    // The first unit-level project that can be split is, so that even a small city has a "1+N".
    const split = !forcedSplit || rng.chance(SPLIT_SHARE);
    if (!split) return [];
    forcedSplit = true;
    return rng.sample(branches, rng.int(2, Math.min(5, branches.length, budget)));
  };

  const plans: (Plan & { order: number })[] = [];
  // Every secretary leads at least one project, and (but for the few) a key one.
  tree.nodes.forEach((node, i) => {
    const reserve = tree.nodes.length - i - 1;
    const children = splitFor(node, projects - used - 1 - reserve);
    plans.push({ node, isKey: !noKey.has(node.org.id), children, order: i });
    used += 1 + children.length;
  });
  // The rest of the budget: units' and organ committees' secretaries lead a few projects, mostly
  // key; branch secretaries one to three, mostly not key.
  const table = new WeightedTable(leaders, (n) => (isUpper(n) ? 1.5 : 1));
  const order = new Map(tree.nodes.map((n, i) => [n.org.id, i]));
  while (used < projects) {
    const node = table.pick(rng);
    const children = splitFor(node, projects - used - 1);
    const isKey = !noKey.has(node.org.id) && rng.chance(isUpper(node) ? 0.75 : 0.1);
    plans.push({ node, isKey, children, order: order.get(node.org.id) as number });
    used += 1 + children.length;
  }
  // Group by org in tree order; within an org, in the order planned (first the guaranteed one).
  return plans
    .map((p, seq) => ({ p, seq }))
    .sort((a, b) => a.p.order - b.p.order || a.seq - b.seq)
    .map(({ p }) => ({ node: p.node, isKey: p.isKey, children: p.children }));
}

// ---------------------------------------------------------------------------------------------
// Proposal content
// ---------------------------------------------------------------------------------------------

const COMMITTEE_BUSINESS = ['模范机关创建', '机关党建质量提升', '党建与业务深度融合'];

function projectType(rng: Rng, node: OrgNode, isKey: boolean): ProjectType {
  if (isUpper(node) || node.org.kind === 'committee') {
    return rng.weighted<ProjectType>([
      ['service', 35],
      ['improvement', 40],
      ['breakthrough', isKey ? 25 : 15],
    ]);
  }
  return rng.weighted<ProjectType>([
    ['service', 55],
    ['improvement', 35],
    ['breakthrough', isKey ? 15 : 8],
  ]);
}

const PROBLEM_SHARE: Record<ProjectType, number> = { service: 0.2, improvement: 0.35, breakthrough: 0.7 };

function indicator(rng: Rng, t: IndicatorTemplate, id: string, weight: number): IndicatorInput {
  const d = t.decimals ?? 0;
  const draw = (lo: number, hi: number) => (d === 0 ? rng.int(lo, hi) : roundTo(lo + rng.next() * (hi - lo), d));
  const step = 10 ** -d;
  let baseline = draw(t.baseline[0], t.baseline[1]);
  let target: number;
  if (t.direction === 'increase') {
    target = baseline + draw(t.change[0], t.change[1]);
    if (t.max !== undefined) target = Math.min(t.max, target);
    if (target <= baseline) baseline = roundTo(target - step, d);
  } else {
    const cut = t.relative ? baseline * (t.change[0] + rng.next() * (t.change[1] - t.change[0])) : draw(t.change[0], t.change[1]);
    target = Math.max(0, roundTo(baseline - cut, d));
    if (target >= baseline) target = Math.max(0, roundTo(baseline - step, d));
    if (target >= baseline) baseline = roundTo(target + step, d);
  }
  return { id, name: t.name, unit: t.unit, baseline: roundTo(baseline, d), target: roundTo(target, d), weight };
}

/** `count` weights, multiples of 5, each at least 10, summing to exactly 100. */
export function splitWeights(rng: Rng, count: number): number[] {
  const weights = new Array<number>(count).fill(10);
  for (let left = (100 - 10 * count) / 5; left > 0; left--) weights[rng.int(0, count - 1)] += 5;
  return weights.sort((a, b) => b - a);
}

function dateBetween(rng: Rng, year: number, from: [number, number], to: [number, number]): string {
  const start = Date.UTC(year, from[0] - 1, from[1]);
  const end = Date.UTC(year, to[0] - 1, to[1]);
  const d = new Date(start + rng.int(0, Math.round((end - start) / DAY_MS)) * DAY_MS);
  return isoDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

function milestones(rng: Rng, year: number): Milestone[] {
  const count = rng.int(2, 4);
  const early = () => ({ title: rng.pick(MILESTONES.early), due: dateBetween(rng, year, [3, 10], [4, 30]) });
  const late = () => ({ title: rng.pick(MILESTONES.late), due: dateBetween(rng, year, [11, 15], [12, 15]) });
  const [mid1, mid2] = rng.sample(MILESTONES.middle, 2);
  let list: { title: string; due: string }[];
  if (count === 2) list = [{ title: mid1, due: dateBetween(rng, year, [6, 10], [6, 30]) }, late()];
  else if (count === 3) list = [early(), { title: mid1, due: dateBetween(rng, year, [7, 1], [8, 31]) }, late()];
  else {
    list = [
      early(),
      { title: mid1, due: dateBetween(rng, year, [6, 10], [6, 30]) },
      { title: mid2, due: dateBetween(rng, year, [9, 1], [9, 30]) },
      late(),
    ];
  }
  return list.map((m, i) => ({ id: `ms-${i + 1}`, title: m.title, due: m.due }));
}

function proposedAt(rng: Rng, year: number): string {
  // Proposed in January, before the proposal deadline (25 January), in office hours, Beijing time.
  return `${year}-01-${pad(rng.int(4, 24), 2)}T${pad(rng.int(8, 17), 2)}:${pad(rng.int(0, 59), 2)}:00+08:00`;
}

// ---------------------------------------------------------------------------------------------
// The city
// ---------------------------------------------------------------------------------------------

function checkOptions(options: CityOptions): Required<CityOptions> {
  const { seed } = options;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`generateCity: seed must be a safe integer, got ${String(seed)}`);
  const units = options.units ?? DEFAULT_UNITS;
  if (!Number.isInteger(units) || units < 1 || units > MAX_UNITS) throw new RangeError(`generateCity: units must be 1..${MAX_UNITS}, got ${units}`);
  const projects = options.projects ?? DEFAULT_PROJECTS;
  if (!Number.isInteger(projects) || projects < 3 * units + 1) {
    throw new RangeError(`generateCity: ${units} units need at least ${3 * units + 1} projects (one per secretary), got ${projects}`);
  }
  const year = options.year ?? DEFAULT_YEAR;
  if (!Number.isInteger(year) || year < 2000 || year > 2999) throw new RangeError(`generateCity: year must be a four-digit year, got ${year}`);
  return { seed, units, projects, year, cycleId: options.cycleId ?? `cycle-${year}` };
}

/**
 * Builds a city from a seed: same options, deep-equal city. `projects` (default 2,800) is the
 * number of top-level projects plus planned sub-projects, exactly; see the module comment.
 */
export function generateCity(options: CityOptions): GeneratedCity {
  const { seed, units, projects, year, cycleId } = checkOptions(options);
  const tree = buildTree(seed, units, projects);
  const committeeOrgId = tree.committee.org.id;
  const cycle = cityCycle(year, cycleId, { orgId: committeeOrgId, userId: tree.staffIds[0] });
  const plans = planProjects(seed, tree, projects);

  const rng = new Rng(seed, 'content');
  const idWidth = Math.max(4, String(plans.length).length);
  const problems: GeneratedProblem[] = [];
  const problemWidth = 4;
  const generated = plans.map((plan, i): GeneratedProject => {
    const { node } = plan;
    const org = node.org;
    const projectId = `P-${pad(i + 1, idWidth)}`;
    const unit = node.unit;
    const business = unit ? unit.template.business : COMMITTEE_BUSINESS;
    const biz = rng.pick(business);
    const type = projectType(rng, node, plan.isKey);
    const branchTheme = org.kind === 'branch' || rng.chance(0.3);
    // No theme that repeats the business line (“模范机关”模范机关创建…), no 服务服务.
    const themes = THEMES.filter((t) => (branchTheme || !t.branch) && !biz.includes(t.text) && !t.text.includes(biz));
    const theme = rng.pick(themes).text;
    const action = rng.pick(ACTIONS[type].filter((a) => !(biz.endsWith('服务') && a.includes('服务'))));
    const title = `“${theme}”${biz}${action}${rng.pick(TITLE_SUFFIXES)}`;
    const orientation: Orientation = rng.chance(PROBLEM_SHARE[type]) ? 'problem' : 'goal';
    const problemIds: string[] = [];
    if (orientation === 'problem') {
      for (const text of rng.sample(PROBLEMS, rng.int(1, type === 'breakthrough' ? 3 : 2))) {
        const id = `PRB-${pad(problems.length + 1, problemWidth)}`;
        problems.push({ id, orgId: org.id, title: text });
        problemIds.push(id);
      }
    }
    const businessGoal = `${rng.pick(GOAL_OPENINGS)}${biz}工作，${rng.pick(GOAL_OUTCOMES)}。`;
    const templates = rng.sample(INDICATORS, rng.int(2, 4));
    const weights = splitWeights(rng, templates.length);
    const indicators = templates.map((t, k) => indicator(rng, t, `ind-${k + 1}`, weights[k]));
    const proposal: ProposalInput = {
      title,
      type,
      isKey: plan.isKey,
      orientation,
      problemIds,
      businessGoal,
      indicators,
      milestones: milestones(rng, year),
    };

    let reviewer: { orgId: string; userId: string };
    if (org.kind === 'branch' && unit) reviewer = { orgId: unit.organ.org.id, userId: unit.organ.org.secretaryId };
    else if (unit) reviewer = { orgId: committeeOrgId, userId: unit.liaisonId };
    else reviewer = { orgId: committeeOrgId, userId: cycle.committee.userId };

    const create: CreateEvent = {
      type: 'create',
      actor: { userId: org.secretaryId, role: 'secretary', orgId: org.id },
      at: proposedAt(rng, year),
      projectId,
      cycleId,
      parentId: null,
      orgId: org.id,
      leadSecretaryId: org.secretaryId,
      reviewer,
      proposal,
    };
    const children: ChildInput[] = plan.children.map((branch, k) => ({
      id: `${projectId}-S${k + 1}`,
      orgId: branch.org.id,
      secretaryId: branch.org.secretaryId,
      title: `${title}（${branch.short}子项目）`,
    }));
    return { create, children };
  });

  return {
    seed,
    name: tree.cityName,
    cycle,
    orgs: tree.nodes.map((n) => n.org),
    users: tree.users,
    projects: generated,
    problems,
  };
}

/** A small city for fast integration tests: 3 units, 30 projects including planned sub-projects. */
export function smallCity(seed: number, options: Omit<CityOptions, 'seed' | 'units' | 'projects'> = {}): GeneratedCity {
  return generateCity({ ...options, seed, units: 3, projects: 30 });
}

// ---------------------------------------------------------------------------------------------
// Reading a city
// ---------------------------------------------------------------------------------------------

/**
 * Secretaries who lead no key project (重点项目) in the city as generated — what the cycle's
 * `minKeyProjectsPerSecretary` report should find — in user order.
 */
export function secretariesWithoutKeyProject(city: GeneratedCity): GeneratedUser[] {
  const leadsKey = new Set(city.projects.filter((p) => p.create.proposal.isKey).map((p) => p.create.leadSecretaryId));
  return city.users.filter((u) => u.role === 'secretary' && !leadsKey.has(u.id));
}

export interface CityStats {
  orgs: Record<OrgKind, number>;
  users: Record<Role, number>;
  /** Top-level create events. */
  topLevelProjects: number;
  /** Planned "1+N" sub-projects. */
  plannedChildren: number;
  /** `topLevelProjects + plannedChildren`: what `projects` asked for. */
  totalProjects: number;
  splitProjects: number;
  keyProjects: number;
  problemOriented: number;
  byType: Record<ProjectType, number>;
  secretariesWithoutKeyProject: number;
}

export function cityStats(city: GeneratedCity): CityStats {
  const orgs: Record<OrgKind, number> = { committee: 0, unit: 0, organ_committee: 0, branch: 0 };
  for (const o of city.orgs) orgs[o.kind] += 1;
  const users: Record<Role, number> = { committee: 0, secretary: 0, inspector: 0, auditor: 0, member: 0 };
  for (const u of city.users) users[u.role] += 1;
  const byType: Record<ProjectType, number> = { service: 0, improvement: 0, breakthrough: 0 };
  let plannedChildren = 0;
  let splitProjects = 0;
  let keyProjects = 0;
  let problemOriented = 0;
  for (const p of city.projects) {
    byType[p.create.proposal.type] += 1;
    plannedChildren += p.children.length;
    if (p.children.length > 0) splitProjects += 1;
    if (p.create.proposal.isKey) keyProjects += 1;
    if (p.create.proposal.orientation === 'problem') problemOriented += 1;
  }
  return {
    orgs,
    users,
    topLevelProjects: city.projects.length,
    plannedChildren,
    totalProjects: city.projects.length + plannedChildren,
    splitProjects,
    keyProjects,
    problemOriented,
    byType,
    secretariesWithoutKeyProject: secretariesWithoutKeyProject(city).length,
  };
}

/** Inspectors' assignments (督查分工): the units dealt out round-robin, the committee's own org to the first. */
export function inspectorAssignments(city: GeneratedCity): { inspectorId: string; orgId: string }[] {
  const inspectors = city.users.filter((u) => u.role === 'inspector').map((u) => u.id);
  if (inspectors.length === 0) return [];
  const units = city.orgs.filter((o) => o.kind === 'unit');
  return [
    { inspectorId: inspectors[0], orgId: city.cycle.committee.orgId },
    ...units.map((unit, i) => ({ inspectorId: inspectors[i % inspectors.length], orgId: unit.id })),
  ];
}
