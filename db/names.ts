/** The names of people and orgs by id, for answers that show who and which org (SQL only). */
import type { Db } from '.';

const CHUNK = 5_000;

async function namesIn(db: Db, table: 'users' | 'orgs', ids: readonly string[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = await db.selectFrom(table).select(['id', 'name']).where('id', 'in', ids.slice(i, i + CHUNK)).execute();
    for (const r of rows) names.set(r.id, r.name);
  }
  return names;
}

/** Users' and orgs' names, the two tables read together (in chunks, so a long timeline's ids fit); unknown ids are left out. */
export async function namesByIds(db: Db, userIds: readonly string[], orgIds: readonly string[]): Promise<{ users: Map<string, string>; orgs: Map<string, string> }> {
  const [users, orgs] = await Promise.all([namesIn(db, 'users', userIds), namesIn(db, 'orgs', orgIds)]);
  return { users, orgs };
}
