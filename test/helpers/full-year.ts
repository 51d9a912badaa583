/**
 * The full-year scenario of one project with "1+N" sub-projects, driven through the workflow's
 * Updates on the real Temporal server with a cycle calendar compressed to seconds.
 */
import { actAndRead } from './act';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { CreateEvent, CycleConfig, PersonActor, ProjectState } from '../../workflows/lifecycle';
import * as m from '../../workflows/messages';
import type { ProjectView } from '../../workflows/messages';
import { projectWorkflow } from '../../workflows/project';
import { waitUntil } from './wait';
import { committee, compressedCycle, proposal, QUARTER_OFFSETS_S } from '../fixtures/cycles';

// The cycle fixtures live in test/fixtures/cycles.ts; re-exported for the tests that import them from here.
export { committee, compressedCycle, proposal, QUARTER_OFFSETS_S };
export const inspector: PersonActor = { userId: 'u-inspector', role: 'inspector', orgId: 'org-committee' };
export const leadSecretary: PersonActor = { userId: 'u-sec-oc1', role: 'secretary', orgId: 'org-oc1' };
export const branchSecretary = (n: number): PersonActor => ({ userId: `u-sec-br${n}`, role: 'secretary', orgId: `org-br${n}` });

const SECOND = 1000;

/** The create event of a top-level project led by `leadSecretary`, reviewed by `reviewer` (the committee by default). */
export function createEvent(cycle: CycleConfig, projectId: string, title: string, reviewer: PersonActor = committee): CreateEvent {
  return {
    type: 'create',
    actor: leadSecretary,
    at: new Date().toISOString(),
    projectId,
    cycleId: cycle.cycleId,
    parentId: null,
    orgId: leadSecretary.orgId,
    leadSecretaryId: leadSecretary.userId,
    reviewer: { orgId: reviewer.orgId, userId: reviewer.userId },
    proposal: proposal(cycle.year, title),
  };
}

export interface FullYearResult {
  parent: ProjectView;
  children: Record<string, ProjectView>;
  parentId: string;
  childIds: string[];
  workflowIds: string[];
}

export interface FullYearOptions {
  client: Client;
  taskQueue: string;
  cycle: ReturnType<typeof compressedCycle>;
  t0: number;
  projectId: string;
  continueAsNewAfterEvents?: number;
  /** Called after mid-year dispatch (the worker-kill test restarts its worker here). */
  midYear?: () => Promise<void>;
  /** Called after each step with the parent's view (tests capture snapshots). */
  onStep?: (label: string, view: ProjectView) => void;
}


async function sleepUntil(t: number): Promise<void> {
  const ms = t - Date.now();
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}

