/**
 * One archive per project (审计归档): a single JSON file with the timeline, the state after every
 * event, the raw Temporal histories (CLI JSON format), the event-log rows with their hashes, the
 * evidence manifest and the verification result — enough for an auditor to keep it and re-verify
 * it offline with the same command: the hash chain of the archived events, that replaying them
 * gives the archived final state and matches the archived histories, and that the archived
 * histories replay against the current workflow code.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import type { Db } from '../db';
import type { ContentStore } from '../db/content-store';
import { canonicalJson } from '../db/hash-chain';
import type { CycleConfig, ProjectState } from '../workflows/lifecycle';
import type { ProjectView } from '../workflows/messages';
import { loadAuditSet, type EvidenceRef } from './events';
import { cycleFromHistory, fetchRunHistories, historyFromJsonValue, historyToJsonValue } from './history';
import type { WorkflowCode } from './replay';
import { replayLogged } from './state';
import { buildTimeline, type Timeline } from './timeline';
import { AuditError, type AuditProject, type CheckResult, type LoggedEvent, type VerificationReport } from './types';
import {
  checkEventLog,
  checkEvidence,
  checkHashChain,
  checkTemporalReplay,
  collectProject,
  report,
  runChecks,
  type AuditDeps,
  type CollectedProject,
  type EvidenceStatus,
} from './verify';

export const ARCHIVE_FORMAT = 'party-projects-audit-archive';
export const ARCHIVE_FORMAT_VERSION = 1;

export interface ArchivedProject extends AuditProject {
  /** The event-log rows, with their chain hashes. */
  events: LoggedEvent[];
  /** What the workflow reported when the archive was made (null if it could not be read). */
  reported: ProjectView | null;
  /** Every run of the workflow, oldest first; `history` is `temporal workflow show --output json`. */
  histories: { workflowId: string; runId: string; history: unknown }[];
}

export interface AuditArchive {
  format: typeof ARCHIVE_FORMAT;
  formatVersion: typeof ARCHIVE_FORMAT_VERSION;
  exportedAt: string;
  projectId: string;
  cycle: CycleConfig | null;
  projects: ArchivedProject[];
  timeline: Timeline | null;
  /** The state after each event, per project. */
  snapshots: { projectId: string; seq: number; at: string; state: ProjectState }[];
  evidence: (EvidenceRef & { status: EvidenceStatus })[];
  verification: VerificationReport;
  /** SHA-256 of the canonical JSON of everything above; re-checked offline. */
  archiveSha256: string;
}

export interface ProjectHistories {
  projectId: string;
  workflows: { projectId: string; workflowId: string; runs: { runId: string; history: unknown }[] }[];
}

/** The raw Temporal histories of a project and its sub-projects, each run in the CLI's JSON format, oldest first. */
export async function projectHistories(deps: { db: Db; temporal: Client }, projectId: string): Promise<ProjectHistories> {
  const { projects } = await loadAuditSet(deps.db, projectId);
  const workflows: ProjectHistories['workflows'] = [];
  for (const p of projects) {
    const runs = await fetchRunHistories(deps.temporal, p.workflowId);
    workflows.push({ projectId: p.projectId, workflowId: p.workflowId, runs: runs.map((r) => ({ runId: r.runId, history: historyToJsonValue(r.history) })) });
  }
  return { projectId, workflows };
}

