/** Kysely's view of the schema: one interface per table, rows are snake_case. */
import type { ColumnType, Selectable } from 'kysely';
import type { ChildInput, CreateEvent, CriterionScore, CycleConfig, DeductionLine, EvidenceFile, Finding, IndicatorActual, LifecycleEvent, ProjectState, TextRef } from '../workflows/lifecycle';

type Timestamp = ColumnType<Date, Date | string | undefined, never>;

/** A jsonb column: read back parsed as `T` (pg parses jsonb), written as its JSON text. */
type Json<T> = ColumnType<T, string, string>;

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
  state: Json<ProjectState>;
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
  event: ColumnType<LifecycleEvent, string, never>;
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
  /** Set when a relay fanned the row out to its channels: from then on it is in the recipient's inbox. */
  inbox_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  read_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface OrgTable {
  id: string;
  parent_id: string | null;
  kind: 'committee' | 'unit' | 'organ_committee' | 'branch';
  name: string;
  secretary_id: string | null;
  closed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: Timestamp;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface UserTable {
  id: string;
  name: string;
  role: 'committee' | 'secretary' | 'inspector' | 'auditor' | 'member';
  org_id: string;
  /** Sign-in name (unique); null for a user who signs in only by mobile number or single sign-on. */
  username: ColumnType<string | null, string | null | undefined, string | null>;
  mobile: ColumnType<string | null, string | null | undefined, string | null>;
  /** argon2id (PHC string); null: no password sign-in. */
  password_hash: ColumnType<string | null, string | null | undefined, string | null>;
  must_change_password: ColumnType<boolean, boolean | undefined, boolean>;
  /** The identity provider's `sub` this user signs in as (统一身份认证). */
  oidc_subject: ColumnType<string | null, string | null | undefined, string | null>;
  /** Set: no sign-in, and every session and token stops working at once. */
  disabled_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: Timestamp;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface CycleTable {
  id: string;
  year: number;
  config: Json<CycleConfig>;
  status: string;
  opened_at: Timestamp;
  launched_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** The org tree (orgs, secretaries) as it stood when the cycle was opened; null for cycles opened before it was kept. */
  org_snapshot: ColumnType<OrgSnapshot | null, string | null | undefined, string | null>;
}

/** A cycle's immutable copy of the managed org tree. */
export interface OrgSnapshot {
  takenAt: string;
  orgs: { id: string; parentId: string | null; kind: string; name: string; secretaryId: string | null }[];
}

/** The launch queue of a cycle: one row per top-level project to start. */
export interface CycleProjectTable {
  cycle_id: string;
  project_id: string;
  position: number;
  create_event: Json<CreateEvent>;
  planned_children: Json<ChildInput[]>;
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
  text_ref: Json<TextRef> | null;
  files: Json<EvidenceFile[]>;
  indicator_actuals: Json<IndicatorActual[]>;
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
  findings: Json<Finding[]>;
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
  scores: Json<CriterionScore[]>;
  total: number;
  narrative: string;
  business_impact: string;
  by: string;
  at: string;
}

export interface AcceptanceTable {
  project_id: string;
  criterion_scores: Json<CriterionScore[]>;
  raw_score: number;
  deductions: Json<DeductionLine[]>;
  final_score: number;
  grade: string;
  by: string;
  at: string;
}

export interface ApiTokenTable {
  /** Public id (list, revoke); the token itself is stored only as its hash. */
  id: ColumnType<string, string | undefined, never>;
  token_hash: string;
  last_used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
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
  sessions: SessionTable;
  sign_in_failures: SignInFailureTable;
  security_events: SecurityEventTable;
  notification_channels: NotificationChannelTable;
  notification_deliveries: NotificationDeliveryTable;
  tasks: TaskTable;
  org_problems: OrgProblemTable;
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

/** A browser session (cookie); the cookie's value is stored only as its SHA-256. */
export interface SessionTable {
  id_hash: string;
  user_id: string;
  /** Sent back in `x-csrf-token` on every cookie-authenticated write. */
  csrf_token: string;
  created_at: Timestamp;
  last_seen_at: ColumnType<Date, Date | string | undefined, Date | string>;
  /** Absolute expiry; the idle expiry is `last_seen_at` + the idle timeout. */
  expires_at: ColumnType<Date, Date | string, Date | string>;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** How the session was opened: `password` or `oidc`. */
  via: ColumnType<string, string | undefined, string>;
  ip: string | null;
  user_agent: string | null;
}

/** Failed sign-ins per key (`account:<login>` or `address:<ip>`) in a window, and a lock. */
export interface SignInFailureTable {
  key: string;
  failures: number;
  window_start: ColumnType<Date, Date | string, Date | string>;
  locked_until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** Sign-ins, failures, locks, token, user and org changes, handovers: who, when, what, from where. */
export interface SecurityEventTable {
  id: ColumnType<number, never, never>;
  at: Timestamp;
  kind: string;
  actor_id: string | null;
  subject: string | null;
  ip: string | null;
  user_agent: string | null;
  detail: ColumnType<Record<string, unknown>, string | undefined, never>;
}

/** One action a project waits for (待办), for one person or for a role over an org; kept by the persistence activity. */
export interface TaskTable {
  project_id: string;
  key: string;
  cycle_id: string;
  kind: string;
  label: string;
  assignee_id: string | null;
  assignee_role: 'inspector' | 'committee' | null;
  org_id: string;
  project_title: string;
  action: string;
  deadline: string;
  deadline_at: ColumnType<Date, Date | string, Date | string>;
  visible_from: ColumnType<Date | null, Date | string | null, Date | string | null>;
}

/** A person's delivery channels beyond the inbox (通知渠道): a signed webhook and e-mail. */
export interface NotificationChannelTable {
  user_id: string;
  webhook_url: string | null;
  /** Signs every webhook request (HMAC-SHA256); shown to its owner once. */
  webhook_secret: string | null;
  webhook_enabled: boolean;
  email: string | null;
  email_enabled: boolean;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export type DeliveryChannel = 'inbox' | 'webhook' | 'email';
export type DeliveryStatus = 'pending' | 'delivered' | 'dead' | 'cancelled';

/** One notification on one channel: claimed by a relay, retried with back-off, dead after N attempts. */
export interface NotificationDeliveryTable {
  id: ColumnType<number, never, never>;
  notification_id: string;
  recipient_id: string;
  channel: DeliveryChannel;
  status: DeliveryStatus;
  attempts: ColumnType<number, number | undefined, number>;
  /** When it is due while pending; while a relay holds it, the end of that relay's lease. */
  next_attempt_at: ColumnType<Date, Date | string | undefined, Date | string>;
  lease_token: string | null;
  last_error: string | null;
  delivered_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: Timestamp;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** One problem of an org's problem list (问题清单); problem-oriented proposals link it by id (proposal.problemIds). */
export interface OrgProblemTable {
  id: string;
  org_id: string;
  /** The cycle it was found for, if any. */
  cycle_id: string | null;
  title: string;
  detail: ColumnType<string, string | undefined, string>;
  /** Where it came from: 巡察, 督查, 自查, … */
  source: string;
  status: ColumnType<'open' | 'resolved', 'open' | 'resolved' | undefined, 'open' | 'resolved'>;
  created_by: string;
  created_at: Timestamp;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}
