import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  apply,
  deadlineMs,
  EVENT_LABELS,
  GRADE_LABELS,
  isFinal,
  isIsoDate,
  isSettled,
  LIFECYCLE_EVENT_TYPES,
  LifecycleRefusalError,
  PROJECT_TYPE_LABELS,
  RATING_LABELS,
  replay,
  replaySteps,
  STAGE_LABELS,
  STAGES,
  stateAt,
  subProjectCreateEvent,
  validate,
  validateCycleConfig,
} from '../../workflows/lifecycle';
import type { LifecycleEvent, ProjectState } from '../../workflows/lifecycle';
import {
  acceptEvent,
  at,
  createEvent,
  draftProject,
  evidenceEvent,
  inspectionEvent,
  makeCycle,
  people,
  rollup,
  selfAssessEvent,
  Sim,
  timer,
} from './lifecycle.fixtures';

/** A whole year of one project with a sub-project, touching every phase. */
function fullYear(): Sim {
  const sim = new Sim();
  sim.ok(createEvent());
  sim.ok({ type: 'submit', actor: people.lead, at: at('2025-01-20') });
  sim.ok({ type: 'delegateReview', actor: people.reviewer, at: at('2025-01-21'), to: { orgId: 'org-oc', userId: 'staff-oc' } });
  sim.ok({ type: 'delegateOpinion', actor: people.delegate, at: at('2025-01-22'), recommendation: 'return', opinion: '指标偏低' });
  sim.ok({ type: 'return', actor: people.reviewer, at: at('2025-01-23'), comments: '提高目标值' });
  sim.ok({
    type: 'editDraft',
    actor: people.lead,
    at: at('2025-01-24'),
    changes: { indicators: [{ id: 'i1', name: '企业满意度', unit: '%', baseline: 80, target: 98, weight: 100 }] },
  });
  sim.ok({ type: 'submit', actor: people.lead, at: at('2025-01-25') });
  sim.ok({ type: 'remindReview', actor: people.lead, at: at('2025-01-27') });
  sim.ok({ type: 'reviewTimeoutReminder', actor: timer, at: at('2025-01-28'), round: 2 });
  sim.ok({ type: 'reviewEscalated', actor: timer, at: at('2025-02-01'), round: 2 });
  sim.ok({ type: 'approve', actor: people.committeeReviewer, at: at('2025-02-02'), comment: '同意' });
  sim.ok({ type: 'signLetter', actor: people.lead, at: at('2025-02-03'), text: '责任书' });
  sim.ok({ type: 'decompose', actor: people.lead, at: at('2025-02-04'), children: [{ id: 'c1', orgId: 'org-c1', secretaryId: 'sec-c1', title: '子项目' }] });
  sim.ok({
    type: 'addMemberItem',
    actor: people.lead,
    at: at('2025-02-05'),
    item: { id: 'mi1', memberId: 'mem-1', kind: 'vanguard_post', title: '先锋岗服务', target: 50, unit: '人次' },
  });
  sim.ok({ type: 'updateMemberItemActual', actor: people.member, at: at('2025-03-01'), itemId: 'mi1', actual: 12 });
  sim.ok(evidenceEvent({ indicatorActuals: [{ indicatorId: 'i1', actual: 89 }] }));
  sim.ok({
    type: 'correctEvidence',
    actor: people.lead,
    at: at('2025-03-22'),
    evidenceId: 'ev-1b',
    supersedes: 'ev-1',
    text: '更正',
    files: [],
    indicatorActuals: [{ indicatorId: 'i1', actual: 90 }],
    reason: '口径',
  });
  sim.ok({ type: 'inspectionDue', actor: timer, at: at('2025-04-01'), quarter: 1 });
  sim.ok(inspectionEvent());
  sim.ok({ type: 'reportRectification', actor: people.lead, at: at('2025-05-10'), entryId: 'L1', text: '已整改' });
  sim.ok({ type: 'sendBackRectification', actor: people.inspector, at: at('2025-05-11'), entryId: 'L1', reason: '不完整' });
  sim.ok({ type: 'ledgerOverdueWarning', actor: timer, at: at('2025-05-29'), entryId: 'L1' });
  sim.ok({ type: 'ledgerEscalated', actor: timer, at: at('2025-06-01'), entryId: 'L1' });
  sim.ok({ type: 'reportRectification', actor: people.lead, at: at('2025-06-02'), entryId: 'L1', text: '已全部整改' });
  sim.ok({ type: 'verifyRectification', actor: people.inspector, at: at('2025-06-03'), entryId: 'L1' });
  sim.ok({ type: 'inspectionDue', actor: timer, at: at('2025-07-01'), quarter: 2 });
  sim.ok({ type: 'childUpdated', actor: rollup, at: at('2025-07-02'), childId: 'c1', stage: 'in_progress', progress: 0.5 });
  sim.ok({
    type: 'dispatch',
    actor: people.committee,
    at: at('2025-07-10'),
    decision: 'adjust',
    changes: [{ kind: 'indicatorTarget', indicatorId: 'i1', target: 95, reason: '按实际调整' }],
  });
  sim.ok(evidenceEvent({ evidenceId: 'ev-3', quarter: 3, at: at('2025-09-20'), indicatorActuals: [{ indicatorId: 'i1', actual: 95 }] }));
  sim.ok({ type: 'childUpdated', actor: rollup, at: at('2025-12-10'), childId: 'c1', stage: 'accepted', progress: 1 });
  sim.ok(selfAssessEvent());
  sim.ok(acceptEvent());
  return sim;
}