/** The digest an archive carries: SHA-256 over its canonical JSON without the digest itself. */
export function archiveDigest(archive: Omit<AuditArchive, 'archiveSha256'> & { archiveSha256?: string }): string {
  const { archiveSha256: _ignored, ...content } = archive;
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

/** Builds the archive of a project and its sub-projects, verifying them on the way. */
export async function exportProject(deps: AuditDeps, projectId: string): Promise<AuditArchive> {
  const started = Date.now();
  const collected = await collectProject(deps, projectId);
  const { checks, evidence } = await runChecks(deps, collected);
  const verification = report(projectId, collected.projects, checks, started);
  const { cycle, projects } = collected;
  const snapshots: AuditArchive['snapshots'] = [];
  if (cycle) {
    for (const p of projects) {
      for (const step of replayLogged(p.events, cycle).steps) snapshots.push({ projectId: p.projectId, seq: step.logged.seq, at: step.logged.at, state: step.after });
    }
  }
  const content: Omit<AuditArchive, 'archiveSha256'> = {
    format: ARCHIVE_FORMAT,
    formatVersion: ARCHIVE_FORMAT_VERSION,
    exportedAt: new Date().toISOString(),
    projectId,
    cycle,
    projects: projects.map((p) => ({
      projectId: p.projectId,
      parentId: p.parentId,
      cycleId: p.cycleId,
      workflowId: p.workflowId,
      depth: p.depth,
      events: p.events,
      reported: p.reported,
      histories: p.runs.map((r) => ({ workflowId: r.workflowId, runId: r.runId, history: historyToJsonValue(r.history) })),
    })),
    timeline: cycle ? buildTimeline(projects, new Map(projects.map((p) => [p.projectId, p.events])), cycle) : null,
    snapshots,
    evidence,
    verification,
  };
  return { ...content, archiveSha256: archiveDigest(content) };
}

export async function writeArchive(file: string, archive: AuditArchive): Promise<void> {
  await fs.writeFile(file, JSON.stringify(archive));
}

export async function readArchive(file: string): Promise<AuditArchive> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (error) {
    throw new AuditError(400, `cannot read archive ${file}: ${(error as Error).message}`, `无法读取归档文件 ${file}：${(error as Error).message}`);
  }
  const archive = parsed as Partial<AuditArchive> | null;
  if (!archive || archive.format !== ARCHIVE_FORMAT || !Array.isArray(archive.projects)) {
    throw new AuditError(400, `${file} is not an audit archive`, `${file} 不是审计归档文件`);
  }
  if (archive.formatVersion !== ARCHIVE_FORMAT_VERSION) {
    throw new AuditError(400, `archive format version ${String(archive.formatVersion)} is not supported`, `不支持的归档格式版本 ${String(archive.formatVersion)}`);
  }
  return archive as AuditArchive;
}

export interface OfflineOptions {
  /** Workflow code to replay the archived histories against (default: this checkout's workflows/). */
  workflows?: WorkflowCode;
  /** With an evidence store at hand, the archived evidence manifest is checked against it too. */
  store?: ContentStore;
  /** For the report. */
  file?: string;
}

/**
 * Re-verifies an archive with nothing but the archive and the workflow code: its digest, the hash
 * chain of its events, that its events match its histories and replay to its final states, and
 * that its histories replay against the current code. The projection cannot be checked offline.
 */
export async function verifyArchive(archive: AuditArchive, options: OfflineOptions = {}): Promise<VerificationReport> {
  const started = Date.now();
  const digest = archiveDigest(archive);
  const integrity: CheckResult =
    digest === archive.archiveSha256
      ? { check: 'archive-integrity', ok: true, detail: `归档内容与导出时的 SHA-256（${digest.slice(0, 12)}…）一致` }
      : {
          check: 'archive-integrity',
          ok: false,
          detail: `归档内容在导出后被改动：SHA-256 应为 ${String(archive.archiveSha256).slice(0, 12)}…，实为 ${digest.slice(0, 12)}…`,
          location: { projectId: archive.projectId },
        };
  const projects: CollectedProject[] = [];
  const failures: string[] = [];
  for (const p of archive.projects) {
    const runs = [];
    for (const h of p.histories ?? []) {
      try {
        runs.push({ workflowId: h.workflowId, runId: h.runId, history: historyFromJsonValue(h.history) });
      } catch (error) {
        failures.push(`${h.workflowId}/${h.runId}: ${(error as Error).message}`);
      }
    }
    projects.push({
      projectId: p.projectId,
      parentId: p.parentId,
      cycleId: p.cycleId,
      workflowId: p.workflowId,
      depth: p.depth,
      events: p.events ?? [],
      runs,
      historyError: runs.length === 0 ? `归档中没有工作流 ${p.workflowId} 的 Temporal 历史${failures.length ? `（${failures.join('；')}）` : ''}` : null,
      reported: p.reported ?? null,
      reportedError: p.reported ? null : `归档中没有项目 ${p.projectId} 的工作流状态`,
    });
  }
  const evidence: CheckResult = options.store
    ? (await checkEvidence(options.store, projects)).result
    : { check: 'evidence-files', ok: true, skipped: true, detail: `离线未核对证据文件（${archive.evidence?.length ?? 0} 处引用；指定 --evidence-dir 可核对）` };
  const exported = archive.verification?.checks?.find((c) => c.check === 'projection');
  const projection: CheckResult = {
    check: 'projection',
    ok: true,
    skipped: true,
    detail: `离线无法核对数据库投影；导出时的结果：${exported ? `${exported.ok ? '通过' : '未通过'}（${exported.detail}）` : '无'}`,
  };
  const checks = [
    integrity,
    await checkTemporalReplay(options.workflows, projects),
    checkHashChain(projects),
    evidence,
    projection,
    checkEventLog(projects, (projects[0]?.runs[0] && cycleFromHistory(projects[0].runs[0].history)) || (archive.cycle ?? null), archive.cycle ?? null),
  ];
  return { ...report(archive.projectId, projects, checks, started), archive: { file: options.file, exportedAt: archive.exportedAt } };
}
