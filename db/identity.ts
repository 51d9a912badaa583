/**
 * Signing in: argon2id password hashes, server-side browser sessions, sign-in throttling shared by
 * every API process (in PostgreSQL), and the security log auditors read (`security_events`).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import { sql, type Transaction } from 'kysely';
import type { Db } from '.';
import type { Database } from './types';

type Executor = Db | Transaction<Database>;

// ---- Passwords ------------------------------------------------------------------------------

/** OWASP's argon2id baseline (m = 19 MiB, t = 2, p = 1); `algorithm: 2` is Argon2id (a const enum the package only declares). */
const ARGON2 = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argonHash(password, ARGON2);
}

/** A hash of nothing anyone knows: verifying against it makes an unknown account cost what a known one does. */
let decoyHash: Promise<string> | undefined;

/** Whether the password matches; `null` (no account, no password) still spends the same time. */
export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  if (!passwordHash) {
    decoyHash ??= hashPassword(randomBytes(16).toString('hex'));
    await argonVerify(await decoyHash, password).catch(() => false);
    return false;
  }
  return argonVerify(passwordHash, password).catch(() => false);
}

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 128;

/** Why a new password is refused (Chinese, for the problem detail), or null when it is acceptable. */
export function passwordWeakness(password: string, login: string | null): string | null {
  const chars = [...password];
  if (chars.length < PASSWORD_MIN) return `密码至少需要 ${PASSWORD_MIN} 个字符。`;
  if (chars.length > PASSWORD_MAX) return `密码最多 ${PASSWORD_MAX} 个字符。`;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (classes < 2) return '密码须至少包含字母、数字、符号中的两类。';
  if (login && password.toLowerCase().includes(login.toLowerCase())) return '密码不能包含用户名。';
  if (new Set(chars).size < 4) return '密码过于简单（重复字符过多）。';
  return null;
}

/** A random initial password that passes the policy (shown once to whoever creates the account). */
export function generatePassword(): string {
  return `Pp-${randomBytes(9).toString('base64url')}`;
}

/** The form a login is looked up and throttled by: trimmed, lower-case, full-width ASCII folded (ｚｈａｎｇ → zhang). */
export function normaliseLogin(login: string): string {
  return login
    .normalize('NFKC')
    .trim()
    .toLowerCase();
}

// ---- Sessions -------------------------------------------------------------------------------

export const SESSION_COOKIE = 'pp_session';
export const CSRF_HEADER = 'x-csrf-token';

export interface SessionPolicy {
  /** A session unused this long ends (default 30 min). */
  idleMs: number;
  /** A session ends this long after sign-in whatever its use (default 12 h). */
  absoluteMs: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = { idleMs: 30 * 60_000, absoluteMs: 12 * 3600_000 };

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

export interface RequestOrigin {
  ip?: string | null;
  userAgent?: string | null;
}

/** Opens a session; the cookie value is returned once and stored only as its hash. */
export async function createSession(
  db: Executor,
  userId: string,
  via: 'password' | 'oidc',
  origin: RequestOrigin = {},
  policy: SessionPolicy = DEFAULT_SESSION_POLICY,
): Promise<{ sessionId: string; csrfToken: string; expiresAt: Date }> {
  const sessionId = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  const expiresAt = new Date(Date.now() + policy.absoluteMs);
  await db
    .insertInto('sessions')
    .values({ id_hash: sha256(sessionId), user_id: userId, csrf_token: csrfToken, expires_at: expiresAt, via, ip: origin.ip ?? null, user_agent: origin.userAgent?.slice(0, 300) ?? null })
    .execute();
  return { sessionId, csrfToken, expiresAt };
}

export interface SessionUser {
  sessionHash: string;
  userId: string;
  csrfToken: string;
}

/** The live session behind a cookie value, touching its last use; 'invalid' or 'expired' otherwise. */
export async function resolveSession(db: Db, sessionId: string, policy: SessionPolicy = DEFAULT_SESSION_POLICY): Promise<SessionUser | 'invalid' | 'expired'> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(sessionId)) return 'invalid';
  const idHash = sha256(sessionId);
  const row = await db.selectFrom('sessions').select(['user_id', 'csrf_token', 'last_seen_at', 'expires_at', 'revoked_at']).where('id_hash', '=', idHash).executeTakeFirst();
  if (!row || row.revoked_at) return 'invalid';
  const now = Date.now();
  if (row.expires_at.getTime() <= now || row.last_seen_at.getTime() + policy.idleMs <= now) return 'expired';
  // Touch at most once a minute: a busy console must not write a row per request.
  if (now - row.last_seen_at.getTime() > 60_000) await db.updateTable('sessions').set({ last_seen_at: new Date(now) }).where('id_hash', '=', idHash).execute();
  return { sessionHash: idHash, userId: row.user_id, csrfToken: row.csrf_token };
}

