/**
 * Single sign-on (统一身份认证): GET /auth/oidc/login sends the browser to the OpenID Connect
 * provider, GET /auth/oidc/callback takes it back, maps the provider's subject to a user
 * (`users.oidc_subject`) and opens a browser session (the `pp_session` cookie), as a password
 * sign-in would. All three routes are public: whoever arrives here is not signed in yet.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { loadConfig } from '../../config';
import { createSession, recordSecurityEvent, SESSION_COOKIE } from '../../db/identity';
import { createOidcService, decodeFlow, encodeFlow, OIDC_FLOW_TTL_MS, OidcError, sameOriginPath, userForSubject, type OidcFailure } from '../../services/oidc';
import { ProblemError, problemResponses } from '../problem';

/** The callback's parameters: printable ASCII (RFC 6749 §4.1.2, §4.1.2.1). */
const CALLBACK_TEXT = '^[\\x20-\\x7e]*$';
const LOGIN_URL = '/auth/oidc/login';

const OidcStatus = Type.Object({
  enabled: Type.Boolean({ description: 'whether single sign-on is configured' }),
  loginUrl: Type.Union([Type.String(), Type.Null()], { description: 'where the console sends the browser to sign in (append ?returnTo=/path to land there)' }),
});

const Redirect = (description: string) => Type.Null({ description });

const notConfigured = () => new ProblemError(404, 'not-found', 'Single sign-on not configured', '本系统未配置统一身份认证（OIDC），请使用用户名和密码登录。');

/** Chinese detail of each failure a person can meet at the callback. */
function failureProblem(failure: OidcFailure): ProblemError {
  switch (failure.reason) {
    case 'flow_invalid':
      return new ProblemError(400, 'oidc-flow-invalid', 'Single sign-on flow invalid', '统一身份认证登录已失效或不是从本系统发起（可能已超时、在其他页面重新发起过，或链接被篡改），请重新登录。', { rule: 'auth.oidc_flow' });
    case 'provider_refused':
      return new ProblemError(403, 'forbidden', 'Refused by the identity provider', `统一身份认证未通过（${failure.error}），请重新登录或联系管理员。`, { rule: 'auth.oidc_provider_refused' });
    case 'no_subject':
      return new ProblemError(403, 'forbidden', 'No subject from the identity provider', `统一身份认证未提供用户标识（${failure.claim}），无法确定您在本系统中的账号，请联系管理员。`, { rule: 'auth.oidc_no_subject' });
    case 'provider_unavailable':
      return new ProblemError(503, 'oidc-provider-unavailable', 'Identity provider unavailable', '统一身份认证服务暂时无法访问，请稍后重试，或使用用户名和密码登录。');
  }
}

const oidcRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // undefined: from the environment (OIDC_*); null: explicitly off (tests, a deployment without SSO).
  const settings = app.deps.oidc !== undefined ? app.deps.oidc : loadConfig().oidc;
  const service = settings ? createOidcService(settings) : null;
  const secure = app.deps.cookieSecure === true;
  // The flow cookie lives for one trip to the provider and back. Behind TLS it is a __Host-
  // cookie, which a sibling subdomain cannot plant: a planted flow (the attacker's own state and
  // verifier) would let an attacker sign a victim in as the attacker. Its content needs no
  // signature: everything in it is checked against the provider (state, nonce, PKCE) or again on
  // use (returnTo), so a changed cookie only breaks its owner's own sign-in.
  const flowCookie = secure ? '__Host-pp_oidc' : 'pp_oidc';
  const flowCookieOptions = { path: '/', httpOnly: true, sameSite: 'lax', secure } as const;

  const origin = (request: FastifyRequest) => ({ ip: request.ip, userAgent: request.headers['user-agent'] ?? null });

  type UserRefusal = { reason: 'unknown_subject'; subject: string } | { reason: 'user_disabled'; subject: string; userId: string };
  const refuse = async (request: FastifyRequest, reply: FastifyReply, failure: OidcFailure | UserRefusal) => {
    request.log.warn({ oidc: failure }, 'single sign-on refused');
    await recordSecurityEvent(app.deps.db, {
      kind: 'sign_in_failed',
      actorId: null,
      subject: 'userId' in failure ? failure.userId : null,
      ...origin(request),
      detail: { via: 'oidc', ...failure },
    });
    if (failure.reason === 'provider_unavailable') reply.header('retry-after', '30');
    if (failure.reason === 'unknown_subject') {
      return new ProblemError(403, 'forbidden', 'No user for this identity', '您的统一身份认证账号尚未关联本系统用户，请联系本单位管理员开通。', { rule: 'auth.oidc_unknown_subject' });
    }
    if (failure.reason === 'user_disabled') return new ProblemError(403, 'forbidden', 'User disabled', '该账号已停用，无法登录。', { rule: 'auth.user_disabled' });
    return failureProblem(failure);
  };

  app.get(
    '/auth/oidc',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        security: [],
        summary: 'Whether single sign-on (统一身份认证) is configured, and where to start it',
        response: { 200: OidcStatus },
      },
    },
    async () => ({ enabled: service !== null, loginUrl: service ? LOGIN_URL : null }),
  );

  app.get(
    LOGIN_URL,
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        security: [],
        summary: 'Start single sign-on: redirect to the identity provider (统一身份认证)',
        querystring: Type.Object(
          { returnTo: Type.Optional(Type.String({ maxLength: 500, description: 'a path on this site to land on after sign-in (default /)' })) },
          { additionalProperties: false },
        ),
        response: { 302: Redirect('to the identity provider; sets the short-lived flow cookie'), ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      if (!service) throw notConfigured();
      const returnTo = request.query.returnTo === undefined ? '/' : sameOriginPath(request.query.returnTo);
      if (returnTo === null) {
        throw new ProblemError(400, 'validation', 'returnTo must be a path on this site', 'returnTo 只能是本站的相对路径（以 / 开头）。', { field: 'returnTo' });
      }
      let started: Awaited<ReturnType<typeof service.beginSignIn>>;
      try {
        started = await service.beginSignIn(returnTo);
      } catch (error) {
        if (!(error instanceof OidcError)) throw error;
        request.log.warn({ oidc: error.failure }, 'single sign-on cannot start');
        reply.header('retry-after', '30');
        throw failureProblem(error.failure);
      }
      reply.setCookie(flowCookie, encodeFlow(started.flow), { ...flowCookieOptions, maxAge: OIDC_FLOW_TTL_MS / 1000 });
      reply.header('cache-control', 'no-store');
      return reply.redirect(started.url, 302);
    },
  );

  app.get(
    '/auth/oidc/callback',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        security: [],
        summary: 'The identity provider sends the browser back here: sign in as the user its subject names',
        description:
          'Register this URL (OIDC_REDIRECT_URI) with the provider. On success: the pp_session cookie and a redirect to the returnTo path of the login (default /). ' +
          'A subject no user has (users.oidc_subject), a disabled user, or a refusal by the provider: 403; a flow that does not check out (state, nonce, PKCE, an expired or missing flow cookie): 400.',
        querystring: Type.Object(
          {
            // Printable ASCII, as RFC 6749 §4.1.2 defines these parameters; bounded so that even fully
            // percent-encoded the URL stays far below Node's 16 KB header limit (a 431 otherwise).
            code: Type.Optional(Type.String({ maxLength: 2048, pattern: CALLBACK_TEXT })),
            state: Type.Optional(Type.String({ maxLength: 256, pattern: CALLBACK_TEXT })),
            iss: Type.Optional(Type.String({ maxLength: 512, pattern: CALLBACK_TEXT })),
            error: Type.Optional(Type.String({ maxLength: 64, pattern: CALLBACK_TEXT })),
            error_description: Type.Optional(Type.String({ maxLength: 512, pattern: CALLBACK_TEXT })),
          },
          { additionalProperties: true },
        ),
        response: { 302: Redirect('signed in: to the returnTo path of the login, with the pp_session cookie'), ...problemResponses(403, 404) },
      },
    },
    async (request, reply) => {
      if (!service) throw notConfigured();
      const flow = decodeFlow(request.cookies[flowCookie]);
      // One use only, whatever happens next: a second callback with the same flow is refused.
      reply.clearCookie(flowCookie, flowCookieOptions);
      reply.header('cache-control', 'no-store');
      const at = request.url.indexOf('?');
      let subject: string;
      try {
        ({ subject } = await service.finishSignIn(at >= 0 ? request.url.slice(at) : '', flow));
      } catch (error) {
        if (!(error instanceof OidcError)) throw error;
        throw await refuse(request, reply, error.failure);
      }
      const user = await userForSubject(app.deps.db, subject);
      if (!user) throw await refuse(request, reply, { reason: 'unknown_subject', subject });
      if (user.disabled) throw await refuse(request, reply, { reason: 'user_disabled', subject, userId: user.id });

      const session = await createSession(app.deps.db, user.id, 'oidc', origin(request), app.deps.sessionPolicy);
      await recordSecurityEvent(app.deps.db, { kind: 'sign_in', actorId: user.id, subject: user.id, ...origin(request), detail: { via: 'oidc', oidcSubject: subject } });
      reply.setCookie(SESSION_COOKIE, session.sessionId, { path: '/', httpOnly: true, sameSite: 'lax', secure, expires: session.expiresAt });
      return reply.redirect(flow?.returnTo ?? '/', 302);
    },
  );
};

export default oidcRoutes;
