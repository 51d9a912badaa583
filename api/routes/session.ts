/**
 * Signing in and who you are: password sign-in into a browser session (HttpOnly cookie, CSRF token
 * for writes), sign-out, changing one's password (required after a first or reset password), the
 * signed-in person (`GET /me`), and personal API tokens for integrations (shown once, listed,
 * revoked). Every sign-in, failure, lock, password and token change goes to the security log.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { issuePersonalToken, listTokens, revokeToken } from '../../db/auth';
import {
  clearSignInFailures,
  createSession,
  DEFAULT_SESSION_POLICY,
  findUserByLogin,
  hashPassword,
  passwordHashOf,
  passwordWeakness,
  PASSWORD_MAX,
  recordSecurityEvent,
  recordSignInFailure,
  revokeSession,
  revokeUserSessions,
  SESSION_COOKIE,
  setPasswordHash,
  signInLockedFor,
  userProfile,
  verifyPassword,
  type SecurityEventInput,
} from '../../db/identity';
import { currentUser } from '../plugins/auth';
import { ProblemError, problemResponses } from '../problem';

const closed = { additionalProperties: false } as const;

const Me = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Type.String({ description: 'committee | secretary | inspector | auditor | member' }),
  orgId: Type.String(),
  orgName: Type.Union([Type.String(), Type.Null()]),
  username: Type.Union([Type.String(), Type.Null()]),
  mobile: Type.Union([Type.String(), Type.Null()]),
  mustChangePassword: Type.Boolean({ description: '首次登录或密码重置后须先修改密码' }),
  hasPassword: Type.Boolean(),
  authenticatedBy: Type.String({ description: 'token | session' }),
  csrfToken: Type.Union([Type.String(), Type.Null()], { description: '登录会话的 CSRF 令牌（修改类请求放在 x-csrf-token 头）；令牌认证时为 null' }),
});

const SignInBody = Type.Object(
  {
    login: Type.String({ minLength: 1, maxLength: 100, description: '用户名或手机号' }),
    password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }),
  },
  closed,
);

const SignInResponse = Type.Object({
  user: Me,
  csrfToken: Type.String(),
  expiresAt: Type.String({ format: 'date-time', description: '会话最迟到期时间（闲置超时更早）' }),
  mustChangePassword: Type.Boolean(),
});

const Token = Type.Object({
  id: Type.String(),
  label: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const WRONG_CREDENTIALS = '用户名（或手机号）或密码不正确。';

const origin = (request: FastifyRequest) => ({ ip: request.ip, userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null });

const sessionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const policy = app.deps.sessionPolicy ?? DEFAULT_SESSION_POLICY;
  const log = (request: FastifyRequest, event: Omit<SecurityEventInput, 'ip' | 'userAgent'>) => recordSecurityEvent(app.deps.db, { ...event, ...origin(request) });

  const setSessionCookie = (reply: FastifyReply, sessionId: string, expiresAt: Date) =>
    reply.setCookie(SESSION_COOKIE, sessionId, { httpOnly: true, sameSite: 'lax', secure: app.deps.cookieSecure ?? false, path: '/', expires: expiresAt });

  const me = async (user: ReturnType<typeof currentUser>) => {
    const profile = await userProfile(app.deps.db, user.id);
    if (!profile) throw new ProblemError(401, 'unauthorized', 'Authentication required', '用户不存在。');
    return { ...profile, authenticatedBy: user.via ?? 'token', csrfToken: user.csrfToken ?? null };
  };

  app.post(
    '/auth/sign-in',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with username (or mobile number) and password; opens a browser session (Set-Cookie pp_session)',
        description:
          '成功时设置 HttpOnly 会话 Cookie 并返回 CSRF 令牌；之后的修改类请求须带 x-csrf-token 头。连续失败将临时锁定账号和来源地址（429，带 Retry-After），错误提示不透露账号是否存在。',
        security: [],
        body: SignInBody,
        response: { 200: SignInResponse, ...problemResponses(400, 401, 429, 503) },
      },
    },
    async (request, reply) => {
      const { login, password } = request.body;
      const lockedFor = await signInLockedFor(app.deps.db, login, request.ip);
      if (lockedFor > 0) {
        reply.header('retry-after', String(lockedFor));
        throw new ProblemError(429, 'rate-limited', 'Too many failed sign-ins', `登录失败次数过多，已临时锁定，请在 ${Math.ceil(lockedFor / 60)} 分钟后重试。`);
      }
      const candidate = await findUserByLogin(app.deps.db, login);
      // Verified even without an account (against a decoy hash): a missing account costs the same time.
      const ok = (await verifyPassword(candidate?.passwordHash ?? null, password)) && candidate !== undefined && !candidate.disabled;
      if (!ok || !candidate) {
        const locked = await recordSignInFailure(app.deps.db, login, request.ip, app.deps.signInThrottle);
        await log(request, { kind: 'sign_in_failed', actorId: null, subject: login.slice(0, 100), detail: { knownAccount: candidate !== undefined, disabled: candidate?.disabled ?? false } });
        if (locked.accountLocked || locked.addressLocked) {
          await log(request, { kind: 'sign_in_locked', actorId: null, subject: login.slice(0, 100), detail: { account: locked.accountLocked, address: locked.addressLocked } });
        }
        reply.header('www-authenticate', 'Bearer realm="party-projects"');
        throw new ProblemError(401, 'unauthorized', 'Sign-in failed', WRONG_CREDENTIALS);
      }
      await clearSignInFailures(app.deps.db, login);
      const session = await createSession(app.deps.db, candidate.id, 'password', origin(request), policy);
      await log(request, { kind: 'sign_in', actorId: candidate.id, subject: candidate.id, detail: { via: 'password' } });
      setSessionCookie(reply, session.sessionId, session.expiresAt);
      const user = await me({ id: candidate.id, name: '', role: 'member', orgId: '', via: 'session', csrfToken: session.csrfToken });
      return { user, csrfToken: session.csrfToken, expiresAt: session.expiresAt.toISOString(), mustChangePassword: candidate.mustChangePassword };
    },
  );

  app.post(
    '/auth/sign-out',
    {
      config: { beforePasswordChange: true },
      schema: {
        tags: ['auth'],
        summary: 'Sign out: ends the browser session and clears its cookie',
        response: { 204: Type.Null({ description: '已退出' }), ...problemResponses(400, 401, 403, 429, 503) },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      if (user.sessionHash) await revokeSession(app.deps.db, user.sessionHash);
      await log(request, { kind: 'sign_out', actorId: user.id, subject: user.id, detail: { via: user.via ?? 'token' } });
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/auth/password',
    {
      config: { beforePasswordChange: true },
      schema: {
        tags: ['auth'],
        summary: "Change one's own password (required after a first or reset password); ends the user's other sessions",
        body: Type.Object(
          {
            currentPassword: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }),
            newPassword: Type.String({ minLength: 1, maxLength: PASSWORD_MAX, description: '至少 10 个字符，含字母、数字、符号中的两类，不含用户名' }),
          },
          closed,
        ),
        response: { 204: Type.Null({ description: '已修改' }), ...problemResponses(400, 401, 403, 429, 503) },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const { currentPassword, newPassword } = request.body;
      const profile = await userProfile(app.deps.db, user.id);
      const stored = await passwordHashOf(app.deps.db, user.id);
      if (!stored || !(await verifyPassword(stored, currentPassword))) {
        throw new ProblemError(403, 'forbidden', 'Current password is wrong', '当前密码不正确。', { field: 'currentPassword', rule: 'auth.current_password' });
      }
      const weakness = passwordWeakness(newPassword, profile?.username ?? null);
      if (weakness) throw new ProblemError(400, 'invalid', 'Password too weak', weakness, { field: 'newPassword', rule: 'auth.password_policy' });
      if (await verifyPassword(stored, newPassword)) {
        throw new ProblemError(400, 'invalid', 'Password unchanged', '新密码不能与当前密码相同。', { field: 'newPassword', rule: 'auth.password_reused' });
      }
      await app.deps.db.transaction().execute(async (trx) => {
        await setPasswordHash(trx, user.id, await hashPassword(newPassword), false);
        await revokeUserSessions(trx, user.id, user.sessionHash);
        await recordSecurityEvent(trx, { kind: 'password_changed', actorId: user.id, subject: user.id, ...origin(request) });
      });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/me',
    {
      config: { beforePasswordChange: true },
      schema: { tags: ['auth'], summary: 'The signed-in person: who, which org, how authenticated, and the CSRF token of a browser session', response: { 200: Me, ...problemResponses(401, 403, 429, 503) } },
    },
    async (request) => me(currentUser(request)),
  );

  app.get(
    '/me/tokens',
    { schema: { tags: ['auth'], summary: 'Your personal API tokens (never the tokens themselves)', response: { 200: Type.Object({ items: Type.Array(Token) }), ...problemResponses(401, 403, 429, 503) } } },
    async (request) => {
      const user = currentUser(request);
      const tokens = await listTokens(app.deps.db, user.id);
      const iso = (d: Date | null) => (d ? d.toISOString() : null);
      return { items: tokens.map((t) => ({ id: t.id, label: t.label, createdAt: t.createdAt.toISOString(), expiresAt: t.expiresAt.toISOString(), lastUsedAt: iso(t.lastUsedAt), revokedAt: iso(t.revokedAt) })) };
    },
  );

  app.post(
    '/me/tokens',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create a personal API token for an integration (the token is shown once)',
        body: Type.Object(
          {
            label: Type.String({ minLength: 1, maxLength: 100, description: '用途，例如“OA 系统对接”' }),
            expiresInDays: Type.Integer({ minimum: 1, maximum: 365, default: 90 }),
          },
          closed,
        ),
        response: {
          201: Type.Object({ id: Type.String(), label: Type.String(), token: Type.String({ description: '只显示这一次，请妥善保存' }), expiresAt: Type.String({ format: 'date-time' }) }),
          ...problemResponses(400, 401, 403, 409, 422, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const { label, expiresInDays } = request.body;
      const issued = await issuePersonalToken(app.deps.db, user.id, label, expiresInDays * 24 * 3600_000);
      await log(request, { kind: 'token_created', actorId: user.id, subject: user.id, detail: { tokenId: issued.id, label, expiresAt: issued.expiresAt.toISOString() } });
      return reply.status(201).send({ id: issued.id, label, token: issued.token, expiresAt: issued.expiresAt.toISOString() });
    },
  );

  app.delete(
    '/me/tokens/:tokenId',
    {
      schema: {
        tags: ['auth'],
        summary: 'Revoke one of your personal API tokens (it stops working at once)',
        params: Type.Object({ tokenId: Type.String({ minLength: 1, maxLength: 80 }) }, closed),
        response: { 204: Type.Null({ description: '已撤销' }), ...problemResponses(400, 401, 403, 404, 429, 503) },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const outcome = await revokeToken(app.deps.db, user.id, request.params.tokenId);
      if (outcome === 'unknown') throw new ProblemError(404, 'not-found', 'Token not found', `找不到您的令牌 ${request.params.tokenId}。`, { field: 'tokenId' });
      if (outcome === 'revoked') await log(request, { kind: 'token_revoked', actorId: user.id, subject: user.id, detail: { tokenId: request.params.tokenId } });
      return reply.status(204).send(null);
    },
  );
};

export default sessionRoutes;
