/**
 * Committee figures and reports over a whole cycle: dashboard figures, the quarterly work report
 * (季度工作报告), the best-of lists (双十佳) and the achievements compilation (成果汇编).
 * Computed from the projection by the pure functions in reports/.
 */
import { Type, type TProperties, type TSchema } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Quarter } from '../../workflows/lifecycle';
import {
  achievementsCompilation,
  bestOfLists,
  committeeFigures,
  quarterlyReport,
  renderAchievementsCompilationHtml,
  renderAchievementsCompilationMarkdown,
  renderCommitteeFiguresHtml,
  renderQuarterlyReportHtml,
  renderQuarterlyReportMarkdown,
} from '../../reports';
import { currentUser } from '../plugins/auth';
import { ProblemError, problemResponses } from '../problem';

const errors = problemResponses(400, 401, 403, 404, 429);
const params = Type.Object({ id: Type.String({ maxLength: 80 }) }, { additionalProperties: false });
const Format = Type.Union([Type.Literal('json'), Type.Literal('html'), Type.Literal('md')], { default: 'json' });
const AsOf = Type.Optional(Type.String({ format: 'date-time', description: 'time that decides what is overdue; default now' }));

// ---- Response shapes (reports/*.ts has the TypeScript types) ---------------------------------
// Objects stay open: fast-json-stringify drops whatever a schema does not name, and the reports
// carry more detail than is described here.
const open = <P extends TProperties>(properties: P, description?: string) => Type.Object(properties, { additionalProperties: true, ...(description ? { description } : {}) });
const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Str = Type.String();
const Num = Type.Number();
const Int = Type.Integer();
const CountItem = open({ key: Str, label: Str, count: Int });
const LedgerFigures = open({
  total: Int,
  open: Int,
  reported: Int,
  closed: Int,
  unclosed: Int,
  overdue: Int,
  rectificationRate: nullable(Num),
  rectificationRateText: Str,
  cleared: Type.Boolean(),
});
const LedgerItem = open({
  entryId: Str,
  projectId: Str,
  projectTitle: Str,
  projectOrgId: Str,
  projectOrgName: Str,
  quarter: Int,
  quarterLabel: Str,
  problem: Str,
  responsibleOrgId: Str,
  responsibleOrgName: Str,
  responsiblePersonId: Str,
  measures: Str,
  deadline: Str,
  status: Str,
  statusLabel: Str,
  overdue: Type.Boolean(),
  recordedAt: Str,
  closedAt: nullable(Str),
});
const Tally = {
  projects: Int,
  topLevel: Int,
  subProjects: Int,
  keyProjects: Int,
  byStage: Type.Array(CountItem),
  byType: Type.Array(CountItem),
  missingEvidenceProjects: Int,
  lateEvidenceProjects: Int,
  ledger: LedgerFigures,
};
const QuarterRatings = open({
  quarter: Int,
  quarterLabel: Str,
  evidenceDeadline: nullable(Str),
  due: Int,
  onTrack: Int,
  lagging: Int,
  stalled: Int,
  notRated: Int,
  distribution: Type.Array(CountItem),
});
const ProjectRef = {
  projectId: Str,
  parentId: nullable(Str),
  title: Str,
  orgId: Str,
  orgName: Str,
  unitId: nullable(Str),
  unitName: nullable(Str),
  leadSecretaryId: Str,
  stage: Str,
  stageLabel: Str,
};
const MissingEvidenceItem = open({ ...ProjectRef, quarters: Type.Array(Int), quarterLabels: Type.Array(Str) });
const LateEvidenceItem = open({ ...ProjectRef, late: Type.Array(open({ quarter: Int, quarterLabel: Str, deadline: Str, firstSubmittedAt: Str })) });

const CommitteeFigures = open(
  {
    cycleId: Str,
    year: Int,
    asOf: Str,
    totals: open(Tally),
    byOrg: Type.Array(open({ ...Tally, orgId: Str, orgName: Str, kind: nullable(Str), kindLabel: nullable(Str), parentId: nullable(Str), unitId: nullable(Str), unitName: nullable(Str) })),
    byUnit: Type.Array(open({ ...Tally, unitId: Str, unitName: Str, orgIds: Type.Array(Str) })),
    inspections: Type.Array(QuarterRatings),
    missingEvidence: Type.Array(MissingEvidenceItem),
    lateEvidence: Type.Array(LateEvidenceItem),
    overdueLedger: Type.Array(LedgerItem),
    keyProjectShortfall: Type.Array(open({ secretaryId: Str, secretaryName: Str, orgIds: Type.Array(Str), orgNames: Type.Array(Str), keyProjects: Int, required: Int })),
    labels: Type.Record(Str, Str),
  },
  'CommitteeFigures: counts by stage, type, org and unit; inspections per quarter; missing and late evidence; overdue ledger entries',
);

