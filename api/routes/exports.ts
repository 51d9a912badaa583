/**
 * Exports (导出): the ledger, the project list, the committee figures and the best-of lists as
 * .xlsx and as CSV (UTF-8 with BOM), with the same filters and the same visibility as their JSON
 * routes (GET /ledger, GET /projects, GET /cycles/:id/figures, GET /cycles/:id/best-of,
 * GET /secretaries/:id/annual-tasks).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { bestOfTable, bestOfTables, FIGURE_TABLE_TITLES, FIGURE_TABLES, figuresTables, ledgerTable, projectsTable } from '../../exports/lists';
import { decimal, percent, table, text, writeCsv, writeXlsx, type ColumnSpec, type Table } from '../../exports/sheet';
import { createListsService, type AnnualTaskList, type TaskProject } from '../../services/lists';
import { currentUser } from '../plugins/auth';
import { problemResponses } from '../problem';
import { LedgerFilters } from './lists';

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
export const CSV_TYPE = 'text/csv; charset=utf-8';

const closed = { additionalProperties: false } as const;
const IdParams = Type.Object({ id: Type.String({ maxLength: 80 }) }, closed);
const AsOf = Type.Optional(Type.String({ format: 'date-time', description: '判断是否逾期的时刻，默认当前时间' }));

const ProjectFilters = {
  cycle: Type.Optional(Type.String({ maxLength: 80 })),
  org: Type.Optional(Type.String({ maxLength: 80, description: '该组织及其全部下级组织' })),
  stage: Type.Optional(Type.String({ maxLength: 40 })),
  type: Type.Optional(Type.String({ maxLength: 40 })),
  overdue: Type.Optional(Type.Boolean({ description: '只列有逾期未销号问题的项目' })),
};

const FigureTableParam = Type.Union(
  FIGURE_TABLES.map((t) => Type.Literal(t)),
  { default: 'orgs', description: FIGURE_TABLES.map((t) => `${t}（${FIGURE_TABLE_TITLES[t]}）`).join('、') },
);

const binary = (description: string, media: string) => ({ description, content: { [media]: { schema: { type: 'string', format: 'binary' } } } });
const errors = problemResponses(400, 401, 403, 404, 429);

/** The committee's date (Asia/Shanghai), for file names. */
const today = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

/** A download: the Chinese file name as RFC 5987 `filename*`, an ASCII fallback beside it. */
function attachment(reply: FastifyReply, fileName: string, asciiName: string, contentType: string): FastifyReply {
  return reply
    .header('content-type', contentType)
    .header('content-disposition', `attachment; filename="${asciiName}"; filename*=UTF-8''${encodeURIComponent(fileName)}`)
    .header('cache-control', 'no-store');
}

/** Safe in a file name: letters, digits, dot, dash, underscore. */
const fileSafe = (value: string) => value.replace(/[^A-Za-z0-9._-]/g, '_');

/** One row of the annual task list export: a (sub-)project with one of its indicators. */
interface AnnualTaskRow {
  project: TaskProject;
  parent: TaskProject | null;
  indicator: TaskProject['indicators'][number] | null;
}

const ANNUAL_TASK_COLUMNS: ColumnSpec<AnnualTaskRow>[] = [
  { header: '年度周期', width: 16, kind: text, value: (r) => r.project.cycleId },
  { header: '项目编号', width: 18, kind: text, value: (r) => r.project.id },
  { header: '项目名称', width: 32, kind: text, value: (r) => r.project.title },
  { header: '层级', width: 10, kind: text, value: (r) => (r.parent ? '子项目' : '书记项目') },
  { header: '上级项目', width: 28, kind: text, value: (r) => r.parent?.title ?? null },
  { header: '承担党组织', width: 22, kind: text, value: (r) => r.project.orgName ?? r.project.orgId },
  { header: '牵头书记', width: 14, kind: text, value: (r) => r.project.leadSecretaryName ?? r.project.leadSecretaryId },
  { header: '类型', width: 10, kind: text, value: (r) => r.project.typeLabel },
  { header: '重点项目', width: 10, kind: { type: 'boolean' }, value: (r) => r.project.isKey },
  { header: '阶段', width: 10, kind: text, value: (r) => r.project.stageLabel },
  { header: '总体进度', width: 10, kind: percent(0), value: (r) => r.project.progress },
  { header: '指标', width: 20, kind: text, value: (r) => r.indicator?.name ?? null },
  { header: '单位', width: 8, kind: text, value: (r) => r.indicator?.unit ?? null },
  { header: '基线', width: 10, kind: decimal(2), value: (r) => r.indicator?.baseline ?? null },
  { header: '目标', width: 10, kind: decimal(2), value: (r) => r.indicator?.target ?? null },
  { header: '实际', width: 10, kind: decimal(2), value: (r) => r.indicator?.actual ?? null },
  { header: '指标完成度', width: 12, kind: percent(0), value: (r) => r.indicator?.progress ?? null },
];

