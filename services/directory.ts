/**
 * Orgs and people as managed data (组织与人员管理): who may read and change the directory, every
 * rule a change must keep (the tree stays a tree, a secretary belongs to the org they lead, a
 * disabled user's sessions and tokens stop at once), the security event each change records in its
 * own transaction, and the handover of an org's projects when its secretary changes.
 *
 * Refusals are ProblemErrors naming the field (400: the request itself is wrong; 409: it conflicts
 * with what is stored); a refusal changes nothing, since every check runs inside the transaction
 * before the first write.
 */
import type { Client } from '@temporalio/client';
import type { Transaction } from 'kysely';
import { ProblemError } from '../api/problem';
import type { Db } from '../db';
import type { AuthenticatedUser } from '../db/auth';
import * as repo from '../db/directory';
import type { OrgKind, OrgRecord, Page, Paging, UserRecord, UserRole } from '../db/directory';
import { generatePassword, hashPassword, recordSecurityEvent, revokeUserSessions, revokeUserTokens, type SecurityEventKind } from '../db/identity';
import type { Database } from '../db/types';
import { handOverOrg } from './handover';
import {
  changes,
  mobileError,
  nestingError,
  nestTree,
  normaliseMobile,
  normaliseUsername,
  ORG_KIND_ZH,
  ROLE_ZH,
  roleOrgError,
  secretaryRoles,
  usernameError,
  type OrgTreeNode,
} from './directory-rules';

export interface DirectoryDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
}

/** Who asks, and from where (recorded with every change). */
export interface Actor {
  user: AuthenticatedUser;
  ip: string | null;
  userAgent: string | null;
}

type Trx = Transaction<Database>;

// ---- Refusals -------------------------------------------------------------------------------

const invalid = (field: string, rule: string, detail: string) => new ProblemError(400, 'validation', 'Invalid directory change', detail, { field, rule });
const conflict = (field: string, rule: string, detail: string) => new ProblemError(409, 'conflict', 'The directory change conflicts with what is stored', detail, { field, rule });
const orgNotFound = (id: string) => new ProblemError(404, 'not-found', 'Org not found', `组织 ${id} 不存在，或不在您可查看的范围内。`);
const userNotFound = (id: string) => new ProblemError(404, 'not-found', 'User not found', `用户 ${id} 不存在，或不在您可查看的范围内。`);

/** Committee staff manage the directory; everyone else is refused before anything is read. */
function requireCommittee(actor: Actor): void {
  if (actor.user.role !== 'committee') {
    throw new ProblemError(403, 'forbidden', 'Committee staff only', '只有工委工作人员可以管理组织和人员。', { rule: 'actor.not_committee' });
  }
}

/**
 * What the actor may read: committee staff and auditors everything, a secretary their own org's
 * subtree, anyone else nothing.
 */
function readScope(actor: Actor): { within?: string } {
  const role = actor.user.role;
  if (role === 'committee' || role === 'auditor') return {};
  if (role === 'secretary') return { within: actor.user.orgId };
  throw new ProblemError(403, 'forbidden', 'Committee staff, auditors and secretaries only', '只有工委工作人员、审计人员和书记（本组织及下级）可以查看组织和人员。', { rule: 'actor.cannot_read_directory' });
}

/** Unique constraints a concurrent writer outside this service (an import, the admin CLI) may still hit first. */
const UNIQUE_FIELDS: Record<string, string> = {
  orgs_pkey: 'id',
  users_pkey: 'id',
  users_username_key: 'username',
  users_mobile_key: 'mobile',
  users_oidc_subject_key: 'oidcSubject',
};

async function inTransaction<T>(db: Db, fn: (trx: Trx) => Promise<T>): Promise<T> {
  try {
    return await db.transaction().execute(async (trx) => {
      await repo.lockDirectory(trx);
      return fn(trx);
    });
  } catch (error) {
    const e = error as { code?: unknown; constraint?: unknown };
    if (e.code === '23505' && typeof e.constraint === 'string' && e.constraint in UNIQUE_FIELDS) {
      const field = UNIQUE_FIELDS[e.constraint];
      throw conflict(field, `${field}.taken`, `${field} 的值已被占用，请换一个。`);
    }
    throw error;
  }
}

