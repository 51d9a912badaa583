/**
 * Single sign-on against a real OpenID Connect provider (the `oidc-provider` package) listening on
 * a free port: the app sends the browser there, the provider signs the person in (the test plays
 * the provider's login page through its interaction API) and sends the browser back with a code,
 * the app redeems it and opens a session. Nothing about OIDC is mocked; only the browser is.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import type { Config } from '../../config';
import { compressedCycle } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';

// ---- The provider -------------------------------------------------------------------------------

/** The part of oidc-provider's API this test uses (the package ships no types). */
interface InteractionLike {
  params: Record<string, string>;
}
interface GrantLike {
  addOIDCScope(scope: string): void;
  save(): Promise<string>;
}
interface ProviderLike {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionLike>;
  interactionFinished(req: IncomingMessage, res: ServerResponse, result: object, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
  Grant: new (init: { accountId: string; clientId: string }) => GrantLike;
  on(event: string, listener: (...args: unknown[]) => void): void;
}
type ProviderClass = new (issuer: string, configuration: object) => ProviderLike;

const CLIENT_ID = 'party-projects';
const CLIENT_SECRET = 'a-test-client-secret-of-some-length';
/** Registered with the provider; the test never needs the app to listen there: it takes the provider's redirect and hands it to app.inject. */
const REDIRECT_URI = 'http://127.0.0.1:3999/auth/oidc/callback';

/** What the provider's login page does next: sign in as this account, or have the person decline. */
let nextAtProvider: { accountId: string } | { decline: true } = { decline: true };

/** Employee numbers the provider releases (from UserInfo) for a custom subject claim. */
const EMPLOYEE_NO: Record<string, string> = { 'zhang.san': 'E-1001' };

async function startProvider(): Promise<{ issuer: string; server: Server }> {
  const { default: Provider } = (await import('oidc-provider' as string)) as { default: ProviderClass };
  // The provider needs its issuer (this server's port) to be built: the server starts first.
  const ready: { provider?: ProviderLike; handle?: (req: IncomingMessage, res: ServerResponse) => void } = {};
  const server = createServer((req, res) => {
    const { provider, handle } = ready;
    if (!provider || !handle) return void res.writeHead(503).end();
    // The provider's login and consent page: here the test decides who signs in, through the
    // provider's own interaction API (the same calls a real login page makes).
    if (req.url?.startsWith('/interaction/')) {
      void (async () => {
        const details = await provider.interactionDetails(req, res);
        const next = nextAtProvider;
        if ('decline' in next) {
          await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the person declined' }, { mergeWithLastSubmission: false });
          return;
        }
        const grant = new provider.Grant({ accountId: next.accountId, clientId: details.params.client_id });
        grant.addOIDCScope(details.params.scope);
        const grantId = await grant.save();
        await provider.interactionFinished(req, res, { login: { accountId: next.accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
      })().catch((error: unknown) => res.writeHead(500).end(String(error)));
      return;
    }
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    findAccount: async (_ctx: unknown, sub: string) => ({
      accountId: sub,
      claims: async () => ({ sub, name: `用户 ${sub}`, employee_no: EMPLOYEE_NO[sub] }),
    }),
    claims: { openid: ['sub'], profile: ['name', 'employee_no'] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: async (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    cookies: { keys: ['a-test-cookie-signing-key'] },
    pkce: { required: () => true },
    // Explicit lifetimes (seconds), which also keeps the provider from noting each default it falls back to.
    ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
  });
  // The provider logs its server errors as events; a test that fails there should say why.
  provider.on('server_error', (_ctx, error) => console.error('oidc-provider server_error', error));
  ready.provider = provider;
  ready.handle = provider.callback();
  return { issuer, server };
}

// ---- The browser --------------------------------------------------------------------------------

/** The provider's cookies, as a browser keeps them between its redirects. */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]) < Date.now()));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** A cookie the app set, with its attributes (light-my-request parses them). */
function appCookie(response: LightMyRequestResponse, name: string) {
  return response.cookies.find((c) => c.name === name) as { name: string; value: string; httpOnly?: boolean; sameSite?: string; secure?: boolean; path?: string; maxAge?: number; expires?: Date } | undefined;
}

interface AtProvider {
  /** The app's flow cookie from /auth/oidc/login. */
  flowCookie: string;
  /** Path and query of the callback the provider sent the browser back to. */
  callback: string;
}

/** GET /auth/oidc/login on `app`, then the provider's redirects (as a browser follows them) until it sends the browser back to the app. */
async function throughProvider(app: FastifyInstance, at: typeof nextAtProvider, returnTo?: string): Promise<AtProvider> {
  const login = await app.inject({ method: 'GET', url: '/auth/oidc/login', query: returnTo === undefined ? {} : { returnTo } });
  expect(login.statusCode, login.body).toBe(302);
  const flowCookie = appCookie(login, 'pp_oidc');
  expect(flowCookie?.value).toBeTruthy();
  nextAtProvider = at;
  const jar = new CookieJar();
  let url = new URL(login.headers.location as string);
  for (let hop = 0; hop < 10; hop++) {
    const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.store(response);
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) throw new Error(`the provider answered ${response.status} at ${url.href}: ${await response.text()}`);
    url = new URL(location, url);
    if (url.href.startsWith(REDIRECT_URI)) return { flowCookie: flowCookie!.value, callback: `${url.pathname}${url.search}` };
  }
  throw new Error('the provider never sent the browser back');
}

function callback(app: FastifyInstance, at: AtProvider, flowCookie: string | null = at.flowCookie): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url: at.callback, cookies: flowCookie === null ? {} : { pp_oidc: flowCookie } });
}

