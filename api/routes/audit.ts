/**
 * Audit and replay (审计回放, DESIGN §5) for auditors and the work committee: a project's timeline,
 * its state as of any event or date, its raw Temporal histories, its verification, its archive,
 * and cycle-wide verification. Read-only: nothing here changes a project.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AuditError,
  exportProject,
  logFreshness,
  parseMoment,
  projectHistories,
  projectStateAt,
  projectTimeline,
  projectWorkflows,
  verifyCycle,
  verifyProject,
  type AuditDeps,
  type WorkflowCode,
} from '../../audit';
import { getCycleConfig } from '../../db/cycles';
import { IdCollector, idLikeStrings, resolveNames } from '../../services/names';
import { currentUser } from '../plugins/auth';
import { ProblemError, problemResponses } from '../problem';
import * as S from '../schemas';

export interface AuditRoutesOptions {
  /** A prebuilt workflow bundle to replay histories against; without it workflows/ is bundled once, on first use. */
  workflowBundlePath?: string;
}

const errors = problemResponses(400, 401, 403, 404, 409, 429, 503);

const Location = Type.Object(
  {
    projectId: Type.Optional(Type.String()),
    seq: Type.Optional(Type.Integer()),
    kind: Type.Optional(Type.Union([Type.Literal('edited'), Type.Literal('missing'), Type.Literal('inserted'), Type.Literal('reordered')])),
    workflowId: Type.Optional(Type.String()),
    runId: Type.Optional(Type.String()),
    sha256: Type.Optional(Type.String()),
    file: Type.Optional(Type.String()),
    field: Type.Optional(Type.String()),
  },
  { description: 'Where the check failed: a project and event number, a workflow run, or an evidence file' },
);
const CheckResult = Type.Object({
  check: Type.String({ description: 'temporal-replay | hash-chain | evidence-files | projection | event-log' }),
  ok: Type.Boolean(),
  detail: Type.String(),
  location: Type.Optional(Location),
  failures: Type.Optional(Type.Array(Type.Object({ message: Type.String(), location: Location }))),
  skipped: Type.Optional(Type.Boolean()),
});
const VerificationReport = Type.Object({
  projectId: Type.String(),
  ok: Type.Boolean(),
  checkedAt: Type.String(),
  durationMs: Type.Integer(),
  projects: Type.Array(Type.String(), { description: 'the project and every sub-project covered' }),
  checks: Type.Array(CheckResult),
});
const AuditProject = Type.Object({
  projectId: Type.String(),
  parentId: Type.Union([Type.String(), Type.Null()]),
  cycleId: Type.String(),
  workflowId: Type.String(),
  depth: Type.Integer(),
});
const TimelineEntry = Type.Object({
  projectId: Type.String(),
  parentId: Type.Union([Type.String(), Type.Null()]),
  depth: Type.Integer(),
  seq: Type.Integer(),
  type: Type.String(),
  label: Type.String(),
  actor: Type.Object({ userId: Type.String(), role: Type.String(), roleLabel: Type.String(), orgId: Type.String(), system: Type.Boolean() }),
  at: Type.String(),
  recordedAt: Type.String(),
  workflowId: Type.String(),
  runId: Type.String(),
  hash: Type.String(),
  summary: Type.String(),
  changes: Type.Array(Type.Object({ path: Type.String(), change: Type.String(), from: Type.Unknown(), to: Type.Unknown(), text: Type.String() })),
  evidence: Type.Array(Type.Object({ name: Type.String(), sha256: Type.String(), size: Type.Number(), href: Type.String() })),
  replayError: Type.Union([Type.String(), Type.Null()]),
});
const LogFreshness = Type.Object(
  {
    workflowSeq: Type.Union([Type.Integer(), Type.Null()], { description: 'events the workflow has applied (null when it cannot be asked)' }),
    loggedSeq: Type.Integer({ description: 'events in the event log' }),
    behind: Type.Integer({ description: 'events applied by the workflow but not yet in the log' }),
    persistenceLagging: Type.Boolean({ description: 'true when the project’s persistence keeps failing (see GET /persistence/lagging)' }),
  },
  { description: 'Whether the answer includes everything the workflow has done: it waits up to 3 s for the log to catch up' },
);
const Timeline = Type.Object({
  log: Type.Optional(LogFreshness),
  projectId: Type.String(),
  projects: Type.Array(AuditProject),
  entries: Type.Array(TimelineEntry),
  replayFailures: Type.Array(Type.Object({ projectId: Type.String(), seq: Type.Integer(), message: Type.String() })),
  names: S.Names,
});
const ProjectSnapshot = {
  projectId: Type.String(),
  seq: Type.Integer({ description: 'the last event applied (0 before the project existed)' }),
  at: Type.Union([Type.String(), Type.Null()]),
  state: Type.Unknown({ description: 'the full lifecycle state, or null before the project existed' }),
};
const StateSnapshot = Type.Object({
  ...ProjectSnapshot,
  log: Type.Optional(LogFreshness),
  moment: Type.Object({ seq: Type.Optional(Type.Integer()), at: Type.Optional(Type.String()) }),
  subProjects: Type.Array(Type.Object({ ...ProjectSnapshot, parentId: Type.Union([Type.String(), Type.Null()]) })),
});
const Histories = Type.Object({
  projectId: Type.String(),
  workflows: Type.Array(
    Type.Object({
      projectId: Type.String(),
      workflowId: Type.String(),
      runs: Type.Array(Type.Object({ runId: Type.String(), history: Type.Unknown({ description: 'the JSON of `temporal workflow show --output json`' }) })),
    }),
  ),
});
const Archive = Type.Object(
  { format: Type.String(), formatVersion: Type.Integer(), exportedAt: Type.String(), projectId: Type.String(), archiveSha256: Type.String() },
  { additionalProperties: true, description: 'One JSON file: timeline, snapshots, histories, event log, evidence manifest, verification' },
);
const CycleVerification = Type.Object({
  cycleId: Type.String(),
  total: Type.Integer(),
  verified: Type.Integer(),
  passed: Type.Integer(),
  failed: Type.Integer(),
  projectsCovered: Type.Integer(),
  offset: Type.Integer(),
  durationMs: Type.Integer(),
  failures: Type.Array(
    Type.Object({
      projectId: Type.String(),
      checks: Type.Array(Type.Object({ check: Type.String(), detail: Type.String(), location: Type.Optional(Location) })),
      error: Type.Optional(Type.String()),
    }),
  ),
  failedChecks: Type.Record(Type.String(), Type.Integer()),
});

