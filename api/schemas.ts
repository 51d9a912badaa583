/** Request and response schemas shared by the routes (TypeBox → JSON Schema → OpenAPI). */
import { Type, type Static, type TProperties, type TSchema } from '@sinclair/typebox';
import type { Quarter } from '../workflows/lifecycle';

const text = (max = 2000) => Type.String({ minLength: 1, maxLength: max });
const id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$' });
const isoDeadline = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2}))?$' });
const num = Type.Number({ minimum: -1e12, maximum: 1e12 });
const closed = { additionalProperties: false } as const;

export const IdParam = Type.Object({ id }, closed);
const subParams = { id: Type.String({ maxLength: 80 }) };
export const ItemParams = Type.Object({ ...subParams, itemId: Type.String({ maxLength: 80 }) }, closed);
export const EvidenceParams = Type.Object({ ...subParams, evidenceId: Type.String({ maxLength: 80 }) }, closed);
export const QuarterParams = Type.Object({ ...subParams, quarter: Type.Unsafe<Quarter>(Type.Integer({ minimum: 1, maximum: 4 })) }, closed);
export const EntryParams = Type.Object({ ...subParams, entryId: Type.String({ maxLength: 80 }) }, closed);
export const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$' });
export const FileRef = Type.Object({ name: text(200), sha256: Sha256, size: Type.Integer({ minimum: 0, maximum: 100 * 1024 * 1024 }) }, closed);
const IndicatorActual = Type.Object({ indicatorId: id, actual: num }, closed);

export const IndicatorInput = Type.Object(
  { id, name: text(100), unit: text(20), baseline: num, target: num, weight: Type.Number({ minimum: 0.01, maximum: 100 }) },
  closed,
);
export const MilestoneInput = Type.Object({ id, title: text(200), due: isoDeadline }, closed);

export const ProposeBody = Type.Object(
  {
    cycleId: id,
    title: text(200),
    type: Type.Union([Type.Literal('service'), Type.Literal('improvement'), Type.Literal('breakthrough')], { description: '服务型 / 提升型 / 破题型' }),
    isKey: Type.Boolean({ description: '重点项目' }),
    orientation: Type.Union([Type.Literal('goal'), Type.Literal('problem')], { description: '目标导向 / 问题导向' }),
    problemIds: Type.Array(id, { maxItems: 20 }),
    businessGoal: text(1000),
    indicators: Type.Array(IndicatorInput, { maxItems: 20 }),
    milestones: Type.Array(MilestoneInput, { maxItems: 24 }),
  },
  closed,
);
export type ProposeBody = Static<typeof ProposeBody>;

