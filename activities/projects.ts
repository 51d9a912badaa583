/**
 * Persistence of project workflows: the hash-chained event log, the projection and the
 * notifications outbox. Every write is keyed by ids the workflow decided (project id + event
 * sequence number, notification id), so a retried or replayed activity writes nothing twice.
 */
import { sql, type SqlBool, type Transaction } from 'kysely';
import type { Database, Db } from '../db';
import { insertRows } from '../db/batches';
import { chainHash } from '../db/hash-chain';
import { orgHasChildren, orgsWithChildren, replaceProjectTasks, replaceTasksOf } from '../db/tasks';
import { tasksFor } from '../tasks/derive';
import { activityLog } from './log';
import { apply, type CreateEvent, type CycleConfig, type LifecycleEvent, type ProjectState } from '../workflows/lifecycle';

export interface RecordedEvent {
  /** 1-based position in the project's life; the event log's key with the project id. */
  seq: number;
  event: LifecycleEvent;
}

export interface PersistProjectInput {
  workflowId: string;
  runId: string;
  projectId: string;
  /** The cycle's immutable configuration, which the lifecycle core needs to fold the events. */
  cycle: CycleConfig;
  /** The events not yet persisted, in order: the payload grows with the events, not with the project. */
  events: RecordedEvent[];
}

export interface NotificationInput {
  /** Decided by the workflow (project, kind, occasion), so the same reminder is never sent twice. */
  id: string;
  projectId: string;
  cycleId: string;
  recipientId: string;
  kind: string;
  message: string;
  at: string;
}

export function createProjectActivities(db: Db) {
  async function persist(input: PersistProjectInput): Promise<{ appended: number }> {
    try {
      return await persistOnce(db, input);
    } catch (error) {
      await recordLag(db, input, error);
      throw error;
    }
  }
  return {
    /**
     * Appends the events not yet in the log (chaining their hashes), then folds every logged event
     * the projection has not seen into the stored projection with the lifecycle core — the same
     * code the workflow runs — and writes only the rows that changed. A failure is recorded in
     * `persistence_lag` (since when, why) and the activity retries; success clears it.
     */
    async persistProject(input: PersistProjectInput): Promise<{ appended: number }> {
      return persist(input);
    },

    /**
     * The same persistence, run as a local activity for a new project's create event (workflow
     * code v3). Its answer carries the events it stored: a local activity leaves only its result in
     * the Temporal history (in the marker), and the audit reads the events the workflow persisted
     * from there, as it reads the input of `persistProject`.
     */
    async persistProjectLocally(input: PersistProjectInput): Promise<{ appended: number; events: RecordedEvent[] }> {
      const { appended } = await persist(input);
      return { appended, events: input.events };
    },

    /** Writes reminders to the outbox; an id already there is left as it is. */
    async writeNotifications(notifications: NotificationInput[]): Promise<number> {
      if (notifications.length === 0) return 0;
      const result = await db
        .insertInto('notifications')
        .values(
          notifications.map((n) => ({
            id: n.id,
            project_id: n.projectId,
            cycle_id: n.cycleId,
            recipient_id: n.recipientId,
            kind: n.kind,
            message: n.message,
            at: n.at,
          })),
        )
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0);
    },
  };
}

