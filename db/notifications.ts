/**
 * Notifications that arrive (通知送达): the SQL of the relay (fan-out of outbox rows to delivery
 * rows, claiming due rows with `FOR UPDATE SKIP LOCKED` under a lease, settling them), of each
 * person's inbox and delivery channels, and of the dead letters committee staff re-drive.
 */
import { sql } from 'kysely';
import type { Db } from '.';
import type { DeliveryChannel, DeliveryStatus } from './types';

// ---- The relay ------------------------------------------------------------------------------------

/**
 * Fans up to `limit` outbox rows out to one delivery row per channel of their recipient, in one
 * transaction: the row enters the inbox (`inbox_at`, a delivered `inbox` delivery) and gets a
 * pending `webhook` / `email` delivery for each channel the recipient enabled. Rows another relay
 * is fanning out are skipped (SKIP LOCKED); `on conflict do nothing` keeps a replay harmless.
 * Returns how many outbox rows were fanned out.
 */
export async function fanOutNotifications(db: Db, limit = 200): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('notifications')
      .select(['id', 'recipient_id'])
      .where('inbox_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute();
    if (rows.length === 0) return 0;
    const recipients = [...new Set(rows.map((r) => r.recipient_id))];
    const channels = await trx
      .selectFrom('notification_channels')
      .innerJoin('users', 'users.id', 'notification_channels.user_id')
      .select(['user_id', 'webhook_url', 'webhook_enabled', 'email', 'email_enabled'])
      .where('user_id', 'in', recipients)
      .where('users.disabled_at', 'is', null)
      .execute();
    const byUser = new Map(channels.map((c) => [c.user_id, c]));
    const now = new Date();
    const deliveries: { notification_id: string; recipient_id: string; channel: DeliveryChannel; status: DeliveryStatus; delivered_at: Date | null }[] = [];
    const inboxOnly: string[] = [];
    const withChannels: string[] = [];
    for (const row of rows) {
      const c = byUser.get(row.recipient_id);
      deliveries.push({ notification_id: row.id, recipient_id: row.recipient_id, channel: 'inbox', status: 'delivered', delivered_at: now });
      let more = false;
      if (c?.webhook_enabled && c.webhook_url) {
        deliveries.push({ notification_id: row.id, recipient_id: row.recipient_id, channel: 'webhook', status: 'pending', delivered_at: null });
        more = true;
      }
      if (c?.email_enabled && c.email) {
        deliveries.push({ notification_id: row.id, recipient_id: row.recipient_id, channel: 'email', status: 'pending', delivered_at: null });
        more = true;
      }
      (more ? withChannels : inboxOnly).push(row.id);
    }
    await trx.insertInto('notification_deliveries').values(deliveries).onConflict((oc) => oc.columns(['notification_id', 'channel']).doNothing()).execute();
    if (inboxOnly.length > 0) await trx.updateTable('notifications').set({ inbox_at: now, delivered_at: now }).where('id', 'in', inboxOnly).execute();
    if (withChannels.length > 0) await trx.updateTable('notifications').set({ inbox_at: now }).where('id', 'in', withChannels).execute();
    return rows.length;
  });
}

/** A delivery a relay holds: the notification, and the recipient's channel as it stands now. */
export interface ClaimedDelivery {
  id: number;
  channel: Exclude<DeliveryChannel, 'inbox'>;
  /** Counting this one. */
  attempts: number;
  leaseToken: string;
  notification: { id: string; projectId: string; cycleId: string; recipientId: string; recipientName: string | null; kind: string; message: string; at: string; createdAt: Date };
  webhook: { url: string; secret: string } | null;
  email: string | null;
}

/**
 * Claims up to `limit` due deliveries for this relay: in one short statement, rows no other relay
 * holds (SKIP LOCKED) get the attempt counted, the lease token, and a due time at the lease's end,
 * so the rows of a relay that dies mid-delivery are claimed again once the lease runs out.
 */
