import { describe, expect, it } from 'vitest';
import { replay, type HandOverEvent, type PersonActor } from '../../workflows/lifecycle';
import { at, decomposedProject, draftProject, evidenceEvent, inProgressProject, inReviewProject, inspectionEvent, people, Sim } from './lifecycle.fixtures';

/** The committee hands org-a's secretary sec-a over to sec-a2 (换届). */
function handOver(overrides: Partial<HandOverEvent> = {}): HandOverEvent {
  return { type: 'handOver', actor: people.committee, at: at('2025-07-01'), orgId: 'org-a', fromUserId: 'sec-a', toUserId: 'sec-a2', reason: '换届', ...overrides };
}

const newLead: PersonActor = { userId: 'sec-a2', role: 'secretary', orgId: 'org-a' };

describe('handover (换届/调动): what moves', () => {
  it('the lead passes to the incoming secretary, who then acts while the outgoing one cannot', () => {
    const sim = inProgressProject();
    const s = sim.ok(handOver());
    expect(s.leadSecretaryId).toBe('sec-a2');
    expect(s.handovers).toEqual([
      { orgId: 'org-a', fromUserId: 'sec-a', toUserId: 'sec-a2', reason: '换届', by: 'com-1', at: at('2025-07-01'), lead: true, review: false, childIds: [], ledgerEntryIds: [] },
    ]);
    const evidence = evidenceEvent({ at: at('2025-07-02'), evidenceId: 'ev-9', quarter: 3, indicatorActuals: [] });
    expect(sim.refused({ ...evidence, actor: people.lead })).toMatchObject({ rule: 'actor.not_lead_secretary', status: 403 });
    expect(sim.ok({ ...evidence, actor: newLead }).evidence.at(-1)?.submittedBy).toBe('sec-a2');
  });

  it('a draft keeps its proposer’s work: the incoming secretary submits it', () => {
    const sim = draftProject();
    sim.ok(handOver({ at: at('2025-01-15') }));
    expect(sim.ok({ type: 'submit', actor: newLead, at: at('2025-01-16') }).stage).toBe('in_review');
  });

  it('a pending review and the reviewer of later rounds move from the outgoing reviewer', () => {
    const sim = inReviewProject();
    const s = sim.ok(handOver({ orgId: 'org-oc', fromUserId: 'sec-oc', toUserId: 'sec-oc-new', at: at('2025-01-21') }));
    expect(s.reviewerId).toBe('sec-oc-new');
    expect(s.assignedReviewer).toEqual({ orgId: 'org-oc', userId: 'sec-oc-new' });
    expect(s.leadSecretaryId).toBe('sec-a');
    expect(s.handovers?.[0]).toMatchObject({ lead: false, review: true });
    expect(sim.refused({ type: 'approve', actor: people.reviewer, at: at('2025-01-22') }).status).toBe(403);
    expect(sim.ok({ type: 'approve', actor: { userId: 'sec-oc-new', role: 'secretary', orgId: 'org-oc' }, at: at('2025-01-22') }).stage).toBe('approved');
  });

  it('a delegation to the outgoing secretary moves to the incoming one', () => {
    const sim = inReviewProject();
    sim.ok({ type: 'delegateReview', actor: people.reviewer, at: at('2025-01-21'), to: { orgId: 'org-oc', userId: 'staff-oc' }, note: '请提意见' });
    const s = sim.ok(handOver({ orgId: 'org-oc', fromUserId: 'staff-oc', toUserId: 'staff-oc2', at: at('2025-01-22') }));
    expect(s.review.delegate?.to).toEqual({ orgId: 'org-oc', userId: 'staff-oc2' });
    expect(s.reviewerId).toBe('sec-oc');
    expect(
      sim.ok({ type: 'delegateOpinion', actor: { userId: 'staff-oc2', role: 'secretary', orgId: 'org-oc' }, at: at('2025-01-23'), recommendation: 'approve', opinion: '同意' }).review
        .delegate,
    ).toBeNull();
  });

  it('active sub-project entries of the org move; other orgs’ entries stay', () => {
    const sim = decomposedProject();
    sim.ok({ type: 'decompose', actor: people.lead, at: at('2025-02-11'), children: [{ id: 'c2', orgId: 'org-c2', secretaryId: 'sec-c2', title: '二支部子项目' }] });
    const s = sim.ok(handOver({ orgId: 'org-c1', fromUserId: 'sec-c1', toUserId: 'sec-c1b' }));
    expect(s.children.map((c) => [c.id, c.secretaryId])).toEqual([
      ['c1', 'sec-c1b'],
      ['c2', 'sec-c2'],
    ]);
    expect(s.leadSecretaryId).toBe('sec-a');
    expect(s.handovers?.[0]).toMatchObject({ lead: false, review: false, childIds: ['c1'] });
  });

  it('open ledger entries move; closed ones keep who rectified them', () => {
    const sim = inProgressProject();
    sim.ok({ type: 'inspectionDue', actor: { userId: 'system:timer', role: 'system', orgId: 'org-a' }, at: at('2025-04-01'), quarter: 1 });
    sim.ok(
      inspectionEvent({
        problems: [
          { id: 'L1', problem: '问题一', responsibleOrgId: 'org-a', responsiblePersonId: 'sec-a', measures: '整改一', deadline: '2025-05-31' },
          { id: 'L2', problem: '问题二', responsibleOrgId: 'org-a', responsiblePersonId: 'sec-a', measures: '整改二', deadline: '2025-05-31' },
        ],
      }),
    );
    sim.ok({ type: 'reportRectification', actor: people.lead, at: at('2025-04-20'), entryId: 'L1', text: '已整改' });
    sim.ok({ type: 'verifyRectification', actor: people.inspector, at: at('2025-04-25'), entryId: 'L1' });
    const s = sim.ok(handOver());
    expect(s.ledger.map((e) => [e.id, e.status, e.responsiblePersonId])).toEqual([
      ['L1', 'closed', 'sec-a'],
      ['L2', 'open', 'sec-a2'],
    ]);
    expect(s.handovers?.[0]).toMatchObject({ lead: true, ledgerEntryIds: ['L2'] });
    expect(sim.ok({ type: 'reportRectification', actor: newLead, at: at('2025-07-02'), entryId: 'L2', text: '已整改' }).ledger[1].status).toBe('reported');
  });

  it('successive handovers are all kept, so who led when stays answerable', () => {
    const sim = inProgressProject();
    sim.ok(handOver());
    const s = sim.ok(handOver({ fromUserId: 'sec-a2', toUserId: 'sec-a3', at: at('2025-09-01') }));
    expect(s.leadSecretaryId).toBe('sec-a3');
    expect(s.handovers?.map((h) => [h.fromUserId, h.toUserId, h.at])).toEqual([
      ['sec-a', 'sec-a2', at('2025-07-01')],
      ['sec-a2', 'sec-a3', at('2025-09-01')],
    ]);
  });

  it('a project never handed over has no handovers field (older states stay byte-identical)', () => {
    expect(inProgressProject().s).not.toHaveProperty('handovers');
  });
});

