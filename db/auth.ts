/** Opaque bearer tokens: handed out once, stored only as SHA-256 hashes. */
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '.';
import { resolveSession, type SessionPolicy } from './identity';
import type { Role } from '../workflows/lifecycle';

export const TOKEN_PREFIX = 'ppe_';
const TOKEN_SHAPE = /^ppe_[A-Za-z0-9_-]{43}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Issues a new token for a user; the plain token is returned once and never stored. */
export async function issueToken(db: Db, userId: string, label: string, ttlMs = 30 * 24 * 3600 * 1000): Promise<string> {
  return (await issuePersonalToken(db, userId, label, ttlMs)).token;
}

/** Issues a token and answers its public id and expiry beside the token itself (shown once). */
export async function issuePersonalToken(db: Db, userId: string, label: string, ttlMs: number): Promise<{ id: string; token: string; expiresAt: Date }> {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + ttlMs);
  const row = await db
    .insertInto('api_tokens')
    .values({ token_hash: hashToken(token), user_id: userId, label, expires_at: expiresAt })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, token, expiresAt };
}

export interface TokenSummary {
  id: string;
  label: string;
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** A user's tokens, newest first (never the tokens themselves). */
export async function listTokens(db: Db, userId: string): Promise<TokenSummary[]> {
  const rows = await db
    .selectFrom('api_tokens')
    .select(['id', 'label', 'created_at', 'expires_at', 'last_used_at', 'revoked_at'])
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .limit(500)
    .execute();
  return rows.map((r) => ({ id: r.id, label: r.label, createdAt: r.created_at, expiresAt: r.expires_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at }));
}

/** Revokes one of the user's own tokens; false when it is not theirs (or unknown). */
export async function revokeToken(db: Db, userId: string, tokenId: string): Promise<'revoked' | 'already' | 'unknown'> {
  const row = await db.selectFrom('api_tokens').select(['revoked_at']).where('id', '=', tokenId).where('user_id', '=', userId).executeTakeFirst();
  if (!row) return 'unknown';
  if (row.revoked_at) return 'already';
  await db.updateTable('api_tokens').set({ revoked_at: new Date() }).where('id', '=', tokenId).where('user_id', '=', userId).execute();
  return 'revoked';
}

export interface AuthenticatedUser {
  id: string;
  name: string;
  role: Role;
  orgId: string;
  /** How the request was authenticated: a bearer token or a browser session (cookie). */
  via?: 'token' | 'session';
  /** The session's hash (cookie sessions only): sign-out and password changes act on it. */
  sessionHash?: string;
  /** The CSRF token of the cookie session (sent back by GET /me for the console). */
  csrfToken?: string;
  /** A first (or reset) password must be changed before anything else. */
  mustChangePassword?: boolean;
}

/** The user a token belongs to, or a reason it is refused (a disabled user's tokens stop at once). */
export async function authenticate(db: Db, token: string): Promise<AuthenticatedUser | 'invalid' | 'expired' | 'disabled'> {
  if (!TOKEN_SHAPE.test(token)) return 'invalid';
  const tokenHash = hashToken(token);
  const row = await db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select(['users.id', 'users.name', 'users.role', 'users.org_id', 'users.disabled_at', 'users.must_change_password', 'api_tokens.expires_at', 'api_tokens.revoked_at', 'api_tokens.last_used_at'])
    .where('api_tokens.token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (!row || row.revoked_at) return 'invalid';
  if (row.expires_at.getTime() <= Date.now()) return 'expired';
  if (row.disabled_at) return 'disabled';
  // Last use, at most once a minute per token (the token list shows it).
  if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > 60_000) {
    await db.updateTable('api_tokens').set({ last_used_at: new Date() }).where('token_hash', '=', tokenHash).execute();
  }
  return { id: row.id, name: row.name, role: row.role, orgId: row.org_id, via: 'token', mustChangePassword: row.must_change_password };
}

/** The user behind a live session, or why not. */
export async function authenticateSession(db: Db, sessionId: string, policy?: SessionPolicy): Promise<AuthenticatedUser | 'invalid' | 'expired' | 'disabled'> {
  const session = await resolveSession(db, sessionId, policy);
  if (typeof session === 'string') return session;
  const user = await db.selectFrom('users').select(['id', 'name', 'role', 'org_id', 'disabled_at', 'must_change_password']).where('id', '=', session.userId).executeTakeFirst();
  if (!user) return 'invalid';
  if (user.disabled_at) return 'disabled';
  return { id: user.id, name: user.name, role: user.role, orgId: user.org_id, via: 'session', sessionHash: session.sessionHash, csrfToken: session.csrfToken, mustChangePassword: user.must_change_password };
}

/**
 * The org and every org below it, as a subquery to filter with (`where(column, 'in', orgSubtreeIds(id))`).
 * Filters use this rather than the list from orgSubtree: an unknown org has an empty subtree, and an
 * empty list becomes `in ()`, which PostgreSQL refuses as a syntax error (a 500 for a typo in a query
 * string). The subquery simply matches nothing.
 */
export function orgSubtreeIds(orgId: string) {
  return sql<string>`(
    with recursive tree(id) as (
      select id from orgs where id = ${orgId}
      union all
      select o.id from orgs o join tree t on o.parent_id = t.id
    )
    select id from tree)`;
}

/** The org and every org below it (a secretary reads their subtree); empty for an unknown org. */
export async function orgSubtree(db: Db, orgId: string): Promise<string[]> {
  const rows = await sql<{ id: string }>`
    with recursive tree(id) as (
      select id from orgs where id = ${orgId}
      union all
      select o.id from orgs o join tree t on o.parent_id = t.id
    )
    select id from tree`.execute(db);
  return rows.rows.map((r) => r.id);
}
