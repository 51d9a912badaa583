/**
 * Idempotency-Key on POST: the first response for a (user, key) is stored; a retry with the same
 * key and the same request gets that response again and acts once. The same key with a different
 * request is refused (422); a retry while the first is still running gets 409.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { canonicalJson } from '../../db/hash-chain';
import { PROBLEM_CONTENT_TYPE, ProblemError } from '../problem';

const KEY_SHAPE = /^[A-Za-z0-9._:-]{8,128}$/;

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: { userId: string; key: string } | null;
  }
}

export default fp(async function idempotency(app: FastifyInstance) {
  app.decorateRequest('idempotency', null);

  app.addHook('preHandler', async (request, reply) => {
    const key = request.headers['idempotency-key'];
    if (request.method !== 'POST' || key === undefined || !request.user) return;
    if (typeof key !== 'string' || !KEY_SHAPE.test(key)) {
      throw new ProblemError(400, 'idempotency-key', 'Invalid Idempotency-Key', 'Idempotency-Key 须为 8 至 128 位字母、数字或 ._:- 字符。', { field: 'Idempotency-Key' });
    }
    const requestHash = createHash('sha256')
      .update(`${request.method} ${request.url}\n${canonicalJson(request.body ?? null)}`)
      .digest('hex');
    const db = app.deps.db;
    const inserted = await db
      .insertInto('idempotency_keys')
      .values({ user_id: request.user.id, key, request_hash: requestHash, status_code: null, response: null })
      .onConflict((oc) => oc.columns(['user_id', 'key']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) {
      request.idempotency = { userId: request.user.id, key };
      return;
    }
    const previous = await db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('user_id', '=', request.user.id)
      .where('key', '=', key)
      .executeTakeFirstOrThrow();
    if (previous.request_hash !== requestHash) {
      throw new ProblemError(422, 'idempotency-key-reused', 'Idempotency-Key reused for a different request', '该 Idempotency-Key 已用于另一个不同的请求，请换用新的键。');
    }
    if (previous.status_code === null) {
      reply.header('retry-after', '1');
      throw new ProblemError(409, 'idempotency-key-in-progress', 'A request with this Idempotency-Key is still running', '使用该 Idempotency-Key 的请求仍在处理中，请稍后重试。');
    }
    reply.header('idempotent-replayed', 'true');
    const isProblem = previous.status_code >= 400;
    return reply
      .status(previous.status_code)
      .type(isProblem ? PROBLEM_CONTENT_TYPE : 'application/json; charset=utf-8')
      .send(JSON.stringify(previous.response));
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const slot = request.idempotency;
    if (!slot) return payload;
    request.idempotency = null;
    if (reply.statusCode >= 500) {
      // A failure we may recover from: free the key so the client's retry runs again.
      await app.deps.db.deleteFrom('idempotency_keys').where('user_id', '=', slot.userId).where('key', '=', slot.key).execute();
      return payload;
    }
    let body: unknown = null;
    try {
      body = typeof payload === 'string' ? JSON.parse(payload) : null;
    } catch {
      body = null;
    }
    await app.deps.db
      .updateTable('idempotency_keys')
      .set({ status_code: reply.statusCode, response: JSON.stringify(body) })
      .where('user_id', '=', slot.userId)
      .where('key', '=', slot.key)
      .execute();
    return payload;
  });
});
