/**
 * The quarterly work report (季度工作报告) on the projects' inspection (季度督查): ratings, the
 * problems found in the quarter, the rectification ledger, lagging and stalled projects by org,
 * and missing or late evidence. Built as plain JSON, rendered to Markdown and to HTML in Chinese.
 */
import { missingEvidenceQuarters, PROJECT_TYPE_LABELS, RATING_LABELS } from '../workflows/lifecycle';
import type { CycleConfig, IsoDate, IsoDateTime, ProjectState, ProjectType, Quarter, Stage } from '../workflows/lifecycle';
import { chartFigure, ratingsPerQuarterChart, rectificationByUnitChart, stageChart, typeChart } from './charts';
import {
  asOfMs,
  chineseDate,
  chineseDateTime,
  escapeHtml,
  escapeMarkdown,
  groupBy,
  isQuarter,
  lateEvidenceQuarters,
  ledgerFigures,
  ledgerItem,
  percentText,
  QUARTER_LABELS,
  quarterNumeral,
  rateOf,
  rateText,
  round,
  sortLedgerItems,
} from './common';
import type { LedgerFigures, LedgerItem } from './common';
import { ledgerWithProjects, projectRef, quarterRatings, sortProjects, tally } from './figures';
import type { CountItem, LateEvidenceItem, MissingEvidenceItem, QuarterRatings } from './figures';
import { htmlDocument, htmlTable, markdownTable } from './html';
import { indexOrgs } from './orgs';
import type { OrgDirectoryEntry } from './orgs';

export interface LaggingProject {
  projectId: string;
  parentId: string | null;
  title: string;
  type: ProjectType;
  typeLabel: string;
  isKey: boolean;
  rating: 'lagging' | 'stalled';
  ratingLabel: string;
  /** 0..1, the project's rolled-up progress now. */
  progress: number;
  progressText: string;
  /** The quarter's findings, the engine's missing-evidence finding included. */
  findings: string[];
  leadSecretaryId: string;
  inspectorId: string | null;
  inspectedAt: IsoDateTime | null;
}

/** Lagging and stalled projects of one org. */
export interface LaggingOrgGroup {
  orgId: string;
  orgName: string;
  unitId: string | null;
  unitName: string | null;
  projects: LaggingProject[];
}

export interface QuarterlySummary {
  /** All projects of the cycle, sub-projects included. */
  projects: number;
  /** Projects in progress or self-assessed now. */
  underInspection: number;
  /** Subject to this quarter's inspection (see QuarterRatings.due). */
  due: number;
  /** Rated this quarter. */
  inspected: number;
  notRated: number;
  onTrack: number;
  lagging: number;
  stalled: number;
  /** on_track ÷ rated; null when none was rated (the text reads "—"). */
  onTrackRate: number | null;
  onTrackRateText: string;
  /** Problems recorded by this quarter's inspections (ledger entries of the quarter). */
  problemsFound: number;
  missingEvidence: number;
  lateEvidence: number;
  /** Rectification rate of all entries recorded up to and including this quarter; null without entries. */
  rectificationRate: number | null;
  rectificationRateText: string;
  /** Unclosed entries (up to this quarter) past their deadline as of `asOf`. */
  overdue: number;
}

/** One unit's rectification figures (entries up to the report's quarter, by responsible org's unit). */
export interface UnitRectification {
  unitId: string;
  unitName: string;
  total: number;
  closed: number;
  /** closed ÷ total; null when the unit has no entry (the text reads "—"). */
  rectificationRate: number | null;
  rectificationRateText: string;
}

/** What the report's charts show: the whole cycle as of `asOf`. */
export interface QuarterlyOverview {
  /** Ratings of every quarter (Q1–Q4), for the chart of ratings per quarter. */
  ratingsByQuarter: QuarterRatings[];
  byStage: CountItem<Stage>[];
  byType: CountItem<ProjectType>[];
  rectificationByUnit: UnitRectification[];
}

