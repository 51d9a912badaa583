/** The names of people and orgs by id, for answers that show who and which org (SQL only). */
import type { Db } from '.';

/** Users' and orgs' names in two queries run together; unknown ids are left out. */
export async function namesByIds(db: Db, userIds: readonly string[], orgIds: readonly string[]): Promise<{ users: Map<string, string>; orgs: Map<string, string> }> {
  const [users, orgs] = await Promise.all([
    userIds.length ? db.selectFrom('users').select(['id', 'name']).where('id', 'in', [...userIds]).execute() : [],
    orgIds.length ? db.selectFrom('orgs').select(['id', 'name']).where('id', 'in', [...orgIds]).execute() : [],
  ]);
  return { users: new Map(users.map((r) => [r.id, r.name])), orgs: new Map(orgs.map((r) => [r.id, r.name])) };
}
