/**
 * Makes PostgreSQL refuse every new event-log row of one project (as a full disk or a broken
 * constraint would), so tests can watch a persistence that keeps failing; the returned function
 * lifts the refusal.
 */
import { sql } from 'kysely';
import type { Db } from '../../db';

export async function refuseEventWrites(db: Db, projectId: string, message: string): Promise<() => Promise<void>> {
  const name = `refuse_${projectId.replace(/[^A-Za-z0-9]/g, '_').toLowerCase()}`;
  await sql`create function ${sql.raw(name)}() returns trigger language plpgsql as $$
    begin if new.project_id = ${sql.lit(projectId)} then raise exception ${sql.lit(message)}; end if; return new; end $$`.execute(db);
  await sql`create trigger ${sql.raw(name)} before insert on project_events for each row execute function ${sql.raw(name)}()`.execute(db);
  return async () => {
    await sql`drop trigger ${sql.raw(name)} on project_events`.execute(db);
    await sql`drop function ${sql.raw(name)}()`.execute(db);
  };
}