export interface QuarterlyReport {
  cycleId: string;
  year: number;
  quarter: Quarter;
  quarterLabel: string;
  /** e.g. `2026年第二季度党建项目督查工作报告`. */
  title: string;
  asOf: IsoDateTime;
  asOfLabel: string;
  calendar: { evidenceDeadline: IsoDate | null; inspectionWindowEnd: IsoDate | null };
  summary: QuarterlySummary;
  ratings: QuarterRatings;
  /** Problems found this quarter (本季度发现问题), each a ledger entry. */
  problems: LedgerItem[];
  ledger: {
    /** Entries recorded this quarter. */
    quarter: LedgerFigures;
    /** Entries recorded from the first quarter up to this one (截至本季度累计). */
    cumulative: LedgerFigures;
    /** Cumulative entries overdue as of `asOf`. */
    overdue: LedgerItem[];
  };
  laggingByOrg: LaggingOrgGroup[];
  /** Projects whose inspection of this quarter fell due without evidence. */
  missingEvidence: MissingEvidenceItem[];
  /** Projects whose evidence for this quarter first came after the deadline. */
  lateEvidence: LateEvidenceItem[];
  overview: QuarterlyOverview;
}

export function quarterlyReportTitle(year: number, quarter: Quarter): string {
  return `${year}年第${quarterNumeral(quarter)}季度党建项目督查工作报告`;
}

/**
 * The quarterly report of one cycle for one quarter, as of `asOf` (which decides overdue entries
 * and whether a quarter has fallen due). Projects of other cycles are ignored.
 */
