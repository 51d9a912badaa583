/**
 * Single sign-on through the city's unified identity provider (统一身份认证), an OpenID Connect
 * provider: the authorization code flow with state, nonce and PKCE (S256), the provider found by
 * discovery. The provider vouches for a subject; `users.oidc_subject` says which user that is here.
 */
import * as client from 'openid-client';
import type { Config } from '../config';
import type { Db } from '../db';

export type OidcSettings = NonNullable<Config['oidc']>;

/** What the browser carries between the redirect to the provider and its return (the flow cookie). */
export interface OidcFlow {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** A same-origin path to land on after sign-in. */
  returnTo: string;
  /** Epoch ms after which the flow is refused, whatever the cookie's own lifetime. */
  expiresAt: number;
}

/** How long a person may take at the provider before the flow must start again. */
export const OIDC_FLOW_TTL_MS = 10 * 60_000;

/** Why a callback did not sign anyone in; each maps to one problem (api/routes/oidc.ts). */
export type OidcFailure =
  /** No flow cookie, an expired one, a state, nonce, issuer or code that does not match. */
  | { reason: 'flow_invalid'; message: string }
  /** The provider answered the authorization request with an error (the person declined, …). */
  | { reason: 'provider_refused'; error: string; description: string | null }
  /** The provider (discovery, token endpoint) cannot be reached or answers nonsense. */
  | { reason: 'provider_unavailable'; message: string }
  /** The configured claim is missing from the ID token and UserInfo. */
  | { reason: 'no_subject'; claim: string };

export class OidcError extends Error {
  constructor(readonly failure: OidcFailure) {
    super(`OIDC sign-in failed: ${failure.reason}`);
  }
}

/**
 * `returnTo` as this app will follow it: a path on this origin ("/projects?x=1"), never a URL
 * that leaves it ("//evil.example", "/\\evil.example", "https://…"); null when it is not one.
 */
export function sameOriginPath(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > 500) return null;
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return null;
  // Control characters (a CR/LF would split the Location header) and backslashes, which some
  // browsers read as slashes, are never part of a path the console links to.
  for (const char of value) if (char.charCodeAt(0) < 0x20 || char === '\u007f' || char === '\\') return null;
  // Whatever the browser resolves it to must stay on the origin it came from.
  const probe = new URL(value, 'http://this.origin');
  return probe.origin === 'http://this.origin' ? value : null;
}

/** The flow as a cookie value (base64url JSON): it holds nothing the browser's owner may not see. */
export function encodeFlow(flow: OidcFlow): string {
  return Buffer.from(JSON.stringify([flow.state, flow.nonce, flow.codeVerifier, flow.returnTo, flow.expiresAt])).toString('base64url');
}

/** The flow a cookie value holds, or null when it is missing, malformed or expired. */
export function decodeFlow(value: string | undefined, now = Date.now()): OidcFlow | null {
  if (!value || value.length > 2000) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 5) return null;
  const [state, nonce, codeVerifier, returnTo, expiresAt] = parsed as unknown[];
  if (typeof state !== 'string' || typeof nonce !== 'string' || typeof codeVerifier !== 'string' || typeof expiresAt !== 'number') return null;
  if (expiresAt <= now) return null;
  // The cookie is the browser's to change: the path is checked again on the way back.
  return { state, nonce, codeVerifier, returnTo: sameOriginPath(returnTo) ?? '/', expiresAt };
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Errors of the provider's own making (down, slow, answering HTML) as opposed to a flow that does not check out. */
function isUnavailable(error: unknown): boolean {
  if (error instanceof TypeError) return true; // fetch failed: refused, reset, DNS
  const code = (error as { code?: unknown }).code;
  return error instanceof client.ClientError && ['OAUTH_TIMEOUT', 'OAUTH_ABORT', 'OAUTH_RESPONSE_IS_NOT_CONFORM', 'OAUTH_RESPONSE_IS_NOT_JSON'].includes(String(code));
}

export interface OidcService {
  readonly settings: OidcSettings;
  /** The provider's authorization URL for a new flow, and the flow to keep in the browser. */
  beginSignIn(returnTo: string): Promise<{ url: string; flow: OidcFlow }>;
  /**
   * The subject the provider vouches for, from the query string the provider sent the browser
   * back with; throws OidcError when the flow does not check out.
   */
  finishSignIn(callbackQuery: string, flow: OidcFlow | null): Promise<{ subject: string }>;
}

