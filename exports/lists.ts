/**
 * The column layouts of the exports (Chinese headers, widths, number formats): the ledger
 * (整改台账), the project list (项目清单), the committee figures (工委数据) and the best-of lists
 * (双十佳). Pure: rows in, tables out (exports/sheet.ts writes them).
 */
import type { BestOfEntry, BestOfLists, CommitteeFigures, LedgerItem, OrgFigures, QuarterRatings, UnitFigures } from '../reports';
import type { LedgerListItem, ProjectExportItem } from '../services/lists';
import { boolean, date, decimal, integer, percent, table, text, type ColumnSpec, type Table } from './sheet';

// ---- The ledger (整改台账) ---------------------------------------------------------------------

export const LEDGER_COLUMNS: ColumnSpec<LedgerListItem>[] = [
  { header: '年度周期', width: 14, kind: text, value: (r) => r.cycleId },
  { header: '项目编号', width: 22, kind: text, value: (r) => r.projectId },
  { header: '项目名称', width: 36, kind: text, value: (r) => r.projectTitle },
  { header: '项目所属党组织', width: 24, kind: text, value: (r) => r.projectOrgName ?? r.projectOrgId },
  { header: '问题编号', width: 18, kind: text, value: (r) => r.entryId },
  { header: '季度', width: 10, kind: integer, value: (r) => r.quarter },
  { header: '问题', width: 40, kind: text, value: (r) => r.problem },
  { header: '整改措施', width: 40, kind: text, value: (r) => r.measures },
  { header: '责任单位', width: 24, kind: text, value: (r) => r.responsibleOrgName ?? r.responsibleOrgId },
  { header: '责任人', width: 14, kind: text, value: (r) => r.responsiblePersonName ?? r.responsiblePersonId },
  { header: '整改期限', width: 20, kind: date, value: (r) => r.deadline },
  { header: '状态', width: 12, kind: text, value: (r) => r.statusLabel },
  { header: '是否逾期', width: 10, kind: boolean, value: (r) => r.overdue },
  { header: '整改报告次数', width: 14, kind: integer, value: (r) => r.reports },
  { header: '退回次数', width: 10, kind: integer, value: (r) => r.sendBacks },
  { header: '销号时间', width: 20, kind: date, value: (r) => r.closedAt },
];

export function ledgerTable(items: readonly LedgerListItem[]): Table {
  return table({ name: '整改台账', columns: LEDGER_COLUMNS, rows: items });
}

// ---- The project list (项目清单) ---------------------------------------------------------------

export const PROJECT_COLUMNS: ColumnSpec<ProjectExportItem>[] = [
  { header: '年度周期', width: 14, kind: text, value: (r) => r.cycleId },
  { header: '项目编号', width: 22, kind: text, value: (r) => r.id },
  { header: '上级项目编号', width: 22, kind: text, value: (r) => r.parentId },
  { header: '项目名称', width: 36, kind: text, value: (r) => r.title },
  { header: '党组织', width: 24, kind: text, value: (r) => r.orgName ?? r.orgId },
  { header: '领办书记', width: 14, kind: text, value: (r) => r.leadSecretaryName ?? r.leadSecretaryId },
  { header: '项目类型', width: 10, kind: text, value: (r) => r.typeLabel },
  { header: '重点项目', width: 10, kind: boolean, value: (r) => r.isKey },
  { header: '阶段', width: 12, kind: text, value: (r) => r.stageLabel },
  { header: '完成进度', width: 12, kind: percent(2), value: (r) => r.progress },
  { header: '验收得分', width: 10, kind: decimal(2), value: (r) => r.finalScore },
  { header: '验收等级', width: 10, kind: text, value: (r) => r.gradeLabel },
];

export function projectsTable(items: readonly ProjectExportItem[]): Table {
  return table({ name: '项目清单', columns: PROJECT_COLUMNS, rows: items });
}

// ---- Committee figures (工委数据) --------------------------------------------------------------

type Tallied = Pick<OrgFigures, 'projects' | 'topLevel' | 'subProjects' | 'keyProjects' | 'missingEvidenceProjects' | 'lateEvidenceProjects' | 'ledger'>;

function tallyColumns<R extends Tallied>(): ColumnSpec<R>[] {
  return [
    { header: '项目总数', width: 10, kind: integer, value: (r) => r.projects },
    { header: '书记项目', width: 10, kind: integer, value: (r) => r.topLevel },
    { header: '子项目', width: 10, kind: integer, value: (r) => r.subProjects },
    { header: '重点项目', width: 10, kind: integer, value: (r) => r.keyProjects },
    { header: '佐证材料缺失项目', width: 18, kind: integer, value: (r) => r.missingEvidenceProjects },
    { header: '佐证材料逾期提交项目', width: 22, kind: integer, value: (r) => r.lateEvidenceProjects },
    { header: '问题总数', width: 10, kind: integer, value: (r) => r.ledger.total },
    { header: '待整改', width: 10, kind: integer, value: (r) => r.ledger.open },
    { header: '已报整改待验收', width: 16, kind: integer, value: (r) => r.ledger.reported },
    { header: '已销号', width: 10, kind: integer, value: (r) => r.ledger.closed },
    { header: '逾期未销号', width: 12, kind: integer, value: (r) => r.ledger.overdue },
    { header: '整改率', width: 10, kind: percent(2), value: (r) => r.ledger.rectificationRate },
  ];
}

