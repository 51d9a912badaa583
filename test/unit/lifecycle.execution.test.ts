import { describe, expect, it } from 'vitest';
import { apply, computeProgress, subProjectCreateEvent } from '../../workflows/lifecycle';
import type { CorrectEvidenceEvent } from '../../workflows/lifecycle';
import {
  approvedProject,
  at,
  decomposedProject,
  evidenceEvent,
  file,
  inProgressProject,
  inReviewProject,
  makeCycle,
  people,
  rollup,
  Sim,
  timer,
} from './lifecycle.fixtures';

describe('letter before work', () => {
  it('evidence, decomposition and member items need the signed letter', () => {
    const sim = approvedProject();
    expect(sim.refused(evidenceEvent())).toMatchObject({ rule: 'stage.letter_required', status: 409 });
    expect(
      sim.refused({ type: 'decompose', actor: people.lead, at: at('2025-01-25'), children: [{ id: 'c1', orgId: 'org-c1', secretaryId: 'sec-c1', title: '子项目' }] }),
    ).toMatchObject({ rule: 'stage.letter_required', status: 409 });
    expect(
      sim.refused({
        type: 'addMemberItem',
        actor: people.lead,
        at: at('2025-01-25'),
        item: { id: 'mi1', memberId: 'mem-1', kind: 'pledge', title: '走访企业', target: 10, unit: '家' },
      }).rule,
    ).toBe('stage.letter_required');
  });

  it('evidence is refused before approval with the plain stage rule', () => {
    expect(inReviewProject().refused(evidenceEvent())).toMatchObject({ rule: 'stage.evidence_requires_in_progress', status: 409 });
  });
});