/** Auditors and committee staff only; everyone else gets 403. */
function requireAuditor(request: Parameters<typeof currentUser>[0]): void {
  const user = currentUser(request);
  if (user.role !== 'auditor' && user.role !== 'committee') {
    throw new ProblemError(403, 'forbidden', 'Only auditors and committee staff may audit', '只有审计人员和工委工作人员可以查看审计回放与核验。', { rule: 'actor.not_auditor' });
  }
}

function asProblem(error: unknown): unknown {
  if (!(error instanceof AuditError)) return error;
  const slug = error.status === 404 ? 'not-found' : error.status === 409 ? 'conflict' : 'invalid';
  const title = error.status === 404 ? 'Not found' : error.status === 409 ? 'Cannot replay' : 'Invalid request';
  return new ProblemError(error.status, slug, title, error.messageZh, { message: error.message });
}

async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw asProblem(error);
  }
}

const auditRoutes: FastifyPluginAsyncTypebox<AuditRoutesOptions> = async (app, options) => {
  const workflows: WorkflowCode = options.workflowBundlePath ? { workflowBundlePath: options.workflowBundlePath } : projectWorkflows();
  const deps = (): AuditDeps => ({ db: app.deps.db, temporal: app.deps.temporal, store: app.deps.store, workflows });
  const tags = ['audit'];

  app.get(
    '/audit/projects/:id/timeline',
    {
      schema: {
        tags,
        summary: 'Every event of the project and its sub-projects in order: actor, role, org, time, changes, evidence links (时间线)',
        params: S.IdParam,
        response: { 200: Timeline, ...errors },
      },
    },
    async (request) => {
      requireAuditor(request);
      const log = await logFreshness(app.deps, request.params.id);
      return guarded(async () => {
        const timeline = await projectTimeline(deps(), request.params.id);
        // Who acted, by name: a person's name, a timer's label (系统（定时器）), an unknown id as itself.
        const ids = new IdCollector();
        const maybe = new Set<string>();
        for (const e of timeline.entries) {
          ids.actor(e.actor);
          // What the changes show (a reviewer transferred to, a sub-project's secretary) is named too.
          for (const c of e.changes) {
            idLikeStrings(c.from, maybe);
            idLikeStrings(c.to, maybe);
          }
        }
        return { ...timeline, names: await resolveNames(app.deps.db, ids, maybe), ...(log ? { log } : {}) };
      });
    },
  );

  app.get(
    '/audit/projects/:id/state',
    {
      schema: {
        tags,
        summary: 'The project’s full state as of an event number or a date, replayed from the event log (任意时点状态)',
        params: S.IdParam,
        querystring: Type.Object(
          { at: Type.Optional(Type.String({ maxLength: 40, description: 'an event number (1, 2, ...), an ISO date (end of that day, Beijing time) or date-time; default: now' })) },
          { additionalProperties: false },
        ),
        response: { 200: StateSnapshot, ...errors },
      },
    },
    async (request) => {
      requireAuditor(request);
      return guarded(async () => {
        const moment = request.query.at === undefined ? { at: new Date().toISOString() } : parseMoment(request.query.at);
        const log = await logFreshness(app.deps, request.params.id);
        return { ...(await projectStateAt(deps(), request.params.id, moment)), ...(log ? { log } : {}) };
      });
    },
  );

  app.get(
    '/audit/projects/:id/history',
    {
      schema: {
        tags,
        summary: 'The raw Temporal histories of the project and its sub-projects (every run), as `temporal workflow show --output json` prints them',
        params: S.IdParam,
        response: { 200: Histories, ...errors },
      },
    },
    async (request) => {
      requireAuditor(request);
      return guarded(() => projectHistories(deps(), request.params.id));
    },
  );

  app.get(
    '/audit/projects/:id/verify',
    {
      schema: {
        tags,
        summary: 'Verify the project and its sub-projects: Temporal replay, hash chain, evidence files, projection, event log — each reported separately',
        params: S.IdParam,
        response: { 200: VerificationReport, ...errors },
      },
    },
    async (request) => {
      requireAuditor(request);
      return guarded(() => verifyProject(deps(), request.params.id));
    },
  );

  app.get(
    '/audit/projects/:id/export',
    {
      schema: {
        tags,
        summary: 'The project’s audit archive (one JSON file) that `npm run audit -- verify --archive <file>` re-verifies offline',
        params: S.IdParam,
        response: { 200: Archive, ...errors },
      },
    },
    async (request, reply) => {
      requireAuditor(request);
      const archive = await guarded(() => exportProject(deps(), request.params.id));
      return reply.header('content-disposition', `attachment; filename="audit-${request.params.id.replace(/[^A-Za-z0-9._-]/g, '_')}.json"`).send(archive);
    },
  );

  app.post(
    '/audit/cycles/:id/verify',
    {
      schema: {
        tags,
        summary: 'Verify every project of a cycle (or a page of them, ordered by id) and summarise the failures',
        params: S.IdParam,
        body: Type.Optional(
          Type.Object(
            {
              offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
              concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 })),
            },
            { additionalProperties: false },
          ),
        ),
        response: { 200: CycleVerification, ...errors },
      },
    },
    async (request) => {
      requireAuditor(request);
      const cycleId = request.params.id;
      return guarded(async () => {
        const summary = await verifyCycle(deps(), cycleId, { offset: request.body?.offset, limit: request.body?.limit, concurrency: request.body?.concurrency });
        if (summary.total === 0 && !(await getCycleConfig(app.deps.db, cycleId))) {
          throw new ProblemError(404, 'not-found', 'Cycle not found', `找不到年度周期 ${cycleId}。`);
        }
        return summary;
      });
    },
  );
};

export default auditRoutes;
