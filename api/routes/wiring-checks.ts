import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { getWiringCheck } from '../../db/wiring-checks';
import { wiringCheckWorkflow } from '../../workflows';
import { currentUser } from '../plugins/auth';
import { ProblemError } from '../problem';

const WiringCheck = Type.Object({
  checkId: Type.String(),
  workflowId: Type.String(),
  message: Type.String(),
  stored: Type.Boolean(),
});
const StoredWiringCheck = Type.Object({
  checkId: Type.String(),
  message: Type.String(),
  workflowId: Type.String(),
  runId: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});

/**
 * A wiring check runs one small workflow whose activity writes one row: it proves the API, the
 * Temporal server, the worker and PostgreSQL are connected end to end.
 */
const wiringCheckRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/wiring-checks',
    {
      schema: {
        tags: ['system'],
        summary: 'Run a workflow that writes one row through an activity',
        body: Type.Object({ message: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        response: { 201: WiringCheck, 400: { $ref: 'Problem#' }, 401: { $ref: 'Problem#' }, 403: { $ref: 'Problem#' } },
      },
    },
    async (request, reply) => {
      // A system check that starts a workflow and writes a row: committee staff (administrators) only.
      if (currentUser(request).role !== 'committee') {
        throw new ProblemError(403, 'forbidden', 'Committee staff only', '只有工委工作人员可以运行连通性检查。', { rule: 'actor.not_committee' });
      }
      const checkId = randomUUID();
      const workflowId = `wiring-check/${checkId}`;
      const result = await app.deps.temporal.workflow.execute(wiringCheckWorkflow, {
        workflowId,
        taskQueue: app.deps.taskQueue,
        args: [{ checkId, message: request.body.message }],
        workflowExecutionTimeout: '1 minute',
      });
      return reply.status(201).send({ ...result, workflowId });
    },
  );

  app.get(
    '/wiring-checks/:checkId',
    {
      schema: {
        tags: ['system'],
        summary: 'Read the row a wiring check wrote',
        params: Type.Object({ checkId: Type.String({ format: 'uuid' }) }),
        response: { 200: StoredWiringCheck, 400: { $ref: 'Problem#' }, 404: { $ref: 'Problem#' } },
      },
    },
    async (request) => {
      const row = await getWiringCheck(app.deps.db, request.params.checkId);
      if (!row) throw new ProblemError(404, 'not-found', 'Wiring check not found', `找不到编号为 ${request.params.checkId} 的连通性检查记录。`);
      return {
        checkId: row.id,
        message: row.message,
        workflowId: row.workflow_id,
        runId: row.run_id,
        createdAt: row.created_at.toISOString(),
      };
    },
  );
};

export default wiringCheckRoutes;
