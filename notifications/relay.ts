/**
 * The notification relay (通知投递): one per API and worker process. It fans the workflows'
 * outbox rows out to their recipients' channels (the inbox at once; webhook and e-mail as
 * delivery rows), claims due deliveries with `FOR UPDATE SKIP LOCKED` under a lease, delivers
 * them, and retries failures with exponential back-off and jitter until they are dead-lettered.
 *
 * At least once: a delivery is settled only after the receiver accepted it, so a relay that dies
 * in between leaves the row leased; it comes back when the lease runs out and is sent again, with
 * the same `idempotency-key` (webhook) or Message-ID (e-mail) for the receiver to drop the copy.
 * The inbox is the outbox row itself, so it can hold nothing twice.
 */
import { createHash, randomUUID } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Db } from '../db';
import { claimDueDeliveries, fanOutNotifications, settleDelivery, type ClaimedDelivery } from '../db/notifications';
import { backoffMs, DEFAULT_BACKOFF, emailContent, IDEMPOTENCY_HEADER, SIGNATURE_HEADER, signWebhook, webhookBody, type BackoffPolicy } from './delivery';

export interface RelayOptions {
  db: Db;
  log: Logger;
  /** Pause between rounds that found nothing to do (ms; default 2000). */
  pollMs?: number;
  /** Attempts per channel before the delivery is dead (default 8). */
  maxAttempts?: number;
  backoff?: BackoffPolicy;
  /** How long a claimed delivery belongs to this relay before another may take it over (ms; default 60 s, beyond the send timeouts). */
  leaseMs?: number;
  /** Deliveries claimed per round (default 20). */
  batchSize?: number;
  /** Per-request deadline of a webhook call (ms; default 10 s). */
  webhookTimeoutMs?: number;
  /** SMTP server (URL as nodemailer takes it) and sender; null: e-mails fail (and dead-letter). */
  smtp?: { url: string; from: string } | null;
  /** Names this relay in logs. */
  name?: string;
}

export interface Relay {
  /** Runs one round at once (fan-out, claim, deliver); resolves with what it did. */
  runOnce(): Promise<{ fannedOut: number; delivered: number; failed: number }>;
  /** Stops polling; resolves when the round in flight has finished (its deliveries settled). */
  stop(): Promise<void>;
}

class DeliveryError extends Error {}

/** Starts a relay polling in the background; `stop()` ends it. */
export function startRelay(options: RelayOptions): Relay {
  const relay = createRelay(options);
  let stopped = false;
  let wake: (() => void) | null = null;
  const pollMs = options.pollMs ?? 2000;
  const log = relay.log;
  const loop = (async () => {
    while (!stopped) {
      let busy = false;
      try {
        const round = await relay.runOnce();
        busy = round.fannedOut + round.delivered + round.failed > 0;
      } catch (err) {
        // A database outage: try again after the pause; nothing claimed is lost (leases expire).
        log.warn({ err }, 'notification relay round failed');
      }
      if (stopped) break;
      if (!busy) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pollMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
      }
    }
  })();
  log.info({ pollMs }, 'notification relay started');
  return {
    runOnce: relay.runOnce,
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      relay.close();
      log.info('notification relay stopped');
    },
  };
}

