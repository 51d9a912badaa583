/**
 * Idempotency-Key on POST: the first response for a (user, key) is stored; a retry with the same
 * key and the same request gets that response again and acts once. The same key with a different
 * request is refused (422); a retry while the first is still running gets 409.
 *
 * "Still running" is a lease, not a flag: a request that claims a key holds it for
 * IDEMPOTENCY_LEASE_MS. A process that dies mid-request (PostgreSQL crashing under it, a kill, a
 * power cut) cannot release its key, so without a lease the key would answer 409 for ever and
 * the action would never be applied. Once the lease has run out, the next retry takes the key
 * over and runs the request itself.
 *
 * The lease start is the row's `created_at`, rewritten at each claim (no schema change: the
 * column meant "when the request holding this key started" and still does). It doubles as the
 * claim's fencing token: an owner whose lease was taken over (it was alive after all, only slow)
 * neither stores its response over the new owner's nor deletes the new owner's claim.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { sql } from 'kysely';
import { canonicalJson } from '../../db/hash-chain';
import { PROBLEM_CONTENT_TYPE, ProblemError, problemType } from '../problem';

const KEY_SHAPE = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * How long a claimed key stays "in progress" without an answer. A few times the longest a request
 * may take (Temporal calls made while serving a request time out after a few seconds, see
 * app.ts), so a live request is never taken over, yet a crashed one blocks its key only briefly.
 */
export const IDEMPOTENCY_LEASE_MS = 60_000;

declare module 'fastify' {
  interface FastifyRequest {
    /** The key this request claimed, and the claim's start (its fencing token). */
    idempotency: { userId: string; key: string; claimedAt: Date } | null;
  }
}

