/**
 * Types shared by the audit library (审计回放与核验): what a check reports, where it points, and the
 * event-log rows as the audit reads them.
 */
import type { LifecycleEvent } from '../workflows/lifecycle';

/** The checks of a verification, each reported on its own. */
export type CheckName =
  /** The Temporal histories replay deterministically against today's workflow code. */
  | 'temporal-replay'
  /** The event log's hash chain is intact (no edited, missing, inserted or reordered row). */
  | 'hash-chain'
  /** Every evidence file's stored bytes still match their SHA-256. */
  | 'evidence-files'
  /** The database projection equals the state the workflow reports. */
  | 'projection'
  /** The event log agrees with the workflow: the events it persisted, and replaying them gives its state. */
  | 'event-log'
  /** No project's persistence keeps failing (its event log and projection are not falling behind). */
  | 'persistence'
  /** An archive's contents still match the hash taken when it was exported. */
  | 'archive-integrity';

/** How a hash chain is broken at the located row. */
export type ChainBreakKind = 'edited' | 'missing' | 'inserted' | 'reordered';

/** Where a check failed: a project and event number, a workflow run, or an evidence file. */
export interface CheckLocation {
  projectId?: string;
  seq?: number;
  kind?: ChainBreakKind;
  workflowId?: string;
  runId?: string;
  sha256?: string;
  file?: string;
  field?: string;
}

export interface CheckFailure {
  message: string;
  location: CheckLocation;
}

export interface CheckResult {
  check: CheckName;
  ok: boolean;
  /** What was checked and, when it failed, the first failure (for a person; Chinese). */
  detail: string;
  /** Where the first failure is. */
  location?: CheckLocation;
  /** Every failure found, the first one being `location`. */
  failures?: CheckFailure[];
  /** True when the check could not run here (e.g. evidence files offline); `ok` is then true. */
  skipped?: boolean;
}

export interface VerificationReport {
  /** The project verified; its sub-projects are covered too (`projects`). */
  projectId: string;
  ok: boolean;
  checkedAt: string;
  durationMs: number;
  /** The project and every sub-project the checks covered, parents first. */
  projects: string[];
  checks: CheckResult[];
  /** Set when an archive was verified offline. */
  archive?: { file?: string; exportedAt: string };
}

/** One row of the event log as the audit reads it (camelCase; `event` is the hashed payload). */
export interface LoggedEvent {
  projectId: string;
  seq: number;
  type: string;
  actorId: string;
  actorRole: string;
  actorOrgId: string;
  at: string;
  event: LifecycleEvent;
  workflowId: string;
  runId: string;
  prevHash: string | null;
  hash: string;
  recordedAt: string;
}

/** A project or sub-project under audit. */
export interface AuditProject {
  projectId: string;
  parentId: string | null;
  cycleId: string;
  workflowId: string;
  /** 0 for the project audited, 1 for its sub-projects, ... */
  depth: number;
}

/** A refusal of the audit itself (unknown project, bad moment, missing cycle); `status` maps to HTTP. */
export class AuditError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
    readonly messageZh: string,
  ) {
    super(message);
    this.name = 'AuditError';
  }
}
