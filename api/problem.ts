/**
 * RFC 9457 problem details. Every error the API returns has a stable `type`, an English
 * `title` and a Chinese `detail` a person can act on.
 */
import { Type, type Static } from '@sinclair/typebox';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    rule: Type.Optional(Type.String()),
    field: Type.Optional(Type.String()),
    requestId: Type.Optional(Type.String()),
  },
  { $id: 'Problem', additionalProperties: true },
);
export type Problem = Static<typeof ProblemSchema>;

export function problemType(slug: string): string {
  return `urn:party-projects:problem:${slug}`;
}

/** An error that the root error handler renders as problem+json with its own status. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(title);
  }

  toProblem(instance?: string): Problem {
    return { type: problemType(this.slug), title: this.title, status: this.status, detail: this.detail, instance, ...this.extra };
  }
}

/** A reference to the shared Problem schema, for response maps. */
export const problemRef = { $ref: 'Problem#' } as const;

/** `{ [status]: Problem }` for the given error statuses, so every route declares its 4xx/5xx bodies the same way. */
export function problemResponses<C extends number>(...codes: C[]): Record<C, typeof problemRef> {
  return Object.fromEntries(codes.map((c) => [c, problemRef])) as Record<C, typeof problemRef>;
}

const STATUS_TITLES: Record<number, string> = {
  400: 'Invalid request (validation failed, malformed JSON, unstorable text, malformed Idempotency-Key)',
  401: 'Missing, malformed, unknown or expired bearer token',
  403: 'Not allowed for your role or org',
  404: 'Not found',
  409: 'Conflict (wrong stage, state limit, Idempotency-Key still in progress)',
  413: 'Request body too large',
  414: 'A path parameter is too long',
  415: 'Unsupported request content type',
  422: 'Idempotency-Key reused for a different request',
  429: 'Too many requests (rate limit, or too many failed authentications)',
  500: 'Internal server error',
  503: 'A dependency (PostgreSQL, Temporal) is unavailable; retry after Retry-After seconds',
};

/**
 * A problem response as OpenAPI should show it: media type `application/problem+json`, which is
 * what the error handler sends. Fastify compiles a serializer per media type of `content`, and the
 * error handler sets exactly this type, so the same declaration serializes the body.
 */
export function problemResponse(status: number): { description: string; content: Record<typeof PROBLEM_CONTENT_TYPE, { schema: typeof problemRef }> } {
  return { description: STATUS_TITLES[status] ?? 'Problem', content: { [PROBLEM_CONTENT_TYPE]: { schema: problemRef } } };
}

function isProblemSchema(schema: unknown): boolean {
  const s = schema as { $ref?: unknown; $id?: unknown; content?: Record<string, unknown> } | null;
  if (!s || typeof s !== 'object') return false;
  if (s.$ref === 'Problem#' || s.$ref === 'Problem' || s.$id === 'Problem') return true;
  // Already declared per media type: only the JSON-ish media types are rewritten.
  return !!s.content && Object.keys(s.content).length > 0 && Object.entries(s.content).every(([media, v]) => /json$/.test(media) && isProblemSchema((v as { schema?: unknown }).schema));
}

/**
 * Fills in the error statuses the shared plumbing can answer on a route, whatever the route's own
 * declaration says, and declares every problem body as `application/problem+json`. Run from an
 * onRoute hook (app.ts), so a route file only declares what its own handler decides (403, 404,
 * 409…), and the document cannot drift from what the hooks answer:
 * - every route: 400 (unstorable text in a query or path, a bad URL encoding, validation), 429
 *   (rate limit), 500, 503 (the health probe sheds requests while a dependency is down);
 * - behind authentication: 401 (and 429 for repeated failed authentications);
 * - with a path parameter: 414 (a parameter longer than the router's maxParamLength);
 * - with a body (POST): 413, 415 (content-type parser), 409 and 422 (Idempotency-Key in progress / reused).
 */
export function completeErrorResponses(route: { method: string | string[]; url: string; schema?: Record<string, unknown>; config?: unknown }): void {
  const schema = route.schema;
  if (!schema || schema.hide) return;
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const statuses = new Set([400, 429, 500, 503]);
  if ((route.config as { public?: boolean } | undefined)?.public !== true) statuses.add(401);
  if (route.url.includes(':')) statuses.add(414);
  if (methods.some((m) => m === 'POST' || m === 'PUT' || m === 'PATCH')) for (const s of [409, 413, 415, 422]) statuses.add(s);
  // A DELETE may carry a body too: Fastify's content-type parser refuses a type it does not know (415) or one too large (413).
  if (methods.includes('DELETE')) for (const s of [413, 415]) statuses.add(s);
  const response: Record<string, unknown> = { ...((schema.response as Record<string, unknown> | undefined) ?? {}) };
  // A route that declares its own body for a status (GET /health's 503 is the health report) keeps it.
  for (const s of statuses) if (!(String(s) in response)) response[s] = problemRef;
  for (const [status, declared] of Object.entries(response)) {
    if (Number(status) >= 400 && isProblemSchema(declared)) response[status] = problemResponse(Number(status));
  }
  schema.response = response;
}
