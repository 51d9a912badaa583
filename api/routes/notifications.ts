/**
 * Notifications that arrive (消息通知): each person's inbox (unread count, paging, mark read / all
 * read) and delivery channels (a signed webhook, e-mail); the dead letters of the relay, which
 * committee staff list and re-drive. A person sees and marks only their own notifications.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  channelSettings,
  listDeadLetters,
  listInbox,
  markAllNotificationsRead,
  markNotificationRead,
  redriveDelivery,
  saveChannelSettings,
  webhookSecretOf,
  type ChannelSettings,
} from '../../db/notifications';
import { newWebhookSecret } from '../../notifications/delivery';
import { currentUser } from '../plugins/auth';
import { ProblemError, problemResponses } from '../problem';

const closed = { additionalProperties: false } as const;
const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

const Paging = {
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
};

const Notification = Type.Object({
  id: Type.String(),
  projectId: Type.String(),
  cycleId: Type.String(),
  kind: Type.String({ description: 'monthly_reminder, evidence_due, review_requested, rectification_assigned, …' }),
  message: Type.String(),
  at: Type.String({ description: '提醒产生的时间（工作流时间）' }),
  createdAt: Type.String({ format: 'date-time' }),
  read: Type.Boolean(),
  readAt: Nullable(Type.String({ format: 'date-time' })),
});

const Settings = Type.Object({
  webhookUrl: Nullable(Type.String()),
  webhookEnabled: Type.Boolean(),
  webhookSecretSet: Type.Boolean({ description: '已设置签名密钥（密钥本身只在生成或设置时返回一次）' }),
  email: Nullable(Type.String()),
  emailEnabled: Type.Boolean(),
  updatedAt: Nullable(Type.String({ format: 'date-time' })),
});

const SettingsBody = Type.Object(
  {
    webhookUrl: Nullable(Type.String({ minLength: 1, maxLength: 2000, description: '接收通知的 http(s) 地址' })),
    webhookEnabled: Type.Boolean(),
    webhookSecret: Type.Optional(Type.String({ minLength: 16, maxLength: 200, pattern: '^[\\x21-\\x7e]{16,200}$', description: '自行设置签名密钥（16–200 个可见 ASCII 字符）；不填则保留原密钥，首次启用时由服务器生成' })),
    rotateWebhookSecret: Type.Optional(Type.Boolean({ description: '由服务器重新生成签名密钥' })),
    email: Nullable(Type.String({ minLength: 3, maxLength: 254, description: '接收通知的邮箱' })),
    emailEnabled: Type.Boolean(),
  },
  closed,
);

const SettingsAnswer = Type.Composite([
  Settings,
  Type.Object({ webhookSecret: Nullable(Type.String({ description: '新生成或新设置的签名密钥，仅此一次返回' })) }),
]);

const DeadLetter = Type.Object({
  id: Type.Integer({ description: '投递记录编号（重新投递时使用）' }),
  notificationId: Type.String(),
  recipientId: Type.String(),
  channel: Type.String({ description: 'webhook | email' }),
  attempts: Type.Integer(),
  lastError: Nullable(Type.String()),
  deadSince: Type.String({ format: 'date-time' }),
  kind: Type.String(),
  message: Type.String(),
  projectId: Type.String(),
});

// Pragmatic shape check: one @, no spaces, a dot in the domain (nodemailer does the rest).
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;

function settingsView(s: ChannelSettings) {
  return { ...s, updatedAt: s.updatedAt?.toISOString() ?? null };
}

function badField(field: string, detail: string): ProblemError {
  return new ProblemError(400, 'validation', 'Invalid notification settings', detail, { field });
}

const notificationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = () => app.deps.db;

  app.get(
    '/me/notifications',
    {
      schema: {
        tags: ['notifications'],
        summary: 'My inbox, newest first, with the unread count',
        querystring: Type.Object({ unreadOnly: Type.Boolean({ default: false, description: '只看未读' }), ...Paging }, closed),
        response: {
          200: Type.Object({ total: Type.Integer(), unread: Type.Integer({ description: '全部未读数' }), limit: Type.Integer(), offset: Type.Integer(), items: Type.Array(Notification) }),
        },
      },
    },
    async (request) => {
      const user = currentUser(request);
      const page = await listInbox(db(), user.id, request.query);
      return {
        total: page.total,
        unread: page.unread,
        limit: request.query.limit,
        offset: request.query.offset,
        items: page.items.map((n) => ({ ...n, createdAt: n.createdAt.toISOString(), read: n.readAt !== null, readAt: n.readAt?.toISOString() ?? null })),
      };
    },
  );

  app.post(
    '/me/notifications/:id/read',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Mark one of my notifications read',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 300 }) }, closed),
        response: { 200: Type.Object({ id: Type.String(), readAt: Type.String({ format: 'date-time' }) }), ...problemResponses(404) },
      },
    },
    async (request) => {
      const user = currentUser(request);
      const marked = await markNotificationRead(db(), user.id, request.params.id);
      // Another person's notification answers like a missing one, so ids cannot be probed.
      if (!marked) throw new ProblemError(404, 'not-found', 'Notification not found', `您的消息中没有编号为 ${request.params.id} 的通知。`);
      return { id: marked.id, readAt: marked.readAt.toISOString() };
    },
  );

  app.post(
    '/me/notifications/read-all',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Mark all my notifications read',
        response: { 200: Type.Object({ marked: Type.Integer({ description: '本次标记为已读的条数' }) }) },
      },
    },
    async (request) => ({ marked: await markAllNotificationsRead(db(), currentUser(request).id) }),
  );

  app.get(
    '/me/notification-settings',
    {
      schema: {
        tags: ['notifications'],
        summary: 'My delivery channels beyond the inbox (webhook, e-mail)',
        response: { 200: Settings },
      },
    },
    async (request) => settingsView(await channelSettings(db(), currentUser(request).id)),
  );

  app.put(
    '/me/notification-settings',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Set my delivery channels; the webhook signing secret is answered once, when generated or set',
        body: SettingsBody,
        response: { 200: SettingsAnswer, ...problemResponses(409) },
      },
    },
    async (request) => {
      const user = currentUser(request);
      const body = request.body;
      if (body.webhookUrl !== null) {
        let url: URL | null;
        try {
          url = new URL(body.webhookUrl);
        } catch {
          url = null;
        }
        if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) {
          throw badField('webhookUrl', 'webhook 地址须为不含用户名和密码的 http:// 或 https:// 地址。');
        }
      }
      if (body.webhookEnabled && body.webhookUrl === null) throw badField('webhookUrl', '启用 webhook 须填写接收地址。');
      if (body.email !== null && !EMAIL.test(body.email)) throw badField('email', '邮箱地址格式不正确。');
      if (body.emailEnabled && body.email === null) throw badField('email', '启用邮件通知须填写邮箱地址。');
      if (body.emailEnabled && app.deps.emailDelivery === false && !(await channelSettings(db(), user.id)).emailEnabled) {
        throw new ProblemError(409, 'email-unavailable', 'E-mail delivery is not configured', '本系统未配置邮件服务器（SMTP_URL），暂不能启用邮件通知；请联系管理员，或使用站内通知和 webhook。', {
          field: 'emailEnabled',
          rule: 'notifications.email_unavailable',
        });
      }
      if (body.webhookSecret !== undefined && body.rotateWebhookSecret) throw badField('webhookSecret', '不能同时设置和重新生成签名密钥。');
      let secret: string | undefined;
      if (body.webhookSecret !== undefined) secret = body.webhookSecret;
      else if (body.rotateWebhookSecret || (body.webhookEnabled && (await webhookSecretOf(db(), user.id)) === null)) secret = newWebhookSecret();
      await saveChannelSettings(db(), user.id, { webhookUrl: body.webhookUrl, webhookEnabled: body.webhookEnabled, webhookSecret: secret, email: body.email, emailEnabled: body.emailEnabled });
      return { ...settingsView(await channelSettings(db(), user.id)), webhookSecret: secret ?? null };
    },
  );

  const committeeOnly = (request: Parameters<typeof currentUser>[0]) => {
    if (currentUser(request).role !== 'committee') {
      throw new ProblemError(403, 'forbidden', 'Committee staff only', '只有工委工作人员可以查看和重新投递失败的通知。', { rule: 'actor.not_committee' });
    }
  };

  app.get(
    '/notifications/dead-letters',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Deliveries that gave up after the maximum attempts, newest first (committee staff)',
        querystring: Type.Object({ ...Paging }, closed),
        response: { 200: Type.Object({ total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer(), items: Type.Array(DeadLetter) }), ...problemResponses(403) },
      },
    },
    async (request) => {
      committeeOnly(request);
      const page = await listDeadLetters(db(), request.query);
      return { total: page.total, limit: request.query.limit, offset: request.query.offset, items: page.items.map((d) => ({ ...d, deadSince: d.deadSince.toISOString() })) };
    },
  );

  app.post(
    '/notifications/deliveries/:id/redrive',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Re-drive a dead delivery: attempts reset, due now (committee staff)',
        params: Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }, closed),
        response: {
          200: Type.Object({ id: Type.Integer(), status: Type.String(), attempts: Type.Integer(), nextAttemptAt: Type.String({ format: 'date-time' }) }),
          ...problemResponses(403, 404, 409),
        },
      },
    },
    async (request) => {
      committeeOnly(request);
      const outcome = await redriveDelivery(db(), request.params.id);
      if (outcome === 'not_found') throw new ProblemError(404, 'not-found', 'Delivery not found', `找不到编号为 ${request.params.id} 的投递记录。`);
      if (outcome === 'not_dead') throw new ProblemError(409, 'conflict', 'Delivery is not dead', `投递记录 ${request.params.id} 不是失败状态，无需重新投递。`);
      return { ...outcome, nextAttemptAt: outcome.nextAttemptAt.toISOString() };
    },
  );
};

export default notificationRoutes;
