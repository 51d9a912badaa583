import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { pingDb, type Db } from '../../db';
import { laggingSummary } from '../../db/persistence';

const Check = Type.Object({ ok: Type.Boolean(), latencyMs: Type.Number(), error: Type.Optional(Type.String()) });
const Persistence = Type.Object({
  laggingProjects: Type.Integer({ description: 'projects whose event log falls behind their workflow (details: GET /persistence/lagging)' }),
  oldestSince: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
});
const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('unavailable')]),
  checks: Type.Object({ temporal: Check, postgres: Check }),
  persistence: Type.Optional(Persistence),
});

const CHECK_TIMEOUT_MS = 2000;

async function timed(fn: () => Promise<unknown>): Promise<{ ok: boolean; latencyMs: number; error?: string }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

async function persistenceSummary(db: Db) {
  const summary = await laggingSummary(db);
  return { laggingProjects: summary.laggingProjects, oldestSince: summary.oldestSince?.toISOString() ?? null, lastError: summary.lastError?.slice(0, 200) ?? null };
}

/** Reachability of Temporal and PostgreSQL; 503 names whichever is down; lagging persistence shows as degraded. */
const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        tags: ['system'],
        security: [],
        summary: 'Reachability of Temporal and PostgreSQL',
        response: { 200: Health, 503: Health },
      },
    },
    async (_request, reply) => {
      const { temporal, namespace, db } = app.deps;
      const [temporalCheck, postgresCheck] = await Promise.all([
        timed(() =>
          temporal.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
            temporal.workflowService.describeNamespace({ namespace }),
          ),
        ),
        timed(() => pingDb(db)),
      ]);
      const ok = temporalCheck.ok && postgresCheck.ok;
      if (!ok) reply.header('retry-after', '5');
      // A persistence that keeps failing is not an outage (actions are still accepted and kept by
      // Temporal) but it must not be silent: the service reports itself degraded, with the count.
      const persistence = postgresCheck.ok ? await persistenceSummary(db).catch(() => undefined) : undefined;
      const degraded = ok && (persistence?.laggingProjects ?? 0) > 0;
      return reply.status(ok ? 200 : 503).send({
        status: ok ? (degraded ? 'degraded' : 'ok') : 'unavailable',
        checks: { temporal: temporalCheck, postgres: postgresCheck },
        ...(persistence ? { persistence } : {}),
      });
    },
  );
};

export default healthRoutes;