async function record(trx: Trx, actor: Actor, kind: SecurityEventKind, subject: string, detail: Record<string, unknown>): Promise<void> {
  await recordSecurityEvent(trx, { kind, actorId: actor.user.id, subject, ip: actor.ip, userAgent: actor.userAgent, detail });
}

// ---- Orgs -----------------------------------------------------------------------------------

export interface OrgQuery extends Paging {
  parent?: string;
  kind?: OrgKind;
  includeClosed?: boolean;
  q?: string;
}

export async function listOrgs(deps: DirectoryDeps, actor: Actor, query: OrgQuery): Promise<Page<OrgRecord>> {
  const scope = readScope(actor);
  const { limit, offset, ...filter } = query;
  return repo.listOrgs(deps.db, { ...filter, ...scope }, { limit, offset });
}

async function readableOrg(deps: DirectoryDeps, actor: Actor, id: string): Promise<OrgRecord> {
  const scope = readScope(actor);
  const org = await repo.getOrg(deps.db, id);
  if (!org || (scope.within !== undefined && !(await repo.isWithin(deps.db, scope.within, id)))) throw orgNotFound(id);
  return org;
}

export async function getOrg(deps: DirectoryDeps, actor: Actor, id: string): Promise<OrgRecord> {
  return readableOrg(deps, actor, id);
}

/** The org and everything below it, nested, with the secretaries' names. */
export async function orgTree(deps: DirectoryDeps, actor: Actor, id: string, includeClosed: boolean): Promise<OrgTreeNode> {
  await readableOrg(deps, actor, id);
  const rows = await repo.orgSubtreeRecords(deps.db, id, includeClosed);
  const tree = nestTree(rows);
  if (!tree) throw orgNotFound(id);
  return tree;
}

/** Why `user` cannot lead `org` (400, naming `secretaryId`), or nothing. */
function secretaryFitError(org: { id: string; kind: OrgKind }, user: UserRecord | undefined, secretaryId: string): ProblemError | null {
  if (!user) return invalid('secretaryId', 'secretary.unknown', `书记 ${secretaryId} 不是已有用户。`);
  if (user.disabledAt) return invalid('secretaryId', 'secretary.disabled', `用户 ${secretaryId} 已停用，不能担任书记。`);
  const roles = secretaryRoles(org.kind);
  if (!roles.includes(user.role)) {
    return invalid('secretaryId', 'secretary.role', `用户 ${secretaryId} 的角色是${ROLE_ZH[user.role]}，${ORG_KIND_ZH[org.kind]}的书记须为${roles.map((r) => ROLE_ZH[r]).join('或')}。`);
  }
  return null;
}

export interface CreateOrgInput {
  id: string;
  parentId?: string | null;
  kind: OrgKind;
  name: string;
  /** An enabled user who becomes the new org's secretary and moves into it (they may lead no other open org). */
  secretaryId?: string;
}