export async function runFullYear(options: FullYearOptions): Promise<FullYearResult> {
  const { client, taskQueue, cycle, t0, projectId } = options;
  const year = cycle.year;
  const wid = (id: string) => m.projectWorkflowId(cycle.cycleId, id);
  const step = (label: string, view: ProjectView) => options.onStep?.(label, view);
  const quarterDeadline = (q: number) => t0 + QUARTER_OFFSETS_S[q - 1] * SECOND;
  const inspectionDue = async (handle: WorkflowHandle, q: number) =>
    waitUntil(`Q${q} inspection due`, async () => {
      const view = await handle.query(m.getProjectQuery);
      return view.state.inspections.find((i) => i.quarter === q && i.due) ? view : undefined;
    });

  // ---- Proposal: returned once, then approved ------------------------------------------------
  const parent = await client.workflow.start(projectWorkflow, {
    workflowId: wid(projectId),
    taskQueue,
    args: [
      {
        cycle,
        continueAsNewAfterEvents: options.continueAsNewAfterEvents,
        create: createEvent(cycle, projectId, '“红色引擎”助企服务提升项目'),
      },
    ],
    typedSearchAttributes: [],
  });
  const act = <T extends m.PersonEventType>(handle: WorkflowHandle, type: T, command: m.Command<T>) => actAndRead(handle, type, command);

  await act(parent, 'submit', { type: 'submit', actor: leadSecretary });
  step('submitted', await act(parent, 'return', { type: 'return', actor: committee, comments: '指标需进一步量化，请补充满意度测评方式' }));
  step('returned', await act(parent, 'editDraft', { type: 'editDraft', actor: leadSecretary, changes: { businessGoal: '优化营商环境，以第三方测评衡量政务服务满意度' } }));
  await act(parent, 'submit', { type: 'submit', actor: leadSecretary });
  step('approved', await act(parent, 'approve', { type: 'approve', actor: committee, comment: '同意立项' }));
  await act(parent, 'signLetter', { type: 'signLetter', actor: leadSecretary, text: '本人承诺履行党建项目第一责任人职责。' });

  // ---- "1+N": three sub-projects, each proposed, approved by the parent's secretary, signed --
  const childIds = [`${projectId}-c1`, `${projectId}-c2`, `${projectId}-c3`];
  step('decomposed', await act(parent, 'decompose', {
    type: 'decompose',
    actor: leadSecretary,
    children: childIds.map((id, i) => ({ id, orgId: branchSecretary(i + 1).orgId, secretaryId: branchSecretary(i + 1).userId, title: `第${i + 1}支部攻坚子项目` })),
  }));
  const childReviewer: PersonActor = leadSecretary;
  const startChildWork = async (id: string, secretary: PersonActor) => {
    const handle = client.workflow.getHandle(wid(id));
    await waitUntil(`sub-project ${id} started`, () => handle.query(m.getProjectQuery));
    await act(handle, 'editDraft', { type: 'editDraft', actor: secretary, changes: { indicators: proposal(year, 'x').indicators, milestones: proposal(year, 'x').milestones } });
    await act(handle, 'submit', { type: 'submit', actor: secretary });
    await act(handle, 'approve', { type: 'approve', actor: childReviewer, comment: null });
    await act(handle, 'signLetter', { type: 'signLetter', actor: secretary, text: '子项目责任书' });
    return handle;
  };
  const children = new Map<string, { handle: WorkflowHandle; secretary: PersonActor }>();
  for (const [i, id] of childIds.entries()) children.set(id, { handle: await startChildWork(id, branchSecretary(i + 1)), secretary: branchSecretary(i + 1) });
  await act(parent, 'addMemberItem', {
    type: 'addMemberItem',
    actor: leadSecretary,
    item: { id: 'mi-1', memberId: 'u-member-1', kind: 'pledge', title: '每月为企业办实事', target: 12, unit: '件' },
  });

  const evidence = async (handle: WorkflowHandle, actor: PersonActor, q: number, visits: number) => {
    if (Date.now() > quarterDeadline(q) - 1000) {
      throw new Error(`the scenario fell behind its compressed calendar: Q${q} evidence is due at +${QUARTER_OFFSETS_S[q - 1]} s`);
    }
    return act(handle, 'submitEvidence', {
      type: 'submitEvidence',
      actor,
      evidenceId: `ev-q${q}`,
      quarter: q as 1 | 2 | 3 | 4,
      milestoneId: null,
      text: `第${q}季度工作进展`,
      files: [{ name: `q${q}.pdf`, sha256: 'a'.repeat(64), size: 1024 }],
      indicatorActuals: [{ indicatorId: 'i-visits', actual: visits }],
    });
  };
  const childEvidence = async (q: number) => {
    for (const { handle, secretary } of children.values()) {
      const view = await handle.query(m.getProjectQuery);
      if (view.state.stage === 'in_progress') await evidence(handle, secretary, q, q * 5);
    }
  };

  // ---- Q1: on track ---------------------------------------------------------------------------
  await evidence(parent, leadSecretary, 1, 5);
  await childEvidence(1);
  await sleepUntil(quarterDeadline(1));
  await inspectionDue(parent, 1);
  step('q1-inspected', await act(parent, 'recordInspection', { type: 'recordInspection', actor: inspector, quarter: 1, rating: 'on_track', findings: ['按计划推进'], problems: [] }));

  // ---- Q2: lagging, one problem; rectification sent back once, then verified -------------------
  await evidence(parent, leadSecretary, 2, 7);
  await childEvidence(2);
  await sleepUntil(quarterDeadline(2));
  await inspectionDue(parent, 2);
  await act(parent, 'recordInspection', {
    type: 'recordInspection',
    actor: inspector,
    quarter: 2,
    rating: 'lagging',
    findings: ['走访进度滞后于计划'],
    problems: [
      {
        id: 'L-1',
        problem: '走访企业数量未达半年目标',
        responsibleOrgId: leadSecretary.orgId,
        responsiblePersonId: leadSecretary.userId,
        measures: '增加走访批次，每周通报进度',
        deadline: new Date(t0 + 600 * SECOND).toISOString(),
      },
    ],
  });
  await act(parent, 'reportRectification', { type: 'reportRectification', actor: leadSecretary, entryId: 'L-1', text: '已制定走访计划' });
  step('sent-back', await act(parent, 'sendBackRectification', { type: 'sendBackRectification', actor: inspector, entryId: 'L-1', reason: '未见走访记录佐证' }));
  await act(parent, 'reportRectification', { type: 'reportRectification', actor: leadSecretary, entryId: 'L-1', text: '补充走访记录12份', files: [{ name: 'visits.pdf', sha256: 'b'.repeat(64), size: 2048 }] });
  step('verified', await act(parent, 'verifyRectification', { type: 'verifyRectification', actor: inspector, entryId: 'L-1' }));

  // ---- Mid-year dispatch: cancel one sub-project, add another ----------------------------------
  const addedId = `${projectId}-c4`;
  step('dispatched', await act(parent, 'dispatch', {
    type: 'dispatch',
    actor: committee,
    decision: 'adjust',
    reason: '根据上半年进展调整子项目',
    changes: [
      { kind: 'cancelChild', childId: childIds[2], reason: '该支部任务与其他项目重复' },
      { kind: 'addChild', child: { id: addedId, orgId: branchSecretary(4).orgId, secretaryId: branchSecretary(4).userId, title: '第4支部新增子项目' }, reason: '新增重点攻坚方向' },
      { kind: 'indicatorTarget', indicatorId: 'i-visits', target: 18, reason: '受外部因素影响下调走访目标' },
    ],
  }));
  children.delete(childIds[2]);
  await options.midYear?.();
  children.set(addedId, { handle: await startChildWork(addedId, branchSecretary(4)), secretary: branchSecretary(4) });

  // ---- Q3: the parent misses its evidence deadline ---------------------------------------------
  await childEvidence(3);
  await sleepUntil(quarterDeadline(3));
  step('q3-missed', await inspectionDue(parent, 3));

  // ---- Q4, self-assessment and acceptance -------------------------------------------------------
  await evidence(parent, leadSecretary, 4, 18);
  await childEvidence(4);
  await sleepUntil(quarterDeadline(4));
  await inspectionDue(parent, 4);
  const scores = [
    { criterionId: 'c-goal', score: 55 },
    { criterionId: 'c-fusion', score: 36 },
  ];
  for (const { handle, secretary } of children.values()) {
    await act(handle, 'selfAssess', { type: 'selfAssess', actor: secretary, scores, narrative: '子项目全年完成情况良好', businessImpact: '支部服务企业能力提升' });
    await act(handle, 'accept', { type: 'accept', actor: committee, criterionScores: scores, negativeList: [] });
  }
  await act(parent, 'selfAssess', { type: 'selfAssess', actor: leadSecretary, scores, narrative: '全年完成走访18家，满意度提升', businessImpact: '企业诉求办结率提高' });
  await waitUntil('children settled in the parent', async () => {
    const view = await parent.query(m.getProjectQuery);
    return view.state.children.every((c) => c.status !== 'active') ? view : undefined;
  });
  step('accepted', await act(parent, 'accept', { type: 'accept', actor: committee, criterionScores: scores, negativeList: [] }));

  const parentView = await parent.result();
  const childViews: Record<string, ProjectView> = {};
  for (const id of [...childIds, addedId]) childViews[id] = await client.workflow.getHandle(wid(id)).result();
  return {
    parent: parentView,
    children: childViews,
    parentId: projectId,
    childIds: [...childIds, addedId],
    workflowIds: [projectId, ...childIds, addedId].map(wid),
  };
}

/** The parts of a final state that must not depend on timing: stages, grades, ledger, findings. */
export function essentials(state: ProjectState) {
  return {
    stage: state.stage,
    grade: state.acceptance?.grade ?? null,
    finalScore: state.acceptance?.finalScore ?? null,
    deductions: state.acceptance?.deductions.map((d) => ({ code: d.code, count: d.count, points: d.points })) ?? [],
    children: state.children.map((c) => ({ id: c.id, status: c.status, stage: c.stage })),
    ledger: state.ledger.map((e) => ({ id: e.id, status: e.status, reports: e.reports.length, sendBacks: e.sendBacks.length })),
    inspections: state.inspections.map((i) => ({ quarter: i.quarter, rating: i.rating, missingEvidence: i.missingEvidence })),
    evidence: state.evidence.map((e) => e.id),
    indicators: state.proposal.indicators.map((i) => ({ id: i.id, target: i.target, actual: i.actual })),
    progress: state.progress,
  };
}