describe('handover: refusals', () => {
  it('only the committee hands over', () => {
    for (const actor of [people.lead, people.reviewer, people.inspector, people.member]) {
      expect(inProgressProject().refused(handOver({ actor }))).toMatchObject({ rule: 'actor.not_committee', status: 403, messageZh: '仅工委可办理书记换届交接' });
    }
    expect(inProgressProject().refused(handOver({ actor: people.auditor })).status).toBe(403);
    expect(inProgressProject().refused(handOver({ actor: { userId: 'system:rollup', role: 'system', orgId: 'org-a' } })).status).toBe(403);
  });

  it('is refused in a final stage', () => {
    const sim = inReviewProject();
    sim.ok({ type: 'reject', actor: people.reviewer, at: at('2025-01-22'), reason: '与业务无关' });
    expect(sim.refused(handOver())).toMatchObject({ rule: 'stage.handover_requires_open', status: 409 });
  });

  it('is refused when the incoming secretary is the outgoing one, or either is missing', () => {
    const sim = inProgressProject();
    expect(sim.refused(handOver({ toUserId: 'sec-a' }))).toMatchObject({ rule: 'payload.handover_unchanged', status: 400 });
    expect(sim.refused(handOver({ toUserId: ' ' }))).toMatchObject({ rule: 'payload.handover_people', status: 400 });
    expect(sim.refused(handOver({ toUserId: 'system:timer' }))).toMatchObject({ rule: 'payload.handover_people', status: 400 });
    expect(sim.refused(handOver({ orgId: undefined as never }))).toMatchObject({ rule: 'payload.handover_people', status: 400 });
    expect(sim.refused(handOver({ reason: '' }))).toMatchObject({ rule: 'payload.handover_reason', status: 400 });
  });

  it('is refused when the outgoing secretary holds nothing of the org in the project', () => {
    const sim = inProgressProject();
    expect(sim.refused(handOver({ fromUserId: 'nobody' }))).toMatchObject({ rule: 'handover.nothing_held', status: 409 });
    // sec-a leads for org-a: a handover of another org does not reach the lead.
    expect(sim.refused(handOver({ orgId: 'org-b' }))).toMatchObject({ rule: 'handover.nothing_held', status: 409 });
    // Handed over once: the same handover again finds nothing.
    sim.ok(handOver());
    expect(sim.refused(handOver({ at: at('2025-07-02') }))).toMatchObject({ rule: 'handover.nothing_held', status: 409 });
  });

  it('is refused when the incoming secretary would review the project they lead', () => {
    const sim = inReviewProject();
    expect(sim.refused(handOver({ toUserId: 'sec-oc' }))).toMatchObject({ rule: 'payload.reviewer_is_proposer', status: 400 });
  });

  it('is refused with unstorable text in the reason, by the envelope', () => {
    expect(inProgressProject().refused(handOver({ reason: '换届\u0000' }))).toMatchObject({ rule: 'payload.unstorable_character', status: 400 });
  });

  it('a refusal leaves the state untouched', () => {
    const sim = inReviewProject();
    const before = JSON.stringify(sim.s);
    sim.refused(handOver({ toUserId: 'sec-oc' }));
    expect(JSON.stringify(sim.s)).toBe(before);
  });
});

describe('handover: the fold', () => {
  it('replaying the same events gives the same state, whatever the run', () => {
    const sim = decomposedProject();
    sim.ok(handOver());
    sim.ok(handOver({ orgId: 'org-c1', fromUserId: 'sec-c1', toUserId: 'sec-c1b', at: at('2025-07-02') }));
    const once = replay(sim.events, sim.cycle);
    const twice = replay(JSON.parse(JSON.stringify(sim.events)), sim.cycle);
    expect(once).toEqual(sim.s);
    expect(JSON.stringify(twice)).toBe(JSON.stringify(once));
  });

  it('a refused handover in a recorded history fails the replay (the history and the rules disagree)', () => {
    const sim = new Sim();
    const events = [...inProgressProject().events, handOver({ actor: people.lead })];
    expect(() => replay(events, sim.cycle)).toThrow(/actor.not_committee/);
  });
});