/** What a retry must repeat exactly to be the same request. Exported for the tests. */
export function idempotencyRequestHash(method: string, url: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${url}\n${canonicalJson(body ?? null)}`).digest('hex');
}

export default fp(async function idempotency(app: FastifyInstance, options: { leaseMs?: number }) {
  const leaseMs = options.leaseMs ?? IDEMPOTENCY_LEASE_MS;
  app.decorateRequest('idempotency', null);
  const db = () => app.deps.db;

  /** Frees a claimed key so the client's retry runs again. Best effort: if the database is down, the lease runs out instead. */
  async function release(request: FastifyRequest, why: string): Promise<void> {
    const slot = request.idempotency;
    if (!slot) return;
    request.idempotency = null;
    try {
      await db()
        .deleteFrom('idempotency_keys')
        .where('user_id', '=', slot.userId)
        .where('key', '=', slot.key)
        .where('status_code', 'is', null)
        .where('created_at', '=', slot.claimedAt)
        .execute();
    } catch (error) {
      request.log.warn({ err: error, idempotencyKey: slot.key, why }, 'could not release the Idempotency-Key; its lease will expire');
    }
  }

  app.addHook('preHandler', async (request, reply) => {
    const key = request.headers['idempotency-key'];
    if (request.method !== 'POST' || key === undefined || !request.user) return;
    if (typeof key !== 'string' || !KEY_SHAPE.test(key)) {
      throw new ProblemError(400, 'idempotency-key', 'Invalid Idempotency-Key', 'Idempotency-Key 须为 8 至 128 位字母、数字或 ._:- 字符。', { field: 'Idempotency-Key' });
    }
    const userId = request.user.id;
    const requestHash = idempotencyRequestHash(request.method, request.url, request.body);
    // Claim times are kept to the millisecond so the Date read back is exactly the stored value (fencing).
    const claimTime = sql<Date>`date_trunc('milliseconds', now())`;

    // Two rounds at most: the row we conflicted with may be released (deleted) before we read it.
    for (let round = 0; round < 2; round++) {
      const inserted = await db()
        .insertInto('idempotency_keys')
        .values({ user_id: userId, key, request_hash: requestHash, status_code: null, response: null, created_at: claimTime })
        .onConflict((oc) => oc.columns(['user_id', 'key']).doNothing())
        .returning('created_at')
        .executeTakeFirst();
      if (inserted) {
        request.idempotency = { userId, key, claimedAt: inserted.created_at };
        return;
      }
      // Take over a claim whose lease ran out. One UPDATE ... RETURNING: of two concurrent
      // retries only one sees the expired lease, the other finds it renewed and gets 409.
      const takenOver = await sql<{ created_at: Date }>`
        update idempotency_keys set created_at = ${claimTime}
        where user_id = ${userId} and key = ${key} and request_hash = ${requestHash} and status_code is null
          and created_at < now() - make_interval(secs => ${leaseMs / 1000})
        returning created_at`.execute(db());
      if (takenOver.rows[0]) {
        request.log.warn({ idempotencyKey: key }, 'Idempotency-Key lease expired: taking the key over');
        request.idempotency = { userId, key, claimedAt: takenOver.rows[0].created_at };
        return;
      }
      const previous = await db()
        .selectFrom('idempotency_keys')
        .select(['request_hash', 'status_code', 'response', 'created_at'])
        .where('user_id', '=', userId)
        .where('key', '=', key)
        .executeTakeFirst();
      if (!previous) continue; // released between our insert and our read: claim it again
      if (previous.request_hash !== requestHash) {
        throw new ProblemError(422, 'idempotency-key-reused', 'Idempotency-Key reused for a different request', '该 Idempotency-Key 已用于另一个不同的请求，请换用新的键。');
      }
      if (previous.status_code === null) {
        // Most requests finish within a second; a crashed one is taken over when its lease ends.
        const leaseLeftS = Math.ceil((previous.created_at.getTime() + leaseMs - Date.now()) / 1000);
        reply.header('retry-after', String(Math.max(1, Math.min(leaseLeftS, 2))));
        throw new ProblemError(409, 'idempotency-key-in-progress', 'A request with this Idempotency-Key is still running', '使用该 Idempotency-Key 的请求仍在处理中，请稍后重试。', {
          leaseExpiresAt: new Date(previous.created_at.getTime() + leaseMs).toISOString(),
        });
      }
      reply.header('idempotent-replayed', 'true');
      const isProblem = previous.status_code >= 400;
      let body = previous.response;
      if (isProblem && !isProblemBody(body)) {
        // A stored error without a problem body (an empty or non-JSON payload): still answer a problem.
        body = {
          type: problemType('replayed-error'),
          title: 'Replayed error response',
          status: previous.status_code,
          detail: `该 Idempotency-Key 的首次请求以错误结束（状态 ${previous.status_code}），此为重放结果。`,
        };
      }
      return reply
        .status(previous.status_code)
        .type(isProblem ? PROBLEM_CONTENT_TYPE : 'application/json; charset=utf-8')
        .send(JSON.stringify(body));
    }
    throw new ProblemError(409, 'idempotency-key-in-progress', 'A request with this Idempotency-Key is still running', '使用该 Idempotency-Key 的请求仍在处理中，请稍后重试。');
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const slot = request.idempotency;
    if (!slot) return payload;
    if (reply.statusCode >= 500) {
      // A failure we may recover from (an outage, a bug): free the key so the client's retry runs again.
      await release(request, `status ${reply.statusCode}`);
      return payload;
    }
    request.idempotency = null;
    let body: unknown;
    try {
      body = typeof payload === 'string' ? JSON.parse(payload) : null;
    } catch {
      body = null;
    }
    try {
      const stored = await db()
        .updateTable('idempotency_keys')
        .set({ status_code: reply.statusCode, response: JSON.stringify(body) })
        .where('user_id', '=', slot.userId)
        .where('key', '=', slot.key)
        .where('status_code', 'is', null)
        .where('created_at', '=', slot.claimedAt)
        .executeTakeFirst();
      if (Number(stored.numUpdatedRows) === 0) {
        request.log.warn({ idempotencyKey: slot.key }, 'Idempotency-Key was taken over while this request ran; its answer is not stored');
      }
    } catch (error) {
      // The action has been applied and this answer is true: send it. The key is freed (or its
      // lease runs out if the database is gone), so only a client that lost this answer retries.
      request.log.error({ err: error, idempotencyKey: slot.key }, 'could not store the Idempotency-Key response');
      request.idempotency = slot;
      await release(request, 'storing the response failed');
    }
    return payload;
  });

  // Whatever path a request took (an aborted client, an error inside another onSend hook), a key
  // still claimed when the response is over has not been answered: free it.
  app.addHook('onResponse', async (request) => {
    if (request.idempotency) await release(request, 'request ended without storing an answer');
  });
  // Keys are per authenticated user (auth runs first); refusals are answered by the errors plugin.
}, { name: 'idempotency', fastify: '5.x', dependencies: ['errors', 'auth'], decorators: { fastify: ['deps'] } });

function isProblemBody(body: unknown): boolean {
  const b = body as { type?: unknown; title?: unknown; status?: unknown; detail?: unknown } | null;
  return !!b && typeof b === 'object' && typeof b.type === 'string' && typeof b.title === 'string' && typeof b.status === 'number' && typeof b.detail === 'string';
}
