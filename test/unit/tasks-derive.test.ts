/** tasksFor: who each stage of a project waits for, by when, and what is shown when (待办). */
import { describe, expect, it } from 'vitest';
import { daysLeft, isOverdue, tasksFor, type DerivedTask } from '../../tasks/derive';
import { timerActor } from '../../workflows/lifecycle';
import {
  acceptEvent,
  approvedProject,
  at,
  DAY,
  decomposedProject,
  draftProject,
  evidenceEvent,
  inProgressProject,
  inReviewProject,
  inspectionEvent,
  makeCycle,
  people,
  selfAssessEvent,
} from './lifecycle.fixtures';

const cycle = makeCycle();
const ms = (iso: string) => Date.parse(iso);

/** The tasks of one person, or of one role scope. */
const forUser = (tasks: DerivedTask[], userId: string) => tasks.filter((t) => t.assigneeId === userId);
const forRole = (tasks: DerivedTask[], role: 'inspector' | 'committee') => tasks.filter((t) => t.assigneeRole === role);
const kinds = (tasks: DerivedTask[]) => tasks.map((t) => t.kind).sort();

describe('tasksFor: proposal and review', () => {
  it('a draft waits for its lead secretary, due at the proposal deadline, with the submit action', () => {
    const sim = draftProject();
    const tasks = tasksFor(sim.s, cycle);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      key: 'draft',
      kind: 'draft',
      label: '完善立项草稿',
      assigneeId: 'sec-a',
      assigneeRole: null,
      projectId: 'p-1',
      projectTitle: sim.s.proposal.title,
      cycleId: 'cycle-2025',
      action: 'POST /projects/p-1/submit',
      deadline: '2025-01-31',
      deadlineAtMs: ms('2025-01-31T23:59:59.999+08:00'),
      visibleFromMs: null,
    });
  });

  it('after submit the reviewer has a review task and the secretary none', () => {
    const sim = inReviewProject();
    const tasks = tasksFor(sim.s, cycle);
    expect(forUser(tasks, 'sec-a')).toEqual([]);
    const [review] = forUser(tasks, 'sec-oc');
    expect(review).toMatchObject({ kind: 'review', action: 'POST /projects/p-1/review' });
    // Submitted 2025-01-20 09:00: the 3-day review timeout comes before the review deadline.
    expect(review.deadlineAtMs).toBe(ms(at('2025-01-20')) + 3 * DAY);
  });

  it('a delegation adds the delegate opinion; the reviewer keeps the review', () => {
    const sim = inReviewProject();
    sim.ok({ type: 'delegateReview', actor: people.reviewer, at: at('2025-01-21'), to: { orgId: 'org-oc', userId: 'staff-oc' }, note: null });
    const tasks = tasksFor(sim.s, cycle);
    expect(forUser(tasks, 'staff-oc').map((t) => [t.kind, t.action])).toEqual([['delegate_opinion', 'POST /projects/p-1/review/opinion']]);
    expect(kinds(forUser(tasks, 'sec-oc'))).toEqual(['review']);
    sim.ok({ type: 'delegateOpinion', actor: people.delegate, at: at('2025-01-22'), recommendation: 'approve', opinion: '同意' });
    expect(forUser(tasksFor(sim.s, cycle), 'staff-oc')).toEqual([]);
  });

  it('a returned proposal is a revision task for the secretary naming the comments', () => {
    const sim = inReviewProject();
    sim.ok({ type: 'return', actor: people.reviewer, at: at('2025-01-22'), comments: '请细化指标' });
    const tasks = tasksFor(sim.s, cycle);
    expect(tasks.map((t) => [t.kind, t.assigneeId, t.label])).toEqual([['revise', 'sec-a', '按意见修改退回的立项：请细化指标']]);
  });

  it('a review escalated by the timer waits for the cycle’s committee user', () => {
    const sim = inReviewProject();
    sim.ok({ type: 'reviewEscalated', actor: timerActor('org-a'), at: at('2025-01-28'), round: 1 });
    const tasks = tasksFor(sim.s, cycle);
    expect(tasks.map((t) => [t.kind, t.assigneeId])).toEqual([['escalated_review', 'com-rev']]);
  });

  it('after approval the letter task appears for the lead, due at the letter deadline', () => {
    const tasks = tasksFor(approvedProject().s, cycle);
    expect(tasks.map((t) => [t.kind, t.assigneeId, t.deadline, t.action])).toEqual([['letter', 'sec-a', '2025-03-15', 'POST /projects/p-1/letter']]);
  });

  it('a rejected project waits for nobody', () => {
    const sim = inReviewProject();
    sim.ok({ type: 'reject', actor: people.reviewer, at: at('2025-01-22'), reason: '与业务无关' });
    expect(tasksFor(sim.s, cycle)).toEqual([]);
  });
});

