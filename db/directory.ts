/**
 * Repository of the managed directory (组织与人员): orgs, users, inspector assignments and the
 * security log as committee staff read and change them. SQL only; the rules live in
 * services/directory.ts.
 */
import { sql, type Transaction } from 'kysely';
import type { Db } from '.';
import type { Database, OrgTable, UserTable } from './types';
import { orgSubtreeIds } from './auth';

export type Executor = Db | Transaction<Database>;
export type OrgKind = OrgTable['kind'];
export type UserRole = UserTable['role'];

export interface OrgRecord {
  id: string;
  parentId: string | null;
  kind: OrgKind;
  name: string;
  secretaryId: string | null;
  secretaryName: string | null;
  closedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface UserRecord {
  id: string;
  name: string;
  role: UserRole;
  orgId: string;
  orgName: string;
  username: string | null;
  mobile: string | null;
  oidcSubject: string | null;
  hasPassword: boolean;
  mustChangePassword: boolean;
  disabledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface Page<T> {
  total: number;
  items: T[];
}

export interface Paging {
  limit: number;
  offset: number;
}

/**
 * Serialises every change of the directory (orgs, users, assignments) through one transaction-level
 * advisory lock. Directory writes are rare, and the invariants span rows (no loop in the tree after
 * two concurrent moves, no disabled secretary after a concurrent disable and appointment), which
 * row locks alone would not protect.
 */
export async function lockDirectory(trx: Transaction<Database>): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext('party-projects:directory'))`.execute(trx);
}

/** `%`, `_` and `\` taken literally in an ILIKE pattern. */
function containing(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

// ---- Orgs -----------------------------------------------------------------------------------

function orgSelect(db: Executor) {
  return db
    .selectFrom('orgs')
    .leftJoin('users as secretary', 'secretary.id', 'orgs.secretary_id')
    .select([
      'orgs.id',
      'orgs.parent_id',
      'orgs.kind',
      'orgs.name',
      'orgs.secretary_id',
      'secretary.name as secretary_name',
      'orgs.closed_at',
      'orgs.created_at',
      'orgs.updated_at',
    ]);
}

type OrgRow = {
  id: string;
  parent_id: string | null;
  kind: OrgKind;
  name: string;
  secretary_id: string | null;
  secretary_name: string | null;
  closed_at: Date | null;
  created_at: Date;
  updated_at: Date;
};

function toOrg(r: OrgRow): OrgRecord {
  return {
    id: r.id,
    parentId: r.parent_id,
    kind: r.kind,
    name: r.name,
    secretaryId: r.secretary_id,
    secretaryName: r.secretary_name,
    closedAt: r.closed_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface OrgFilter {
  /** Direct children of this org. */
  parent?: string;
  kind?: OrgKind;
  includeClosed?: boolean;
  /** Part of the name or id. */
  q?: string;
  /** Only this org and its subtree (a secretary's scope). */
  within?: string;
}

export async function listOrgs(db: Executor, filter: OrgFilter, paging: Paging): Promise<Page<OrgRecord>> {
  const filtered = <Q extends ReturnType<typeof orgSelect>>(q: Q) =>
    q
      .$if(filter.parent !== undefined, (qb) => qb.where('orgs.parent_id', '=', filter.parent!))
      .$if(filter.kind !== undefined, (qb) => qb.where('orgs.kind', '=', filter.kind!))
      .$if(!filter.includeClosed, (qb) => qb.where('orgs.closed_at', 'is', null))
      .$if(filter.q !== undefined && filter.q !== '', (qb) =>
        qb.where((eb) => eb.or([eb('orgs.name', 'ilike', containing(filter.q!)), eb('orgs.id', 'ilike', containing(filter.q!))])),
      )
      .$if(filter.within !== undefined, (qb) => qb.where('orgs.id', 'in', orgSubtreeIds(filter.within!)));
  const rows = await filtered(orgSelect(db)).orderBy('orgs.id').limit(paging.limit).offset(paging.offset).execute();
  const count = await filtered(orgSelect(db))
    .clearSelect()
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return { total: Number(count.n), items: rows.map(toOrg) };
}

export async function getOrg(db: Executor, id: string): Promise<OrgRecord | undefined> {
  const row = await orgSelect(db).where('orgs.id', '=', id).executeTakeFirst();
  return row ? toOrg(row) : undefined;
}

/** The org and its subtree, parents before children (depth 0 is the org itself). */
export async function orgSubtreeRecords(db: Executor, rootId: string, includeClosed: boolean): Promise<(OrgRecord & { depth: number })[]> {
  const rows = await sql<OrgRow & { depth: number }>`
    with recursive tree(id, depth) as (
      select id, 0 from orgs where id = ${rootId}
      union all
      select o.id, t.depth + 1 from orgs o join tree t on o.parent_id = t.id
      where ${includeClosed ? sql`true` : sql`o.closed_at is null`} and t.depth < 64
    )
    select o.id, o.parent_id, o.kind, o.name, o.secretary_id, s.name as secretary_name,
           o.closed_at, o.created_at, o.updated_at, tree.depth
    from tree join orgs o on o.id = tree.id left join users s on s.id = o.secretary_id
    order by tree.depth, o.id`.execute(db);
  return rows.rows.map((r) => ({ ...toOrg(r), depth: r.depth }));
}

/** Whether `orgId` is `rootId` or below it. */
export async function isWithin(db: Executor, rootId: string, orgId: string): Promise<boolean> {
  const row = await db.selectFrom('orgs').select('id').where('id', '=', orgId).where('id', 'in', orgSubtreeIds(rootId)).executeTakeFirst();
  return row !== undefined;
}

/** The org's ancestors, nearest first (the committee org last). */
export async function orgAncestorIds(db: Executor, orgId: string): Promise<string[]> {
  const rows = await sql<{ id: string; depth: number }>`
    with recursive up(id, parent_id, depth) as (
      select id, parent_id, 0 from orgs where id = ${orgId}
      union all
      select o.id, o.parent_id, up.depth + 1 from orgs o join up on o.id = up.parent_id where up.depth < 64
    )
    select id, depth from up where depth > 0 order by depth`.execute(db);
  return rows.rows.map((r) => r.id);
}

export async function insertOrg(trx: Executor, org: { id: string; parentId: string | null; kind: OrgKind; name: string; secretaryId: string | null }): Promise<void> {
  await trx.insertInto('orgs').values({ id: org.id, parent_id: org.parentId, kind: org.kind, name: org.name, secretary_id: org.secretaryId }).execute();
}

export async function updateOrg(trx: Executor, id: string, change: { name?: string; parentId?: string | null; secretaryId?: string | null; closedAt?: Date }): Promise<void> {
  await trx
    .updateTable('orgs')
    .set({
      ...(change.name !== undefined ? { name: change.name } : {}),
      ...(change.parentId !== undefined ? { parent_id: change.parentId } : {}),
      ...(change.secretaryId !== undefined ? { secretary_id: change.secretaryId } : {}),
      ...(change.closedAt !== undefined ? { closed_at: change.closedAt } : {}),
      updated_at: sql<Date>`now()` as never,
    })
    .where('id', '=', id)
    .execute();
}

/** An open org of this name under this parent, other than `exceptId`. */
export async function openSiblingNamed(db: Executor, parentId: string, name: string, exceptId: string | null): Promise<string | undefined> {
  const row = await db
    .selectFrom('orgs')
    .select('id')
    .where('parent_id', '=', parentId)
    .where('name', '=', name)
    .where('closed_at', 'is', null)
    .$if(exceptId !== null, (qb) => qb.where('id', '!=', exceptId!))
    .executeTakeFirst();
  return row?.id;
}

export async function openChildOrgIds(db: Executor, id: string): Promise<string[]> {
  const rows = await db.selectFrom('orgs').select('id').where('parent_id', '=', id).where('closed_at', 'is', null).orderBy('id').execute();
  return rows.map((r) => r.id);
}

/** Enabled users of the org, but the one named (its secretary). */
export async function activeUserIds(db: Executor, orgId: string, except: string | null): Promise<string[]> {
  const rows = await db
    .selectFrom('users')
    .select('id')
    .where('org_id', '=', orgId)
    .where('disabled_at', 'is', null)
    .$if(except !== null, (qb) => qb.where('id', '!=', except!))
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}

/** Open orgs this user is the secretary of. */
export async function orgsLedBy(db: Executor, userId: string): Promise<string[]> {
  const rows = await db.selectFrom('orgs').select('id').where('secretary_id', '=', userId).where('closed_at', 'is', null).orderBy('id').execute();
  return rows.map((r) => r.id);
}

// ---- Users ----------------------------------------------------------------------------------

function userSelect(db: Executor) {
  return db
    .selectFrom('users')
    .innerJoin('orgs', 'orgs.id', 'users.org_id')
    .select([
      'users.id',
      'users.name',
      'users.role',
      'users.org_id',
      'orgs.name as org_name',
      'users.username',
      'users.mobile',
      'users.oidc_subject',
      sql<boolean>`users.password_hash is not null`.as('has_password'),
      'users.must_change_password',
      'users.disabled_at',
      'users.created_at',
      'users.updated_at',
    ]);
}

type UserRow = Awaited<ReturnType<ReturnType<typeof userSelect>['executeTakeFirstOrThrow']>>;

function toUser(r: UserRow): UserRecord {
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    orgId: r.org_id,
    orgName: r.org_name,
    username: r.username,
    mobile: r.mobile,
    oidcSubject: r.oidc_subject,
    hasPassword: r.has_password,
    mustChangePassword: r.must_change_password,
    disabledAt: r.disabled_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface UserFilter {
  /** Members of this org only. */
  org?: string;
  /** Members of this org and its whole subtree. */
  under?: string;
  role?: UserRole;
  /** Part of the name, id, username or mobile number. */
  q?: string;
  includeDisabled?: boolean;
  /** Only users of this org's subtree (a secretary's scope). */
  within?: string;
}

export async function listUsers(db: Executor, filter: UserFilter, paging: Paging): Promise<Page<UserRecord>> {
  const filtered = <Q extends ReturnType<typeof userSelect>>(q: Q) =>
    q
      .$if(filter.org !== undefined, (qb) => qb.where('users.org_id', '=', filter.org!))
      .$if(filter.under !== undefined, (qb) => qb.where('users.org_id', 'in', orgSubtreeIds(filter.under!)))
      .$if(filter.role !== undefined, (qb) => qb.where('users.role', '=', filter.role!))
      .$if(!filter.includeDisabled, (qb) => qb.where('users.disabled_at', 'is', null))
      .$if(filter.q !== undefined && filter.q !== '', (qb) =>
        qb.where((eb) =>
          eb.or([
            eb('users.name', 'ilike', containing(filter.q!)),
            eb('users.id', 'ilike', containing(filter.q!)),
            eb('users.username', 'ilike', containing(filter.q!)),
            eb('users.mobile', 'ilike', containing(filter.q!)),
          ]),
        ),
      )
      .$if(filter.within !== undefined, (qb) => qb.where('users.org_id', 'in', orgSubtreeIds(filter.within!)));
  const rows = await filtered(userSelect(db)).orderBy('users.id').limit(paging.limit).offset(paging.offset).execute();
  const count = await filtered(userSelect(db))
    .clearSelect()
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return { total: Number(count.n), items: rows.map(toUser) };
}

export async function getUser(db: Executor, id: string): Promise<UserRecord | undefined> {
  const row = await userSelect(db).where('users.id', '=', id).executeTakeFirst();
  return row ? toUser(row) : undefined;
}

/** Another user already holding this sign-in name, mobile number or OIDC subject (in any of the login columns). */
export async function loginHolder(db: Executor, column: 'username' | 'mobile' | 'oidc_subject', value: string, exceptUserId: string | null): Promise<string | undefined> {
  const row = await db
    .selectFrom('users')
    .select('id')
    .where(column, '=', value)
    .$if(exceptUserId !== null, (qb) => qb.where('id', '!=', exceptUserId!))
    .executeTakeFirst();
  return row?.id;
}

export interface NewUserRow {
  id: string;
  name: string;
  role: UserRole;
  orgId: string;
  username: string | null;
  mobile: string | null;
  passwordHash: string | null;
  mustChangePassword: boolean;
}

export async function insertUser(trx: Executor, user: NewUserRow): Promise<void> {
  await trx
    .insertInto('users')
    .values({
      id: user.id,
      name: user.name,
      role: user.role,
      org_id: user.orgId,
      username: user.username,
      mobile: user.mobile,
      password_hash: user.passwordHash,
      must_change_password: user.mustChangePassword,
    })
    .execute();
}

export interface UserChangeRow {
  name?: string;
  role?: UserRole;
  orgId?: string;
  username?: string | null;
  mobile?: string | null;
  oidcSubject?: string | null;
  passwordHash?: string | null;
  mustChangePassword?: boolean;
  disabledAt?: Date | null;
}

export async function updateUser(trx: Executor, id: string, change: UserChangeRow): Promise<void> {
  const set: Record<string, unknown> = {};
  if (change.name !== undefined) set.name = change.name;
  if (change.role !== undefined) set.role = change.role;
  if (change.orgId !== undefined) set.org_id = change.orgId;
  if (change.username !== undefined) set.username = change.username;
  if (change.mobile !== undefined) set.mobile = change.mobile;
  if (change.oidcSubject !== undefined) set.oidc_subject = change.oidcSubject;
  if (change.passwordHash !== undefined) set.password_hash = change.passwordHash;
  if (change.mustChangePassword !== undefined) set.must_change_password = change.mustChangePassword;
  if (change.disabledAt !== undefined) set.disabled_at = change.disabledAt;
  await trx
    .updateTable('users')
    .set({ ...set, updated_at: sql<Date>`now()` as never })
    .where('id', '=', id)
    .execute();
}

// ---- Inspector assignments (督查分工) ---------------------------------------------------------

export interface AssignmentRecord {
  inspectorId: string;
  inspectorName: string;
  orgId: string;
  orgName: string;
}

export interface AssignmentFilter {
  inspector?: string;
  org?: string;
  /** Only assignments over orgs of this subtree (a secretary's scope). */
  within?: string;
}

export async function listAssignments(db: Executor, filter: AssignmentFilter, paging: Paging): Promise<Page<AssignmentRecord>> {
  const base = () =>
    db
      .selectFrom('inspector_assignments as a')
      .innerJoin('users as i', 'i.id', 'a.inspector_id')
      .innerJoin('orgs as o', 'o.id', 'a.org_id')
      .$if(filter.inspector !== undefined, (qb) => qb.where('a.inspector_id', '=', filter.inspector!))
      .$if(filter.org !== undefined, (qb) => qb.where('a.org_id', '=', filter.org!))
      .$if(filter.within !== undefined, (qb) => qb.where('a.org_id', 'in', orgSubtreeIds(filter.within!)));
  const rows = await base()
    .select(['a.inspector_id', 'i.name as inspector_name', 'a.org_id', 'o.name as org_name'])
    .orderBy('a.inspector_id')
    .orderBy('a.org_id')
    .limit(paging.limit)
    .offset(paging.offset)
    .execute();
  const count = await base()
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return { total: Number(count.n), items: rows.map((r) => ({ inspectorId: r.inspector_id, inspectorName: r.inspector_name, orgId: r.org_id, orgName: r.org_name })) };
}

export async function assignedOrgIds(db: Executor, inspectorId: string): Promise<string[]> {
  const rows = await db.selectFrom('inspector_assignments').select('org_id').where('inspector_id', '=', inspectorId).orderBy('org_id').execute();
  return rows.map((r) => r.org_id);
}

export async function replaceAssignments(trx: Executor, inspectorId: string, orgIds: string[]): Promise<void> {
  await trx.deleteFrom('inspector_assignments').where('inspector_id', '=', inspectorId).execute();
  if (orgIds.length > 0) await trx.insertInto('inspector_assignments').values(orgIds.map((orgId) => ({ inspector_id: inspectorId, org_id: orgId }))).execute();
}

/** Which of these org ids exist, with whether each is closed. */
export async function orgsByIds(db: Executor, ids: string[]): Promise<Map<string, { kind: OrgKind; closed: boolean }>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('orgs').select(['id', 'kind', 'closed_at']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, { kind: r.kind, closed: r.closed_at !== null }]));
}

// ---- The security log -----------------------------------------------------------------------

export interface SecurityEventRecord {
  id: number;
  at: Date;
  kind: string;
  actorId: string | null;
  subject: string | null;
  ip: string | null;
  userAgent: string | null;
  detail: Record<string, unknown>;
}

export interface SecurityEventFilter {
  kind?: string;
  subject?: string;
  actor?: string;
  from?: Date;
  to?: Date;
}

/** Newest first. */
export async function listSecurityEvents(db: Executor, filter: SecurityEventFilter, paging: Paging): Promise<Page<SecurityEventRecord>> {
  const base = () =>
    db
      .selectFrom('security_events')
      .$if(filter.kind !== undefined, (qb) => qb.where('kind', '=', filter.kind!))
      .$if(filter.subject !== undefined, (qb) => qb.where('subject', '=', filter.subject!))
      .$if(filter.actor !== undefined, (qb) => qb.where('actor_id', '=', filter.actor!))
      .$if(filter.from !== undefined, (qb) => qb.where('at', '>=', filter.from!))
      .$if(filter.to !== undefined, (qb) => qb.where('at', '<', filter.to!));
  const rows = await base().selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(paging.limit).offset(paging.offset).execute();
  const count = await base()
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return {
    total: Number(count.n),
    items: rows.map((r) => ({ id: Number(r.id), at: r.at, kind: r.kind, actorId: r.actor_id, subject: r.subject, ip: r.ip, userAgent: r.user_agent, detail: r.detail })),
  };
}

/** The names of these users by id (unknown ids are left out), read in chunks so a province's ids fit. */
export async function userNames(db: Executor, ids: readonly string[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const CHUNK = 5_000;
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = await db.selectFrom('users').select(['id', 'name']).where('id', 'in', ids.slice(i, i + CHUNK)).execute();
    for (const r of rows) names.set(r.id, r.name);
  }
  return names;
}