export async function createOrg(deps: DirectoryDeps, actor: Actor, input: CreateOrgInput): Promise<OrgRecord> {
  requireCommittee(actor);
  const name = input.name.trim();
  if (name === '') throw invalid('name', 'org.name_blank', '组织名称不能为空。');
  const parentId = input.parentId ?? null;
  await inTransaction(deps.db, async (trx) => {
    if (await repo.getOrg(trx, input.id)) throw conflict('id', 'org.duplicate_id', `组织编号 ${input.id} 已存在。`);
    let parentKind: OrgKind | null = null;
    if (parentId !== null) {
      const parent = await repo.getOrg(trx, parentId);
      if (!parent) throw invalid('parentId', 'org.parent_unknown', `上级组织 ${parentId} 不存在。`);
      if (parent.closedAt) throw conflict('parentId', 'org.parent_closed', `上级组织 ${parentId} 已撤销，不能在其下新建组织。`);
      parentKind = parent.kind;
    }
    const nesting = nestingError(input.kind, parentKind);
    if (nesting) throw invalid('parentId', 'org.nesting', nesting);
    if (parentId !== null) await refuseSiblingName(trx, parentId, name, null);
    let secretary: UserRecord | undefined;
    if (input.secretaryId !== undefined) {
      secretary = await repo.getUser(trx, input.secretaryId);
      const unfit = secretaryFitError({ id: input.id, kind: input.kind }, secretary, input.secretaryId);
      if (unfit) throw unfit;
      const led = await repo.orgsLedBy(trx, input.secretaryId);
      if (led.length > 0) throw conflict('secretaryId', 'secretary.leads_other_org', `用户 ${input.secretaryId} 现为组织 ${led.join('、')} 的书记，请先为该组织更换书记。`);
    }
    await repo.insertOrg(trx, { id: input.id, parentId, kind: input.kind, name, secretaryId: null });
    await record(trx, actor, 'org_created', input.id, { parentId, kind: input.kind, name });
    if (secretary) {
      // A secretary belongs to the org they lead: appointing one to a new org moves them into it.
      await repo.updateUser(trx, secretary.id, { orgId: input.id });
      await repo.updateOrg(trx, input.id, { secretaryId: secretary.id });
      await record(trx, actor, 'user_changed', secretary.id, { changes: { orgId: { from: secretary.orgId, to: input.id } }, reason: 'appointed_secretary' });
      await record(trx, actor, 'secretary_changed', input.id, { changes: { secretaryId: { from: null, to: secretary.id } } });
    }
  });
  return (await repo.getOrg(deps.db, input.id))!;
}

/** Two open orgs of the same name under one parent would be told apart by their ids alone. */
async function refuseSiblingName(trx: Trx, parentId: string, name: string, exceptId: string | null): Promise<void> {
  const same = await repo.openSiblingNamed(trx, parentId, name, exceptId);
  if (same) throw conflict('name', 'org.duplicate_name', `上级组织 ${parentId} 下已有同名组织“${name}”（${same}）。`);
}

export interface ChangeOrgInput {
  name?: string;
  parentId?: string | null;
  secretaryId?: string;
}

export interface HandoverOutcome {
  fromUserId: string;
  toUserId: string;
  /** Projects whose workflows took the handover. */
  projects: string[];
  /** Projects whose workflows refused it or could not be reached (POST /orgs/:id/handover retries them without repeating anything). */
  failed: { projectId: string; detail: string }[];
  /** Set when the handover as a whole could not run (the directory change stands; retry with POST /orgs/:id/handover). */
  error: string | null;
}

