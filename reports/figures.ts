/**
 * Committee figures (工委数据看板) over one cycle's project states: counts by stage, type and org
 * (each org, and each unit's whole subtree), key projects, missing and late evidence, the
 * rectification ledger (整改台账) and its rectification rate (整改率), inspection ratings per
 * quarter, and secretaries short of the key project they must lead (每年至少领办1个重点项目).
 *
 * Pure and deterministic: the same states, cycle, directory and `asOf` give the same JSON.
 */
import {
  keyProjectShortfall as lifecycleKeyProjectShortfall,
  missingEvidenceQuarters,
  PROJECT_TYPE_LABELS,
  RATING_LABELS,
  STAGE_LABELS,
  STAGES,
} from '../workflows/lifecycle';
import type { CycleConfig, IsoDate, IsoDateTime, LedgerEntry, ProjectState, ProjectType, Quarter, Rating, Stage } from '../workflows/lifecycle';
import {
  asOfMs,
  deadlinePassed,
  groupBy,
  ledgerFigures,
  ledgerItem,
  lateEvidenceQuarters,
  personName,
  QUARTER_LABELS,
  sortLedgerItems,
} from './common';
import type { LateQuarter, LedgerFigures, LedgerItem, PersonNames } from './common';
import { compareIds, indexOrgs, ORG_KIND_LABELS, sortOrgIds } from './orgs';
import type { OrgDirectoryEntry, OrgIndex, OrgKind } from './orgs';

export const PROJECT_TYPES: readonly ProjectType[] = ['service', 'improvement', 'breakthrough'];
export const RATINGS: readonly Rating[] = ['on_track', 'lagging', 'stalled'];

/** Stages whose projects are under inspection (季度督查) and keep their ledger open. */
const OVERSIGHT: readonly Stage[] = ['in_progress', 'self_assessed'];

/** Stages that do not count towards a secretary's key projects (as in the lifecycle's rule). */
const NOT_COUNTED_FOR_KEY: readonly Stage[] = ['rejected', 'cancelled'];

/** Chinese labels of the figure keys, for whoever shows the JSON to a person. */
export const FIGURE_LABELS = {
  projects: '项目总数',
  topLevel: '书记项目（一级项目）',
  subProjects: '子项目（1+N）',
  keyProjects: '重点项目',
  byStage: '按阶段',
  byType: '按类型',
  missingEvidenceProjects: '佐证材料缺失项目',
  lateEvidenceProjects: '佐证材料逾期提交项目',
  ledger: '整改台账',
  total: '问题总数',
  open: '待整改',
  reported: '已报整改待验收',
  closed: '已销号',
  unclosed: '未销号',
  overdue: '逾期未销号',
  rectificationRate: '整改率',
  cleared: '已清零',
  due: '应督查',
  onTrack: RATING_LABELS.on_track,
  lagging: RATING_LABELS.lagging,
  stalled: RATING_LABELS.stalled,
  notRated: '尚未评价',
  keyProjectShortfall: '未按要求领办重点项目的书记',
  byOrg: '按党组织',
  byUnit: '按单位（含下属党组织）',
} as const;

export interface CountItem<K extends string> {
  key: K;
  label: string;
  count: number;
}

/** The figures of a set of projects and ledger entries (the whole cycle, one org, one unit). */
export interface ProjectTally {
  projects: number;
  topLevel: number;
  subProjects: number;
  /** Key projects (重点项目) that count towards the rule: all but rejected and cancelled ones. */
  keyProjects: number;
  byStage: CountItem<Stage>[];
  byType: CountItem<ProjectType>[];
  /** Projects with at least one quarter that fell due without evidence. */
  missingEvidenceProjects: number;
  /** Projects with at least one quarter whose evidence first came after its deadline. */
  lateEvidenceProjects: number;
  /** Ledger entries by their responsible org (责任单位), whatever project they came from. */
  ledger: LedgerFigures;
}

export interface OrgFigures extends ProjectTally {
  orgId: string;
  orgName: string;
  /** null for an org the directory does not know. */
  kind: OrgKind | null;
  kindLabel: string | null;
  parentId: string | null;
  unitId: string | null;
  unitName: string | null;
}

/** A unit (单位党组/党委) rolled up with its whole subtree: its organ party committee and branches. */
export interface UnitFigures extends ProjectTally {
  unitId: string;
  unitName: string;
  orgIds: string[];
}

export type RatingKey = Rating | 'not_rated';

