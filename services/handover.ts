/**
 * Secretary handover (换届/调动) across an org's open projects: every open project and sub-project
 * in which the outgoing secretary holds something of the org (the lead, a pending review or the
 * reviewer of later rounds, a delegation, a sub-project entry, an open ledger entry) gets the
 * `handOver` Update, so the change is an event in each workflow's history with the committee user
 * as its actor, and the lifecycle core decides what moves.
 */
import type { Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowUpdateFailedError } from '@temporalio/client';
import { sql } from 'kysely';
import type { Db } from '../db';
import { isFinal, STAGES, type Refusal } from '../workflows/lifecycle';
import { handOverUpdate, LIFECYCLE_REFUSAL, type Command } from '../workflows/messages';

export interface HandOverInput {
  orgId: string;
  fromUserId: string;
  toUserId: string;
  actor: { userId: string; role: 'committee'; orgId: string };
  reason?: string;
}

/** How many workflows are sent the Update at once: a handover of a big org must not flood the server. */
const CONCURRENCY = 4;

/** The project already holds nothing of the outgoing secretary (handed over before): nothing to do. */
const NOTHING_HELD = 'handover.nothing_held';

/**
 * Hands over every open project and sub-project of `orgId` held by `fromUserId` to `toUserId`.
 * Each Update's id is derived from the input, so retrying the same handover (after a partial
 * failure) is deduplicated by Temporal and touches nothing twice. Answers the projects handed over
 * and, per project, why it failed; a project that already holds nothing of the outgoing secretary
 * is neither.
 */
export async function handOverOrg(
  deps: { db: Db; temporal: Client },
  input: HandOverInput,
): Promise<{ projects: string[]; failed: { projectId: string; detail: string }[] }> {
  const { orgId, fromUserId: from, toUserId: to } = input;
  if (from === to) throw new Error(`handover of org ${orgId}: the incoming secretary is the outgoing one (${from})`);

  const open = STAGES.filter((s) => !isFinal(s));
  const childEntry = JSON.stringify([{ orgId, secretaryId: from, status: 'active' }]);
  const ledgerEntry = JSON.stringify([{ responsibleOrgId: orgId, responsiblePersonId: from }]);
  // The projection has columns for the lead only; the rest of what a secretary may hold is in the state.
  const rows = await deps.db
    .selectFrom('projects')
    .select(['id', 'workflow_id'])
    .where('stage', 'in', open)
    .where((eb) =>
      eb.or([
        eb.and([eb('org_id', '=', orgId), eb('lead_secretary_id', '=', from)]),
        eb.and([eb(sql`state->>'reviewerOrgId'`, '=', orgId), eb(sql`state->>'reviewerId'`, '=', from)]),
        eb.and([eb(sql`state#>>'{assignedReviewer,orgId}'`, '=', orgId), eb(sql`state#>>'{assignedReviewer,userId}'`, '=', from)]),
        eb.and([eb(sql`state#>>'{review,delegate,to,orgId}'`, '=', orgId), eb(sql`state#>>'{review,delegate,to,userId}'`, '=', from)]),
        eb(sql`state->'children'`, '@>', sql`${childEntry}::jsonb`),
        eb(sql`state->'ledger'`, '@>', sql`${ledgerEntry}::jsonb`),
      ]),
    )
    .orderBy('id')
    .execute();

  const command: Command<'handOver'> = {
    type: 'handOver',
    actor: { userId: input.actor.userId, role: 'committee', orgId: input.actor.orgId },
    orgId,
    fromUserId: from,
    toUserId: to,
    reason: input.reason ?? null,
  };
  const projects: string[] = [];
  const failed: { projectId: string; detail: string }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < rows.length) {
      const row = rows[next++];
      try {
        await deps.temporal.workflow.getHandle(row.workflow_id).executeUpdate(handOverUpdate, {
          args: [command],
          updateId: `handover-${orgId}-${from}-${to}-${row.id}`,
        });
        projects.push(row.id);
      } catch (error) {
        const refusal = refusalOf(error);
        if (refusal?.rule === NOTHING_HELD) continue;
        failed.push({ projectId: row.id, detail: refusal ? `${refusal.rule}: ${refusal.messageZh}` : error instanceof Error ? error.message : String(error) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, rows.length) }, worker));
  return { projects: projects.sort(), failed: failed.sort((a, b) => a.projectId.localeCompare(b.projectId)) };
}

function refusalOf(error: unknown): Refusal | null {
  if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && error.cause.type === LIFECYCLE_REFUSAL) {
    return (error.cause.details?.[0] as Refusal | undefined) ?? null;
  }
  return null;
}