describe('1+N decomposition (1+N分解)', () => {
  it('the lead secretary splits the project into sub-projects for lower-level orgs', () => {
    const sim = inProgressProject();
    const s = sim.ok({
      type: 'decompose',
      actor: people.lead,
      at: at('2025-02-10'),
      children: [
        { id: 'c1', orgId: 'org-c1', secretaryId: 'sec-c1', title: '一支部子项目' },
        { id: 'c2', orgId: 'org-c2', secretaryId: 'sec-c2', title: '二支部子项目' },
      ],
    });
    expect(s.children).toEqual([
      { id: 'c1', orgId: 'org-c1', secretaryId: 'sec-c1', title: '一支部子项目', status: 'active', stage: 'draft', progress: 0, addedAt: at('2025-02-10') },
      { id: 'c2', orgId: 'org-c2', secretaryId: 'sec-c2', title: '二支部子项目', status: 'active', stage: 'draft', progress: 0, addedAt: at('2025-02-10') },
    ]);
  });

  it('decomposition can be repeated while the project is in progress, with fresh ids', () => {
    const sim = decomposedProject();
    const s = sim.ok({ type: 'decompose', actor: people.lead, at: at('2025-03-01'), children: [{ id: 'c2', orgId: 'org-c2', secretaryId: 'sec-c2', title: '新增' }] });
    expect(s.children.map((c) => c.id)).toEqual(['c1', 'c2']);
    expect(
      sim.refused({ type: 'decompose', actor: people.lead, at: at('2025-03-02'), children: [{ id: 'c1', orgId: 'org-c3', secretaryId: 'sec-c3', title: '重复' }] }),
    ).toMatchObject({ rule: 'payload.duplicate_child_id', status: 400 });
  });

  it('a decomposition needs sub-projects for other orgs and secretaries', () => {
    const sim = inProgressProject();
    const base = { type: 'decompose', actor: people.lead, at: at('2025-02-10') } as const;
    expect(sim.refused({ ...base, children: [] }).rule).toBe('payload.children_required');
    expect(sim.refused({ ...base, children: [{ id: 'c1', orgId: 'org-a', secretaryId: 'sec-x', title: '本级' }] }).rule).toBe('payload.child_same_org');
    expect(sim.refused({ ...base, children: [{ id: 'c1', orgId: 'org-c1', secretaryId: 'sec-a', title: '本人' }] }).rule).toBe('payload.child_same_secretary');
    expect(sim.refused({ ...base, children: [{ id: 'c1', orgId: 'org-c1', secretaryId: 'sec-c1', title: '' }] }).rule).toBe('payload.title_length');
    expect(
      sim.refused({
        ...base,
        children: [
          { id: 'c1', orgId: 'org-c1', secretaryId: 'sec-c1', title: 'a' },
          { id: 'c1', orgId: 'org-c2', secretaryId: 'sec-c2', title: 'b' },
        ],
      }).rule,
    ).toBe('payload.duplicate_child_id');
  });

  it('only the lead secretary decomposes', () => {
    const r = inProgressProject().refused({
      type: 'decompose',
      actor: people.committee,
      at: at('2025-02-10'),
      children: [{ id: 'c1', orgId: 'org-c1', secretaryId: 'sec-c1', title: '子项目' }],
    });
    expect(r).toMatchObject({ rule: 'actor.not_lead_secretary', status: 403 });
  });

  it('a sub-project starts as a draft reviewed by the parent’s lead secretary and runs the same lifecycle', () => {
    const parent = decomposedProject();
    const child = new Sim();
    const create = subProjectCreateEvent(parent.s, parent.s.children[0], people.lead, at('2025-02-10'));
    let s = child.ok(create);
    expect(s).toMatchObject({ id: 'c1', parentId: 'p-1', orgId: 'org-c1', leadSecretaryId: 'sec-c1', reviewerId: 'sec-a', stage: 'draft' });
    expect(s.proposal).toMatchObject({ title: '支部服务企业子项目', type: 'improvement', isKey: false, indicators: [], milestones: [] });
    child.ok({
      type: 'editDraft',
      actor: people.childSecretary,
      at: at('2025-02-11'),
      changes: {
        indicators: [{ id: 'k1', name: '走访企业数', unit: '家', baseline: 0, target: 10, weight: 100 }],
        milestones: [{ id: 'km1', title: '完成走访', due: '2025-09-30' }],
      },
    });
    child.ok({ type: 'submit', actor: people.childSecretary, at: at('2025-02-12') });
    child.ok({ type: 'approve', actor: people.lead, at: at('2025-02-13') });
    child.ok({ type: 'signLetter', actor: people.childSecretary, at: at('2025-02-14'), text: '承诺' });
    s = child.ok(evidenceEvent({ actor: people.childSecretary, indicatorActuals: [{ indicatorId: 'k1', actual: 5 }] }));
    expect(s.progress).toBe(0.5);
  });

  it('a child’s stage and progress roll up to the parent', () => {
    const sim = decomposedProject();
    sim.ok(evidenceEvent({ indicatorActuals: [{ indicatorId: 'i1', actual: 100 }, { indicatorId: 'i2', actual: 20 }] }));
    expect(sim.s.progress).toBe(0.5); // own 1.0 beside one child at 0
    const s = sim.ok({ type: 'childUpdated', actor: rollup, at: at('2025-03-25'), childId: 'c1', stage: 'in_progress', progress: 0.5 });
    expect(s.children[0]).toMatchObject({ stage: 'in_progress', progress: 0.5, status: 'active' });
    expect(s.progress).toBe(0.75);
    expect(computeProgress(s)).toBe(0.75);
  });

  it('a child reporting a settled stage becomes settled', () => {
    const sim = decomposedProject();
    expect(sim.ok({ type: 'childUpdated', actor: rollup, at: at('2025-12-20'), childId: 'c1', stage: 'accepted', progress: 1 }).children[0].status).toBe('settled');
  });

  it('child updates come only from the engine and name a known child with a valid progress', () => {
    const sim = decomposedProject();
    const base = { type: 'childUpdated', at: at('2025-03-25'), childId: 'c1', stage: 'in_progress', progress: 0.3 } as const;
    expect(sim.refused({ ...base, actor: people.childSecretary })).toMatchObject({ rule: 'actor.not_rollup', status: 403 });
    expect(sim.refused({ ...base, actor: timer }).rule).toBe('actor.not_rollup');
    expect(sim.refused({ ...base, actor: rollup, childId: 'c9' })).toMatchObject({ rule: 'payload.unknown_child', status: 400 });
    expect(sim.refused({ ...base, actor: rollup, progress: 1.5 }).rule).toBe('payload.child_progress');
    expect(sim.refused({ ...base, actor: rollup, stage: 'archived' as never }).rule).toBe('payload.child_stage');
  });
});

