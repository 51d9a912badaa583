/** Projects: propose, list, read, and every lifecycle action of secretaries, reviewers, inspectors and the committee. */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuthenticatedUser } from '../../db/auth';
import { STAGE_LABELS, type ProjectState } from '../../workflows/lifecycle';
import type { ProjectView } from '../../workflows/messages';
import { projectNames, type Names } from '../../services/names';
import { inActionScope, type ActionOutcome } from '../../services/projects';
import { currentUser } from '../plugins/auth';
import { ProblemError, problemResponses } from '../problem';
import * as S from '../schemas';

const errors = problemResponses(400, 401, 403, 404, 409, 422, 429, 503);

/** A project as the routes answer it, with the names of the people and orgs it refers to. */
export function projectResponse(view: ProjectView, names: Names): Static<typeof S.ProjectResponse> {
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
    reviewer: { orgId: s.reviewerOrgId, userId: s.reviewerId },
    letter: s.letter,
    children: s.children,
    memberItems: s.memberItems,
    evidence: s.evidence,
    inspections: s.inspections,
    ledger: s.ledger,
    dispatch: s.dispatch,
    selfAssessment: s.selfAssessment,
    acceptance: s.acceptance,
    names,
  };
}

const projectRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const projects = app.services.projects;
  /** The project with its names: one users and one orgs query, run together. */
  const answer = async (view: ProjectView) => projectResponse(view, await projectNames(app.deps.db, view.state));

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
      const view = await projects.propose(currentUser(request), request.body, { idempotencyKey: request.headers['idempotency-key'] });
      return reply.status(201).send(await answer(view));
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
      const q = request.query;
      const { items, total } = await projects.list(currentUser(request), q);
      return { items, total, limit: q.limit, offset: q.offset };
    },
  );

  app.get(
    '/projects/:id',
    { schema: { tags: ['projects'], summary: 'A project: state, indicators, children, ledger', params: S.IdParam, response: { 200: S.ProjectResponse, ...errors } } },
    async (request) => answer((await projects.read(currentUser(request), request.params.id)).view),
  );

  // ---- Lifecycle actions ------------------------------------------------------------------
  /** One action route: the body as its schema types it, the action run in its idempotency scope, the project as it now is. */
  function action<B extends TSchema, P extends TSchema = typeof S.IdParam>(
    path: string,
    summary: string,
    body: B,
    handler: (user: AuthenticatedUser, params: Static<P>, body: Static<B>) => Promise<ActionOutcome>,
    params?: P,
  ) {
    app.post(
      path,
      { schema: { tags: ['projects'], summary, params: params ?? S.IdParam, body, response: { 200: S.ProjectResponse, ...errors } } },
      async (request) => {
        const user = currentUser(request);
        const result = await inActionScope(user.id, request.headers['idempotency-key'], `POST ${request.url}`, () => handler(user, request.params, request.body));
        return answer(await projects.viewAfter(result));
      },
    );
  }
  const noBody = Type.Object({}, { additionalProperties: false });

  action('/projects/:id/draft', 'Edit the draft proposal (修改草稿)', S.EditDraftBody, (u, p, b) => projects.act(u, p.id, 'editDraft', { changes: b }, (ref) => projects.checkProblemLinks(ref.orgId, b.problemIds)));
  action('/projects/:id/submit', 'Submit for review (提交审核)', noBody, (u, p) => projects.act(u, p.id, 'submit', {}));
  action('/projects/:id/withdraw', 'Take a submission back before the reviewer acts (拿回)', S.WithdrawBody, (u, p, b) => projects.act(u, p.id, 'withdraw', { reason: b.reason ?? null }));
  action('/projects/:id/review', 'Decide the review: approve, return or reject (审核把关)', S.ReviewBody, (u, p, b) => {
    if (b.decision === 'approve') return projects.act(u, p.id, 'approve', { comment: b.comment ?? null });
    if (!b.comment) {
      throw new ProblemError(400, 'validation', 'A comment is required', b.decision === 'return' ? '退回修改须填写修改意见。' : '不予立项须说明理由。', { field: 'comment' });
    }
    return b.decision === 'return' ? projects.act(u, p.id, 'return', { comments: b.comment }) : projects.act(u, p.id, 'reject', { reason: b.comment });
  });
  action('/projects/:id/review/transfer', 'Transfer the review to another reviewer (转办)', S.TransferBody, (u, p, b) =>
    projects.act(u, p.id, 'transferReview', { to: { orgId: b.toOrgId, userId: b.toUserId }, reason: b.reason ?? null }),
  );
  action('/projects/:id/review/delegate', 'Ask a delegate for an opinion (委派)', S.DelegateBody, (u, p, b) =>
    projects.act(u, p.id, 'delegateReview', { to: { orgId: b.toOrgId, userId: b.toUserId }, note: b.note ?? null }),
  );
  action('/projects/:id/review/opinion', "The delegate's opinion (委派意见)", S.OpinionBody, (u, p, b) => projects.act(u, p.id, 'delegateOpinion', b));
  action('/projects/:id/review/remind', 'Remind the reviewer (催办)', S.RemindBody, (u, p, b) => projects.act(u, p.id, 'remindReview', { note: b.note ?? null }));
  action('/projects/:id/letter', 'Sign the responsibility letter (签订责任书)', S.LetterBody, (u, p, b) => projects.act(u, p.id, 'signLetter', b));
  action('/projects/:id/decompose', 'Split into sub-projects (1+N分解)', S.DecomposeBody, (u, p, b) => projects.decompose(u, p.id, b.children));
  action('/projects/:id/member-items', 'Add a member item (承诺践诺/个人突破/先锋岗)', S.MemberItemBody, (u, p, b) => projects.addMemberItem(u, p.id, b));
  action(
    '/projects/:id/member-items/:itemId/actual',
    "Report a member item's actual value",
    S.MemberActualBody,
    (u, p, b) => projects.act(u, p.id, 'updateMemberItemActual', { itemId: p.itemId, actual: b.actual }),
    S.ItemParams,
  );
  action('/projects/:id/evidence', 'Submit milestone or quarterly evidence (佐证材料)', S.EvidenceBody, (u, p, b) =>
    projects.submitEvidence(u, p.id, { quarter: b.quarter ?? null, milestoneId: b.milestoneId ?? null, text: b.text, files: b.files, indicatorActuals: b.indicatorActuals }),
  );
  action(
    '/projects/:id/evidence/:evidenceId/correction',
    'Correct evidence: a new version supersedes the old one',
    S.CorrectionBody,
    (u, p, b) => projects.correctEvidence(u, p.id, { supersedes: p.evidenceId, ...b }),
    S.EvidenceParams,
  );
  action(
    '/projects/:id/inspections/:quarter',
    'Record a quarterly inspection (季度督查)',
    S.InspectionBody,
    (u, p, b) => projects.recordInspection(u, p.id, { quarter: p.quarter, rating: b.rating, findings: b.findings, problems: b.problems }),
    S.QuarterParams,
  );
  action('/projects/:id/rectifications/:entryId/report', 'Report a ledger entry rectified (整改报告)', S.RectificationReportBody, (u, p, b) => projects.reportRectification(u, p.id, { entryId: p.entryId, ...b }), S.EntryParams);
  action('/projects/:id/rectifications/:entryId/verify', 'Verify a rectification against the ledger (照账验收)', noBody, (u, p) => projects.act(u, p.id, 'verifyRectification', { entryId: p.entryId }), S.EntryParams);
  action('/projects/:id/rectifications/:entryId/send-back', 'Send a rectification back', S.SendBackBody, (u, p, b) => projects.act(u, p.id, 'sendBackRectification', { entryId: p.entryId, reason: b.reason }), S.EntryParams);
  action('/projects/:id/dispatch', 'Mid-year dispatch decision (年中调度)', S.DispatchBody, (u, p, b) => projects.dispatch(u, p.id, { decision: b.decision, reason: b.reason ?? null, changes: b.changes }));
  action('/projects/:id/self-assessment', 'Self-assessment (自评)', S.SelfAssessmentBody, (u, p, b) => projects.act(u, p.id, 'selfAssess', b));
  action('/projects/:id/acceptance', 'Year-end acceptance (年底验收)', S.AcceptanceBody, (u, p, b) => projects.act(u, p.id, 'accept', b));
};

export default projectRoutes;
