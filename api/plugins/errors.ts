/** Root error and not-found handlers: problem+json everywhere, 5xx bodies masked. */
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { PROBLEM_CONTENT_TYPE, ProblemError, problemType } from '../problem';

/** Seconds a client is asked to wait before retrying while a dependency is down. */
export const OUTAGE_RETRY_AFTER_S = 5;

type Dependency = 'temporal' | 'postgres';

const DEPENDENCY_ZH: Record<Dependency, string> = { temporal: '工作流引擎', postgres: '数据库' };

// gRPC status codes (from @grpc/grpc-js) that mean "the server could not be reached or did not
// answer in time", as opposed to an answer (NOT_FOUND, INVALID_ARGUMENT, ALREADY_EXISTS...).
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;

// Socket-level failures reaching PostgreSQL (pg surfaces Node's errno codes as they are).
const PG_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN']);
// SQLSTATEs of a server that is going away or not taking connections: class 08 (connection
// exception), 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 53300 too_many_connections.
const PG_OUTAGE_SQLSTATES = new Set(['08000', '08001', '08003', '08004', '08006', '57P01', '57P02', '57P03', '53300']);
const PG_OUTAGE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down|in recovery mode)/i;

/**
 * Which dependency an error says is down, or null when it is anything else (a refusal, a bug).
 * Walks the cause chain: the Temporal client wraps gRPC errors in ServiceError /
 * WorkflowUpdateRPCTimeoutOrCancelledError, and our own code may wrap either.
 */
export function outageOf(error: unknown): Dependency | null {
  const seen = new Set<unknown>();
  for (let e = error as Record<string, unknown> | undefined; e && typeof e === 'object' && !seen.has(e); e = e.cause as Record<string, unknown> | undefined) {
    seen.add(e);
    const name = typeof e.name === 'string' ? e.name : '';
    const message = typeof e.message === 'string' ? e.message : '';
    // A gRPC error: numeric code, string details, metadata (what @temporalio/client's isGrpcServiceError checks).
    if (typeof e.code === 'number' && typeof e.details === 'string' && e.metadata && typeof e.metadata === 'object') {
      if (e.code === GRPC_UNAVAILABLE || e.code === GRPC_DEADLINE_EXCEEDED) return 'temporal';
      return null; // the server answered: not an outage
    }
    // The Temporal client's own words for "no answer in time" / "could not connect".
    if (name === 'WorkflowUpdateRPCTimeoutOrCancelledError') return 'temporal';
    if (name === 'ServiceError' && /Failed to connect/i.test(message)) return 'temporal';
    if (/Failed to connect before the deadline/i.test(message)) return 'temporal';
    if (typeof e.code === 'string') {
      if (PG_SOCKET_CODES.has(e.code) || PG_OUTAGE_SQLSTATES.has(e.code)) return 'postgres';
    }
    if (PG_OUTAGE_MESSAGES.test(message)) return 'postgres';
    // AggregateError (e.g. ECONNREFUSED on both ::1 and 127.0.0.1).
    if (Array.isArray(e.errors)) {
      for (const inner of e.errors) {
        const found = outageOf(inner);
        if (found) return found;
      }
    }
  }
  return null;
}

export default fp(async function errors(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError | ProblemError, request, reply) => {
    const instance = request.url;
    if (error instanceof ProblemError) {
      return reply.status(error.status).type(PROBLEM_CONTENT_TYPE).send({ ...error.toProblem(instance), requestId: request.id });
    }
    const shaped = error as unknown as { type?: unknown; title?: unknown; status?: unknown; detail?: unknown };
    if (typeof shaped.type === 'string' && typeof shaped.title === 'string' && typeof shaped.status === 'number' && typeof shaped.detail === 'string') {
      // Already a problem (e.g. the rate limiter's response).
      const { type, title, status, detail } = shaped;
      return reply.status(status).type(PROBLEM_CONTENT_TYPE).send({ type, title, status, detail, instance, requestId: request.id });
    }
    if (error.validation) {
      const first = error.validation[0];
      const field =
        (first?.instancePath ? first.instancePath.slice(1).replace(/\//g, '.') : '') ||
        (first?.params as { missingProperty?: string } | undefined)?.missingProperty ||
        error.validationContext ||
        'request';
      return reply
        .status(400)
        .type(PROBLEM_CONTENT_TYPE)
        .send({
          type: problemType('validation'),
          title: 'Request validation failed',
          status: 400,
          detail: `请求参数不合法：${error.validationContext ?? 'request'} 中的字段“${field}”${first?.message ? `（${first.message}）` : ''}。`,
          field,
          instance,
          requestId: request.id,
        });
    }
    const down = outageOf(error);
    if (down) {
      // Fail fast and say so: the client can retry after the outage instead of reading a 500.
      request.log.warn({ err: error, dependency: down, method: request.method, url: request.url }, 'dependency unavailable');
      return reply
        .status(503)
        .header('retry-after', String(OUTAGE_RETRY_AFTER_S))
        .type(PROBLEM_CONTENT_TYPE)
        .send({
          type: problemType('dependency-unavailable'),
          title: 'Service temporarily unavailable',
          status: 503,
          detail: `${DEPENDENCY_ZH[down]}暂时无法访问，请在 ${OUTAGE_RETRY_AFTER_S} 秒后重试。`,
          dependency: down,
          instance,
          requestId: request.id,
        });
    }
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error, method: request.method, url: request.url, params: request.params, query: request.query }, 'request failed');
      return reply.status(status).type(PROBLEM_CONTENT_TYPE).send({
        type: problemType('internal'),
        title: 'Internal server error',
        status,
        detail: '服务器内部错误，请稍后重试；如问题持续，请联系管理员并提供请求编号。',
        instance,
        requestId: request.id,
      });
    }
    // Fastify's own 4xx (malformed JSON, body too large, unsupported media type, ...).
    return reply
      .status(status)
      .type(PROBLEM_CONTENT_TYPE)
      .send({
        type: problemType(error.code ? error.code.toLowerCase() : 'bad-request'),
        title: error.message,
        status,
        detail: fastifyDetailZh(error.code, status),
        instance,
        requestId: request.id,
      });
  });

  app.setNotFoundHandler((request, reply) => {
    return reply.status(404).type(PROBLEM_CONTENT_TYPE).send({
      type: problemType('not-found'),
      title: 'Not found',
      status: 404,
      detail: `找不到资源 ${request.method} ${request.url}。`,
      instance: request.url,
      requestId: request.id,
    });
  });
}, { name: 'errors', fastify: '5.x' });

/** The problem for an error the router raises before any route runs (Fastify's frameworkErrors). */
export function frameworkProblem(error: FastifyError, request: FastifyRequest) {
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  return {
    type: problemType(error.code ? error.code.toLowerCase() : 'bad-request'),
    title: status === 414 ? 'A path parameter is too long' : 'Malformed request URL',
    status,
    detail: fastifyDetailZh(error.code, status),
    instance: request.url,
    requestId: request.id,
  };
}

function fastifyDetailZh(code: string | undefined, status: number): string {
  switch (code) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return '请求路径中的参数过长（每个参数最多 100 个字符），请检查编号后重试。';
    case 'FST_ERR_BAD_URL':
      return '请求路径不是合法的 URL 编码，请检查后重试。';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return '请求体不是合法的 JSON。';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return '请求体过大。';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return '不支持的请求内容类型。';
    default:
      return status === 429 ? '请求过于频繁，请稍后再试。' : '请求无法处理，请检查后重试。';
  }
}
