import { describe, expect, it } from 'vitest';
import { ledgerCleared, rectificationRate } from '../../workflows/lifecycle';
import type { LedgerEntry } from '../../workflows/lifecycle';
import { DAY, at, approvedProject, evidenceEvent, inProgressProject, inspectionEvent, makeCycle, people, timer } from './lifecycle.fixtures';

const due = (quarter: 1 | 2 | 3 | 4, when: string) => ({ type: 'inspectionDue', actor: timer, at: when, quarter }) as const;
const report = (entryId = 'L1', when = at('2025-05-10')) =>
  ({ type: 'reportRectification', actor: people.lead, at: when, entryId, text: '已补齐签字' }) as const;
const verify = (entryId = 'L1', when = at('2025-05-12')) => ({ type: 'verifyRectification', actor: people.inspector, at: when, entryId }) as const;
const sendBack = (entryId = 'L1', when = at('2025-05-11')) =>
  ({ type: 'sendBackRectification', actor: people.inspector, at: when, entryId, reason: '签字仍不全' }) as const;

describe('quarterly inspection (季度督查)', () => {
  it('a quarter falling due with no evidence records missing evidence as a finding by itself', () => {
    const sim = inProgressProject();
    const s = sim.ok(due(1, at('2025-04-01', '00:00')));
    expect(s.inspections).toEqual([
      {
        quarter: 1,
        due: true,
        dueAt: at('2025-04-01', '00:00'),
        rating: null,
        findings: [{ kind: 'missing_evidence', text: expect.stringContaining('Q1') }],
        missingEvidence: true,
        inspectorId: null,
        at: null,
      },
    ]);
  });

  it('a quarter with current evidence falls due without a finding', () => {
    const sim = inProgressProject();
    sim.ok(evidenceEvent());
    const s = sim.ok(due(1, at('2025-04-01', '00:00')));
    expect(s.inspections[0]).toMatchObject({ due: true, missingEvidence: false, findings: [] });
  });

  it('evidence for another quarter does not count', () => {
    const sim = inProgressProject();
    sim.ok(evidenceEvent({ quarter: 2 }));
    expect(sim.ok(due(1, at('2025-04-01', '00:00'))).inspections[0].missingEvidence).toBe(true);
  });

  it('a quarter falls due only after its evidence deadline (end of day, Beijing time), once, and by the timer', () => {
    const sim = inProgressProject();
    expect(sim.refused(due(1, at('2025-03-31', '23:59')))).toMatchObject({ rule: 'timer.too_early', status: 409 });
    sim.ok(due(1, at('2025-04-01', '00:00')));
    expect(sim.refused(due(1, at('2025-04-02')))).toMatchObject({ rule: 'inspection.already_due', status: 409 });
    expect(sim.refused({ ...due(2, at('2025-07-01')), actor: people.inspector })).toMatchObject({ rule: 'actor.not_timer', status: 403 });
    expect(sim.refused(due(7 as never, at('2025-07-01'))).rule).toBe('payload.quarter');
  });

  it('inspections start only once work has started', () => {
    expect(approvedProject().refused(due(1, at('2025-04-01')))).toMatchObject({ rule: 'stage.inspection_requires_in_progress', status: 409 });
  });

  it('the inspector rates progress, writes findings, and each problem becomes a ledger entry', () => {
    const sim = inProgressProject();
    sim.ok(due(1, at('2025-04-01')));
    const s = sim.ok(inspectionEvent());
    expect(s.inspections[0]).toMatchObject({
      quarter: 1,
      due: true,
      rating: 'lagging',
      missingEvidence: true,
      inspectorId: 'insp-1',
      at: at('2025-04-10'),
    });
    expect(s.inspections[0].findings.map((f) => f.kind)).toEqual(['missing_evidence', 'inspector']);
    expect(s.ledger).toEqual([
      {
        id: 'L1',
        quarter: 1,
        problem: '走访记录缺少企业签字',
        responsibleOrgId: 'org-a',
        responsiblePersonId: 'sec-a',
        measures: '补齐签字并建立台账',
        deadline: '2025-05-31',
        status: 'open',
        recordedBy: 'insp-1',
        recordedAt: at('2025-04-10'),
        reports: [],
        sendBacks: [],
        verifiedBy: null,
        closedAt: null,
        warnedAt: null,
        escalatedAt: null,
      },
    ]);
  });

  it('an inspector may inspect before the quarter falls due (平时督查); the due timer then adds to the record', () => {
    const sim = inProgressProject();
    sim.ok(inspectionEvent({ at: at('2025-03-25'), problems: [] }));
    const s = sim.ok(due(1, at('2025-04-01')));
    expect(s.inspections).toHaveLength(1);
    expect(s.inspections[0]).toMatchObject({ due: true, rating: 'lagging', missingEvidence: true });
  });

  it('a quarter is inspected once, by an inspector', () => {
    const sim = inProgressProject();
    sim.ok(inspectionEvent());
    expect(sim.refused(inspectionEvent({ problems: [] }))).toMatchObject({ rule: 'inspection.already_recorded', status: 409 });
    expect(inProgressProject().refused(inspectionEvent({ actor: people.committee }))).toMatchObject({ rule: 'actor.not_inspector', status: 403 });
  });

  it('inspection payloads are validated', () => {
    const sim = inProgressProject();
    const problem = inspectionEvent().problems[0];
    expect(sim.refused(inspectionEvent({ rating: 'great' as never })).rule).toBe('payload.rating');
    expect(sim.refused(inspectionEvent({ findings: [''] })).rule).toBe('payload.findings');
    expect(sim.refused(inspectionEvent({ problems: [{ ...problem, measures: '' }] })).rule).toBe('payload.problem_measures');
    expect(sim.refused(inspectionEvent({ problems: [{ ...problem, responsibleOrgId: '' }] })).rule).toBe('payload.problem_responsible');
    expect(sim.refused(inspectionEvent({ problems: [{ ...problem, deadline: '31/05/2025' }] })).rule).toBe('payload.ledger_deadline');
    expect(sim.refused(inspectionEvent({ problems: [{ ...problem, deadline: '2025-04-01' }] })).rule).toBe('payload.ledger_deadline_past');
    expect(sim.refused(inspectionEvent({ problems: [problem, problem] })).rule).toBe('payload.duplicate_ledger_id');
  });
});