/** The annual task list flattened: each project, then its sub-projects, one row per indicator (one row without any). */
export function annualTasksTable(list: AnnualTaskList): Table {
  const rows: AnnualTaskRow[] = [];
  const add = (project: TaskProject, parent: TaskProject | null) => {
    if (project.indicators.length === 0) rows.push({ project, parent, indicator: null });
    for (const indicator of project.indicators) rows.push({ project, parent, indicator });
  };
  for (const p of list.projects) {
    add(p, null);
    for (const child of p.subProjects) add(child, p);
  }
  return table({ name: '年度攻坚清单', columns: ANNUAL_TASK_COLUMNS, rows });
}

const exportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const lists = createListsService({ db: app.deps.db, projects: app.services.projects, cycles: app.services.cycles });
  const tags = ['exports'];

  /** Two routes, .xlsx and .csv, answering the same table(s). */
  function both<Q extends Record<string, unknown>>(
    path: string,
    what: string,
    query: ReturnType<typeof Type.Object>,
    params: typeof IdParams | undefined,
    build: (user: ReturnType<typeof currentUser>, query: Q, params: { id: string }) => Promise<{ name: string; ascii: string; xlsx: Table[]; csv: Table }>,
  ) {
    for (const format of ['xlsx', 'csv'] as const) {
      app.get(
        `${path}.${format}`,
        {
          schema: {
            tags,
            summary: `${what} as ${format === 'xlsx' ? '.xlsx (Chinese headers, frozen header row, numbers and dates typed)' : 'CSV (UTF-8 with BOM)'}`,
            ...(params ? { params } : {}),
            querystring: query,
            response: { 200: binary(format === 'xlsx' ? 'Excel 工作簿' : 'CSV（UTF-8，带 BOM，Excel 可直接打开）', format === 'xlsx' ? XLSX_TYPE : 'text/csv'), ...errors },
          },
        },
        async (request, reply) => {
          const out = await build(currentUser(request), request.query as Q, (request.params ?? {}) as { id: string });
          const suffix = `${today()}.${format}`;
          if (format === 'xlsx') return attachment(reply, `${out.name}-${suffix}`, `${out.ascii}-${suffix}`, XLSX_TYPE).send(await writeXlsx(out.xlsx));
          return attachment(reply, `${out.name}-${suffix}`, `${out.ascii}-${suffix}`, CSV_TYPE).send(Buffer.from(writeCsv(out.csv), 'utf8'));
        },
      );
    }
  }

  const LedgerQuery = Type.Object(LedgerFilters, closed);
  both<Static<typeof LedgerQuery>>('/exports/ledger', 'The rectification ledger (整改台账), filtered as GET /ledger', LedgerQuery, undefined, async (user, q) => {
    const t = ledgerTable(await lists.allLedgerItems(user, q));
    return { name: '整改台账', ascii: 'ledger', xlsx: [t], csv: t };
  });

  const ProjectQuery = Type.Object(ProjectFilters, closed);
  both<Static<typeof ProjectQuery>>('/exports/projects', 'The project list (项目清单), filtered as GET /projects', ProjectQuery, undefined, async (user, q) => {
    const t = projectsTable(await lists.projectsForExport(user, q));
    return { name: '项目清单', ascii: 'projects', xlsx: [t], csv: t };
  });

  const FiguresQuery = Type.Object({ asOf: AsOf, table: Type.Optional(FigureTableParam) }, closed);
  both<{ asOf?: string; table?: (typeof FIGURE_TABLES)[number] }>(
    '/exports/cycles/:id/figures',
    'Committee figures (工委数据) of a cycle: by unit, by org, inspections per quarter, overdue ledger (CSV: the `table` one)',
    FiguresQuery,
    IdParams,
    async (user, q, p) => {
      const tables = figuresTables(await lists.figures(user, p.id, q.asOf));
      const one = q.table ?? 'orgs';
      return { name: `工委数据-${p.id}`, ascii: `figures-${fileSafe(p.id)}`, xlsx: FIGURE_TABLES.map((t) => tables[t]), csv: tables[one] };
    },
  );

  const AnnualTasksQuery = Type.Object({ cycle: Type.Optional(Type.String({ maxLength: 80, description: '年度周期；缺省为全部' })) }, closed);
  both<Static<typeof AnnualTasksQuery>>(
    '/exports/secretaries/:id/annual-tasks',
    "A secretary's annual task list (年度攻坚清单), one row per indicator of each project and sub-project; readable as GET /secretaries/:id/annual-tasks",
    AnnualTasksQuery,
    IdParams,
    async (user, q, p) => {
      const t = annualTasksTable(await lists.annualTasks(user, p.id, q.cycle));
      return { name: `年度攻坚清单-${p.id}`, ascii: `annual-tasks-${fileSafe(p.id)}`, xlsx: [t], csv: t };
    },
  );

  both<Record<string, never>>('/exports/cycles/:id/best-of', 'The best-of lists (双十佳) of a cycle', Type.Object({}, closed), IdParams, async (user, _q, p) => {
    const best = await lists.bestOf(user, p.id);
    return { name: `双十佳-${p.id}`, ascii: `best-of-${fileSafe(p.id)}`, xlsx: bestOfTables(best), csv: bestOfTable(best) };
  });
};

export default exportRoutes;
