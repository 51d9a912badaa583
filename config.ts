/**
 * The one typed configuration module: every setting the api, the worker and the start
 * script read comes from here, from environment variables with embedded defaults.
 */
import path from 'node:path';

export interface Config {
  /** Where embedded services keep their data (Temporal SQLite file, PostgreSQL cluster, evidence files). */
  dataDir: string;
  /** Content-addressed evidence files (default: <dataDir>/evidence). */
  evidenceDir: string;
  /** Project-local cache (the temporal CLI built from the Go module proxy). */
  cacheDir: string;
  temporal: {
    /** External Temporal frontend (host:port); null means start the embedded dev server. */
    address: string | null;
    namespace: string;
    taskQueue: string;
    /** Ports of the embedded dev server. */
    devServerPort: number;
    devServerUiPort: number;
  };
  database: {
    /** External PostgreSQL URL; null means start the embedded PostgreSQL. */
    url: string | null;
    embeddedPort: number;
    embeddedDatabase: string;
  };
  api: {
    host: string;
    port: number;
  };
  logLevel: string;
  /** `npm start` on the embedded defaults opens and launches the demo city; DEMO=0 skips it. */
  demo: boolean;
  /** An explicit temporal CLI binary for the embedded dev server; null means PATH, the cache, or a fresh build. */
  temporalCli: string | null;
  auth: {
    /** Mark the session cookie Secure (serve behind TLS); COOKIE_SECURE=1. */
    cookieSecure: boolean;
    /** A browser session unused this long ends (SESSION_IDLE_MINUTES, default 30). */
    sessionIdleMs: number;
    /** A browser session ends this long after sign-in (SESSION_ABSOLUTE_HOURS, default 12). */
    sessionAbsoluteMs: number;
  };
  /** Single sign-on through an OpenID Connect provider (统一身份认证); null when OIDC_ISSUER is unset. */
  oidc: {
    issuer: string;
    clientId: string;
    clientSecret: string | null;
    /** Where the provider sends the browser back: <public base>/auth/oidc/callback. */
    redirectUri: string;
    scopes: string;
    /** The provider's claim that names the user here (default `sub`, matched against users.oidc_subject). */
    subjectClaim: string;
  } | null;
  /** The notification relay (one per API and worker process): channels beyond the inbox, retries. */
  notifications: {
    /** SMTP server for e-mail notifications (SMTP_URL, e.g. smtp://user:pass@mail.example.org:587); null: e-mails fail and dead-letter. */
    smtpUrl: string | null;
    /** Sender of notification e-mails (SMTP_FROM). */
    smtpFrom: string;
    /** How often a relay looks for work (NOTIFICATION_POLL_MS, default 2000). */
    pollMs: number;
    /** Attempts on a channel before the delivery is dead-lettered (NOTIFICATION_MAX_ATTEMPTS, default 8). */
    maxAttempts: number;
  };
  worker: {
    /** How often a worker process logs its memory beside the workflows it caches (WORKER_MEMORY_LOG_SECONDS, default 60). */
    memoryLogMs: number;
  };
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

function oidcConfig(env: NodeJS.ProcessEnv): Config['oidc'] {
  const issuer = str(env, 'OIDC_ISSUER');
  if (!issuer) return null;
  const clientId = str(env, 'OIDC_CLIENT_ID');
  const redirectUri = str(env, 'OIDC_REDIRECT_URI');
  if (!clientId || !redirectUri) throw new Error('OIDC_ISSUER is set: OIDC_CLIENT_ID and OIDC_REDIRECT_URI are needed too');
  return {
    issuer,
    clientId,
    clientSecret: str(env, 'OIDC_CLIENT_SECRET'),
    redirectUri,
    scopes: str(env, 'OIDC_SCOPES') ?? 'openid profile',
    subjectClaim: str(env, 'OIDC_SUBJECT_CLAIM') ?? 'sub',
  };
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new Error(`${name} must be an integer port number, got "${raw}"`);
  }
  return value;
}

