/** Opaque bearer tokens: handed out once, stored only as SHA-256 hashes. */
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '.';
import type { Role } from '../workflows/lifecycle';

export const TOKEN_PREFIX = 'ppe_';
const TOKEN_SHAPE = /^ppe_[A-Za-z0-9_-]{43}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Issues a new token for a user; the plain token is returned once and never stored. */
export async function issueToken(db: Db, userId: string, label: string, ttlMs = 30 * 24 * 3600 * 1000): Promise<string> {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  await db
    .insertInto('api_tokens')
    .values({ token_hash: hashToken(token), user_id: userId, label, expires_at: new Date(Date.now() + ttlMs) })
    .execute();
  return token;
}

export interface AuthenticatedUser {
  id: string;
  name: string;
  role: Role;
  orgId: string;
}

/** The user a token belongs to, or a reason it is refused. */
export async function authenticate(db: Db, token: string): Promise<AuthenticatedUser | 'invalid' | 'expired'> {
  if (!TOKEN_SHAPE.test(token)) return 'invalid';
  const row = await db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select(['users.id', 'users.name', 'users.role', 'users.org_id', 'api_tokens.expires_at', 'api_tokens.revoked_at'])
    .where('api_tokens.token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!row || row.revoked_at) return 'invalid';
  if (row.expires_at.getTime() <= Date.now()) return 'expired';
  return { id: row.id, name: row.name, role: row.role, orgId: row.org_id };
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
