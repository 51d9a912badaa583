import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/**
 * Each org's problem list (问题清单): problems found by inspection, supervision or the org itself,
 * which problem-oriented projects (问题导向) link to through their proposal's `problemIds`.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('org_problems')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('cycle_id', 'text', (c) => c.references('cycles.id'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open').check(sql`status in ('open', 'resolved')`))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('org_problems_org_idx').on('org_problems').columns(['org_id', 'created_at']).execute();
  // Which projects link a problem: proposal.problemIds inside the projected state (a GIN index, so
  // the problem list does not read every project's state).
  await sql`create index projects_problem_ids_idx on projects using gin ((state->'proposal'->'problemIds'))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists projects_problem_ids_idx`.execute(db);
  await db.schema.dropTable('org_problems').execute();
}