describe('member items (承诺践诺 / 个人突破清单 / 党员先锋岗)', () => {
  const add = (id: string, memberId: string) =>
    ({
      type: 'addMemberItem',
      actor: people.lead,
      at: at('2025-02-15'),
      item: { id, memberId, kind: 'pledge', title: '每月走访企业', target: 12, unit: '次' },
    }) as const;

  it('the lead secretary adds a member’s item and the member records the actual', () => {
    const sim = inProgressProject();
    sim.ok(add('mi1', 'mem-1'));
    const s = sim.ok({ type: 'updateMemberItemActual', actor: people.member, at: at('2025-03-01'), itemId: 'mi1', actual: 3 });
    expect(s.memberItems[0]).toMatchObject({ id: 'mi1', memberId: 'mem-1', kind: 'pledge', target: 12, actual: 3, updatedAt: at('2025-03-01') });
  });

  it('a member edits only their own item', () => {
    const sim = inProgressProject();
    sim.ok(add('mi1', 'mem-1'));
    expect(sim.refused({ type: 'updateMemberItemActual', actor: people.otherMember, at: at('2025-03-01'), itemId: 'mi1', actual: 3 })).toMatchObject({
      rule: 'actor.not_item_owner',
      status: 403,
    });
    expect(sim.refused({ type: 'updateMemberItemActual', actor: people.lead, at: at('2025-03-01'), itemId: 'mi1', actual: 3 })).toMatchObject({
      rule: 'actor.not_member',
      status: 403,
    });
  });

  it('member items are validated', () => {
    const sim = inProgressProject();
    sim.ok(add('mi1', 'mem-1'));
    expect(sim.refused(add('mi1', 'mem-2')).rule).toBe('payload.duplicate_member_item_id');
    const bad = add('mi2', 'mem-1');
    expect(sim.refused({ ...bad, item: { ...bad.item, kind: 'badge' as never } }).rule).toBe('payload.member_item_kind');
    expect(sim.refused({ ...bad, item: { ...bad.item, target: Number.NaN } }).rule).toBe('payload.member_item_target');
    expect(sim.refused({ ...bad, item: { ...bad.item, unit: '' } }).rule).toBe('payload.member_item_unit');
    expect(sim.refused({ type: 'updateMemberItemActual', actor: people.member, at: at('2025-03-01'), itemId: 'mi1', actual: Number.NaN }).rule).toBe(
      'payload.member_item_actual',
    );
    expect(sim.refused({ type: 'updateMemberItemActual', actor: people.member, at: at('2025-03-01'), itemId: 'zz', actual: 1 }).rule).toBe(
      'payload.unknown_member_item',
    );
  });

  it('only the lead secretary adds member items', () => {
    expect(inProgressProject().refused({ ...add('mi1', 'mem-1'), actor: people.member }).status).toBe(403);
  });
});