const QuarterlyReport = open(
  {
    cycleId: Str,
    year: Int,
    quarter: Int,
    quarterLabel: Str,
    title: Str,
    asOf: Str,
    asOfLabel: Str,
    calendar: open({ evidenceDeadline: nullable(Str), inspectionWindowEnd: nullable(Str) }),
    summary: open({
      projects: Int,
      underInspection: Int,
      due: Int,
      inspected: Int,
      notRated: Int,
      onTrack: Int,
      lagging: Int,
      stalled: Int,
      onTrackRate: nullable(Num),
      onTrackRateText: Str,
      problemsFound: Int,
      missingEvidence: Int,
      lateEvidence: Int,
      rectificationRate: nullable(Num),
      rectificationRateText: Str,
      overdue: Int,
    }),
    ratings: QuarterRatings,
    problems: Type.Array(LedgerItem),
    ledger: open({ quarter: LedgerFigures, cumulative: LedgerFigures, overdue: Type.Array(LedgerItem) }),
    laggingByOrg: Type.Array(
      open({
        orgId: Str,
        orgName: Str,
        unitId: nullable(Str),
        unitName: nullable(Str),
        projects: Type.Array(
          open({
            projectId: Str,
            parentId: nullable(Str),
            title: Str,
            type: Str,
            typeLabel: Str,
            isKey: Type.Boolean(),
            rating: Str,
            ratingLabel: Str,
            progress: Num,
            progressText: Str,
            findings: Type.Array(Str),
            leadSecretaryId: Str,
            inspectorId: nullable(Str),
            inspectedAt: nullable(Str),
          }),
        ),
      }),
    ),
    missingEvidence: Type.Array(MissingEvidenceItem),
    lateEvidence: Type.Array(LateEvidenceItem),
    overview: open(
      {
        ratingsByQuarter: Type.Array(QuarterRatings),
        byStage: Type.Array(CountItem),
        byType: Type.Array(CountItem),
        rectificationByUnit: Type.Array(open({ unitId: Str, unitName: Str, total: Int, closed: Int, rectificationRate: nullable(Num), rectificationRateText: Str })),
      },
      'what the report’s charts show: ratings of every quarter, projects by stage and type, rectification rate by unit',
    ),
  },
  'QuarterlyReport (format=json); format=html and format=md answer the rendered document as text/html or text/markdown',
);

const AchievementsCompilation = open(
  {
    cycleId: Str,
    year: Int,
    title: Str,
    projectCount: Int,
    units: Type.Array(
      open({
        anchor: Str,
        unitId: nullable(Str),
        unitName: Str,
        projects: Type.Array(
          open({
            anchor: Str,
            projectId: Str,
            parentId: nullable(Str),
            parentTitle: nullable(Str),
            title: Str,
            type: Str,
            typeLabel: Str,
            isKey: Type.Boolean(),
            keyLabel: Str,
            orientation: Str,
            orientationLabel: Str,
            orgId: Str,
            orgName: Str,
            orgKindLabel: nullable(Str),
            leadSecretaryId: Str,
            leadSecretaryName: Str,
            businessGoal: Str,
            indicators: Type.Array(open({ id: Str, name: Str, unit: Str, baseline: Num, target: Num, actual: nullable(Num), progress: Num, progressText: Str })),
            grade: Str,
            gradeLabel: Str,
            finalScore: Num,
            rawScore: Num,
            totalDeduction: Num,
            selfAssessment: nullable(open({ total: Num, narrative: Str, businessImpact: Str })),
            acceptedAt: Str,
          }),
        ),
      }),
    ),
  },
  'AchievementsCompilation (format=json); format=html (the default) and format=md answer the rendered document as text/html or text/markdown',
);