describe('replay and audit', () => {
  it('replaying the event list equals applying the events one by one', () => {
    const sim = fullYear();
    expect(replay(sim.events, sim.cycle)).toEqual(sim.s);
    expect(sim.s).toMatchObject({ stage: 'accepted', version: sim.events.length, progress: 1 });
  });

  it('replay steps give the state after each event, with the version counting events', () => {
    const sim = fullYear();
    const steps = replaySteps(sim.events, sim.cycle);
    expect(steps).toHaveLength(sim.events.length);
    expect(steps.map((s) => s.version)).toEqual(sim.events.map((_e, i) => i + 1));
    expect(steps[steps.length - 1]).toEqual(sim.s);
    expect(steps.map((s) => s.stage).filter((st, i, all) => st !== all[i - 1])).toEqual([
      'draft',
      'in_review',
      'draft',
      'in_review',
      'approved',
      'in_progress',
      'self_assessed',
      'accepted',
    ]);
  });

  it('the state survives a JSON round trip and keeps working after it (continue-as-new)', () => {
    const sim = fullYear();
    const steps = replaySteps(sim.events, sim.cycle);
    steps.forEach((state, i) => {
      const roundTripped = JSON.parse(JSON.stringify(state)) as ProjectState;
      expect(roundTripped).toEqual(state);
      const next = sim.events[i + 1];
      if (next) expect(apply(roundTripped, next, sim.cycle)).toEqual(apply(state, next, sim.cycle));
    });
  });

  it('the state holds no undefined values', () => {
    const hasUndefined = (v: unknown): boolean =>
      v === undefined || (typeof v === 'object' && v !== null && Object.values(v).some(hasUndefined));
    for (const s of replaySteps(fullYear().events, makeCycle())) expect(hasUndefined(s)).toBe(false);
  });

  it('a tampered history fails to replay, naming the event and the rule', () => {
    const events = [...fullYear().events];
    events.splice(11, 1); // drop signLetter: decomposition now comes before the letter
    let error: unknown;
    try {
      replay(events, makeCycle());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LifecycleRefusalError);
    expect(error).toMatchObject({ eventIndex: 11, eventType: 'decompose', refusal: { rule: 'stage.letter_required' } });
  });

  it('replaying nothing is an error', () => {
    expect(() => replay([], makeCycle())).toThrow();
  });

  it('the state as of a date replays the events up to it', () => {
    const sim = fullYear();
    expect(stateAt(sim.events, sim.cycle, at('2025-01-01'))).toBeNull();
    expect(stateAt(sim.events, sim.cycle, at('2025-02-02', '12:00'))?.stage).toBe('approved');
    expect(stateAt(sim.events, sim.cycle, at('2025-06-30'))?.ledger[0].status).toBe('closed');
    expect(stateAt(sim.events, sim.cycle, at('2026-01-01'))).toEqual(sim.s);
  });

  it('apply never modifies the state it is given', () => {
    const sim = draftProject();
    const deepFreeze = <T>(o: T): T => {
      if (typeof o === 'object' && o !== null) {
        Object.values(o).forEach(deepFreeze);
        Object.freeze(o);
      }
      return o;
    };
    const frozen = deepFreeze(sim.s);
    const r = apply(frozen, { type: 'submit', actor: people.lead, at: at('2025-01-20') }, sim.cycle);
    expect(r.ok).toBe(true);
    expect(frozen.stage).toBe('draft');
  });

  it('the same event on the same state always gives the same result', () => {
    const sim = draftProject();
    const e: LifecycleEvent = { type: 'submit', actor: people.lead, at: at('2025-01-20') };
    expect(apply(sim.s, e, sim.cycle)).toEqual(apply(sim.s, e, sim.cycle));
  });

  it('validate answers what apply would, without applying', () => {
    const sim = draftProject();
    expect(validate(sim.s, { type: 'submit', actor: people.lead, at: at('2025-01-20') }, sim.cycle)).toBeNull();
    expect(validate(sim.s, { type: 'approve', actor: people.reviewer, at: at('2025-01-20') }, sim.cycle)).toMatchObject({
      rule: 'stage.review_requires_in_review',
      status: 409,
    });
    expect(sim.s.stage).toBe('draft');
  });

  it('a sub-project’s own history replays like any other', () => {
    const parent = fullYear();
    const child = new Sim();
    child.ok(subProjectCreateEvent(parent.s, parent.s.children[0], people.lead, at('2025-02-04')));
    child.ok({ type: 'cancelSubProject', actor: people.committee, at: at('2025-07-10'), reason: '并入上级项目' });
    expect(replay(child.events, child.cycle)).toEqual(child.s);
  });
});