async function persistOnce(db: Db, input: PersistProjectInput): Promise<{ appended: number }> {
  const { projectId, cycle } = input;
  return db.transaction().execute(async (trx) => {
    // One writer per project at a time, so the chain is computed against the true last row.
    await sql`select pg_advisory_xact_lock(hashtext(${projectId}))`.execute(trx);
    const last = await trx
      .selectFrom('project_events')
      .select(['seq', 'hash'])
      .where('project_id', '=', projectId)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    let prevHash = last?.hash ?? null;
    let lastSeq = last?.seq ?? 0;
    const loggedBefore = lastSeq;
    const inserted: { seq: number; event: LifecycleEvent }[] = [];
    let appended = 0;
    for (const { seq, event } of [...input.events].sort((a, b) => a.seq - b.seq)) {
      if (seq <= lastSeq) continue; // already recorded by an earlier attempt
      if (seq !== lastSeq + 1) throw new Error(`event log gap for ${projectId}: have ${lastSeq}, got ${seq}`);
      const row = eventRow(projectId, seq, event, input.workflowId, input.runId, prevHash);
      await trx.insertInto('project_events').values(row).execute();
      prevHash = row.hash;
      lastSeq = seq;
      appended += 1;
      inserted.push({ seq, event });
    }

    // The projection: the stored state plus the logged events after its version, folded by the core.
    const current = await trx.selectFrom('projects').select(['version', 'state']).where('id', '=', projectId).executeTakeFirst();
    const before = current ? current.state : null;
    const version = current?.version ?? 0;
    if (version < lastSeq) {
      // The projection was level with the log before this call: what it lacks is what was just
      // inserted (the advisory lock keeps other writers out). Otherwise read the missing events.
      const logged =
        version === loggedBefore
          ? inserted
          : await trx.selectFrom('project_events').select(['seq', 'event']).where('project_id', '=', projectId).where('seq', '>', version).orderBy('seq').execute();
      let state = before;
      for (const row of logged) {
        const result = apply(state, row.event, cycle);
        if (!result.ok) throw new Error(`event ${row.seq} of ${projectId} refused while projecting: ${result.refusal.rule} ${result.refusal.message}`);
        state = result.state;
      }
      if (state) {
        await writeProjection(trx, input.workflowId, before, state);
        // My tasks (待办) follow the projection in the same transaction, replaced wholesale.
        await replaceProjectTasks(trx, state.id, tasksFor(state, cycle, { hasLowerOrgs: await orgHasChildren(trx, state.orgId) }));
      }
    }
    await trx.deleteFrom('persistence_lag').where('project_id', '=', projectId).execute();
    return { appended };
  });
}

/** A project the launcher started, whose create event it persists for the workflow. */
export interface LaunchedProject {
  projectId: string;
  workflowId: string;
  /** The run the create event belongs to (the workflow's first run). */
  runId: string;
  create: CreateEvent;
}

/**
 * The first persistence of a batch of launched projects, in one transaction: each create event
 * becomes seq 1 of its project's hash-chained log, and its projection, detail rows and tasks are
 * written, all with multi-row statements — what `persistProject` does for one event, for a hundred
 * projects at the cost of about one. The workflows were started with `createLoggedByLauncher`, so
 * they leave seq 1 to this and persist their later events themselves (a later event waits for seq
 * 1: `persistProject` refuses a gap and retries).
 *
 * Idempotent: a project whose seq 1 is already logged (an earlier attempt of the batch, or a
 * workflow of older code that persisted it itself) is left as it is. A create the lifecycle core
 * refuses is not logged: its workflow fails on the same refusal.
 */
export async function persistLaunchedProjects(db: Db, cycle: CycleConfig, launched: readonly LaunchedProject[]): Promise<number> {
  if (launched.length === 0) return 0;
  return db.transaction().execute(async (trx) => {
    const ids = [...new Set(launched.map((p) => p.projectId))].sort();
    // The same per-project lock as `persistProject`, taken in one order so two batches cannot deadlock.
    await sql`select pg_advisory_xact_lock(hashtext(id)) from (select unnest(${ids}::text[]) as id order by 1) as ids`.execute(trx);
    const rows = await trx.selectFrom('project_events').select('project_id').where(sql<SqlBool>`project_id = any(${ids}::text[])`).where('seq', '=', 1).execute();
    const logged = new Set(rows.map((r) => r.project_id));
    const fresh: (LaunchedProject & { state: ProjectState })[] = [];
    for (const p of launched) {
      if (logged.has(p.projectId)) continue;
      logged.add(p.projectId);
      const result = apply(null, p.create, cycle);
      if (result.ok) fresh.push({ ...p, state: result.state });
    }
    if (fresh.length === 0) return 0;
    const freshIds = fresh.map((p) => p.projectId);
    await insertRows(
      trx,
      'project_events',
      fresh.map((p) => eventRow(p.projectId, 1, p.create, p.workflowId, p.runId, null)),
    );
    const projections = fresh.map((p) => projectRow(p.workflowId, p.state));
    await trx
      .insertInto('projects')
      .values(projections)
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          ...Object.fromEntries(Object.keys(projections[0]!).map((column) => [column, eb.ref(`excluded.${column}` as never)])),
          updated_at: sql`now()`,
        })),
      )
      .execute();
    await deleteDetailRows(trx, freshIds);
    for (const [table, { rows: detail }] of Object.entries(DETAIL_ROWS) as [DetailTable, (typeof DETAIL_ROWS)[DetailTable]][]) {
      await insertRows(trx, table, fresh.flatMap((p) => detail(p.state)));
    }
    const withLowerOrgs = await orgsWithChildren(trx, fresh.map((p) => p.state.orgId));
    await replaceTasksOf(trx, freshIds, fresh.flatMap((p) => tasksFor(p.state, cycle, { hasLowerOrgs: withLowerOrgs.has(p.state.orgId) })));
    await trx.deleteFrom('persistence_lag').where(sql<SqlBool>`project_id = any(${freshIds}::text[])`).execute();
    return fresh.length;
  });
}

