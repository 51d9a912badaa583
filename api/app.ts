/**
 * The Fastify application as a factory: the server entry, the start script and the tests all
 * build it here with their own infrastructure handed in.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { AjvCompiler } from '@fastify/ajv-compiler';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Client, Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import { pingDb, type Db } from '../db';
import { createFileContentStore, type ContentStore } from '../db/content-store';
import { loadConfig, type Config } from '../config';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import type { SessionPolicy, ThrottlePolicy } from '../db/identity';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import auth from './plugins/auth';
import errors, { frameworkProblem } from './plugins/errors';
import idempotency from './plugins/idempotency';
import storableText from './plugins/storable-text';
import { completeErrorResponses, PROBLEM_CONTENT_TYPE, problemType } from './problem';
import auditRoutes from './routes/audit';
import cycleRoutes from './routes/cycles';
import evidenceFileRoutes from './routes/evidence-files';
import reportRoutes from './routes/reports';
import projectRoutes from './routes/projects';
import { ProblemSchema } from './problem';
import healthRoutes from './routes/health';
import taskRoutes from './routes/tasks';
import persistenceRoutes from './routes/persistence';
import wiringCheckRoutes from './routes/wiring-checks';
import importRoutes from './routes/imports';
import { createCyclesService, type CyclesService } from '../services/cycles';
import { createProjectsService, type ProjectsService } from '../services/projects';
import orgRoutes from './routes/orgs';
import userRoutes from './routes/users';
import securityEventRoutes from './routes/security-events';
import sessionRoutes from './routes/session';
import oidcRoutes from './routes/oidc';
import consolePlugin from './plugins/console';
import notificationRoutes from './routes/notifications';
import listRoutes from './routes/lists';
import exportRoutes from './routes/exports';

export interface AppDeps {
  db: Db;
  /** Content-addressed evidence files; defaults to EVIDENCE_DIR. */
  store: ContentStore;
  /** How often the database is probed for back-pressure (ms). */
  healthCheckIntervalMs?: number;
  /** Requests per minute per authenticated user, and per client address on routes without authentication (/health, /docs); default 600. */
  rateLimitPerMinute?: number;
  /**
   * Failed authentications (missing, malformed, unknown, expired tokens) per client address per
   * minute before 429; default a twentieth of rateLimitPerMinute, at least 10 (30 for 600).
   */
  authFailuresPerMinute?: number;
  /** Deadline of each Temporal call made while serving a request (default 5000 ms). */
  temporalCallTimeoutMs?: number;
  /** How long an in-progress Idempotency-Key is held before a retry may take it over (default 60 s). */
  idempotencyLeaseMs?: number;
  /** Browser sessions' idle and absolute expiry (default 30 min / 12 h). */
  sessionPolicy?: SessionPolicy;
  /** Mark the session cookie Secure (behind TLS). */
  cookieSecure?: boolean;
  /** Sign-in throttling (default 5 failures per account, 20 per address, in 15 min; 15 min lock). */
  signInThrottle?: ThrottlePolicy;
  /** Single sign-on (OIDC); default from the environment (OIDC_*), null: off. */
  oidc?: Config['oidc'];
  /**
   * Whether e-mail notifications can be delivered (an SMTP server is configured, SMTP_URL). When
   * false, a person cannot switch e-mail on: it would only fill the dead letters. Default true (the
   * relay, not the API, holds the SMTP settings in tests).
   */
  emailDelivery?: boolean;
  temporal: Client;
  namespace: string;
  taskQueue: string;
  logger: Logger;
}

declare module 'fastify' {
  interface FastifyInstance {
    deps: AppDeps;
    /** The services the routes delegate to, built from `deps`. */
    services: { projects: ProjectsService; cycles: CyclesService };
    /** Every route registered, as `METHOD /path` (the OpenAPI inventory test compares it with the document). */
    routeInventory: string[];
  }
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

const AJV_OPTIONS = { allErrors: false, removeAdditional: false, useDefaults: true } as const;
// The same pool Fastify would use by default (@fastify/ajv-compiler, Fastify's own dependency).
const validatorPool = AjvCompiler();

/**
 * Two validators: bodies are JSON and carry their own types, so they are validated as sent — a
 * `null` baseline, `"60"` for a number, a string where a list is due or a number where text is due
 * is a 400 naming the field, not silently stored as 0, 60, a one-element list or "60".
 * Query strings, path parameters and headers are text by nature: they keep ajv's coercion
 * (`?limit=20`, `/inspections/2`, `?overdue=true`).
 */
const buildValidator: ReturnType<typeof AjvCompiler> = (externalSchemas, options) => {
  // Only ajv's own mode is used here (never JTD): its options are ajv options.
  const shared = { onCreate: options?.onCreate, plugins: options?.plugins };
  const customOptions = { ...(options?.mode === 'JTD' ? {} : options?.customOptions), ...AJV_OPTIONS };
  const coercing = validatorPool(externalSchemas, { ...shared, customOptions: { ...customOptions, coerceTypes: 'array' } });
  const strict = validatorPool(externalSchemas, { ...shared, customOptions: { ...customOptions, coerceTypes: false } });
  // Fastify calls the compiler with the route definition ({ schema, method, url, httpPart }), not
  // with the bare schema the types suggest; the pool's compilers take that definition too.
  return (route) => (typeof route === 'object' && route.httpPart === 'body' ? strict : coercing)(route);
};

/** `exclusiveMinimum: n` (draft 7) → `minimum: n, exclusiveMinimum: true` (OpenAPI 3.0), and the same for maxima, everywhere in the document. */
export function toOpenApi30Bounds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toOpenApi30Bounds);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = toOpenApi30Bounds(value);
  for (const [exclusive, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    if (typeof out[exclusive] === 'number') {
      out[bound] = out[exclusive];
      out[exclusive] = true;
    }
  }
  return out;
}

