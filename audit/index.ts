/**
 * Audit and replay (审计回放, DESIGN §5): the timeline of a project and its sub-projects, its state
 * as of any event or date, its raw Temporal histories, verification (determinism, hash chain,
 * evidence files, projection, event log), archives that re-verify offline, and cycle-wide runs.
 */
export * from './types';
export { verifyChain, type ChainBreak, type ChainOptions, type ChainResult, type ChainRow } from './chain';
export { diffStates, type StateChange } from './diff';
export { logFreshness, type LogFreshness } from './freshness';
export { childIdsFromEvents, evidenceRefs, loadAuditSet, loadCycleConfig, loadEvents, type AuditSet, type EvidenceRef } from './events';
export {
  cycleFromHistory,
  fetchRun,
  fetchRunHistories,
  historyFromJsonValue,
  historyStats,
  HISTORY_PAGE_SIZE,
  type HistoryStats,
  historyToJsonValue,
  persistedEvents,
  reportedView,
  resultFromHistory,
  type History,
  type RunHistory,
} from './history';
export { projectWorkflows, replayRuns, replayStats, workflowBundleOption, type ReplayOutcome, type WorkflowCode } from './replay';
export { momentInstantMs, parseMoment, projectStateAt, replayLogged, snapshotAt, type Moment, type StateSnapshot } from './state';
export { buildTimeline, projectTimeline, type EvidenceLink, type Timeline, type TimelineEntry } from './timeline';
export {
  checkEventLog,
  checkEvidence,
  checkHashChain,
  checkProjection,
  checkTemporalReplay,
  collectProject,
  runChecks,
  verifyProject,
  type AuditDeps,
  type Collected,
  type CollectedProject,
} from './verify';
export {
  archiveDigest,
  exportProject,
  projectHistories,
  readArchive,
  verifyArchive,
  writeArchive,
  ARCHIVE_FORMAT,
  type AuditArchive,
  type OfflineOptions,
  type ProjectHistories,
} from './export';
export { cycleProjectIds, verifyCycle, type CycleOptions, type CycleProgress, type CycleVerification } from './cycle';

