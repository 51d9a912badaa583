/**
 * Evidence file uploads (multipart) and downloads. Files are stored content-addressed under their
 * SHA-256 with a server-generated name; the client's file name is never used to store anything.
 * Every download re-checks the stored bytes against their hash.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import multipart from '@fastify/multipart';
import { sql } from 'kysely';
import { ContentIntegrityError } from '../../db/content-store';
import type { ProjectState } from '../../workflows/lifecycle';
import { sniffFileType } from '../file-types';
import { currentUser } from '../plugins/auth';
import { ProblemError, problemRef } from '../problem';
import { canRead } from '../projects-service';

export const UPLOAD_LIMITS = { fileSize: 10 * 1024 * 1024, files: 5, fields: 10, parts: 20 };

const problem = problemRef;
const StoredFile = Type.Object({ sha256: Type.String(), size: Type.Integer(), name: Type.String(), contentType: Type.String() });

const evidenceFileRoutes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(multipart, { limits: UPLOAD_LIMITS, throwFileSizeLimit: true });

  app.post(
    '/evidence-files',
    {
      schema: {
        tags: ['evidence'],
        summary: 'Upload evidence files (multipart/form-data; PDF, PNG, JPEG, Office documents or plain text; at most 5 files of 10 MiB)',
        consumes: ['multipart/form-data'],
        response: { 201: Type.Object({ files: Type.Array(StoredFile) }), 400: problem, 401: problem, 403: problem, 413: problem, 415: problem, 429: problem },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      if (user.role === 'auditor') throw new ProblemError(403, 'forbidden', 'Auditors change nothing', '审计人员不能上传文件。', { rule: 'actor.auditor_read_only' });
      if (!request.isMultipart()) {
        throw new ProblemError(415, 'unsupported-media-type', 'Expected multipart/form-data', '请以 multipart/form-data 方式上传文件。');
      }
      const stored: { sha256: string; size: number; name: string; contentType: string }[] = [];
      for await (const part of request.parts()) {
        if (part.type !== 'file') continue;
        const bytes = await part.toBuffer();
        const type = sniffFileType(bytes);
        if (!type) {
          throw new ProblemError(415, 'unsupported-file-type', 'File type not allowed', `文件“${part.filename.slice(0, 100)}”的内容不是允许的类型（PDF、PNG、JPEG、Office 文档或纯文本）。`, { field: part.fieldname });
        }
        const { sha256, size } = await app.deps.store.put(bytes);
        const name = `${sha256.slice(0, 16)}.${type.extension}`;
        await app.deps.db
          .insertInto('evidence_files')
          .values({ sha256, uploaded_by: user.id, stored_name: name, content_type: type.contentType, size })
          .onConflict((oc) => oc.columns(['sha256', 'uploaded_by']).doNothing())
          .execute();
        stored.push({ sha256, size, name, contentType: type.contentType });
      }
      if (stored.length === 0) throw new ProblemError(400, 'validation', 'No file', '请求中没有文件。', { field: 'file' });
      return reply.status(201).send({ files: stored });
    },
  );

  app.get(
    '/evidence-files/:sha256',
    {
      schema: {
        tags: ['evidence'],
        summary: 'Download an evidence file; its SHA-256 is re-checked and returned in x-content-sha256',
        params: Type.Object({ sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) }, { additionalProperties: false }),
        response: {
          200: {
            description: 'The stored bytes, re-checked against their SHA-256 (header x-content-sha256), as an attachment',
            content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
          },
          400: problem,
          401: problem,
          404: problem,
          429: problem,
        },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const { sha256 } = request.params;
      const notFound = new ProblemError(404, 'not-found', 'File not found', `找不到文件 ${sha256.slice(0, 16)}…，或您无权查看。`);
      const own = await app.deps.db.selectFrom('evidence_files').select(['content_type', 'stored_name']).where('sha256', '=', sha256).where('uploaded_by', '=', user.id).executeTakeFirst();
      let meta = own;
      if (!meta) {
        // Someone else's file is readable by whoever may read a project citing it (canRead, the
        // read rule of GET /projects/:id), wherever the project shows it: an evidence entry's files
        // or its claim-checked text (normalised in `evidence`, the current and superseded
        // versions), and a rectification report's files or claim-checked text (only in the project
        // state's ledger[].reports[]). The inspector who verifies a rectification and the committee
        // must be able to open what the report cites.
        const cites = '$.ledger[*].reports[*] ? (exists(@.files[*] ? (@.sha256 == $h)) || @.textRef.sha256 == $h)';
        const referencing = await app.deps.db
          .selectFrom('projects')
          .select(['projects.id', 'projects.cycle_id', 'projects.org_id', 'projects.workflow_id', 'projects.state'])
          .where((eb) =>
            eb.or([
              eb.exists(
                eb
                  .selectFrom('evidence')
                  .select('evidence.id')
                  .whereRef('evidence.project_id', '=', 'projects.id')
                  .where((inner) =>
                    inner.or([sql<boolean>`evidence.files @> ${JSON.stringify([{ sha256 }])}::jsonb`, sql<boolean>`evidence.text_ref ->> 'sha256' = ${sha256}`]),
                  ),
              ),
              // Only projects with a reported ledger entry can cite a file in a report: the
              // normalised ledger narrows the scan before the state's JSON is searched.
              eb.and([
                eb.exists(eb.selectFrom('ledger_entries').select('ledger_entries.id').whereRef('ledger_entries.project_id', '=', 'projects.id').where('ledger_entries.reports', '>', 0)),
                sql<boolean>`jsonb_path_exists(projects.state, ${cites}::jsonpath, jsonb_build_object('h', ${sha256}::text))`,
              ]),
            ]),
          )
          .orderBy('projects.id')
          .limit(500)
          .execute();
        for (const p of referencing) {
          const state = p.state as ProjectState;
          if (await canRead(app, user, { id: p.id, cycleId: p.cycle_id, orgId: p.org_id, workflowId: p.workflow_id, state }, state)) {
            meta = await app.deps.db.selectFrom('evidence_files').select(['content_type', 'stored_name']).where('sha256', '=', sha256).limit(1).executeTakeFirst();
            break;
          }
        }
      }
      if (!meta) throw notFound;
      let bytes: Buffer | undefined;
      try {
        bytes = await app.deps.store.get(sha256);
      } catch (error) {
        if (error instanceof ContentIntegrityError) {
          throw new ProblemError(500, 'content-integrity', 'Stored file failed its integrity check', '服务器存储的文件校验失败（SHA-256 不符），已拒绝下载，请联系管理员。');
        }
        throw error;
      }
      if (!bytes) throw notFound;
      return reply
        .header('content-type', meta.content_type)
        .header('content-disposition', `attachment; filename="${meta.stored_name}"`)
        .header('x-content-sha256', sha256)
        .send(bytes);
    },
  );
};

export default evidenceFileRoutes;