describe('every event', () => {
  it('auditors read and replay but never act', () => {
    const sim = draftProject();
    for (const type of LIFECYCLE_EVENT_TYPES) {
      const r = apply(sim.s, { type, actor: people.auditor, at: at('2025-01-20') } as LifecycleEvent, sim.cycle);
      expect(r).toMatchObject({ ok: false, refusal: { rule: 'actor.auditor_read_only', status: 403 } });
    }
  });

  it('an unknown event type is refused', () => {
    const r = draftProject().refused({ type: 'archive', actor: people.lead, at: at('2025-01-20') } as never);
    expect(r).toMatchObject({ rule: 'event.unknown_type', status: 400 });
  });

  it('an event needs an ISO-8601 time with an offset', () => {
    const sim = draftProject();
    for (const bad of ['2025-01-20', 'yesterday', '2025-13-01T00:00:00Z', '2025-01-20T09:00:00', '']) {
      expect(sim.refused({ type: 'submit', actor: people.lead, at: bad })).toMatchObject({ rule: 'event.at_invalid', status: 400 });
    }
    expect(sim.ok({ type: 'submit', actor: people.lead, at: '2025-01-20T01:00:00.000Z' }).stage).toBe('in_review');
  });

  it('a person cannot pass for the system, nor the system use an unknown identity', () => {
    const sim = draftProject();
    const fake = { userId: 'system:timer', role: 'committee', orgId: 'org-com' } as const;
    expect(sim.refused({ type: 'submit', actor: fake, at: at('2025-01-20') })).toMatchObject({ rule: 'event.actor_invalid', status: 400 });
    const rogue = { userId: 'system:admin', role: 'system', orgId: 'org-a' } as never;
    expect(sim.refused({ type: 'submit', actor: rogue, at: at('2025-01-20') }).rule).toBe('event.actor_invalid');
    expect(sim.refused({ type: 'submit', actor: { userId: 'x', role: 'boss', orgId: 'o' } as never, at: at('2025-01-20') }).rule).toBe(
      'event.actor_invalid',
    );
  });

  it('every refusal carries an English and a Chinese message', () => {
    const sim = draftProject();
    const r = sim.refused({ type: 'approve', actor: people.reviewer, at: at('2025-01-20') });
    expect(r.message).toMatch(/in_review/);
    expect(r.messageZh).toMatch(/审核中/);
  });
});

