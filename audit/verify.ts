/**
 * Verifying a project and its sub-projects, each check reported on its own:
 * 1. temporal-replay: the Temporal histories replay deterministically against today's code;
 * 2. hash-chain: the event log's hash chain is intact (a broken row is located and classified);
 * 3. evidence-files: every referenced evidence file's stored bytes still match their SHA-256;
 * 4. projection: the database projection equals the state the workflow reports;
 * 5. event-log: the event log agrees with the workflow: its rows are the events the workflow
 *    persisted in its Temporal history (`persistProject` input, or `persistProjectLocally` result from v3), and replaying them through the lifecycle
 *    core gives the state the workflow reports (DESIGN §5 (b)).
 * The checks work on plain collected data, so an archive can be re-verified offline with them.
 */
import type { Client } from '@temporalio/client';
import type { Db } from '../db';
import type { ContentStore } from '../db/content-store';
import { canonicalJson } from '../db/hash-chain';
import { getCycleConfig } from '../db/cycles';
import { projectionMismatches } from '../db/projection-check';
import type { CycleConfig } from '../workflows/lifecycle';
import { projectWorkflowId, type ProjectView } from '../workflows/messages';
import { verifyChain } from './chain';
import { diffStates } from './diff';
import { evidenceRefs, loadAuditSet, loadEvents, type EvidenceRef } from './events';
import { cycleFromHistory, fetchRunHistories, persistedEvents, reportedView, resultFromHistory, type RunHistory } from './history';
import { replayRuns, type WorkflowCode } from './replay';
import { replayLogged } from './state';
import type { AuditProject, CheckFailure, CheckName, CheckResult, LoggedEvent, VerificationReport } from './types';

/** What the online audit reads from: PostgreSQL, Temporal, the evidence store and the workflow code. */
export interface AuditDeps {
  db: Db;
  temporal: Client;
  store: ContentStore;
  /** The workflow code histories are replayed against (default: this checkout's workflows/). */
  workflows?: WorkflowCode;
}

/** One project with everything the checks need, from the live systems or from an archive. */
export interface CollectedProject extends AuditProject {
  events: LoggedEvent[];
  runs: RunHistory[];
  historyError: string | null;
  reported: ProjectView | null;
  reportedError: string | null;
  /** Set when the project's persistence activity keeps failing: its log is behind, not tampered with. */
  lag?: PersistenceLag | null;
}

export interface PersistenceLag {
  since: string;
  lastAttemptAt: string;
  attempts: number;
  pendingSeq: number;
  lastError: string;
}

