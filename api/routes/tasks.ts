/**
 * My tasks (待办) and my history (已办) for every signed-in person: `GET /me/tasks` lists what waits
 * for them (their own items, and for inspectors and committee staff their role's scope), earliest
 * deadline first, with days left (Beijing calendar days) and an overdue flag; `GET /me/done` lists
 * what they did, from the event log, newest first.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import * as tasks from '../../services/tasks';
import { TASK_KINDS } from '../../tasks/derive';
import { currentUser } from '../plugins/auth';
import { problemResponses } from '../problem';
import { Paging } from './orgs';

const closed = { additionalProperties: false } as const;

const TaskKind = Type.Union(
  TASK_KINDS.map((k) => Type.Literal(k)),
  { description: 'draft 草稿 / revise 退回修改 / review 审核 / escalated_review 上报工委的审核 / delegate_opinion 委派意见 / letter 责任书 / decompose 1+N分解 / evidence 佐证材料 / rectify 整改 / rectify_again 退回后整改 / self_assessment 自评 / member_item 党员事项 / inspection 季度督查 / verify_rectification 整改验收 / ledger_escalated 逾期整改督办 / dispatch 年中调度 / acceptance 年底验收' },
);

const Task = Type.Object({
  id: Type.String({ description: '项目编号/任务键，稳定不变' }),
  kind: Type.String(),
  kindLabel: Type.String({ description: '任务类型（中文）' }),
  label: Type.String({ description: '任务说明（中文），含季度、问题或事项' }),
  projectId: Type.String(),
  projectTitle: Type.String(),
  cycleId: Type.String(),
  action: Type.String({ description: '办理该任务的接口，例如 POST /projects/p-1/letter' }),
  deadline: Type.String({ description: '截止日期（北京时间日历日，当日24时截止）或截止时刻' }),
  daysLeft: Type.Integer({ description: '距截止的北京时间日历天数；当日为0，逾期为负数' }),
  overdue: Type.Boolean(),
  assignedTo: Type.Union([
    Type.Object({ kind: Type.Literal('person'), userId: Type.String() }),
    Type.Object({ kind: Type.Union([Type.Literal('inspector'), Type.Literal('committee')]), orgId: Type.String({ description: '督查分工覆盖该组织的督查员 / 该工委的工作人员' }) }),
  ]),
});

const Done = Type.Object({
  projectId: Type.String(),
  projectTitle: Type.Union([Type.String(), Type.Null()]),
  cycleId: Type.Union([Type.String(), Type.Null()]),
  seq: Type.Integer(),
  type: Type.String(),
  label: Type.String({ description: '所办事项（中文）' }),
  role: Type.String(),
  roleLabel: Type.String(),
  orgId: Type.String({ description: '以哪个组织的身份办理' }),
  at: Type.String({ description: '办理时间' }),
  recordedAt: Type.String({ format: 'date-time' }),
});

const taskRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/me/tasks',
    {
      schema: {
        tags: ['me'],
        summary: 'My tasks (待办): what waits for me, earliest deadline first',
        querystring: Type.Object(
          {
            cycle: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            kind: Type.Optional(TaskKind),
            overdue: Type.Optional(Type.Boolean({ description: 'true: 仅逾期任务' })),
            ...Paging,
          },
          closed,
        ),
        response: { 200: Type.Object({ total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer(), items: Type.Array(Task) }), ...problemResponses(400) },
      },
    },
    async (request) => {
      const page = await tasks.myTasks(app.deps, currentUser(request), request.query);
      return { total: page.total, limit: request.query.limit, offset: request.query.offset, items: page.items };
    },
  );

  app.get(
    '/me/done',
    {
      schema: {
        tags: ['me'],
        summary: 'My history (已办): what I did, newest first',
        querystring: Type.Object({ cycle: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), ...Paging }, closed),
        response: { 200: Type.Object({ total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer(), items: Type.Array(Done) }), ...problemResponses(400) },
      },
    },
    async (request) => {
      const page = await tasks.myDone(app.deps, currentUser(request), request.query);
      return { total: page.total, limit: request.query.limit, offset: request.query.offset, items: page.items };
    },
  );
};

export default taskRoutes;
