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
