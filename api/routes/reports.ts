/**
 * Committee figures and reports over a whole cycle: dashboard figures, the quarterly work report
 * (季度工作报告), the best-of lists (双十佳) and the achievements compilation (成果汇编).
 * Computed from the projection by the pure functions in reports/.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { getCycleConfig } from '../../db/cycles';
import type { ProjectState, Quarter } from '../../workflows/lifecycle';
import {
  achievementsCompilation,
  bestOfLists,
  committeeFigures,
  quarterlyReport,
  renderAchievementsCompilationHtml,
  renderAchievementsCompilationMarkdown,
  renderQuarterlyReportHtml,
  renderQuarterlyReportMarkdown,
  type OrgDirectoryEntry,
} from '../../reports';
import { currentUser } from '../plugins/auth';
import { ProblemError, problemResponses } from '../problem';

const errors = problemResponses(400, 401, 403, 404, 429);
const params = Type.Object({ id: Type.String({ maxLength: 80 }) }, { additionalProperties: false });
const Format = Type.Union([Type.Literal('json'), Type.Literal('html'), Type.Literal('md')], { default: 'json' });
const AsOf = Type.Optional(Type.String({ format: 'date-time', description: 'time that decides what is overdue; default now' }));

const reportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  async function load(cycleId: string, user: ReturnType<typeof currentUser>) {
    if (user.role !== 'committee' && user.role !== 'auditor' && user.role !== 'inspector') {
      throw new ProblemError(403, 'forbidden', 'Committee, inspectors and auditors only', '只有工委、督查员和审计人员可以查看全周期数据和报告。', { rule: 'actor.not_committee' });
    }
    const cycle = await getCycleConfig(app.deps.db, cycleId);
    if (!cycle) throw new ProblemError(404, 'not-found', 'Cycle not found', `找不到年度周期 ${cycleId}。`);
    const rows = await app.deps.db.selectFrom('projects').select('state').where('cycle_id', '=', cycleId).orderBy('id').execute();
    const orgRows = await app.deps.db.selectFrom('orgs').selectAll().execute();
    const orgs: OrgDirectoryEntry[] = orgRows.map((o) => ({ id: o.id, parentId: o.parent_id, kind: o.kind, name: o.name, secretaryId: o.secretary_id }));
    return { cycle, projects: rows.map((r) => r.state as ProjectState), orgs };
  }

  app.get(
    '/cycles/:id/figures',
    {
      schema: {
        tags: ['reports'],
        summary: 'Committee figures: counts by stage, type and org; missing or late evidence; ledger and rectification rate; ratings per quarter',
        params,
        querystring: Type.Object({ asOf: AsOf }, { additionalProperties: false }),
        response: { 200: Type.Unknown(), ...errors },
      },
    },
    async (request) => {
      const { cycle, projects, orgs } = await load(request.params.id, currentUser(request));
      return committeeFigures(projects, cycle, orgs, request.query.asOf ?? new Date().toISOString());
    },
  );

  app.get(
    '/reports/cycles/:id/quarterly',
    {
      schema: {
        tags: ['reports'],
        summary: 'The quarterly work report (季度工作报告) as JSON, Markdown or printable HTML',
        params,
        querystring: Type.Object({ quarter: Type.Integer({ minimum: 1, maximum: 4 }), format: Format, asOf: AsOf }, { additionalProperties: false }),
        response: { 200: Type.Unknown(), ...errors },
      },
    },
    async (request, reply) => {
      const { cycle, projects, orgs } = await load(request.params.id, currentUser(request));
      const report = quarterlyReport(projects, cycle, orgs, request.query.quarter as Quarter, request.query.asOf ?? new Date().toISOString());
      if (request.query.format === 'html') return reply.type('text/html; charset=utf-8').send(renderQuarterlyReportHtml(report));
      if (request.query.format === 'md') return reply.type('text/markdown; charset=utf-8').send(renderQuarterlyReportMarkdown(report));
      return report;
    },
  );

  app.get(
    '/reports/cycles/:id/compilation',
    {
      schema: {
        tags: ['reports'],
        summary: 'The achievements compilation (成果汇编) of accepted projects, as printable HTML, Markdown or JSON',
        params,
        querystring: Type.Object({ format: Type.Union([Type.Literal('html'), Type.Literal('md'), Type.Literal('json')], { default: 'html' }) }, { additionalProperties: false }),
        response: { 200: Type.Unknown(), ...errors },
      },
    },
    async (request, reply) => {
      const { cycle, projects, orgs } = await load(request.params.id, currentUser(request));
      const compilation = achievementsCompilation(projects, cycle, orgs);
      if (request.query.format === 'md') return reply.type('text/markdown; charset=utf-8').send(renderAchievementsCompilationMarkdown(compilation));
      if (request.query.format === 'json') return compilation;
      return reply.type('text/html; charset=utf-8').send(renderAchievementsCompilationHtml(compilation));
    },
  );

  app.get(
    '/cycles/:id/best-of',
    {
      schema: {
        tags: ['reports'],
        summary: 'The year’s two best-of lists (双十佳) from accepted projects, ties broken by the documented rule',
        params,
        response: { 200: Type.Unknown(), ...errors },
      },
    },
    async (request) => {
      const { cycle, projects, orgs } = await load(request.params.id, currentUser(request));
      return bestOfLists(projects, cycle, orgs);
    },
  );
};

export default reportRoutes;