/** Inspection ratings of one quarter (季度督查评价). */
export interface QuarterRatings {
  quarter: Quarter;
  quarterLabel: string;
  evidenceDeadline: IsoDate | null;
  /**
   * Projects subject to the quarter's inspection: those with an inspection record for it, and
   * those under inspection (in progress or self-assessed) once the quarter's evidence deadline
   * passed as of `asOf`.
   */
  due: number;
  onTrack: number;
  lagging: number;
  stalled: number;
  /** Subject to the inspection but not rated yet. */
  notRated: number;
  distribution: CountItem<RatingKey>[];
}

export interface ProjectRef {
  projectId: string;
  parentId: string | null;
  title: string;
  orgId: string;
  orgName: string;
  unitId: string | null;
  unitName: string | null;
  leadSecretaryId: string;
  stage: Stage;
  stageLabel: string;
}

export interface MissingEvidenceItem extends ProjectRef {
  quarters: Quarter[];
  quarterLabels: string[];
}

export interface LateEvidenceItem extends ProjectRef {
  late: LateQuarter[];
}

export interface KeyProjectShortfallItem {
  secretaryId: string;
  /** The secretary's name (their id when the directory does not know them). */
  secretaryName: string;
  /** Orgs the secretary is known for: the directory's, then those of the projects they lead. */
  orgIds: string[];
  orgNames: string[];
  keyProjects: number;
  required: number;
}

export interface CommitteeFigures {
  cycleId: string;
  year: number;
  asOf: IsoDateTime;
  totals: ProjectTally;
  byOrg: OrgFigures[];
  byUnit: UnitFigures[];
  inspections: QuarterRatings[];
  missingEvidence: MissingEvidenceItem[];
  lateEvidence: LateEvidenceItem[];
  /** Unclosed ledger entries past their deadline as of `asOf` (逾期预警). */
  overdueLedger: LedgerItem[];
  keyProjectShortfall: KeyProjectShortfallItem[];
  labels: typeof FIGURE_LABELS;
}

// ---------------------------------------------------------------------------------------------
// Shared pieces (also used by the quarterly report)
// ---------------------------------------------------------------------------------------------

export function projectRef(p: ProjectState, orgs: OrgIndex): ProjectRef {
  const unitId = orgs.unitOf(p.orgId);
  return {
    projectId: p.id,
    parentId: p.parentId,
    title: p.proposal.title,
    orgId: p.orgId,
    orgName: orgs.name(p.orgId),
    unitId,
    unitName: unitId === null ? null : orgs.name(unitId),
    leadSecretaryId: p.leadSecretaryId,
    stage: p.stage,
    stageLabel: STAGE_LABELS[p.stage],
  };
}

/** Projects in the directory's tree order of their org, then by id. */
export function sortProjects<P extends Pick<ProjectState, 'id' | 'orgId'>>(projects: P[], orgs: OrgIndex): P[] {
  return projects.sort((a, b) => orgs.position(a.orgId) - orgs.position(b.orgId) || compareIds(a.orgId, b.orgId) || compareIds(a.id, b.id));
}

function countBy<K extends string>(keys: readonly K[], labels: Readonly<Record<K, string>>, values: readonly K[]): CountItem<K>[] {
  return keys.map((key) => ({ key, label: labels[key], count: values.filter((v) => v === key).length }));
}

function isCountedKey(p: ProjectState): boolean {
  return p.proposal.isKey && !NOT_COUNTED_FOR_KEY.includes(p.stage);
}

/** A project's missing and late evidence quarters, computed once per project for all the tallies that count it. */
export interface EvidenceGaps {
  missing: Quarter[];
  late: LateQuarter[];
}

export function evidenceGaps(p: ProjectState, cycle: CycleConfig): EvidenceGaps {
  return { missing: missingEvidenceQuarters(p), late: lateEvidenceQuarters(p, cycle) };
}

