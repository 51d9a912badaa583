/**
 * Signing in: password sign-in into a browser session (HttpOnly SameSite cookie, server-side,
 * idle and absolute expiry), CSRF on cookie writes, sign-out, throttling per account and per
 * address (answers that never tell whether an account exists), a first password that must be
 * changed, personal API tokens (shown once, listed, revoked), disabled users stopped at once, and
 * the security log of it all — on the real PostgreSQL and Temporal of the suite.
 */
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { hashPassword } from '../../db/identity';
import { compressedCycle } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';

const PASSWORD = 'Correct-Horse-42';

/** The session cookie a response set, as a request Cookie header value. */
function sessionCookie(response: LightMyRequestResponse): string {
  const set = response.cookies.find((c) => c.name === 'pp_session');
  if (!set) throw new Error(`no session cookie in ${response.statusCode} ${response.body}`);
  return `pp_session=${set.value}`;
}

describe('signing in', () => {
  const h = useHarness({
    name: 'sign_in',
    cycle: () => compressedCycle('cy-sign-in', Date.now() + 3600_000),
    app: { signInThrottle: { accountFailures: 3, addressFailures: 8, windowMs: 60_000, lockMs: 60_000 }, sessionPolicy: { idleMs: 60_000, absoluteMs: 3600_000 } },
  });

  const setCredentials = async (userId: string, fields: { username?: string; mobile?: string; mustChange?: boolean; password?: string }) => {
    await h.db
      .updateTable('users')
      .set({ username: fields.username ?? null, mobile: fields.mobile ?? null, password_hash: await hashPassword(fields.password ?? PASSWORD), must_change_password: fields.mustChange ?? false })
      .where('id', '=', userId)
      .execute();
  };
  const signIn = (login: string, password: string, ip = '10.0.0.1') =>
    h.app.inject({ method: 'POST', url: '/auth/sign-in', payload: { login, password }, remoteAddress: ip });
  const events = async (kind: string) => h.db.selectFrom('security_events').selectAll().where('kind', '=', kind).execute();

  it('signs in by username into an HttpOnly SameSite session cookie; the cookie authenticates reads, and GET /me says who and how', async () => {
    await setCredentials('u-sec-oc1', { username: 'zhang.oc1' });
    const response = await signIn('Zhang.OC1 ', PASSWORD);
    expect(response.statusCode, response.body).toBe(200);
    const set = response.cookies.find((c) => c.name === 'pp_session')!;
    expect(set.httpOnly).toBe(true);
    expect(String(set.sameSite).toLowerCase()).toBe('lax');
    expect(set.path).toBe('/');
    const body = response.json();
    expect(body.user).toMatchObject({ id: 'u-sec-oc1', role: 'secretary', orgId: 'org-oc1', username: 'zhang.oc1', authenticatedBy: 'session' });
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(JSON.stringify(body)).not.toContain('argon2');

    const me = await h.app.inject({ method: 'GET', url: '/me', headers: { cookie: sessionCookie(response) } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ id: 'u-sec-oc1', authenticatedBy: 'session', csrfToken: body.csrfToken });
    const projects = await h.app.inject({ method: 'GET', url: '/projects', headers: { cookie: sessionCookie(response) } });
    expect(projects.statusCode).toBe(200);
    expect((await events('sign_in')).some((e) => e.actor_id === 'u-sec-oc1' && e.ip === '10.0.0.1')).toBe(true);
    // Only the hash of the cookie is stored.
    const stored = await h.db.selectFrom('sessions').select('id_hash').where('user_id', '=', 'u-sec-oc1').execute();
    expect(stored.map((s) => s.id_hash)).not.toContain(set.value);
  });

  it('signs in by mobile number written with full-width digits', async () => {
    await setCredentials('u-sec-b1', { username: 'li.b1', mobile: '13800138000' });
    const response = await signIn('１３８００１３８０００', PASSWORD, '10.0.0.2');
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().user.id).toBe('u-sec-b1');
  });

  it('refuses a cookie-authenticated write without the CSRF token (nothing created) and accepts it with the token', async () => {
    await setCredentials('u-sec-b2', { username: 'wang.b2' });
    const signedIn = await signIn('wang.b2', PASSWORD, '10.0.0.3');
    const cookie = sessionCookie(signedIn);
    const before = await h.db.selectFrom('api_tokens').select('id').where('user_id', '=', 'u-sec-b2').execute();
    const without = await h.app.inject({ method: 'POST', url: '/me/tokens', headers: { cookie }, payload: { label: 'OA' } });
    expect(without.statusCode).toBe(403);
    expect(without.json().rule).toBe('auth.csrf');
    const wrong = await h.app.inject({ method: 'POST', url: '/me/tokens', headers: { cookie, 'x-csrf-token': 'x'.repeat(32) }, payload: { label: 'OA' } });
    expect(wrong.statusCode).toBe(403);
    expect(await h.db.selectFrom('api_tokens').select('id').where('user_id', '=', 'u-sec-b2').execute()).toEqual(before);
    const withToken = await h.app.inject({ method: 'POST', url: '/me/tokens', headers: { cookie, 'x-csrf-token': signedIn.json().csrfToken }, payload: { label: 'OA' } });
    expect(withToken.statusCode, withToken.body).toBe(201);
  });

  it('answers a wrong password and an unknown account alike, locks the account after repeated failures (even for the right password), and logs it', async () => {
    await setCredentials('u-sec-u1', { username: 'zhao.u1' });
    const unknown = await signIn('nobody.here', 'Whatever-123', '10.0.1.1');
    const wrong = await signIn('zhao.u1', 'Wrong-password-1', '10.0.1.2');
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.json().detail).toBe(wrong.json().detail);
    expect(unknown.json().title).toBe(wrong.json().title);
    await signIn('zhao.u1', 'Wrong-password-2', '10.0.1.3');
    await signIn('zhao.u1', 'Wrong-password-3', '10.0.1.4'); // third failure: locked
    const locked = await signIn('zhao.u1', PASSWORD, '10.0.1.5');
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect(locked.cookies.find((c) => c.name === 'pp_session')).toBeUndefined();
    // An unknown account locks the same way, so a lock does not reveal that an account exists.
    for (let i = 0; i < 3; i++) await signIn('ghost.user', `Wrong-password-${i}`, `10.0.2.${i}`);
    expect((await signIn('ghost.user', PASSWORD, '10.0.2.9')).statusCode).toBe(429);
    expect((await events('sign_in_failed')).filter((e) => e.subject === 'zhao.u1')).toHaveLength(3);
    expect((await events('sign_in_locked')).map((e) => e.subject)).toEqual(expect.arrayContaining(['zhao.u1', 'ghost.user']));
  });

  it('locks an address that keeps failing across many accounts', async () => {
    const ip = '10.0.3.1';
    for (let i = 0; i < 8; i++) expect((await signIn(`guess-${i}`, 'Wrong-password-x', ip)).statusCode).toBe(401);
    await setCredentials('u-sec-oc2', { username: 'sun.oc2' });
    expect((await signIn('sun.oc2', PASSWORD, ip)).statusCode).toBe(429);
    expect((await signIn('sun.oc2', PASSWORD, '10.0.3.2')).statusCode).toBe(200);
  });

  it('makes a first password be changed before anything else, checks the new one, and ends the other sessions', async () => {
    await setCredentials('u-sec-b3', { username: 'qian.b3', mustChange: true });
    const first = await signIn('qian.b3', PASSWORD, '10.0.4.1');
    expect(first.statusCode).toBe(200);
    expect(first.json().mustChangePassword).toBe(true);
    const other = sessionCookie(await signIn('qian.b3', PASSWORD, '10.0.4.2'));
    const cookie = sessionCookie(first);
    const csrf = { 'x-csrf-token': first.json().csrfToken };
    const blocked = await h.app.inject({ method: 'GET', url: '/projects', headers: { cookie } });
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().rule).toBe('auth.password_change_required');
    expect((await h.app.inject({ method: 'GET', url: '/me', headers: { cookie } })).json().mustChangePassword).toBe(true);

    const change = (currentPassword: string, newPassword: string) => h.app.inject({ method: 'POST', url: '/auth/password', headers: { cookie, ...csrf }, payload: { currentPassword, newPassword } });
    const weak = await change(PASSWORD, 'short');
    expect(weak.statusCode).toBe(400);
    expect(weak.json().field).toBe('newPassword');
    const containsName = await change(PASSWORD, 'qian.b3-Secret-1');
    expect(containsName.statusCode).toBe(400);
    expect((await change('Not-the-password-1', 'Brand-New-Secret-7')).statusCode).toBe(403);
    expect((await change(PASSWORD, PASSWORD)).statusCode).toBe(400);
    expect((await change(PASSWORD, 'Brand-New-Secret-7')).statusCode).toBe(204);

    expect((await h.app.inject({ method: 'GET', url: '/projects', headers: { cookie } })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/me', headers: { cookie: other } })).statusCode).toBe(401);
    expect((await signIn('qian.b3', PASSWORD, '10.0.4.3')).statusCode).toBe(401);
    expect((await signIn('qian.b3', 'Brand-New-Secret-7', '10.0.4.3')).statusCode).toBe(200);
    expect((await events('password_changed')).some((e) => e.subject === 'u-sec-b3')).toBe(true);
  });

  it('signs out: the session ends and its cookie no longer authenticates', async () => {
    await setCredentials('u-sec-u2', { username: 'zhou.u2' });
    const signedIn = await signIn('zhou.u2', PASSWORD, '10.0.5.1');
    const cookie = sessionCookie(signedIn);
    const out = await h.app.inject({ method: 'POST', url: '/auth/sign-out', headers: { cookie, 'x-csrf-token': signedIn.json().csrfToken } });
    expect(out.statusCode).toBe(204);
    expect(out.cookies.find((c) => c.name === 'pp_session')?.value).toBe('');
    expect((await h.app.inject({ method: 'GET', url: '/me', headers: { cookie } })).statusCode).toBe(401);
    expect((await events('sign_out')).some((e) => e.actor_id === 'u-sec-u2')).toBe(true);
  });

  it('ends a session left idle past the idle timeout, and one past its absolute expiry', async () => {
    await setCredentials('u-inspector', { username: 'inspector.one' });
    const idle = sessionCookie(await signIn('inspector.one', PASSWORD, '10.0.6.1'));
    const absolute = sessionCookie(await signIn('inspector.one', PASSWORD, '10.0.6.2'));
    expect((await h.app.inject({ method: 'GET', url: '/me', headers: { cookie: idle } })).statusCode).toBe(200);
    const sessions = await h.db.selectFrom('sessions').select(['id_hash', 'created_at']).where('user_id', '=', 'u-inspector').orderBy('created_at').execute();
    // Age the sessions in the database instead of waiting: one unused for 2 minutes (idle 1 min), one past its end.
    await h.db.updateTable('sessions').set({ last_seen_at: new Date(Date.now() - 120_000) }).where('id_hash', '=', sessions[0].id_hash).execute();
    await h.db.updateTable('sessions').set({ expires_at: new Date(Date.now() - 1000) }).where('id_hash', '=', sessions[1].id_hash).execute();
    for (const cookie of [idle, absolute]) {
      const response = await h.app.inject({ method: 'GET', url: '/me', headers: { cookie } });
      expect(response.statusCode).toBe(401);
      expect(response.json().detail).toContain('过期');
    }
  });

  it('creates a personal token shown once, lists it without the token, and revokes it so it stops working at once', async () => {
    const created = await h.post('u-auditor', '/me/tokens', { label: '审计系统对接', expiresInDays: 30 });
    expect(created.statusCode, created.body).toBe(201);
    const { id, token } = created.json();
    expect(token).toMatch(/^ppe_/);
    const asToken = { authorization: `Bearer ${token}` };
    expect((await h.app.inject({ method: 'GET', url: '/me', headers: asToken })).json()).toMatchObject({ id: 'u-auditor', authenticatedBy: 'token', csrfToken: null });
    const list = await h.get('u-auditor', '/me/tokens');
    expect(list.json().items.find((t: { id: string }) => t.id === id)).toMatchObject({ label: '审计系统对接', revokedAt: null });
    expect(list.body).not.toContain(token);
    expect(list.json().items.find((t: { id: string }) => t.id === id).lastUsedAt).not.toBeNull();
    // Someone else's token id is not found, and nothing is revoked.
    expect((await h.app.inject({ method: 'DELETE', url: `/me/tokens/${id}`, headers: h.as('u-committee') })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: '/me', headers: asToken })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'DELETE', url: `/me/tokens/${id}`, headers: h.as('u-auditor') })).statusCode).toBe(204);
    expect((await h.app.inject({ method: 'GET', url: '/me', headers: asToken })).statusCode).toBe(401);
    expect((await events('token_created')).some((e) => e.actor_id === 'u-auditor')).toBe(true);
    expect((await events('token_revoked')).some((e) => e.actor_id === 'u-auditor')).toBe(true);
  });

  it("stops a disabled user's tokens and sessions at once, and refuses their sign-in with the usual answer", async () => {
    await setCredentials('u-member-b1', { username: 'member.b1' });
    const cookie = sessionCookie(await signIn('member.b1', PASSWORD, '10.0.7.1'));
    expect((await h.get('u-member-b1', '/me')).statusCode).toBe(200);
    await h.db.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', 'u-member-b1').execute();
    expect((await h.get('u-member-b1', '/me')).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'GET', url: '/me', headers: { cookie } })).statusCode).toBe(401);
    const refused = await signIn('member.b1', PASSWORD, '10.0.7.2');
    expect(refused.statusCode).toBe(401);
    expect(refused.json().detail).toBe('用户名（或手机号）或密码不正确。');
    await h.db.updateTable('users').set({ disabled_at: null }).where('id', '=', 'u-member-b1').execute();
  });

  it('refuses malformed sign-in bodies with 400 and no session', async () => {
    for (const payload of [{}, { login: 'x' }, { login: '', password: 'x' }, { login: 'x', password: 'y', extra: 1 }, { login: 1, password: 'y' }]) {
      const response = await h.app.inject({ method: 'POST', url: '/auth/sign-in', payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.cookies).toHaveLength(0);
    }
  });
});