export async function changeOrg(deps: DirectoryDeps, actor: Actor, id: string, input: ChangeOrgInput): Promise<{ org: OrgRecord; handover: HandoverOutcome | null }> {
  requireCommittee(actor);
  const name = input.name?.trim();
  if (name === '') throw invalid('name', 'org.name_blank', '组织名称不能为空。');
  const secretaryChange = await inTransaction(deps.db, async (trx) => {
    const org = await repo.getOrg(trx, id);
    if (!org) throw orgNotFound(id);
    if (org.closedAt) throw conflict('id', 'org.closed', `组织 ${id} 已撤销，不能再修改。`);
    const parentId = input.parentId === undefined ? org.parentId : input.parentId;
    if (input.parentId !== undefined && parentId !== org.parentId) {
      let parentKind: OrgKind | null = null;
      if (parentId !== null) {
        if (parentId === id) throw invalid('parentId', 'org.cycle', '组织不能成为自己的上级组织。');
        const parent = await repo.getOrg(trx, parentId);
        if (!parent) throw invalid('parentId', 'org.parent_unknown', `上级组织 ${parentId} 不存在。`);
        if (await repo.isWithin(trx, id, parentId)) throw invalid('parentId', 'org.cycle', `组织 ${parentId} 是 ${id} 的下级组织，不能把组织移到自己的下级之下。`);
        if (parent.closedAt) throw conflict('parentId', 'org.parent_closed', `上级组织 ${parentId} 已撤销，不能把组织移到其下。`);
        parentKind = parent.kind;
      }
      const nesting = nestingError(org.kind, parentKind);
      if (nesting) throw invalid('parentId', 'org.nesting', nesting);
    }
    if (parentId !== null && (name !== undefined || parentId !== org.parentId)) await refuseSiblingName(trx, parentId, name ?? org.name, id);
    const secretaryId = input.secretaryId;
    if (secretaryId !== undefined && secretaryId !== org.secretaryId) {
      const user = await repo.getUser(trx, secretaryId);
      const unfit = secretaryFitError(org, user, secretaryId);
      if (unfit) throw unfit;
      if (user!.orgId !== id) {
        throw invalid('secretaryId', 'secretary.not_member', `书记须属于其领导的组织：用户 ${secretaryId} 属于组织 ${user!.orgId}，不属于 ${id}（请先把该用户调入本组织）。`);
      }
    }

    const nameChange = changes(org, { name });
    const moveChange = changes(org, { parentId: input.parentId === undefined ? undefined : parentId });
    const secretaryDiff = changes(org, { secretaryId });
    if (Object.keys(nameChange).length + Object.keys(moveChange).length + Object.keys(secretaryDiff).length === 0) return null;
    await repo.updateOrg(trx, id, { name, parentId: input.parentId === undefined ? undefined : parentId, secretaryId });
    if (Object.keys(nameChange).length > 0) await record(trx, actor, 'org_changed', id, { changes: nameChange });
    if (Object.keys(moveChange).length > 0) await record(trx, actor, 'org_moved', id, { changes: moveChange });
    if (Object.keys(secretaryDiff).length > 0) {
      await record(trx, actor, 'secretary_changed', id, { changes: secretaryDiff });
      return { from: org.secretaryId, to: secretaryId! };
    }
    return null;
  });
  // After the commit: the workflows learn of the new secretary only once the directory says so,
  // and a handover that fails part-way leaves the directory change standing (retried by id).
  const handover = secretaryChange?.from ? await runHandover(deps, actor, id, secretaryChange.from, secretaryChange.to) : null;
  return { org: (await repo.getOrg(deps.db, id))!, handover };
}

/**
 * Sends the handover to the org's open projects and records its outcome (`handover` in the
 * security log). It runs after the directory change has committed, so it never undoes it: a
 * handover that cannot run at all (Temporal or PostgreSQL unreachable) is answered in `error`,
 * and POST /orgs/:id/handover runs it again (each project's Update id is derived from the org and
 * the two secretaries, so a retry repeats nothing).
 */
async function runHandover(deps: DirectoryDeps, actor: Actor, orgId: string, fromUserId: string, toUserId: string): Promise<HandoverOutcome> {
  let outcome: HandoverOutcome;
  try {
    const result = await handOverOrg(
      { db: deps.db, temporal: deps.temporal },
      { orgId, fromUserId, toUserId, actor: { userId: actor.user.id, role: 'committee', orgId: actor.user.orgId } },
    );
    outcome = { fromUserId, toUserId, ...result, error: null };
  } catch (error) {
    outcome = { fromUserId, toUserId, projects: [], failed: [], error: `换届交接未能完成（${error instanceof Error ? error.message : String(error)}），组织的书记已变更；请稍后用 POST /orgs/${orgId}/handover 重试。` };
  }
  await recordSecurityEvent(deps.db, { kind: 'handover', actorId: actor.user.id, subject: orgId, ip: actor.ip, userAgent: actor.userAgent, detail: { ...outcome } }).catch(() => undefined);
  return outcome;
}

/**
 * Runs a secretary handover again (or late): from `fromUserId`, a former secretary of the org, to
 * its current secretary — for projects a first attempt could not reach.
 */
export async function retryHandover(deps: DirectoryDeps, actor: Actor, orgId: string, fromUserId: string): Promise<{ org: OrgRecord; handover: HandoverOutcome }> {
  requireCommittee(actor);
  const org = await repo.getOrg(deps.db, orgId);
  if (!org) throw orgNotFound(orgId);
  if (!org.secretaryId) throw conflict('id', 'handover.no_secretary', `组织 ${orgId} 目前没有书记，无法交接：请先设置书记。`);
  if (fromUserId === org.secretaryId) throw invalid('fromUserId', 'handover.unchanged', `用户 ${fromUserId} 就是组织 ${orgId} 的现任书记，无需交接。`);
  if (!(await repo.getUser(deps.db, fromUserId))) throw invalid('fromUserId', 'handover.unknown_user', `用户 ${fromUserId} 不存在。`);
  return { org, handover: await runHandover(deps, actor, orgId, fromUserId, org.secretaryId) };
}