// ---- The tests ----------------------------------------------------------------------------------

describe('single sign-on (OpenID Connect, 统一身份认证)', () => {
  let provider: { issuer: string; server: Server } | undefined;
  const settings = (overrides: Partial<NonNullable<Config['oidc']>> = {}): NonNullable<Config['oidc']> => ({
    issuer: provider!.issuer,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUri: REDIRECT_URI,
    scopes: 'openid profile',
    subjectClaim: 'sub',
    ...overrides,
  });
  // Registered before the harness's own beforeAll, so the provider is up when the app is configured.
  beforeAll(async () => {
    provider = await startProvider();
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (provider ? provider.server.close(() => resolve()) : resolve()));
  });

  const cycle = compressedCycle('cy-oidc', Date.now());
  const h = useHarness({ name: 'oidc', cycle, worker: false, app: () => ({ oidc: settings() }) });

  beforeAll(async () => {
    await h.db.updateTable('users').set({ oidc_subject: 'zhang.san' }).where('id', '=', 'u-sec-b1').execute();
    await h.db.updateTable('users').set({ oidc_subject: 'li.si' }).where('id', '=', 'u-sec-b2').execute();
    await h.db.updateTable('users').set({ oidc_subject: 'wang.wu', disabled_at: new Date() }).where('id', '=', 'u-member-b1').execute();
  });

  const securityEvents = (kind: string) =>
    h.db.selectFrom('security_events').select(['kind', 'actor_id', 'subject', 'detail']).where('kind', '=', kind).orderBy('id').execute();

  it('says single sign-on is on, and where it starts', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/auth/oidc' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ enabled: true, loginUrl: '/auth/oidc/login' });
  });

  it('sends the browser to the provider with state, nonce and PKCE, keeping them in a short-lived HttpOnly cookie', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/auth/oidc/login' });
    expect(res.statusCode).toBe(302);
    const to = new URL(res.headers.location as string);
    expect(to.origin).toBe(provider!.issuer);
    expect(to.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(to.searchParams.get('redirect_uri')).toBe(REDIRECT_URI);
    expect(to.searchParams.get('response_type')).toBe('code');
    expect(to.searchParams.get('scope')).toBe('openid profile');
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    for (const p of ['state', 'nonce', 'code_challenge']) expect(to.searchParams.get(p)?.length, p).toBeGreaterThanOrEqual(43);
    const flow = appCookie(res, 'pp_oidc');
    expect(flow).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', maxAge: 600 });
    expect(flow?.secure).toBeFalsy();
  });

  it('signs the person in through the provider: session cookie, redirect to returnTo, sign_in recorded; the cookie then authenticates', async () => {
    const at = await throughProvider(h.app, { accountId: 'zhang.san' }, '/projects?cycle=cy-oidc');
    const res = await callback(h.app, at);
    expect(res.statusCode, res.body).toBe(302);
    expect(res.headers.location).toBe('/projects?cycle=cy-oidc');
    const session = appCookie(res, 'pp_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(session?.secure).toBeFalsy();
    expect(session?.expires?.getTime()).toBeGreaterThan(Date.now());
    // The flow is spent: its cookie is cleared.
    expect(appCookie(res, 'pp_oidc')?.value).toBe('');

    const me = await h.app.inject({ method: 'GET', url: '/me', cookies: { pp_session: session!.value } });
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json()).toMatchObject({ id: 'u-sec-b1' });
    const projects = await h.app.inject({ method: 'GET', url: '/projects?cycle=cy-oidc', cookies: { pp_session: session!.value } });
    expect(projects.statusCode, projects.body).toBe(200);

    const row = await h.db.selectFrom('sessions').select(['user_id', 'via']).where('user_id', '=', 'u-sec-b1').executeTakeFirstOrThrow();
    expect(row.via).toBe('oidc');
    expect(await securityEvents('sign_in')).toContainEqual(expect.objectContaining({ actor_id: 'u-sec-b1', subject: 'u-sec-b1', detail: expect.objectContaining({ via: 'oidc', oidcSubject: 'zhang.san' }) }));
  });

  it('redeems a code once: the same callback again is refused', async () => {
    const at = await throughProvider(h.app, { accountId: 'li.si' });
    expect((await callback(h.app, at)).statusCode).toBe(302);
    const again = await callback(h.app, at);
    expect(again.statusCode, again.body).toBe(400);
    expect(again.json()).toMatchObject({ status: 400, rule: 'auth.oidc_flow' });
    expect(appCookie(again, 'pp_session')).toBeUndefined();
  });

  it('refuses a tampered state, and a callback without the flow cookie of the browser that started it', async () => {
    const at = await throughProvider(h.app, { accountId: 'zhang.san' });
    const tampered = { ...at, callback: at.callback.replace(/state=[^&]+/, 'state=forged-state-value-forged-state-value-xx') };
    const res = await callback(h.app, tampered);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 400, rule: 'auth.oidc_flow' });
    expect(res.json().detail).toMatch(/重新登录/);
    expect(appCookie(res, 'pp_session')).toBeUndefined();

    // Login CSRF: a code obtained by someone else, delivered to a browser that never started a flow.
    const other = await throughProvider(h.app, { accountId: 'zhang.san' });
    const noFlow = await callback(h.app, other, null);
    expect(noFlow.statusCode, noFlow.body).toBe(400);
    expect(appCookie(noFlow, 'pp_session')).toBeUndefined();
    // Nor does another flow's cookie fit.
    const crossed = await callback(h.app, other, at.flowCookie);
    expect(crossed.statusCode, crossed.body).toBe(400);

    expect((await securityEvents('sign_in_failed')).filter((e) => (e.detail as { reason?: string }).reason === 'flow_invalid').length).toBeGreaterThanOrEqual(3);
  });

  it('refuses a subject no user has, in Chinese, recorded as sign_in_failed', async () => {
    const at = await throughProvider(h.app, { accountId: 'nobody.here' });
    const res = await callback(h.app, at);
    expect(res.statusCode, res.body).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 403, rule: 'auth.oidc_unknown_subject' });
    expect(res.json().detail).toMatch(/尚未关联本系统用户/);
    expect(appCookie(res, 'pp_session')).toBeUndefined();
    expect(await securityEvents('sign_in_failed')).toContainEqual(
      expect.objectContaining({ actor_id: null, detail: expect.objectContaining({ via: 'oidc', reason: 'unknown_subject', subject: 'nobody.here' }) }),
    );
  });

  it('refuses a disabled user, recorded as sign_in_failed about that user', async () => {
    const at = await throughProvider(h.app, { accountId: 'wang.wu' });
    const res = await callback(h.app, at);
    expect(res.statusCode, res.body).toBe(403);
    expect(res.json()).toMatchObject({ status: 403, rule: 'auth.user_disabled' });
    expect(res.json().detail).toMatch(/已停用/);
    expect(appCookie(res, 'pp_session')).toBeUndefined();
    expect(await securityEvents('sign_in_failed')).toContainEqual(expect.objectContaining({ subject: 'u-member-b1', detail: expect.objectContaining({ reason: 'user_disabled' }) }));
    expect(await h.db.selectFrom('sessions').select('user_id').where('user_id', '=', 'u-member-b1').execute()).toEqual([]);
  });

  it('refuses when the person declines at the provider', async () => {
    const at = await throughProvider(h.app, { decline: true });
    expect(at.callback).toMatch(/error=access_denied/);
    const res = await callback(h.app, at);
    expect(res.statusCode, res.body).toBe(403);
    expect(res.json()).toMatchObject({ status: 403, rule: 'auth.oidc_provider_refused' });
  });

  it('follows only same-origin paths after sign-in', async () => {
    for (const returnTo of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'projects', '/a\r\nSet-Cookie: x=1']) {
      const res = await h.app.inject({ method: 'GET', url: '/auth/oidc/login', query: { returnTo } });
      expect(res.statusCode, returnTo).toBe(400);
      expect(res.json()).toMatchObject({ status: 400, field: 'returnTo' });
    }
  });

  it('maps another claim when configured (an employee number the provider releases from UserInfo)', async () => {
    await h.db.updateTable('users').set({ oidc_subject: 'E-1001' }).where('id', '=', 'u-sec-oc1').execute();
    const app = await buildApp(h.appOptions({ oidc: settings({ subjectClaim: 'employee_no' }) }));
    try {
      const at = await throughProvider(app, { accountId: 'zhang.san' });
      const res = await callback(app, at);
      expect(res.statusCode, res.body).toBe(302);
      const me = await app.inject({ method: 'GET', url: '/me', cookies: { pp_session: appCookie(res, 'pp_session')!.value } });
      expect(me.json()).toMatchObject({ id: 'u-sec-oc1' });
      // Without that claim there is no one to sign in.
      const without = await callback(app, await throughProvider(app, { accountId: 'li.si' }));
      expect(without.statusCode, without.body).toBe(403);
      expect(without.json()).toMatchObject({ rule: 'auth.oidc_no_subject' });
    } finally {
      await app.close();
    }
  });

  it('answers 503 while the provider cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const app = await buildApp(h.appOptions({ oidc: settings({ issuer: `http://127.0.0.1:${port}` }) }));
    try {
      const res = await app.inject({ method: 'GET', url: '/auth/oidc/login' });
      expect(res.statusCode, res.body).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      expect(res.json().detail).toMatch(/统一身份认证服务暂时无法访问/);
    } finally {
      await app.close();
    }
  });

  it('is off when not configured: 404 problem+json, and the console is told', async () => {
    const app = await buildApp(h.appOptions({ oidc: null }));
    try {
      expect((await app.inject({ method: 'GET', url: '/auth/oidc' })).json()).toEqual({ enabled: false, loginUrl: null });
      for (const url of ['/auth/oidc/login', '/auth/oidc/callback?code=x&state=y']) {
        const res = await app.inject({ method: 'GET', url });
        expect(res.statusCode, url).toBe(404);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.json().detail).toMatch(/未配置统一身份认证/);
      }
    } finally {
      await app.close();
    }
  });
});