describe('milestone evidence (佐证材料)', () => {
  it('the lead secretary submits evidence; indicator actuals update the progress', () => {
    const sim = inProgressProject();
    const s = sim.ok(evidenceEvent({ files: [file('a.pdf', 'ABCDEF'.padEnd(64, '0'), 10)] }));
    expect(s.evidence[0]).toMatchObject({ id: 'ev-1', quarter: 1, version: 1, supersedes: null, supersededBy: null, submittedBy: 'sec-a', at: at('2025-03-20') });
    expect(s.evidence[0].files[0].sha256).toBe('abcdef'.padEnd(64, '0'));
    expect(s.proposal.indicators.find((i) => i.id === 'i2')?.actual).toBe(10);
    expect(s.progress).toBe(0.2); // i2 halfway (weight 40)
  });

  it('evidence may be for a milestone instead of a quarter', () => {
    const s = inProgressProject().ok(evidenceEvent({ quarter: null, milestoneId: 'm1' }));
    expect(s.evidence[0]).toMatchObject({ quarter: null, milestoneId: 'm1' });
  });

  it('a secretary of another org cannot submit evidence', () => {
    expect(inProgressProject().refused(evidenceEvent({ actor: people.otherSecretary }))).toMatchObject({ rule: 'actor.wrong_org', status: 403 });
  });

  it('another secretary of the same org cannot submit evidence', () => {
    expect(inProgressProject().refused(evidenceEvent({ actor: people.deputy }))).toMatchObject({ rule: 'actor.not_lead_secretary', status: 403 });
  });

  describe('evidence validation', () => {
    const cases: [string, Parameters<typeof evidenceEvent>[0], string][] = [
      ['a quarter outside 1..4', { quarter: 5 as never }, 'payload.evidence_quarter'],
      ['an unknown milestone', { quarter: null, milestoneId: 'm9' }, 'payload.unknown_milestone'],
      ['neither quarter nor milestone', { quarter: null, milestoneId: null }, 'payload.evidence_target_required'],
      ['no text and no files', { text: ' ', files: [] }, 'payload.evidence_empty'],
      ['a malformed SHA-256', { files: [file('a.pdf', 'xyz')] }, 'payload.file_sha256'],
      ['a file without a name', { files: [file('')] }, 'payload.file_name'],
      ['a negative file size', { files: [file('a.pdf', 'a'.repeat(64), -1)] }, 'payload.file_size'],
      ['an unknown indicator', { indicatorActuals: [{ indicatorId: 'i9', actual: 1 }] }, 'payload.unknown_indicator'],
      ['a non-finite actual', { indicatorActuals: [{ indicatorId: 'i1', actual: Number.NaN }] }, 'payload.indicator_actual_not_finite'],
      [
        'the same indicator twice',
        {
          indicatorActuals: [
            { indicatorId: 'i1', actual: 1 },
            { indicatorId: 'i1', actual: 2 },
          ],
        },
        'payload.duplicate_indicator_actual',
      ],
      ['a missing id', { evidenceId: '' }, 'payload.evidence_id'],
    ];
    it.each(cases)('evidence with %s is refused', (_label, overrides, rule) => {
      expect(inProgressProject().refused(evidenceEvent(overrides))).toMatchObject({ rule, status: 400 });
    });

    it('evidence with text only or files only is accepted', () => {
      const sim = inProgressProject();
      sim.ok(evidenceEvent({ files: [] }));
      expect(sim.ok(evidenceEvent({ evidenceId: 'ev-2', text: '', files: [file()] })).evidence).toHaveLength(2);
    });

    it('an evidence id is used once', () => {
      const sim = inProgressProject();
      sim.ok(evidenceEvent());
      expect(sim.refused(evidenceEvent()).rule).toBe('payload.duplicate_evidence_id');
    });
  });

  describe('corrections', () => {
    const correction = (overrides: Partial<CorrectEvidenceEvent> = {}): CorrectEvidenceEvent => ({
      type: 'correctEvidence',
      actor: people.lead,
      at: at('2025-03-25'),
      evidenceId: 'ev-1b',
      supersedes: 'ev-1',
      text: '更正：一季度走访企业8家',
      files: [file('b.pdf', 'b'.repeat(64))],
      indicatorActuals: [{ indicatorId: 'i2', actual: 8 }],
      reason: '统计口径有误',
      ...overrides,
    });

    it('a correction supersedes an earlier version and never overwrites it', () => {
      const sim = inProgressProject();
      const original = sim.ok(evidenceEvent()).evidence[0];
      const s = sim.ok(correction());
      expect(s.evidence).toHaveLength(2);
      expect(s.evidence[0]).toEqual({ ...original, supersededBy: 'ev-1b' });
      expect(s.evidence[1]).toMatchObject({ id: 'ev-1b', version: 2, supersedes: 'ev-1', quarter: 1, correctionReason: '统计口径有误' });
      expect(s.proposal.indicators.find((i) => i.id === 'i2')?.actual).toBe(8);
    });

    it('only the latest version can be corrected', () => {
      const sim = inProgressProject();
      sim.ok(evidenceEvent());
      sim.ok(correction());
      expect(sim.refused(correction({ evidenceId: 'ev-1c' }))).toMatchObject({ rule: 'evidence.already_superseded', status: 409 });
      expect(sim.ok(correction({ evidenceId: 'ev-1c', supersedes: 'ev-1b' })).evidence[2].version).toBe(3);
    });

    it('correcting older evidence does not override a later quarter’s figures', () => {
      const sim = inProgressProject();
      sim.ok(evidenceEvent());
      sim.ok(evidenceEvent({ evidenceId: 'ev-2', quarter: 2, at: at('2025-06-20'), indicatorActuals: [{ indicatorId: 'i2', actual: 15 }] }));
      const s = sim.ok(correction({ at: at('2025-06-25') }));
      expect(s.proposal.indicators.find((i) => i.id === 'i2')?.actual).toBe(15);
    });

    it('a correction needs a known original, a reason and valid content', () => {
      const sim = inProgressProject();
      sim.ok(evidenceEvent());
      expect(sim.refused(correction({ supersedes: 'nope' })).rule).toBe('payload.unknown_evidence');
      expect(sim.refused(correction({ reason: '' })).rule).toBe('payload.correction_reason');
      expect(sim.refused(correction({ evidenceId: 'ev-1' })).rule).toBe('payload.duplicate_evidence_id');
      expect(sim.refused(correction({ indicatorActuals: [{ indicatorId: 'zz', actual: 1 }] })).rule).toBe('payload.unknown_indicator');
      expect(sim.refused(correction({ actor: people.otherSecretary })).rule).toBe('actor.wrong_org');
    });
  });
});

