/** Kysely's view of the schema: one interface per table, rows are snake_case. */
import type { ColumnType, Selectable } from 'kysely';

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

type Json = ColumnType<unknown, string, string>;

export interface OrgTable {
  id: string;
  parent_id: string | null;
  kind: 'committee' | 'unit' | 'organ_committee' | 'branch';
  name: string;
  secretary_id: string | null;
}

export interface UserTable {
  id: string;
  name: string;
  role: 'committee' | 'secretary' | 'inspector' | 'auditor' | 'member';
  org_id: string;
}

export interface CycleTable {
  id: string;
  year: number;
  config: Json;
  status: string;
  opened_at: Timestamp;
  launched_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** The launch queue of a cycle: one row per top-level project to start. */
export interface CycleProjectTable {
  cycle_id: string;
  project_id: string;
  position: number;
  create_event: Json;
  planned_children: Json;
  workflow_id: string;
  started_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface ProjectIndicatorTable {
  project_id: string;
  id: string;
  name: string;
  unit: string;
  baseline: number;
  target: number;
  weight: number;
  actual: number | null;
}

export interface ProjectMilestoneTable {
  project_id: string;
  id: string;
  title: string;
  due: string;
}

export interface MemberItemTable {
  project_id: string;
  id: string;
  member_id: string;
  kind: string;
  title: string;
  target: number;
  actual: number | null;
  unit: string;
}

export interface EvidenceTable {
  project_id: string;
  id: string;
  quarter: number | null;
  milestone_id: string | null;
  text: string;
  text_ref: Json | null;
  files: Json;
  indicator_actuals: Json;
  version: number;
  supersedes: string | null;
  superseded_by: string | null;
  submitted_by: string;
  at: string;
}

export interface InspectionTable {
  project_id: string;
  quarter: number;
  due: boolean;
  rating: string | null;
  missing_evidence: boolean;
  findings: Json;
  inspector_id: string | null;
  at: string | null;
}

export interface LedgerEntryTable {
  project_id: string;
  id: string;
  quarter: number;
  problem: string;
  responsible_org_id: string;
  responsible_person_id: string;
  measures: string;
  deadline: string;
  status: string;
  reports: number;
  send_backs: number;
  closed_at: string | null;
  warned_at: string | null;
  escalated_at: string | null;
}

export interface SelfAssessmentTable {
  project_id: string;
  scores: Json;
  total: number;
  narrative: string;
  business_impact: string;
  by: string;
  at: string;
}

export interface AcceptanceTable {
  project_id: string;
  criterion_scores: Json;
  raw_score: number;
  deductions: Json;
  final_score: number;
  grade: string;
  by: string;
  at: string;
}

export interface ApiTokenTable {
  token_hash: string;
  user_id: string;
  label: string;
  created_at: Timestamp;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface IdempotencyKeyTable {
  user_id: string;
  key: string;
  request_hash: string;
  status_code: number | null;
  response: ColumnType<unknown, string | null, string | null>;
  created_at: Timestamp;
}

export interface EvidenceFileTable {
  sha256: string;
  uploaded_by: string;
  stored_name: string;
  content_type: string;
  size: number;
  created_at: Timestamp;
}

export interface InspectorAssignmentTable {
  inspector_id: string;
  org_id: string;
}

export interface Database {
  inspector_assignments: InspectorAssignmentTable;
  evidence_files: EvidenceFileTable;
  api_tokens: ApiTokenTable;
  idempotency_keys: IdempotencyKeyTable;
  orgs: OrgTable;
  users: UserTable;
  cycles: CycleTable;
  cycle_projects: CycleProjectTable;
  project_indicators: ProjectIndicatorTable;
  project_milestones: ProjectMilestoneTable;
  member_items: MemberItemTable;
  evidence: EvidenceTable;
  inspections: InspectionTable;
  ledger_entries: LedgerEntryTable;
  self_assessments: SelfAssessmentTable;
  acceptances: AcceptanceTable;
  wiring_checks: WiringCheckTable;
  projects: ProjectTable;
  persistence_lag: PersistenceLagTable;
  project_events: ProjectEventTable;
  notifications: NotificationTable;
}

/** A project whose persistence activity keeps failing: since when, how often and why. */
export interface PersistenceLagTable {
  project_id: string;
  workflow_id: string;
  since: ColumnType<Date, Date | string | undefined, Date | string>;
  last_attempt_at: ColumnType<Date, Date | string | undefined, Date | string>;
  attempts: ColumnType<number, number | undefined, number>;
  pending_seq: number;
  last_error: string;
}

export type WiringCheck = Selectable<WiringCheckTable>;
