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
  | 'letter'
  | 'decompose'
  | 'evidence'
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
      // Top-level projects are reviewed by the committee, sub-projects by the parent's lead secretary
      // (or whoever the review was transferred to: the server knows).
      return p.stage === 'in_review' && !lead && (p.parentId === null ? me.role === 'committee' : me.role === 'secretary' || me.role === 'committee');
    case 'letter':
      return lead && p.stage === 'approved';
    case 'decompose':
    case 'evidence':
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

export function canReport(entry: LedgerEntry, p: ProjectView): boolean {
  const me = session.me;
  if (!me || entry.status !== 'open') return false;
  return entry.responsiblePersonId === me.id || (me.role === 'secretary' && p.leadSecretaryId === me.id);
}

export function canVerify(entry: LedgerEntry): boolean {
  return session.me?.role === 'inspector' && entry.status === 'reported';
}
