import { describe, expect, it } from 'vitest';
import { computeAcceptance, GRADE_LABELS, gradeFor, keyProjectShortfall, rankBestOf } from '../../workflows/lifecycle';
import type { DispatchChange, DispatchEvent, ProjectState } from '../../workflows/lifecycle';
import {
  acceptEvent,
  at,
  decomposedProject,
  evidenceEvent,
  inProgressProject,
  inspectionEvent,
  makeCycle,
  people,
  rollup,
  selfAssessEvent,
  timer,
} from './lifecycle.fixtures';

const adjust = (changes: DispatchChange[], overrides: Partial<DispatchEvent> = {}): DispatchEvent => ({
  type: 'dispatch',
  actor: people.committee,
  at: at('2025-07-10'),
  decision: 'adjust',
  changes,
  ...overrides,
});

describe('mid-year dispatch (年中调度)', () => {
  it('the committee decides a project continues', () => {
    const s = inProgressProject().ok({ type: 'dispatch', actor: people.committee, at: at('2025-07-10'), decision: 'continue', changes: [] });
    expect(s.stage).toBe('in_progress');
    expect(s.dispatch).toEqual({ decision: 'continue', changes: [], reason: null, by: 'com-1', at: at('2025-07-10') });
    expect(s.dispatchHistory).toHaveLength(1);
  });

  it('an adjustment changes indicator targets and milestones, each change recorded with its reason', () => {
    const sim = inProgressProject();
    const s = sim.ok(
      adjust([
        { kind: 'indicatorTarget', indicatorId: 'i2', target: 30, reason: '需求超出预期' },
        { kind: 'updateMilestone', milestoneId: 'm2', title: null, due: '2025-12-15', reason: '配合年底考核' },
        { kind: 'addMilestone', milestone: { id: 'm3', title: '总结推广', due: '2025-12-20' }, reason: '新增推广环节' },
      ]),
    );
    expect(s.proposal.indicators.find((i) => i.id === 'i2')?.target).toBe(30);
    expect(s.proposal.milestones.map((m) => [m.id, m.due])).toEqual([
      ['m1', '2025-06-30'],
      ['m2', '2025-12-15'],
      ['m3', '2025-12-20'],
    ]);
    expect(s.dispatch?.changes).toEqual([
      { kind: 'indicatorTarget', field: 'indicators.i2.target', from: 20, to: 30, reason: '需求超出预期' },
      {
        kind: 'updateMilestone',
        field: 'milestones.m2',
        from: { title: '形成长效机制', due: '2025-11-30' },
        to: { title: '形成长效机制', due: '2025-12-15' },
        reason: '配合年底考核',
      },
      { kind: 'addMilestone', field: 'milestones', from: null, to: { id: 'm3', title: '总结推广', due: '2025-12-20' }, reason: '新增推广环节' },
    ]);
  });

  it('dispatch adds, reassigns and cancels sub-projects', () => {
    const sim = decomposedProject();
    sim.ok({ type: 'childUpdated', actor: rollup, at: at('2025-06-30'), childId: 'c1', stage: 'in_progress', progress: 0.4 });
    let s = sim.ok(
      adjust([
        { kind: 'addChild', child: { id: 'c2', orgId: 'org-c2', secretaryId: 'sec-c2', title: '新增子项目' }, reason: '扩大覆盖' },
        { kind: 'reassignChild', childId: 'c2', orgId: 'org-c3', secretaryId: 'sec-c3', reason: '由三支部承接' },
      ]),
    );
    expect(s.children.map((c) => [c.id, c.orgId, c.secretaryId, c.status])).toEqual([
      ['c1', 'org-c1', 'sec-c1', 'active'],
      ['c2', 'org-c3', 'sec-c3', 'active'],
    ]);
    expect(s.dispatch?.changes.map((c) => c.field)).toEqual(['children', 'children.c2.assignee']);
    s = sim.ok(adjust([{ kind: 'cancelChild', childId: 'c1', reason: '任务已并入c2' }], { at: at('2025-07-20') }));
    expect(s.children[0].status).toBe('cancelled');
    expect(s.dispatchHistory).toHaveLength(2);
    // Cancelled children no longer count in the roll-up.
    expect(s.progress).toBe(0);
  });

  it('a cancelled child stays cancelled whatever it reports afterwards', () => {
    const sim = decomposedProject();
    sim.ok(adjust([{ kind: 'cancelChild', childId: 'c1', reason: '撤销' }]));
    const s = sim.ok({ type: 'childUpdated', actor: rollup, at: at('2025-07-11'), childId: 'c1', stage: 'cancelled', progress: 0.2 });
    expect(s.children[0]).toMatchObject({ status: 'cancelled', stage: 'cancelled' });
  });

  it('an adjustment is all or nothing: one bad change refuses the whole dispatch', () => {
    const sim = inProgressProject();
    const before = sim.s;
    const r = sim.refused(
      adjust([
        { kind: 'indicatorTarget', indicatorId: 'i2', target: 30, reason: '上调' },
        { kind: 'indicatorTarget', indicatorId: 'i9', target: 30, reason: '上调' },
      ]),
    );
    expect(r).toMatchObject({ rule: 'payload.unknown_indicator', status: 400 });
    expect(sim.s).toBe(before);
    expect(sim.s.proposal.indicators[1].target).toBe(20);
  });

  describe('dispatch refusals', () => {
    const cases: [string, DispatchChange, string][] = [
      ['a change without a reason', { kind: 'indicatorTarget', indicatorId: 'i2', target: 30, reason: '' }, 'payload.change_reason'],
      ['a target equal to the baseline', { kind: 'indicatorTarget', indicatorId: 'i2', target: 0, reason: 'r' }, 'payload.indicator_target_equals_baseline'],
      ['a non-finite target', { kind: 'indicatorTarget', indicatorId: 'i2', target: Number.NaN, reason: 'r' }, 'payload.indicator_not_finite'],
      ['an unknown milestone', { kind: 'updateMilestone', milestoneId: 'm9', title: 'x', due: null, reason: 'r' }, 'payload.unknown_milestone'],
      ['an empty milestone change', { kind: 'updateMilestone', milestoneId: 'm1', title: null, due: null, reason: 'r' }, 'payload.change_empty'],
      ['a milestone moved out of the year', { kind: 'updateMilestone', milestoneId: 'm1', title: null, due: '2026-01-10', reason: 'r' }, 'payload.milestone_outside_cycle_year'],
      ['a duplicate milestone', { kind: 'addMilestone', milestone: { id: 'm1', title: 'x', due: '2025-08-01' }, reason: 'r' }, 'payload.duplicate_milestone_id'],
      ['a child for the project’s own org', { kind: 'addChild', child: { id: 'c9', orgId: 'org-a', secretaryId: 'sec-x', title: 'x' }, reason: 'r' }, 'payload.child_same_org'],
      ['reassigning an unknown child', { kind: 'reassignChild', childId: 'c9', orgId: 'org-c2', secretaryId: 'sec-c2', reason: 'r' }, 'payload.unknown_child'],
      ['reassigning a child to where it is', { kind: 'reassignChild', childId: 'c1', orgId: 'org-c1', secretaryId: 'sec-c1', reason: 'r' }, 'payload.reassign_unchanged'],
      ['an unknown change kind', { kind: 'renameProject', reason: 'r' } as never, 'payload.dispatch_change_kind'],
    ];
    it.each(cases)('an adjustment with %s is refused', (_label, change, rule) => {
      expect(decomposedProject().refused(adjust([change]))).toMatchObject({ rule, status: 400 });
    });

    it('a cancelled child cannot be reassigned or cancelled again', () => {
      const sim = decomposedProject();
      sim.ok(adjust([{ kind: 'cancelChild', childId: 'c1', reason: '撤销' }]));
      expect(sim.refused(adjust([{ kind: 'cancelChild', childId: 'c1', reason: '再撤销' }]))).toMatchObject({ rule: 'children.not_active', status: 409 });
      expect(sim.refused(adjust([{ kind: 'reassignChild', childId: 'c1', orgId: 'org-c2', secretaryId: 'sec-c2', reason: 'r' }])).rule).toBe(
        'children.not_active',
      );
    });

    it('an adjustment needs changes; continue and terminate carry none; terminate needs a reason', () => {
      const sim = inProgressProject();
      const base = { type: 'dispatch', actor: people.committee, at: at('2025-07-10') } as const;
      expect(sim.refused({ ...base, decision: 'adjust', changes: [] }).rule).toBe('payload.dispatch_changes_required');
      expect(sim.refused({ ...base, decision: 'continue', changes: [{ kind: 'cancelChild', childId: 'c1', reason: 'r' }] }).rule).toBe(
        'payload.dispatch_changes_not_allowed',
      );
      expect(sim.refused({ ...base, decision: 'terminate', changes: [] })).toMatchObject({ rule: 'payload.terminate_reason', status: 400 });
      expect(sim.refused({ ...base, decision: 'pause' as never, changes: [] }).rule).toBe('payload.dispatch_decision');
    });

    it('only the committee dispatches, and only projects in progress', () => {
      expect(inProgressProject().refused(adjust([], { decision: 'continue', actor: people.lead }))).toMatchObject({ rule: 'actor.not_committee', status: 403 });
      const sim = inProgressProject();
      sim.ok(selfAssessEvent());
      expect(sim.refused(adjust([], { decision: 'continue' }))).toMatchObject({ rule: 'stage.dispatch_requires_in_progress', status: 409 });
    });
  });

  it('a terminated project keeps its reason, cancels its active sub-projects and accepts no more work', () => {
    const sim = decomposedProject();
    const s = sim.ok({ type: 'dispatch', actor: people.committee, at: at('2025-07-10'), decision: 'terminate', changes: [], reason: '政策调整，项目不再实施' });
    expect(s.stage).toBe('terminated');
    expect(s.dispatch).toMatchObject({ decision: 'terminate', reason: '政策调整，项目不再实施' });
    expect(s.dispatch?.changes).toEqual([{ kind: 'cancelChild', field: 'children.c1.status', from: 'active', to: 'cancelled', reason: '政策调整，项目不再实施' }]);
    expect(s.children[0].status).toBe('cancelled');
    expect(sim.refused(evidenceEvent()).rule).toBe('stage.evidence_requires_in_progress');
    expect(sim.refused(selfAssessEvent()).rule).toBe('stage.self_assess_requires_in_progress');
    expect(sim.refused({ type: 'childUpdated', actor: rollup, at: at('2025-07-11'), childId: 'c1', stage: 'cancelled', progress: 0 }).rule).toBe(
      'stage.project_closed',
    );
  });
});

