import { sql, type Kysely } from 'kysely';

/**
 * The org tree and users, cycles and their launch queue, and the normalised projection of each
 * project's details (indicators, milestones, member items, evidence, inspections, findings, ledger,
 * self-assessment, acceptance) that the committee counts and reports on.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('orgs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('parent_id', 'text', (c) => c.references('orgs.id'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('committee','unit','organ_committee','branch')`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('secretary_id', 'text')
    .execute();
  await db.schema.createIndex('orgs_parent').on('orgs').column('parent_id').execute();

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('committee','secretary','inspector','auditor','member')`))
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .execute();

  await db.schema
    .createTable('cycles')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('year', 'integer', (c) => c.notNull())
    .addColumn('config', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open'))
    .addColumn('opened_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('launched_at', 'timestamptz')
    .execute();

  // The projects a cycle will launch; `started_at` makes launching idempotent and resumable.
  await db.schema
    .createTable('cycle_projects')
    .addColumn('cycle_id', 'text', (c) => c.notNull().references('cycles.id'))
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('create_event', 'jsonb', (c) => c.notNull())
    .addColumn('planned_children', 'jsonb', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz')
    .addPrimaryKeyConstraint('cycle_projects_pk', ['cycle_id', 'project_id'])
    .execute();
  await db.schema.createIndex('cycle_projects_pending').on('cycle_projects').columns(['cycle_id', 'started_at', 'position']).execute();

  const child = (name: string) => db.schema.createTable(name).addColumn('project_id', 'text', (c) => c.notNull());
  await child('project_indicators')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('unit', 'text', (c) => c.notNull())
    .addColumn('baseline', 'double precision', (c) => c.notNull())
    .addColumn('target', 'double precision', (c) => c.notNull())
    .addColumn('weight', 'double precision', (c) => c.notNull())
    .addColumn('actual', 'double precision')
    .addPrimaryKeyConstraint('project_indicators_pk', ['project_id', 'id'])
    .execute();
  await child('project_milestones')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('due', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('project_milestones_pk', ['project_id', 'id'])
    .execute();
  await child('member_items')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('target', 'double precision', (c) => c.notNull())
    .addColumn('actual', 'double precision')
    .addColumn('unit', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('member_items_pk', ['project_id', 'id'])
    .execute();
  await child('evidence')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('quarter', 'integer')
    .addColumn('milestone_id', 'text')
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('files', 'jsonb', (c) => c.notNull())
    .addColumn('indicator_actuals', 'jsonb', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('supersedes', 'text')
    .addColumn('superseded_by', 'text')
    .addColumn('submitted_by', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('evidence_pk', ['project_id', 'id'])
    .execute();
  await child('inspections')
    .addColumn('quarter', 'integer', (c) => c.notNull())
    .addColumn('due', 'boolean', (c) => c.notNull())
    .addColumn('rating', 'text')
    .addColumn('missing_evidence', 'boolean', (c) => c.notNull())
    .addColumn('findings', 'jsonb', (c) => c.notNull())
    .addColumn('inspector_id', 'text')
    .addColumn('at', 'text')
    .addPrimaryKeyConstraint('inspections_pk', ['project_id', 'quarter'])
    .execute();
  await child('ledger_entries')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('quarter', 'integer', (c) => c.notNull())
    .addColumn('problem', 'text', (c) => c.notNull())
    .addColumn('responsible_org_id', 'text', (c) => c.notNull())
    .addColumn('responsible_person_id', 'text', (c) => c.notNull())
    .addColumn('measures', 'text', (c) => c.notNull())
    .addColumn('deadline', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reports', 'integer', (c) => c.notNull())
    .addColumn('send_backs', 'integer', (c) => c.notNull())
    .addColumn('closed_at', 'text')
    .addColumn('warned_at', 'text')
    .addColumn('escalated_at', 'text')
    .addPrimaryKeyConstraint('ledger_entries_pk', ['project_id', 'id'])
    .execute();
  await child('self_assessments')
    .addColumn('scores', 'jsonb', (c) => c.notNull())
    .addColumn('total', 'double precision', (c) => c.notNull())
    .addColumn('narrative', 'text', (c) => c.notNull())
    .addColumn('business_impact', 'text', (c) => c.notNull())
    .addColumn('by', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('self_assessments_pk', ['project_id'])
    .execute();
  await child('acceptances')
    .addColumn('criterion_scores', 'jsonb', (c) => c.notNull())
    .addColumn('raw_score', 'double precision', (c) => c.notNull())
    .addColumn('deductions', 'jsonb', (c) => c.notNull())
    .addColumn('final_score', 'double precision', (c) => c.notNull())
    .addColumn('grade', 'text', (c) => c.notNull())
    .addColumn('by', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('acceptances_pk', ['project_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['acceptances', 'self_assessments', 'ledger_entries', 'inspections', 'evidence', 'member_items', 'project_milestones', 'project_indicators', 'cycle_projects', 'cycles', 'users', 'orgs']) {
    await db.schema.dropTable(t).execute();
  }
}
