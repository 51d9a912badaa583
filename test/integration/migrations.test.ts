import { afterAll, describe, expect, it } from 'vitest';
import { Migrator, NO_MIGRATIONS, sql } from 'kysely';
import { inject } from 'vitest';
import { createDb, migrateToLatest } from '../../db';
import { migrations } from '../../db/migrations';
import { ensureDatabase } from '../../scripts/infra/embedded-postgres';

describe('database migrations on the real PostgreSQL', () => {
  const dbs: ReturnType<typeof createDb>[] = [];
  afterAll(async () => {
    for (const db of dbs) await db.destroy();
  });

  it('migrate up from an empty database to the latest schema, down to nothing, and up again', async () => {
    const db = createDb(await ensureDatabase(inject('postgresServerUrl'), `mig_${Date.now()}`));
    dbs.push(db);
    const tables = async () =>
      (await sql<{ tablename: string }>`select tablename from pg_tables where schemaname = 'public' and tablename not like 'kysely_%' order by tablename`.execute(db)).rows.map((r) => r.tablename);
    expect(await tables()).toEqual([]);
    const up = await migrateToLatest(db);
    expect(up.results?.map((r) => r.status)).toEqual(Object.keys(migrations).map(() => 'Success'));
    expect(await tables()).toEqual(
      expect.arrayContaining(['orgs', 'users', 'cycles', 'cycle_projects', 'projects', 'project_events', 'notifications', 'evidence', 'evidence_files', 'inspections', 'ledger_entries', 'self_assessments', 'acceptances', 'member_items', 'api_tokens', 'idempotency_keys']),
    );
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    const down = await migrator.migrateTo(NO_MIGRATIONS);
    expect(down.error).toBeUndefined();
    expect(await tables()).toEqual([]);
    await migrateToLatest(db);
    expect((await tables()).length).toBeGreaterThan(10);
    // Running it again is a no-op.
    expect((await migrateToLatest(db)).results).toEqual([]);
  });
});
