/** Annual cycles: open (calendar, rules, org tree, secretaries, planned projects), launch, progress. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { getCycleConfig, launchProgress, openCycle, secretariesWithoutKeyProject, type OpenCycleInput } from '../../db/cycles';
import { validate, validateCycleConfig, type CycleConfig } from '../../workflows/lifecycle';
import { launchCycleWorkflow, launchWorkflowId } from '../../workflows/launch-cycle';
import { currentUser } from '../plugins/auth';
import { ProblemError, problemRef, problemResponses } from '../problem';
import { refusalProblem } from '../projects-service';

const problem = problemRef;
const errors = problemResponses(400, 401, 403, 404, 409, 422, 429);

const Progress = Type.Object({
  cycleId: Type.String(),
  status: Type.String(),
  total: Type.Integer(),
  started: Type.Integer(),
  pending: Type.Integer(),
});
const CycleResponse = Type.Object({
  cycleId: Type.String(),
  year: Type.Integer(),
  launch: Progress,
  secretariesWithoutKeyProject: Type.Array(
    Type.Object({ secretaryId: Type.String(), orgId: Type.String(), keyProjects: Type.Integer(), required: Type.Integer() }),
  ),
});

function requireCommittee(user: ReturnType<typeof currentUser>, what: string): void {
  if (user.role !== 'committee') {
    throw new ProblemError(403, 'forbidden', 'Only committee staff may do this', `只有工委工作人员可以${what}。`, { rule: 'actor.not_committee' });
  }
}

const cycleRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/cycles',
    {
      bodyLimit: 20 * 1024 * 1024,
      schema: {
        tags: ['cycles'],
        summary: 'Open an annual cycle (年度项目周期): calendar, rules, org tree, secretaries and planned projects',
        body: Type.Object(
          {
            cycle: Type.Unknown({ description: 'CycleConfig: calendar, rules, committee' }),
            orgs: Type.Array(
              Type.Object(
                {
                  id: Type.String({ maxLength: 80 }),
                  parentId: Type.Union([Type.String({ maxLength: 80 }), Type.Null()]),
                  kind: Type.Union([Type.Literal('committee'), Type.Literal('unit'), Type.Literal('organ_committee'), Type.Literal('branch')]),
                  name: Type.String({ minLength: 1, maxLength: 200 }),
                  secretaryId: Type.String({ maxLength: 80 }),
                },
                { additionalProperties: false },
              ),
              { maxItems: 5000 },
            ),
            users: Type.Array(
              Type.Object(
                {
                  id: Type.String({ maxLength: 80 }),
                  name: Type.String({ minLength: 1, maxLength: 100 }),
                  role: Type.Union([Type.Literal('committee'), Type.Literal('secretary'), Type.Literal('inspector'), Type.Literal('auditor'), Type.Literal('member')]),
                  orgId: Type.String({ maxLength: 80 }),
                },
                { additionalProperties: false },
              ),
              { maxItems: 20000 },
            ),
            projects: Type.Array(Type.Object({ create: Type.Unknown(), children: Type.Array(Type.Unknown(), { maxItems: 50 }) }, { additionalProperties: false }), { maxItems: 10000 }),
            inspectorAssignments: Type.Optional(
              Type.Array(Type.Object({ inspectorId: Type.String({ maxLength: 80 }), orgId: Type.String({ maxLength: 80 }) }, { additionalProperties: false }), { maxItems: 5000 }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: CycleResponse, ...errors },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      requireCommittee(user, '开启年度周期');
      const cycle = request.body.cycle as CycleConfig;
      const invalid = validateCycleConfig(cycle);
      if (invalid) throw refusalProblem(invalid);
      for (const [index, project] of request.body.projects.entries()) {
        const refusal = validate(null, project.create as never, cycle);
        if (refusal) {
          throw new ProblemError(400, 'invalid', 'Invalid planned project', `第 ${index + 1} 个计划项目不合法：${refusal.messageZh}`, { rule: refusal.rule, field: `projects.${index}.create` });
        }
      }
      if (await getCycleConfig(app.deps.db, cycle.cycleId)) {
        throw new ProblemError(409, 'conflict', 'The cycle already exists', `年度周期 ${cycle.cycleId} 已存在。`, { rule: 'cycle.exists' });
      }
      await openCycle(app.deps.db, request.body as unknown as OpenCycleInput);
      return reply.status(201).send(await cycleView(cycle.cycleId));
    },
  );

  async function cycleView(cycleId: string) {
    const cycle = await getCycleConfig(app.deps.db, cycleId);
    const progress = await launchProgress(app.deps.db, cycleId);
    if (!cycle || !progress) throw new ProblemError(404, 'not-found', 'Cycle not found', `找不到年度周期 ${cycleId}。`);
    return { cycleId, year: cycle.year, launch: progress, secretariesWithoutKeyProject: await secretariesWithoutKeyProject(app.deps.db, cycleId) };
  }

  const params = Type.Object({ id: Type.String({ maxLength: 80 }) }, { additionalProperties: false });

  app.get(
    '/cycles/:id',
    { schema: { tags: ['cycles'], summary: 'A cycle: launch progress and secretaries leading no key project (committee, inspectors, auditors)', params, response: { 200: CycleResponse, ...errors } } },
    async (request) => {
      const user = currentUser(request);
      // The dashboard names secretaries across the whole city: the committee's view (DESIGN §7).
      if (user.role !== 'committee' && user.role !== 'inspector' && user.role !== 'auditor') {
        throw new ProblemError(403, 'forbidden', 'Committee, inspectors and auditors only', '只有工委、督查员和审计人员可以查看年度周期总览。', { rule: 'actor.not_committee' });
      }
      return cycleView(request.params.id);
    },
  );

  app.post(
    '/cycles/:id/launch',
    {
      schema: {
        tags: ['cycles'],
        summary: 'Launch the cycle: start one workflow per planned project, in batches (idempotent, resumable)',
        params,
        body: Type.Optional(Type.Object({ batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }, { additionalProperties: false })),
        response: { 202: Type.Object({ workflowId: Type.String(), alreadyRunning: Type.Boolean(), launch: Progress }), ...errors },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      requireCommittee(user, '启动年度周期');
      const cycleId = request.params.id;
      if (!(await getCycleConfig(app.deps.db, cycleId))) throw new ProblemError(404, 'not-found', 'Cycle not found', `找不到年度周期 ${cycleId}。`);
      const workflowId = launchWorkflowId(cycleId);
      let alreadyRunning = false;
      try {
        await app.deps.temporal.workflow.start(launchCycleWorkflow, {
          workflowId,
          taskQueue: app.deps.taskQueue,
          args: [{ cycleId, batchSize: request.body?.batchSize }],
        });
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        alreadyRunning = true;
      }
      return reply.status(202).send({ workflowId, alreadyRunning, launch: (await launchProgress(app.deps.db, cycleId))! });
    },
  );
};

export default cycleRoutes;
