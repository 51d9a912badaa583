/**
 * The lists people work from: the rectification ledger across projects (整改台账), secretaries'
 * annual task lists (年度攻坚清单), orgs' problem lists (问题清单) and the cycles (年度周期).
 * Each shows only what the caller's role and orgs allow (services/lists.ts).
 */
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CycleRow } from '../../db/lists';
import { createListsService, type OrgProblem } from '../../services/lists';
import { currentUser } from '../plugins/auth';
import { problemResponses } from '../problem';

const closed = { additionalProperties: false } as const;
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Str = Type.String();
const Int = Type.Integer();
const Num = Type.Number();
const Id = Type.String({ maxLength: 80 });
const IdParams = Type.Object({ id: Id }, closed);

export const LedgerStatus = Type.Union([Type.Literal('open'), Type.Literal('reported'), Type.Literal('closed')], { description: 'open 待整改 / reported 已报整改 / closed 已销号' });

/** The ledger's filters, shared with its export (GET /exports/ledger.xlsx|csv). */
export const LedgerFilters = {
  cycle: Type.Optional(Type.String({ maxLength: 80, description: '年度周期' })),
  unit: Type.Optional(Type.String({ maxLength: 80, description: '单位：责任单位在该组织及其全部下级组织中' })),
  org: Type.Optional(Type.String({ maxLength: 80, description: '责任单位（仅该组织）' })),
  project: Type.Optional(Type.String({ maxLength: 80, description: '项目' })),
  responsible: Type.Optional(Type.String({ maxLength: 80, description: '责任人（用户编号）' })),
  status: Type.Optional(LedgerStatus),
  quarter: Type.Optional(Type.Integer({ minimum: 1, maximum: 4, description: '督查季度' })),
  overdue: Type.Optional(Type.Boolean({ description: 'true：只列逾期未销号；false：只列未逾期（与工委数据的“逾期未销号”同一口径）' })),
  asOf: Type.Optional(Type.String({ format: 'date-time', description: '判断是否逾期的时刻，默认当前时间' })),
};

export const LedgerItem = Type.Object({
  projectId: Str,
  cycleId: Str,
  projectTitle: Str,
  projectOrgId: Str,
  projectOrgName: Nullable(Str),
  entryId: Str,
  quarter: Int,
  quarterLabel: Str,
  problem: Str,
  responsibleOrgId: Str,
  responsibleOrgName: Nullable(Str),
  responsiblePersonId: Str,
  responsiblePersonName: Nullable(Str),
  measures: Str,
  deadline: Type.String({ description: 'YYYY-MM-DD（北京时间当日结束）或 ISO 日期时间' }),
  status: Str,
  statusLabel: Str,
  overdue: Type.Boolean({ description: '逾期未销号（reports/common.ts isLedgerOverdue）' }),
  reports: Int,
  sendBacks: Int,
  closedAt: Nullable(Str),
  warnedAt: Nullable(Str),
  escalatedAt: Nullable(Str),
});

const TaskIndicator = Type.Object({ id: Str, name: Str, unit: Str, baseline: Num, target: Num, weight: Num, actual: Nullable(Num), progress: Type.Number({ description: '0..1，自基线至目标' }) });
const taskProjectFields = {
  id: Str,
  cycleId: Str,
  parentId: Nullable(Str),
  orgId: Str,
  orgName: Nullable(Str),
  leadSecretaryId: Str,
  leadSecretaryName: Nullable(Str),
  title: Str,
  type: Str,
  typeLabel: Str,
  isKey: Type.Boolean(),
  stage: Str,
  stageLabel: Str,
  progress: Num,
  grade: Nullable(Str),
  indicators: Type.Array(TaskIndicator),
};
const AnnualTaskList = Type.Object({
  secretaryId: Str,
  secretaryName: Str,
  orgId: Str,
  orgName: Nullable(Str),
  cycleId: Nullable(Str),
  projects: Type.Array(Type.Object({ ...taskProjectFields, subProjects: Type.Array(Type.Object(taskProjectFields)) })),
});

const ProblemStatus = Type.Union([Type.Literal('open'), Type.Literal('resolved')], { description: 'open 未解决 / resolved 已解决' });
const OrgProblemSchema = Type.Object({
  id: Str,
  orgId: Str,
  cycleId: Nullable(Str),
  title: Str,
  detail: Str,
  source: Type.String({ description: '来源：巡察、督查、自查等' }),
  status: ProblemStatus,
  createdBy: Str,
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  linkedProjects: Type.Array(Type.Object({ projectId: Str, title: Str, orgId: Str, cycleId: Str, stage: Str }), { description: '在立项申报中关联该问题的项目（问题导向）' }),
});