export function tally(
  projects: readonly ProjectState[],
  entries: readonly LedgerEntry[],
  cycle: CycleConfig,
  atMs: number,
  gapsOf: (p: ProjectState) => EvidenceGaps = (p) => evidenceGaps(p, cycle),
): ProjectTally {
  // One pass: the byOrg figures call this once per org, thousands of times for a province.
  const stages = new Map<Stage, number>();
  const types = new Map<ProjectType, number>();
  let topLevel = 0;
  let keyProjects = 0;
  let missingEvidenceProjects = 0;
  let lateEvidenceProjects = 0;
  for (const p of projects) {
    if (p.parentId === null) topLevel++;
    if (isCountedKey(p)) keyProjects++;
    stages.set(p.stage, (stages.get(p.stage) ?? 0) + 1);
    types.set(p.proposal.type, (types.get(p.proposal.type) ?? 0) + 1);
    const gaps = gapsOf(p);
    if (gaps.missing.length > 0) missingEvidenceProjects++;
    if (gaps.late.length > 0) lateEvidenceProjects++;
  }
  return {
    projects: projects.length,
    topLevel,
    subProjects: projects.length - topLevel,
    keyProjects,
    byStage: STAGES.map((key) => ({ key, label: STAGE_LABELS[key], count: stages.get(key) ?? 0 })),
    byType: PROJECT_TYPES.map((key) => ({ key, label: PROJECT_TYPE_LABELS[key], count: types.get(key) ?? 0 })),
    missingEvidenceProjects,
    lateEvidenceProjects,
    ledger: ledgerFigures(entries, atMs),
  };
}

/** Whether a project is subject to a quarter's inspection as of `atMs` (see QuarterRatings.due). */
export function subjectToInspection(p: ProjectState, quarter: Quarter, cycle: CycleConfig, atMs: number): boolean {
  if (p.inspections.some((i) => i.quarter === quarter)) return true;
  const deadline = cycle.calendar.quarters.find((q) => q.quarter === quarter)?.evidenceDeadline;
  return deadline !== undefined && OVERSIGHT.includes(p.stage) && deadlinePassed(deadline, atMs);
}

export function quarterRatings(projects: readonly ProjectState[], quarter: Quarter, cycle: CycleConfig, atMs: number): QuarterRatings {
  const subject = projects.filter((p) => subjectToInspection(p, quarter, cycle, atMs));
  const ratings: RatingKey[] = subject.map((p) => p.inspections.find((i) => i.quarter === quarter)?.rating ?? 'not_rated');
  const distribution = countBy<RatingKey>([...RATINGS, 'not_rated'], { ...RATING_LABELS, not_rated: FIGURE_LABELS.notRated }, ratings);
  const n = (k: RatingKey) => distribution.find((d) => d.key === k)?.count ?? 0;
  return {
    quarter,
    quarterLabel: QUARTER_LABELS[quarter],
    evidenceDeadline: cycle.calendar.quarters.find((q) => q.quarter === quarter)?.evidenceDeadline ?? null,
    due: subject.length,
    onTrack: n('on_track'),
    lagging: n('lagging'),
    stalled: n('stalled'),
    notRated: n('not_rated'),
    distribution,
  };
}

/** Every ledger entry of the cycle with the project it came from. */
export function ledgerWithProjects(projects: readonly ProjectState[]): { project: ProjectState; entry: LedgerEntry }[] {
  return projects.flatMap((project) => project.ledger.map((entry) => ({ project, entry })));
}

// ---------------------------------------------------------------------------------------------
// Key projects (每年至少领办1个重点项目)
// ---------------------------------------------------------------------------------------------

function keyShortfall(projects: readonly ProjectState[], orgs: OrgIndex, cycle: CycleConfig, people: PersonNames): KeyProjectShortfallItem[] {
  const orgsOf = new Map<string, string[]>();
  const note = (secretaryId: string, orgId: string) => {
    const list = orgsOf.get(secretaryId) ?? [];
    if (!list.includes(orgId)) list.push(orgId);
    orgsOf.set(secretaryId, list);
  };
  // Secretaries of the directory (the committee's own staff lead no projects), in tree order.
  for (const orgId of orgs.treeOrder) {
    const org = orgs.get(orgId);
    if (org && org.kind !== 'committee' && org.secretaryId) note(org.secretaryId, org.id);
  }
  const fromDirectory = [...orgsOf.keys()];
  // Then secretaries known only from the projects they lead, in the tree order of those projects.
  const sorted = sortProjects([...projects], orgs);
  const fromProjects = [...new Set(sorted.map((p) => p.leadSecretaryId))].filter((id) => !orgsOf.has(id));
  for (const p of sorted) note(p.leadSecretaryId, p.orgId);

  return lifecycleKeyProjectShortfall([...fromDirectory, ...fromProjects], projects, cycle).map((s) => {
    const orgIds = orgsOf.get(s.secretaryId) ?? [];
    return { secretaryId: s.secretaryId, secretaryName: personName(people, s.secretaryId), orgIds, orgNames: orgIds.map((id) => orgs.name(id)), keyProjects: s.keyProjects, required: s.required };
  });
}

