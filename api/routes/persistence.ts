/**
 * Persistence lag (持久化滞后): projects whose persistence activity keeps failing, so their event
 * log and projection fall behind the workflow. The workflow keeps accepting actions meanwhile —
 * Temporal's history holds them durably and the activity retries with backoff (at most 30 s apart)
 * until it succeeds — but the lag must never be silent: committee staff and auditors list it here,
 * `/health` counts it, and the audit reports it as its own finding.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { currentUser } from '../plugins/auth';
import { ProblemError, problemResponses } from '../problem';

const Lagging = Type.Object({
  projectId: Type.String(),
  workflowId: Type.String(),
  since: Type.String({ format: 'date-time', description: 'first failure of the pending write' }),
  lastAttemptAt: Type.String({ format: 'date-time' }),
  attempts: Type.Integer(),
  pendingSeq: Type.Integer({ description: 'first event number not yet in the event log' }),
  lastError: Type.String(),
});

const persistenceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/persistence/lagging',
    {
      schema: {
        tags: ['system'],
        summary: 'Projects whose event log and projection fall behind their workflow (持久化滞后), oldest first',
        querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ total: Type.Integer(), items: Type.Array(Lagging) }), ...problemResponses(400, 401, 403, 429, 503) },
      },
    },
    async (request) => {
      const user = currentUser(request);
      if (user.role !== 'committee' && user.role !== 'auditor') {
        throw new ProblemError(403, 'forbidden', 'Committee staff and auditors only', '只有工委工作人员和审计人员可以查看持久化滞后情况。', { rule: 'actor.not_committee' });
      }
      const rows = await app.deps.db.selectFrom('persistence_lag').selectAll().orderBy('since').limit(request.query.limit).execute();
      const total = await app.deps.db.selectFrom('persistence_lag').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      return {
        total: Number(total.n),
        items: rows.map((r) => ({
          projectId: r.project_id,
          workflowId: r.workflow_id,
          since: new Date(r.since).toISOString(),
          lastAttemptAt: new Date(r.last_attempt_at).toISOString(),
          attempts: r.attempts,
          pendingSeq: r.pending_seq,
          lastError: r.last_error,
        })),
      };
    },
  );
};

export default persistenceRoutes;
