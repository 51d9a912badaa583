/**
 * Names of the people and orgs a project refers to (issue #14). A secretary may not list users
 * outside their part of the org tree, so the console cannot look names up itself: GET /projects/:id
 * and the audit timeline answer them with the ids they carry. An id the directory does not know
 * falls back to itself; the engine's own actors (`system:…`) get a Chinese label.
 */
import type { Db } from '../db';
import { namesByIds } from '../db/names';
import { ROLLUP_ACTOR_ID, TIMER_ACTOR_ID, type Actor, type OrgUser, type ProjectState } from '../workflows/lifecycle';

/** `names` of an answer: every referenced user and org id mapped to a name (or to itself when unknown). */
export interface Names {
  users: Record<string, string>;
  orgs: Record<string, string>;
}

/** The engine's actors by label: a timer (review timeout, deadlines) or the roll-up relaying a parent's dispatch. */
export const SYSTEM_ACTOR_LABELS: Readonly<Record<string, string>> = {
  [TIMER_ACTOR_ID]: '系统（定时器）',
  [ROLLUP_ACTOR_ID]: '系统（子项目汇总）',
};

/** The label of an engine actor id (`system:…`), a known one or the generic 系统. */
export function systemActorLabel(userId: string): string {
  return SYSTEM_ACTOR_LABELS[userId] ?? '系统';
}

/** Collects user and org ids; empty and absent ids are skipped. */
export class IdCollector {
  readonly users = new Set<string>();
  readonly orgs = new Set<string>();
  user(id: string | null | undefined): void {
    if (id) this.users.add(id);
  }
  org(id: string | null | undefined): void {
    if (id) this.orgs.add(id);
  }
  orgUser(ou: OrgUser | null | undefined): void {
    if (!ou) return;
    this.org(ou.orgId);
    this.user(ou.userId);
  }
  actor(a: Pick<Actor, 'userId' | 'orgId'> | null | undefined): void {
    if (!a) return;
    this.user(a.userId);
    this.org(a.orgId);
  }
}

/** Every user and org id the project's state refers to. */
export function collectProjectIds(s: ProjectState, ids = new IdCollector()): IdCollector {
  ids.org(s.orgId);
  ids.user(s.leadSecretaryId);
  ids.orgUser(s.assignedReviewer);
  ids.orgUser({ orgId: s.reviewerOrgId, userId: s.reviewerId });
  if (s.review.delegate) {
    ids.orgUser(s.review.delegate.to);
    ids.actor(s.review.delegate.by);
  }
  for (const h of s.review.history) {
    ids.actor(h.actor);
    const step = h as { reviewer?: OrgUser; from?: OrgUser; to?: OrgUser };
    ids.orgUser(step.reviewer);
    ids.orgUser(step.from);
    ids.orgUser(step.to);
  }
  ids.user(s.letter?.signedBy);
  for (const c of s.children) ids.orgUser({ orgId: c.orgId, userId: c.secretaryId });
  for (const m of s.memberItems) ids.user(m.memberId);
  for (const e of s.evidence) ids.user(e.submittedBy);
  for (const i of s.inspections) ids.user(i.inspectorId);
  for (const l of s.ledger) {
    ids.org(l.responsibleOrgId);
    ids.user(l.responsiblePersonId);
    ids.user(l.recordedBy);
    ids.user(l.verifiedBy);
    for (const r of l.reports) ids.actor(r.by);
    for (const b of l.sendBacks) ids.actor(b.by);
  }
  for (const d of [...(s.dispatchHistory ?? []), ...(s.dispatch ? [s.dispatch] : [])]) {
    ids.user(d.by);
    // A sub-project added or reassigned records its org and secretary in from/to.
    for (const c of d.changes) for (const v of [c.from, c.to]) collectOrgUserLike(ids, v);
  }
  for (const r of s.reassignments ?? []) {
    ids.orgUser(r.from);
    ids.orgUser(r.to);
    ids.user(r.by);
  }
  ids.user(s.cancellation?.by);
  for (const h of s.handovers ?? []) {
    ids.org(h.orgId);
    ids.user(h.fromUserId);
    ids.user(h.toUserId);
    ids.user(h.by);
  }
  ids.user(s.selfAssessment?.by);
  ids.user(s.acceptance?.by);
  return ids;
}

function collectOrgUserLike(ids: IdCollector, value: unknown): void {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return;
  const v = value as { orgId?: unknown; secretaryId?: unknown; userId?: unknown };
  if (typeof v.orgId === 'string') ids.org(v.orgId);
  if (typeof v.secretaryId === 'string') ids.user(v.secretaryId);
  if (typeof v.userId === 'string') ids.user(v.userId);
}

/** Looks the collected ids up (two queries); unknown people and orgs keep their id, engine actors their label; `maybe` ids are named only when known. */
export async function resolveNames(db: Db, ids: IdCollector, maybe: ReadonlySet<string> = new Set()): Promise<Names> {
  const people = [...new Set([...ids.users, ...maybe])].filter((id) => !id.startsWith('system:'));
  const { users, orgs } = await namesByIds(db, people, [...new Set([...ids.orgs, ...maybe])]);
  const names: Names = { users: {}, orgs: {} };
  for (const id of ids.users) names.users[id] = id.startsWith('system:') ? systemActorLabel(id) : (users.get(id) ?? id);
  for (const id of ids.orgs) names.orgs[id] = orgs.get(id) ?? id;
  // Strings that only may be ids are named when the directory knows them, and left out otherwise.
  for (const id of maybe) {
    if (users.has(id)) names.users[id] ??= users.get(id)!;
    if (orgs.has(id)) names.orgs[id] ??= orgs.get(id)!;
  }
  return names;
}

/**
 * Ids that may be a person or an org among the values an audit change shows (from / to): string
 * leaves shaped like ids. Only those the directory knows are named (see resolveNames' `known`).
 */
export function idLikeStrings(value: unknown, into: Set<string>, depth = 0): void {
  if (typeof value === 'string') {
    if (/^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$/.test(value)) into.add(value);
  } else if (value && typeof value === 'object' && depth < 4) {
    for (const v of Array.isArray(value) ? value.slice(0, 50) : Object.values(value).slice(0, 50)) idLikeStrings(v, into, depth + 1);
  }
}

/** The names of every person and org the project refers to. */
export function projectNames(db: Db, state: ProjectState): Promise<Names> {
  return resolveNames(db, collectProjectIds(state));
}