export const EditDraftBody = Type.Partial(Type.Omit(ProposeBody, ['cycleId']), closed);
export const WithdrawBody = Type.Object({ reason: Type.Optional(text(500)) }, closed);
export const ReviewBody = Type.Object(
  {
    decision: Type.Union([Type.Literal('approve'), Type.Literal('return'), Type.Literal('reject')], { description: '通过 / 退回修改 / 不予立项' }),
    comment: Type.Optional(text(2000)),
  },
  closed,
);
export const TransferBody = Type.Object({ toUserId: id, toOrgId: id, reason: Type.Optional(text(500)) }, closed);
export const DelegateBody = Type.Object({ toUserId: id, toOrgId: id, note: Type.Optional(text(500)) }, closed);
export const OpinionBody = Type.Object(
  { recommendation: Type.Union([Type.Literal('approve'), Type.Literal('return'), Type.Literal('reject')]), opinion: text(2000) },
  closed,
);
export const RemindBody = Type.Object({ note: Type.Optional(text(500)) }, closed);
export const LetterBody = Type.Object({ text: text(5000) }, closed);
export const DecomposeBody = Type.Object(
  { children: Type.Array(Type.Object({ orgId: id, secretaryId: id, title: text(200) }, closed), { minItems: 1, maxItems: 50 }) },
  closed,
);
export const MemberItemBody = Type.Object(
  {
    memberId: id,
    kind: Type.Union([Type.Literal('pledge'), Type.Literal('breakthrough'), Type.Literal('vanguard_post')], { description: '承诺践诺 / 个人突破清单 / 党员先锋岗' }),
    title: text(200),
    target: num,
    unit: text(20),
  },
  closed,
);
export const MemberActualBody = Type.Object({ actual: num }, closed);
export const EvidenceBody = Type.Object(
  {
    quarter: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3), Type.Literal(4)])),
    milestoneId: Type.Optional(id),
    text: Type.String({ maxLength: 10000 }),
    files: Type.Array(FileRef, { maxItems: 20 }),
    indicatorActuals: Type.Array(IndicatorActual, { maxItems: 20 }),
  },
  closed,
);
export const CorrectionBody = Type.Object(
  { text: Type.String({ maxLength: 10000 }), files: Type.Array(FileRef, { maxItems: 20 }), indicatorActuals: Type.Array(IndicatorActual, { maxItems: 20 }), reason: text(1000) },
  closed,
);
export const InspectionBody = Type.Object(
  {
    rating: Type.Union([Type.Literal('on_track'), Type.Literal('lagging'), Type.Literal('stalled')], { description: '正常推进 / 进度滞后 / 停滞' }),
    findings: Type.Array(text(2000), { maxItems: 50 }),
    problems: Type.Array(
      Type.Object({ problem: text(2000), responsibleOrgId: id, responsiblePersonId: id, measures: text(2000), deadline: isoDeadline }, closed),
      { maxItems: 50 },
    ),
  },
  closed,
);
export const RectificationReportBody = Type.Object({ text: text(5000), files: Type.Optional(Type.Array(FileRef, { maxItems: 20 })) }, closed);
export const SendBackBody = Type.Object({ reason: text(2000) }, closed);
export const Scores = Type.Array(Type.Object({ criterionId: id, score: Type.Number({ minimum: 0, maximum: 1000 }) }, closed), { maxItems: 50 });
export const SelfAssessmentBody = Type.Object({ scores: Scores, narrative: text(10000), businessImpact: text(5000) }, closed);
export const AcceptanceBody = Type.Object({ criterionScores: Scores, negativeList: Type.Array(text(500), { maxItems: 50 }) }, closed);
export const DispatchBody = Type.Object(
  {
    decision: Type.Union([Type.Literal('continue'), Type.Literal('adjust'), Type.Literal('terminate')], { description: '继续实施 / 调整 / 终止' }),
    reason: Type.Optional(text(2000)),
    changes: Type.Array(
      Type.Union([
        Type.Object({ kind: Type.Literal('indicatorTarget'), indicatorId: id, target: num, reason: text(1000) }, closed),
        Type.Object({ kind: Type.Literal('addMilestone'), milestone: MilestoneInput, reason: text(1000) }, closed),
        Type.Object({ kind: Type.Literal('addChild'), child: Type.Object({ orgId: id, secretaryId: id, title: text(200) }, closed), reason: text(1000) }, closed),
        Type.Object({ kind: Type.Literal('reassignChild'), childId: id, orgId: id, secretaryId: id, reason: text(1000) }, closed),
        Type.Object({ kind: Type.Literal('cancelChild'), childId: id, reason: text(1000) }, closed),
      ]),
      { maxItems: 50 },
    ),
  },
  closed,
);

// ---- Responses -------------------------------------------------------------------------------
// The shapes of workflows/lifecycle/types.ts. Response objects stay open (additionalProperties):
// fast-json-stringify drops every property a schema does not name, so a field the lifecycle core
// adds later is still sent rather than silently lost.

const open = <P extends TProperties>(properties: P, description?: string) => Type.Object(properties, { additionalProperties: true, ...(description ? { description } : {}) });
const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Str = Type.String();
const Num = Type.Number();
const Int = Type.Integer();

const Actor = open({ userId: Str, role: Str, orgId: Str }, 'a person, or the engine (role "system")');
const OrgUser = open({ orgId: Str, userId: Str });
const TextRefResponse = open({ sha256: Str, size: Int, chars: Int }, 'the whole text in the content store (claim check)');
const FileResponse = open({ name: Str, sha256: Str, size: Num });
const CriterionScoreResponse = open({ criterionId: Str, score: Num });

