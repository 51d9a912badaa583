import { sql, type Kysely } from 'kysely';

/**
 * Claim-checked texts and persistence lag. Evidence keeps the reference of a long text stored in
 * the content store beside its summary; `persistence_lag` records, per project, since when its
 * persistence activity keeps failing and why, so committee staff, `/health` and the audit can see
 * a log that falls behind instead of it being silent.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('evidence').addColumn('text_ref', 'jsonb').execute();
  await db.schema
    .createTable('persistence_lag')
    .addColumn('project_id', 'text', (c) => c.primaryKey())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('since', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('pending_seq', 'integer', (c) => c.notNull())
    .addColumn('last_error', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('persistence_lag').execute();
  await db.schema.alterTable('evidence').dropColumn('text_ref').execute();
}
