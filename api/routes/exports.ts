/**
 * Exports (导出): the ledger, the project list, the committee figures and the best-of lists as
 * .xlsx and as CSV (UTF-8 with BOM), with the same filters and the same visibility as their JSON
 * routes (GET /ledger, GET /projects, GET /cycles/:id/figures, GET /cycles/:id/best-of).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { bestOfTable, bestOfTables, FIGURE_TABLE_TITLES, FIGURE_TABLES, figuresTables, ledgerTable, projectsTable } from '../../exports/lists';
import { writeCsv, writeXlsx, type Table } from '../../exports/sheet';
import { createListsService } from '../../services/lists';
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

  both<Record<string, never>>('/exports/cycles/:id/best-of', 'The best-of lists (双十佳) of a cycle', Type.Object({}, closed), IdParams, async (user, _q, p) => {
    const best = await lists.bestOf(user, p.id);
    return { name: `双十佳-${p.id}`, ascii: `best-of-${fileSafe(p.id)}`, xlsx: bestOfTables(best), csv: bestOfTable(best) };
  });
};

export default exportRoutes;