export async function claimDueDeliveries(db: Db, options: { limit: number; leaseMs: number; leaseToken: string }): Promise<ClaimedDelivery[]> {
  const claimed = await sql<{ id: number }>`
    with due as (
      select id from notification_deliveries
      where status = 'pending' and next_attempt_at <= now()
      order by next_attempt_at, id
      limit ${options.limit}
      for update skip locked
    )
    update notification_deliveries d
       set attempts = d.attempts + 1,
           lease_token = ${options.leaseToken},
           next_attempt_at = now() + ${options.leaseMs} * interval '1 millisecond',
           updated_at = now()
      from due
     where d.id = due.id
    returning d.id`.execute(db);
  if (claimed.rows.length === 0) return [];
  const rows = await db
    .selectFrom('notification_deliveries as d')
    .innerJoin('notifications as n', 'n.id', 'd.notification_id')
    .leftJoin('notification_channels as c', 'c.user_id', 'd.recipient_id')
    .leftJoin('users as u', 'u.id', 'd.recipient_id')
    .select([
      'd.id',
      'd.channel',
      'd.attempts',
      'n.id as notification_id',
      'n.project_id',
      'n.cycle_id',
      'n.recipient_id',
      'n.kind',
      'n.message',
      'n.at',
      'n.created_at',
      'u.name as recipient_name',
      'u.disabled_at',
      'c.webhook_url',
      'c.webhook_secret',
      'c.webhook_enabled',
      'c.email',
      'c.email_enabled',
    ])
    .where(
      'd.id',
      'in',
      claimed.rows.map((r) => r.id),
    )
    .execute();
  return rows.map((r) => {
    const active = r.disabled_at === null;
    return {
      id: r.id,
      channel: r.channel as ClaimedDelivery['channel'],
      attempts: r.attempts,
      leaseToken: options.leaseToken,
      notification: { id: r.notification_id, projectId: r.project_id, cycleId: r.cycle_id, recipientId: r.recipient_id, recipientName: r.recipient_name, kind: r.kind, message: r.message, at: r.at, createdAt: r.created_at },
      webhook: active && r.webhook_enabled && r.webhook_url && r.webhook_secret ? { url: r.webhook_url, secret: r.webhook_secret } : null,
      email: active && r.email_enabled && r.email ? r.email : null,
    };
  });
}

/**
 * Settles a delivery this relay still holds (its lease token): `delivered`, `cancelled` (the
 * channel was switched off since), or a failure — `dead` once `attempts` reached the maximum,
 * else pending again at `retryAt`. Then the notification is marked delivered when none of its
 * deliveries is pending or dead. False when the lease was lost (another relay took the row over).
 */
export async function settleDelivery(
  db: Db,
  delivery: Pick<ClaimedDelivery, 'id' | 'leaseToken'> & { notificationId: string },
  outcome: { status: 'delivered' } | { status: 'cancelled'; reason: string } | { status: 'failed'; error: string; dead: boolean; retryAt: Date },
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const base = trx
      .updateTable('notification_deliveries')
      .where('id', '=', delivery.id)
      .where('lease_token', '=', delivery.leaseToken)
      .where('status', '=', 'pending');
    const now = new Date();
    const result =
      outcome.status === 'delivered'
        ? await base.set({ status: 'delivered', delivered_at: now, lease_token: null, last_error: null, updated_at: now }).executeTakeFirst()
        : outcome.status === 'cancelled'
          ? await base.set({ status: 'cancelled', lease_token: null, last_error: outcome.reason, updated_at: now }).executeTakeFirst()
          : await base
              .set({ status: outcome.dead ? 'dead' : 'pending', next_attempt_at: outcome.retryAt, lease_token: null, last_error: outcome.error.slice(0, 2000), updated_at: now })
              .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return false;
    if (outcome.status !== 'failed') {
      await trx
        .updateTable('notifications')
        .set({ delivered_at: now })
        .where('id', '=', delivery.notificationId)
        .where('delivered_at', 'is', null)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('notification_deliveries')
                .select('id')
                .whereRef('notification_id', '=', 'notifications.id')
                .where('status', 'in', ['pending', 'dead']),
            ),
          ),
        )
        .execute();
    }
    return true;
  });
}

// ---- The inbox ----------------------------------------------------------------------------------

export interface InboxItem {
  id: string;
  projectId: string;
  cycleId: string;
  kind: string;
  message: string;
  at: string;
  createdAt: Date;
  readAt: Date | null;
}

/** The person's inbox, newest first, with the unread count (of the whole inbox, whatever the page). */
export async function listInbox(db: Db, userId: string, options: { limit: number; offset: number; unreadOnly: boolean }): Promise<{ total: number; unread: number; items: InboxItem[] }> {
  const mine = db.selectFrom('notifications').where('recipient_id', '=', userId).where('inbox_at', 'is not', null);
  const page = options.unreadOnly ? mine.where('read_at', 'is', null) : mine;
  const [counts, rows] = await Promise.all([
    mine
      .select(({ fn }) => [fn.countAll<number>().as('total'), fn.count<number>('id').filterWhere('read_at', 'is', null).as('unread')])
      .executeTakeFirstOrThrow(),
    page
      .select(['id', 'project_id', 'cycle_id', 'kind', 'message', 'at', 'created_at', 'read_at'])
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit)
      .offset(options.offset)
      .execute(),
  ]);
  return {
    total: options.unreadOnly ? Number(counts.unread) : Number(counts.total),
    unread: Number(counts.unread),
    items: rows.map((r) => ({ id: r.id, projectId: r.project_id, cycleId: r.cycle_id, kind: r.kind, message: r.message, at: r.at, createdAt: r.created_at, readAt: r.read_at })),
  };
}

/** Marks one of the person's own notifications read (kept as first read); undefined when it is not theirs or not in their inbox. */
export async function markNotificationRead(db: Db, userId: string, id: string): Promise<{ id: string; readAt: Date } | undefined> {
  const updated = await db
    .updateTable('notifications')
    .set({ read_at: sql<Date>`coalesce(read_at, now())` })
    .where('id', '=', id)
    .where('recipient_id', '=', userId)
    .where('inbox_at', 'is not', null)
    .returning(['id', 'read_at'])
    .executeTakeFirst();
  return updated?.read_at ? { id: updated.id, readAt: updated.read_at } : undefined;
}

