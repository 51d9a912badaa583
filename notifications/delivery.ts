/**
 * The pure parts of delivering a notification: the webhook's body and signature, the e-mail's
 * Chinese subject and text, and the retry schedule (exponential back-off with jitter).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-pp-signature';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** What a notification carries to a channel. */
export interface OutgoingNotification {
  id: string;
  projectId: string;
  cycleId: string;
  recipientId: string;
  recipientName?: string | null;
  kind: string;
  message: string;
  at: string;
}

/** The webhook's JSON body (the text that is signed). */
export function webhookBody(n: OutgoingNotification, attempt: number): string {
  return JSON.stringify({ id: n.id, kind: n.kind, message: n.message, projectId: n.projectId, cycleId: n.cycleId, recipientId: n.recipientId, at: n.at, attempt });
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (the Stripe scheme: the timestamp is signed too, so a captured request cannot be replayed later). */
export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * What a receiver does: the header parses, the timestamp is within `toleranceS` of now and one
 * `v1` signature matches (compared in constant time).
 */
export function verifyWebhookSignature(secret: string, body: string, header: string | undefined, options: { nowS?: number; toleranceS?: number } = {}): boolean {
  if (!header) return false;
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  const signatures = parts.filter(([k]) => k === 'v1').map(([, v]) => v ?? '');
  if (!Number.isInteger(t) || signatures.length === 0) return false;
  const now = options.nowS ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (options.toleranceS ?? 300)) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
  return signatures.some((s) => s.length === expected.length && timingSafeEqual(Buffer.from(s), expected));
}

/** A fresh webhook signing secret (shown to its owner once). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export interface BackoffPolicy {
  /** The first retry comes after about this long (ms). */
  baseMs: number;
  /** No wait is longer than this (ms, before jitter). */
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 10_000, capMs: 3_600_000 };

/**
 * The wait before the next attempt after `attempts` failed ones: min(cap, base·2^(attempts-1)),
 * times a jitter factor in [0.5, 1.5) so that relays retrying a receiver that was down do not all
 * come back at the same instant. `random` is injectable for tests.
 */
export function backoffMs(attempts: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exponent = Math.max(0, attempts - 1);
  const raw = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(exponent, 40));
  return Math.round(raw * (0.5 + random()));
}

const KIND_LABELS: Record<string, string> = {
  monthly_reminder: '月度提示',
  letter_due: '责任书签订提醒',
  evidence_due: '佐证材料报送提醒',
  self_assessment_due: '自评提醒',
  review_requested: '待审核',
  review_reminder: '催办',
  review_timeout_reminder: '审核超时提醒',
  review_escalated: '审核超时上报',
  proposal_approved: '立项通过',
  proposal_returned: '退回修改',
  proposal_rejected: '未予立项',
  proposal_withdrawn: '申报拿回',
  review_transferred: '审核转办',
  review_delegated: '审核委派',
  delegate_opinion: '委派意见',
  evidence_missing: '佐证材料缺报',
  rectification_assigned: '整改任务',
  rectification_sent_back: '整改退回',
  ledger_warning: '整改到期预警',
  ledger_escalated: '整改逾期上报',
  sub_project_cancelled: '子项目撤销',
  sub_project_assigned: '子项目调整',
  handed_over: '换届交接',
  accepted: '验收完成',
};

/** The Chinese name of a kind of notification (the kind itself when it has none). */
export function kindLabel(kind: string): string {
  if (kind.startsWith('dispatch_')) return '年中调度';
  return KIND_LABELS[kind] ?? kind;
}

/** The e-mail: a Chinese subject and plain-text body. */
export function emailContent(n: OutgoingNotification): { subject: string; text: string } {
  const greeting = n.recipientName ? `${n.recipientName}：` : '您好：';
  return {
    subject: `【党建项目提醒】${kindLabel(n.kind)}`,
    text: [
      greeting,
      '',
      `  ${n.message}`,
      '',
      `项目：${n.projectId}`,
      `周期：${n.cycleId}`,
      `时间：${n.at}`,
      '',
      '本邮件由党建项目全周期管理系统自动发送，请登录系统查看和处理。',
      `通知编号：${n.id}`,
    ].join('\n'),
  };
}