describe('tasksFor: work under way', () => {
  it('after the letter: decomposition, Q1–Q4 evidence, self-assessment for the lead; inspections for inspectors; dispatch for the committee', () => {
    const tasks = tasksFor(inProgressProject().s, cycle);
    expect(kinds(forUser(tasks, 'sec-a'))).toEqual(['decompose', 'evidence', 'evidence', 'evidence', 'evidence', 'self_assessment']);
    expect(forRole(tasks, 'inspector').map((t) => [t.key, t.orgId, t.deadline])).toEqual([
      ['inspection:Q1', 'org-a', '2025-04-15'],
      ['inspection:Q2', 'org-a', '2025-07-15'],
      ['inspection:Q3', 'org-a', '2025-10-15'],
      ['inspection:Q4', 'org-a', '2025-12-20'],
    ]);
    expect(forRole(tasks, 'committee').map((t) => [t.kind, t.orgId, t.deadline])).toEqual([['dispatch', 'org-com', '2025-07-31']]);
  });

  it('with a clock, only this quarter’s evidence shows; an inspection shows once it falls due', () => {
    const sim = inProgressProject();
    const inFebruary = tasksFor(sim.s, cycle, { nowMs: ms(at('2025-02-05')) });
    expect(forUser(inFebruary, 'sec-a').filter((t) => t.kind === 'evidence').map((t) => t.label)).toEqual(['报送季度佐证材料：第一季度']);
    expect(forRole(inFebruary, 'inspector')).toEqual([]);
    const inApril = tasksFor(sim.s, cycle, { nowMs: ms(at('2025-04-02')) });
    expect(forUser(inApril, 'sec-a').filter((t) => t.kind === 'evidence').map((t) => t.key)).toEqual(['evidence:Q1', 'evidence:Q2']);
    expect(forRole(inApril, 'inspector').map((t) => t.key)).toEqual(['inspection:Q1']);
  });

  it('evidence for a quarter removes its task; a decomposition removes the decompose task', () => {
    const sim = decomposedProject();
    sim.ok(evidenceEvent());
    const lead = forUser(tasksFor(sim.s, cycle), 'sec-a');
    expect(lead.map((t) => t.key)).not.toContain('evidence:Q1');
    expect(lead.map((t) => t.key)).not.toContain('decompose');
  });

  it('an org without lower-level orgs is not asked to decompose', () => {
    const tasks = tasksFor(inProgressProject().s, cycle, { hasLowerOrgs: false });
    expect(tasks.map((t) => t.kind)).not.toContain('decompose');
  });

  it('member items wait for their member until the target is reached', () => {
    const sim = inProgressProject();
    sim.ok({ type: 'addMemberItem', actor: people.lead, at: at('2025-02-02'), item: { id: 'mi-1', memberId: 'mem-1', kind: 'pledge', title: '走访企业', target: 5, unit: '家' } });
    expect(forUser(tasksFor(sim.s, cycle), 'mem-1').map((t) => [t.kind, t.action])).toEqual([['member_item', 'POST /projects/p-1/member-items/mi-1/actual']]);
    sim.ok({ type: 'updateMemberItemActual', actor: people.member, at: at('2025-03-02'), itemId: 'mi-1', actual: 5 });
    expect(forUser(tasksFor(sim.s, cycle), 'mem-1')).toEqual([]);
  });
});