describe('rectification ledger (整改台账)', () => {
  function withEntry() {
    const sim = inProgressProject();
    sim.ok(inspectionEvent());
    return sim;
  }

  it('report → send back → report → verify closes the entry and keeps the whole trail', () => {
    const sim = withEntry();
    expect(sim.ok(report()).ledger[0].status).toBe('reported');
    expect(sim.ok(sendBack()).ledger[0].status).toBe('open');
    sim.ok(report('L1', at('2025-05-20')));
    const s = sim.ok(verify('L1', at('2025-05-21')));
    const entry = s.ledger[0];
    expect(entry).toMatchObject({ status: 'closed', verifiedBy: 'insp-1', closedAt: at('2025-05-21') });
    expect(entry.reports.map((r) => r.at)).toEqual([at('2025-05-10'), at('2025-05-20')]);
    expect(entry.sendBacks).toEqual([{ reason: '签字仍不全', by: people.inspector, at: at('2025-05-11') }]);
    expect(rectificationRate(s.ledger)).toBe(1);
    expect(ledgerCleared(s.ledger)).toBe(true);
  });

  it('the secretary of the responsible org reports, with evidence files if any', () => {
    const sim = withEntry();
    const s = sim.ok({ ...report(), files: [{ name: 'sign.pdf', sha256: 'C'.repeat(64), size: 5 }] });
    expect(s.ledger[0].reports[0].files[0].sha256).toBe('c'.repeat(64));
    expect(withEntry().refused({ ...report(), files: [{ name: 'x', sha256: 'nothex', size: 1 }] }).rule).toBe('payload.file_sha256');
  });

  it('a secretary of another org cannot report the rectification', () => {
    expect(withEntry().refused({ ...report(), actor: people.otherSecretary })).toMatchObject({ rule: 'actor.wrong_org', status: 403 });
    expect(withEntry().refused({ ...report(), actor: people.member })).toMatchObject({ rule: 'actor.not_responsible_secretary', status: 403 });
  });

  it('only an inspector verifies or sends back', () => {
    const sim = withEntry();
    sim.ok(report());
    expect(sim.refused({ ...verify(), actor: people.lead })).toMatchObject({ rule: 'actor.not_inspector', status: 403 });
    expect(sim.refused({ ...sendBack(), actor: people.committee })).toMatchObject({ rule: 'actor.not_inspector', status: 403 });
  });

  it('an entry must be reported before it is verified or sent back, and open before it is reported', () => {
    const sim = withEntry();
    expect(sim.refused(verify())).toMatchObject({ rule: 'ledger.not_reported', status: 409 });
    expect(sim.refused(sendBack()).rule).toBe('ledger.not_reported');
    sim.ok(report());
    expect(sim.refused(report())).toMatchObject({ rule: 'ledger.not_open', status: 409 });
    sim.ok(verify());
    expect(sim.refused(report()).rule).toBe('ledger.not_open');
  });

  it('ledger actions need a known entry and their texts', () => {
    const sim = withEntry();
    expect(sim.refused(report('L9'))).toMatchObject({ rule: 'payload.unknown_ledger_entry', status: 400 });
    expect(sim.refused({ ...report(), text: '' }).rule).toBe('payload.rectification_text');
    sim.ok(report());
    expect(sim.refused({ ...sendBack(), reason: '' }).rule).toBe('payload.send_back_reason');
  });

  it('an open entry is warned before its deadline and escalated after it, by the timer, once each', () => {
    const sim = withEntry();
    const warn = (when: string) => ({ type: 'ledgerOverdueWarning', actor: timer, at: when, entryId: 'L1' }) as const;
    const escalate = (when: string) => ({ type: 'ledgerEscalated', actor: timer, at: when, entryId: 'L1' }) as const;
    // Deadline 2025-05-31 (end of day, Beijing); warning 3 days before.
    expect(sim.refused(warn(at('2025-05-28', '23:59')))).toMatchObject({ rule: 'timer.too_early', status: 409 });
    expect(sim.ok(warn(at('2025-05-29', '00:00'))).ledger[0].warnedAt).toBe(at('2025-05-29', '00:00'));
    expect(sim.refused(warn(at('2025-05-30'))).rule).toBe('ledger.already_warned');
    expect(sim.refused(escalate(at('2025-05-31', '23:00'))).rule).toBe('timer.too_early');
    expect(sim.ok(escalate(at('2025-06-01', '00:00'))).ledger[0].escalatedAt).toBe(at('2025-06-01', '00:00'));
    expect(sim.refused(escalate(at('2025-06-02'))).rule).toBe('ledger.already_escalated');
    expect(sim.refused({ ...warn(at('2025-06-02')), actor: people.inspector }).rule).toBe('actor.not_timer');
  });

  it('a reported or closed entry is not warned', () => {
    const sim = withEntry();
    sim.ok(report());
    expect(sim.refused({ type: 'ledgerOverdueWarning', actor: timer, at: at('2025-05-30'), entryId: 'L1' }).rule).toBe('ledger.not_open');
  });

  it('ledger offsets come from the cycle', () => {
    const sim = inProgressProject(makeCycle({ ledger: { warnBeforeMs: 10 * DAY, escalateAfterMs: 2 * DAY } }));
    sim.ok(inspectionEvent());
    sim.ok({ type: 'ledgerOverdueWarning', actor: timer, at: at('2025-05-22'), entryId: 'L1' });
    expect(sim.refused({ type: 'ledgerEscalated', actor: timer, at: at('2025-06-02', '12:00'), entryId: 'L1' }).rule).toBe('timer.too_early');
    sim.ok({ type: 'ledgerEscalated', actor: timer, at: at('2025-06-03'), entryId: 'L1' });
  });
});

describe('rectification figures', () => {
  const entry = (id: string, status: LedgerEntry['status']) => ({ id, status }) as LedgerEntry;

  it('the rectification rate is closed ÷ total, 1 with an empty ledger', () => {
    expect(rectificationRate([])).toBe(1);
    expect(rectificationRate([entry('a', 'closed'), entry('b', 'open'), entry('c', 'reported'), entry('d', 'closed')])).toBe(0.5);
  });

  it('the ledger is cleared (清零) only when no entry is open or reported', () => {
    expect(ledgerCleared([])).toBe(true);
    expect(ledgerCleared([entry('a', 'closed')])).toBe(true);
    expect(ledgerCleared([entry('a', 'closed'), entry('b', 'reported')])).toBe(false);
    expect(ledgerCleared([entry('a', 'open')])).toBe(false);
  });
});