describe('self-assessment (自评)', () => {
  it('the lead secretary scores every criterion and describes the business impact', () => {
    const s = inProgressProject().ok(selfAssessEvent());
    expect(s.stage).toBe('self_assessed');
    expect(s.selfAssessment).toEqual({
      scores: [
        { criterionId: 'goal', score: 38 },
        { criterionId: 'fusion', score: 27 },
        { criterionId: 'innovation', score: 25 },
      ],
      total: 90,
      narrative: '全年指标全部完成',
      businessImpact: '企业开办时间由3天压缩至1天',
      by: 'sec-a',
      at: at('2025-12-12'),
    });
  });

  it('self-assessment scores must cover the rubric, once each, within each weight', () => {
    const sim = inProgressProject();
    const scores = selfAssessEvent().scores;
    expect(sim.refused(selfAssessEvent({ scores: scores.slice(0, 2) })).rule).toBe('payload.scores_incomplete');
    expect(sim.refused(selfAssessEvent({ scores: [...scores, scores[0]] })).rule).toBe('payload.duplicate_criterion');
    expect(sim.refused(selfAssessEvent({ scores: [{ criterionId: 'goal', score: 41 }, ...scores.slice(1)] })).rule).toBe('payload.score_out_of_range');
    expect(sim.refused(selfAssessEvent({ scores: [{ criterionId: 'luck', score: 1 }, ...scores] })).rule).toBe('payload.unknown_criterion');
    expect(sim.refused(selfAssessEvent({ businessImpact: '' })).rule).toBe('payload.business_impact');
    expect(sim.refused(selfAssessEvent({ narrative: '' })).rule).toBe('payload.narrative');
  });

  it('only the lead secretary self-assesses, once, while in progress', () => {
    expect(inProgressProject().refused(selfAssessEvent({ actor: people.committee })).status).toBe(403);
    const sim = inProgressProject();
    sim.ok(selfAssessEvent());
    expect(sim.refused(selfAssessEvent())).toMatchObject({ rule: 'stage.self_assess_requires_in_progress', status: 409 });
  });

  it('inspections and rectification continue after self-assessment', () => {
    const sim = inProgressProject();
    sim.ok(selfAssessEvent());
    sim.ok({ type: 'inspectionDue', actor: timer, at: at('2025-12-11'), quarter: 4 });
    expect(sim.ok(inspectionEvent({ quarter: 4, at: at('2025-12-13'), problems: [] })).inspections).toHaveLength(1);
  });
});

