/**
 * Which actions to offer a person on a project: one place, from who they are and the project's
 * stage as the server reports it. It only hides buttons; the server decides every action and
 * refuses whatever this gets wrong (the refusal is shown beside the action).
 */
import type { Answer } from '../api/client';
import { session } from './session';

export type ProjectView = Answer<'/projects/{id}'>;
export type LedgerEntry = ProjectView['ledger'][number];

export type Action =
  | 'edit'
  | 'submit'
  | 'withdraw'
  | 'remind'
  | 'review'
  | 'transfer'
  | 'delegate'
  | 'opinion'
  | 'letter'
  | 'decompose'
  | 'evidence'
  | 'correctEvidence'
  | 'selfAssess'
  | 'inspect'
  | 'dispatch'
  | 'accept'
  | 'audit';

export function can(action: Action, p: ProjectView): boolean {
  const me = session.me;
  if (!me) return false;
  const lead = me.role === 'secretary' && p.leadSecretaryId === me.id;
  switch (action) {
    case 'edit':
    case 'submit':
      return lead && p.stage === 'draft';
    case 'withdraw':
    case 'remind':
      return lead && p.stage === 'in_review';
    case 'review':
    case 'transfer':
      // The current reviewer decides and may hand the review on (转办): the project names them, and
      // they change with a transfer or an escalation.
      return p.stage === 'in_review' && p.reviewer.userId === me.id && p.reviewer.orgId === me.orgId;
    case 'delegate':
      // One delegation (委派) at a time; its opinion goes back to the reviewer.
      return p.stage === 'in_review' && p.reviewer.userId === me.id && p.reviewer.orgId === me.orgId && p.review.delegate === null;
    case 'opinion':
      return p.stage === 'in_review' && p.review.delegate?.to.userId === me.id && p.review.delegate.to.orgId === me.orgId;
    case 'letter':
      return lead && p.stage === 'approved';
    case 'decompose':
    case 'evidence':
    case 'correctEvidence':
    case 'selfAssess':
      return lead && p.stage === 'in_progress';
    case 'inspect':
      return me.role === 'inspector' && (p.stage === 'in_progress' || p.stage === 'self_assessed');
    case 'dispatch':
      return me.role === 'committee' && p.stage === 'in_progress';
    case 'accept':
      return me.role === 'committee' && p.stage === 'self_assessed';
    case 'audit':
      return me.role === 'auditor' || me.role === 'committee';
  }
}

/** Mid-year dispatch (年中调度): the committee, on a project in progress, while the cycle's dispatch window is open. */
export function canDispatch(p: ProjectView, window: { start: string; end: string } | null, now = Date.now()): boolean {
  if (!window || !can('dispatch', p)) return false;
  return now >= Date.parse(window.start) && now <= Date.parse(window.end);
}

export function canReport(entry: LedgerEntry, p: ProjectView): boolean {
  const me = session.me;
  if (!me || entry.status !== 'open') return false;
  return entry.responsiblePersonId === me.id || (me.role === 'secretary' && p.leadSecretaryId === me.id);
}

export function canVerify(entry: LedgerEntry): boolean {
  return session.me?.role === 'inspector' && entry.status === 'reported';
}
