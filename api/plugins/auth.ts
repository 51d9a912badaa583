/**
 * Authentication on every route except those marked `config: { public: true }`: a bearer token
 * (opaque, stored hashed; db/auth.ts) or a browser session cookie (server-side session;
 * db/identity.ts). A cookie-authenticated write must carry the session's CSRF token in
 * `x-csrf-token`. A disabled user's tokens and sessions stop working at once; a user who must
 * change their password may only do that (and sign out, and read who they are) until they have.
 * The authenticated user rides on the request.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { authenticate, authenticateSession, type AuthenticatedUser } from '../../db/auth';
import { CSRF_HEADER, csrfMatches, SESSION_COOKIE } from '../../db/identity';
import { ProblemError } from '../problem';

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthenticatedUser | null;
  }
  interface FastifyContextConfig {
    /** No token needed (health, docs). */
    public?: boolean;
    /** Reachable by a user who must change their password first (change it, sign out, who am I). */
    beforePasswordChange?: boolean;
  }
}

export function unauthorized(detail: string): ProblemError {
  return new ProblemError(401, 'unauthorized', 'Authentication required', detail);
}

const FAILURE_WINDOW_MS = 60_000;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Addresses tracked at most; past that, expired windows are swept (and, failing that, the oldest dropped). */
const MAX_TRACKED_ADDRESSES = 50_000;

/**
 * Failed authentications per client address, in fixed one-minute windows. The general rate limit
 * (app.ts) runs after authentication and is keyed by user, so a request that fails authentication
 * never reaches it: without this, every guessed token would cost a database lookup, unlimited.
 * In memory, per process, like the rate limiter's own store.
 */
class FailureCounter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(private readonly limit: number) {}

  /** Seconds until the address may try again, or 0 when it is under the limit. */
  blockedFor(address: string, now = Date.now()): number {
    const w = this.windows.get(address);
    if (!w || w.resetAt <= now || w.count < this.limit) return 0;
    return Math.max(1, Math.ceil((w.resetAt - now) / 1000));
  }

  record(address: string, now = Date.now()): void {
    const w = this.windows.get(address);
    if (w && w.resetAt > now) {
      w.count++;
      return;
    }
    if (this.windows.size >= MAX_TRACKED_ADDRESSES) this.sweep(now);
    this.windows.set(address, { count: 1, resetAt: now + FAILURE_WINDOW_MS });
  }

  private sweep(now: number): void {
    for (const [address, w] of this.windows) if (w.resetAt <= now) this.windows.delete(address);
    // Still full (a flood from many addresses): forget the oldest entries rather than grow without bound.
    for (const address of this.windows.keys()) {
      if (this.windows.size < MAX_TRACKED_ADDRESSES) break;
      this.windows.delete(address);
    }
  }
}

export default fp(async function auth(app: FastifyInstance) {
  app.decorateRequest('user', null);
  const limit = app.deps.authFailuresPerMinute ?? Math.max(10, Math.ceil((app.deps.rateLimitPerMinute ?? 600) / 20));
  const failures = new FailureCounter(limit);

  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config as { public?: boolean; beforePasswordChange?: boolean } | undefined;
    if (config?.public || !request.routeOptions.url) return; // public route, or a 404 handled later
    if (request.url.startsWith('/docs')) return;
    // Checked before anything else, the database lookup above all: an address that keeps failing
    // is refused whatever token it sends now, valid or not, until its window ends.
    const waitS = failures.blockedFor(request.ip);
    if (waitS > 0) {
      reply.header('retry-after', String(waitS));
      throw new ProblemError(429, 'rate-limited', 'Too many failed authentications', `认证失败次数过多：每分钟最多 ${limit} 次，请在 ${waitS} 秒后重试。`);
    }
    const refuse = (detail: string) => {
      failures.record(request.ip);
      return unauthorized(detail);
    };
    const header = request.headers.authorization;
    const cookie = request.cookies?.[SESSION_COOKIE];
    reply.header('www-authenticate', 'Bearer realm="party-projects"');
    let result: Awaited<ReturnType<typeof authenticate>>;
    if (header || !cookie) {
      if (!header) throw refuse('缺少访问令牌：请先登录，或在 Authorization 头中提供 Bearer 令牌。');
      const match = /^Bearer ([^\s]+)$/.exec(header);
      if (!match) throw refuse('访问令牌格式不正确：应为 “Bearer <令牌>”。');
      result = await authenticate(app.deps.db, match[1]);
      if (result === 'invalid') throw refuse('访问令牌无效或已被撤销。');
      if (result === 'expired') throw refuse('访问令牌已过期，请重新获取。');
    } else {
      result = await authenticateSession(app.deps.db, cookie, app.deps.sessionPolicy);
      if (result === 'invalid') throw refuse('登录会话无效或已退出，请重新登录。');
      if (result === 'expired') throw refuse('登录会话已过期，请重新登录。');
    }
    if (result === 'disabled') throw refuse('该账号已停用。');
    // A cookie travels with every request the browser makes, whoever's page makes it: a write
    // must prove it comes from our own page, which alone can read the session's CSRF token.
    if (result.via === 'session' && !SAFE_METHODS.has(request.method) && !csrfMatches(result.csrfToken ?? '', request.headers[CSRF_HEADER])) {
      throw new ProblemError(403, 'forbidden', 'CSRF token missing or wrong', `使用登录会话提交修改时须在 ${CSRF_HEADER} 头中携带会话的 CSRF 令牌（登录时或 GET /me 返回）。`, { rule: 'auth.csrf' });
    }
    if (result.mustChangePassword && !config?.beforePasswordChange) {
      throw new ProblemError(403, 'forbidden', 'Password change required', '首次登录（或密码被重置）后须先修改密码：POST /auth/password。', { rule: 'auth.password_change_required' });
    }
    request.user = result;
  });
  // Its refusals are ProblemErrors (answered by the errors plugin); it reads the app's deps.
}, { name: 'auth', fastify: '5.x', dependencies: ['errors', '@fastify/cookie'], decorators: { fastify: ['deps'] } });

/** The authenticated user; routes behind auth can rely on it. */
export function currentUser(request: { user: AuthenticatedUser | null }): AuthenticatedUser {
  if (!request.user) throw unauthorized('需要登录后才能访问。');
  return request.user;
}
