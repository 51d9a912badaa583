/**
 * Realistic project states for the report tests, built by replaying events through the lifecycle
 * machine: an org directory of three units, and a whole cycle of projects at every stage.
 */
import { replay, subProjectCreateEvent, timerActor } from '../../workflows/lifecycle';
import type {
  ChildInput,
  CycleConfig,
  IndicatorActual,
  LedgerStatus,
  LifecycleEvent,
  PersonActor,
  ProjectState,
  ProjectType,
  Quarter,
  Rating,
} from '../../workflows/lifecycle';
import type { OrgDirectoryEntry } from '../../reports';
import { acceptEvent, at, createEvent, file, makeCycle, proposalInput, selfAssessEvent } from './lifecycle.fixtures';

export { at, makeCycle };

/** 市直机关工委 with three units; u3 has no projects at all. */
export const ORGS: OrgDirectoryEntry[] = [
  { id: 'org-com', parentId: null, kind: 'committee', name: '市直机关工委', secretaryId: 'com-sec' },
  { id: 'u1', parentId: 'org-com', kind: 'unit', name: '市财政局党组', secretaryId: 's-u1' },
  { id: 'oc1', parentId: 'u1', kind: 'organ_committee', name: '市财政局机关党委', secretaryId: 's-oc1' },
  { id: 'b1a', parentId: 'oc1', kind: 'branch', name: '预算处党支部', secretaryId: 's-b1a' },
  { id: 'b1b', parentId: 'oc1', kind: 'branch', name: '国库处党支部', secretaryId: 's-b1b' },
  { id: 'u2', parentId: 'org-com', kind: 'unit', name: '市商务局党组', secretaryId: 's-u2' },
  { id: 'oc2', parentId: 'u2', kind: 'organ_committee', name: '市商务局机关党委', secretaryId: 's-oc2' },
  { id: 'b2a', parentId: 'oc2', kind: 'branch', name: '外贸处党支部', secretaryId: 's-b2a' },
  { id: 'u3', parentId: 'org-com', kind: 'unit', name: '市卫健委党组', secretaryId: 's-u3' },
];

const secretary = (userId: string, orgId: string): PersonActor => ({ userId, role: 'secretary', orgId });
const inspector: PersonActor = { userId: 'insp-1', role: 'inspector', orgId: 'org-com' };
const committee: PersonActor = { userId: 'com-1', role: 'committee', orgId: 'org-com' };
const committeeReviewer: PersonActor = { userId: 'com-rev', role: 'committee', orgId: 'org-com' };

/** Branches are reviewed by their organ party committee; units and organ committees by the committee. */
function reviewerFor(orgId: string): PersonActor {
  const org = ORGS.find((o) => o.id === orgId);
  const parent = ORGS.find((o) => o.id === org?.parentId);
  if (org?.kind === 'branch' && parent?.secretaryId) return secretary(parent.secretaryId, parent.id);
  return committeeReviewer;
}

function addDays(date: string, days: number): string {
  const d = new Date(Date.parse(`${date}T00:00:00.000Z`) + days * 86_400_000);
  return d.toISOString().slice(0, 10);
}

export interface ProblemSpec {
  id: string;
  deadline: string;
  status: LedgerStatus;
  responsibleOrgId?: string;
  responsiblePersonId?: string;
  problem?: string;
}

export interface QuarterSpec {
  quarter: Quarter;
  /** When the quarter's evidence was submitted; default on the deadline day, null for none. */
  evidenceAt?: string | null;
  /** Whether the evidence deadline timer fired (inspectionDue); default true. */
  due?: boolean;
  rating?: Rating | null;
  findings?: string[];
  problems?: ProblemSpec[];
}

export type SpecStage = 'draft' | 'in_review' | 'rejected' | 'in_progress' | 'self_assessed' | 'accepted' | 'failed' | 'terminated';

export interface ProjectSpec {
  id: string;
  orgId: string;
  secretaryId: string;
  title?: string;
  type?: ProjectType;
  isKey?: boolean;
  stage: SpecStage;
  quarters?: QuarterSpec[];
  /** Indicator actuals reported by a milestone evidence in November (progress). */
  actuals?: IndicatorActual[];
  children?: ChildInput[];
  /** Builds a sub-project of `parent` from its decomposition instead of a proposal. */
  parent?: ProjectState;
  scores?: [number, number, number];
  negativeList?: string[];
  acceptedAt?: string;
  narrative?: string;
  businessImpact?: string;
  businessGoal?: string;
}

