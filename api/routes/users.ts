/**
 * People as managed data (人员管理): committee staff create users, edit them (name, role, org,
 * sign-in name, mobile number, single sign-on subject), disable and enable them, reset their
 * passwords, and set inspectors' assignments (督查分工); committee staff and auditors read
 * everyone, a secretary the people of their own org's subtree. A password hash is never answered;
 * an initial or reset password is answered once, in the response that made it.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { UserRecord } from '../../db/directory';
import * as directory from '../../services/directory';
import { ProblemError, problemResponses } from '../problem';
import { actorOf, DirectoryId, Paging, PathId, ReasonBody } from './orgs';

const closed = { additionalProperties: false } as const;
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const DateTime = Type.String({ format: 'date-time' });

const Role = Type.Union([Type.Literal('committee'), Type.Literal('secretary'), Type.Literal('inspector'), Type.Literal('auditor'), Type.Literal('member')], {
  description: '工委工作人员 / 书记 / 督查员 / 审计人员 / 党员',
});
const Username = Type.String({ minLength: 1, maxLength: 100, description: '登录用户名（保存为小写、全角转半角的形式）' });
const Mobile = Type.String({ minLength: 1, maxLength: 40, description: '11 位中国大陆手机号（全角数字、空格和连字符会被规范化）' });

const User = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Role,
  orgId: Type.String(),
  orgName: Type.String(),
  username: Nullable(Type.String()),
  mobile: Nullable(Type.String()),
  oidcSubject: Nullable(Type.String({ description: '统一身份认证（OIDC）的 sub' })),
  hasPassword: Type.Boolean(),
  mustChangePassword: Type.Boolean({ description: '下次登录须先修改密码' }),
  disabled: Type.Boolean(),
  disabledAt: Nullable(DateTime),
  createdAt: DateTime,
  updatedAt: DateTime,
});

const OneTimePassword = Type.String({ description: '一次性密码：只在本次响应中出现一次，首次登录后须修改' });

function userView(u: UserRecord) {
  return {
    id: u.id,
    name: u.name,
    role: u.role,
    orgId: u.orgId,
    orgName: u.orgName,
    username: u.username,
    mobile: u.mobile,
    oidcSubject: u.oidcSubject,
    hasPassword: u.hasPassword,
    mustChangePassword: u.mustChangePassword,
    disabled: u.disabledAt !== null,
    disabledAt: u.disabledAt?.toISOString() ?? null,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}

/**
 * A response carrying a one-time password must not be kept for Idempotency-Key replays: the
 * idempotency plugin stores each answer in PostgreSQL as sent, and the password would then sit
 * there in plain text and be shown again. These routes refuse the header before it is claimed. A
 * retry is safe without it: creating the same user id again is a 409, and a second reset simply
 * replaces the first password.
 */
async function refuseIdempotencyKey(request: FastifyRequest): Promise<void> {
  if (request.headers['idempotency-key'] !== undefined) {
    throw new ProblemError(400, 'idempotency-key', 'Idempotency-Key not accepted here', '该操作的响应含一次性密码，不能用 Idempotency-Key 保存重放：请去掉该请求头（重复创建同一用户编号会得到 409，不会重复创建）。', {
      field: 'Idempotency-Key',
      rule: 'idempotency.secret_response',
    });
  }
}

const userRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const deps = () => app.deps;

  app.get(
    '/users',
    {
      schema: {
        tags: ['users'],
        summary: 'List users (人员列表): committee staff and auditors see all, a secretary the people of their own subtree',
        querystring: Type.Object(
          {
            org: Type.Optional(Type.String({ maxLength: 80, description: '只列出该组织的人员' })),
            under: Type.Optional(Type.String({ maxLength: 80, description: '该组织及其全部下级组织的人员' })),
            role: Type.Optional(Role),
            q: Type.Optional(Type.String({ maxLength: 100, description: '姓名、编号、用户名或手机号包含' })),
            includeDisabled: Type.Boolean({ default: false, description: '包括已停用的人员' }),
            ...Paging,
          },
          closed,
        ),
        response: { 200: Type.Object({ total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer(), items: Type.Array(User) }), ...problemResponses(403) },
      },
    },
    async (request) => {
      const page = await directory.listUsers(deps(), actorOf(request), request.query);
      return { total: page.total, limit: request.query.limit, offset: request.query.offset, items: page.items.map(userView) };
    },
  );

  app.get(
    '/users/:id',
    { schema: { tags: ['users'], summary: 'One user', params: PathId, response: { 200: User, ...problemResponses(403, 404) } } },
    async (request) => userView(await directory.getUser(deps(), actorOf(request), request.params.id)),
  );

  app.post(
    '/users',
    {
      preValidation: refuseIdempotencyKey,
      schema: {
        tags: ['users'],
        summary: 'Create a user (committee staff); with a username or mobile number the answer carries an initial password, once',
        body: Type.Object({ id: DirectoryId, name: Type.String({ minLength: 1, maxLength: 50 }), role: Role, orgId: Type.String({ maxLength: 80 }), username: Type.Optional(Username), mobile: Type.Optional(Mobile) }, closed),
        response: { 201: Type.Object({ user: User, initialPassword: Nullable(OneTimePassword) }), ...problemResponses(403, 409) },
      },
    },
    async (request, reply) => {
      const { user, initialPassword } = await directory.createUser(deps(), actorOf(request), request.body);
      return reply.status(201).send({ user: userView(user), initialPassword });
    },
  );

  app.patch(
    '/users/:id',
    {
      schema: {
        tags: ['users'],
        summary: 'Edit a user (committee staff): name, role, org, username, mobile, single sign-on subject (null removes a login)',
        params: PathId,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
            role: Type.Optional(Role),
            orgId: Type.Optional(Type.String({ maxLength: 80 })),
            username: Type.Optional(Nullable(Username)),
            mobile: Type.Optional(Nullable(Mobile)),
            oidcSubject: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 255 }))),
          },
          closed,
        ),
        response: { 200: User, ...problemResponses(403, 404, 409) },
      },
    },
    async (request) => userView(await directory.changeUser(deps(), actorOf(request), request.params.id, request.body)),
  );

  app.post(
    '/users/:id/disable',
    {
      schema: {
        tags: ['users'],
        summary: 'Disable a user (committee staff): their sessions and tokens stop working at once; refused for a secretary until replaced, and for oneself',
        params: PathId,
        body: ReasonBody,
        response: { 200: User, ...problemResponses(403, 404, 409) },
      },
    },
    async (request) => userView(await directory.disableUser(deps(), actorOf(request), request.params.id, request.body.reason)),
  );

  app.post(
    '/users/:id/enable',
    {
      schema: { tags: ['users'], summary: 'Enable a disabled user (committee staff)', params: PathId, body: ReasonBody, response: { 200: User, ...problemResponses(403, 404, 409) } },
    },
    async (request) => userView(await directory.enableUser(deps(), actorOf(request), request.params.id, request.body.reason)),
  );

  app.post(
    '/users/:id/reset-password',
    {
      preValidation: refuseIdempotencyKey,
      schema: {
        tags: ['users'],
        summary: 'Reset a user’s password (committee staff): a new one-time password, answered once; it must be changed at the next sign-in and the user’s sessions end',
        params: PathId,
        body: ReasonBody,
        response: { 200: Type.Object({ user: User, password: OneTimePassword }), ...problemResponses(403, 404, 409) },
      },
    },
    async (request) => {
      const { user, password } = await directory.resetPassword(deps(), actorOf(request), request.params.id, request.body.reason);
      return { user: userView(user), password };
    },
  );

  const Assignment = Type.Object({ inspectorId: Type.String(), inspectorName: Type.String(), orgId: Type.String(), orgName: Type.String() });

  app.get(
    '/inspector-assignments',
    {
      schema: {
        tags: ['users'],
        summary: 'Inspector assignments (督查分工): committee staff and auditors see all, an inspector their own, a secretary those over their subtree',
        querystring: Type.Object({ inspector: Type.Optional(Type.String({ maxLength: 80 })), org: Type.Optional(Type.String({ maxLength: 80 })), ...Paging }, closed),
        response: { 200: Type.Object({ total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer(), items: Type.Array(Assignment) }), ...problemResponses(403) },
      },
    },
    async (request) => {
      const page = await directory.listAssignments(deps(), actorOf(request), request.query);
      return { total: page.total, limit: request.query.limit, offset: request.query.offset, items: page.items };
    },
  );

  app.put(
    '/users/:id/inspector-assignments',
    {
      schema: {
        tags: ['users'],
        summary: 'Replace an inspector’s assignments with these orgs (each with its subtree; committee staff)',
        params: PathId,
        body: Type.Object({ orgIds: Type.Array(Type.String({ maxLength: 80 }), { maxItems: 1000 }) }, closed),
        response: { 200: Type.Object({ inspectorId: Type.String(), orgIds: Type.Array(Type.String()) }), ...problemResponses(403, 404, 409) },
      },
    },
    async (request) => directory.replaceAssignments(deps(), actorOf(request), request.params.id, request.body.orgIds),
  );
};

export default userRoutes;