const CycleSchema = Type.Object({ id: Str, year: Int, status: Str, committeeOrgId: Str, openedAt: Type.String({ format: 'date-time' }), launchedAt: Nullable(Type.String({ format: 'date-time' })) });

function problemView(p: OrgProblem) {
  return { ...p, createdAt: p.createdAt.toISOString(), updatedAt: p.updatedAt.toISOString() };
}

function cycleView(c: CycleRow) {
  return { ...c, openedAt: c.openedAt.toISOString(), launchedAt: c.launchedAt?.toISOString() ?? null };
}

const listRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const lists = createListsService({ db: app.deps.db, projects: app.services.projects, cycles: app.services.cycles });
  const tags = ['lists'];

  app.get(
    '/ledger',
    {
      schema: {
        tags,
        summary: 'The rectification ledger across projects (整改台账), filtered and paginated; what your role and orgs allow',
        description:
          '工委、督查员、审计人员看到全部；书记看到本组织及下级组织的项目或责任单位的问题，以及自己为责任人的问题；党员看到本组织的。按年度周期、项目、问题编号排序。',
        querystring: Type.Object({ ...LedgerFilters, limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }), offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }) }, closed),
        response: { 200: Type.Object({ items: Type.Array(LedgerItem), total: Int, limit: Int, offset: Int }), ...problemResponses(400, 401, 429) },
      },
    },
    async (request) => {
      const { limit, offset, ...q } = request.query;
      const page = await lists.ledger(currentUser(request), q, { limit, offset });
      return { ...page, limit, offset };
    },
  );

  app.get(
    '/secretaries/:id/annual-tasks',
    {
      schema: {
        tags,
        summary: "A secretary's annual task list (年度攻坚清单): the projects they lead and their sub-projects, with indicator progress against targets",
        description: '本人、上级党组织书记，以及工委、督查员、审计人员可查看；其他人答复 404。',
        params: IdParams,
        querystring: Type.Object({ cycle: Type.Optional(Type.String({ maxLength: 80, description: '年度周期；缺省为全部' })) }, closed),
        response: { 200: AnnualTaskList, ...problemResponses(400, 401, 404, 429) },
      },
    },
    async (request) => lists.annualTasks(currentUser(request), request.params.id, request.query.cycle),
  );

  app.get(
    '/orgs/:id/problems',
    {
      schema: {
        tags,
        summary: "An org's problem list (问题清单) with the projects that link each problem",
        params: IdParams,
        querystring: Type.Object({ cycle: Type.Optional(Type.String({ maxLength: 80 })), status: Type.Optional(ProblemStatus) }, closed),
        response: { 200: Type.Object({ orgId: Str, orgName: Str, items: Type.Array(OrgProblemSchema) }), ...problemResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request) => {
      const list = await lists.problems(currentUser(request), request.params.id, request.query);
      return { ...list, items: list.items.map(problemView) };
    },
  );

  app.post(
    '/orgs/:id/problems',
    {
      schema: {
        tags,
        summary: "Add a problem to an org's problem list (the org's secretary or committee staff)",
        params: IdParams,
        body: Type.Object(
          {
            title: Type.String({ minLength: 1, maxLength: 200 }),
            detail: Type.Optional(Type.String({ maxLength: 2000 })),
            source: Type.String({ minLength: 1, maxLength: 40, description: '来源：巡察、督查、自查等' }),
            cycleId: Type.Optional(Nullable(Type.String({ maxLength: 80 }))),
          },
          closed,
        ),
        response: { 201: OrgProblemSchema, ...problemResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request, reply) => reply.status(201).send(problemView(await lists.addProblem(currentUser(request), request.params.id, request.body))),
  );

  app.patch(
    '/problems/:id',
    {
      schema: {
        tags,
        summary: "Change a problem's status, title or detail (the org's secretary or committee staff)",
        params: IdParams,
        body: Type.Object(
          {
            status: Type.Optional(ProblemStatus),
            title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            detail: Type.Optional(Type.String({ maxLength: 2000 })),
          },
          { ...closed, minProperties: 1 },
        ),
        response: { 200: OrgProblemSchema, ...problemResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request) => problemView(await lists.changeProblem(currentUser(request), request.params.id, request.body)),
  );

  app.get(
    '/cycles',
    {
      schema: {
        tags,
        summary: 'The annual cycles (年度周期): all for committee staff, inspectors and auditors; for others the cycles their org takes part in',
        response: { 200: Type.Object({ items: Type.Array(CycleSchema) }), ...problemResponses(401, 429) },
      },
    },
    async (request) => ({ items: (await lists.cycles(currentUser(request))).map(cycleView) }),
  );
};

export default listRoutes;