/** Records (or refreshes) that this project's persistence is failing; best effort when the database itself is down. */
async function recordLag(db: Db, input: PersistProjectInput, error: unknown): Promise<void> {
  // NUL is the one character a PostgreSQL text column refuses: escape it in the stored message.
  // eslint-disable-next-line no-control-regex
  const message = (error instanceof Error ? error.message : String(error)).replace(/\u0000/g, '\\u0000').slice(0, 2000);
  const pendingSeq = Math.min(...input.events.map((e) => e.seq));
  try {
    await db
      .insertInto('persistence_lag')
      .values({ project_id: input.projectId, workflow_id: input.workflowId, pending_seq: Number.isFinite(pendingSeq) ? pendingSeq : 0, last_error: message })
      .onConflict((oc) =>
        oc.column('project_id').doUpdateSet({
          attempts: sql`persistence_lag.attempts + 1`,
          last_attempt_at: sql`now()`,
          last_error: message,
          pending_seq: sql`least(persistence_lag.pending_seq, excluded.pending_seq)`,
        }),
      )
      .execute();
  } catch (lagError) {
    // The database is unreachable: /health reports that outage itself. The activity's own failure
    // is logged by the worker ("Activity failed"); this one would otherwise be lost.
    activityLog().warn('could not record the persistence lag', { projectId: input.projectId, error: lagError });
  }
}

type DetailTable = 'project_indicators' | 'project_milestones' | 'member_items' | 'evidence' | 'inspections' | 'ledger_entries' | 'self_assessments' | 'acceptances';

/** Each detail table's rows for a state, keyed by the row's key within the project. */
const DETAIL_ROWS: { [T in DetailTable]: { key: 'id' | 'quarter' | null; rows: (s: ProjectState) => Record<string, unknown>[] } } = {
  project_indicators: {
    key: 'id',
    rows: (s) => s.proposal.indicators.map((i) => ({ project_id: s.id, id: i.id, name: i.name, unit: i.unit, baseline: i.baseline, target: i.target, weight: i.weight, actual: i.actual })),
  },
  project_milestones: { key: 'id', rows: (s) => s.proposal.milestones.map((m) => ({ project_id: s.id, id: m.id, title: m.title, due: m.due })) },
  member_items: {
    key: 'id',
    rows: (s) => s.memberItems.map((m) => ({ project_id: s.id, id: m.id, member_id: m.memberId, kind: m.kind, title: m.title, target: m.target, actual: m.actual, unit: m.unit })),
  },
  evidence: {
    key: 'id',
    rows: (s) =>
      s.evidence.map((e) => ({
        project_id: s.id,
        id: e.id,
        quarter: e.quarter,
        milestone_id: e.milestoneId,
        text: e.text,
        text_ref: e.textRef ? JSON.stringify(e.textRef) : null,
        files: JSON.stringify(e.files),
        indicator_actuals: JSON.stringify(e.indicatorActuals),
        version: e.version,
        supersedes: e.supersedes,
        superseded_by: e.supersededBy,
        submitted_by: e.submittedBy,
        at: e.at,
      })),
  },
  inspections: {
    key: 'quarter',
    rows: (s) =>
      s.inspections.map((i) => ({
        project_id: s.id,
        quarter: i.quarter,
        due: i.due,
        rating: i.rating,
        missing_evidence: i.missingEvidence,
        findings: JSON.stringify(i.findings),
        inspector_id: i.inspectorId,
        at: i.at,
      })),
  },
  ledger_entries: {
    key: 'id',
    rows: (s) =>
      s.ledger.map((e) => ({
        project_id: s.id,
        id: e.id,
        quarter: e.quarter,
        problem: e.problem,
        responsible_org_id: e.responsibleOrgId,
        responsible_person_id: e.responsiblePersonId,
        measures: e.measures,
        deadline: e.deadline,
        status: e.status,
        reports: e.reports.length,
        send_backs: e.sendBacks.length,
        closed_at: e.closedAt,
        warned_at: e.warnedAt,
        escalated_at: e.escalatedAt,
      })),
  },
  self_assessments: {
    key: null,
    rows: (s) => {
      const sa = s.selfAssessment;
      return sa ? [{ project_id: s.id, scores: JSON.stringify(sa.scores), total: sa.total, narrative: sa.narrative, business_impact: sa.businessImpact, by: sa.by, at: sa.at }] : [];
    },
  },
  acceptances: {
    key: null,
    rows: (s) => {
      const acc = s.acceptance;
      return acc
        ? [
            {
              project_id: s.id,
              criterion_scores: JSON.stringify(acc.criterionScores),
              raw_score: acc.rawScore,
              deductions: JSON.stringify(acc.deductions),
              final_score: acc.finalScore,
              grade: acc.grade,
              by: acc.by,
              at: acc.at,
            },
          ]
        : [];
    },
  },
};