/** The events of a project's year, in time order. */
export function projectEvents(spec: ProjectSpec, cycle: CycleConfig): LifecycleEvent[] {
  const lead = secretary(spec.secretaryId, spec.orgId);
  const timer = timerActor(spec.orgId);
  const events: LifecycleEvent[] = [];
  const title = spec.title ?? `${spec.id}党建项目`;

  let reviewer: PersonActor;
  if (spec.parent) {
    const parent = spec.parent;
    const child = parent.children.find((c) => c.id === spec.id);
    if (!child) throw new Error(`${parent.id} has no child ${spec.id}`);
    events.push(subProjectCreateEvent(parent, child, secretary(parent.leadSecretaryId, parent.orgId), at('2025-02-10')));
    const base = proposalInput();
    events.push({
      type: 'editDraft',
      actor: lead,
      at: at('2025-02-12'),
      changes: { indicators: base.indicators, milestones: base.milestones, isKey: spec.isKey ?? false },
    });
    reviewer = secretary(parent.leadSecretaryId, parent.orgId);
  } else {
    reviewer = reviewerFor(spec.orgId);
    events.push(
      createEvent({
        projectId: spec.id,
        orgId: spec.orgId,
        leadSecretaryId: spec.secretaryId,
        actor: lead,
        reviewer: { orgId: reviewer.orgId, userId: reviewer.userId },
        proposal: proposalInput({
          title,
          type: spec.type ?? 'improvement',
          isKey: spec.isKey ?? false,
          businessGoal: spec.businessGoal ?? proposalInput().businessGoal,
        }),
      }),
    );
  }
  if (spec.stage === 'draft') return events;
  events.push({ type: 'submit', actor: lead, at: at('2025-02-15') });
  if (spec.stage === 'in_review') return events;
  if (spec.stage === 'rejected') {
    events.push({ type: 'reject', actor: reviewer, at: at('2025-02-20'), reason: '与业务工作结合不紧密' });
    return events;
  }
  events.push({ type: 'approve', actor: reviewer, at: at('2025-02-20'), comment: '同意立项' });
  events.push({ type: 'signLetter', actor: lead, at: at('2025-02-25'), text: '本人承诺按期完成项目目标' });
  if (spec.children) events.push({ type: 'decompose', actor: lead, at: at('2025-02-26'), children: spec.children });

  const timed: LifecycleEvent[] = [];
  for (const q of spec.quarters ?? []) {
    const deadline = cycle.calendar.quarters.find((c) => c.quarter === q.quarter)?.evidenceDeadline as string;
    const nextDay = addDays(deadline, 1);
    const evidenceAt = q.evidenceAt === undefined ? at(deadline) : q.evidenceAt;
    if (evidenceAt !== null) {
      timed.push({
        type: 'submitEvidence',
        actor: lead,
        at: evidenceAt,
        evidenceId: `${spec.id}-ev-q${q.quarter}`,
        quarter: q.quarter,
        milestoneId: null,
        text: `第${q.quarter}季度工作进展`,
        files: [file(`q${q.quarter}.pdf`)],
        indicatorActuals: [],
      });
    }
    if (q.due !== false) timed.push({ type: 'inspectionDue', actor: timer, at: at(nextDay, '00:00'), quarter: q.quarter });
    if (q.rating) {
      const inspectedAt = at(nextDay, '10:00');
      timed.push({
        type: 'recordInspection',
        actor: inspector,
        at: inspectedAt,
        quarter: q.quarter,
        rating: q.rating,
        findings: q.findings ?? [],
        problems: (q.problems ?? []).map((p) => ({
          id: p.id,
          problem: p.problem ?? `${p.id}：台账记录不完整`,
          responsibleOrgId: p.responsibleOrgId ?? spec.orgId,
          responsiblePersonId: p.responsiblePersonId ?? spec.secretaryId,
          measures: '补齐材料并建立长效机制',
          deadline: p.deadline,
        })),
      });
      for (const p of q.problems ?? []) {
        if (p.status === 'open') continue;
        const responsible = secretary(p.responsiblePersonId ?? spec.secretaryId, p.responsibleOrgId ?? spec.orgId);
        timed.push({ type: 'reportRectification', actor: responsible, at: at(addDays(nextDay, 2)), entryId: p.id, text: '已完成整改' });
        if (p.status === 'closed') timed.push({ type: 'verifyRectification', actor: inspector, at: at(addDays(nextDay, 4)), entryId: p.id });
      }
    }
  }
  if (spec.actuals) {
    timed.push({
      type: 'submitEvidence',
      actor: lead,
      at: at('2025-11-20'),
      evidenceId: `${spec.id}-ev-m2`,
      quarter: null,
      milestoneId: 'm2',
      text: '形成长效机制',
      files: [],
      indicatorActuals: spec.actuals,
    });
  }
  if (spec.stage === 'terminated') {
    timed.push({ type: 'dispatch', actor: committee, at: at('2025-07-20'), decision: 'terminate', changes: [], reason: '任务已由其他项目覆盖' });
  }
  // A stable sort keeps same-instant events (an inspection and its due timer never share one) in order.
  events.push(...timed.map((e, i) => ({ e, i })).sort((a, b) => Date.parse(a.e.at) - Date.parse(b.e.at) || a.i - b.i).map((x) => x.e));
  if (spec.stage === 'in_progress' || spec.stage === 'terminated') return events;

  events.push(
    selfAssessEvent({
      actor: lead,
      narrative: spec.narrative ?? '全年指标全部完成',
      businessImpact: spec.businessImpact ?? '推动业务工作提质增效',
    }),
  );
  if (spec.stage === 'self_assessed') return events;
  const [goal, fusion, innovation] = spec.scores ?? [38, 28, 26];
  events.push(
    acceptEvent({
      actor: committee,
      at: spec.acceptedAt ?? at('2025-12-20'),
      criterionScores: [
        { criterionId: 'goal', score: goal },
        { criterionId: 'fusion', score: fusion },
        { criterionId: 'innovation', score: innovation },
      ],
      negativeList: spec.negativeList ?? [],
    }),
  );
  return events;
}