describe('sub-project side of dispatch', () => {
  function childSim(): Sim {
    const parent = decomposedProject();
    const child = new Sim();
    child.ok(subProjectCreateEvent(parent.s, parent.s.children[0], people.lead, at('2025-02-10')));
    return child;
  }

  it('the committee cancels a sub-project', () => {
    const child = childSim();
    const s = child.ok({ type: 'cancelSubProject', actor: people.committee, at: at('2025-07-10'), reason: '任务调整' });
    expect(s.stage).toBe('cancelled');
    expect(s.cancellation).toEqual({ reason: '任务调整', by: 'com-1', at: at('2025-07-10') });
    expect(child.refused({ type: 'cancelSubProject', actor: people.committee, at: at('2025-07-11'), reason: '再次' }).rule).toBe(
      'stage.cancel_requires_open',
    );
  });

  it('the committee reassigns a sub-project to another org and secretary', () => {
    const child = childSim();
    const s = child.ok({ type: 'reassignSubProject', actor: people.committee, at: at('2025-07-10'), orgId: 'org-c2', leadSecretaryId: 'sec-c2', reason: '职能调整' });
    expect(s).toMatchObject({ orgId: 'org-c2', leadSecretaryId: 'sec-c2' });
    expect(s.reassignments).toEqual([
      { from: { orgId: 'org-c1', userId: 'sec-c1' }, to: { orgId: 'org-c2', userId: 'sec-c2' }, reason: '职能调整', by: 'com-1', at: at('2025-07-10') },
    ]);
    // The new secretary now acts for the sub-project; the old one no longer does.
    const edit = { type: 'editDraft', at: at('2025-07-11'), changes: { title: '新' } } as const;
    expect(child.refused({ ...edit, actor: people.childSecretary }).status).toBe(403);
    expect(child.ok({ ...edit, actor: people.secondChildSecretary }).proposal.title).toBe('新');
  });

  it('only a sub-project can be cancelled or reassigned, and only by the committee', () => {
    const top = inProgressProject();
    expect(top.refused({ type: 'cancelSubProject', actor: people.committee, at: at('2025-07-10'), reason: 'x' })).toMatchObject({
      rule: 'project.not_sub_project',
      status: 409,
    });
    const child = childSim();
    expect(child.refused({ type: 'cancelSubProject', actor: people.lead, at: at('2025-07-10'), reason: 'x' })).toMatchObject({
      rule: 'actor.not_committee',
      status: 403,
    });
    expect(
      child.refused({ type: 'reassignSubProject', actor: people.committee, at: at('2025-07-10'), orgId: 'org-c1', leadSecretaryId: 'sec-c1', reason: 'x' }).rule,
    ).toBe('payload.reassign_unchanged');
    expect(
      child.refused({ type: 'reassignSubProject', actor: people.committee, at: at('2025-07-10'), orgId: 'org-a', leadSecretaryId: 'sec-a', reason: 'x' }).rule,
    ).toBe('payload.reviewer_is_proposer');
  });

  it('the engine relays the parent’s dispatch to the sub-project; a timer cannot', () => {
    const relay = rollup;
    expect(childSim().ok({ type: 'cancelSubProject', actor: relay, at: at('2025-07-10'), reason: '任务调整' }).cancellation?.by).toBe('system:rollup');
    expect(
      childSim().ok({ type: 'reassignSubProject', actor: relay, at: at('2025-07-10'), orgId: 'org-c2', leadSecretaryId: 'sec-c2', reason: '职能调整' }).orgId,
    ).toBe('org-c2');
    expect(childSim().refused({ type: 'cancelSubProject', actor: timer, at: at('2025-07-10'), reason: 'x' })).toMatchObject({
      rule: 'actor.not_committee',
      status: 403,
    });
  });

  it('the refusal of a child event leaves the child untouched', () => {
    const child = childSim();
    const before = JSON.stringify(child.s);
    const r = apply(child.s, { type: 'cancelSubProject', actor: people.committee, at: at('2025-07-10'), reason: '' }, makeCycle());
    expect(r.ok).toBe(false);
    expect(JSON.stringify(child.s)).toBe(before);
  });
});
