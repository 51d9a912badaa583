/** The names of people and orgs by id, for answers that show who and which org (SQL only). */
import { sql } from 'kysely';
import type { Db } from '.';

/**
 * Users' and orgs' names, both tables read in one statement (each id list is one array parameter,
 * so a long timeline's ids fit whatever their number); unknown ids are left out.
 */
export async function namesByIds(db: Db, userIds: readonly string[], orgIds: readonly string[]): Promise<{ users: Map<string, string>; orgs: Map<string, string> }> {
  const users = new Map<string, string>();
  const orgs = new Map<string, string>();
  if (userIds.length === 0 && orgIds.length === 0) return { users, orgs };
  const { rows } = await sql<{ kind: 'user' | 'org'; id: string; name: string }>`
    select 'user' as kind, id, name from users where id = any(${[...userIds]}::text[])
    union all
    select 'org' as kind, id, name from orgs where id = any(${[...orgIds]}::text[])
  `.execute(db);
  for (const r of rows) (r.kind === 'user' ? users : orgs).set(r.id, r.name);
  return { users, orgs };
}