export interface Collected {
  projectId: string;
  projects: CollectedProject[];
  /** The cycle configuration the workflow was started with (else the stored one). */
  cycle: CycleConfig | null;
  /** The cycle configuration stored in PostgreSQL, if any. */
  storedCycle: CycleConfig | null;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

async function collectOne(deps: AuditDeps, project: AuditProject, events: LoggedEvent[], settleMs: number): Promise<CollectedProject> {
  const collected: CollectedProject = { ...project, events, runs: [], historyError: null, reported: null, reportedError: null };
  try {
    collected.runs = await fetchRunHistories(deps.temporal, project.workflowId);
    if (collected.runs.length === 0) collected.historyError = `Temporal 中找不到工作流 ${project.workflowId}（可能已超过保留期）`;
  } catch (error) {
    collected.historyError = `读取工作流 ${project.workflowId} 的 Temporal 历史失败：${message(error)}`;
  }
  if (collected.runs.length === 0) return collected;
  const finished = resultFromHistory(collected.runs.at(-1)!.history) !== undefined;
  try {
    collected.reported = await reportedView(deps.temporal, project.workflowId, collected.runs.at(-1));
  } catch (error) {
    collected.reportedError = `无法取得工作流 ${project.workflowId} 报告的状态：${message(error)}`;
    return collected;
  }
  if (finished) return collected;
  // A running workflow persists each event just after applying it: let the log catch up with the
  // state it reported (or re-ask when the log is already ahead) before comparing the two.
  const deadline = Date.now() + settleMs;
  for (;;) {
    const last = collected.events.at(-1)?.seq ?? 0;
    const seq = collected.reported.seq;
    if (last === seq || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
    if (last > seq) {
      collected.runs = await fetchRunHistories(deps.temporal, project.workflowId);
      collected.reported = await reportedView(deps.temporal, project.workflowId, collected.runs.at(-1));
    } else {
      collected.events = (await loadEvents(deps.db, [project.projectId])).get(project.projectId) ?? [];
    }
  }
  return collected;
}

/** Gathers the project, its sub-projects, their event logs, Temporal histories and reported states. */
export async function collectProject(deps: AuditDeps, projectId: string, options: { settleMs?: number } = {}): Promise<Collected> {
  const settleMs = options.settleMs ?? 5_000;
  const set = await loadAuditSet(deps.db, projectId);
  const projects = await mapLimit(set.projects, 8, (p) => collectOne(deps, p, set.events.get(p.projectId) ?? [], settleMs));
  // Sub-projects the workflows report but PostgreSQL knows nothing about are audited too (their log is then missing).
  for (let i = 0; i < projects.length; i += 1) {
    const parent = projects[i];
    for (const child of parent.reported?.state.children ?? []) {
      if (projects.some((p) => p.projectId === child.id)) continue;
      const sub: AuditProject = { projectId: child.id, parentId: parent.projectId, cycleId: parent.cycleId, workflowId: projectWorkflowId(parent.cycleId, child.id), depth: parent.depth + 1 };
      const events = (await loadEvents(deps.db, [child.id])).get(child.id) ?? [];
      projects.push(await collectOne(deps, sub, events, settleMs));
    }
  }
  const storedCycle = (await getCycleConfig(deps.db, projects[0].cycleId)) ?? null;
  const started = projects[0].runs[0] ? cycleFromHistory(projects[0].runs[0].history) : undefined;
  return { projectId, projects, cycle: started ?? storedCycle, storedCycle };
}

function summarize(check: CheckName, failures: CheckFailure[], okDetail: string): CheckResult {
  if (failures.length === 0) return { check, ok: true, detail: okDetail };
  const more = failures.length > 1 ? `（另有 ${failures.length - 1} 处问题）` : '';
  return { check, ok: false, detail: `${failures[0].message}${more}`, location: failures[0].location, failures };
}

/** 1. Every run of every workflow replays against the given workflow code. */
export async function checkTemporalReplay(code: WorkflowCode | undefined, projects: readonly CollectedProject[]): Promise<CheckResult> {
  const failures: CheckFailure[] = [];
  for (const p of projects) {
    if (p.historyError) failures.push({ message: p.historyError, location: { projectId: p.projectId, workflowId: p.workflowId } });
  }
  const runs = projects.flatMap((p) => p.runs);
  const owner = new Map(projects.flatMap((p) => p.runs.map((r) => [`${r.workflowId}/${r.runId}`, p.projectId] as const)));
  try {
    for (const outcome of await replayRuns(code, runs)) {
      if (outcome.ok) continue;
      failures.push({
        message: `工作流 ${outcome.workflowId}（运行 ${outcome.runId}）的 Temporal 历史不能按当前工作流代码确定性回放：${outcome.errorName ?? 'Error'}: ${outcome.error}`,
        location: { projectId: owner.get(`${outcome.workflowId}/${outcome.runId}`), workflowId: outcome.workflowId, runId: outcome.runId },
      });
    }
  } catch (error) {
    failures.push({ message: `回放 Temporal 历史失败：${message(error)}`, location: { projectId: projects[0]?.projectId } });
  }
  const workflows = projects.filter((p) => p.runs.length > 0).length;
  return summarize('temporal-replay', failures, `${runs.length} 份 Temporal 历史（${workflows} 个工作流）按当前工作流代码确定性回放`);
}

/**
 * The seq the workflow says it reached: its reported view, else the last event its history
 * persisted. A lagging project is expected only as far as its first unwritten event (the
 * persistence check reports the rest): its log is behind, not cut short.
 */
function expectedLastSeq(p: CollectedProject): number | undefined {
  if (p.lag) return Math.min(p.reported?.seq ?? Infinity, p.lag.pendingSeq - 1);
  if (p.reported) return p.reported.seq;
  if (p.runs.length === 0) return undefined;
  const { completed } = persistedEvents(p.runs);
  return completed.size > 0 ? Math.max(...completed.keys()) : undefined;
}

/** 2. Each project's hash chain is intact and as long as the workflow's own count. */
export function checkHashChain(projects: readonly CollectedProject[]): CheckResult {
  const failures: CheckFailure[] = [];
  let rows = 0;
  for (const p of projects) {
    rows += p.events.length;
    const result = verifyChain(p.projectId, p.events, { expectedLastSeq: expectedLastSeq(p) });
    if (result.break) failures.push({ message: result.break.detail, location: { projectId: p.projectId, seq: result.break.seq, kind: result.break.kind } });
  }
  return summarize('hash-chain', failures, `哈希链完整：${projects.length} 个项目共 ${rows} 条事件，无修改、缺失、插入或调序`);
}

export type EvidenceStatus = 'ok' | 'missing' | 'corrupt';

/** 3. Every file the events reference is stored and its bytes still hash to its SHA-256. */
export async function checkEvidence(store: ContentStore, projects: readonly CollectedProject[]): Promise<{ result: CheckResult; refs: (EvidenceRef & { status: EvidenceStatus })[] }> {
  const refs = projects.flatMap((p) => evidenceRefs(p.events));
  const unique = [...new Set(refs.map((r) => r.sha256))];
  const statuses = new Map<string, EvidenceStatus>();
  await mapLimit(unique, 8, async (sha256) => {
    statuses.set(sha256, await store.verify(sha256).catch(() => 'missing' as const));
  });
  const failures: CheckFailure[] = [];
  for (const r of refs) {
    const status = statuses.get(r.sha256) ?? 'missing';
    if (status === 'ok') continue;
    const what = status === 'corrupt' ? '存储内容与其 SHA-256 不符（文件被篡改）' : '在证据存储中不存在';
    failures.push({ message: `项目 ${r.projectId} 第 ${r.seq} 条事件引用的证据文件“${r.name}”（${r.sha256.slice(0, 12)}…）${what}`, location: { projectId: r.projectId, seq: r.seq, sha256: r.sha256, file: r.name } });
  }
  const result = summarize('evidence-files', failures, unique.length === 0 ? '没有引用证据文件' : `${unique.length} 个证据文件（${refs.length} 处引用）的存储内容与 SHA-256 一致`);
  return { result, refs: refs.map((r) => ({ ...r, status: statuses.get(r.sha256) ?? 'missing' })) };
}

/** 4. The projection rows of each project equal the state its workflow reports. */
export async function checkProjection(db: Db, projects: readonly CollectedProject[]): Promise<CheckResult> {
  const failures: CheckFailure[] = [];
  for (const p of projects) {
    if (!p.reported) {
      failures.push({ message: p.reportedError ?? p.historyError ?? `无法取得项目 ${p.projectId} 的工作流状态`, location: { projectId: p.projectId, workflowId: p.workflowId } });
      continue;
    }
    // A lagging projection is behind the workflow, not tampered with: the persistence check reports it.
    if (p.lag) continue;
    for (const mismatch of await projectionMismatches(db, p.reported.state)) {
      failures.push({ message: `项目 ${p.projectId} 的数据库投影与工作流状态不一致：${mismatch}`, location: { projectId: p.projectId, field: mismatch.split(':')[0] } });
    }
  }
  return summarize('projection', failures, `${projects.length} 个项目的数据库投影与工作流报告的状态一致`);
}

/** 5. The log holds exactly the events the workflow persisted, and replaying it gives the workflow's state. */
export function checkEventLog(projects: readonly CollectedProject[], cycle: CycleConfig | null, storedCycle: CycleConfig | null = null): CheckResult {
  const failures: CheckFailure[] = [];
  let compared = 0;
  if (cycle && storedCycle && canonicalJson(cycle) !== canonicalJson(storedCycle)) {
    // Timelines and states are replayed with the stored configuration: it must be the one the workflows ran with.
    failures.push({ message: `年度周期 ${cycle.cycleId} 在数据库中的配置与工作流启动时的配置不一致（被修改）`, location: { projectId: projects[0]?.projectId, field: 'cycles.config' } });
  }
  for (const p of projects) {
    const id = p.projectId;
    if (p.runs.length > 0) {
      const { completed, pending } = persistedEvents(p.runs);
      const logged = new Set(p.events.map((e) => e.seq));
      for (const e of p.events) {
        const recorded = completed.get(e.seq) ?? pending.get(e.seq);
        if (recorded === undefined) {
          failures.push({ message: `项目 ${id} 第 ${e.seq} 条事件不在工作流的 Temporal 历史中（工作流从未记录过它）`, location: { projectId: id, seq: e.seq, kind: 'inserted' } });
          break;
        }
        if (canonicalJson(recorded) !== canonicalJson(e.event)) {
          failures.push({ message: `项目 ${id} 第 ${e.seq} 条事件与工作流在 Temporal 历史中记录的不一致（被修改或调序）`, location: { projectId: id, seq: e.seq, kind: 'edited' } });
          break;
        }
        compared += 1;
      }
      const missing = [...completed.keys()].filter((s) => !logged.has(s)).sort((a, b) => a - b)[0];
      if (missing !== undefined) {
        failures.push({ message: `项目 ${id} 第 ${missing} 条事件已由工作流持久化，但不在事件日志中（被删除）`, location: { projectId: id, seq: missing, kind: 'missing' } });
      }
    }
    if (!cycle) {
      failures.push({ message: `找不到项目 ${id} 所属年度周期的配置，无法回放事件日志`, location: { projectId: id } });
      continue;
    }
    const replayed = replayLogged(p.events, cycle);
    if (replayed.failure) {
      failures.push({ message: `项目 ${id} 的事件日志无法回放：${replayed.failure.message}`, location: { projectId: id, seq: replayed.failure.seq } });
      continue;
    }
    if (!p.reported) {
      failures.push({ message: p.reportedError ?? p.historyError ?? `无法取得项目 ${id} 的工作流状态`, location: { projectId: id, workflowId: p.workflowId } });
      continue;
    }
    if (p.lag && p.events.length < p.reported.seq) continue; // behind, reported by the persistence check
    if (canonicalJson(replayed.state) !== canonicalJson(p.reported.state)) {
      const first = diffStates(p.reported.state, replayed.state)[0];
      failures.push({
        message: `回放项目 ${id} 的事件日志（${p.events.length} 条）得到的状态与工作流报告的（第 ${p.reported.seq} 条后）不一致${first ? `：${first.text}` : ''}`,
        location: { projectId: id, field: first?.path },
      });
    }
  }
  return summarize('event-log', failures, `事件日志与工作流一致：${compared} 条事件与 Temporal 历史逐条相符，回放 ${projects.length} 个项目的日志得到工作流报告的状态`);
}

/** Reads the projects' persistence lag records (since when their persistence keeps failing, and why). */
export async function loadPersistenceLag(db: Db, projects: CollectedProject[]): Promise<void> {
  if (projects.length === 0) return;
  const rows = await db.selectFrom('persistence_lag').selectAll().where('project_id', 'in', projects.map((p) => p.projectId)).execute();
  for (const p of projects) {
    const row = rows.find((r) => r.project_id === p.projectId);
    p.lag = row
      ? { since: new Date(row.since).toISOString(), lastAttemptAt: new Date(row.last_attempt_at).toISOString(), attempts: row.attempts, pendingSeq: row.pending_seq, lastError: row.last_error }
      : null;
  }
}

/** 6. No project's persistence keeps failing: a lagging log is its own finding, with since when and why. */
export function checkPersistence(projects: readonly CollectedProject[]): CheckResult {
  const failures: CheckFailure[] = [];
  for (const p of projects) {
    if (!p.lag) continue;
    const behind = p.reported ? p.reported.seq - (p.events.at(-1)?.seq ?? 0) : null;
    failures.push({
      message: `项目 ${p.projectId} 持久化滞后：自 ${p.lag.since} 起写入失败（已尝试 ${p.lag.attempts} 次，自第 ${p.lag.pendingSeq} 条事件起未写入${behind !== null ? `，事件日志落后工作流 ${behind} 条` : ''}）：${p.lag.lastError}`,
      location: { projectId: p.projectId, seq: p.lag.pendingSeq, workflowId: p.workflowId },
    });
  }
  return summarize('persistence', failures, `${projects.length} 个项目的持久化均无滞后`);
}

/** Runs the six checks on collected data. */
export async function runChecks(deps: AuditDeps, collected: Collected): Promise<{ checks: CheckResult[]; evidence: (EvidenceRef & { status: EvidenceStatus })[] }> {
  const { projects } = collected;
  await loadPersistenceLag(deps.db, projects);
  const [replay, evidence, projection] = await Promise.all([
    checkTemporalReplay(deps.workflows, projects),
    checkEvidence(deps.store, projects),
    checkProjection(deps.db, projects),
  ]);
  return {
    checks: [replay, checkHashChain(projects), evidence.result, projection, checkEventLog(projects, collected.cycle, collected.storedCycle), checkPersistence(projects)],
    evidence: evidence.refs,
  };
}

/** Verifies a project and its sub-projects against PostgreSQL, Temporal and the evidence store. */
export async function verifyProject(deps: AuditDeps, projectId: string): Promise<VerificationReport> {
  const started = Date.now();
  const collected = await collectProject(deps, projectId);
  const { checks } = await runChecks(deps, collected);
  return report(projectId, collected.projects, checks, started);
}

export function report(projectId: string, projects: readonly AuditProject[], checks: CheckResult[], started: number): VerificationReport {
  return {
    projectId,
    ok: checks.every((c) => c.ok),
    checkedAt: new Date().toISOString(),
    durationMs: Date.now() - started,
    projects: projects.map((p) => p.projectId),
    checks,
  };
}