/**
 * Closes (撤销) an org. Kept simple: only a leaf that nobody works in any more may close — its
 * child orgs closed first, its users moved or disabled first. Its secretary is the exception: a
 * secretary cannot be moved or disabled while leading an open org, so they go after the close.
 */
export async function closeOrg(deps: DirectoryDeps, actor: Actor, id: string, reason?: string): Promise<OrgRecord> {
  requireCommittee(actor);
  await inTransaction(deps.db, async (trx) => {
    const org = await repo.getOrg(trx, id);
    if (!org) throw orgNotFound(id);
    if (org.closedAt) throw conflict('id', 'org.closed', `组织 ${id} 已撤销。`);
    const children = await repo.openChildOrgIds(trx, id);
    if (children.length > 0) {
      throw conflict('id', 'org.has_open_children', `组织 ${id} 下还有 ${children.length} 个未撤销的下级组织（${preview(children)}），请先撤销或移走这些组织。`);
    }
    const users = await repo.activeUserIds(trx, id, org.secretaryId);
    if (users.length > 0) {
      throw conflict('id', 'org.has_active_users', `组织 ${id} 还有 ${users.length} 名在用人员（${preview(users)}），请先把他们调到其他组织或停用（书记可在撤销后再调动或停用）。`);
    }
    await repo.updateOrg(trx, id, { closedAt: new Date() });
    await record(trx, actor, 'org_closed', id, { name: org.name, parentId: org.parentId, secretaryId: org.secretaryId, reason: reason ?? null });
  });
  return (await repo.getOrg(deps.db, id))!;
}

const preview = (ids: string[]) => (ids.length > 5 ? `${ids.slice(0, 5).join('、')} 等` : ids.join('、'));

// ---- Users ----------------------------------------------------------------------------------

export interface UserQuery extends Paging {
  org?: string;
  under?: string;
  role?: UserRole;
  q?: string;
  includeDisabled?: boolean;
}

export async function listUsers(deps: DirectoryDeps, actor: Actor, query: UserQuery): Promise<Page<UserRecord>> {
  const scope = readScope(actor);
  const { limit, offset, ...filter } = query;
  return repo.listUsers(deps.db, { ...filter, ...scope }, { limit, offset });
}

async function readableUser(deps: DirectoryDeps, actor: Actor, id: string): Promise<UserRecord> {
  const scope = readScope(actor);
  const user = await repo.getUser(deps.db, id);
  if (!user || (scope.within !== undefined && !(await repo.isWithin(deps.db, scope.within, user.orgId)))) throw userNotFound(id);
  return user;
}

export async function getUser(deps: DirectoryDeps, actor: Actor, id: string): Promise<UserRecord> {
  return readableUser(deps, actor, id);
}

/** A sign-in name in stored form, refused (400/409 naming `username`) when malformed or held by someone else as a name or a mobile number. */
async function checkedUsername(trx: Trx, raw: string, userId: string | null): Promise<string> {
  const username = normaliseUsername(raw);
  const bad = usernameError(username);
  if (bad) throw invalid('username', 'username.format', bad);
  const holder = (await repo.loginHolder(trx, 'username', username, userId)) ?? (await repo.loginHolder(trx, 'mobile', username, userId));
  // Sign-in takes a name or a mobile number in one field: one must never reach two accounts.
  if (holder) throw conflict('username', 'username.taken', `用户名 ${username} 已被其他用户（${holder}）用作用户名或手机号。`);
  return username;
}

async function checkedMobile(trx: Trx, raw: string, userId: string | null): Promise<string> {
  const mobile = normaliseMobile(raw);
  const bad = mobileError(mobile);
  if (bad) throw invalid('mobile', 'mobile.format', bad);
  const holder = (await repo.loginHolder(trx, 'mobile', mobile, userId)) ?? (await repo.loginHolder(trx, 'username', mobile, userId));
  if (holder) throw conflict('mobile', 'mobile.taken', `手机号 ${mobile} 已被其他用户（${holder}）使用。`);
  return mobile;
}