const ProposalResponse = open({
  title: Str,
  type: Str,
  isKey: Type.Boolean(),
  orientation: Str,
  problemIds: Type.Array(Str),
  businessGoal: Str,
  indicators: Type.Array(open({ id: Str, name: Str, unit: Str, baseline: Num, target: Num, weight: Num, actual: nullable(Num) })),
  milestones: Type.Array(open({ id: Str, title: Str, due: Str })),
});
const ReviewResponse = open({
  round: Int,
  submittedAt: nullable(Str),
  delegate: nullable(open({ to: OrgUser, by: Actor, at: Str })),
  history: Type.Array(
    open(
      {
        round: Int,
        action: Str,
        actor: Actor,
        at: Str,
        reviewer: Type.Optional(OrgUser),
        from: Type.Optional(OrgUser),
        to: Type.Optional(OrgUser),
        reason: Type.Optional(nullable(Str)),
        comment: Type.Optional(nullable(Str)),
        comments: Type.Optional(Str),
        note: Type.Optional(nullable(Str)),
        recommendation: Type.Optional(Str),
        opinion: Type.Optional(Str),
      },
      'one review step: submitted, withdrawn, approved, returned, rejected, transferred, delegated, delegateOpinion, reminded, timeoutReminded, escalated',
    ),
  ),
});
const LetterResponse = open({ text: Str, signedBy: Str, signedAt: Str });
const ChildResponse = open({ id: Str, orgId: Str, secretaryId: Str, title: Str, status: Str, stage: Str, progress: Num, addedAt: Str });
const MemberItemResponse = open({ id: Str, memberId: Str, kind: Str, title: Str, target: Num, actual: nullable(Num), unit: Str, addedAt: Str, updatedAt: Str });
const EvidenceResponse = open({
  id: Str,
  quarter: nullable(Int),
  milestoneId: nullable(Str),
  text: Str,
  textRef: nullable(TextRefResponse),
  files: Type.Array(FileResponse),
  indicatorActuals: Type.Array(open({ indicatorId: Str, actual: Num })),
  version: Int,
  supersedes: nullable(Str),
  supersededBy: nullable(Str),
  correctionReason: nullable(Str),
  submittedBy: Str,
  at: Str,
});
const InspectionResponse = open({
  quarter: Int,
  due: Type.Boolean(),
  dueAt: nullable(Str),
  rating: nullable(Str),
  findings: Type.Array(open({ kind: Str, text: Str })),
  missingEvidence: Type.Boolean(),
  inspectorId: nullable(Str),
  at: nullable(Str),
});
const LedgerEntryResponse = open({
  id: Str,
  quarter: Int,
  problem: Str,
  responsibleOrgId: Str,
  responsiblePersonId: Str,
  measures: Str,
  deadline: Str,
  status: Str,
  recordedBy: Str,
  recordedAt: Str,
  reports: Type.Array(open({ text: Str, textRef: nullable(TextRefResponse), files: Type.Array(FileResponse), by: Actor, at: Str })),
  sendBacks: Type.Array(open({ reason: Str, by: Actor, at: Str })),
  verifiedBy: nullable(Str),
  closedAt: nullable(Str),
  warnedAt: nullable(Str),
  escalatedAt: nullable(Str),
});
const DispatchResponse = open({
  decision: Str,
  changes: Type.Array(open({ kind: Str, field: Str, from: Type.Unknown(), to: Type.Unknown(), reason: Str })),
  reason: nullable(Str),
  by: Str,
  at: Str,
});
const SelfAssessmentResponse = open({ scores: Type.Array(CriterionScoreResponse), total: Num, narrative: Str, businessImpact: Str, by: Str, at: Str });
const AcceptanceResponse = open({
  criterionScores: Type.Array(CriterionScoreResponse),
  rawScore: Num,
  deductions: Type.Array(open({ code: Str, pointsEach: Num, count: Int, points: Num, detail: Str })),
  totalDeduction: Num,
  finalScore: Num,
  grade: Str,
  negativeList: Type.Array(Str),
  by: Str,
  at: Str,
});

/**
 * The names of the people and orgs an answer refers to, by id: a person or org the directory does
 * not know keeps its id; the engine's actors (`system:timer`, `system:rollup`) carry a Chinese label.
 */
export const Names = Type.Object(
  {
    users: Type.Record(Type.String(), Type.String(), { description: '用户 id → 姓名' }),
    orgs: Type.Record(Type.String(), Type.String(), { description: '组织 id → 名称' }),
  },
  { description: '本答复涉及的人员和组织名称' },
);

/** A project as callers see it: the lifecycle state and how many events made it. */
export const ProjectResponse = Type.Object({
  id: Type.String(),
  cycleId: Type.String(),
  parentId: Type.Union([Type.String(), Type.Null()]),
  orgId: Type.String(),
  leadSecretaryId: Type.String(),
  stage: Type.String(),
  stageLabel: Type.String(),
  progress: Type.Number(),
  version: Type.Integer(),
  proposal: ProposalResponse,
  review: ReviewResponse,
  reviewer: Type.Object({ orgId: Type.String(), userId: Type.String() }, { description: '当前审核人（转办、上报后随之改变）' }),
  letter: nullable(LetterResponse),
  children: Type.Array(ChildResponse),
  memberItems: Type.Array(MemberItemResponse),
  evidence: Type.Array(EvidenceResponse),
  inspections: Type.Array(InspectionResponse),
  ledger: Type.Array(LedgerEntryResponse),
  dispatch: nullable(DispatchResponse),
  selfAssessment: nullable(SelfAssessmentResponse),
  acceptance: nullable(AcceptanceResponse),
  names: Names,
});

export const ProjectListResponse = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Type.String(),
      cycleId: Type.String(),
      parentId: Type.Union([Type.String(), Type.Null()]),
      orgId: Type.String(),
      title: Type.String(),
      type: Type.String(),
      isKey: Type.Boolean(),
      stage: Type.String(),
      progress: Type.Number(),
      grade: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});
