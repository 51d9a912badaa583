/**
 * Reading what the audit needs from PostgreSQL: a project and its sub-projects ("1+N", any depth),
 * their event-log rows, the cycle configuration their workflows ran with, and the evidence files
 * their events reference.
 */
import type { Client } from '@temporalio/client';
import { sql } from 'kysely';
import type { Db } from '../db';
import { getCycleConfig } from '../db/cycles';
import type { CycleConfig, EvidenceFile } from '../workflows/lifecycle';
import { projectWorkflowId } from '../workflows/messages';
import { cycleFromHistory, fetchRun } from './history';
import { AuditError, type AuditProject, type LoggedEvent } from './types';

/** Sub-project ids a project's own events created (decomposition, children added at dispatch). */
export function childIdsFromEvents(events: readonly LoggedEvent[]): string[] {
  const ids: string[] = [];
  for (const { event } of events) {
    const e = event as unknown as { type?: string; children?: { id?: unknown }[]; changes?: { kind?: string; child?: { id?: unknown } }[] };
    if (e?.type === 'decompose' && Array.isArray(e.children)) {
      for (const c of e.children) if (typeof c?.id === 'string') ids.push(c.id);
    }
    if (e?.type === 'dispatch' && Array.isArray(e.changes)) {
      for (const c of e.changes) if (c?.kind === 'addChild' && typeof c.child?.id === 'string') ids.push(c.child.id);
    }
  }
  return [...new Set(ids)];
}

/** The event-log rows of the given projects, each list in seq order. */
export async function loadEvents(db: Db, projectIds: readonly string[]): Promise<Map<string, LoggedEvent[]>> {
  const byProject = new Map<string, LoggedEvent[]>(projectIds.map((id) => [id, []]));
  if (projectIds.length === 0) return byProject;
  const rows = await db.selectFrom('project_events').selectAll().where('project_id', 'in', [...projectIds]).orderBy('project_id').orderBy('seq').execute();
  for (const r of rows) {
    byProject.get(r.project_id)?.push({
      projectId: r.project_id,
      seq: r.seq,
      type: r.type,
      actorId: r.actor_id,
      actorRole: r.actor_role,
      actorOrgId: r.actor_org_id,
      at: r.at,
      event: r.event as LoggedEvent['event'],
      workflowId: r.workflow_id,
      runId: r.run_id,
      prevHash: r.prev_hash,
      hash: r.hash,
      recordedAt: r.recorded_at instanceof Date ? r.recorded_at.toISOString() : String(r.recorded_at),
    });
  }
  return byProject;
}

/** Where a project is known: its projection row, its first event, or its cycle's launch registry. */
async function locate(db: Db, projectId: string): Promise<{ cycleId: string; workflowId: string; parentId: string | null } | undefined> {
  const row = await db.selectFrom('projects').select(['cycle_id', 'workflow_id', 'parent_id']).where('id', '=', projectId).executeTakeFirst();
  if (row) return { cycleId: row.cycle_id, workflowId: row.workflow_id, parentId: row.parent_id };
  const first = await db.selectFrom('project_events').select(['workflow_id', 'event']).where('project_id', '=', projectId).orderBy('seq').limit(1).executeTakeFirst();
  if (first) {
    const e = first.event as { cycleId?: string; parentId?: string | null };
    if (typeof e?.cycleId === 'string') return { cycleId: e.cycleId, workflowId: first.workflow_id, parentId: e.parentId ?? null };
  }
  const planned = await db.selectFrom('cycle_projects').select(['cycle_id', 'workflow_id']).where('project_id', '=', projectId).executeTakeFirst();
  if (planned) return { cycleId: planned.cycle_id, workflowId: planned.workflow_id, parentId: null };
  return undefined;
}

export interface AuditSet {
  projects: AuditProject[];
  events: Map<string, LoggedEvent[]>;
}

/**
 * The project and all its sub-projects, parents before children, with their events. Children are
 * found in the projection (parent_id), in the children's own create events, and in the parent's
 * decompose/dispatch events, so deleting one of those records does not hide a sub-project.
 */
