/**
 * Notifications that arrive: the relay against real receivers started here — an HTTP webhook
 * receiver that fails the first attempts and checks every signature, and an SMTP server that
 * refuses the first attempt of each e-mail — on the real PostgreSQL, with a project workflow on
 * the real Temporal firing the reminders of a compressed quarter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db';
import { claimDueDeliveries, fanOutNotifications, saveChannelSettings } from '../../db/notifications';
import { startRelay, type Relay, type RelayOptions } from '../../notifications/relay';
import { compressedCycle, proposal } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';
import { testLogger } from '../helpers/infra';
import { startSmtpReceiver, startWebhookReceiver, type SmtpReceiver, type WebhookReceiver } from '../helpers/notification-receivers';
import { waitUntil } from '../helpers/wait';
import { buildApp } from '../../api/app';

const FAST: Partial<RelayOptions> = { pollMs: 100, backoff: { baseMs: 200, capMs: 1000 } };

/** Writes outbox rows as the workflows' activity does. */
async function writeOutbox(db: Db, recipientId: string, prefix: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}:${i + 1}:${recipientId}`);
  await db
    .insertInto('notifications')
    .values(ids.map((id) => ({ id, project_id: `p-${prefix}`, cycle_id: 'cy-notify', recipient_id: recipientId, kind: 'monthly_reminder', message: `月提示：请推进项目《${prefix}》。`, at: new Date().toISOString() })))
    .execute();
  return ids;
}

async function deliveriesOf(db: Db, ids: string[]) {
  return db.selectFrom('notification_deliveries').selectAll().where('notification_id', 'in', ids).orderBy('id').execute();
}

describe('notifications that arrive (inbox, webhook, e-mail)', () => {
  // The calendar starts 30 s from now: time for the harness and for the project to reach its letter before the proposal deadline.
  const cycle = compressedCycle('cy-notify', Date.now() + 30_000);
  const h = useHarness({ name: 'notify', cycle });
  const relays: Relay[] = [];
  const receivers: { close(): Promise<void> }[] = [];
  const relay = (options: Partial<RelayOptions> = {}) => {
    const r = startRelay({ db: h.db, log: testLogger, ...FAST, ...options });
    relays.push(r);
    return r;
  };
  afterAll(async () => {
    await Promise.all(relays.map((r) => r.stop()));
    await Promise.all(receivers.map((r) => r.close()));
  });

  describe('a compressed quarter: the reminders reach the inbox, the webhook and the mailbox exactly once each, with both receivers down at first', () => {
    let webhook: WebhookReceiver;
    let smtp: SmtpReceiver;
    let mainRelay: Relay;
    const secretary = 'u-sec-oc1';

    beforeAll(async () => {
      webhook = await startWebhookReceiver({ failFirst: 2 });
      smtp = await startSmtpReceiver({ failFirst: 1 });
      receivers.push(webhook, smtp);
      const put = await h.app.inject({
        method: 'PUT',
        url: '/me/notification-settings',
        headers: h.as(secretary),
        payload: { webhookUrl: webhook.url, webhookEnabled: true, email: 'sec-oc1@example.org', emailEnabled: true },
      });
      expect(put.statusCode, put.body).toBe(200);
      webhook.secret = put.json().webhookSecret;
      expect(webhook.secret).toMatch(/^whsec_/);
      mainRelay = relay({ smtp: { url: smtp.url, from: '党建项目管理 <noreply@example.org>' } });
    });

    it('drives a project into its first quarter; the approval, the Q1 evidence reminder, the missing-evidence finding and the monthly reminder arrive', async () => {
      const { title, ...rest } = proposal(cycle.year, '走访企业优化营商环境');
      const created = await h.post(secretary, '/projects', { cycleId: cycle.cycleId, title, ...rest });
      expect(created.statusCode, created.body).toBe(201);
      const projectId: string = created.json().id;
      for (const [who, url, body] of [
        [secretary, `/projects/${projectId}/submit`, {}],
        ['u-committee', `/projects/${projectId}/review`, { decision: 'approve', comment: '同意立项' }],
        [secretary, `/projects/${projectId}/letter`, { text: '本人承诺履行党建项目第一责任人职责。' }],
      ] as const) {
        const res = await h.post(who, url, body);
        expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      }

      const kinds = ['proposal_approved', 'evidence_due', 'evidence_missing', 'monthly_reminder'];
      const mine = () => h.db.selectFrom('notifications').selectAll().where('recipient_id', '=', secretary).where('project_id', '=', projectId).execute();
      // Q1's deadline is 70 s after the file started, the first monthly reminder 80 s.
      const rows = await waitUntil(
        'the quarter’s reminders delivered on every channel',
        async () => {
          const all = await mine();
          return kinds.every((k) => all.some((n) => n.kind === k && n.delivered_at !== null)) ? all : undefined;
        },
        150_000,
        500,
      );
      const delivered = rows.filter((n) => kinds.includes(n.kind));
      const ids = delivered.map((n) => n.id);

      // Inbox: each once, unread.
      const inbox = await h.get(secretary, '/me/notifications?limit=200');
      expect(inbox.statusCode, inbox.body).toBe(200);
      const inboxIds: string[] = inbox.json().items.map((n: { id: string }) => n.id);
      for (const id of ids) expect(inboxIds.filter((x) => x === id), id).toHaveLength(1);
      expect(inbox.json().unread).toBe(inbox.json().total);

      // Webhook: refused twice, then accepted exactly once, every request signed correctly.
      for (const id of ids) {
        expect(webhook.accepted.get(id), id).toHaveLength(1);
        expect(webhook.calls.filter((c) => c.id === id).map((c) => c.status), id).toEqual([500, 500, 200]);
        expect(webhook.accepted.get(id)![0]).toMatchObject({ id, message: rows.find((n) => n.id === id)!.message });
      }
      expect(webhook.calls.every((c) => c.signatureOk)).toBe(true);

      // E-mail: refused once, then accepted exactly once, in Chinese, to the address set.
      for (const n of delivered) {
        expect(smtp.attempts.get(n.id), n.id).toBe(2);
        const mails = smtp.accepted.get(n.id) ?? [];
        expect(mails, n.id).toHaveLength(1);
        expect(mails[0].subject).toMatch(/^【党建项目提醒】/);
        expect(mails[0].text).toContain(n.message);
        const to = Array.isArray(mails[0].to) ? mails[0].to[0] : mails[0].to;
        expect(to?.value[0]?.address).toBe('sec-oc1@example.org');
      }

      const deliveries = await deliveriesOf(h.db, ids);
      expect(deliveries.map((d) => `${d.channel}:${d.status}:${d.channel === 'webhook' ? d.attempts : d.channel === 'email' ? d.attempts : 'in'}`).sort()).toEqual(
        ids.flatMap(() => ['email:delivered:2', 'inbox:delivered:in', 'webhook:delivered:3']).sort(),
      );
      // From here on this person's notifications stay in the inbox only.
      const off = await h.app.inject({ method: 'PUT', url: '/me/notification-settings', headers: h.as(secretary), payload: { webhookUrl: webhook.url, webhookEnabled: false, email: null, emailEnabled: false } });
      expect(off.statusCode, off.body).toBe(200);
      await mainRelay.stop();
    });
  });

  it('two relays at once deliver every notification exactly once (FOR UPDATE SKIP LOCKED)', async () => {
    const webhook = await startWebhookReceiver({ delayMs: 30 });
    receivers.push(webhook);
    webhook.secret = 'whsec_two-relays-secret-0123456789';
    await saveChannelSettings(h.db, 'u-sec-b1', { webhookUrl: webhook.url, webhookEnabled: true, webhookSecret: webhook.secret, email: null, emailEnabled: false });
    const ids = await writeOutbox(h.db, 'u-sec-b1', 'two-relays', 40);
    const pair = [relay({ batchSize: 4, name: 'relay-a' }), relay({ batchSize: 4, name: 'relay-b' })];
    await waitUntil('40 webhooks', async () => (ids.every((id) => webhook.accepted.has(id)) ? true : undefined), 60_000, 100);
    await waitUntil('all settled', async () => ((await deliveriesOf(h.db, ids)).every((d) => d.status === 'delivered') ? true : undefined), 10_000, 100);
    await Promise.all(pair.map((r) => r.stop()));
    for (const id of ids) expect(webhook.accepted.get(id), id).toHaveLength(1);
    expect(webhook.calls).toHaveLength(40);
    const deliveries = await deliveriesOf(h.db, ids);
    expect(deliveries).toHaveLength(80); // inbox + webhook, once each
    expect(deliveries.filter((d) => d.channel === 'webhook').every((d) => d.attempts === 1)).toBe(true);
    const notes = await h.db.selectFrom('notifications').select(['id', 'delivered_at', 'inbox_at']).where('id', 'in', ids).execute();
    expect(notes.every((n) => n.delivered_at !== null && n.inbox_at !== null)).toBe(true);
  });

  it('a relay that dies holding deliveries loses nothing: after its lease another relay delivers them, and rows written while no relay ran are delivered too', async () => {
    const webhook = await startWebhookReceiver();
    receivers.push(webhook);
    webhook.secret = 'whsec_lease-secret-0123456789';
    await saveChannelSettings(h.db, 'u-sec-b2', { webhookUrl: webhook.url, webhookEnabled: true, webhookSecret: webhook.secret, email: null, emailEnabled: false });
    const first = await writeOutbox(h.db, 'u-sec-b2', 'lease', 5);
    // A relay fans out and claims, then dies before sending anything (a SIGKILL between claim and send).
    expect(await fanOutNotifications(h.db)).toBeGreaterThanOrEqual(5);
    const webhooksBefore = webhook.calls.length;
    const held = await claimDueDeliveries(h.db, { limit: 100, leaseMs: 1500, leaseToken: 'dead-relay' });
    expect(held.map((d) => d.notification.id).filter((id) => first.includes(id)).sort()).toEqual([...first].sort());
    const later = await writeOutbox(h.db, 'u-sec-b2', 'after-restart', 3);
    const claimedAt = Date.now();
    relay();
    await waitUntil('the held and the new notifications delivered', async () => ([...first, ...later].every((id) => webhook.accepted.has(id)) ? true : undefined), 20_000, 50);
    // Nothing held was sent before its lease ran out.
    const heldCalls = webhook.calls.slice(webhooksBefore).filter((c) => first.includes(c.id));
    expect(heldCalls).toHaveLength(5);
    expect(Date.now() - claimedAt).toBeGreaterThanOrEqual(1400);
    for (const id of [...first, ...later]) expect(webhook.accepted.get(id), id).toHaveLength(1);
    // The receiver answers before the relay records the delivery: wait for the rows, not only the calls.
    const rows = await waitUntil(
      'the held deliveries recorded as delivered',
      async () => {
        const webhookRows = (await deliveriesOf(h.db, first)).filter((d) => d.channel === 'webhook');
        return webhookRows.every((d) => d.status === 'delivered') ? webhookRows : undefined;
      },
      10_000,
      50,
    );
    expect(rows.map((d) => [d.status, d.attempts])).toEqual(first.map(() => ['delivered', 2]));
  });

  it('dead-letters after N attempts; committee staff list and re-drive it, and it is delivered', async () => {
    // Only this test's relay, with its own attempt limit: a relay an earlier test left running (default
    // limit 8) would otherwise claim the delivery too and keep retrying it past 3.
    await Promise.all(relays.splice(0).map((r) => r.stop()));
    let up = false;
    const webhook = await startWebhookReceiver({ status: () => (up ? 200 : 503) });
    receivers.push(webhook);
    webhook.secret = 'whsec_dead-letter-secret-0123456789';
    await saveChannelSettings(h.db, 'u-sec-b3', { webhookUrl: webhook.url, webhookEnabled: true, webhookSecret: webhook.secret, email: null, emailEnabled: false });
    const [id] = await writeOutbox(h.db, 'u-sec-b3', 'dead', 1);
    relay({ maxAttempts: 3 });
    const dead = await waitUntil(
      'dead-lettered',
      async () => (await deliveriesOf(h.db, [id])).find((d) => d.channel === 'webhook' && d.status === 'dead'),
      20_000,
      100,
    );
    expect(dead.attempts).toBe(3);
    expect(dead.last_error).toContain('HTTP 503');
    expect(webhook.calls.filter((c) => c.id === id)).toHaveLength(3);
    expect((await h.db.selectFrom('notifications').select('delivered_at').where('id', '=', id).executeTakeFirstOrThrow()).delivered_at).toBeNull();

    for (const who of ['u-sec-b3', 'u-inspector', 'u-auditor']) {
      expect((await h.get(who, '/notifications/dead-letters')).statusCode, who).toBe(403);
      expect((await h.post(who, `/notifications/deliveries/${dead.id}/redrive`)).statusCode, who).toBe(403);
    }
    const list = await h.get('u-committee', '/notifications/dead-letters?limit=10');
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json().items).toEqual(expect.arrayContaining([expect.objectContaining({ id: dead.id, notificationId: id, recipientId: 'u-sec-b3', channel: 'webhook', attempts: 3 })]));

    up = true;
    const redriven = await h.post('u-committee', `/notifications/deliveries/${dead.id}/redrive`);
    expect(redriven.statusCode, redriven.body).toBe(200);
    expect(redriven.json()).toMatchObject({ id: dead.id, status: 'pending', attempts: 0 });
    await waitUntil('re-driven and delivered', async () => (webhook.accepted.has(id) ? true : undefined), 10_000, 50);
    await waitUntil('the notification delivered', async () => (await h.db.selectFrom('notifications').select('delivered_at').where('id', '=', id).executeTakeFirstOrThrow()).delivered_at ?? undefined, 5_000, 50);
    expect(webhook.accepted.get(id)).toHaveLength(1);
    expect((await h.post('u-committee', `/notifications/deliveries/${dead.id}/redrive`)).statusCode).toBe(409);
    expect((await h.post('u-committee', '/notifications/deliveries/999999999/redrive')).statusCode).toBe(404);
    expect((await h.get('u-committee', '/notifications/dead-letters')).json().items.some((d: { id: number }) => d.id === dead.id)).toBe(false);
  });

  it('the inbox: paging, unread count, read and read-all; nobody reads or marks another person’s notifications', async () => {
    const ids = await writeOutbox(h.db, 'u-member-b1', 'inbox', 5);
    const r = relay();
    await waitUntil('in the inbox', async () => ((await h.get('u-member-b1', '/me/notifications')).json().total === 5 ? true : undefined), 10_000, 100);
    await r.stop();

    const page = (await h.get('u-member-b1', '/me/notifications?limit=2&offset=1')).json();
    expect(page).toMatchObject({ total: 5, unread: 5, limit: 2, offset: 1 });
    expect(page.items).toHaveLength(2);
    // Newest first: the rows share created_at, so ids break the tie, descending.
    const all = (await h.get('u-member-b1', '/me/notifications')).json().items.map((n: { id: string }) => n.id);
    expect(new Set(all)).toEqual(new Set(ids));

    // Someone else can neither see nor mark them.
    expect((await h.get('u-sec-b1', '/me/notifications?limit=200')).json().items.some((n: { id: string }) => ids.includes(n.id))).toBe(false);
    const foreign = await h.post('u-sec-b1', `/me/notifications/${encodeURIComponent(ids[0])}/read`);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.headers['content-type']).toContain('application/problem+json');
    await h.post('u-committee', '/me/notifications/read-all');
    expect((await h.get('u-member-b1', '/me/notifications')).json().unread).toBe(5);

    const read = await h.post('u-member-b1', `/me/notifications/${encodeURIComponent(ids[0])}/read`);
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json().id).toBe(ids[0]);
    const again = await h.post('u-member-b1', `/me/notifications/${encodeURIComponent(ids[0])}/read`);
    expect(again.json().readAt).toBe(read.json().readAt);
    const unreadOnly = (await h.get('u-member-b1', '/me/notifications?unreadOnly=true')).json();
    expect(unreadOnly).toMatchObject({ total: 4, unread: 4 });
    expect(unreadOnly.items.map((n: { id: string }) => n.id)).not.toContain(ids[0]);

    const readAll = await h.post('u-member-b1', '/me/notifications/read-all');
    expect(readAll.json()).toEqual({ marked: 4 });
    const after = (await h.get('u-member-b1', '/me/notifications')).json();
    expect(after.unread).toBe(0);
    expect(after.items.every((n: { read: boolean }) => n.read)).toBe(true);
  });

  it('settings: URL and e-mail checked, the secret generated once and never shown again, set or rotated on request', async () => {
    const put = (payload: Record<string, unknown>) => h.app.inject({ method: 'PUT', url: '/me/notification-settings', headers: h.as('u-sec-u2'), payload });
    const base = { webhookUrl: 'https://oa.example.org/hooks/party', webhookEnabled: true, email: 'sec-u2@example.org', emailEnabled: true };
    for (const bad of [
      { ...base, webhookUrl: 'ftp://oa.example.org/x' },
      { ...base, webhookUrl: 'not a url' },
      { ...base, webhookUrl: 'https://user:pw@oa.example.org/' },
      { ...base, webhookUrl: null },
      { ...base, email: 'not-an-email' },
      { ...base, email: null },
      { ...base, webhookSecret: 'short' },
      { ...base, extra: 1 },
    ]) {
      const res = await put(bad);
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const first = await put(base);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ ...base, webhookSecretSet: true, webhookSecret: expect.stringMatching(/^whsec_/) });
    const second = await put(base);
    expect(second.json().webhookSecret).toBeNull();
    const read = await h.get('u-sec-u2', '/me/notification-settings');
    expect(read.json()).toMatchObject({ ...base, webhookSecretSet: true });
    expect(read.json()).not.toHaveProperty('webhookSecret');
    const rotated = await put({ ...base, rotateWebhookSecret: true });
    expect(rotated.json().webhookSecret).toMatch(/^whsec_/);
    expect(rotated.json().webhookSecret).not.toBe(first.json().webhookSecret);
    const own = await put({ ...base, webhookSecret: 'my-own-secret-0123456789' });
    expect(own.json().webhookSecret).toBe('my-own-secret-0123456789');
    // Each person has their own settings.
    expect((await h.get('u-sec-b3', '/me/notification-settings')).json().webhookUrl).not.toBe(base.webhookUrl);
  });

  it('without an SMTP server e-mail cannot be switched on (409, Chinese detail, nothing saved); the inbox and webhook still can', async () => {
    const noMail = await buildApp(h.appOptions({ emailDelivery: false }));
    try {
      const put = (payload: Record<string, unknown>) => noMail.inject({ method: 'PUT', url: '/me/notification-settings', headers: h.as('u-sec-u1'), payload });
      const before = (await h.get('u-sec-u1', '/me/notification-settings')).json();
      const refused = await put({ webhookUrl: null, webhookEnabled: false, email: 'sec-u1@example.org', emailEnabled: true });
      expect(refused.statusCode, refused.body).toBe(409);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.json()).toMatchObject({ field: 'emailEnabled', rule: 'notifications.email_unavailable', detail: expect.stringContaining('未配置邮件服务器') });
      expect((await h.get('u-sec-u1', '/me/notification-settings')).json()).toEqual(before);
      // An address may still be kept with e-mail off, and the webhook works as before.
      const kept = await put({ webhookUrl: 'https://oa.example.org/hooks/u1', webhookEnabled: true, email: 'sec-u1@example.org', emailEnabled: false });
      expect(kept.statusCode, kept.body).toBe(200);
      expect(kept.json()).toMatchObject({ email: 'sec-u1@example.org', emailEnabled: false, webhookEnabled: true });
    } finally {
      await noMail.close();
    }
  });
});
