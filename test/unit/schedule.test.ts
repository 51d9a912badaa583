import { describe, expect, it } from 'vitest';
import { pendingSchedule, monthlyReminderInstants } from '../../workflows/schedule';
import { notificationsForEvent } from '../../workflows/notifications';
import { deadlineMs } from '../../workflows/lifecycle';
import { at, DAY, inProgressProject, inReviewProject, inspectionEvent, makeCycle, people } from './lifecycle.fixtures';

describe('the calendar schedule of a project', () => {
  it('an in-review project is reminded and then escalated, keyed by its review round', () => {
    const sim = inReviewProject();
    const items = pendingSchedule(sim.s, sim.cycle, new Set());
    expect(items.map((i) => i.key)).toEqual(['review:1:remind', 'review:1:escalate']);
    const submitted = Date.parse(sim.s.review.submittedAt!);
    expect(items[0].atMs).toBe(submitted + 3 * DAY);
    expect(items[1].atMs).toBe(submitted + 7 * DAY);
  });

  it('an item that fired is never scheduled again', () => {
    const sim = inReviewProject();
    const items = pendingSchedule(sim.s, sim.cycle, new Set(['review:1:remind']));
    expect(items.map((i) => i.key)).toEqual(['review:1:escalate']);
  });

  it('work in progress gets every quarter inspection, pre-deadline evidence reminders and the monthly reminders after its letter', () => {
    const sim = inProgressProject();
    const items = pendingSchedule(sim.s, sim.cycle, new Set());
    const keys = items.map((i) => i.key);
    for (const q of [1, 2, 3, 4]) {
      expect(keys).toContain(`inspection:Q${q}:due`);
      expect(keys).toContain(`evidence:Q${q}:due-soon`);
    }
    const q1 = items.find((i) => i.key === 'inspection:Q1:due')!;
    expect(q1.atMs).toBe(deadlineMs('2025-03-31'));
    const reminder = items.find((i) => i.key === 'evidence:Q1:due-soon')!;
    expect(reminder.atMs).toBe(deadlineMs('2025-03-31') - 3 * DAY);
    // The letter was signed on 1 February: January's monthly reminder is not sent after the fact.
    expect(keys.filter((k) => k.startsWith('monthly:'))).toEqual(['monthly:2', 'monthly:3', 'monthly:4', 'monthly:5', 'monthly:6', 'monthly:7', 'monthly:8', 'monthly:9', 'monthly:10', 'monthly:11', 'monthly:12']);
    // Earliest first.
    expect(items.map((i) => i.atMs)).toEqual([...items.map((i) => i.atMs)].sort((a, b) => a - b));
  });

  it('a quarter with evidence already submitted is not reminded, but is still inspected', () => {
    const sim = inProgressProject();
    sim.ok({
      type: 'submitEvidence',
      actor: people.lead,
      at: at('2025-03-01'),
      evidenceId: 'e1',
      quarter: 1,
      milestoneId: null,
      text: '一季度进展',
      files: [],
      indicatorActuals: [],
    });
    const keys = pendingSchedule(sim.s, sim.cycle, new Set()).map((i) => i.key);
    expect(keys).not.toContain('evidence:Q1:due-soon');
    expect(keys).toContain('inspection:Q1:due');
  });

  it('an open ledger entry is warned before and escalated after its deadline', () => {
    const sim = inProgressProject();
    sim.ok({ type: 'inspectionDue', quarter: 1, actor: { userId: 'system:timer', role: 'system', orgId: sim.s.orgId }, at: at('2025-04-01') });
    sim.ok(inspectionEvent({ at: at('2025-04-02') }));
    const entry = sim.s.ledger[0];
    expect(entry).toBeDefined();
    const items = pendingSchedule(sim.s, sim.cycle, new Set());
    const warn = items.find((i) => i.key === `ledger:${entry.id}:warn`)!;
    const escalate = items.find((i) => i.key === `ledger:${entry.id}:escalate`)!;
    expect(warn.atMs).toBe(deadlineMs(entry.deadline) - sim.cycle.ledger.warnBeforeMs);
    expect(escalate.atMs).toBe(deadlineMs(entry.deadline) + sim.cycle.ledger.escalateAfterMs);
  });

  it('monthly reminders fall on the cycle reminder day at 09:00 Beijing time unless listed explicitly', () => {
    const cycle = makeCycle();
    expect(monthlyReminderInstants(cycle)[0]).toBe('2025-01-05T09:00:00+08:00');
    expect(monthlyReminderInstants({ ...cycle, calendar: { ...cycle.calendar, monthlyReminders: ['2025-03-01T00:00:00Z'] } })).toEqual(['2025-03-01T00:00:00Z']);
  });
});

describe('notifications derived from lifecycle events', () => {
  it('a submission notifies the reviewer once, with an id that makes a retry harmless', () => {
    const sim = inReviewProject();
    const [before, event] = [null, sim.events[1]];
    const notes = notificationsForEvent(before, sim.s, event, 2, sim.cycle);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ recipientId: sim.s.reviewerId, kind: 'review_requested', id: `${sim.s.id}:2:review_requested:${sim.s.reviewerId}` });
    expect(notes[0].message).toContain(sim.s.proposal.title);
    expect(notificationsForEvent(before, sim.s, event, 2, sim.cycle)).toEqual(notes);
  });
});
