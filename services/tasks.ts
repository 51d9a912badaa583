/**
 * My tasks (待办) and my history (已办): the rows the persistence activity keeps (tasks/derive.ts)
 * read for the signed-in person, with days left and overdue as of now; and what the person did,
 * from the event log. Each person sees only what waits for them (their id, or their role's scope).
 */
import type { Db } from '../db';
import type { AuthenticatedUser } from '../db/auth';
import { listDoneBy, listTasksFor, type TaskRow } from '../db/tasks';
import { daysLeft, isOverdue, TASK_KIND_LABELS, type TaskKind } from '../tasks/derive';
import { EVENT_LABELS, ROLE_LABELS, type LifecycleEventType, type Role } from '../workflows/lifecycle';

export interface TasksDeps {
  db: Db;
}

export interface TaskQuery {
  cycle?: string;
  kind?: string;
  overdue?: boolean;
  limit: number;
  offset: number;
}

export interface TaskView {
  id: string;
  kind: string;
  kindLabel: string;
  label: string;
  projectId: string;
  projectTitle: string;
  cycleId: string;
  action: string;
  deadline: string;
  daysLeft: number;
  overdue: boolean;
  /** Whom it waits for: the person, or every inspector / committee member of the scope. */
  assignedTo: { kind: 'person'; userId: string } | { kind: 'inspector' | 'committee'; orgId: string };
}

export interface DoneView {
  projectId: string;
  projectTitle: string | null;
  cycleId: string | null;
  seq: number;
  type: string;
  label: string;
  role: string;
  roleLabel: string;
  orgId: string;
  at: string;
  recordedAt: string;
}

function taskView(row: TaskRow, nowMs: number): TaskView {
  return {
    id: `${row.project_id}/${row.key}`,
    kind: row.kind,
    kindLabel: TASK_KIND_LABELS[row.kind as TaskKind] ?? row.kind,
    label: row.label,
    projectId: row.project_id,
    projectTitle: row.project_title,
    cycleId: row.cycle_id,
    action: row.action,
    deadline: row.deadline,
    daysLeft: daysLeft(row.deadline, nowMs),
    overdue: isOverdue(row.deadline, nowMs),
    assignedTo: row.assignee_id !== null ? { kind: 'person', userId: row.assignee_id } : { kind: row.assignee_role ?? 'committee', orgId: row.org_id },
  };
}

/** The person's tasks shown now, earliest deadline first. */
export async function myTasks(deps: TasksDeps, user: AuthenticatedUser, query: TaskQuery, nowMs = Date.now()): Promise<{ total: number; items: TaskView[] }> {
  const page = await listTasksFor(
    deps.db,
    { id: user.id, role: user.role, orgId: user.orgId },
    { cycleId: query.cycle, kind: query.kind, overdueOnly: query.overdue === true, now: new Date(nowMs), limit: query.limit, offset: query.offset },
  );
  return { total: page.total, items: page.items.map((row) => taskView(row, nowMs)) };
}

/** What the person did (their events in every project's log), newest first. */
export async function myDone(deps: TasksDeps, user: AuthenticatedUser, query: { cycle?: string; limit: number; offset: number }): Promise<{ total: number; items: DoneView[] }> {
  const page = await listDoneBy(deps.db, user.id, { cycleId: query.cycle, limit: query.limit, offset: query.offset });
  return {
    total: page.total,
    items: page.items.map((row) => ({
      projectId: row.project_id,
      projectTitle: row.project_title,
      cycleId: row.cycle_id,
      seq: row.seq,
      type: row.type,
      label: EVENT_LABELS[row.type as LifecycleEventType] ?? row.type,
      role: row.actor_role,
      roleLabel: ROLE_LABELS[row.actor_role as Role] ?? row.actor_role,
      orgId: row.actor_org_id,
      at: row.at,
      recordedAt: row.recorded_at.toISOString(),
    })),
  };
}