export function csrfMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function revokeSession(db: Executor, sessionHash: string): Promise<void> {
  await db.updateTable('sessions').set({ revoked_at: new Date() }).where('id_hash', '=', sessionHash).where('revoked_at', 'is', null).execute();
}

/** Ends every session of a user (disabled, password changed elsewhere), but the one kept, if any. */
export async function revokeUserSessions(db: Executor, userId: string, keepSessionHash?: string): Promise<number> {
  let q = db.updateTable('sessions').set({ revoked_at: new Date() }).where('user_id', '=', userId).where('revoked_at', 'is', null);
  if (keepSessionHash) q = q.where('id_hash', '!=', keepSessionHash);
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Revokes every personal token of a user. */
export async function revokeUserTokens(db: Executor, userId: string): Promise<number> {
  const result = await db.updateTable('api_tokens').set({ revoked_at: new Date() }).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows);
}

// ---- Throttling -----------------------------------------------------------------------------

export interface ThrottlePolicy {
  /** Failures per account within the window before the account is locked. */
  accountFailures: number;
  /** Failures per client address within the window before the address is locked. */
  addressFailures: number;
  windowMs: number;
  lockMs: number;
}

export const DEFAULT_THROTTLE: ThrottlePolicy = { accountFailures: 5, addressFailures: 20, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };

const accountKey = (login: string) => `account:${normaliseLogin(login)}`;
const addressKey = (ip: string) => `address:${ip}`;

/** Seconds until this login from this address may try again (0: it may try now). */
export async function signInLockedFor(db: Db, login: string, ip: string): Promise<number> {
  const rows = await db.selectFrom('sign_in_failures').select(['locked_until']).where('key', 'in', [accountKey(login), addressKey(ip)]).execute();
  const now = Date.now();
  const until = Math.max(0, ...rows.map((r) => (r.locked_until ? r.locked_until.getTime() : 0)));
  return until > now ? Math.ceil((until - now) / 1000) : 0;
}

/**
 * Counts a failed sign-in against the login (whether or not such an account exists, so the
 * answers do not tell) and the address; returns which keys it locked.
 */
export async function recordSignInFailure(db: Db, login: string, ip: string, policy: ThrottlePolicy = DEFAULT_THROTTLE): Promise<{ accountLocked: boolean; addressLocked: boolean }> {
  const bump = async (key: string, limit: number) => {
    const row = await sql<{ failures: number; locked_until: Date | null }>`
      insert into sign_in_failures (key, failures, window_start)
      values (${key}, 1, now())
      on conflict (key) do update set
        failures = case when sign_in_failures.window_start < now() - make_interval(secs => ${policy.windowMs / 1000}) then 1 else sign_in_failures.failures + 1 end,
        window_start = case when sign_in_failures.window_start < now() - make_interval(secs => ${policy.windowMs / 1000}) then now() else sign_in_failures.window_start end
      returning failures, locked_until`.execute(db);
    const failures = row.rows[0]?.failures ?? 1;
    if (failures < limit) return false;
    await db
      .updateTable('sign_in_failures')
      .set({ locked_until: new Date(Date.now() + policy.lockMs), failures: 0, window_start: new Date() })
      .where('key', '=', key)
      .execute();
    return true;
  };
  const accountLocked = await bump(accountKey(login), policy.accountFailures);
  const addressLocked = await bump(addressKey(ip), policy.addressFailures);
  return { accountLocked, addressLocked };
}

