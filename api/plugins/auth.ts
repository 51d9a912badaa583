/**
 * Bearer-token authentication on every route except those marked `config: { public: true }`.
 * Tokens are opaque and stored hashed (db/auth.ts); the authenticated user rides on the request.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { authenticate, type AuthenticatedUser } from '../../db/auth';
import { ProblemError } from '../problem';

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthenticatedUser | null;
  }
  interface FastifyContextConfig {
    /** No token needed (health, docs). */
    public?: boolean;
  }
}

export function unauthorized(detail: string): ProblemError {
  return new ProblemError(401, 'unauthorized', 'Authentication required', detail);
}

export default fp(async function auth(app: FastifyInstance) {
  app.decorateRequest('user', null);
  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config as { public?: boolean } | undefined;
    if (config?.public || !request.routeOptions.url) return; // public route, or a 404 handled later
    if (request.url.startsWith('/docs')) return;
    const header = request.headers.authorization;
    reply.header('www-authenticate', 'Bearer realm="party-projects"');
    if (!header) throw unauthorized('缺少访问令牌：请在 Authorization 头中提供 Bearer 令牌。');
    const match = /^Bearer ([^\s]+)$/.exec(header);
    if (!match) throw unauthorized('访问令牌格式不正确：应为 “Bearer <令牌>”。');
    const result = await authenticate(app.deps.db, match[1]);
    if (result === 'invalid') throw unauthorized('访问令牌无效或已被撤销。');
    if (result === 'expired') throw unauthorized('访问令牌已过期，请重新获取。');
    request.user = result;
  });
});

/** The authenticated user; routes behind auth can rely on it. */
export function currentUser(request: { user: AuthenticatedUser | null }): AuthenticatedUser {
  if (!request.user) throw unauthorized('需要登录后才能访问。');
  return request.user;
}
