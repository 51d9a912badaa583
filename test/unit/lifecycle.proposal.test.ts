import { describe, expect, it } from 'vitest';
import { apply, STAGE_LABELS } from '../../workflows/lifecycle';
import {
  approvedProject,
  at,
  createEvent,
  draftProject,
  inProgressProject,
  inReviewProject,
  makeCycle,
  people,
  proposalInput,
  Sim,
} from './lifecycle.fixtures';

describe('proposal (立项)', () => {
  it('a secretary proposes a draft for their own org', () => {
    const sim = draftProject();
    expect(sim.s).toMatchObject({
      id: 'p-1',
      stage: 'draft',
      parentId: null,
      orgId: 'org-a',
      leadSecretaryId: 'sec-a',
      reviewerOrgId: 'org-oc',
      reviewerId: 'sec-oc',
      version: 1,
      progress: 0,
      letter: null,
    });
    expect(sim.s.proposal.indicators.every((i) => i.actual === null)).toBe(true);
    expect(STAGE_LABELS[sim.s.stage]).toBe('草稿');
  });

  it('a secretary cannot propose a project for another org', () => {
    const r = new Sim().refused(createEvent({ actor: people.otherSecretary, leadSecretaryId: 'sec-b' }));
    expect(r).toMatchObject({ rule: 'actor.wrong_org', status: 403 });
  });

  it('nobody proposes a project on behalf of its lead secretary', () => {
    expect(new Sim().refused(createEvent({ actor: people.deputy }))).toMatchObject({ rule: 'actor.not_lead_secretary', status: 403 });
    expect(new Sim().refused(createEvent({ actor: people.committee }))).toMatchObject({ rule: 'actor.not_lead_secretary', status: 403 });
  });

  it('a project is created only once', () => {
    const sim = draftProject();
    expect(sim.refused(createEvent())).toMatchObject({ rule: 'project.already_created', status: 409 });
  });

  it('no event applies before the project is created', () => {
    const r = new Sim().refused({ type: 'submit', actor: people.lead, at: at('2025-01-20') });
    expect(r).toMatchObject({ rule: 'project.not_created', status: 409 });
  });

  it('a project of another cycle is refused', () => {
    expect(new Sim().refused(createEvent({ cycleId: 'cycle-2024' }))).toMatchObject({ rule: 'payload.cycle_mismatch', status: 400 });
  });

  it('the proposer cannot be their own reviewer', () => {
    const r = new Sim().refused(createEvent({ reviewer: { orgId: 'org-a', userId: 'sec-a' } }));
    expect(r).toMatchObject({ rule: 'payload.reviewer_is_proposer', status: 400 });
  });

  it('a sub-project is created on behalf of the decomposing secretary or the committee, never a member', () => {
    const child = createEvent({ projectId: 'c1', parentId: 'p-1', orgId: 'org-c1', leadSecretaryId: 'sec-c1', reviewer: { orgId: 'org-a', userId: 'sec-a' } });
    expect(new Sim().ok({ ...child, actor: people.lead }).parentId).toBe('p-1');
    expect(new Sim().ok({ ...child, actor: people.committee }).stage).toBe('draft');
    expect(new Sim().refused({ ...child, actor: people.member })).toMatchObject({ rule: 'actor.cannot_create_sub_project', status: 403 });
  });

  describe('payload validation', () => {
    const cases: [string, Parameters<typeof proposalInput>[0], string][] = [
      ['an empty title', { title: '  ' }, 'payload.title_length'],
      ['a title over 200 characters', { title: '项'.repeat(201) }, 'payload.title_length'],
      ['an unknown project type', { type: 'flagship' as never }, 'payload.project_type'],
      ['an unknown orientation', { orientation: 'both' as never }, 'payload.orientation'],
      [
        'weights not summing to 100',
        { indicators: [{ id: 'i1', name: '满意度', unit: '%', baseline: 80, target: 100, weight: 50 }] },
        'payload.indicator_weight_sum',
      ],
      [
        'a zero weight',
        {
          indicators: [
            { id: 'i1', name: '满意度', unit: '%', baseline: 80, target: 100, weight: 100 },
            { id: 'i2', name: '次数', unit: '次', baseline: 0, target: 5, weight: 0 },
          ],
        },
        'payload.indicator_weight',
      ],
      ['an indicator without a name', { indicators: [{ id: 'i1', name: '', unit: '%', baseline: 0, target: 1, weight: 100 }] }, 'payload.indicator_name'],
      ['an indicator without a unit', { indicators: [{ id: 'i1', name: '满意度', unit: ' ', baseline: 0, target: 1, weight: 100 }] }, 'payload.indicator_unit'],
      [
        'a non-finite target',
        { indicators: [{ id: 'i1', name: '满意度', unit: '%', baseline: 0, target: Number.POSITIVE_INFINITY, weight: 100 }] },
        'payload.indicator_not_finite',
      ],
      [
        'a target equal to the baseline',
        { indicators: [{ id: 'i1', name: '满意度', unit: '%', baseline: 5, target: 5, weight: 100 }] },
        'payload.indicator_target_equals_baseline',
      ],
      [
        'a duplicate indicator id',
        {
          indicators: [
            { id: 'i1', name: 'a', unit: '%', baseline: 0, target: 1, weight: 50 },
            { id: 'i1', name: 'b', unit: '%', baseline: 0, target: 1, weight: 50 },
          ],
        },
        'payload.duplicate_indicator_id',
      ],
      ['a milestone outside the cycle year', { milestones: [{ id: 'm1', title: '完成', due: '2026-01-15' }] }, 'payload.milestone_outside_cycle_year'],
      ['a milestone with an impossible date', { milestones: [{ id: 'm1', title: '完成', due: '2025-02-30' }] }, 'payload.milestone_due'],
      ['a milestone without a title', { milestones: [{ id: 'm1', title: '', due: '2025-05-01' }] }, 'payload.milestone_title'],
      [
        'a duplicate milestone id',
        {
          milestones: [
            { id: 'm1', title: 'a', due: '2025-05-01' },
            { id: 'm1', title: 'b', due: '2025-06-01' },
          ],
        },
        'payload.duplicate_milestone_id',
      ],
    ];
    it.each(cases)('a proposal with %s is refused', (_label, overrides, rule) => {
      const r = new Sim().refused(createEvent({ proposal: proposalInput(overrides) }));
      expect(r).toMatchObject({ rule, status: 400 });
      expect(r.messageZh.length).toBeGreaterThan(0);
    });

    it('a proposal missing fields is refused', () => {
      const { businessGoal: _omit, ...partial } = proposalInput();
      const r = new Sim().refused(createEvent({ proposal: partial as never }));
      expect(r).toMatchObject({ rule: 'payload.proposal_fields', status: 400 });
    });
  });

  it('the lead secretary edits a draft, replacing only the fields given', () => {
    const sim = draftProject();
    const s = sim.ok({ type: 'editDraft', actor: people.lead, at: at('2025-01-12'), changes: { title: '新标题', isKey: false } });
    expect(s.proposal.title).toBe('新标题');
    expect(s.proposal.isKey).toBe(false);
    expect(s.proposal.indicators).toHaveLength(2);
  });

  it('another secretary of the same org cannot edit the draft', () => {
    const r = draftProject().refused({ type: 'editDraft', actor: people.deputy, at: at('2025-01-12'), changes: { title: 'x' } });
    expect(r).toMatchObject({ rule: 'actor.not_lead_secretary', status: 403 });
  });

  it('an edit with unknown fields or no fields is refused', () => {
    const sim = draftProject();
    expect(sim.refused({ type: 'editDraft', actor: people.lead, at: at('2025-01-12'), changes: { budget: 5 } as never })).toMatchObject({
      rule: 'payload.unknown_field',
    });
    expect(sim.refused({ type: 'editDraft', actor: people.lead, at: at('2025-01-12'), changes: {} })).toMatchObject({ rule: 'payload.no_changes' });
  });

  it('an edit with badly weighted indicators is refused', () => {
    const r = draftProject().refused({
      type: 'editDraft',
      actor: people.lead,
      at: at('2025-01-12'),
      changes: { indicators: [{ id: 'i1', name: '满意度', unit: '%', baseline: 0, target: 1, weight: 99 }] },
    });
    expect(r).toMatchObject({ rule: 'payload.indicator_weight_sum', status: 400 });
  });

  it('a proposal under review cannot be edited', () => {
    const r = inReviewProject().refused({ type: 'editDraft', actor: people.lead, at: at('2025-01-21'), changes: { title: 'x' } });
    expect(r).toMatchObject({ rule: 'stage.edit_requires_draft', status: 409 });
  });

  it('submitting opens review round 1 with the assigned reviewer', () => {
    const s = inReviewProject().s;
    expect(s.stage).toBe('in_review');
    expect(s.review.round).toBe(1);
    expect(s.review.submittedAt).toBe(at('2025-01-20'));
    expect(s.review.history).toEqual([
      { action: 'submitted', round: 1, reviewer: { orgId: 'org-oc', userId: 'sec-oc' }, actor: people.lead, at: at('2025-01-20') },
    ]);
  });

  it('only the lead secretary submits', () => {
    const sim = draftProject();
    expect(sim.refused({ type: 'submit', actor: people.otherSecretary, at: at('2025-01-20') })).toMatchObject({ rule: 'actor.wrong_org', status: 403 });
    expect(sim.refused({ type: 'submit', actor: people.member, at: at('2025-01-20') })).toMatchObject({ rule: 'actor.not_lead_secretary', status: 403 });
  });

  it('a proposal already in review cannot be submitted again', () => {
    const r = inReviewProject().refused({ type: 'submit', actor: people.lead, at: at('2025-01-21') });
    expect(r).toMatchObject({ rule: 'stage.submit_requires_draft', status: 409 });
  });

  it('a proposal needs an indicator, a milestone and a business goal to be submitted', () => {
    const submit = { type: 'submit', actor: people.lead, at: at('2025-01-20') } as const;
    expect(draftProject(undefined, { proposal: proposalInput({ indicators: [] }) }).refused(submit)).toMatchObject({
      rule: 'payload.indicators_required',
      status: 400,
    });
    expect(draftProject(undefined, { proposal: proposalInput({ milestones: [] }) }).refused(submit)).toMatchObject({
      rule: 'payload.milestones_required',
    });
    expect(draftProject(undefined, { proposal: proposalInput({ businessGoal: '' }) }).refused(submit)).toMatchObject({
      rule: 'payload.business_goal_required',
    });
  });

  it('a problem-oriented proposal must link a problem before it is submitted', () => {
    const submit = { type: 'submit', actor: people.lead, at: at('2025-01-20') } as const;
    const unlinked = draftProject(undefined, { proposal: proposalInput({ orientation: 'problem' }) });
    expect(unlinked.refused(submit)).toMatchObject({ rule: 'payload.problem_link_required', status: 400 });
    const linked = draftProject(undefined, { proposal: proposalInput({ orientation: 'problem', problemIds: ['prob-7'] }) });
    expect(linked.ok(submit).stage).toBe('in_review');
  });
});