describe('labels and stage sets', () => {
  it('every stage, type, grade, rating and event has a Chinese label', () => {
    expect(Object.keys(STAGE_LABELS).sort()).toEqual([...STAGES].sort());
    expect(PROJECT_TYPE_LABELS).toEqual({ service: '服务型', improvement: '提升型', breakthrough: '破题型' });
    expect(GRADE_LABELS).toEqual({ excellent: '优秀', good: '良好', pass: '合格', fail: '不合格' });
    expect(Object.keys(RATING_LABELS).sort()).toEqual(['lagging', 'on_track', 'stalled']);
    expect(Object.keys(EVENT_LABELS).sort()).toEqual([...LIFECYCLE_EVENT_TYPES].sort());
  });

  it('settled means accepted, failed, terminated or cancelled; a rejected proposal is final but not settled', () => {
    expect(STAGES.filter(isSettled)).toEqual(['accepted', 'failed', 'terminated', 'cancelled']);
    expect(STAGES.filter(isFinal)).toEqual(['rejected', 'accepted', 'failed', 'terminated', 'cancelled']);
  });
});

describe('dates', () => {
  it('calendar dates must exist, leap days included', () => {
    expect(['2024-02-29', '2000-02-29', '2025-12-31'].map(isIsoDate)).toEqual([true, true, true]);
    expect(['2025-02-29', '1900-02-29', '2025-04-31', '2025-1-05', 20250105].map(isIsoDate)).toEqual([false, false, false, false, false]);
  });

  it('a date-only deadline lasts to the end of that day in Beijing time', () => {
    expect(deadlineMs('2025-03-31')).toBe(Date.parse('2025-03-31T15:59:59.999Z'));
    expect(deadlineMs('2025-03-31T12:00:00Z')).toBe(Date.parse('2025-03-31T12:00:00Z'));
  });
});

describe('cycle configuration', () => {
  it('the fixture cycle is valid', () => {
    expect(validateCycleConfig(makeCycle())).toBeNull();
  });

  it('bad calendars and rules are refused', () => {
    const base = makeCycle();
    const cases: [Parameters<typeof makeCycle>[0], string][] = [
      [{ year: 25 }, 'cycle.year'],
      [{ calendar: { ...base.calendar, proposalDeadline: '2025-02-30' } }, 'cycle.calendar_date'],
      [{ calendar: { ...base.calendar, quarters: base.calendar.quarters.slice(0, 3) } }, 'cycle.calendar_quarters'],
      [{ calendar: { ...base.calendar, monthlyReminderDay: 31 } }, 'cycle.monthly_reminder_day'],
      [{ calendar: { ...base.calendar, dispatchWindow: { start: '2025-07-31', end: '2025-07-01' } } }, 'cycle.calendar_window'],
      [{ reviewTimeouts: { remindAfterMs: 10, escalateAfterMs: 5 } }, 'cycle.review_timeouts'],
      [{ rules: { ...base.rules, minKeyProjectsPerSecretary: 0 } }, 'cycle.min_key_projects'],
      [{ rules: { ...base.rules, rubric: [] } }, 'cycle.rubric'],
      [{ rules: { ...base.rules, deductions: [{ code: 'late' as never, points: 1 }] } }, 'cycle.deductions'],
      [{ rules: { ...base.rules, gradeThresholds: { excellent: 80, good: 90, pass: 60 } } }, 'cycle.grade_thresholds'],
      [{ rules: { ...base.rules, bestOfListSize: 0 } }, 'cycle.best_of_list_size'],
    ];
    for (const [overrides, rule] of cases) {
      expect(validateCycleConfig(makeCycle(overrides))).toMatchObject({ rule, status: 400 });
    }
  });
});

describe('determinism of the lifecycle sources', () => {
  // These files run inside Temporal workflows: no clock, no randomness, no Node built-ins.
  const dir = join(__dirname, '../../workflows/lifecycle');
  const sources = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => [f, readFileSync(join(dir, f), 'utf8')] as const);

  it.each(sources)('%s uses no clock, randomness or Node built-ins', (_file, text) => {
    expect(text).not.toMatch(/Date\.now\(|new Date\(\)|Math\.random|performance\.now|crypto\./);
    expect(text).not.toMatch(/from ['"](node:|fs|path|os|crypto|child_process|http|https|net)['"/]/);
    expect(text).not.toMatch(/\bprocess\./);
  });
});
