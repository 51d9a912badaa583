/** Root error and not-found handlers: problem+json everywhere, 5xx bodies masked. */
import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { PROBLEM_CONTENT_TYPE, ProblemError, problemType } from '../problem';

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
});

function fastifyDetailZh(code: string | undefined, status: number): string {
  switch (code) {
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
