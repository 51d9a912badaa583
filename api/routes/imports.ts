/**
 * Bulk import and export of the directory (组织、人员、督查分工) in the committee's own spreadsheet
 * format: the template, the export (.xlsx with three sheets, or one sheet as CSV), and the import
 * (a dry run answering every row's errors and what would change; then the apply, in one
 * transaction). Committee staff only. The rules live in directory-io/plan.ts.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { applyDirectoryImport, readDirectory } from '../../db/directory-import';
import { ERRORS_MAX, planImport, type PlanResult } from '../../directory-io/plan';
import { SHEET_KEYS, SHEETS, type RawWorkbook } from '../../directory-io/sheets';
import { DirectoryFileError, MAX_ROWS_PER_SHEET, readCsv, readXlsx, writeDirectoryCsv, writeDirectoryXlsx, writeTemplateXlsx } from '../../directory-io/workbook';
import { handOverOrg } from '../../services/handover';
import { currentUser } from '../plugins/auth';
import { PROBLEM_CONTENT_TYPE, ProblemError, problemRef } from '../problem';

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
export const IMPORT_LIMITS = { fileSize: 5 * 1024 * 1024, files: 1, fields: 5, parts: 6 };

const closed = { additionalProperties: false } as const;
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const SheetParam = Type.Union(
  SHEET_KEYS.map((k) => Type.Literal(k)),
  { description: `CSV 只含一张表：orgs（${SHEETS.orgs.title}）、users（${SHEETS.users.title}）或 assignments（${SHEETS.assignments.title}）` },
);

const RowErrorSchema = Type.Object({
  sheet: Type.String({ description: '工作表名（组织 / 人员 / 督查分工）' }),
  row: Type.Integer({ description: '文件中的行号（表头为第 1 行）' }),
  column: Type.String({ description: '列的表头' }),
  message: Type.String({ description: '错误说明（中文）' }),
});
const IdList = Type.Object({ count: Type.Integer(), ids: Type.Array(Type.String(), { description: '最多列出 200 个编号' }) });
const Pair = Type.Object({ inspectorId: Type.String(), orgId: Type.String() });
const PairList = Type.Object({ count: Type.Integer(), items: Type.Array(Pair, { description: '最多列出 200 条' }) });
const SecretaryChange = Type.Object({ orgId: Type.String(), fromUserId: Nullable(Type.String()), toUserId: Nullable(Type.String()) });
const Changes = Type.Object({
  orgs: Type.Object({ added: IdList, changed: IdList, closed: IdList }),
  users: Type.Object({ added: IdList, changed: IdList, disabled: IdList }),
  assignments: Type.Object({ added: PairList, removed: PairList }),
  secretaryChanges: Type.Object({ count: Type.Integer(), items: Type.Array(SecretaryChange, { description: '最多列出 200 条' }) }),
});
const Rows = Type.Object({ orgs: Type.Optional(Type.Integer()), users: Type.Optional(Type.Integer()), assignments: Type.Optional(Type.Integer()) }, { description: '各表读到的数据行数（空行不计）；文件中没有的表不出现' });
const Handover = Type.Object({
  orgId: Type.String(),
  fromUserId: Type.String(),
  toUserId: Type.String(),
  projects: Type.Array(Type.String(), { description: '已移交的项目' }),
  failed: Type.Array(Type.Object({ projectId: Type.String(), detail: Type.String() })),
  error: Type.Optional(Type.String({ description: '整个移交未能进行的原因；导入本身已生效，可在组织管理中重新更换书记以重试' })),
});
const ImportAnswer = Type.Object({
  dryRun: Type.Boolean(),
  applied: Type.Boolean(),
  rows: Rows,
  errorCount: Type.Integer(),
  errors: Type.Array(RowErrorSchema, { description: '按工作表、行、列排序；最多 1000 条，总数见 errorCount' }),
  changes: Changes,
  revoked: Type.Optional(Type.Object({ sessions: Type.Integer(), tokens: Type.Integer() }, { description: '被停用的用户被终止的会话和令牌数' })),
  handovers: Type.Array(Handover, { description: '正式导入后，书记有变更的组织的项目移交（试导入时为空）' }),
});
/** The shared Problem with the dry run's answer: what is wrong, and what would have changed. */
const ImportRefused = Type.Intersect([
  Type.Unsafe<Record<string, unknown>>(problemRef),
  Type.Object({ errorCount: Type.Integer(), errors: Type.Array(RowErrorSchema), changes: Changes }),
]);

