/**
 * The year's best-of lists (双十佳).
 *
 * Seed 001: 工委择优评选年度“双十佳新突破”党建项目 — the committee picks the year's "double top ten
 * new breakthrough" projects, within the 振兴新突破、我要当先锋 campaign, from projects typed
 * 服务型 / 提升型 / 破题型. The two lists are therefore split as:
 *
 * - list A `overall`, 十佳党建项目: the best accepted top-level projects of any type;
 * - list B `breakthrough`, 十佳“新突破”破题项目: the best accepted top-level 破题型 (breakthrough)
 *   projects not already on list A.
 *
 * A is picked first and a project appears on at most one list. B is not back-filled with other
 * types when fewer breakthrough projects remain: it is a list of breakthrough projects. Each list
 * holds at most `cycle.rules.bestOfListSize` projects. Only top-level projects (书记项目) compete;
 * sub-projects are part of their parent's achievement. Failed projects (不合格) never reach
 * `accepted`, so they never compete.
 */
import { GRADE_LABELS, PROJECT_TYPE_LABELS, rectificationRate } from '../workflows/lifecycle';
import type { CycleConfig, Grade, IsoDateTime, ProjectState, ProjectType } from '../workflows/lifecycle';
import { personName, rateOf, rateText, round, type PersonNames } from './common';
import { compareIds, indexOrgs } from './orgs';
import type { OrgDirectoryEntry } from './orgs';

export type BestOfCandidate = Pick<ProjectState, 'id' | 'acceptance' | 'ledger' | 'progress'>;

const NO_SCORE = Number.NEGATIVE_INFINITY;

/**
 * The best-of ranking (双十佳排序规则), a comparator for `Array.prototype.sort` (better first):
 *
 * 1. higher final acceptance score (验收得分);
 * 2. then fewer deduction points (减分);
 * 3. then higher rectification rate of the project's ledger (整改率; 1 with no entries);
 * 4. then higher rolled-up progress (完成进度);
 * 5. then earlier acceptance, compared as instants (so offsets do not matter);
 * 6. then project id ascending, by UTF-16 code units (never locale-dependent), so the order is total.
 *
 * Projects without an acceptance sort after every accepted one.
 */
export function compareBestOf(a: BestOfCandidate, b: BestOfCandidate): number {
  const score = (p: BestOfCandidate) => p.acceptance?.finalScore ?? NO_SCORE;
  const deduction = (p: BestOfCandidate) => p.acceptance?.totalDeduction ?? Number.POSITIVE_INFINITY;
  const acceptedMs = (p: BestOfCandidate) => (p.acceptance ? Date.parse(p.acceptance.at) : Number.POSITIVE_INFINITY);
  return (
    byNumber(score(b), score(a)) ||
    byNumber(deduction(a), deduction(b)) ||
    byNumber(rectificationRate(b.ledger), rectificationRate(a.ledger)) ||
    byNumber(b.progress, a.progress) ||
    byNumber(acceptedMs(a), acceptedMs(b)) ||
    compareIds(a.id, b.id)
  );
}

/** The ranking rule in words, for the published list. */
export const BEST_OF_RULE_ZH =
  '按验收得分由高到低排序；得分相同的，依次比较减分较少、整改率较高、完成进度较高、验收时间较早者优先，仍相同的按项目编号升序排列。';

function byNumber(x: number, y: number): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

export type BestOfListKey = 'overall' | 'breakthrough';

export interface BestOfEntry {
  rank: number;
  projectId: string;
  title: string;
  orgId: string;
  orgName: string;
  leadSecretaryId: string;
  /** The lead secretary's name (their id when the directory does not know them). */
  leadSecretaryName: string;
  type: ProjectType;
  typeLabel: string;
  isKey: boolean;
  finalScore: number;
  grade: Grade;
  gradeLabel: string;
  totalDeduction: number;
  /** closed ÷ total of the project's ledger; null (text "—") when it has no entry. */
  rectificationRate: number | null;
  rectificationRateText: string;
  progress: number;
  acceptedAt: IsoDateTime;
}

export interface BestOfList {
  key: BestOfListKey;
  title: string;
  /** Who may be on the list, in Chinese. */
  criterion: string;
  /** The most the list may hold (cycle.rules.bestOfListSize). */
  size: number;
  entries: BestOfEntry[];
}

export interface BestOfLists {
  cycleId: string;
  year: number;
  /** 双十佳. */
  title: string;
  rule: string;
  lists: [BestOfList, BestOfList];
}

export const BEST_OF_LIST_TITLES: Readonly<Record<BestOfListKey, string>> = {
  overall: '十佳党建项目',
  breakthrough: '十佳“新突破”破题项目',
};

function isCandidate(p: ProjectState, cycle: CycleConfig): boolean {
  return p.cycleId === cycle.cycleId && p.parentId === null && p.stage === 'accepted' && p.acceptance !== null;
}

/**
 * The two best-of lists (双十佳) of a cycle; `orgs` only supplies org names. See the module
 * comment for the split and compareBestOf for the ranking.
 */
export function bestOfLists(projects: readonly ProjectState[], cycle: CycleConfig, orgList: readonly OrgDirectoryEntry[] = [], people: PersonNames = new Map()): BestOfLists {
  const orgs = indexOrgs(orgList);
  const size = cycle.rules.bestOfListSize;
  const ranked = projects.filter((p) => isCandidate(p, cycle)).sort(compareBestOf);
  const overall = ranked.slice(0, size);
  const taken = new Set(overall.map((p) => p.id));
  const breakthrough = ranked.filter((p) => !taken.has(p.id) && p.proposal.type === 'breakthrough').slice(0, size);

  const entry = (p: ProjectState, i: number): BestOfEntry => {
    const a = p.acceptance as NonNullable<ProjectState['acceptance']>;
    const rate = rateOf(p.ledger.filter((l) => l.status === 'closed').length, p.ledger.length);
    return {
      rank: i + 1,
      projectId: p.id,
      title: p.proposal.title,
      orgId: p.orgId,
      orgName: orgs.name(p.orgId),
      leadSecretaryId: p.leadSecretaryId,
      leadSecretaryName: personName(people, p.leadSecretaryId),
      type: p.proposal.type,
      typeLabel: PROJECT_TYPE_LABELS[p.proposal.type],
      isKey: p.proposal.isKey,
      finalScore: a.finalScore,
      grade: a.grade,
      gradeLabel: GRADE_LABELS[a.grade],
      totalDeduction: a.totalDeduction,
      rectificationRate: rate === null ? null : round(rate, 4),
      rectificationRateText: rateText(rate),
      progress: p.progress,
      acceptedAt: a.at,
    };
  };

  return {
    cycleId: cycle.cycleId,
    year: cycle.year,
    title: `${cycle.year}年度“双十佳新突破”党建项目`,
    rule: BEST_OF_RULE_ZH,
    lists: [
      {
        key: 'overall',
        title: BEST_OF_LIST_TITLES.overall,
        criterion: '通过年底验收的书记项目（一级项目），不限类型',
        size,
        entries: overall.map(entry),
      },
      {
        key: 'breakthrough',
        title: BEST_OF_LIST_TITLES.breakthrough,
        criterion: '通过年底验收的破题型书记项目，已入选十佳党建项目的不重复入选',
        size,
        entries: breakthrough.map(entry),
      },
    ],
  };
}