async function checkedOrgFor(trx: Trx, orgId: string, role: UserRole, roleChanged: boolean): Promise<OrgRecord> {
  const org = await repo.getOrg(trx, orgId);
  if (!org) throw invalid('orgId', 'user.org_unknown', `组织 ${orgId} 不存在。`);
  if (org.closedAt) throw conflict('orgId', 'user.org_closed', `组织 ${orgId} 已撤销，不能再调入人员。`);
  const bad = roleOrgError(role, org.kind);
  if (bad) throw invalid(roleChanged ? 'role' : 'orgId', 'user.role_org', bad);
  return org;
}

export interface CreateUserInput {
  id: string;
  name: string;
  role: UserRole;
  orgId: string;
  username?: string;
  mobile?: string;
}

/** Creates a user; with a username or mobile number it also answers an initial password, once (it must be changed at first sign-in). */
export async function createUser(deps: DirectoryDeps, actor: Actor, input: CreateUserInput): Promise<{ user: UserRecord; initialPassword: string | null }> {
  requireCommittee(actor);
  const name = input.name.trim();
  if (name === '') throw invalid('name', 'user.name_blank', '姓名不能为空。');
  const canSignIn = input.username !== undefined || input.mobile !== undefined;
  const initialPassword = canSignIn ? generatePassword() : null;
  // Hashed before the transaction: argon2 takes a while and the directory lock is shared.
  const passwordHash = initialPassword ? await hashPassword(initialPassword) : null;
  await inTransaction(deps.db, async (trx) => {
    if (await repo.getUser(trx, input.id)) throw conflict('id', 'user.duplicate_id', `用户编号 ${input.id} 已存在。`);
    await checkedOrgFor(trx, input.orgId, input.role, true);
    const username = input.username !== undefined ? await checkedUsername(trx, input.username, null) : null;
    const mobile = input.mobile !== undefined ? await checkedMobile(trx, input.mobile, null) : null;
    await repo.insertUser(trx, { id: input.id, name, role: input.role, orgId: input.orgId, username, mobile, passwordHash, mustChangePassword: passwordHash !== null });
    await record(trx, actor, 'user_created', input.id, { name, role: input.role, orgId: input.orgId, username, mobile, initialPassword: passwordHash !== null });
  });
  return { user: (await repo.getUser(deps.db, input.id))!, initialPassword };
}

export interface ChangeUserInput {
  name?: string;
  role?: UserRole;
  orgId?: string;
  username?: string | null;
  mobile?: string | null;
  oidcSubject?: string | null;
}

export async function changeUser(deps: DirectoryDeps, actor: Actor, id: string, input: ChangeUserInput): Promise<UserRecord> {
  requireCommittee(actor);
  const name = input.name?.trim();
  if (name === '') throw invalid('name', 'user.name_blank', '姓名不能为空。');
  await inTransaction(deps.db, async (trx) => {
    const user = await repo.getUser(trx, id);
    if (!user) throw userNotFound(id);
    const role = input.role ?? user.role;
    const orgId = input.orgId ?? user.orgId;
    const roleChanged = role !== user.role;
    const orgChanged = orgId !== user.orgId;
    if (roleChanged && id === actor.user.id) throw conflict('role', 'user.self_role', '不能修改自己的角色（请由其他工委工作人员修改）。');
    if (roleChanged || orgChanged) {
      const led = await repo.orgsLedBy(trx, id);
      if (led.length > 0) {
        const ledOrg = (await repo.getOrg(trx, led[0]))!;
        if (orgChanged) throw conflict('orgId', 'user.leads_org', `用户 ${id} 是组织 ${led.join('、')} 的书记，请先为该组织更换书记，再调动此人。`);
        if (!secretaryRoles(ledOrg.kind).includes(role)) throw conflict('role', 'user.leads_org', `用户 ${id} 是组织 ${led.join('、')} 的书记，请先为该组织更换书记，再修改其角色。`);
      }
      if (user.role === 'inspector' && roleChanged) {
        const assigned = await repo.assignedOrgIds(trx, id);
        if (assigned.length > 0) throw conflict('role', 'user.has_assignments', `用户 ${id} 还有督查分工（${preview(assigned)}），请先清空其督查分工，再修改角色。`);
      }
      await checkedOrgFor(trx, orgId, role, roleChanged);
    }
    const username = input.username === undefined ? undefined : input.username === null ? null : await checkedUsername(trx, input.username, id);
    const mobile = input.mobile === undefined ? undefined : input.mobile === null ? null : await checkedMobile(trx, input.mobile, id);
    let oidcSubject = input.oidcSubject;
    if (typeof oidcSubject === 'string') {
      oidcSubject = oidcSubject.trim();
      if (oidcSubject === '') throw invalid('oidcSubject', 'oidc_subject.blank', '统一身份认证标识不能为空（不再关联请传 null）。');
      const holder = await repo.loginHolder(trx, 'oidc_subject', oidcSubject, id);
      if (holder) throw conflict('oidcSubject', 'oidc_subject.taken', `统一身份认证标识 ${oidcSubject} 已关联到用户 ${holder}。`);
    }
    const diff = changes(user, { name, role: input.role, orgId: input.orgId, username, mobile, oidcSubject });
    if (Object.keys(diff).length === 0) return;
    await repo.updateUser(trx, id, { name, role: input.role, orgId: input.orgId, username, mobile, oidcSubject });
    await record(trx, actor, 'user_changed', id, { changes: diff });
  });
  return (await repo.getUser(deps.db, id))!;
}