const IMPORT_DESCRIPTION = `
上传 .xlsx（工作表“组织”“人员”“督查分工”，可只含其中几张）或 CSV（一张表，须给出 \`sheet\`），字段名 \`file\`，最大 5 MiB，每表最多 ${MAX_ROWS_PER_SHEET} 行。

- \`dryRun=true\`（默认）：不做任何修改，答复每一行的错误（工作表、行号、列、中文说明）和将发生的变更（新增 / 修改 / 撤销或停用，各列出编号和数量）。
- \`dryRun=false\`：在一个事务中重新核对并全部导入；只要有任何错误就全部不导入，以 422 答复同样的错误列表。导入成功后记录一条 \`import_applied\` 安全事件；书记有变更的组织随即把原书记负责的在办项目移交给新书记（结果见 \`handovers\`）。

语义：
- 每张表是其中所列各行的**完整目标状态**：已有编号按表修改，新编号新增。
- **未列入表中的组织和用户保持不变，不会因此被撤销或停用。** 撤销组织须在该行“状态”填“撤销”，停用用户填“停用”（停用立即终止其所有会话和个人令牌）；“状态”留空即“正常”/“启用”，因此列出已撤销的组织或已停用的用户而留空状态，会将其恢复。
- 督查分工：表中出现的督查员，其分工以本表为准（未列出的取消；“组织编号”留空的一行表示该督查员不再负责任何组织）；未出现的督查员不变。
- **新用户没有密码**：须由工委在人员管理中重置密码后才能用用户名或手机号登录。
- 单元格会规范化：全角数字、字母、空格转半角（编号、类型、角色、状态、用户名、手机号按 NFKC 全部转半角；名称中的全角标点如（）、保留），首尾空白去除，连续空白合并为一个；完全空白的行忽略；同一列内的合并单元格按左上角的值读取，跨列合并报错。
- 导出的文件原样导入不产生任何变更。`.trim();

function attachment(reply: FastifyReply, fileName: string, asciiName: string, contentType: string) {
  return reply
    .header('content-type', contentType)
    .header('content-disposition', `attachment; filename="${asciiName}"; filename*=UTF-8''${encodeURIComponent(fileName)}`)
    .header('cache-control', 'no-store');
}

const today = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10); // the committee's date (Asia/Shanghai)

const binary = (description: string, media: string) => ({ description, content: { [media]: { schema: { type: 'string', format: 'binary' } } } });

/** The uploaded file (the one `file` part), read into memory within IMPORT_LIMITS. */
async function uploadedFile(request: FastifyRequest): Promise<{ bytes: Buffer; filename: string; mimetype: string }> {
  if (!request.isMultipart()) throw new ProblemError(415, 'unsupported-media-type', 'Expected multipart/form-data', '请以 multipart/form-data 方式上传文件（字段名 file）。');
  let found: { bytes: Buffer; filename: string; mimetype: string } | null = null;
  for await (const part of request.parts()) {
    if (part.type !== 'file') continue;
    const bytes = await part.toBuffer();
    if (!found) found = { bytes, filename: part.filename, mimetype: part.mimetype };
  }
  if (!found || found.bytes.length === 0) throw new ProblemError(400, 'validation', 'No file', '请求中没有文件（字段名 file），或文件是空的。', { field: 'file' });
  return found;
}

const isZip = (bytes: Buffer) => bytes.length >= 4 && bytes.readUInt32BE(0) === 0x504b0304;

