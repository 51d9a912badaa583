/** Annual cycles: open (calendar, rules, org tree, secretaries, planned projects), launch, progress. */
import { Type, type TSchema } from '@sinclair/typebox';
import Ajv, { type ErrorObject } from 'ajv';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CycleInputError } from '../../db/cycles';
import { currentUser } from '../plugins/auth';
import { ProblemError, problemResponses } from '../problem';

const errors = problemResponses(400, 401, 403, 404, 409, 422, 429);

const Progress = Type.Object({
  cycleId: Type.String(),
  status: Type.String(),
  total: Type.Integer(),
  started: Type.Integer(),
  pending: Type.Integer(),
});
const SnapshotOrg = Type.Object({
  id: Type.String(),
  parentId: Type.Union([Type.String(), Type.Null()]),
  kind: Type.String({ description: 'committee | unit | organ_committee | branch' }),
  name: Type.String(),
  secretaryId: Type.Union([Type.String(), Type.Null()]),
});
const OrgSnapshotResponse = Type.Object({ takenAt: Type.String({ format: 'date-time' }), orgs: Type.Array(SnapshotOrg) });
const RubricResponse = Type.Object({
  rubric: Type.Array(Type.Object({ criterionId: Type.String(), name: Type.String(), weight: Type.Number({ description: '该项满分' }) })),
  deductions: Type.Array(Type.Object({ code: Type.String({ description: 'open_ledger_entry | missing_evidence | negative_list' }), points: Type.Number({ description: '每项扣分' }) })),
  gradeThresholds: Type.Object({ excellent: Type.Number(), good: Type.Number(), pass: Type.Number() }),
  dispatchWindow: Type.Object({ start: Type.String(), end: Type.String() }, { description: '年中调度时间窗口' }),
});
const CycleResponse = Type.Object({
  cycleId: Type.String(),
  year: Type.Integer(),
  orgTree: Type.Union([Type.Object({ takenAt: Type.String({ format: 'date-time' }), orgs: Type.Integer() }), Type.Null()], { description: '开启时保存的组织体系快照（组织数）' }),
  launch: Progress,
  secretariesWithoutKeyProject: Type.Array(
    Type.Object({ secretaryId: Type.String(), orgId: Type.String(), keyProjects: Type.Integer(), required: Type.Integer() }),
  ),
});

// ---- The body of POST /cycles -----------------------------------------------------------------

/** A string enum as one `enum` keyword: a wrong value is one error naming the allowed values, not one per union branch. */
const oneOf = <T extends string>(values: readonly T[], description?: string) => Type.Unsafe<T>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });
const cycleText = (max: number) => Type.String({ minLength: 1, maxLength: max });
const refId = cycleText(80);
/** A calendar deadline: a Beijing calendar day (YYYY-MM-DD) or an exact date-time with an offset. */
const deadline = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2}))?$', description: 'YYYY-MM-DD（北京时间当日结束）或带时区的 ISO-8601 时间' });
const ms = (description: string, minimum = 0) => Type.Number({ minimum, maximum: 10 * 365 * 24 * 3600 * 1000, description });
const shut = { additionalProperties: false } as const;