// ---------------------------------------------------------------------------------------------
// The figures
// ---------------------------------------------------------------------------------------------

/**
 * The committee's figures for one cycle. `projects` holds the cycle's top-level projects and
 * sub-projects together (each sub-project counts under its own org); `asOf` decides what is
 * overdue and which quarters have fallen due. Projects of other cycles are ignored.
 *
 * Attribution: projects count under their own org; ledger entries under their responsible org
 * (责任单位, who must rectify), which is usually but not always the project's org. A unit's
 * figures cover every org whose nearest `unit` ancestor it is.
 */
export function committeeFigures(
  projects: readonly ProjectState[],
  cycle: CycleConfig,
  orgList: readonly OrgDirectoryEntry[],
  asOf: IsoDateTime,
  people: PersonNames = new Map(),
): CommitteeFigures {
  const atMs = asOfMs(asOf);
  const orgs = indexOrgs(orgList);
  const mine = projects.filter((p) => p.cycleId === cycle.cycleId);
  const ledger = ledgerWithProjects(mine);
  // Each project is counted in the totals, its org and its unit: its evidence gaps are found once.
  const gaps = new Map(mine.map((p) => [p, evidenceGaps(p, cycle)]));
  const gapsOf = (p: ProjectState) => gaps.get(p) ?? evidenceGaps(p, cycle);

  // Grouped once: a province has thousands of orgs and tens of thousands of projects.
  const projectsOf = groupBy(mine, (p) => p.orgId);
  const entries = ledger.map((l) => l.entry);
  const entriesOf = groupBy(entries, (e) => e.responsibleOrgId);
  const orgIds = sortOrgIds([...orgs.treeOrder, ...mine.map((p) => p.orgId), ...ledger.map((l) => l.entry.responsibleOrgId)], orgs);
  const byOrg: OrgFigures[] = orgIds.map((orgId) => {
    const org = orgs.get(orgId);
    const unitId = orgs.unitOf(orgId);
    return {
      orgId,
      orgName: orgs.name(orgId),
      kind: org?.kind ?? null,
      kindLabel: org ? ORG_KIND_LABELS[org.kind] : null,
      parentId: org?.parentId ?? null,
      unitId,
      unitName: unitId === null ? null : orgs.name(unitId),
      ...tally(projectsOf.get(orgId) ?? [], entriesOf.get(orgId) ?? [], cycle, atMs, gapsOf),
    };
  });

  const orgIdsOfUnit = groupBy(orgIds, (id) => orgs.unitOf(id));
  const projectsOfUnit = groupBy(mine, (p) => orgs.unitOf(p.orgId));
  const entriesOfUnit = groupBy(entries, (e) => orgs.unitOf(e.responsibleOrgId));
  const byUnit: UnitFigures[] = orgs.units.map((unit) => ({
    unitId: unit.id,
    unitName: unit.name,
    orgIds: orgIdsOfUnit.get(unit.id) ?? [],
    ...tally(projectsOfUnit.get(unit.id) ?? [], entriesOfUnit.get(unit.id) ?? [], cycle, atMs, gapsOf),
  }));

  const sorted = sortProjects([...mine], orgs);
  const missingEvidence: MissingEvidenceItem[] = sorted
    .map((p) => ({ p, quarters: gapsOf(p).missing }))
    .filter((x) => x.quarters.length > 0)
    .map(({ p, quarters }) => ({ ...projectRef(p, orgs), quarters, quarterLabels: quarters.map((q) => QUARTER_LABELS[q]) }));
  const lateEvidence: LateEvidenceItem[] = sorted
    .map((p) => ({ p, late: gapsOf(p).late }))
    .filter((x) => x.late.length > 0)
    .map(({ p, late }) => ({ ...projectRef(p, orgs), late }));
  const overdueLedger = sortLedgerItems(
    ledger.map((l) => ledgerItem(l.project, l.entry, orgs, atMs)).filter((i) => i.overdue),
    orgs,
  );

  return {
    cycleId: cycle.cycleId,
    year: cycle.year,
    asOf,
    totals: tally(mine, ledger.map((l) => l.entry), cycle, atMs, gapsOf),
    byOrg,
    byUnit,
    inspections: ([1, 2, 3, 4] as const).map((q) => quarterRatings(mine, q, cycle, atMs)),
    missingEvidence,
    lateEvidence,
    overdueLedger,
    keyProjectShortfall: keyShortfall(mine, orgs, cycle, people),
    labels: FIGURE_LABELS,
  };
}