const BestOfEntry = open({
  rank: Int,
  projectId: Str,
  title: Str,
  orgId: Str,
  orgName: Str,
  leadSecretaryId: Str,
  leadSecretaryName: Str,
  type: Str,
  typeLabel: Str,
  isKey: Type.Boolean(),
  finalScore: Num,
  grade: Str,
  gradeLabel: Str,
  totalDeduction: Num,
  rectificationRate: nullable(Num),
  rectificationRateText: Str,
  progress: Num,
  acceptedAt: Str,
});
const BestOfLists = open(
  {
    cycleId: Str,
    year: Int,
    title: Str,
    rule: Str,
    lists: Type.Array(open({ key: Str, title: Str, criterion: Str, size: Int, entries: Type.Array(BestOfEntry) }), { minItems: 2, maxItems: 2 }),
  },
  'BestOfLists (双十佳): the overall list and the breakthrough list',
);

/**
 * Whole-cycle responses run to megabytes (a province's figures: ~9 MB, an entry per org). They are
 * serialised with JSON.stringify — 3–5× faster on them than the schema's compiled serializer, which
 * adds nothing for these open (additionalProperties) schemas; the schema still documents the response.
 */
const plainJson = { serializerCompiler: () => (data: unknown) => JSON.stringify(data) };

const reportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  async function load(cycleId: string, user: ReturnType<typeof currentUser>) {
    if (user.role !== 'committee' && user.role !== 'auditor' && user.role !== 'inspector') {
      throw new ProblemError(403, 'forbidden', 'Committee, inspectors and auditors only', '只有工委、督查员和审计人员可以查看全周期数据和报告。', { rule: 'actor.not_committee' });
    }
    return app.services.cycles.reportInputs(cycleId);
  }

  app.get(
    '/cycles/:id/figures',
    {
      ...plainJson,
      schema: {
        tags: ['reports'],
        summary: 'Committee figures: counts by stage, type and org; missing or late evidence; ledger and rectification rate (null, "—", without entries); ratings per quarter; format=html with charts',
        params,
        querystring: Type.Object(
          { asOf: AsOf, format: Type.Union([Type.Literal('json'), Type.Literal('html')], { default: 'json', description: 'html: a printable page with the charts (inline SVG)' }) },
          { additionalProperties: false },
        ),
        response: { 200: CommitteeFigures, ...errors },
      },
    },
    async (request, reply) => {
      const { cycle, projects, orgs, people } = await load(request.params.id, currentUser(request));
      const figures = committeeFigures(projects, cycle, orgs, request.query.asOf ?? new Date().toISOString(), people);
      if (request.query.format === 'html') return reply.type('text/html; charset=utf-8').send(renderCommitteeFiguresHtml(figures));
      return figures;
    },
  );

  app.get(
    '/reports/cycles/:id/quarterly',
    {
      ...plainJson,
      schema: {
        tags: ['reports'],
        summary: 'The quarterly work report (季度工作报告) as JSON, Markdown or printable HTML',
        params,
        querystring: Type.Object({ quarter: Type.Unsafe<Quarter>(Type.Integer({ minimum: 1, maximum: 4 })), format: Format, asOf: AsOf }, { additionalProperties: false }),
        response: { 200: QuarterlyReport, ...errors },
      },
    },
    async (request, reply) => {
      const { cycle, projects, orgs } = await load(request.params.id, currentUser(request));
      const report = quarterlyReport(projects, cycle, orgs, request.query.quarter, request.query.asOf ?? new Date().toISOString());
      if (request.query.format === 'html') return reply.type('text/html; charset=utf-8').send(renderQuarterlyReportHtml(report));
      if (request.query.format === 'md') return reply.type('text/markdown; charset=utf-8').send(renderQuarterlyReportMarkdown(report));
      return report;
    },
  );

  app.get(
    '/reports/cycles/:id/compilation',
    {
      ...plainJson,
      schema: {
        tags: ['reports'],
        summary: 'The achievements compilation (成果汇编) of accepted projects, as printable HTML, Markdown or JSON',
        params,
        querystring: Type.Object({ format: Type.Union([Type.Literal('html'), Type.Literal('md'), Type.Literal('json')], { default: 'html' }) }, { additionalProperties: false }),
        response: { 200: AchievementsCompilation, ...errors },
      },
    },
    async (request, reply) => {
      const { cycle, projects, orgs, people } = await load(request.params.id, currentUser(request));
      const compilation = achievementsCompilation(projects, cycle, orgs, people);
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
        response: { 200: BestOfLists, ...errors },
      },
    },
    async (request) => {
      const { cycle, projects, orgs, people } = await load(request.params.id, currentUser(request));
      return bestOfLists(projects, cycle, orgs, people);
    },
  );
};

export default reportRoutes;