export const CycleConfigSchema = Type.Object(
  {
    cycleId: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$' }),
    year: Type.Integer({ minimum: 2000, maximum: 2999 }),
    committee: Type.Object({ orgId: refId, userId: refId }, { ...shut, description: '工委组织及接手上报审核的工委工作人员' }),
    calendar: Type.Object(
      {
        proposalDeadline: deadline,
        reviewDeadline: deadline,
        letterDeadline: deadline,
        quarters: Type.Array(
          Type.Object({ quarter: Type.Integer({ minimum: 1, maximum: 4 }), evidenceDeadline: deadline, inspectionWindowEnd: deadline }, shut),
          { minItems: 4, maxItems: 4 },
        ),
        dispatchWindow: Type.Object({ start: deadline, end: deadline }, shut),
        selfAssessmentDeadline: deadline,
        acceptanceWindow: Type.Object({ start: deadline, end: deadline }, shut),
        monthlyReminderDay: Type.Integer({ minimum: 1, maximum: 28 }),
        monthlyReminders: Type.Optional(Type.Array(deadline, { maxItems: 24, description: '演练用：月提示的确切时刻，代替每月 monthlyReminderDay' })),
      },
      shut,
    ),
    reviewTimeouts: Type.Object({ remindAfterMs: ms('提交后多久提醒审核人', 1), escalateAfterMs: ms('提交后多久上报工委', 1) }, shut),
    ledger: Type.Object({ warnBeforeMs: ms('整改期限前多久预警'), escalateAfterMs: ms('逾期后多久上报') }, shut),
    rules: Type.Object(
      {
        minKeyProjectsPerSecretary: Type.Integer({ minimum: 1, maximum: 100 }),
        rubric: Type.Array(Type.Object({ criterionId: refId, name: cycleText(200), weight: Type.Number({ minimum: 0, maximum: 1000, description: '大于0（由 validateCycleConfig 检查）' }) }, shut), { minItems: 1, maxItems: 50 }),
        deductions: Type.Array(
          Type.Object({ code: oneOf(['open_ledger_entry', 'missing_evidence', 'negative_list'] as const), points: Type.Number({ minimum: 0, maximum: 1000 }) }, shut),
          { maxItems: 10 },
        ),
        gradeThresholds: Type.Object({ excellent: Type.Number({ minimum: 0, maximum: 1000 }), good: Type.Number({ minimum: 0, maximum: 1000 }), pass: Type.Number({ minimum: 0, maximum: 1000 }) }, shut),
        bestOfListSize: Type.Integer({ minimum: 1, maximum: 1000 }),
      },
      shut,
    ),
    reminderLeadMs: Type.Optional(ms('演练用：截止前多久提醒（默认由系统决定）')),
  },
  { ...shut, description: 'CycleConfig: calendar, rules, committee' },
);

export const OpenCycleBody = Type.Object(
  {
    cycle: CycleConfigSchema,
    orgs: Type.Optional(Type.Array(
      Type.Object(
        {
          id: refId,
          // `nullable` rather than a union with null: one type check, and the root's null is never
          // read as a string.
          parentId: Type.Unsafe<string | null>({ type: 'string', nullable: true, minLength: 1, maxLength: 80, description: '上级组织；根组织（工委）为 null' }),
          kind: oneOf(['committee', 'unit', 'organ_committee', 'branch'] as const),
          name: cycleText(200),
          secretaryId: refId,
        },
        shut,
      ),
      { maxItems: 5000, description: '省略时使用已管理的组织体系（GET /orgs）；开启时保存其快照' },
    )),
    users: Type.Optional(
      Type.Array(
        Type.Object({ id: refId, name: cycleText(100), role: oneOf(['committee', 'secretary', 'inspector', 'auditor', 'member'] as const), orgId: refId }, shut),
        { maxItems: 20000, description: '省略时使用已管理的人员（GET /users）' },
      ),
    ),
    projects: Type.Array(
      Type.Object({ create: Type.Unknown({ description: 'CreateEvent (checked by the lifecycle core)' }), children: Type.Array(Type.Unknown(), { maxItems: 50 }) }, shut),
      { maxItems: 10000 },
    ),
    inspectorAssignments: Type.Optional(Type.Array(Type.Object({ inspectorId: refId, orgId: refId }, shut), { maxItems: 5000 })),
  },
  shut,
);

/**
 * The body of POST /cycles is validated by its own Ajv: every error at once (a cycle body is large,
 * and fixing one error per round trip is hopeless), and no type coercion (a root org's
 * `parentId: null` once became "" under coercion and failed a foreign key as a 500).
 */
const cycleAjv = new Ajv({ allErrors: true, coerceTypes: false, useDefaults: false, removeAdditional: false, strict: false });

