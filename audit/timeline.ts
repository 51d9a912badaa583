/**
 * The audit timeline: every event of a project and its sub-projects in the order they happened,
 * with who did it (actor, role, org), when, what it changed in the state (a readable diff from
 * replaying the log through the lifecycle core) and links to the evidence files it carries.
 */
import type { Client } from '@temporalio/client';
import type { Db } from '../db';
import { EVENT_LABELS, ROLE_LABELS, type CycleConfig, type LifecycleEventType } from '../workflows/lifecycle';
import { diffStates, type StateChange } from './diff';
import { evidenceRefs, loadAuditSet, loadCycleConfig } from './events';
import { replayLogged } from './state';
import type { AuditProject, LoggedEvent } from './types';

export interface EvidenceLink {
  name: string;
  sha256: string;
  size: number;
  /** The API download (its SHA-256 is re-checked on every read). */
  href: string;
}

export interface TimelineEntry {
  projectId: string;
  parentId: string | null;
  /** 0 for the project audited, 1 for its sub-projects, ... */
  depth: number;
  seq: number;
  type: string;
  /** The event in Chinese (审核通过, 提交佐证材料, ...). */
  label: string;
  actor: { userId: string; role: string; roleLabel: string; orgId: string; system: boolean };
  at: string;
  recordedAt: string;
  workflowId: string;
  runId: string;
  hash: string;
  /** One line: the event, who, and its main change. */
  summary: string;
  changes: StateChange[];
  evidence: EvidenceLink[];
  /** Set when replay stopped at or before this event (the log no longer replays from here). */
  replayError: string | null;
}

export interface Timeline {
  projectId: string;
  projects: AuditProject[];
  entries: TimelineEntry[];
  /** Per project, the first event the lifecycle refused on replay, if any. */
  replayFailures: { projectId: string; seq: number; message: string }[];
}

function entriesOf(project: AuditProject, events: readonly LoggedEvent[], cycle: CycleConfig): { entries: TimelineEntry[]; failure: Timeline['replayFailures'][number] | null } {
  const replayed = replayLogged(events, cycle);
  const bySeq = new Map(replayed.steps.map((s) => [s.logged.seq, s]));
  const failure = replayed.failure ? { projectId: project.projectId, ...replayed.failure } : null;
  const entries = [...events]
    .sort((a, b) => a.seq - b.seq)
    .map((e): TimelineEntry => {
      const step = bySeq.get(e.seq);
      const changes = step ? diffStates(step.before, step.after) : [];
      const label = EVENT_LABELS[e.type as LifecycleEventType] ?? e.type;
      const roleLabel = ROLE_LABELS[e.actorRole as keyof typeof ROLE_LABELS] ?? e.actorRole;
      const main = changes.find((c) => c.path === 'stage') ?? changes[0];
      return {
        projectId: project.projectId,
        parentId: project.parentId,
        depth: project.depth,
        seq: e.seq,
        type: e.type,
        label,
        actor: { userId: e.actorId, role: e.actorRole, roleLabel, orgId: e.actorOrgId, system: e.actorRole === 'system' },
        at: e.at,
        recordedAt: e.recordedAt,
        workflowId: e.workflowId,
        runId: e.runId,
        hash: e.hash,
        summary: `${project.projectId} #${e.seq} ${label}（${roleLabel} ${e.actorId}）${main ? `：${main.text}` : ''}`,
        changes,
        evidence: evidenceRefs([e]).map((r) => ({ name: r.name, sha256: r.sha256, size: r.size, href: `/evidence-files/${r.sha256}` })),
        replayError: step ? null : failure && e.seq >= failure.seq ? failure.message : null,
      };
    });
  return { entries, failure };
}

/**
 * Pure: merges the projects' events into one timeline by time. Each project's own events keep
 * their seq order; events at the same instant list parents before children.
 */
export function buildTimeline(projects: readonly AuditProject[], events: ReadonlyMap<string, readonly LoggedEvent[]>, cycle: CycleConfig): Timeline {
  const queues = projects.map((p) => entriesOf(p, events.get(p.projectId) ?? [], cycle));
  const heads = queues.map(() => 0);
  const merged: TimelineEntry[] = [];
  for (;;) {
    let pick = -1;
    let pickMs = Infinity;
    queues.forEach((q, i) => {
      const entry = q.entries[heads[i]];
      if (!entry) return;
      const ms = Date.parse(entry.at);
      const key = Number.isFinite(ms) ? ms : -Infinity;
      if (pick === -1 || key < pickMs) {
        pick = i;
        pickMs = key;
      }
    });
    if (pick === -1) break;
    merged.push(queues[pick].entries[heads[pick]]);
    heads[pick] += 1;
  }
  return {
    projectId: projects[0].projectId,
    projects: projects.map(({ projectId, parentId, cycleId, workflowId, depth }) => ({ projectId, parentId, cycleId, workflowId, depth })),
    entries: merged,
    replayFailures: queues.flatMap((q) => (q.failure ? [q.failure] : [])),
  };
}

/** The timeline of a project and its sub-projects, from the event log in PostgreSQL. */
export async function projectTimeline(deps: { db: Db; temporal?: Client | null }, projectId: string): Promise<Timeline> {
  const { projects, events } = await loadAuditSet(deps.db, projectId);
  const cycle = await loadCycleConfig(deps.db, deps.temporal, projects[0], events.get(projectId) ?? []);
  return buildTimeline(projects, events, cycle);
}
