/**
 * Building blocks shared by the committee reports: time (always an explicit `asOf`, never the
 * clock), number formatting, ledger and evidence figures, and escaping for Markdown and HTML.
 */
import { deadlineMs, isIsoDateTime, LEDGER_STATUS_LABELS } from '../workflows/lifecycle';
import type { CycleConfig, IsoDate, IsoDateTime, LedgerEntry, LedgerStatus, ProjectState, Quarter } from '../workflows/lifecycle';
import type { OrgIndex } from './orgs';

/** People's names by user id, for the reports to name people instead of showing their ids. */
export type PersonNames = ReadonlyMap<string, string>;

/** The items by key, each list in the items' order: one pass, where filtering per key would be keys × items. */
export function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** A person's name, or their id when the directory does not know them. */
export function personName(names: PersonNames, userId: string): string {
  return names.get(userId) ?? userId;
}

export const QUARTERS: readonly Quarter[] = [1, 2, 3, 4];

const CHINESE_DIGITS = ['一', '二', '三', '四'];

export const QUARTER_LABELS: Readonly<Record<Quarter, string>> = {
  1: '第一季度',
  2: '第二季度',
  3: '第三季度',
  4: '第四季度',
};

/** `第二季度` etc.; also used as the Chinese numeral of a quarter in titles. */
export function quarterNumeral(quarter: Quarter): string {
  return CHINESE_DIGITS[quarter - 1];
}

export function isQuarter(value: unknown): value is Quarter {
  return value === 1 || value === 2 || value === 3 || value === 4;
}

// ---------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------

/** Epoch ms of the `asOf` a report is computed for; an ISO date-time with an offset is required. */
export function asOfMs(asOf: IsoDateTime): number {
  if (!isIsoDateTime(asOf)) throw new RangeError(`asOf must be an ISO date-time with an offset, got ${String(asOf)}`);
  return Date.parse(asOf);
}

/** Whether a deadline (a Beijing calendar day or an exact date-time) has passed at `atMs`. */
export function deadlinePassed(deadline: IsoDate | IsoDateTime, atMs: number): boolean {
  return atMs > deadlineMs(deadline);
}

const BEIJING_OFFSET_MS = 8 * 60 * 60 * 1000;

function beijingParts(iso: IsoDateTime): { y: number; m: number; d: number; hh: string; mm: string } {
  const t = new Date(Date.parse(iso) + BEIJING_OFFSET_MS);
  return {
    y: t.getUTCFullYear(),
    m: t.getUTCMonth() + 1,
    d: t.getUTCDate(),
    hh: String(t.getUTCHours()).padStart(2, '0'),
    mm: String(t.getUTCMinutes()).padStart(2, '0'),
  };
}

/** `2025年7月10日` for a date-time (read in Beijing time) or a `YYYY-MM-DD` date. */
export function chineseDate(value: IsoDate | IsoDateTime): string {
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (date) return `${Number(date[1])}年${Number(date[2])}月${Number(date[3])}日`;
  if (!Number.isFinite(Date.parse(value))) return value;
  const p = beijingParts(value);
  return `${p.y}年${p.m}月${p.d}日`;
}

/** `2025年7月10日 09:00` (Beijing time) for a date-time; a date stays a date. */
export function chineseDateTime(value: IsoDate | IsoDateTime): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value) || !Number.isFinite(Date.parse(value))) return chineseDate(value);
  const p = beijingParts(value);
  return `${p.y}年${p.m}月${p.d}日 ${p.hh}:${p.mm}`;
}

// ---------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------

export function round(value: number, decimals = 4): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

/**
 * A 0..1 share as a percentage with two decimals, as people's reports keep it: 205/208 → `98.56%`
 * (one decimal would read 98.6% and hide three open entries), 1 → `100%`, 0 → `0%`.
 */
export function percentText(share: number): string {
  const pct = round(share * 100, 2);
  return `${Number.isInteger(pct) ? pct.toFixed(0) : pct.toFixed(2)}%`;
}

/** A share that is 0 when there is nothing to divide. */
export function share(part: number, whole: number): number {
  return whole === 0 ? 0 : part / whole;
}

/** What a rate with nothing to count reads (no ledger entry, no rated project): never "100%" nor "0%". */
export const NO_RATE_TEXT = '—';