describe('year-end acceptance (年底验收)', () => {
  function selfAssessed() {
    const sim = inProgressProject();
    sim.ok(evidenceEvent());
    sim.ok(selfAssessEvent());
    return sim;
  }

  it('the committee scores a clean project: no deductions, grade by threshold', () => {
    const s = selfAssessed().ok(acceptEvent());
    expect(s.stage).toBe('accepted');
    expect(s.acceptance).toEqual({
      criterionScores: [
        { criterionId: 'goal', score: 38 },
        { criterionId: 'fusion', score: 28 },
        { criterionId: 'innovation', score: 26 },
      ],
      rawScore: 92,
      deductions: [],
      totalDeduction: 0,
      finalScore: 92,
      grade: 'excellent',
      negativeList: [],
      by: 'com-1',
      at: at('2025-12-20'),
    });
    expect(GRADE_LABELS[s.acceptance?.grade ?? 'fail']).toBe('优秀');
  });

  it('open ledger entries, quarters with missing evidence and negative-list items are deducted', () => {
    const sim = inProgressProject();
    sim.ok({ type: 'inspectionDue', actor: timer, at: at('2025-04-01'), quarter: 1 }); // no evidence: missing
    sim.ok(inspectionEvent({
      problems: [
        { ...inspectionEvent().problems[0], id: 'L1' },
        { ...inspectionEvent().problems[0], id: 'L2' },
        { ...inspectionEvent().problems[0], id: 'L3' },
      ],
    }));
    sim.ok({ type: 'reportRectification', actor: people.lead, at: at('2025-05-01'), entryId: 'L1', text: '已整改' });
    sim.ok({ type: 'verifyRectification', actor: people.inspector, at: at('2025-05-02'), entryId: 'L1' });
    sim.ok({ type: 'reportRectification', actor: people.lead, at: at('2025-05-03'), entryId: 'L2', text: '已整改' }); // reported, not verified
    sim.ok(evidenceEvent({ evidenceId: 'ev-2', quarter: 2, at: at('2025-06-20') }));
    sim.ok({ type: 'inspectionDue', actor: timer, at: at('2025-07-01'), quarter: 2 }); // has evidence
    sim.ok(selfAssessEvent());
    const s = sim.ok(acceptEvent({ negativeList: ['主题党日活动走过场'] }));
    expect(s.acceptance?.deductions).toEqual([
      { code: 'open_ledger_entry', pointsEach: 2, count: 2, points: 4, detail: 'L2, L3' },
      { code: 'missing_evidence', pointsEach: 3, count: 1, points: 3, detail: 'Q1' },
      { code: 'negative_list', pointsEach: 5, count: 1, points: 5, detail: '主题党日活动走过场' },
    ]);
    expect(s.acceptance).toMatchObject({ rawScore: 92, totalDeduction: 12, finalScore: 80, grade: 'good' });
    expect(s.stage).toBe('accepted');
  });

  it('a project scoring below the pass threshold fails acceptance', () => {
    const s = selfAssessed().ok(
      acceptEvent({
        criterionScores: [
          { criterionId: 'goal', score: 20 },
          { criterionId: 'fusion', score: 20 },
          { criterionId: 'innovation', score: 10 },
        ],
      }),
    );
    expect(s.stage).toBe('failed');
    expect(s.acceptance?.grade).toBe('fail');
  });

  it('acceptance is refused with an unsettled child', () => {
    const sim = decomposedProject();
    sim.ok(selfAssessEvent());
    expect(sim.refused(acceptEvent())).toMatchObject({ rule: 'children.unsettled', status: 409, message: expect.stringContaining('c1') });
    sim.ok({ type: 'childUpdated', actor: rollup, at: at('2025-12-18'), childId: 'c1', stage: 'self_assessed', progress: 0.9 });
    expect(sim.refused(acceptEvent()).rule).toBe('children.unsettled');
    sim.ok({ type: 'childUpdated', actor: rollup, at: at('2025-12-19'), childId: 'c1', stage: 'accepted', progress: 1 });
    expect(sim.ok(acceptEvent()).stage).toBe('accepted');
  });

  it('a failed or cancelled child counts as settled', () => {
    const sim = decomposedProject();
    sim.ok({ type: 'decompose', actor: people.lead, at: at('2025-02-11'), children: [{ id: 'c2', orgId: 'org-c2', secretaryId: 'sec-c2', title: '二' }] });
    sim.ok(adjust([{ kind: 'cancelChild', childId: 'c2', reason: '撤销' }]));
    sim.ok({ type: 'childUpdated', actor: rollup, at: at('2025-12-10'), childId: 'c1', stage: 'failed', progress: 0.3 });
    sim.ok(selfAssessEvent());
    expect(sim.ok(acceptEvent()).stage).toBe('accepted');
  });

  it('a child whose proposal was rejected no longer blocks the parent’s acceptance', () => {
    const sim = decomposedProject();
    sim.ok({ type: 'childUpdated', actor: rollup, at: at('2025-02-20'), childId: 'c1', stage: 'rejected', progress: 0 });
    expect(sim.s.children[0].status).toBe('settled');
    sim.ok(selfAssessEvent());
    expect(sim.ok(acceptEvent()).stage).toBe('accepted');
  });

  it('acceptance needs the self-assessment first and the committee', () => {
    expect(inProgressProject().refused(acceptEvent())).toMatchObject({ rule: 'stage.accept_requires_self_assessed', status: 409 });
    expect(selfAssessed().refused(acceptEvent({ actor: people.inspector }))).toMatchObject({ rule: 'actor.not_committee', status: 403 });
    const sim = selfAssessed();
    sim.ok(acceptEvent());
    expect(sim.refused(acceptEvent()).rule).toBe('stage.accept_requires_self_assessed');
  });

  it('acceptance scores and the negative list are validated', () => {
    const sim = selfAssessed();
    expect(sim.refused(acceptEvent({ criterionScores: [] })).rule).toBe('payload.scores_incomplete');
    expect(sim.refused(acceptEvent({ negativeList: [''] })).rule).toBe('payload.negative_list');
  });
});

