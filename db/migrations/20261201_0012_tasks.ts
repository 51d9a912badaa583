import { sql, type Kysely } from 'kysely';

/**
 * My tasks (待办): one row per action a project waits for, replaced wholesale for a project by the
 * persistence activity in the same transaction as its projection (tasks/derive.ts says which).
 * A row waits for one person (`assignee_id`) or for a role over an org (`assignee_role` + `org_id`:
 * inspectors assigned to that org or one above it, the committee staff of that committee org), so
 * `GET /me/tasks` is an index range scan in deadline order. `project_events` gets an index by actor
 * for `GET /me/done`.
 *
 * No backfill: projects persisted before this migration get their rows at their next persist
 * (the derivation needs each cycle's configuration and today's code, which a frozen migration
 * must not import).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('tasks')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('cycle_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('assignee_id', 'text')
    .addColumn('assignee_role', 'text')
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('project_title', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('deadline', 'text', (c) => c.notNull())
    .addColumn('deadline_at', 'timestamptz', (c) => c.notNull())
    .addColumn('visible_from', 'timestamptz')
    .addPrimaryKeyConstraint('tasks_pk', ['project_id', 'key'])
    .addCheckConstraint('tasks_one_assignee', sql`(assignee_id is null) <> (assignee_role is null)`)
    .execute();
  await sql`create index tasks_assignee on tasks (assignee_id, deadline_at) where assignee_id is not null`.execute(db);
  await sql`create index tasks_scope on tasks (assignee_role, org_id, deadline_at) where assignee_role is not null`.execute(db);
  await db.schema.createIndex('project_events_actor').on('project_events').columns(['actor_id', 'recorded_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('project_events_actor').execute();
  await db.schema.dropTable('tasks').execute();
}