/** A rate `part ÷ whole`, or null when there is nothing to count (`whole` is 0). */
export function rateOf(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

/** A rate as people read it: `98.56%`, or "—" when there was nothing to count. */
export function rateText(rate: number | null): string {
  return rate === null ? NO_RATE_TEXT : percentText(rate);
}

/** A score or a figure without float noise: 85 → `85`, 87.5 → `87.5`. */
export function numberText(value: number | null): string {
  if (value === null) return '—';
  return String(round(value, 2));
}

// ---------------------------------------------------------------------------------------------
// Rectification ledger (整改台账)
// ---------------------------------------------------------------------------------------------

/** Ledger figures of a set of entries; `overdue` counts unclosed entries whose deadline passed by `asOf`. */
export interface LedgerFigures {
  total: number;
  /** 待整改: open, or sent back. */
  open: number;
  /** 已报整改: reported, waiting for the inspector's verification. */
  reported: number;
  /** 已销号. */
  closed: number;
  /** open + reported. */
  unclosed: number;
  /** 逾期未销号: not closed and its deadline passed as of `asOf`. */
  overdue: number;
  /** 整改率: closed ÷ total (rounded to 4 decimals); null when there are no entries (the text reads "—"). */
  rectificationRate: number | null;
  rectificationRateText: string;
  /** 清零: no entry left unclosed. */
  cleared: boolean;
}

/**
 * The one definition of an overdue ledger entry (逾期未销号), used by the project list's `overdue`
 * filter, the committee figures and every report: not closed, and its deadline instant passed at
 * `atMs`. A `YYYY-MM-DD` deadline lasts until the end of that day in the cycle's time zone
 * (Asia/Shanghai, deadlineMs); a date-time deadline is taken as is. Never compare deadlines as text.
 */
export function isLedgerOverdue(entry: Pick<LedgerEntry, 'status' | 'deadline'>, atMs: number): boolean {
  return entry.status !== 'closed' && deadlinePassed(entry.deadline, atMs);
}

export function ledgerFigures(entries: readonly LedgerEntry[], atMs: number): LedgerFigures {
  const count = (status: LedgerStatus) => entries.filter((e) => e.status === status).length;
  const closed = count('closed');
  const rate = rateOf(closed, entries.length);
  return {
    total: entries.length,
    open: count('open'),
    reported: count('reported'),
    closed,
    unclosed: entries.length - closed,
    overdue: entries.filter((e) => isLedgerOverdue(e, atMs)).length,
    rectificationRate: rate === null ? null : round(rate, 4),
    rectificationRateText: rateText(rate),
    cleared: closed === entries.length,
  };
}

/** A ledger entry as a person reads it in a report: names, labels, and whether it is overdue. */
export interface LedgerItem {
  entryId: string;
  projectId: string;
  projectTitle: string;
  projectOrgId: string;
  projectOrgName: string;
  quarter: Quarter;
  quarterLabel: string;
  problem: string;
  responsibleOrgId: string;
  responsibleOrgName: string;
  responsiblePersonId: string;
  measures: string;
  deadline: IsoDate;
  status: LedgerStatus;
  statusLabel: string;
  overdue: boolean;
  recordedAt: IsoDateTime;
  closedAt: IsoDateTime | null;
}

export function ledgerItem(project: ProjectState, entry: LedgerEntry, orgs: OrgIndex, atMs: number): LedgerItem {
  return {
    entryId: entry.id,
    projectId: project.id,
    projectTitle: project.proposal.title,
    projectOrgId: project.orgId,
    projectOrgName: orgs.name(project.orgId),
    quarter: entry.quarter,
    quarterLabel: QUARTER_LABELS[entry.quarter],
    problem: entry.problem,
    responsibleOrgId: entry.responsibleOrgId,
    responsibleOrgName: orgs.name(entry.responsibleOrgId),
    responsiblePersonId: entry.responsiblePersonId,
    measures: entry.measures,
    deadline: entry.deadline,
    status: entry.status,
    statusLabel: LEDGER_STATUS_LABELS[entry.status],
    overdue: isLedgerOverdue(entry, atMs),
    recordedAt: entry.recordedAt,
    closedAt: entry.closedAt,
  };
}

/** Ledger items sorted by the responsible org's place in the tree, then project id, then entry id. */
export function sortLedgerItems(items: LedgerItem[], orgs: OrgIndex): LedgerItem[] {
  return items.sort(
    (a, b) =>
      orgs.position(a.responsibleOrgId) - orgs.position(b.responsibleOrgId) ||
      cmp(a.responsibleOrgId, b.responsibleOrgId) ||
      cmp(a.projectId, b.projectId) ||
      cmp(a.entryId, b.entryId),
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Evidence (佐证材料)
// ---------------------------------------------------------------------------------------------

/** A quarter whose evidence first arrived after the quarter's evidence deadline. */
export interface LateQuarter {
  quarter: Quarter;
  quarterLabel: string;
  deadline: IsoDate;
  /** The first submission for the quarter (corrections are not submissions). */
  firstSubmittedAt: IsoDateTime;
}

/**
 * Quarters whose evidence came late (逾期提交佐证材料): the quarter has evidence, and every original
 * submission for it (not counting corrections, which keep the quarter of what they correct) was made
 * after the quarter's evidence deadline (`deadlineMs`: the end of that day, Beijing time). A
 * quarter covered on time stays on time even if more evidence is added later.
 */
export function lateEvidenceQuarters(project: Pick<ProjectState, 'evidence'>, cycle: CycleConfig): LateQuarter[] {
  const late: LateQuarter[] = [];
  if (project.evidence.length === 0) return late;
  const calendar = [...cycle.calendar.quarters].sort((a, b) => a.quarter - b.quarter);
  for (const q of calendar) {
    const originals = project.evidence.filter((e) => e.quarter === q.quarter && e.supersedes === null);
    if (originals.length === 0) continue;
    const limit = deadlineMs(q.evidenceDeadline);
    if (originals.some((e) => Date.parse(e.at) <= limit)) continue;
    const first = originals.reduce((a, b) => (Date.parse(b.at) < Date.parse(a.at) ? b : a));
    late.push({ quarter: q.quarter, quarterLabel: QUARTER_LABELS[q.quarter], deadline: q.evidenceDeadline, firstSubmittedAt: first.at });
  }
  return late;
}

// ---------------------------------------------------------------------------------------------
// Escaping
// ---------------------------------------------------------------------------------------------

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/**
 * Escapes text for Markdown, inline or in a table cell: the punctuation that could open emphasis,
 * code, a link or raw HTML (so `<script>` stays text) and the table pipe; a leading character that
 * would start a heading, list or quote; line breaks become spaces. Everyday punctuation such as
 * `1+N` or `(…)` mid-text is left readable.
 */
export function escapeMarkdown(value: unknown): string {
  return String(value ?? '')
    .replace(/\r\n?|\n/g, ' ')
    .replace(/[\\`*_[\]<>|~]/g, '\\$&')
    .replace(/^([#+\-=])/, '\\$1')
    // Only "1. " or "1) " at the start opens an ordered list; a decimal such as 255.97 or 96.3分 is text.
    .replace(/^(\d+)([.)])(?=\s|$)/, '$1\\$2');
}