/** Marks every unread notification in the person's inbox read; returns how many. */
export async function markAllNotificationsRead(db: Db, userId: string): Promise<number> {
  const result = await db
    .updateTable('notifications')
    .set({ read_at: sql<Date>`now()` })
    .where('recipient_id', '=', userId)
    .where('inbox_at', 'is not', null)
    .where('read_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

// ---- Channels -------------------------------------------------------------------------------------

export interface ChannelSettings {
  webhookUrl: string | null;
  webhookEnabled: boolean;
  webhookSecretSet: boolean;
  email: string | null;
  emailEnabled: boolean;
  updatedAt: Date | null;
}

export async function channelSettings(db: Db, userId: string): Promise<ChannelSettings> {
  const row = await db.selectFrom('notification_channels').selectAll().where('user_id', '=', userId).executeTakeFirst();
  if (!row) return { webhookUrl: null, webhookEnabled: false, webhookSecretSet: false, email: null, emailEnabled: false, updatedAt: null };
  return { webhookUrl: row.webhook_url, webhookEnabled: row.webhook_enabled, webhookSecretSet: row.webhook_secret !== null, email: row.email, emailEnabled: row.email_enabled, updatedAt: row.updated_at };
}

/** The stored webhook secret, for the service deciding whether one must be generated. */
export async function webhookSecretOf(db: Db, userId: string): Promise<string | null> {
  const row = await db.selectFrom('notification_channels').select('webhook_secret').where('user_id', '=', userId).executeTakeFirst();
  return row?.webhook_secret ?? null;
}

/** Stores the person's channels (`webhookSecret` undefined: keep the stored one). */
export async function saveChannelSettings(
  db: Db,
  userId: string,
  settings: { webhookUrl: string | null; webhookEnabled: boolean; webhookSecret?: string | null; email: string | null; emailEnabled: boolean },
): Promise<void> {
  const values = {
    webhook_url: settings.webhookUrl,
    webhook_enabled: settings.webhookEnabled,
    email: settings.email,
    email_enabled: settings.emailEnabled,
    updated_at: new Date(),
    ...(settings.webhookSecret !== undefined ? { webhook_secret: settings.webhookSecret } : {}),
  };
  await db
    .insertInto('notification_channels')
    .values({ user_id: userId, ...values })
    .onConflict((oc) => oc.column('user_id').doUpdateSet(values))
    .execute();
}

// ---- Dead letters ---------------------------------------------------------------------------------

export interface DeadLetter {
  id: number;
  notificationId: string;
  recipientId: string;
  channel: DeliveryChannel;
  attempts: number;
  lastError: string | null;
  deadSince: Date;
  kind: string;
  message: string;
  projectId: string;
}

/** Deliveries that gave up, most recent first. */
export async function listDeadLetters(db: Db, options: { limit: number; offset: number }): Promise<{ total: number; items: DeadLetter[] }> {
  const dead = db.selectFrom('notification_deliveries as d').where('d.status', '=', 'dead');
  const [count, rows] = await Promise.all([
    dead.select(({ fn }) => fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    dead
      .innerJoin('notifications as n', 'n.id', 'd.notification_id')
      .select(['d.id', 'd.notification_id', 'd.recipient_id', 'd.channel', 'd.attempts', 'd.last_error', 'd.updated_at', 'n.kind', 'n.message', 'n.project_id'])
      .orderBy('d.updated_at', 'desc')
      .orderBy('d.id', 'desc')
      .limit(options.limit)
      .offset(options.offset)
      .execute(),
  ]);
  return {
    total: Number(count.n),
    items: rows.map((r) => ({
      id: r.id,
      notificationId: r.notification_id,
      recipientId: r.recipient_id,
      channel: r.channel,
      attempts: r.attempts,
      lastError: r.last_error,
      deadSince: r.updated_at,
      kind: r.kind,
      message: r.message,
      projectId: r.project_id,
    })),
  };
}

/** Puts a dead delivery back in the queue, due now, with its attempts reset. */
export async function redriveDelivery(db: Db, id: number): Promise<'not_found' | 'not_dead' | { id: number; status: DeliveryStatus; attempts: number; nextAttemptAt: Date }> {
  const row = await db
    .updateTable('notification_deliveries')
    .set({ status: 'pending', attempts: 0, next_attempt_at: sql<Date>`now()`, lease_token: null, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .where('status', '=', 'dead')
    .returning(['id', 'status', 'attempts', 'next_attempt_at'])
    .executeTakeFirst();
  if (row) return { id: row.id, status: row.status, attempts: row.attempts, nextAttemptAt: row.next_attempt_at };
  const exists = await db.selectFrom('notification_deliveries').select('id').where('id', '=', id).executeTakeFirst();
  return exists ? 'not_dead' : 'not_found';
}