export function buildProject(spec: ProjectSpec, cycle: CycleConfig = makeCycle()): ProjectState {
  const state = replay(projectEvents(spec, cycle), cycle);
  const expected = spec.stage;
  if (state.stage !== expected) throw new Error(`${spec.id} ended ${state.stage}, expected ${expected}`);
  return state;
}

const allOnTrack = (quarters: Quarter[]): QuarterSpec[] => quarters.map((quarter) => ({ quarter, rating: 'on_track' }));

/**
 * One cycle's projects at year end (see the table in reports.figures.test.ts for what each shows):
 * accepted, failed, in progress with overdue and cross-org ledger entries, a "1+N" sub-project,
 * a draft, a rejected and a terminated project.
 */
export function cycleProjects(cycle: CycleConfig = makeCycle()): ProjectState[] {
  const pOc1 = buildProject(
    {
      id: 'p-oc1',
      orgId: 'oc1',
      secretaryId: 's-oc1',
      title: '“党建+预算绩效”提升项目',
      type: 'improvement',
      isKey: true,
      stage: 'accepted',
      quarters: [
        { quarter: 1, rating: 'lagging', findings: ['绩效目标分解不细'], problems: [{ id: 'L-oc1-1', deadline: '2025-05-31', status: 'closed' }] },
        ...allOnTrack([2, 3, 4]),
      ],
      actuals: [
        { indicatorId: 'i1', actual: 96 },
        { indicatorId: 'i2', actual: 20 },
      ],
      scores: [38, 28, 26],
      businessGoal: '预算绩效评价覆盖率达到100%',
      narrative: '全年完成绩效评价项目120个',
      businessImpact: '财政资金使用效益明显提升',
    },
    cycle,
  );
  const pB1a = buildProject(
    {
      id: 'p-b1a',
      orgId: 'b1a',
      secretaryId: 's-b1a',
      title: '预算评审“破题”攻坚项目',
      type: 'breakthrough',
      isKey: true,
      stage: 'accepted',
      quarters: [
        { quarter: 1, evidenceAt: at('2025-04-05'), rating: 'on_track' },
        { quarter: 2, rating: 'lagging', findings: ['评审周期偏长'], problems: [{ id: 'L-b1a-1', deadline: '2025-08-31', status: 'closed' }] },
        ...allOnTrack([3, 4]),
      ],
      actuals: [
        { indicatorId: 'i1', actual: 90 },
        { indicatorId: 'i2', actual: 15 },
      ],
      scores: [36, 27, 25],
    },
    cycle,
  );
  const pB1b = buildProject(
    {
      id: 'p-b1b',
      orgId: 'b1b',
      secretaryId: 's-b1b',
      title: '国库支付便民服务项目',
      type: 'service',
      isKey: false,
      stage: 'in_progress',
      quarters: [
        {
          quarter: 1,
          rating: 'stalled',
          findings: ['未按计划启动'],
          problems: [
            { id: 'L-b1b-1', deadline: '2025-05-31', status: 'open', problem: '服务窗口未设立' },
            { id: 'L-b1b-2', deadline: '2026-01-15', status: 'reported' },
          ],
        },
        {
          quarter: 2,
          evidenceAt: null,
          rating: 'lagging',
          problems: [{ id: 'L-b1b-3', deadline: '2025-09-30', status: 'closed', responsibleOrgId: 'b1a', responsiblePersonId: 's-b1a' }],
        },
        { quarter: 3 },
        { quarter: 4, evidenceAt: null },
      ],
    },
    cycle,
  );
  const pOc2 = buildProject(
    {
      id: 'p-oc2',
      orgId: 'oc2',
      secretaryId: 's-oc2',
      title: '外贸企业“出海”破题项目',
      type: 'breakthrough',
      isKey: true,
      stage: 'accepted',
      quarters: [
        { quarter: 1, rating: 'on_track' },
        { quarter: 2, rating: 'on_track', problems: [{ id: 'L-oc2-1', deadline: '2025-08-15', status: 'closed' }] },
        { quarter: 3, rating: 'on_track', problems: [{ id: 'L-oc2-2', deadline: '2025-11-30', status: 'closed' }] },
        { quarter: 4, rating: 'on_track' },
      ],
      actuals: [{ indicatorId: 'i1', actual: 100 }],
      scores: [35, 27, 26],
    },
    cycle,
  );
  const pB2a = buildProject({ id: 'p-b2a', orgId: 'b2a', secretaryId: 's-b2a', type: 'improvement', stage: 'draft' }, cycle);
  const pU2 = buildProject({ id: 'p-u2', orgId: 'u2', secretaryId: 's-u2', type: 'service', isKey: true, stage: 'rejected' }, cycle);
  const pU1 = buildProject(
    {
      id: 'p-u1',
      orgId: 'u1',
      secretaryId: 's-u1',
      title: '财政系统“1+N”党建联建项目',
      type: 'improvement',
      isKey: true,
      stage: 'in_progress',
      children: [{ id: 'p-u1-c1', orgId: 'b1a', secretaryId: 's-b1a', title: '预算处联建子项目' }],
      quarters: [...allOnTrack([1, 2]), { quarter: 3 }, { quarter: 4 }],
    },
    cycle,
  );
  const pU1c1 = buildProject(
    {
      id: 'p-u1-c1',
      orgId: 'b1a',
      secretaryId: 's-b1a',
      parent: pU1,
      stage: 'in_progress',
      quarters: [
        { quarter: 1, rating: 'on_track' },
        { quarter: 2, evidenceAt: null, rating: 'lagging', findings: ['子项目推进缓慢'] },
      ],
    },
    cycle,
  );
  const pT = buildProject(
    {
      id: 'p-t',
      orgId: 'b2a',
      secretaryId: 's-b2a',
      title: '外贸服务专班项目',
      type: 'service',
      stage: 'terminated',
      quarters: [
        { quarter: 1, rating: 'on_track' },
        { quarter: 2, rating: 'stalled', findings: ['台账<缺失>'], problems: [{ id: 'L-t-1', deadline: '2025-07-31', status: 'open' }] },
      ],
    },
    cycle,
  );
  const pOc1b = buildProject(
    {
      id: 'p-oc1-2',
      orgId: 'oc1',
      secretaryId: 's-oc1',
      title: '机关作风提升项目',
      type: 'service',
      stage: 'failed',
      quarters: allOnTrack([1, 2, 3, 4]),
      scores: [20, 15, 10],
    },
    cycle,
  );
  return [pOc1, pB1a, pB1b, pOc2, pB2a, pU2, pU1, pU1c1, pT, pOc1b];
}