const UNIT_COLUMNS: ColumnSpec<UnitFigures>[] = [
  { header: '单位编号', width: 16, kind: text, value: (r) => r.unitId },
  { header: '单位', width: 24, kind: text, value: (r) => r.unitName },
  ...tallyColumns<UnitFigures>(),
];

const ORG_COLUMNS: ColumnSpec<OrgFigures>[] = [
  { header: '党组织编号', width: 16, kind: text, value: (r) => r.orgId },
  { header: '党组织', width: 24, kind: text, value: (r) => r.orgName },
  { header: '类型', width: 12, kind: text, value: (r) => r.kindLabel },
  { header: '所属单位', width: 24, kind: text, value: (r) => r.unitName },
  ...tallyColumns<OrgFigures>(),
];

const INSPECTION_COLUMNS: ColumnSpec<QuarterRatings>[] = [
  { header: '季度', width: 12, kind: text, value: (r) => r.quarterLabel },
  { header: '佐证材料截止日期', width: 18, kind: date, value: (r) => r.evidenceDeadline },
  { header: '应督查', width: 10, kind: integer, value: (r) => r.due },
  { header: '按期推进', width: 10, kind: integer, value: (r) => r.onTrack },
  { header: '进度滞后', width: 10, kind: integer, value: (r) => r.lagging },
  { header: '停滞', width: 10, kind: integer, value: (r) => r.stalled },
  { header: '尚未评价', width: 10, kind: integer, value: (r) => r.notRated },
];

const OVERDUE_COLUMNS: ColumnSpec<LedgerItem>[] = [
  { header: '项目编号', width: 22, kind: text, value: (r) => r.projectId },
  { header: '项目名称', width: 36, kind: text, value: (r) => r.projectTitle },
  { header: '问题编号', width: 18, kind: text, value: (r) => r.entryId },
  { header: '季度', width: 10, kind: integer, value: (r) => r.quarter },
  { header: '问题', width: 40, kind: text, value: (r) => r.problem },
  { header: '责任单位', width: 24, kind: text, value: (r) => r.responsibleOrgName },
  { header: '责任人编号', width: 16, kind: text, value: (r) => r.responsiblePersonId },
  { header: '整改期限', width: 20, kind: date, value: (r) => r.deadline },
  { header: '状态', width: 12, kind: text, value: (r) => r.statusLabel },
];

/** The figures' tables; a CSV holds one of them. */
export const FIGURE_TABLES = ['units', 'orgs', 'inspections', 'overdue'] as const;
export type FigureTable = (typeof FIGURE_TABLES)[number];

export const FIGURE_TABLE_TITLES: Readonly<Record<FigureTable, string>> = {
  units: '按单位',
  orgs: '按党组织',
  inspections: '季度督查',
  overdue: '逾期未销号',
};

export function figuresTables(f: CommitteeFigures): Record<FigureTable, Table> {
  return {
    units: table({ name: FIGURE_TABLE_TITLES.units, columns: UNIT_COLUMNS, rows: f.byUnit }),
    orgs: table({ name: FIGURE_TABLE_TITLES.orgs, columns: ORG_COLUMNS, rows: f.byOrg }),
    inspections: table({ name: FIGURE_TABLE_TITLES.inspections, columns: INSPECTION_COLUMNS, rows: f.inspections }),
    overdue: table({ name: FIGURE_TABLE_TITLES.overdue, columns: OVERDUE_COLUMNS, rows: f.overdueLedger }),
  };
}

// ---- Best-of lists (双十佳) --------------------------------------------------------------------

type BestOfRow = BestOfEntry & { listTitle: string };

const BEST_OF_COLUMNS: ColumnSpec<BestOfRow>[] = [
  { header: '榜单', width: 24, kind: text, value: (r) => r.listTitle },
  { header: '名次', width: 8, kind: integer, value: (r) => r.rank },
  { header: '项目编号', width: 22, kind: text, value: (r) => r.projectId },
  { header: '项目名称', width: 36, kind: text, value: (r) => r.title },
  { header: '党组织', width: 24, kind: text, value: (r) => r.orgName },
  { header: '项目类型', width: 10, kind: text, value: (r) => r.typeLabel },
  { header: '重点项目', width: 10, kind: boolean, value: (r) => r.isKey },
  { header: '验收得分', width: 10, kind: decimal(2), value: (r) => r.finalScore },
  { header: '验收等级', width: 10, kind: text, value: (r) => r.gradeLabel },
  { header: '减分', width: 8, kind: decimal(2), value: (r) => r.totalDeduction },
  { header: '整改率', width: 10, kind: percent(2), value: (r) => r.rectificationRate },
  { header: '完成进度', width: 10, kind: percent(2), value: (r) => r.progress },
  { header: '验收时间', width: 20, kind: date, value: (r) => r.acceptedAt },
];

/** One sheet per list (xlsx). */
export function bestOfTables(b: BestOfLists): Table[] {
  return b.lists.map((list) => table({ name: list.title.replace(/[[\]:*?/\\]/g, '').slice(0, 31), columns: BEST_OF_COLUMNS, rows: list.entries.map((e) => ({ ...e, listTitle: list.title })) }));
}

/** Both lists in one table, the list named in the first column (CSV). */
export function bestOfTable(b: BestOfLists): Table {
  return table({ name: b.title, columns: BEST_OF_COLUMNS, rows: b.lists.flatMap((list) => list.entries.map((e) => ({ ...e, listTitle: list.title }))) });
}