export function quarterlyReport(
  projects: readonly ProjectState[],
  cycle: CycleConfig,
  orgList: readonly OrgDirectoryEntry[],
  quarter: Quarter,
  asOf: IsoDateTime,
): QuarterlyReport {
  if (!isQuarter(quarter)) throw new RangeError(`quarter must be 1..4, got ${String(quarter)}`);
  const atMs = asOfMs(asOf);
  const orgs = indexOrgs(orgList);
  const mine = sortProjects(
    projects.filter((p) => p.cycleId === cycle.cycleId),
    orgs,
  );
  const ratings = quarterRatings(mine, quarter, cycle, atMs);
  const calendar = cycle.calendar.quarters.find((q) => q.quarter === quarter);

  const ledger = ledgerWithProjects(mine);
  const ofQuarter = ledger.filter((l) => l.entry.quarter === quarter);
  const upToQuarter = ledger.filter((l) => l.entry.quarter <= quarter);
  const problems = sortLedgerItems(
    ofQuarter.map((l) => ledgerItem(l.project, l.entry, orgs, atMs)),
    orgs,
  );
  const cumulative = ledgerFigures(upToQuarter.map((l) => l.entry), atMs);
  const overdue = sortLedgerItems(
    upToQuarter.map((l) => ledgerItem(l.project, l.entry, orgs, atMs)).filter((i) => i.overdue),
    orgs,
  );

  const groups = new Map<string, LaggingOrgGroup>();
  for (const p of mine) {
    const inspection = p.inspections.find((i) => i.quarter === quarter);
    if (!inspection || (inspection.rating !== 'lagging' && inspection.rating !== 'stalled')) continue;
    const ref = projectRef(p, orgs);
    const group = groups.get(p.orgId) ?? { orgId: p.orgId, orgName: ref.orgName, unitId: ref.unitId, unitName: ref.unitName, projects: [] };
    group.projects.push({
      projectId: p.id,
      parentId: p.parentId,
      title: p.proposal.title,
      type: p.proposal.type,
      typeLabel: PROJECT_TYPE_LABELS[p.proposal.type],
      isKey: p.proposal.isKey,
      rating: inspection.rating,
      ratingLabel: RATING_LABELS[inspection.rating],
      progress: p.progress,
      progressText: percentText(p.progress),
      // The engine's own finding is bilingual; the report speaks Chinese.
      findings: inspection.findings.map((f) => (f.kind === 'missing_evidence' ? `${QUARTER_LABELS[quarter]}未按期提交佐证材料` : f.text)),
      leadSecretaryId: p.leadSecretaryId,
      inspectorId: inspection.inspectorId,
      inspectedAt: inspection.at,
    });
    groups.set(p.orgId, group);
  }

  const missingEvidence: MissingEvidenceItem[] = mine
    .filter((p) => missingEvidenceQuarters(p).includes(quarter))
    .map((p) => ({ ...projectRef(p, orgs), quarters: [quarter], quarterLabels: [QUARTER_LABELS[quarter]] }));
  const lateEvidence: LateEvidenceItem[] = mine
    .map((p) => ({ p, late: lateEvidenceQuarters(p, cycle).filter((l) => l.quarter === quarter) }))
    .filter((x) => x.late.length > 0)
    .map(({ p, late }) => ({ ...projectRef(p, orgs), late }));

  const whole = tally(mine, [], cycle, atMs);
  const entriesOfUnit = groupBy(
    upToQuarter.map((l) => l.entry),
    (e) => orgs.unitOf(e.responsibleOrgId),
  );
  const rectificationByUnit: UnitRectification[] = orgs.units.map((unit) => {
    const f = ledgerFigures(entriesOfUnit.get(unit.id) ?? [], atMs);
    return { unitId: unit.id, unitName: unit.name, total: f.total, closed: f.closed, rectificationRate: f.rectificationRate, rectificationRateText: f.rectificationRateText };
  });
  const overview: QuarterlyOverview = {
    ratingsByQuarter: ([1, 2, 3, 4] as const).map((q) => (q === quarter ? ratings : quarterRatings(mine, q, cycle, atMs))),
    byStage: whole.byStage,
    byType: whole.byType,
    rectificationByUnit,
  };

  const inspected = ratings.onTrack + ratings.lagging + ratings.stalled;
  const onTrackRate = rateOf(ratings.onTrack, inspected);
  return {
    cycleId: cycle.cycleId,
    year: cycle.year,
    quarter,
    quarterLabel: QUARTER_LABELS[quarter],
    title: quarterlyReportTitle(cycle.year, quarter),
    asOf,
    asOfLabel: chineseDateTime(asOf),
    calendar: { evidenceDeadline: calendar?.evidenceDeadline ?? null, inspectionWindowEnd: calendar?.inspectionWindowEnd ?? null },
    summary: {
      projects: mine.length,
      underInspection: mine.filter((p) => p.stage === 'in_progress' || p.stage === 'self_assessed').length,
      due: ratings.due,
      inspected,
      notRated: ratings.notRated,
      onTrack: ratings.onTrack,
      lagging: ratings.lagging,
      stalled: ratings.stalled,
      onTrackRate: onTrackRate === null ? null : round(onTrackRate, 4),
      onTrackRateText: rateText(onTrackRate),
      problemsFound: problems.length,
      missingEvidence: missingEvidence.length,
      lateEvidence: lateEvidence.length,
      rectificationRate: cumulative.rectificationRate,
      rectificationRateText: cumulative.rectificationRateText,
      overdue: cumulative.overdue,
    },
    ratings,
    problems,
    ledger: { quarter: ledgerFigures(ofQuarter.map((l) => l.entry), atMs), cumulative, overdue },
    laggingByOrg: [...groups.values()],
    missingEvidence,
    lateEvidence,
    overview,
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

const SECTION_TITLES = [
  '一、总体情况',
  '二、督查评价分布',
  '三、本季度发现的问题',
  '四、整改台账情况',
  '五、进度滞后及停滞项目',
  '六、佐证材料缺失及逾期提交情况',
] as const;

/** The opening paragraph, as plain text (escape before output). */
function summarySentence(r: QuarterlyReport): string {
  const s = r.summary;
  return (
    `本季度应督查项目${s.due}个，已督查评价${s.inspected}个，其中${RATING_LABELS.on_track}${s.onTrack}个、` +
    `${RATING_LABELS.lagging}${s.lagging}个、${RATING_LABELS.stalled}${s.stalled}个，尚未评价${s.notRated}个，按期推进率${s.onTrackRateText}。` +
    `督查发现问题${s.problemsFound}个；佐证材料缺失项目${s.missingEvidence}个，逾期提交项目${s.lateEvidence}个。` +
    `截至本季度，整改台账累计问题${r.ledger.cumulative.total}个，已销号${r.ledger.cumulative.closed}个，` +
    `整改率${s.rectificationRateText}，逾期未销号${s.overdue}个。`
  );
}

function keyFigures(r: QuarterlyReport): [string, string][] {
  const s = r.summary;
  return [
    ['项目总数', String(s.projects)],
    ['实施中项目', String(s.underInspection)],
    ['应督查', String(s.due)],
    ['已督查评价', String(s.inspected)],
    ['发现问题', String(s.problemsFound)],
    ['整改率（累计）', s.rectificationRateText],
    ['逾期未销号', String(s.overdue)],
  ];
}

function ledgerRows(r: QuarterlyReport): [string, LedgerFigures][] {
  return [
    ['本季度发现', r.ledger.quarter],
    ['截至本季度累计', r.ledger.cumulative],
  ];
}

function ledgerFigureCells(f: LedgerFigures): string[] {
  return [f.total, f.closed, f.reported, f.open, f.overdue].map(String).concat(f.rectificationRateText);
}

const UNIT_RATE_HEADERS = ['单位', '问题总数', '已销号', '整改率'];

function unitRateCells(u: UnitRectification): string[] {
  return [u.unitName, String(u.total), String(u.closed), u.rectificationRateText];
}

/** The report's charts, each an inline SVG figure. */
function reportCharts(r: QuarterlyReport) {
  const o = r.overview;
  return {
    stages: stageChart(o.byStage, { width: 600, height: 280 }),
    types: typeChart(o.byType, { width: 360, height: 280 }),
    ratings: ratingsPerQuarterChart(o.ratingsByQuarter),
    rectification: rectificationByUnitChart(o.rectificationByUnit.map((u) => ({ unitName: u.unitName, total: u.total, closed: u.closed, rate: u.rectificationRate }))),
  };
}

const LEDGER_HEADERS = ['范围', '问题总数', '已销号', '已报整改', '待整改', '逾期未销号', '整改率'];
const PROBLEM_HEADERS = ['序号', '项目', '问题', '责任单位', '责任人', '整改措施', '整改时限', '状态'];

function problemCells(item: LedgerItem, i: number, esc: (v: unknown) => string, overdueMark: (s: string) => string): string[] {
  const status = item.overdue ? overdueMark(`${item.statusLabel}（逾期）`) : esc(item.statusLabel);
  return [
    String(i + 1),
    esc(item.projectTitle),
    esc(item.problem),
    esc(item.responsibleOrgName),
    esc(item.responsiblePersonId),
    esc(item.measures),
    esc(chineseDate(item.deadline)),
    status,
  ];
}

function evidenceRows(r: QuarterlyReport): { orgName: string; title: string; what: string }[] {
  const missing = r.missingEvidence.map((m) => ({ orgName: m.orgName, title: m.title, what: `${r.quarterLabel}材料截止时未提交` }));
  const late = r.lateEvidence.map((l) => ({
    orgName: l.orgName,
    title: l.title,
    what: `逾期提交（截止${chineseDate(l.late[0].deadline)}，首次提交${chineseDateTime(l.late[0].firstSubmittedAt)}）`,
  }));
  return [...missing, ...late];
}

function groupHeading(g: LaggingOrgGroup): string {
  return g.unitName !== null && g.unitId !== g.orgId ? `${g.unitName} · ${g.orgName}` : g.orgName;
}

/** The report as Markdown (Chinese). */
export function renderQuarterlyReportMarkdown(r: QuarterlyReport): string {
  const e = escapeMarkdown;
  const out: string[] = [];
  out.push(`# ${e(r.title)}`, '');
  const deadline = r.calendar.evidenceDeadline ? `　材料截止：${chineseDate(r.calendar.evidenceDeadline)}` : '';
  out.push(`> 年度周期：${e(r.cycleId)}　统计截至：${r.asOfLabel}（北京时间）${deadline}`, '');

  out.push(`## ${SECTION_TITLES[0]}`, '', e(summarySentence(r)), '');
  out.push(markdownTable(['指标', '数值'], keyFigures(r).map(([k, v]) => [k, v]), [1]), '');

  out.push(`## ${SECTION_TITLES[1]}`, '');
  out.push(
    markdownTable(
      ['评价', '项目数', '占应督查比例'],
      r.ratings.distribution.map((d) => [d.label, String(d.count), rateText(rateOf(d.count, r.ratings.due))]),
      [1, 2],
    ),
    '',
  );

  out.push(`## ${SECTION_TITLES[2]}`, '');
  if (r.problems.length === 0) out.push('本季度督查未发现问题。', '');
  else out.push(markdownTable(PROBLEM_HEADERS, r.problems.map((p, i) => problemCells(p, i, e, (s) => `**${e(s)}**`)), [0]), '');

  out.push(`## ${SECTION_TITLES[3]}`, '');
  out.push(markdownTable(LEDGER_HEADERS, ledgerRows(r).map(([k, f]) => [k, ...ledgerFigureCells(f)]), [1, 2, 3, 4, 5, 6]), '');
  out.push('各单位整改率（截至本季度累计）：', '');
  out.push(markdownTable(UNIT_RATE_HEADERS, r.overview.rectificationByUnit.map((u) => unitRateCells(u).map(e)), [1, 2, 3]), '');
  if (r.ledger.overdue.length > 0) {
    out.push('逾期未销号问题（提醒预警）：', '');
    for (const o of r.ledger.overdue) {
      out.push(`- ${e(o.responsibleOrgName)}：${e(o.problem)}（${e(o.projectTitle)}，整改时限${chineseDate(o.deadline)}，${e(o.statusLabel)}）`);
    }
    out.push('');
  } else {
    out.push('无逾期未销号问题。', '');
  }

  out.push(`## ${SECTION_TITLES[4]}`, '');
  if (r.laggingByOrg.length === 0) out.push('本季度无进度滞后或停滞项目。', '');
  for (const g of r.laggingByOrg) {
    out.push(`### ${e(groupHeading(g))}`, '');
    for (const p of g.projects) {
      const key = p.isKey ? '，重点项目' : '';
      const findings = p.findings.length > 0 ? `：${p.findings.map(e).join('；')}` : '';
      out.push(`- **${e(p.title)}**（${p.ratingLabel}，${p.typeLabel}${key}，当前进度${p.progressText}）${findings}`);
    }
    out.push('');
  }

  out.push(`## ${SECTION_TITLES[5]}`, '');
  const ev = evidenceRows(r);
  if (ev.length === 0) out.push('本季度佐证材料均按期提交。', '');
  else out.push(markdownTable(['党组织', '项目', '情况'], ev.map((x) => [e(x.orgName), e(x.title), e(x.what)])), '');
  return out.join('\n');
}

/** The report as a complete, printable HTML document (Chinese). */
export function renderQuarterlyReportHtml(r: QuarterlyReport): string {
  const e = escapeHtml;
  const charts = reportCharts(r);
  const b: string[] = [];
  b.push(`<h1>${e(r.title)}</h1>`);
  const deadline = r.calendar.evidenceDeadline ? `　材料截止：${e(chineseDate(r.calendar.evidenceDeadline))}` : '';
  b.push(`<p class="meta">年度周期：${e(r.cycleId)}　统计截至：${e(r.asOfLabel)}（北京时间）${deadline}</p>`);

  b.push(`<section><h2>${SECTION_TITLES[0]}</h2>`);
  b.push(`<p>${e(summarySentence(r))}</p>`);
  b.push(`<ul class="figures">${keyFigures(r).map(([k, v]) => `<li><b>${e(v)}</b>${e(k)}</li>`).join('')}</ul>`);
  b.push(`<div class="charts">${chartFigure(charts.stages)}${chartFigure(charts.types)}</div></section>`);

  b.push(`<section><h2>${SECTION_TITLES[1]}</h2>`);
  b.push(
    htmlTable(
      ['评价', '项目数', '占应督查比例'],
      r.ratings.distribution.map((d) => [e(d.label), String(d.count), e(rateText(rateOf(d.count, r.ratings.due)))]),
      [1, 2],
    ),
  );
  b.push(chartFigure(charts.ratings));
  b.push('</section>');

  b.push(`<section><h2>${SECTION_TITLES[2]}</h2>`);
  if (r.problems.length === 0) b.push('<p class="empty">本季度督查未发现问题。</p>');
  else b.push(htmlTable(PROBLEM_HEADERS, r.problems.map((p, i) => problemCells(p, i, e, (s) => `<span class="warn">${e(s)}</span>`)), [0]));
  b.push('</section>');

  b.push(`<section><h2>${SECTION_TITLES[3]}</h2>`);
  b.push(htmlTable(LEDGER_HEADERS, ledgerRows(r).map(([k, f]) => [e(k), ...ledgerFigureCells(f).map(e)]), [1, 2, 3, 4, 5, 6]));
  b.push(chartFigure(charts.rectification));
  b.push(htmlTable(UNIT_RATE_HEADERS, r.overview.rectificationByUnit.map((u) => unitRateCells(u).map(e)), [1, 2, 3]));
  if (r.ledger.overdue.length > 0) {
    b.push('<h3>逾期未销号问题（提醒预警）</h3><ul>');
    for (const o of r.ledger.overdue) {
      b.push(
        `<li><span class="warn">${e(o.responsibleOrgName)}</span>：${e(o.problem)}（${e(o.projectTitle)}，整改时限${e(chineseDate(o.deadline))}，${e(o.statusLabel)}）</li>`,
      );
    }
    b.push('</ul>');
  } else {
    b.push('<p class="empty">无逾期未销号问题。</p>');
  }
  b.push('</section>');

  b.push(`<section><h2>${SECTION_TITLES[4]}</h2>`);
  if (r.laggingByOrg.length === 0) b.push('<p class="empty">本季度无进度滞后或停滞项目。</p>');
  for (const g of r.laggingByOrg) {
    b.push(`<h3>${e(groupHeading(g))}</h3>`);
    b.push(
      htmlTable(
        ['项目', '评价', '类型', '当前进度', '督查发现'],
        g.projects.map((p) => [
          `${e(p.title)}${p.isKey ? '<span class="badge">重点项目</span>' : ''}`,
          `<span class="warn">${e(p.ratingLabel)}</span>`,
          e(p.typeLabel),
          e(p.progressText),
          p.findings.map(e).join('<br>'),
        ]),
        [3],
      ),
    );
  }
  b.push('</section>');

  b.push(`<section><h2>${SECTION_TITLES[5]}</h2>`);
  const ev = evidenceRows(r);
  if (ev.length === 0) b.push('<p class="empty">本季度佐证材料均按期提交。</p>');
  else b.push(htmlTable(['党组织', '项目', '情况'], ev.map((x) => [e(x.orgName), e(x.title), e(x.what)])));
  b.push('</section>');
  b.push(`<footer>${e(r.title)} · 统计截至${e(r.asOfLabel)}</footer>`);
  return htmlDocument(r.title, b.join('\n'));
}
