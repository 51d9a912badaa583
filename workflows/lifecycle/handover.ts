/**
 * Secretary handover (换届/调动): when an org's secretary changes mid-year, whatever the outgoing
 * secretary held in a project for that org — the lead, the pending review, a delegation, the
 * sub-project entries, the open ledger entries — passes to the incoming one. The event names the
 * committee user who made the change, and the state keeps every handover so "who led when" stays
 * answerable after the fact.
 */
import { requireRole, requireStage } from './guards';
import type { Handler } from './handler';
import { conflict, invalid } from './refusals';
import { OPEN_STAGES } from './stages';
import type { HandoverRecord } from './types';
import { isId, optionalText } from './validation';

export const handOver: Handler<'handOver'> = (s, e) => {
  const who = requireRole(e.actor, 'committee', 'hand over a secretary’s projects', '办理书记换届交接');
  if (who) return who;
  const stage = requireStage(s, OPEN_STAGES, 'stage.handover_requires_open', 'a handover', '换届交接');
  if (stage) return stage;
  if (!isId(e.orgId) || !isId(e.fromUserId) || !isId(e.toUserId) || e.toUserId.startsWith('system:')) {
    return invalid('payload.handover_people', 'a handover needs the org, the outgoing and the incoming secretary', '换届交接须指定组织、原书记和新书记');
  }
  if (e.fromUserId === e.toUserId) {
    return invalid('payload.handover_unchanged', 'the incoming secretary is the outgoing one', '新任书记与原书记为同一人，无需交接');
  }
  const reason = optionalText(e.reason, 'payload.handover_reason', 'the reason', '交接原因');
  if (reason) return reason;

  const { orgId, fromUserId: from, toUserId: to } = e;
  const held = (o: string, u: string) => o === orgId && u === from;
  const leadWasReviewer = s.leadSecretaryId === s.reviewerId || s.leadSecretaryId === s.assignedReviewer.userId;

  const lead = held(s.orgId, s.leadSecretaryId);
  if (lead) s.leadSecretaryId = to;

  let review = false;
  if (held(s.assignedReviewer.orgId, s.assignedReviewer.userId)) {
    s.assignedReviewer = { orgId, userId: to };
    review = true;
  }
  if (held(s.reviewerOrgId, s.reviewerId)) {
    s.reviewerId = to;
    review = true;
  }
  const delegate = s.review.delegate;
  if (delegate && held(delegate.to.orgId, delegate.to.userId)) {
    delegate.to = { orgId, userId: to };
    review = true;
  }

  // Settled sub-projects and closed ledger entries keep who did them: only open work moves.
  const childIds: string[] = [];
  for (const child of s.children) {
    if (child.status === 'active' && held(child.orgId, child.secretaryId)) {
      child.secretaryId = to;
      childIds.push(child.id);
    }
  }
  const ledgerEntryIds: string[] = [];
  for (const entry of s.ledger) {
    if (entry.status !== 'closed' && held(entry.responsibleOrgId, entry.responsiblePersonId)) {
      entry.responsiblePersonId = to;
      ledgerEntryIds.push(entry.id);
    }
  }

  if (!lead && !review && childIds.length === 0 && ledgerEntryIds.length === 0) {
    return conflict(
      'handover.nothing_held',
      `${from} holds nothing of org ${orgId} in this project`,
      `原书记${from}在本项目中没有${orgId}组织的待办事项，无需交接`,
    );
  }
  // The same rule as at proposal and reassignment: nobody reviews a project they lead.
  if (!leadWasReviewer && (s.leadSecretaryId === s.reviewerId || s.leadSecretaryId === s.assignedReviewer.userId)) {
    return invalid('payload.reviewer_is_proposer', 'the incoming secretary would review the project they lead', '交接后新任书记将审核其领办的项目，不能交接');
  }

  const record: HandoverRecord = {
    orgId,
    fromUserId: from,
    toUserId: to,
    reason: e.reason ?? null,
    by: e.actor.userId,
    at: e.at,
    lead,
    review,
    childIds,
    ledgerEntryIds,
  };
  s.handovers = [...(s.handovers ?? []), record];
  return null;
};