describe('scoring functions', () => {
  const thresholds = { excellent: 90, good: 80, pass: 60 };

  it('a score at a threshold earns that grade', () => {
    expect([95, 90, 89.99, 80, 79, 60, 59.5, 0].map((x) => gradeFor(x, thresholds))).toEqual([
      'excellent',
      'excellent',
      'good',
      'good',
      'pass',
      'pass',
      'fail',
      'fail',
    ]);
  });

  it('the final score never goes below zero and fractional scores do not drift', () => {
    const cycle = makeCycle();
    const state = { ledger: [], inspections: [] } as Pick<ProjectState, 'ledger' | 'inspections'>;
    const fractional = computeAcceptance(
      state,
      {
        criterionScores: [
          { criterionId: 'goal', score: 30.1 },
          { criterionId: 'fusion', score: 30.2 },
          { criterionId: 'innovation', score: 29.7 },
        ],
        negativeList: [],
      },
      cycle,
    );
    expect(fractional.rawScore).toBe(90);
    expect(fractional.grade).toBe('excellent');
    const floored = computeAcceptance(
      state,
      {
        criterionScores: [
          { criterionId: 'goal', score: 1 },
          { criterionId: 'fusion', score: 0 },
          { criterionId: 'innovation', score: 0 },
        ],
        negativeList: ['a', 'b'],
      },
      cycle,
    );
    expect(floored).toMatchObject({ rawScore: 1, totalDeduction: 10, finalScore: 0, grade: 'fail' });
  });

  it('secretaries leading too few key projects are listed', () => {
    const p = (leadSecretaryId: string, isKey: boolean, stage: ProjectState['stage']) =>
      ({ leadSecretaryId, stage, proposal: { isKey } }) as Pick<ProjectState, 'leadSecretaryId' | 'stage' | 'proposal'>;
    const shortfall = keyProjectShortfall(
      ['sec-a', 'sec-b', 'sec-c'],
      [p('sec-a', true, 'in_progress'), p('sec-b', false, 'in_progress'), p('sec-c', true, 'rejected')],
      makeCycle(),
    );
    expect(shortfall).toEqual([
      { secretaryId: 'sec-b', keyProjects: 0, required: 1 },
      { secretaryId: 'sec-c', keyProjects: 0, required: 1 },
    ]);
  });

  it('best-of candidates are accepted projects by final score, at most the list size', () => {
    const p = (id: string, stage: ProjectState['stage'], finalScore: number) =>
      ({ id, stage, acceptance: { finalScore } }) as Pick<ProjectState, 'id' | 'stage' | 'acceptance'>;
    const ranked = rankBestOf(
      [p('a', 'accepted', 85), p('b', 'failed', 99), p('c', 'accepted', 95), p('d', 'accepted', 85), p('e', 'accepted', 70)],
      makeCycle({ rules: { ...makeCycle().rules, bestOfListSize: 3 } }),
    );
    expect(ranked.map((x) => x.id)).toEqual(['c', 'a', 'd']);
  });
});