describe('withdraw (拿回)', () => {
  it('the proposer withdraws a submission before the reviewer acts, and may submit it again', () => {
    const sim = inReviewProject();
    const s = sim.ok({ type: 'withdraw', actor: people.lead, at: at('2025-01-21'), reason: '补充指标' });
    expect(s.stage).toBe('draft');
    expect(s.review.history.at(-1)).toMatchObject({ action: 'withdrawn', round: 1, reason: '补充指标' });
    expect(sim.ok({ type: 'submit', actor: people.lead, at: at('2025-01-22') }).review.round).toBe(2);
  });

  it('a submission cannot be withdrawn once the reviewer has delegated it', () => {
    const sim = inReviewProject();
    sim.ok({ type: 'delegateReview', actor: people.reviewer, at: at('2025-01-21'), to: { orgId: 'org-oc', userId: 'staff-oc' } });
    expect(sim.refused({ type: 'withdraw', actor: people.lead, at: at('2025-01-22') })).toMatchObject({
      rule: 'review.reviewer_already_acted',
      status: 409,
    });
  });

  it('a submission cannot be withdrawn once the reviewer has transferred it', () => {
    const sim = inReviewProject();
    sim.ok({ type: 'transferReview', actor: people.reviewer, at: at('2025-01-21'), to: { orgId: 'org-oc2', userId: 'sec-oc2' } });
    expect(sim.refused({ type: 'withdraw', actor: people.lead, at: at('2025-01-22') }).rule).toBe('review.reviewer_already_acted');
  });

  it('reminders do not count as the reviewer acting', () => {
    const sim = inReviewProject();
    sim.ok({ type: 'remindReview', actor: people.lead, at: at('2025-01-21') });
    expect(sim.ok({ type: 'withdraw', actor: people.lead, at: at('2025-01-22') }).stage).toBe('draft');
  });

  it('what the reviewer did in an earlier round does not block withdrawing in the next', () => {
    const sim = inReviewProject();
    sim.ok({ type: 'return', actor: people.reviewer, at: at('2025-01-21'), comments: '指标不够量化' });
    sim.ok({ type: 'submit', actor: people.lead, at: at('2025-01-22') });
    expect(sim.ok({ type: 'withdraw', actor: people.lead, at: at('2025-01-23') }).stage).toBe('draft');
  });

  it('only the proposer withdraws, and only while in review', () => {
    expect(inReviewProject().refused({ type: 'withdraw', actor: people.reviewer, at: at('2025-01-21') }).status).toBe(403);
    expect(draftProject().refused({ type: 'withdraw', actor: people.lead, at: at('2025-01-21') })).toMatchObject({
      rule: 'stage.withdraw_requires_in_review',
      status: 409,
    });
    expect(approvedProject().refused({ type: 'withdraw', actor: people.lead, at: at('2025-01-23') }).rule).toBe('stage.withdraw_requires_in_review');
  });
});

