/**
 * Cycle-wide verification: every top-level project of an annual cycle (each with its sub-projects),
 * a few at a time, reporting progress as it goes and ending with a summary of the failures.
 */
import type { Db } from '../db';
import type { CheckName, VerificationReport } from './types';
import { verifyProject, type AuditDeps } from './verify';

export interface CycleProgress {
  cycleId: string;
  done: number;
  total: number;
  projectId: string;
  ok: boolean;
  report: VerificationReport;
}

export interface CycleFailure {
  projectId: string;
  /** The failed checks, each with its first location. */
  checks: { check: CheckName; detail: string; location?: VerificationReport['checks'][number]['location'] }[];
  /** Set when the verification itself could not run. */
  error?: string;
}

export interface CycleVerification {
  cycleId: string;
  /** Top-level projects of the cycle (sub-projects are verified with their parents). */
  total: number;
  verified: number;
  passed: number;
  failed: number;
  /** Projects covered, sub-projects included. */
  projectsCovered: number;
  offset: number;
  durationMs: number;
  failures: CycleFailure[];
  /** Failures per check. */
  failedChecks: Partial<Record<CheckName, number>>;
}

export interface CycleOptions {
  /** Projects verified at once (default 4). */
  concurrency?: number;
  /** Verify a slice of the cycle's projects (ordered by id), e.g. one page per call. */
  offset?: number;
  limit?: number;
  onProgress?: (progress: CycleProgress) => void;
}

/** The top-level projects of a cycle: launched ones and those already projected, ordered by id. */
export async function cycleProjectIds(db: Db, cycleId: string): Promise<string[]> {
  const projected = await db.selectFrom('projects').select('id').where('cycle_id', '=', cycleId).where('parent_id', 'is', null).execute();
  const launched = await db.selectFrom('cycle_projects').select('project_id').where('cycle_id', '=', cycleId).where('started_at', 'is not', null).execute();
  return [...new Set([...projected.map((r) => r.id), ...launched.map((r) => r.project_id)])].sort();
}

/** Verifies every top-level project of the cycle (or a slice of them). */
export async function verifyCycle(deps: AuditDeps, cycleId: string, options: CycleOptions = {}): Promise<CycleVerification> {
  const started = Date.now();
  const all = await cycleProjectIds(deps.db, cycleId);
  const offset = options.offset ?? 0;
  const ids = all.slice(offset, options.limit === undefined ? undefined : offset + options.limit);
  const failures: CycleFailure[] = [];
  const failedChecks: CycleVerification['failedChecks'] = {};
  let done = 0;
  let passed = 0;
  let covered = 0;
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const projectId = ids[next++];
      let result: VerificationReport;
      try {
        result = await verifyProject(deps, projectId);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        result = { projectId, ok: false, checkedAt: new Date().toISOString(), durationMs: 0, projects: [projectId], checks: [] };
        failures.push({ projectId, checks: [], error: message });
      }
      done += 1;
      covered += result.projects.length;
      if (result.ok) passed += 1;
      else if (result.checks.length > 0) {
        const failed = result.checks.filter((c) => !c.ok);
        for (const c of failed) failedChecks[c.check] = (failedChecks[c.check] ?? 0) + 1;
        failures.push({ projectId, checks: failed.map((c) => ({ check: c.check, detail: c.detail, location: c.location })) });
      }
      options.onProgress?.({ cycleId, done, total: ids.length, projectId, ok: result.ok, report: result });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, ids.length)) }, worker));
  failures.sort((a, b) => (a.projectId < b.projectId ? -1 : 1));
  return {
    cycleId,
    total: all.length,
    verified: ids.length,
    passed,
    failed: ids.length - passed,
    projectsCovered: covered,
    offset,
    durationMs: Date.now() - started,
    failures,
    failedChecks,
  };
}