export async function loadAuditSet(db: Db, projectId: string): Promise<AuditSet> {
  const root = await locate(db, projectId);
  if (!root) throw new AuditError(404, `project ${projectId} not found`, `找不到项目 ${projectId}`);
  const projects: AuditProject[] = [{ projectId, parentId: root.parentId, cycleId: root.cycleId, workflowId: root.workflowId, depth: 0 }];
  const events = new Map<string, LoggedEvent[]>();
  for (let level = [projects[0]]; level.length > 0; ) {
    const loaded = await loadEvents(db, level.map((p) => p.projectId));
    for (const [id, list] of loaded) events.set(id, list);
    const next: AuditProject[] = [];
    const ids = level.map((p) => p.projectId);
    const fromProjection = await db.selectFrom('projects').select(['id', 'parent_id', 'workflow_id', 'cycle_id']).where('parent_id', 'in', ids).execute();
    const fromCreates = await db
      .selectFrom('project_events')
      .select(['project_id', 'workflow_id', 'event'])
      .where('seq', '=', 1)
      .where(sql<boolean>`event->>'parentId' in (${sql.join(ids)})`)
      .execute();
    const add = (child: string, parent: AuditProject, workflowId?: string) => {
      if (events.has(child) || projects.some((p) => p.projectId === child) || next.some((p) => p.projectId === child)) return;
      next.push({ projectId: child, parentId: parent.projectId, cycleId: parent.cycleId, workflowId: workflowId ?? projectWorkflowId(parent.cycleId, child), depth: parent.depth + 1 });
    };
    for (const parent of level) {
      for (const r of fromProjection) if (r.parent_id === parent.projectId) add(r.id, parent, r.workflow_id);
      for (const r of fromCreates) if ((r.event as { parentId?: string }).parentId === parent.projectId) add(r.project_id, parent, r.workflow_id);
      for (const id of childIdsFromEvents(events.get(parent.projectId) ?? [])) add(id, parent);
    }
    next.sort((a, b) => (a.projectId < b.projectId ? -1 : a.projectId > b.projectId ? 1 : 0));
    projects.push(...next);
    level = next;
  }
  return { projects, events };
}

/**
 * The cycle configuration the project's workflows ran with: the cycle's row, or else the input the
 * first run of the workflow was started with (projects started outside a stored cycle).
 */
export async function loadCycleConfig(db: Db, temporal: Client | null | undefined, root: AuditProject, events: readonly LoggedEvent[]): Promise<CycleConfig> {
  const stored = await getCycleConfig(db, root.cycleId);
  if (stored) return stored;
  if (temporal) {
    const firstRunId = events[0]?.runId;
    const run = await fetchRun(temporal, root.workflowId, firstRunId).catch(() => undefined);
    const fromHistory = run ? cycleFromHistory(run.history) : undefined;
    if (fromHistory) return fromHistory;
  }
  throw new AuditError(409, `the configuration of cycle ${root.cycleId} is not available`, `找不到年度周期 ${root.cycleId} 的配置，无法回放`);
}

/** One evidence file referenced by an event (evidence, corrections, rectification reports). */
export interface EvidenceRef {
  projectId: string;
  seq: number;
  eventType: string;
  /** The evidence version or ledger entry the file belongs to. */
  itemId: string | null;
  name: string;
  sha256: string;
  size: number;
}

/** Every file the events reference, in event order. */
export function evidenceRefs(events: readonly LoggedEvent[]): EvidenceRef[] {
  const refs: EvidenceRef[] = [];
  for (const e of events) {
    const event = e.event as unknown as { type?: string; files?: EvidenceFile[]; evidenceId?: string; entryId?: string; textRef?: { sha256?: unknown; size?: unknown } | null };
    if (!event) continue;
    // A claim-checked long text is verified byte for byte like a file.
    if (event.textRef && typeof event.textRef.sha256 === 'string') {
      refs.push({
        projectId: e.projectId,
        seq: e.seq,
        eventType: String(event.type),
        itemId: event.evidenceId ?? event.entryId ?? null,
        name: '（长文本）',
        sha256: event.textRef.sha256,
        size: Number(event.textRef.size),
      });
    }
    if (!Array.isArray(event.files)) continue;
    for (const f of event.files) {
      if (!f || typeof f.sha256 !== 'string') continue;
      refs.push({
        projectId: e.projectId,
        seq: e.seq,
        eventType: String(event.type),
        itemId: event.evidenceId ?? event.entryId ?? null,
        name: String(f.name),
        sha256: f.sha256,
        size: Number(f.size),
      });
    }
  }
  return refs;
}