describe('responsibility letter (责任书)', () => {
  it('the lead secretary signs the letter and work starts', () => {
    const s = inProgressProject().s;
    expect(s.stage).toBe('in_progress');
    expect(s.letter).toEqual({ text: '本人承诺按期完成项目目标', signedBy: 'sec-a', signedAt: at('2025-02-01') });
  });

  it('only the lead secretary signs the letter', () => {
    const sim = approvedProject();
    expect(sim.refused({ type: 'signLetter', actor: people.deputy, at: at('2025-02-01'), text: '承诺' }).rule).toBe('actor.not_lead_secretary');
    expect(sim.refused({ type: 'signLetter', actor: people.committee, at: at('2025-02-01'), text: '承诺' }).status).toBe(403);
  });

  it('a letter is signed only for an approved project, and only once', () => {
    expect(inReviewProject().refused({ type: 'signLetter', actor: people.lead, at: at('2025-02-01'), text: '承诺' })).toMatchObject({
      rule: 'stage.letter_requires_approved',
      status: 409,
    });
    expect(inProgressProject().refused({ type: 'signLetter', actor: people.lead, at: at('2025-02-02'), text: '承诺' }).rule).toBe(
      'stage.letter_requires_approved',
    );
  });

  it('a letter needs its text', () => {
    expect(approvedProject().refused({ type: 'signLetter', actor: people.lead, at: at('2025-02-01'), text: ' ' })).toMatchObject({
      rule: 'payload.letter_text',
      status: 400,
    });
  });
});

describe('cycle of a project', () => {
  it('events are refused against another cycle’s configuration', () => {
    const sim = draftProject();
    const r = apply(sim.s, { type: 'submit', actor: people.lead, at: at('2025-01-20') }, makeCycle({ cycleId: 'cycle-2026' }));
    expect(r).toMatchObject({ ok: false, refusal: { rule: 'project.cycle_mismatch', status: 409 } });
  });
});