/** A client of the configured provider; the provider's metadata is discovered at first use (and again after a failure). */
export function createOidcService(settings: OidcSettings, options: { timeoutMs?: number } = {}): OidcService {
  const issuer = new URL(settings.issuer);
  // Plain HTTP only to a provider on this very machine (a local test provider, a sidecar); a
  // provider anywhere else must be HTTPS, as openid-client insists by default.
  const insecure = issuer.protocol === 'http:' && LOOPBACK_HOSTS.has(issuer.hostname);
  let configuration: Promise<client.Configuration> | undefined;

  const discover = async (): Promise<client.Configuration> => {
    const discovered = await client.discovery(issuer, settings.clientId, undefined, client.None(), {
      execute: insecure ? [client.allowInsecureRequests] : [],
      timeout: (options.timeoutMs ?? 10_000) / 1000,
    });
    const metadata = discovered.serverMetadata();
    // A confidential client authenticates the way the provider supports, client_secret_basic
    // (RFC 8414's default) first; a public client (no secret) relies on PKCE alone.
    const methods = metadata.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
    const auth = !settings.clientSecret
      ? client.None()
      : methods.includes('client_secret_basic') || !methods.includes('client_secret_post')
        ? client.ClientSecretBasic(settings.clientSecret)
        : client.ClientSecretPost(settings.clientSecret);
    const config = new client.Configuration(metadata, settings.clientId, undefined, auth);
    config.timeout = (options.timeoutMs ?? 10_000) / 1000;
    if (insecure) client.allowInsecureRequests(config);
    return config;
  };

  const getConfiguration = (): Promise<client.Configuration> => {
    configuration ??= discover().catch((error: unknown) => {
      configuration = undefined; // the next sign-in tries again
      throw new OidcError({ reason: 'provider_unavailable', message: `discovery of ${issuer.href} failed: ${(error as Error).message}` });
    });
    return configuration;
  };

  return {
    settings,

    async beginSignIn(returnTo) {
      const config = await getConfiguration();
      const codeVerifier = client.randomPKCECodeVerifier();
      const flow: OidcFlow = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        codeVerifier,
        returnTo,
        expiresAt: Date.now() + OIDC_FLOW_TTL_MS,
      };
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: settings.redirectUri,
        scope: settings.scopes,
        response_type: 'code',
        state: flow.state,
        nonce: flow.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
      });
      return { url: url.href, flow };
    },

    async finishSignIn(callbackQuery, flow) {
      if (!flow) throw new OidcError({ reason: 'flow_invalid', message: 'no sign-in flow in progress in this browser (no flow cookie, or it expired)' });
      const config = await getConfiguration();
      // The URL the provider redirected to, rebuilt from the configured redirect URI (the Host
      // header behind a proxy may differ): openid-client takes the token request's redirect_uri from it.
      const currentUrl = new URL(settings.redirectUri);
      currentUrl.search = callbackQuery;
      let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
      try {
        tokens = await client.authorizationCodeGrant(config, currentUrl, {
          expectedState: flow.state,
          expectedNonce: flow.nonce,
          pkceCodeVerifier: flow.codeVerifier,
          idTokenExpected: true,
        });
      } catch (error) {
        if (error instanceof client.AuthorizationResponseError) {
          throw new OidcError({ reason: 'provider_refused', error: error.error, description: error.error_description ?? null });
        }
        if (isUnavailable(error)) throw new OidcError({ reason: 'provider_unavailable', message: (error as Error).message });
        // A state, issuer, nonce or PKCE mismatch, a code refused by the token endpoint (used,
        // expired, issued to another client): the flow does not check out.
        const cause = (error as { cause?: unknown }).cause;
        const detail = error instanceof client.ResponseBodyError ? `${error.error}: ${error.error_description ?? ''}` : (error as Error).message;
        throw new OidcError({ reason: 'flow_invalid', message: cause && typeof cause === 'object' && 'message' in cause ? `${detail} (${String(cause.message)})` : detail });
      }
      const claims = tokens.claims();
      let value: unknown = claims?.[settings.subjectClaim];
      // A claim the provider releases only from UserInfo (an employee number, a mobile number).
      if ((value === undefined || value === null) && claims && config.serverMetadata().userinfo_endpoint) {
        try {
          const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
          value = info[settings.subjectClaim];
        } catch (error) {
          if (isUnavailable(error)) throw new OidcError({ reason: 'provider_unavailable', message: (error as Error).message });
          throw new OidcError({ reason: 'flow_invalid', message: `UserInfo: ${(error as Error).message}` });
        }
      }
      const subject = typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
      if (!subject) throw new OidcError({ reason: 'no_subject', claim: settings.subjectClaim });
      return { subject };
    },
  };
}

/** The user a provider's subject names, if any, and whether they may sign in. */
export async function userForSubject(db: Db, subject: string): Promise<{ id: string; disabled: boolean } | undefined> {
  const row = await db.selectFrom('users').select(['id', 'disabled_at']).where('oidc_subject', '=', subject).executeTakeFirst();
  return row ? { id: row.id, disabled: row.disabled_at !== null } : undefined;
}