describe('tasksFor: inspections and the rectification ledger', () => {
  function inspected() {
    const sim = inProgressProject();
    sim.ok({ type: 'inspectionDue', actor: timerActor('org-a'), at: at('2025-04-01', '00:01'), quarter: 1 });
    sim.ok(inspectionEvent());
    return sim;
  }

  it('a recorded inspection leaves the quarter’s list; each problem is a rectification task for the responsible person', () => {
    const tasks = tasksFor(inspected().s, cycle);
    expect(forRole(tasks, 'inspector').map((t) => t.key)).not.toContain('inspection:Q1');
    expect(forUser(tasks, 'sec-a').find((t) => t.kind === 'rectify')).toMatchObject({
      key: 'rectify:L1',
      deadline: '2025-05-31',
      action: 'POST /projects/p-1/rectifications/L1/report',
      label: '整改台账问题：走访记录缺少企业签字',
    });
    // The quarter's inspection is recorded after its deadline: its missing evidence is a finding, no longer a task.
    expect(forUser(tasks, 'sec-a').map((t) => t.key)).not.toContain('evidence:Q1');
  });

  it('an inspection recorded before the quarter falls due leaves the quarter’s evidence asked for', () => {
    const sim = inProgressProject();
    sim.ok(inspectionEvent({ at: at('2025-03-20') }));
    expect(forUser(tasksFor(sim.s, cycle), 'sec-a').map((t) => t.key)).toContain('evidence:Q1');
  });

  it('a top-level project late for the calendar is overdue rather than given a new deadline', () => {
    const sim = draftProject(cycle, { at: at('2025-02-10') });
    const [draft] = tasksFor(sim.s, cycle);
    expect(draft.deadline).toBe('2025-01-31');
    expect(isOverdue(draft.deadline, ms(at('2025-02-10')))).toBe(true);
  });

  it('a reported rectification waits for the inspectors; sent back it is a task for the secretary again', () => {
    const sim = inspected();
    sim.ok({ type: 'reportRectification', actor: people.lead, at: at('2025-05-10'), entryId: 'L1', text: '已补齐签字' });
    let tasks = tasksFor(sim.s, cycle);
    expect(forUser(tasks, 'sec-a').map((t) => t.kind)).not.toContain('rectify');
    expect(forRole(tasks, 'inspector').find((t) => t.kind === 'verify_rectification')).toMatchObject({ key: 'verify:L1', orgId: 'org-a', action: 'POST /projects/p-1/rectifications/L1/verify' });
    sim.ok({ type: 'sendBackRectification', actor: people.inspector, at: at('2025-05-12'), entryId: 'L1', reason: '签字不全' });
    tasks = tasksFor(sim.s, cycle);
    expect(forUser(tasks, 'sec-a').find((t) => t.key === 'rectify:L1')?.kind).toBe('rectify_again');
    expect(forRole(tasks, 'inspector').map((t) => t.kind)).not.toContain('verify_rectification');
  });

  it('an escalated ledger entry is a committee task until it is closed', () => {
    const sim = inspected();
    sim.ok({ type: 'ledgerEscalated', actor: timerActor('org-a'), at: at('2025-06-01'), entryId: 'L1' });
    expect(forRole(tasksFor(sim.s, cycle), 'committee').map((t) => t.key)).toContain('escalated:L1');
    sim.ok({ type: 'reportRectification', actor: people.lead, at: at('2025-06-02'), entryId: 'L1', text: '已补齐签字' });
    sim.ok({ type: 'verifyRectification', actor: people.inspector, at: at('2025-06-03'), entryId: 'L1' });
    expect(forRole(tasksFor(sim.s, cycle), 'committee').map((t) => t.key)).not.toContain('escalated:L1');
  });
});