/** The app's settings taken from the configuration (what the API server and `npm start` pass beside their own resources). */
export function appSettingsFromConfig(config: Config): Pick<AppDeps, 'namespace' | 'taskQueue' | 'cookieSecure' | 'sessionPolicy' | 'oidc' | 'emailDelivery'> {
  return {
    emailDelivery: config.notifications.smtpUrl !== null,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    cookieSecure: config.auth.cookieSecure,
    sessionPolicy: { idleMs: config.auth.sessionIdleMs, absoluteMs: config.auth.sessionAbsoluteMs },
    oidc: config.oidc,
  };
}

export async function buildApp(options: Omit<AppDeps, 'store'> & { store?: ContentStore }): Promise<FastifyInstance> {
  const deps: AppDeps = { ...options, store: options.store ?? createFileContentStore(loadConfig().evidenceDir) };
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'api' }) as FastifyBaseLogger,
    // Honour a well-formed incoming x-request-id so a caller can follow one request across logs.
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { ...AJV_OPTIONS } },
    schemaController: { compilersFactory: { buildValidator } },
    // The router's own refusals (a path parameter over maxParamLength: 414; a malformed percent
    // encoding: 400) are answered before any route or hook: without this they are plain JSON.
    frameworkErrors: (error, request, reply) => {
      const problem = frameworkProblem(error, request);
      // Typed for a route's schema; there is no route here.
      void (reply as unknown as FastifyReply).status(problem.status).type(PROBLEM_CONTENT_TYPE).header('x-request-id', request.id).send(problem);
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('deps', deps);
  app.decorate('services', { projects: createProjectsService(deps), cycles: createCyclesService(deps) });
  const inventory: string[] = [];
  app.decorate('routeInventory', inventory);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) if (method !== 'HEAD') inventory.push(`${method} ${route.url}`);
    // Every status the shared hooks can answer is documented, every problem as application/problem+json.
    completeErrorResponses(route as Parameters<typeof completeErrorResponses>[0]);
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addSchema(ProblemSchema);

  await app.register(swagger, {
    // The document is OpenAPI 3.0, whose schema dialect writes exclusive bounds as booleans beside
    // minimum/maximum; route schemas are JSON Schema draft 7 (what ajv validates), where they are
    // numbers. Only the document is rewritten: validation keeps the route's own schema.
    transformObject: (document) => ('openapiObject' in document ? (toOpenApi30Bounds(document.openapiObject) as typeof document.openapiObject) : document.swaggerObject),
    openapi: {
      openapi: '3.0.3',
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'pp_session', description: '浏览器登录会话（POST /auth/sign-in）；修改类请求须带 x-csrf-token 头' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
      info: {
        title: 'Party-building project lifecycle engine (党建项目全周期管理)',
        version: '0.1.0',
        description: 'Durable Temporal workflows for annual party-building project cycles.',
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });
  await app.register(errors);
  // The docs UI needs inline scripts and styles; everything else gets helmet's strict defaults.
  await app.register(helmet, { contentSecurityPolicy: false, global: true });
  let unavailable: string | null = null;
  await app.register(underPressure, {
    // No event-loop-delay limit: under-pressure reads a sampling interval without samples (a loop
    // busy for the whole interval, e.g. one large JSON answer on a loaded machine) as an infinite
    // delay and sheds every request that follows with 503, although nothing is wrong.
    retryAfter: 5,
    // A database or Temporal frontend that stops answering puts the API under pressure too: every
    // request then gets 503 + Retry-After at once, instead of each waiting for its own deadline.
    healthCheck: async () => {
      const within = (what: Promise<unknown>) =>
        Promise.race([what, new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 3000).unref())]).then(
          () => true,
          () => false,
        );
      const [postgres, temporal] = await Promise.all([
        within(pingDb(deps.db)),
        within(deps.temporal.connection.withDeadline(Date.now() + 3000, () => deps.temporal.workflowService.getSystemInfo({}))),
      ]);
      unavailable = !postgres ? '数据库暂时无法响应' : !temporal ? '工作流引擎暂时无法响应' : null;
      return unavailable === null;
    },
    healthCheckInterval: deps.healthCheckIntervalMs ?? 5000,
    pressureHandler: (request, reply, type, value) => {
      // /health reports the outage itself, with its own 503 body.
      if (request.routeOptions.url === '/health') return;
      // under-pressure sends whatever this returns, and stops the request there.
      reply.status(503).header('retry-after', '5').type(PROBLEM_CONTENT_TYPE);
      const detail = type === 'healthCheck' ? (unavailable ?? '依赖服务暂时无法响应') : `${type}: ${value}`;
      const problem = { type: problemType('overloaded'), title: 'Service overloaded', status: 503, detail: `服务繁忙（${detail}），请稍后重试。` };
      // Typed as void upstream, but a returned value is what gets sent.
      return problem as unknown as void;
    },
  });
  // Budgets are per authenticated user, and per client address for everything else. The key is
  // never a request header: keyed by the Authorization header, anyone could mint a fresh budget
  // per request (random tokens, or any header at all on /health). The limiter's hook is a
  // route-level onRequest hook, and Fastify runs route-level hooks after the shared ones, so it
  // runs after authentication (plugins/auth.ts) and sees request.user. Requests that fail
  // authentication never reach it: auth.ts limits those per address itself, before its database lookup.
  await app.register(rateLimit, {
    max: deps.rateLimitPerMinute ?? 600,
    timeWindow: '1 minute',
    keyGenerator: (request) => (request.user ? `user:${request.user.id}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      type: problemType('rate-limited'),
      title: 'Too many requests',
      status: 429,
      detail: `请求过于频繁：每分钟最多 ${context.max} 次，请在 ${Math.ceil(context.ttl / 1000)} 秒后重试。`,
    }),
  });
  await app.register(storableText);
  await app.register(cookie);
  await app.register(auth);
  await app.register(idempotency, { leaseMs: deps.idempotencyLeaseMs });
  // Temporal calls made while serving a request get a short deadline each. Without one, a dead
  // Temporal frontend makes the client's gRPC retry interceptor back off for ~20 s per call and
  // the request ends in a 500; with it, the call fails with DEADLINE_EXCEEDED, which the error
  // handler (plugins/errors.ts) answers with 503 + Retry-After. The Connection reads its call
  // context from an AsyncLocalStorage (Connection.withDeadline uses the same store); the deadline
  // is a getter so that each call, not the whole request, gets the budget: a long request (a
  // cycle-wide audit, an Update long-poll loop) is not cut short, a call nobody answers is.
  // This is the last shared preHandler hook and calls `done` synchronously inside the context,
  // so the route's handler (invoked from `done`) and everything it awaits run inside it.
  // 15 s per call: long enough for an Update on a busy worker, short against the ~20 s per call of
  // the retry interceptor's back-off; an outage is answered at once by the health check above.
  const temporalCallTimeoutMs = deps.temporalCallTimeoutMs ?? 15_000;
  app.addHook('preHandler', (request, _reply, done) => {
    const connection = deps.temporal.connection;
    const storage = (connection as Partial<Pick<Connection, 'callContextStorage'>>).callContextStorage;
    if (!storage) {
      // Another ConnectionLike (a NativeConnection): one deadline for the request, through the public API.
      connection.withDeadline(Date.now() + temporalCallTimeoutMs, async () => done()).catch((err) => request.log.error({ err }, 'entering the Temporal deadline context failed'));
      return;
    }
    const outer = storage.getStore();
    storage.run(
      {
        ...outer,
        get deadline() {
          return Date.now() + temporalCallTimeoutMs;
        },
      },
      done,
    );
  });
  await app.register(healthRoutes);
  await app.register(taskRoutes);
  await app.register(persistenceRoutes);
  await app.register(wiringCheckRoutes);
  await app.register(orgRoutes);
  await app.register(userRoutes);
  await app.register(securityEventRoutes);
  await app.register(projectRoutes);
  await app.register(cycleRoutes);
  await app.register(evidenceFileRoutes);
  await app.register(reportRoutes);
  await app.register(auditRoutes);
  await app.register(importRoutes);
  await app.register(sessionRoutes);
  await app.register(oidcRoutes);
  await app.register(consolePlugin, {});
  await app.register(notificationRoutes);
  await app.register(listRoutes);
  await app.register(exportRoutes);
  return app;
}
