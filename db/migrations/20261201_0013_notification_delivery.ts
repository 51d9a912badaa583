import { sql, type Kysely } from 'kysely';

/**
 * Notifications that arrive: the outbox rows get an inbox (`inbox_at`: fanned out by a relay and
 * shown in the recipient's inbox; `read_at`), each person's delivery channels (webhook with its
 * signing secret, e-mail), and one delivery row per notification and channel, unique on the pair,
 * which the relays claim with `FOR UPDATE SKIP LOCKED`, retry with back-off and dead-letter.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('notifications').addColumn('inbox_at', 'timestamptz').addColumn('read_at', 'timestamptz').execute();
  // What the relays still have to fan out, and each person's inbox, newest first.
  await sql`create index notifications_not_fanned_out on notifications (created_at) where inbox_at is null`.execute(db);
  await sql`create index notifications_inbox on notifications (recipient_id, created_at desc, id) where inbox_at is not null`.execute(db);

  await db.schema
    .createTable('notification_channels')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('webhook_url', 'text')
    .addColumn('webhook_secret', 'text')
    .addColumn('webhook_enabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('email', 'text')
    .addColumn('email_enabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('notification_deliveries')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('notification_id', 'text', (c) => c.notNull().references('notifications.id').onDelete('cascade'))
    .addColumn('recipient_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('inbox', 'webhook', 'email')`))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'delivered', 'dead', 'cancelled')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    // Due time while pending; while a relay holds the row, the end of its lease.
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('lease_token', 'text')
    .addColumn('last_error', 'text')
    .addColumn('delivered_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('notification_deliveries_once', ['notification_id', 'channel'])
    .execute();
  await sql`create index notification_deliveries_due on notification_deliveries (next_attempt_at) where status = 'pending'`.execute(db);
  await sql`create index notification_deliveries_dead on notification_deliveries (updated_at desc, id) where status = 'dead'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('notification_deliveries').execute();
  await db.schema.dropTable('notification_channels').execute();
  await sql`drop index if exists notifications_inbox`.execute(db);
  await sql`drop index if exists notifications_not_fanned_out`.execute(db);
  await db.schema.alterTable('notifications').dropColumn('read_at').dropColumn('inbox_at').execute();
}
