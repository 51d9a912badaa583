/**
 * The security log (安全日志) for committee staff and auditors: sign-ins and their failures, locks,
 * token, user and org changes, handovers — who, when, what, from where — newest first.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import * as directory from '../../services/directory';
import { problemResponses } from '../problem';
import { actorOf, Paging } from './orgs';

const closed = { additionalProperties: false } as const;
const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);
const Instant = Type.String({ maxLength: 40, description: 'ISO 8601 日期或时间，例如 2026-05-01 或 2026-05-01T08:00:00+08:00' });

const SecurityEvent = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  kind: Type.String({ description: 'sign_in, sign_in_failed, user_created, org_moved, secretary_changed, handover, …' }),
  actorId: Nullable(Type.String()),
  subject: Nullable(Type.String({ description: '所涉用户、组织或登录名' })),
  ip: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
  detail: Type.Object({}, { additionalProperties: true, description: '变更内容（changes: { 字段: { from, to } }）等' }),
});

const securityEventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/security-events',
    {
      schema: {
        tags: ['security'],
        summary: 'The security log, newest first (committee staff and auditors)',
        querystring: Type.Object(
          {
            kind: Type.Optional(Type.String({ maxLength: 60 })),
            subject: Type.Optional(Type.String({ maxLength: 200 })),
            actor: Type.Optional(Type.String({ maxLength: 80 })),
            from: Type.Optional(Instant),
            to: Type.Optional(Instant),
            ...Paging,
          },
          closed,
        ),
        response: { 200: Type.Object({ total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer(), items: Type.Array(SecurityEvent) }), ...problemResponses(403) },
      },
    },
    async (request) => {
      const page = await directory.listSecurityEvents(app.deps, actorOf(request), request.query);
      return {
        total: page.total,
        limit: request.query.limit,
        offset: request.query.offset,
        items: page.items.map((e) => ({ ...e, at: e.at.toISOString() })),
      };
    },
  );
};

export default securityEventRoutes;
