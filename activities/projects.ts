/**
 * Persistence of project workflows: the hash-chained event log, the projection and the
 * notifications outbox. Every write is keyed by ids the workflow decided (project id + event
 * sequence number, notification id), so a retried or replayed activity writes nothing twice.
 */
import { sql, type Transaction } from 'kysely';
import type { Database, Db } from '../db';
import { chainHash } from '../db/hash-chain';
import type { LifecycleEvent, ProjectState } from '../workflows/lifecycle';

export interface RecordedEvent {
  /** 1-based position in the project's life; the event log's key with the project id. */
  seq: number;
  event: LifecycleEvent;
}

export interface PersistProjectInput {
  workflowId: string;
  runId: string;
  events: RecordedEvent[];
  state: ProjectState;
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
  return {
    /** Appends the events not yet in the log (chaining their hashes) and upserts the projection. */
    async persistProject(input: PersistProjectInput): Promise<{ appended: number }> {
      const { state } = input;
      return db.transaction().execute(async (trx) => {
        // One writer per project at a time, so the chain is computed against the true last row.
        await sql`select pg_advisory_xact_lock(hashtext(${state.id}))`.execute(trx);
        const last = await trx
          .selectFrom('project_events')
          .select(['seq', 'hash'])
          .where('project_id', '=', state.id)
          .orderBy('seq', 'desc')
          .limit(1)
          .executeTakeFirst();
        let prevHash = last?.hash ?? null;
        let lastSeq = last?.seq ?? 0;
        let appended = 0;
        for (const { seq, event } of [...input.events].sort((a, b) => a.seq - b.seq)) {
          if (seq <= lastSeq) continue; // already recorded by an earlier attempt
          if (seq !== lastSeq + 1) throw new Error(`event log gap for ${state.id}: have ${lastSeq}, got ${seq}`);
          const hash = chainHash(prevHash, state.id, seq, event);
          await trx
            .insertInto('project_events')
            .values({
              project_id: state.id,
              seq,
              type: event.type,
              actor_id: event.actor.userId,
              actor_role: event.actor.role,
              actor_org_id: event.actor.orgId,
              at: event.at,
              event: JSON.stringify(event),
              workflow_id: input.workflowId,
              run_id: input.runId,
              prev_hash: prevHash,
              hash,
            })
            .execute();
          prevHash = hash;
          lastSeq = seq;
          appended += 1;
        }
        const current = await trx.selectFrom('projects').select('version').where('id', '=', state.id).executeTakeFirst();
        // Never let an older snapshot (a late retry) overwrite a newer one.
        if (!current || current.version <= state.version) await writeProjection(trx, input.workflowId, state);
        return { appended };
      });
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

const DETAIL_TABLES = [
  'project_indicators',
  'project_milestones',
  'member_items',
  'evidence',
  'inspections',
  'ledger_entries',
  'self_assessments',
  'acceptances',
] as const;

/** Upserts the project row and replaces its detail rows with those of `state` (same input, same rows). */
async function writeProjection(trx: Transaction<Database>, workflowId: string, state: ProjectState): Promise<void> {
  const row = {
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
  await trx
    .insertInto('projects')
    .values(row)
    .onConflict((oc) => oc.column('id').doUpdateSet({ ...row, updated_at: sql`now()` }))
    .execute();

  for (const table of DETAIL_TABLES) await trx.deleteFrom(table).where('project_id', '=', state.id).execute();
  const project_id = state.id;
  const insert = async <T extends (typeof DETAIL_TABLES)[number]>(table: T, rows: unknown[]) => {
    if (rows.length > 0) await trx.insertInto(table).values(rows as never).execute();
  };
  await insert(
    'project_indicators',
    state.proposal.indicators.map((i) => ({ project_id, id: i.id, name: i.name, unit: i.unit, baseline: i.baseline, target: i.target, weight: i.weight, actual: i.actual })),
  );
  await insert('project_milestones', state.proposal.milestones.map((m) => ({ project_id, id: m.id, title: m.title, due: m.due })));
  await insert(
    'member_items',
    state.memberItems.map((m) => ({ project_id, id: m.id, member_id: m.memberId, kind: m.kind, title: m.title, target: m.target, actual: m.actual, unit: m.unit })),
  );
  await insert(
    'evidence',
    state.evidence.map((e) => ({
      project_id,
      id: e.id,
      quarter: e.quarter,
      milestone_id: e.milestoneId,
      text: e.text,
      files: JSON.stringify(e.files),
      indicator_actuals: JSON.stringify(e.indicatorActuals),
      version: e.version,
      supersedes: e.supersedes,
      superseded_by: e.supersededBy,
      submitted_by: e.submittedBy,
      at: e.at,
    })),
  );
  await insert(
    'inspections',
    state.inspections.map((i) => ({
      project_id,
      quarter: i.quarter,
      due: i.due,
      rating: i.rating,
      missing_evidence: i.missingEvidence,
      findings: JSON.stringify(i.findings),
      inspector_id: i.inspectorId,
      at: i.at,
    })),
  );
  await insert(
    'ledger_entries',
    state.ledger.map((e) => ({
      project_id,
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
  );
  const sa = state.selfAssessment;
  if (sa) {
    await insert('self_assessments', [
      { project_id, scores: JSON.stringify(sa.scores), total: sa.total, narrative: sa.narrative, business_impact: sa.businessImpact, by: sa.by, at: sa.at },
    ]);
  }
  const acc = state.acceptance;
  if (acc) {
    await insert('acceptances', [
      {
        project_id,
        criterion_scores: JSON.stringify(acc.criterionScores),
        raw_score: acc.rawScore,
        deductions: JSON.stringify(acc.deductions),
        final_score: acc.finalScore,
        grade: acc.grade,
        by: acc.by,
        at: acc.at,
      },
    ]);
  }
}
