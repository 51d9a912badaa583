/**
 * Evidence file uploads (multipart) and downloads. Files are stored content-addressed under their
 * SHA-256 with a server-generated name; the client's file name is never used to store anything.
 * Every download re-checks the stored bytes against their hash.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import multipart from '@fastify/multipart';
import { ContentIntegrityError } from '../../db/content-store';
import { sniffFileType } from '../file-types';
import { currentUser } from '../plugins/auth';
import { ProblemError, problemRef } from '../problem';

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
        stored.push(await app.services.projects.storeUpload(user, bytes, type));
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
      // Someone else's file is readable by whoever may read a project citing it (see readableFile).
      const meta = await app.services.projects.readableFile(user, sha256);
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
        .header('content-type', meta.contentType)
        .header('content-disposition', `attachment; filename="${meta.storedName}"`)
        .header('x-content-sha256', sha256)
        .send(bytes);
    },
  );
};

export default evidenceFileRoutes;
