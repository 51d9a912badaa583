/**
 * Persistence lag (持久化滞后): projects whose persistence activity keeps failing, so their event
 * log and projection fall behind the workflow. The workflow keeps accepting actions meanwhile —
 * Temporal's history holds them durably and the activity retries with backoff (at most 30 s apart)
 * until it succeeds — but the lag must never be silent: committee staff and auditors list it here,
 * `/health` counts it, and the audit reports it as its own finding.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { listLagging } from '../../db/persistence';
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
      const { total, items } = await listLagging(app.deps.db, request.query.limit);
      return { total, items: items.map((r) => ({ ...r, since: r.since.toISOString(), lastAttemptAt: r.lastAttemptAt.toISOString() })) };
    },
  );
};

export default persistenceRoutes;