/** Disables a user: from this commit on, none of their sessions or tokens works. */
export async function disableUser(deps: DirectoryDeps, actor: Actor, id: string, reason?: string): Promise<UserRecord> {
  requireCommittee(actor);
  await inTransaction(deps.db, async (trx) => {
    const user = await repo.getUser(trx, id);
    if (!user) throw userNotFound(id);
    if (id === actor.user.id) throw conflict('id', 'user.self_disable', '不能停用自己的账号。');
    if (user.disabledAt) return;
    const led = await repo.orgsLedBy(trx, id);
    if (led.length > 0) throw conflict('id', 'user.leads_org', `用户 ${id} 是组织 ${led.join('、')} 的书记，请先为该组织更换书记，再停用此人。`);
    await repo.updateUser(trx, id, { disabledAt: new Date() });
    const sessions = await revokeUserSessions(trx, id);
    const tokens = await revokeUserTokens(trx, id);
    await record(trx, actor, 'user_disabled', id, { sessionsRevoked: sessions, tokensRevoked: tokens, reason: reason ?? null });
  });
  return (await repo.getUser(deps.db, id))!;
}

export async function enableUser(deps: DirectoryDeps, actor: Actor, id: string, reason?: string): Promise<UserRecord> {
  requireCommittee(actor);
  await inTransaction(deps.db, async (trx) => {
    const user = await repo.getUser(trx, id);
    if (!user) throw userNotFound(id);
    if (!user.disabledAt) return;
    const org = (await repo.getOrg(trx, user.orgId))!;
    if (org.closedAt) throw conflict('orgId', 'user.org_closed', `用户 ${id} 所在组织 ${user.orgId} 已撤销，请先把此人调到其他组织再启用。`);
    await repo.updateUser(trx, id, { disabledAt: null });
    await record(trx, actor, 'user_enabled', id, { disabledAt: user.disabledAt.toISOString(), reason: reason ?? null });
  });
  return (await repo.getUser(deps.db, id))!;
}

/** A new one-time password (answered once), to be changed at the next sign-in; the user's browser sessions end. */
export async function resetPassword(deps: DirectoryDeps, actor: Actor, id: string, reason?: string): Promise<{ user: UserRecord; password: string }> {
  requireCommittee(actor);
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  await inTransaction(deps.db, async (trx) => {
    const user = await repo.getUser(trx, id);
    if (!user) throw userNotFound(id);
    if (user.disabledAt) throw conflict('id', 'user.disabled', `用户 ${id} 已停用，请先启用再重置密码。`);
    if (!user.username && !user.mobile) throw conflict('username', 'user.no_login', `用户 ${id} 没有用户名或手机号，无法用密码登录：请先设置用户名或手机号。`);
    await repo.updateUser(trx, id, { passwordHash, mustChangePassword: true });
    const sessions = await revokeUserSessions(trx, id);
    await record(trx, actor, 'password_reset', id, { sessionsRevoked: sessions, reason: reason ?? null });
  });
  return { user: (await repo.getUser(deps.db, id))!, password };
}

