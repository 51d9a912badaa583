import type { Kysely } from 'kysely';

/** Which orgs (with their subtrees) each inspector is assigned to inspect and verify. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('inspector_assignments')
    .addColumn('inspector_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addPrimaryKeyConstraint('inspector_assignments_pk', ['inspector_id', 'org_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('inspector_assignments').execute();
}