/** A relay without its loop: `runOnce` does one round (tests drive it step by step). */
export function createRelay(options: RelayOptions): { runOnce: Relay['runOnce']; close(): void; log: Logger } {
  const { db } = options;
  const name = options.name ?? `relay-${randomUUID().slice(0, 8)}`;
  const log = options.log.child({ component: 'notification-relay', relay: name });
  const maxAttempts = options.maxAttempts ?? 8;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const leaseMs = options.leaseMs ?? 60_000;
  const batchSize = options.batchSize ?? 20;
  const webhookTimeoutMs = options.webhookTimeoutMs ?? 10_000;
  const mailer = options.smtp ? nodemailer.createTransport(options.smtp.url) : null;

  async function deliverWebhook(d: ClaimedDelivery): Promise<void> {
    const { url, secret } = d.webhook!;
    const body = webhookBody(d.notification, d.attempts);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          [SIGNATURE_HEADER]: signWebhook(secret, body, Math.floor(Date.now() / 1000)),
          [IDEMPOTENCY_HEADER]: d.notification.id,
          'user-agent': 'party-projects-notification-relay',
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(webhookTimeoutMs),
      });
    } catch (err) {
      throw new DeliveryError(`webhook 请求失败：${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`);
    }
    // The answer's body is not needed; drain it so the connection is released.
    await response.body?.cancel().catch(() => undefined);
    if (response.status < 200 || response.status >= 300) throw new DeliveryError(`webhook 接收方返回 HTTP ${response.status}`);
  }

  async function deliverEmail(d: ClaimedDelivery): Promise<void> {
    if (!mailer || !options.smtp) throw new DeliveryError('未配置邮件服务器（SMTP_URL），无法发送邮件');
    const { subject, text } = emailContent(d.notification);
    // The same Message-ID on every attempt lets a mail system drop a duplicate.
    const messageId = `<${createHash('sha256').update(d.notification.id).digest('hex').slice(0, 32)}@party-projects>`;
    try {
      await mailer.sendMail({ from: options.smtp.from, to: d.email!, subject, text, messageId, headers: { 'X-PP-Notification-Id': d.notification.id } });
    } catch (err) {
      throw new DeliveryError(`邮件发送失败：${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async function deliver(d: ClaimedDelivery): Promise<'delivered' | 'failed' | 'lost'> {
    const notificationId = d.notification.id;
    // The person switched the channel off (or was disabled) since the fan-out: nothing to send.
    if ((d.channel === 'webhook' && !d.webhook) || (d.channel === 'email' && !d.email)) {
      const settled = await settleDelivery(db, { id: d.id, leaseToken: d.leaseToken, notificationId }, { status: 'cancelled', reason: '该渠道已停用' });
      return settled ? 'delivered' : 'lost';
    }
    try {
      if (d.channel === 'webhook') await deliverWebhook(d);
      else await deliverEmail(d);
    } catch (err) {
      const error = err instanceof DeliveryError ? err.message : `投递异常：${err instanceof Error ? err.message : String(err)}`;
      const dead = d.attempts >= maxAttempts;
      const retryAt = new Date(Date.now() + backoffMs(d.attempts, backoff));
      const settled = await settleDelivery(db, { id: d.id, leaseToken: d.leaseToken, notificationId }, { status: 'failed', error, dead, retryAt });
      log[dead ? 'warn' : 'info']({ deliveryId: d.id, notificationId, channel: d.channel, attempts: d.attempts, dead, retryAt, error }, dead ? 'notification delivery dead-lettered' : 'notification delivery failed; will retry');
      return settled ? 'failed' : 'lost';
    }
    const settled = await settleDelivery(db, { id: d.id, leaseToken: d.leaseToken, notificationId }, { status: 'delivered' });
    // Lost lease: another relay owns the row now and will send it again (at least once).
    if (!settled) log.warn({ deliveryId: d.id, notificationId, channel: d.channel }, 'delivered after the lease ran out; another relay may deliver it again');
    else log.debug({ deliveryId: d.id, notificationId, channel: d.channel, attempts: d.attempts }, 'notification delivered');
    return settled ? 'delivered' : 'lost';
  }

  return {
    log,
    close: () => mailer?.close(),
    async runOnce() {
      const fannedOut = await fanOutNotifications(db);
      const claimed = await claimDueDeliveries(db, { limit: batchSize, leaseMs, leaseToken: randomUUID() });
      const outcomes = await Promise.all(claimed.map((d) => deliver(d)));
      return { fannedOut, delivered: outcomes.filter((o) => o === 'delivered').length, failed: outcomes.filter((o) => o === 'failed').length };
    },
  };
}

/** The relay's settings from the configuration (SMTP_URL, SMTP_FROM, NOTIFICATION_POLL_MS, NOTIFICATION_MAX_ATTEMPTS). */
export function relayOptionsFromConfig(config: Config): Pick<RelayOptions, 'pollMs' | 'maxAttempts' | 'smtp'> {
  const n = config.notifications;
  return { pollMs: n.pollMs, maxAttempts: n.maxAttempts, smtp: n.smtpUrl ? { url: n.smtpUrl, from: n.smtpFrom } : null };
}
