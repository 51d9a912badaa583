import { sql, type Kysely } from 'kysely';

/**
 * People and organisations as managed data, and signing in: users get credentials (username or
 * mobile number, an argon2id password hash, an OIDC subject), a disabled flag and timestamps; orgs
 * can be closed; browser sessions live server-side; personal API tokens get a public id; failed
 * sign-ins are counted per account and per address in the database (shared by every API process);
 * and every identity change is recorded in `security_events` for auditors. A cycle keeps the
 * snapshot of the org tree it was opened with.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('username', 'text', (c) => c.unique())
    .addColumn('mobile', 'text', (c) => c.unique())
    .addColumn('password_hash', 'text')
    .addColumn('must_change_password', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('oidc_subject', 'text', (c) => c.unique())
    .addColumn('disabled_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .alterTable('orgs')
    .addColumn('closed_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.alterTable('cycles').addColumn('org_snapshot', 'jsonb').execute();

  await db.schema.alterTable('api_tokens').addColumn('id', 'text').addColumn('last_used_at', 'timestamptz').execute();
  await sql`update api_tokens set id = 'tok-' || substr(token_hash, 1, 16) where id is null`.execute(db);
  await sql`alter table api_tokens alter column id set not null`.execute(db);
  await sql`alter table api_tokens alter column id set default ('tok-' || substr(md5(gen_random_uuid()::text), 1, 16))`.execute(db);
  await db.schema.createIndex('api_tokens_id').unique().on('api_tokens').column('id').execute();
  await db.schema.createIndex('api_tokens_user').on('api_tokens').column('user_id').execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('via', 'text', (c) => c.notNull().defaultTo('password'))
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

  await db.schema
    .createTable('sign_in_failures')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('window_start', 'timestamptz', (c) => c.notNull())
    .addColumn('locked_until', 'timestamptz')
    .execute();

  await db.schema
    .createTable('security_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('subject', 'text')
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('detail', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema.createIndex('security_events_at').on('security_events').column('at').execute();
  await db.schema.createIndex('security_events_subject').on('security_events').column('subject').execute();
  await db.schema.createIndex('security_events_actor').on('security_events').column('actor_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('security_events').execute();
  await db.schema.dropTable('sign_in_failures').execute();
  await db.schema.dropTable('sessions').execute();
  await db.schema.alterTable('api_tokens').dropColumn('last_used_at').dropColumn('id').execute();
  await db.schema.alterTable('cycles').dropColumn('org_snapshot').execute();
  await db.schema.alterTable('orgs').dropColumn('updated_at').dropColumn('created_at').dropColumn('closed_at').execute();
  await db.schema
    .alterTable('users')
    .dropColumn('updated_at')
    .dropColumn('created_at')
    .dropColumn('disabled_at')
    .dropColumn('oidc_subject')
    .dropColumn('must_change_password')
    .dropColumn('password_hash')
    .dropColumn('mobile')
    .dropColumn('username')
    .execute();
}
