/** Kysely's view of the schema: one interface per table, rows are snake_case. */
import type { ColumnType, Insertable, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, never>;

/** A row written by the wiring-check workflow's activity: proves api → Temporal → worker → PostgreSQL. */
export interface WiringCheckTable {
  id: string;
  message: string;
  workflow_id: string;
  run_id: string;
  created_at: Timestamp;
}

/** Projection of one project workflow's state; `version` only grows. */
export interface ProjectTable {
  id: string;
  cycle_id: string;
  parent_id: string | null;
  org_id: string;
  lead_secretary_id: string;
  title: string;
  type: string;
  is_key: boolean;
  stage: string;
  progress: number;
  grade: string | null;
  final_score: number | null;
  version: number;
  state: ColumnType<unknown, string, string>;
  workflow_id: string;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** Append-only event log; each row's hash covers the previous row's hash (a chain per project). */
export interface ProjectEventTable {
  project_id: string;
  seq: number;
  type: string;
  actor_id: string;
  actor_role: string;
  actor_org_id: string;
  at: string;
  event: ColumnType<unknown, string, never>;
  workflow_id: string;
  run_id: string;
  prev_hash: string | null;
  hash: string;
  recorded_at: Timestamp;
}

/** Notifications outbox (动态提醒/月提示); ids are decided by the workflow, so a retry adds nothing. */
export interface NotificationTable {
  id: string;
  project_id: string;
  cycle_id: string;
  recipient_id: string;
  kind: string;
  message: string;
  at: string;
  created_at: Timestamp;
  delivered_at: Date | null;
}

export interface Database {
  wiring_checks: WiringCheckTable;
  projects: ProjectTable;
  project_events: ProjectEventTable;
  notifications: NotificationTable;
}

export type ProjectRow = Selectable<ProjectTable>;
export type ProjectEventRow = Selectable<ProjectEventTable>;
export type NotificationRow = Selectable<NotificationTable>;

export type WiringCheck = Selectable<WiringCheckTable>;
export type NewWiringCheck = Insertable<WiringCheckTable>;
