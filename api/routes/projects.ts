/** Projects: propose, list, read, and every lifecycle action of secretaries, reviewers, inspectors and the committee. */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sql } from 'kysely';
import { orgSubtree, orgSubtreeIds } from '../../db/auth';
import { getCycleConfig } from '../../db/cycles';
import { isLedgerOverdue } from '../../reports/common';
import { STAGE_LABELS, validate, type CreateEvent, type LedgerStatus, type ProjectState } from '../../workflows/lifecycle';
import type { PersonEventType, ProjectView } from '../../workflows/messages';
import { projectWorkflowId } from '../../workflows/messages';
import { projectWorkflow } from '../../workflows/project';
import { projectSearchAttributes } from '../../workflows/search-attributes';
import { currentUser } from '../plugins/auth';
import { ProblemError, problemResponses } from '../problem';
import { act, actorOf, claimCheckText, inActionScope, newId, readProject, refusalProblem, viewAfter } from '../projects-service';
import * as S from '../schemas';

const errors = problemResponses(400, 401, 403, 404, 409, 422, 429, 503);

export function projectResponse(view: ProjectView) {
  const s: ProjectState = view.state;
  return {
    id: s.id,
    cycleId: s.cycleId,
    parentId: s.parentId,
    orgId: s.orgId,
    leadSecretaryId: s.leadSecretaryId,
    stage: s.stage,
    stageLabel: STAGE_LABELS[s.stage],
    progress: s.progress,
    version: s.version,
    proposal: s.proposal,
    review: s.review,
    letter: s.letter,
    children: s.children,
    memberItems: s.memberItems,
    evidence: s.evidence,
    inspections: s.inspections,
    ledger: s.ledger,
    dispatch: s.dispatch,
    selfAssessment: s.selfAssessment,
    acceptance: s.acceptance,
  };
}

/**
 * Sub-projects go to orgs below the project's own org, each led by that org's secretary
 * (DESIGN §4 "1+N"); the machine knows no org tree, so the API checks it against PostgreSQL.
 */
async function checkChildAssignments(app: Parameters<FastifyPluginAsyncTypebox>[0], projectOrgId: string, children: { orgId: string; secretaryId: string }[]): Promise<void> {
  if (children.length === 0) return;
  const below = new Set((await orgSubtree(app.deps.db, projectOrgId)).filter((id) => id !== projectOrgId));
  const orgs = await app.deps.db.selectFrom('orgs').select(['id', 'secretary_id']).where('id', 'in', children.map((c) => c.orgId)).execute();
  for (const [index, child] of children.entries()) {
    if (!below.has(child.orgId)) {
      throw new ProblemError(403, 'forbidden', 'Sub-projects go to lower-level orgs', `子项目只能分解给本组织的下级组织，${child.orgId} 不是下级组织。`, { rule: 'actor.child_org_not_below', field: `children.${index}.orgId` });
    }
    if (orgs.find((o) => o.id === child.orgId)?.secretary_id !== child.secretaryId) {
      throw new ProblemError(400, 'invalid', 'The sub-project must be led by that org’s secretary', `子项目须由 ${child.orgId} 的党组织书记负责，${child.secretaryId} 不是该组织书记。`, { rule: 'payload.child_secretary_mismatch', field: `children.${index}.secretaryId` });
    }
  }
}

/**
 * Evidence may cite only files the caller uploaded, or files the same project already cites:
 * citing someone else's hash must not become a way to read their file.
 */
async function checkCitedFiles(app: Parameters<FastifyPluginAsyncTypebox>[0], userId: string, state: ProjectState, files: { sha256: string }[] | undefined): Promise<void> {
  const wanted = [...new Set((files ?? []).map((f) => f.sha256))];
  if (wanted.length === 0) return;
  const known = new Set(state.evidence.flatMap((e) => e.files.map((f) => f.sha256)).concat(state.ledger.flatMap((l) => l.reports.flatMap((r) => r.files.map((f) => f.sha256)))));
  const uploaded = new Set(
    (await app.deps.db.selectFrom('evidence_files').select('sha256').where('uploaded_by', '=', userId).where('sha256', 'in', wanted).execute()).map((r) => r.sha256),
  );
  const stranger = wanted.find((sha) => !uploaded.has(sha) && !known.has(sha));
  if (stranger) {
    throw new ProblemError(400, 'invalid', 'Cited file not uploaded by you', `引用的文件 ${stranger.slice(0, 16)}… 不是您上传的文件，请先通过 /evidence-files 上传。`, { rule: 'payload.file_not_uploaded', field: 'files' });
  }
}