const importRoutes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(multipart, { limits: IMPORT_LIMITS, throwFileSizeLimit: true });

  // Committee staff only, refused before any body is read.
  app.addHook('onRequest', async (request) => {
    if (currentUser(request).role !== 'committee') {
      throw new ProblemError(403, 'forbidden', 'Committee staff only', '只有工委工作人员可以导入或导出组织和人员名册。', { rule: 'directory.import_committee_only' });
    }
  });

  const tags = ['directory'];

  app.get(
    '/directory/template.xlsx',
    {
      schema: {
        tags,
        summary: 'The empty import template (.xlsx): sheets 组织, 人员, 督查分工 with Chinese headers, header notes, drop-down lists for 类型/角色/状态, and a 说明 sheet',
        response: { 200: binary('导入模板', XLSX_TYPE), 403: problemRef },
      },
    },
    async (_request, reply) => attachment(reply, '组织人员导入模板.xlsx', 'directory-template.xlsx', XLSX_TYPE).send(await writeTemplateXlsx()),
  );

  app.get(
    '/directory/export.xlsx',
    {
      schema: {
        tags,
        summary: 'The whole directory (closed orgs and disabled users included) in the import format; importing it unchanged changes nothing',
        response: { 200: binary('组织、人员和督查分工（导入格式）', XLSX_TYPE), 403: problemRef },
      },
    },
    async (_request, reply) => {
      const records = await readDirectory(app.deps.db);
      return attachment(reply, `组织人员名册-${today()}.xlsx`, `directory-${today()}.xlsx`, XLSX_TYPE).send(await writeDirectoryXlsx(records));
    },
  );

  app.get(
    '/directory/export.csv',
    {
      schema: {
        tags,
        summary: 'One sheet of the directory as CSV (UTF-8 with BOM), in the import format',
        querystring: Type.Object({ sheet: SheetParam }, closed),
        response: { 200: binary('一张表（UTF-8，带 BOM，Excel 可直接打开）', 'text/csv'), 403: problemRef },
      },
    },
    async (request, reply) => {
      const { sheet } = request.query;
      const records = await readDirectory(app.deps.db);
      return attachment(reply, `${SHEETS[sheet].title}-${today()}.csv`, `directory-${sheet}-${today()}.csv`, 'text/csv; charset=utf-8').send(writeDirectoryCsv(records, sheet));
    },
  );

  app.post(
    '/directory/import',
    {
      schema: {
        tags,
        summary: 'Import orgs, users and inspector assignments from .xlsx or CSV: a dry run (default) or the apply, in one transaction',
        description: IMPORT_DESCRIPTION,
        consumes: ['multipart/form-data'],
        querystring: Type.Object(
          {
            dryRun: Type.Boolean({ default: true, description: 'true（默认）：只核对不修改；false：正式导入' }),
            sheet: Type.Optional(SheetParam),
          },
          closed,
        ),
        response: {
          200: ImportAnswer,
          400: problemRef,
          403: problemRef,
          413: problemRef,
          415: problemRef,
          422: { description: 'The file has errors: nothing was imported (the same errors as the dry run)', content: { [PROBLEM_CONTENT_TYPE]: { schema: ImportRefused } } },
        },
      },
    },
    async (request) => {
      const user = currentUser(request);
      const { dryRun, sheet } = request.query;
      const upload = await uploadedFile(request);
      let file: RawWorkbook;
      try {
        if (isZip(upload.bytes)) file = await readXlsx(upload.bytes);
        else {
          if (!sheet) throw new ProblemError(400, 'validation', 'sheet required for CSV', 'CSV 文件只含一张表：请用查询参数 sheet=orgs|users|assignments 指明是哪一张。', { field: 'sheet' });
          file = readCsv(upload.bytes, sheet);
        }
      } catch (error) {
        if (error instanceof DirectoryFileError) throw new ProblemError(error.tooLarge ? 413 : 400, 'unreadable-file', 'The file cannot be read', error.detail, { field: 'file' });
        throw error;
      }

      if (dryRun) {
        const result = planImport(file, await readDirectory(app.deps.db), user.id);
        return { dryRun: true, applied: false, ...answered(result), handovers: [] };
      }

      const userAgent = request.headers['user-agent'];
      const { result, applied, revoked } = await applyDirectoryImport(app.deps.db, file, user.id, { ip: request.ip, userAgent: typeof userAgent === 'string' ? userAgent : null, fileName: upload.filename });
      if (!applied) {
        const { errorCount, errors, changes } = answered(result);
        throw new ProblemError(422, 'import-has-errors', 'The file has errors; nothing was imported', `文件中有 ${errorCount} 处错误，未导入任何数据；请按错误列表修改后重新导入。`, { errorCount, errors, changes });
      }
      // After the commit: each handover is a Temporal Update per open project, not part of the transaction.
      const handovers = [];
      for (const change of result.plan.secretaryChanges) {
        if (change.fromUserId === null || change.toUserId === null) continue; // nobody to hand over from, or to
        const base = { orgId: change.orgId, fromUserId: change.fromUserId, toUserId: change.toUserId };
        try {
          const outcome = await handOverOrg({ db: app.deps.db, temporal: app.deps.temporal }, { ...base, actor: { userId: user.id, role: 'committee', orgId: user.orgId }, reason: '名册导入更换书记' });
          handovers.push({ ...base, ...outcome });
        } catch (error) {
          request.log.error({ err: error, orgId: change.orgId }, 'handover after import failed');
          handovers.push({ ...base, projects: [], failed: [], error: `移交未能进行：${error instanceof Error ? error.message.slice(0, 300) : String(error)}` });
        }
      }
      return { dryRun: false, applied: true, ...answered(result), revoked, handovers };
    },
  );
};

function answered(result: PlanResult) {
  return { rows: result.rows, errorCount: result.errors.length, errors: result.errors.slice(0, ERRORS_MAX), changes: result.changes };
}

export default importRoutes;
