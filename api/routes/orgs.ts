/**
 * The org tree as managed data (组织体系管理): committee staff create, rename, move and close orgs
 * and set their secretaries; committee staff and auditors read everything, a secretary their own
 * org's subtree. A new secretary takes over the old one's open projects (换届/调动) through the
 * workflows. The rules live in services/directory.ts.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { OrgRecord } from '../../db/directory';
import * as directory from '../../services/directory';
import { MAX_TREE_DEPTH, treeDepth } from '../../services/directory-rules';
import { currentUser } from '../plugins/auth';
import { problemResponses } from '../problem';

const closed = { additionalProperties: false } as const;
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const DateTime = Type.String({ format: 'date-time' });

export const DirectoryId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$', description: '字母或数字开头，最多 80 个字母、数字或 ._:- 字符' });
/** Path ids are not pattern-checked: an id that cannot exist is simply not found. */
export const PathId = Type.Object({ id: Type.String({ maxLength: 80 }) }, closed);
export const Paging = {
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
};

const OrgKind = Type.Union([Type.Literal('committee'), Type.Literal('unit'), Type.Literal('organ_committee'), Type.Literal('branch')], {
  description: '工委 / 单位党组（党委） / 机关党委 / 党支部',
});

const Org = Type.Object({
  id: Type.String(),
  parentId: Nullable(Type.String()),
  kind: OrgKind,
  name: Type.String(),
  secretaryId: Nullable(Type.String()),
  secretaryName: Nullable(Type.String()),
  closed: Type.Boolean({ description: '已撤销' }),
  closedAt: Nullable(DateTime),
  createdAt: DateTime,
  updatedAt: DateTime,
});

/**
 * A tree node with its children, `levels` deep. The kinds nest four deep (工委 → 单位 → 机关党委 →
 * 党支部), so a subtree has at most four levels; the schema is written out level by level rather
 * than as a recursive $ref, which the OpenAPI document and the serializer both take as it is.
 */
function treeNode(levels: number): TSchema {
  const fields = {
    id: Type.String(),
    kind: OrgKind,
    name: Type.String(),
    secretaryId: Nullable(Type.String()),
    secretaryName: Nullable(Type.String()),
    closedAt: Nullable(DateTime),
  };
  return Type.Object({ ...fields, children: levels > 1 ? Type.Array(treeNode(levels - 1)) : Type.Array(Type.Object(fields), { maxItems: 0 }) });
}

const Handover = Type.Object(
  {
    fromUserId: Type.String(),
    toUserId: Type.String(),
    projects: Type.Array(Type.String(), { description: '已移交给新书记的项目和子项目' }),
    failed: Type.Array(Type.Object({ projectId: Type.String(), detail: Type.String() }), { description: '未能移交的项目及原因（可用 POST /orgs/{id}/handover 重试）' }),
    error: Nullable(Type.String({ description: '交接整体未能进行时的原因（书记变更仍然有效）' })),
  },
  { description: '换届/调动：原书记领办的未结项目移交新书记' },
);

/** The body of an action on an org or a user: an optional reason, kept in the security log. */
export const ReasonBody = Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: '原因（记入安全日志）' })) }, closed);

export function orgView(o: OrgRecord) {
  return {
    id: o.id,
    parentId: o.parentId,
    kind: o.kind,
    name: o.name,
    secretaryId: o.secretaryId,
    secretaryName: o.secretaryName,
    closed: o.closedAt !== null,
    closedAt: o.closedAt?.toISOString() ?? null,
    createdAt: o.createdAt.toISOString(),
    updatedAt: o.updatedAt.toISOString(),
  };
}

export function actorOf(request: FastifyRequest): directory.Actor {
  const userAgent = request.headers['user-agent'];
  return { user: currentUser(request), ip: request.ip ?? null, userAgent: typeof userAgent === 'string' ? userAgent : null };
}

const orgRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const deps = () => app.deps;

  app.get(
    '/orgs',
    {
      schema: {
        tags: ['orgs'],
        summary: 'List orgs (组织列表): committee staff and auditors see all, a secretary their own subtree',
        querystring: Type.Object(
          {
            parent: Type.Optional(Type.String({ maxLength: 80, description: '只列出该组织的直接下级' })),
            kind: Type.Optional(OrgKind),
            includeClosed: Type.Boolean({ default: false, description: '包括已撤销的组织' }),
            q: Type.Optional(Type.String({ maxLength: 100, description: '名称或编号包含' })),
            ...Paging,
          },
          closed,
        ),
        response: { 200: Type.Object({ total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer(), items: Type.Array(Org) }), ...problemResponses(403) },
      },
    },
    async (request) => {
      const page = await directory.listOrgs(deps(), actorOf(request), request.query);
      return { total: page.total, limit: request.query.limit, offset: request.query.offset, items: page.items.map(orgView) };
    },
  );

  app.get(
    '/orgs/:id',
    {
      schema: { tags: ['orgs'], summary: 'One org', params: PathId, response: { 200: Org, ...problemResponses(403, 404) } },
    },
    async (request) => orgView(await directory.getOrg(deps(), actorOf(request), request.params.id)),
  );

  app.get(
    '/orgs/:id/tree',
    {
      schema: {
        tags: ['orgs'],
        summary: 'The org and everything below it, nested, with the secretaries’ names (组织树)',
        params: PathId,
        querystring: Type.Object({ includeClosed: Type.Boolean({ default: false, description: '包括已撤销的下级组织' }) }, closed),
        response: { 200: treeNode(MAX_TREE_DEPTH), ...problemResponses(403, 404) },
      },
    },
    async (request) => {
      const tree = await directory.orgTree(deps(), actorOf(request), request.params.id, request.query.includeClosed);
      // The nesting rules keep every tree within MAX_TREE_DEPTH levels; the schema would drop anything deeper.
      if (treeDepth(tree) > MAX_TREE_DEPTH) throw new Error(`org tree below ${request.params.id} is deeper than ${MAX_TREE_DEPTH} levels`);
      return tree;
    },
  );

  app.post(
    '/orgs',
    {
      schema: {
        tags: ['orgs'],
        summary: 'Create an org (committee staff); with secretaryId, that user moves into the new org as its secretary',
        body: Type.Object(
          {
            id: DirectoryId,
            parentId: Type.Optional(Nullable(Type.String({ maxLength: 80, description: '上级组织；工委组织没有上级' }))),
            kind: OrgKind,
            name: Type.String({ minLength: 1, maxLength: 100 }),
            secretaryId: Type.Optional(Type.String({ maxLength: 80, description: '书记：一名在用、且不是其他组织书记的用户，创建时调入本组织' })),
          },
          closed,
        ),
        response: { 201: Org, ...problemResponses(403, 409) },
      },
    },
    async (request, reply) => {
      const org = await directory.createOrg(deps(), actorOf(request), request.body);
      return reply.status(201).send(orgView(org));
    },
  );

  app.patch(
    '/orgs/:id',
    {
      schema: {
        tags: ['orgs'],
        summary: 'Rename an org, move it (parentId), or change its secretary (committee staff); a new secretary takes over the old one’s open projects',
        params: PathId,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            parentId: Type.Optional(Nullable(Type.String({ maxLength: 80 }))),
            secretaryId: Type.Optional(Type.String({ maxLength: 80, description: '新书记：本组织的在用用户' })),
          },
          closed,
        ),
        response: { 200: Type.Object({ org: Org, handover: Nullable(Handover) }), ...problemResponses(403, 404, 409) },
      },
    },
    async (request) => {
      const { org, handover } = await directory.changeOrg(deps(), actorOf(request), request.params.id, request.body);
      return { org: orgView(org), handover };
    },
  );

  app.post(
    '/orgs/:id/handover',
    {
      schema: {
        tags: ['orgs'],
        summary: 'Run a secretary handover again (committee staff): the open projects still held by a former secretary pass to the current one; nothing is repeated',
        params: PathId,
        body: Type.Object({ fromUserId: Type.String({ maxLength: 80, description: '原书记' }) }, closed),
        response: { 200: Type.Object({ org: Org, handover: Handover }), ...problemResponses(403, 404, 409) },
      },
    },
    async (request) => {
      const { org, handover } = await directory.retryHandover(deps(), actorOf(request), request.params.id, request.body.fromUserId);
      return { org: orgView(org), handover };
    },
  );

  app.post(
    '/orgs/:id/close',
    {
      schema: {
        tags: ['orgs'],
        summary: 'Close an org (撤销; committee staff): refused while it has open child orgs or users other than its secretary',
        params: PathId,
        body: ReasonBody,
        response: { 200: Org, ...problemResponses(403, 404, 409) },
      },
    },
    async (request) => orgView(await directory.closeOrg(deps(), actorOf(request), request.params.id, request.body.reason)),
  );
};

export default orgRoutes;