describe('tasksFor: dispatch, self-assessment and acceptance', () => {
  it('dispatch shows from the window’s first day and leaves with the decision', () => {
    const sim = inProgressProject();
    expect(forRole(tasksFor(sim.s, cycle, { nowMs: ms(at('2025-06-30', '23:00')) }), 'committee')).toEqual([]);
    expect(forRole(tasksFor(sim.s, cycle, { nowMs: ms(at('2025-07-01', '00:00')) }), 'committee').map((t) => t.kind)).toEqual(['dispatch']);
    sim.ok({ type: 'dispatch', actor: people.committee, at: at('2025-07-10'), decision: 'continue', changes: [] });
    expect(forRole(tasksFor(sim.s, cycle), 'committee')).toEqual([]);
  });

  it('self-assessment then acceptance: the lead’s task becomes the committee’s, and an accepted project waits for nobody', () => {
    const sim = inProgressProject();
    sim.ok(selfAssessEvent());
    let tasks = tasksFor(sim.s, cycle);
    expect(forUser(tasks, 'sec-a')).toEqual([]);
    expect(forRole(tasks, 'committee').map((t) => [t.kind, t.deadline])).toEqual([['acceptance', '2025-12-31']]);
    sim.ok(acceptEvent());
    tasks = tasksFor(sim.s, cycle);
    expect(tasks).toEqual([]);
  });

  it('no acceptance task while a sub-project is unsettled', () => {
    const sim = decomposedProject();
    sim.ok(selfAssessEvent());
    expect(tasksFor(sim.s, cycle).map((t) => t.kind)).not.toContain('acceptance');
  });
});

describe('tasksFor: sub-projects', () => {
  it('a sub-project created after the proposal deadline is due at the next deadline of the calendar', () => {
    const sim = draftProject(cycle, { projectId: 'c1', parentId: 'p-1', orgId: 'org-c1', leadSecretaryId: 'sec-c1', at: at('2025-02-10') });
    const [draft] = tasksFor(sim.s, cycle);
    expect(draft).toMatchObject({ kind: 'draft', assigneeId: 'sec-c1', deadline: '2025-02-28' });
  });
});

describe('days left and overdue (Asia/Shanghai calendar days)', () => {
  it('a date deadline lasts until the end of that Beijing day', () => {
    expect(daysLeft('2025-05-31', ms('2025-05-31T23:59:00+08:00'))).toBe(0);
    expect(isOverdue('2025-05-31', ms('2025-05-31T23:59:00+08:00'))).toBe(false);
    expect(isOverdue('2025-05-31', ms('2025-06-01T00:00:00+08:00'))).toBe(true);
    expect(daysLeft('2025-05-31', ms('2025-06-01T00:00:00+08:00'))).toBe(-1);
    // 2025-05-30 20:00 UTC is already 31 May in Beijing.
    expect(daysLeft('2025-05-31', ms('2025-05-30T20:00:00Z'))).toBe(0);
    expect(daysLeft('2025-05-31', ms('2025-05-29T09:00:00+08:00'))).toBe(2);
  });

  it('a date-time deadline counts the Beijing day of that instant', () => {
    expect(daysLeft('2025-05-31T17:00:00Z', ms('2025-05-31T09:00:00+08:00'))).toBe(1);
    expect(isOverdue('2025-05-31T17:00:00Z', ms('2025-06-01T01:00:01+08:00'))).toBe(true);
  });

  it('the same state gives the same tasks', () => {
    const sim = inProgressProject();
    expect(tasksFor(sim.s, cycle)).toEqual(tasksFor(JSON.parse(JSON.stringify(sim.s)), cycle));
  });
});