function str(env: NodeJS.ProcessEnv, name: string): string | null {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? null : raw.trim();
}

/** Reads the configuration from the environment (pass another record in tests). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const root = path.resolve(__dirname);
  return {
    dataDir: path.resolve(str(env, 'DATA_DIR') ?? path.join(root, '.data')),
    cacheDir: path.resolve(str(env, 'CACHE_DIR') ?? path.join(root, '.cache')),
    evidenceDir: path.resolve(str(env, 'EVIDENCE_DIR') ?? path.join(str(env, 'DATA_DIR') ?? path.join(root, '.data'), 'evidence')),
    temporal: {
      address: str(env, 'TEMPORAL_ADDRESS'),
      namespace: str(env, 'TEMPORAL_NAMESPACE') ?? 'default',
      taskQueue: str(env, 'TEMPORAL_TASK_QUEUE') ?? 'party-projects',
      devServerPort: int(env, 'TEMPORAL_DEV_PORT', 7233),
      devServerUiPort: int(env, 'TEMPORAL_UI_PORT', 8233),
    },
    database: {
      url: str(env, 'DATABASE_URL'),
      embeddedPort: int(env, 'EMBEDDED_PG_PORT', 5433),
      embeddedDatabase: 'party_projects',
    },
    api: {
      host: str(env, 'HOST') ?? '127.0.0.1',
      port: int(env, 'PORT', 3000),
    },
    logLevel: str(env, 'LOG_LEVEL') ?? 'info',
    demo: str(env, 'DEMO') !== '0',
    temporalCli: str(env, 'TEMPORAL_CLI'),
    auth: {
      cookieSecure: str(env, 'COOKIE_SECURE') === '1' || str(env, 'COOKIE_SECURE') === 'true',
      sessionIdleMs: positive(env, 'SESSION_IDLE_MINUTES', 30) * 60_000,
      sessionAbsoluteMs: positive(env, 'SESSION_ABSOLUTE_HOURS', 12) * 3600_000,
    },
    oidc: oidcConfig(env),
    notifications: {
      smtpUrl: str(env, 'SMTP_URL'),
      smtpFrom: str(env, 'SMTP_FROM') ?? '党建项目管理 <noreply@localhost>',
      pollMs: positive(env, 'NOTIFICATION_POLL_MS', 2000),
      maxAttempts: Math.round(positive(env, 'NOTIFICATION_MAX_ATTEMPTS', 8)),
    },
    worker: {
      memoryLogMs: positive(env, 'WORKER_MEMORY_LOG_SECONDS', 60) * 1000,
    },
  };
}

/** Environment variable names the config reads; docker-compose.yml is checked against these. */
export const CONFIG_ENV_VARS = [
  'DATA_DIR',
  'CACHE_DIR',
  'EVIDENCE_DIR',
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_TASK_QUEUE',
  'TEMPORAL_DEV_PORT',
  'TEMPORAL_UI_PORT',
  'DATABASE_URL',
  'EMBEDDED_PG_PORT',
  'HOST',
  'PORT',
  'LOG_LEVEL',
  'DEMO',
  'TEMPORAL_CLI',
  'COOKIE_SECURE',
  'SESSION_IDLE_MINUTES',
  'SESSION_ABSOLUTE_HOURS',
  'OIDC_ISSUER',
  'OIDC_CLIENT_ID',
  'OIDC_CLIENT_SECRET',
  'OIDC_REDIRECT_URI',
  'OIDC_SCOPES',
  'OIDC_SUBJECT_CLAIM',
  'SMTP_URL',
  'SMTP_FROM',
  'NOTIFICATION_POLL_MS',
  'NOTIFICATION_MAX_ATTEMPTS',
  'WORKER_MEMORY_LOG_SECONDS',
] as const;