/** A successful sign-in clears the account's count (the address keeps its own). */
export async function clearSignInFailures(db: Db, login: string): Promise<void> {
  await db.deleteFrom('sign_in_failures').where('key', '=', accountKey(login)).execute();
}

// ---- The security log -----------------------------------------------------------------------

export type SecurityEventKind =
  | 'sign_in'
  | 'sign_in_failed'
  | 'sign_in_locked'
  | 'sign_out'
  | 'password_changed'
  | 'password_reset'
  | 'token_created'
  | 'token_revoked'
  | 'user_created'
  | 'user_changed'
  | 'user_disabled'
  | 'user_enabled'
  | 'org_created'
  | 'org_changed'
  | 'org_moved'
  | 'org_closed'
  | 'secretary_changed'
  | 'handover'
  | 'inspector_assignments_changed'
  | 'import_applied';

export interface SecurityEventInput extends RequestOrigin {
  kind: SecurityEventKind;
  /** Who did it (null: unknown, e.g. a failed sign-in). */
  actorId: string | null;
  /** What it was about: a user id, an org id, a login. */
  subject?: string | null;
  detail?: Record<string, unknown>;
}

/** Records a security event; pass the transaction of the change so the record and the change commit together. */
export async function recordSecurityEvent(db: Executor, event: SecurityEventInput): Promise<void> {
  await db
    .insertInto('security_events')
    .values({
      kind: event.kind,
      actor_id: event.actorId,
      subject: event.subject ?? null,
      ip: event.ip ?? null,
      user_agent: event.userAgent?.slice(0, 300) ?? null,
      detail: JSON.stringify(event.detail ?? {}),
    })
    .execute();
}

// ---- Users as sign-in sees them -------------------------------------------------------------

export interface LoginCandidate {
  id: string;
  username: string | null;
  passwordHash: string | null;
  disabled: boolean;
  mustChangePassword: boolean;
}

/** The user a login names: a username, or an 11-digit mobile number (normalised either way). */
export async function findUserByLogin(db: Db, login: string): Promise<LoginCandidate | undefined> {
  const name = normaliseLogin(login);
  if (name.length === 0 || name.length > 100) return undefined;
  const row = await db
    .selectFrom('users')
    .select(['id', 'username', 'password_hash', 'disabled_at', 'must_change_password'])
    .where((eb) => eb.or([eb('username', '=', name), eb('mobile', '=', name)]))
    .orderBy('id')
    .executeTakeFirst();
  return row ? { id: row.id, username: row.username, passwordHash: row.password_hash, disabled: row.disabled_at !== null, mustChangePassword: row.must_change_password } : undefined;
}

export interface UserProfile {
  id: string;
  name: string;
  role: string;
  orgId: string;
  orgName: string | null;
  username: string | null;
  mobile: string | null;
  mustChangePassword: boolean;
  hasPassword: boolean;
}

export async function userProfile(db: Db, userId: string): Promise<UserProfile | undefined> {
  const row = await db
    .selectFrom('users')
    .leftJoin('orgs', 'orgs.id', 'users.org_id')
    .select(['users.id', 'users.name', 'users.role', 'users.org_id', 'orgs.name as org_name', 'users.username', 'users.mobile', 'users.must_change_password', 'users.password_hash'])
    .where('users.id', '=', userId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    orgId: row.org_id,
    orgName: row.org_name,
    username: row.username,
    mobile: row.mobile,
    mustChangePassword: row.must_change_password,
    hasPassword: row.password_hash !== null,
  };
}

export async function passwordHashOf(db: Db, userId: string): Promise<string | null> {
  return (await db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirst())?.password_hash ?? null;
}

/** Stores a new password hash; `mustChange` marks a one-time password (first sign-in, reset). */
export async function setPasswordHash(db: Executor, userId: string, passwordHash: string, mustChange: boolean): Promise<void> {
  await db.updateTable('users').set({ password_hash: passwordHash, must_change_password: mustChange, updated_at: new Date() }).where('id', '=', userId).execute();
}