const shortId = newId;

const projectRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // ---- Propose (立项申报) ------------------------------------------------------------------
  app.post(
    '/projects',
    {
      schema: {
        tags: ['projects'],
        summary: 'Propose a project (立项申报) as the secretary of your org',
        body: S.ProposeBody,
        response: { 201: S.ProjectResponse, ...errors },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const { cycleId, ...proposal } = request.body;
      const cycle = await getCycleConfig(app.deps.db, cycleId);
      if (!cycle) throw new ProblemError(404, 'not-found', 'Cycle not found', `找不到年度周期 ${cycleId}。`, { field: 'cycleId' });
      // A cycle's orgs are its committee org and everything below it (openCycle stores the tree in
      // `orgs`, rooted at the cycle's committee org). A secretary of another tree proposing here
      // would be reviewed, inspected and counted by a committee that has no authority over them.
      const inCycle = await app.deps.db
        .selectFrom('orgs')
        .select('id')
        .where('id', '=', user.orgId)
        .where('id', 'in', orgSubtreeIds(cycle.committee.orgId))
        .executeTakeFirst();
      if (!inCycle) {
        throw new ProblemError(403, 'forbidden', 'Your org does not take part in this cycle', `您所在的组织 ${user.orgId} 不属于年度周期 ${cycleId} 的组织体系（${cycle.committee.orgId} 及其下级组织），不能在该周期申报项目。`, {
          rule: 'actor.org_not_in_cycle',
          field: 'cycleId',
        });
      }
      const org = await app.deps.db.selectFrom('orgs').select(['id', 'kind', 'parent_id']).where('id', '=', user.orgId).executeTakeFirst();
      // Who reviews (DESIGN §2): the committee reviews units and organ committees; an organ committee reviews its branches.
      let reviewer = cycle.committee;
      if (org?.kind === 'branch' && org.parent_id) {
        const parent = await app.deps.db.selectFrom('orgs').select(['id', 'secretary_id']).where('id', '=', org.parent_id).executeTakeFirst();
        if (parent?.secretary_id) reviewer = { orgId: parent.id, userId: parent.secretary_id };
      }
      // With an Idempotency-Key the project id derives from it, so a retried proposal finds the
      // workflow its first attempt started instead of proposing the project twice.
      const projectId = await inActionScope(user.id, request.headers['idempotency-key'], 'POST /projects', async () => shortId('P'));
      const create: CreateEvent = {
        type: 'create',
        actor: actorOf(user),
        at: new Date().toISOString(),
        projectId,
        cycleId,
        parentId: null,
        orgId: user.orgId,
        leadSecretaryId: user.id,
        reviewer,
        proposal: { ...proposal },
      };
      const refusal = validate(null, create, cycle);
      if (refusal) throw refusalProblem(refusal);
      const workflowId = projectWorkflowId(cycleId, projectId);
      // The registry row is marked started only once the workflow really started: a failed start leaves
      // no project that is listed but does not exist.
      await app.deps.db
        .insertInto('cycle_projects')
        .values({
          cycle_id: cycleId,
          project_id: projectId,
          position: sql<number>`(select coalesce(max(position), -1) + 1 from cycle_projects where cycle_id = ${cycleId})` as never,
          create_event: JSON.stringify(create),
          planned_children: '[]',
          workflow_id: workflowId,
          started_at: null,
        })
        .onConflict((oc) => oc.columns(['cycle_id', 'project_id']).doNothing())
        .execute();
      try {
        await app.deps.temporal.workflow.start(projectWorkflow, {
          workflowId,
          taskQueue: app.deps.taskQueue,
          args: [{ cycle, create }],
          typedSearchAttributes: projectSearchAttributes(cycleId, user.orgId, 'draft', proposal.type),
        });
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
      await app.deps.db.updateTable('cycle_projects').set({ started_at: new Date() }).where('cycle_id', '=', cycleId).where('project_id', '=', projectId).where('started_at', 'is', null).execute();
      const { view } = await readProject(app, user, projectId);
      return reply.status(201).send(projectResponse(view));
    },
  );

  // ---- List and read ----------------------------------------------------------------------
  app.get(
    '/projects',
    {
      schema: {
        tags: ['projects'],
        summary: 'List the projects you may see, filtered and paginated',
        querystring: Type.Object(
          {
            cycle: Type.Optional(Type.String({ maxLength: 80 })),
            org: Type.Optional(Type.String({ maxLength: 80, description: 'an org and its whole subtree' })),
            stage: Type.Optional(Type.String({ maxLength: 40 })),
            type: Type.Optional(Type.String({ maxLength: 40 })),
            overdue: Type.Optional(Type.Boolean({ description: 'only projects with an overdue open ledger entry' })),
            limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
            offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: S.ProjectListResponse, ...errors },
      },
    },
    async (request) => {
      const user = currentUser(request);
      const q = request.query;
      let query = app.deps.db.selectFrom('projects');
      if (q.cycle) query = query.where('cycle_id', '=', q.cycle);
      if (q.stage) query = query.where('stage', '=', q.stage);
      if (q.type) query = query.where('type', '=', q.type);
      // An unknown org is a filter that matches nothing, like an unknown cycle, stage or type: an
      // empty page, never an error (the subquery cannot turn into an empty `in ()` list).
      if (q.org) query = query.where('org_id', 'in', orgSubtreeIds(q.org));
      if (user.role === 'secretary') query = query.where('org_id', 'in', orgSubtreeIds(user.orgId));
      if (user.role === 'member') query = query.where('org_id', '=', user.orgId);
      if (q.overdue) {
        // "Overdue" has one definition, reports/common.ts isLedgerOverdue (an unclosed entry whose
        // deadline instant has passed: a YYYY-MM-DD deadline lasts until the end of that day in the
        // cycle's Asia/Shanghai time, a date-time is taken as is), the one the figures and reports
        // count with. Comparing the stored text with today's UTC date in SQL missed every date-time
        // deadline and was a day off around Beijing midnight. So the unclosed entries in reach are
        // read and judged in code, and the page filters on the projects that hold one.
        const now = Date.now();
        let open = app.deps.db
          .selectFrom('ledger_entries')
          .innerJoin('projects as p', 'p.id', 'ledger_entries.project_id')
          .select(['ledger_entries.project_id', 'ledger_entries.status', 'ledger_entries.deadline'])
          .where('ledger_entries.status', '!=', 'closed');
        if (q.cycle) open = open.where('p.cycle_id', '=', q.cycle);
        const overdueIds = [...new Set((await open.execute()).filter((e) => isLedgerOverdue({ status: e.status as LedgerStatus, deadline: e.deadline }, now)).map((e) => e.project_id))];
        // `= any(array)` rather than `in (list)`: an empty array simply matches nothing.
        query = query.where(sql<boolean>`projects.id = any(${overdueIds}::text[])`);
      }
      const total = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      const rows = await query
        .select(['id', 'cycle_id', 'parent_id', 'org_id', 'title', 'type', 'is_key', 'stage', 'progress', 'grade'])
        .orderBy('id')
        .limit(q.limit)
        .offset(q.offset)
        .execute();
      return {
        items: rows.map((r) => ({ id: r.id, cycleId: r.cycle_id, parentId: r.parent_id, orgId: r.org_id, title: r.title, type: r.type, isKey: r.is_key, stage: r.stage, progress: r.progress, grade: r.grade })),
        total: total.n,
        limit: q.limit,
        offset: q.offset,
      };
    },
  );

  app.get(
    '/projects/:id',
    { schema: { tags: ['projects'], summary: 'A project: state, indicators, children, ledger', params: S.IdParam, response: { 200: S.ProjectResponse, ...errors } } },
    async (request) => projectResponse((await readProject(app, currentUser(request), request.params.id)).view),
  );

  // ---- Lifecycle actions ------------------------------------------------------------------
  function action<B extends TSchema, P extends TSchema = typeof S.IdParam>(
    path: string,
    summary: string,
    body: B,
    handler: (user: ReturnType<typeof currentUser>, params: Static<P>, body: Static<B>) => Promise<Awaited<ReturnType<typeof act>>>,
    params?: P,
  ) {
    app.post(
      path,
      { schema: { tags: ['projects'], summary, params: params ?? S.IdParam, body, response: { 200: S.ProjectResponse, ...errors } } },
      async (request) => {
        const user = currentUser(request);
        const result = await inActionScope(user.id, request.headers['idempotency-key'], `POST ${request.url}`, () => handler(user, request.params, request.body));
        return projectResponse(await viewAfter(app, result));
      },
    );
  }
  const send =
    <T extends PersonEventType>(type: T) =>
    (user: ReturnType<typeof currentUser>, id: string, fields: object, check?: Parameters<typeof act>[5]) =>
      act(app, user, id, type, fields as never, check);
  /** Evidence and reports may cite only the caller's uploads or files the project already cites. */
  const citing = (u: ReturnType<typeof currentUser>, files: { sha256: string }[] | undefined) => (_ref: unknown, view: ProjectView) => checkCitedFiles(app, u.id, view.state, files);

  action('/projects/:id/draft', 'Edit the draft proposal (修改草稿)', S.EditDraftBody, (u, p, b) => send('editDraft')(u, p.id, { changes: b }));
  action('/projects/:id/submit', 'Submit for review (提交审核)', Type.Object({}, { additionalProperties: false }), (u, p) => send('submit')(u, p.id, {}));
  action('/projects/:id/withdraw', 'Take a submission back before the reviewer acts (拿回)', S.WithdrawBody, (u, p, b) => send('withdraw')(u, p.id, { reason: b.reason ?? null }));
  action('/projects/:id/review', 'Decide the review: approve, return or reject (审核把关)', S.ReviewBody, (u, p, b) => {
    if (b.decision === 'approve') return send('approve')(u, p.id, { comment: b.comment ?? null });
    if (!b.comment) {
      throw new ProblemError(400, 'validation', 'A comment is required', b.decision === 'return' ? '退回修改须填写修改意见。' : '不予立项须说明理由。', { field: 'comment' });
    }
    return b.decision === 'return' ? send('return')(u, p.id, { comments: b.comment }) : send('reject')(u, p.id, { reason: b.comment });
  });
  action('/projects/:id/review/transfer', 'Transfer the review to another reviewer (转办)', S.TransferBody, (u, p, b) =>
    send('transferReview')(u, p.id, { to: { orgId: b.toOrgId, userId: b.toUserId }, reason: b.reason ?? null }),
  );
  action('/projects/:id/review/delegate', 'Ask a delegate for an opinion (委派)', S.DelegateBody, (u, p, b) =>
    send('delegateReview')(u, p.id, { to: { orgId: b.toOrgId, userId: b.toUserId }, note: b.note ?? null }),
  );
  action('/projects/:id/review/opinion', "The delegate's opinion (委派意见)", S.OpinionBody, (u, p, b) => send('delegateOpinion')(u, p.id, b));
  action('/projects/:id/review/remind', 'Remind the reviewer (催办)', S.RemindBody, (u, p, b) => send('remindReview')(u, p.id, { note: b.note ?? null }));
  action('/projects/:id/letter', 'Sign the responsibility letter (签订责任书)', S.LetterBody, (u, p, b) => send('signLetter')(u, p.id, b));
  action('/projects/:id/decompose', 'Split into sub-projects (1+N分解)', S.DecomposeBody, (u, p, b) =>
    send('decompose')(
      u,
      p.id,
      { children: b.children.map((c: { orgId: string; secretaryId: string; title: string }) => ({ id: shortId(`${p.id}-S`), ...c })) },
      (ref) => checkChildAssignments(app, ref.orgId, b.children),
    ),
  );
  action('/projects/:id/member-items', 'Add a member item (承诺践诺/个人突破/先锋岗)', S.MemberItemBody, (u, p, b) => send('addMemberItem')(u, p.id, { item: { id: shortId('MI'), ...b } }));
  action(
    '/projects/:id/member-items/:itemId/actual',
    "Report a member item's actual value",
    S.MemberActualBody,
    (u, p, b) => send('updateMemberItemActual')(u, p.id, { itemId: p.itemId, actual: b.actual }),
    Type.Object({ id: Type.String({ maxLength: 80 }), itemId: Type.String({ maxLength: 80 }) }, { additionalProperties: false }),
  );
  action('/projects/:id/evidence', 'Submit milestone or quarterly evidence (佐证材料)', S.EvidenceBody, async (u, p, b) =>
    send('submitEvidence')(
      u,
      p.id,
      { evidenceId: shortId('EV'), quarter: b.quarter ?? null, milestoneId: b.milestoneId ?? null, ...(await claimCheckText(app, u, b.text)), files: b.files, indicatorActuals: b.indicatorActuals },
      citing(u, b.files),
    ),
  );
  action(
    '/projects/:id/evidence/:evidenceId/correction',
    'Correct evidence: a new version supersedes the old one',
    S.CorrectionBody,
    async (u, p, b) => send('correctEvidence')(u, p.id, { evidenceId: shortId('EV'), supersedes: p.evidenceId, ...b, ...(await claimCheckText(app, u, b.text)) }, citing(u, b.files)),
    Type.Object({ id: Type.String({ maxLength: 80 }), evidenceId: Type.String({ maxLength: 80 }) }, { additionalProperties: false }),
  );
  action(
    '/projects/:id/inspections/:quarter',
    'Record a quarterly inspection (季度督查)',
    S.InspectionBody,
    (u, p, b) =>
      send('recordInspection')(u, p.id, {
        quarter: p.quarter,
        rating: b.rating,
        findings: b.findings,
        problems: b.problems.map((x: object) => ({ id: shortId('L'), ...x })),
      }),
    Type.Object({ id: Type.String({ maxLength: 80 }), quarter: Type.Integer({ minimum: 1, maximum: 4 }) }, { additionalProperties: false }),
  );
  const entryParams = Type.Object({ id: Type.String({ maxLength: 80 }), entryId: Type.String({ maxLength: 80 }) }, { additionalProperties: false });
  action('/projects/:id/rectifications/:entryId/report', 'Report a ledger entry rectified (整改报告)', S.RectificationReportBody, async (u, p, b) => send('reportRectification')(u, p.id, { entryId: p.entryId, ...b, ...(await claimCheckText(app, u, b.text)) }, citing(u, b.files)), entryParams);
  action('/projects/:id/rectifications/:entryId/verify', 'Verify a rectification against the ledger (照账验收)', Type.Object({}, { additionalProperties: false }), (u, p) => send('verifyRectification')(u, p.id, { entryId: p.entryId }), entryParams);
  action('/projects/:id/rectifications/:entryId/send-back', 'Send a rectification back', S.SendBackBody, (u, p, b) => send('sendBackRectification')(u, p.id, { entryId: p.entryId, reason: b.reason }), entryParams);
  action('/projects/:id/dispatch', 'Mid-year dispatch decision (年中调度)', S.DispatchBody, (u, p, b) => {
    const assigned = b.changes.flatMap((c: { kind: string; child?: { orgId: string; secretaryId: string }; orgId?: string; secretaryId?: string }) =>
      c.kind === 'addChild' && c.child ? [c.child] : c.kind === 'reassignChild' ? [{ orgId: c.orgId as string, secretaryId: c.secretaryId as string }] : [],
    );
    return send('dispatch')(u, p.id, {
      decision: b.decision,
      reason: b.reason ?? null,
      changes: b.changes.map((c: { kind: string; child?: object }) => (c.kind === 'addChild' ? { ...c, child: { id: shortId(`${p.id}-S`), ...c.child } } : c)),
    }, (ref) => checkChildAssignments(app, ref.orgId, assigned));
  });
  action('/projects/:id/self-assessment', 'Self-assessment (自评)', S.SelfAssessmentBody, (u, p, b) => send('selfAssess')(u, p.id, b));
  action('/projects/:id/acceptance', 'Year-end acceptance (年底验收)', S.AcceptanceBody, (u, p, b) => send('accept')(u, p.id, b));
};

export default projectRoutes;