// ---- Inspector assignments (督查分工) ---------------------------------------------------------

export interface AssignmentQuery extends Paging {
  inspector?: string;
  org?: string;
}

/** Committee staff and auditors read every assignment, an inspector their own, a secretary those over their subtree. */
export async function listAssignments(deps: DirectoryDeps, actor: Actor, query: AssignmentQuery): Promise<Page<repo.AssignmentRecord>> {
  const { limit, offset, ...filter } = query;
  if (actor.user.role === 'inspector') {
    if (filter.inspector !== undefined && filter.inspector !== actor.user.id) return { total: 0, items: [] };
    return repo.listAssignments(deps.db, { ...filter, inspector: actor.user.id }, { limit, offset });
  }
  return repo.listAssignments(deps.db, { ...filter, ...readScope(actor) }, { limit, offset });
}

export async function replaceAssignments(deps: DirectoryDeps, actor: Actor, inspectorId: string, orgIds: string[]): Promise<{ inspectorId: string; orgIds: string[] }> {
  requireCommittee(actor);
  const seen = new Map<string, number>();
  orgIds.forEach((orgId, i) => {
    if (seen.has(orgId)) throw invalid(`orgIds.${i}`, 'assignment.duplicate', `组织 ${orgId} 重复（与第 ${seen.get(orgId)! + 1} 项相同）。`);
    seen.set(orgId, i);
  });
  const next = [...orgIds].sort();
  await inTransaction(deps.db, async (trx) => {
    const user = await repo.getUser(trx, inspectorId);
    if (!user) throw userNotFound(inspectorId);
    if (user.role !== 'inspector') throw conflict('role', 'assignment.not_inspector', `用户 ${inspectorId} 的角色是${ROLE_ZH[user.role]}，只有督查员可以有督查分工。`);
    const orgs = await repo.orgsByIds(trx, orgIds);
    orgIds.forEach((orgId, i) => {
      const org = orgs.get(orgId);
      if (!org) throw invalid(`orgIds.${i}`, 'assignment.org_unknown', `组织 ${orgId} 不存在。`);
      if (org.closed) throw conflict(`orgIds.${i}`, 'assignment.org_closed', `组织 ${orgId} 已撤销，不能再分配督查。`);
    });
    const before = await repo.assignedOrgIds(trx, inspectorId);
    if (before.join('\n') === next.join('\n')) return;
    await repo.replaceAssignments(trx, inspectorId, next);
    await record(trx, actor, 'inspector_assignments_changed', inspectorId, {
      changes: { orgIds: { from: before, to: next } },
      added: next.filter((o) => !before.includes(o)),
      removed: before.filter((o) => !next.includes(o)),
    });
  });
  return { inspectorId, orgIds: await repo.assignedOrgIds(deps.db, inspectorId) };
}

// ---- The security log -----------------------------------------------------------------------

export interface SecurityEventQuery extends Paging {
  kind?: string;
  subject?: string;
  actor?: string;
  from?: string;
  to?: string;
}

export async function listSecurityEvents(deps: DirectoryDeps, actor: Actor, query: SecurityEventQuery): Promise<Page<repo.SecurityEventRecord>> {
  if (actor.user.role !== 'committee' && actor.user.role !== 'auditor') {
    throw new ProblemError(403, 'forbidden', 'Committee staff and auditors only', '只有工委工作人员和审计人员可以查看安全日志。', { rule: 'actor.not_committee' });
  }
  const { limit, offset, from, to, ...filter } = query;
  const at = (field: 'from' | 'to', value: string | undefined) => {
    if (value === undefined) return undefined;
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) throw invalid(field, 'date.format', `${field} 须为 ISO 8601 日期或时间。`);
    return date;
  };
  return repo.listSecurityEvents(deps.db, { ...filter, from: at('from', from), to: at('to', to) }, { limit, offset });
}
