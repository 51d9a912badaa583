/**
 * Committee figures and reports (工委数据与报告), computed purely from a cycle's project states:
 * no I/O, no clock (time-dependent figures take an explicit `asOf`), deterministic output.
 * The activities layer loads the states and the org directory and stores or serves the results.
 */
export { committeeFigures, FIGURE_LABELS, PROJECT_TYPES, RATINGS } from './figures';
export type {
  CommitteeFigures,
  CountItem,
  KeyProjectShortfallItem,
  LateEvidenceItem,
  MissingEvidenceItem,
  OrgFigures,
  ProjectRef,
  ProjectTally,
  QuarterRatings,
  RatingKey,
  UnitFigures,
} from './figures';
export { renderCommitteeFiguresHtml, committeeFiguresTitle } from './figures-html';
export { chartFigure, rectificationByUnitChart, ratingsPerQuarterChart, renderSvg, stageChart, typeChart } from './charts';
export type { Chart, ChartSize, UnitRate } from './charts';
export { quarterlyReport, quarterlyReportTitle, renderQuarterlyReportHtml, renderQuarterlyReportMarkdown } from './quarterly';
export type { LaggingOrgGroup, LaggingProject, QuarterlyOverview, QuarterlyReport, QuarterlySummary, UnitRectification } from './quarterly';
export { BEST_OF_LIST_TITLES, BEST_OF_RULE_ZH, bestOfLists, compareBestOf } from './bestOf';
export type { BestOfCandidate, BestOfEntry, BestOfList, BestOfListKey, BestOfLists } from './bestOf';
export { achievementsCompilation, renderAchievementsCompilationHtml, renderAchievementsCompilationMarkdown } from './compilation';
export type { AchievementsCompilation, CompilationIndicator, CompilationProject, CompilationUnit } from './compilation';
export {
  chineseDate,
  chineseDateTime,
  escapeHtml,
  escapeMarkdown,
  lateEvidenceQuarters,
  ledgerFigures,
  NO_RATE_TEXT,
  percentText,
  rateOf,
  rateText,
  QUARTER_LABELS,
} from './common';
export type { LateQuarter, LedgerFigures, LedgerItem } from './common';
export { indexOrgs, ORG_KIND_LABELS } from './orgs';
export type { OrgDirectoryEntry, OrgIndex, OrgKind } from './orgs';