/**
 * Upserts the project row and brings its detail rows from those of `before` to those of `state`,
 * touching only rows that changed (a project with a thousand evidence entries rewrites one row per
 * new entry, not a thousand). Same input, same rows.
 */
async function writeProjection(trx: Transaction<Database>, workflowId: string, before: ProjectState | null, state: ProjectState): Promise<void> {
  const row = projectRow(workflowId, state);
  await trx
    .insertInto('projects')
    .values(row)
    .onConflict((oc) => oc.column('id').doUpdateSet({ ...row, updated_at: sql`now()` }))
    .execute();

  if (!before) {
    // No stored projection to compare with: remove whatever detail rows exist, every table in one
    // statement (a launch writes thousands of new projections).
    await deleteDetailRows(trx, [state.id]);
  }
  for (const [table, { key, rows }] of Object.entries(DETAIL_ROWS) as [DetailTable, (typeof DETAIL_ROWS)[DetailTable]][]) {
    const keyOf = (r: Record<string, unknown>) => (key === null ? '' : String(r[key]));
    const wanted = new Map(rows(state).map((r) => [keyOf(r), r]));
    if (!before) {
      // No stored projection to compare with: whatever rows exist were removed above; insert.
      if (wanted.size > 0) await trx.insertInto(table).values([...wanted.values()] as never).execute();
      continue;
    }
    const had = new Map(rows(before).map((r) => [keyOf(r), r]));
    const stale = [...had.keys()].filter((k) => !wanted.has(k) || JSON.stringify(had.get(k)) !== JSON.stringify(wanted.get(k)));
    const fresh = [...wanted.entries()].filter(([k, r]) => JSON.stringify(had.get(k)) !== JSON.stringify(r)).map(([, r]) => r);
    if (stale.length > 0) {
      let del = trx.deleteFrom(table).where('project_id', '=', state.id);
      if (key !== null) del = del.where(key as never, 'in', (key === 'quarter' ? stale.map(Number) : stale) as never);
      await del.execute();
    }
    if (fresh.length > 0) await trx.insertInto(table).values(fresh as never).execute();
  }
}

/** Every detail table's rows of the given projects, removed in one statement. */
async function deleteDetailRows(trx: Transaction<Database>, projectIds: readonly string[]): Promise<void> {
  const ids = [...projectIds];
  const deletes = (Object.keys(DETAIL_ROWS) as DetailTable[]).map((table, i) => sql`${sql.raw(`d${i}`)} as (delete from ${sql.table(table)} where project_id = any(${ids}::text[]))`);
  await sql`with ${sql.join(deletes)} select 1`.execute(trx);
}

/** The event log's row of one event, chained to the previous row's hash. */
function eventRow(projectId: string, seq: number, event: LifecycleEvent, workflowId: string, runId: string, prevHash: string | null) {
  return {
    project_id: projectId,
    seq,
    type: event.type,
    actor_id: event.actor.userId,
    actor_role: event.actor.role,
    actor_org_id: event.actor.orgId,
    at: event.at,
    event: JSON.stringify(event),
    workflow_id: workflowId,
    run_id: runId,
    prev_hash: prevHash,
    hash: chainHash(prevHash, projectId, seq, event),
  };
}

/** The `projects` row of a state. */
export function projectRow(workflowId: string, state: ProjectState) {
  return {
    id: state.id,
    cycle_id: state.cycleId,
    parent_id: state.parentId,
    org_id: state.orgId,
    lead_secretary_id: state.leadSecretaryId,
    title: state.proposal.title,
    type: state.proposal.type,
    is_key: state.proposal.isKey,
    stage: state.stage,
    progress: state.progress,
    grade: state.acceptance?.grade ?? null,
    final_score: state.acceptance?.finalScore ?? null,
    version: state.version,
    state: JSON.stringify(state),
    workflow_id: workflowId,
  };
}
