/**
 * Every door validates: text that PostgreSQL could never store (U+0000, lone surrogates, C0
 * controls other than tab/newline/CR) is refused in any body, query string or path parameter
 * before a route runs — 400 problem+json naming the field, and nothing changes. The lifecycle core
 * refuses the same text in Updates sent straight to Temporal.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { findUnstorableText, unstorableReasonZh } from '../../workflows/lifecycle';
import { ProblemError } from '../problem';

export default fp(async function storableText(app: FastifyInstance) {
  app.addHook('preValidation', async (request) => {
    for (const [where, value] of [
      ['body', request.body],
      ['querystring', request.query],
      ['params', request.params],
    ] as const) {
      // Multipart bodies are streamed; their file contents are bytes, not text.
      if (where === 'body' && request.isMultipart?.()) continue;
      const found = findUnstorableText(value);
      if (found) {
        const reason = unstorableReasonZh(found.reason);
        throw new ProblemError(400, 'validation', 'Text that cannot be stored', `${where} 中的字段“${found.path}”含有无法保存的字符（${reason}），请删除后重试。`, {
          field: found.path,
          rule: 'payload.unstorable_character',
        });
      }
    }
  });
  // Its refusals are ProblemErrors, answered by the errors plugin.
}, { name: 'storable-text', fastify: '5.x', dependencies: ['errors'] });