function fieldOf(error: ErrorObject): string {
  const path = error.instancePath.slice(1).replace(/\//g, '.');
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  const child = error.keyword === 'required' ? params.missingProperty : error.keyword === 'additionalProperties' ? params.additionalProperty : undefined;
  return [path, child].filter(Boolean).join('.') || 'body';
}

function detailOf(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return '缺少必填字段。';
    case 'additionalProperties':
      return '不允许的字段。';
    case 'type':
      return `类型不对，应为${({ string: '字符串', number: '数字', integer: '整数', boolean: '布尔值', object: '对象', array: '数组', null: 'null' } as Record<string, string>)[String(p.type)] ?? String(p.type)}。`;
    case 'enum':
      return `取值不在允许范围内，应为：${(p.allowedValues as unknown[]).join('、')}。`;
    case 'pattern':
      return '格式不对（编号只能含字母、数字和 . _ : -；日期须为 YYYY-MM-DD 或带时区的 ISO-8601 时间）。';
    case 'minLength':
      return p.limit === 1 ? '不能为空。' : `至少 ${p.limit} 个字符。`;
    case 'maxLength':
      return `最多 ${p.limit} 个字符。`;
    case 'minimum':
    case 'exclusiveMinimum':
      return `不能小于${error.keyword === 'exclusiveMinimum' ? '或等于' : ''} ${p.limit}。`;
    case 'maximum':
      return `不能大于 ${p.limit}。`;
    case 'minItems':
      return `至少 ${p.limit} 项。`;
    case 'maxItems':
      return `最多 ${p.limit} 项。`;
    default:
      return `不合法（${error.message ?? error.keyword}）。`;
  }
}

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
        description:
          'Every error of the body is answered at once: 400 problem+json with `errors: [{field, detail}]`, each naming its row and field (`orgs.3.parentId`). Nothing is written unless everything holds.',
        body: OpenCycleBody,
        response: { 201: CycleResponse, ...errors },
      },
      // The body's validator: all errors, no coercion (see cycleAjv). attachValidation hands the
      // schema's errors to the handler, which adds the config and reference errors to the same list.
      validatorCompiler: ({ schema }) => cycleAjv.compile(schema as unknown as TSchema),
      attachValidation: true,
    },
    async (request, reply) => {
      requireCommittee(currentUser(request), '开启年度周期');
      const found: CycleInputError[] = (request.validationError?.validation ?? [])
        .filter((e: { keyword: string }) => e.keyword !== 'if')
        .map((e: unknown) => ({ field: fieldOf(e as ErrorObject), detail: detailOf(e as ErrorObject) }));
      return reply.status(201).send(await app.services.cycles.open(request.body, found));
    },
  );

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
      return app.services.cycles.view(request.params.id);
    },
  );

  app.get(
    '/cycles/:id/orgs',
    {
      schema: {
        tags: ['cycles'],
        summary: 'The org tree the cycle was opened with: an immutable snapshot (committee, inspectors, auditors)',
        params,
        response: { 200: OrgSnapshotResponse, ...errors },
      },
    },
    async (request) => {
      const user = currentUser(request);
      if (user.role !== 'committee' && user.role !== 'inspector' && user.role !== 'auditor') {
        throw new ProblemError(403, 'forbidden', 'Committee, inspectors and auditors only', '只有工委、督查员和审计人员可以查看年度周期的组织体系快照。', { rule: 'actor.not_committee' });
      }
      return app.services.cycles.orgSnapshot(request.params.id);
    },
  );

  app.get(
    '/cycles/:id/rubric',
    {
      schema: {
        tags: ['cycles'],
        summary: 'The cycle’s scoring rubric, deductions, grade thresholds and dispatch window (评分标准; everyone signed in)',
        params,
        response: { 200: RubricResponse, ...errors },
      },
    },
    async (request) => {
      // Signing in is enough: the rubric is what every secretary self-assesses against.
      currentUser(request);
      return app.services.cycles.rubric(request.params.id);
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
      return reply.status(202).send(await app.services.cycles.launch(request.params.id, request.body?.batchSize));
    },
  );
};

export default cycleRoutes;
