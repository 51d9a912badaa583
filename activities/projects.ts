/**
 * Persistence of project workflows: the hash-chained event log, the projection and the
 * notifications outbox. Every write is keyed by ids the workflow decided (project id + event
 * sequence number, notification id), so a retried or replayed activity writes nothing twice.
 */
import { sql } from 'kysely';
import type { Db } from '../db';
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
          workflow_id: input.workflowId,
        };
        await trx
          .insertInto('projects')
          .values(row)
          .onConflict((oc) =>
            oc
              .column('id')
              .doUpdateSet({ ...row, updated_at: sql`now()` })
              // Never let an older snapshot (a late retry) overwrite a newer one.
              .where('projects.version', '<=', state.version),
          )
          .execute();
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
