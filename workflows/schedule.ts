/**
 * What the cycle calendar makes happen by itself: review timeouts, inspections falling due, ledger
 * warnings and escalations (lifecycle events by the timer actor), and monthly and pre-deadline
 * reminders (notifications only). Pure: the workflow asks for the next due item and sleeps until
 * then, and every item has a stable key so it fires exactly once, across continue-as-new too.
 */
import {
  deadlineMs,
  hasEvidenceForQuarter,
  timerActor,
  type CycleConfig,
  type LifecycleEvent,
  type ProjectState,
} from './lifecycle';

/** How long before a deadline the people concerned are reminded, unless the cycle says otherwise. */
export const DEFAULT_REMINDER_LEAD_MS = 3 * 24 * 3600 * 1000;

export interface ReminderSpec {
  recipientId: string;
  kind: string;
  message: string;
}

export type ScheduledItem =
  | { key: string; atMs: number; kind: 'event'; event: (at: string) => LifecycleEvent }
  | { key: string; atMs: number; kind: 'reminder'; reminder: ReminderSpec };

export interface ScheduleOptions {
  reminderLeadMs: number;
  /** Instants of the monthly reminders (月提示) of the cycle. */
  monthlyReminders: string[];
}

/** The monthly reminder instants: the cycle's explicit list, else the reminder day of each month at 09:00 Beijing time. */
export function monthlyReminderInstants(cycle: CycleConfig): string[] {
  if (cycle.calendar.monthlyReminders) return cycle.calendar.monthlyReminders;
  const day = String(cycle.calendar.monthlyReminderDay).padStart(2, '0');
  return Array.from({ length: 12 }, (_, i) => `${cycle.year}-${String(i + 1).padStart(2, '0')}-${day}T09:00:00+08:00`);
}

export function scheduleOptions(cycle: CycleConfig): ScheduleOptions {
  return { reminderLeadMs: cycle.reminderLeadMs ?? DEFAULT_REMINDER_LEAD_MS, monthlyReminders: monthlyReminderInstants(cycle) };
}

/** Every item the state and calendar call for that has not fired yet, earliest first. */
export function pendingSchedule(state: ProjectState, cycle: CycleConfig, fired: ReadonlySet<string>): ScheduledItem[] {
  const options = scheduleOptions(cycle);
  const items: ScheduledItem[] = [];
  const timer = timerActor(state.orgId);
  const title = state.proposal.title;

  if (state.stage === 'in_review' && state.review.submittedAt) {
    const round = state.review.round;
    const opened = Date.parse(state.review.submittedAt);
    items.push({
      key: `review:${round}:remind`,
      atMs: opened + cycle.reviewTimeouts.remindAfterMs,
      kind: 'event',
      event: (at) => ({ type: 'reviewTimeoutReminder', round, actor: timer, at }),
    });
    items.push({
      key: `review:${round}:escalate`,
      atMs: opened + cycle.reviewTimeouts.escalateAfterMs,
      kind: 'event',
      event: (at) => ({ type: 'reviewEscalated', round, actor: timer, at }),
    });
  }

  if (state.stage === 'approved' && !state.letter) {
    items.push({
      key: 'letter:due-soon',
      atMs: deadlineMs(cycle.calendar.letterDeadline) - options.reminderLeadMs,
      kind: 'reminder',
      reminder: { recipientId: state.leadSecretaryId, kind: 'letter_due', message: `项目《${title}》已立项，请在 ${cycle.calendar.letterDeadline} 前签订责任书。` },
    });
  }

  if (state.stage === 'in_progress' || state.stage === 'self_assessed') {
    const signedAt = state.letter ? Date.parse(state.letter.signedAt) : 0;
    for (const q of cycle.calendar.quarters) {
      const inspection = state.inspections.find((i) => i.quarter === q.quarter);
      if (inspection?.due) continue;
      const deadline = deadlineMs(q.evidenceDeadline);
      // A sub-project added mid-year answers for the quarters after its letter, not before.
      if (deadline < signedAt) continue;
      if (state.stage === 'in_progress' && !hasEvidenceForQuarter(state.evidence, q.quarter)) {
        items.push({
          key: `evidence:Q${q.quarter}:due-soon`,
          atMs: deadline - options.reminderLeadMs,
          kind: 'reminder',
          reminder: {
            recipientId: state.leadSecretaryId,
            kind: 'evidence_due',
            message: `项目《${title}》第${q.quarter}季度佐证材料将于 ${q.evidenceDeadline} 截止，请按时报送。`,
          },
        });
      }
      items.push({
        key: `inspection:Q${q.quarter}:due`,
        atMs: deadline,
        kind: 'event',
        event: (at) => ({ type: 'inspectionDue', quarter: q.quarter, actor: timer, at }),
      });
    }
    for (const entry of state.ledger) {
      if (entry.status === 'closed') continue;
      const deadline = deadlineMs(entry.deadline);
      if (!entry.warnedAt) {
        items.push({
          key: `ledger:${entry.id}:warn`,
          atMs: deadline - cycle.ledger.warnBeforeMs,
          kind: 'event',
          event: (at) => ({ type: 'ledgerOverdueWarning', entryId: entry.id, actor: timer, at }),
        });
      }
      if (!entry.escalatedAt) {
        items.push({
          key: `ledger:${entry.id}:escalate`,
          atMs: deadline + cycle.ledger.escalateAfterMs,
          kind: 'event',
          event: (at) => ({ type: 'ledgerEscalated', entryId: entry.id, actor: timer, at }),
        });
      }
    }
  }

  if (state.stage === 'in_progress') {
    if (!state.selfAssessment) {
      items.push({
        key: 'self-assessment:due-soon',
        atMs: deadlineMs(cycle.calendar.selfAssessmentDeadline) - options.reminderLeadMs,
        kind: 'reminder',
        reminder: {
          recipientId: state.leadSecretaryId,
          kind: 'self_assessment_due',
          message: `项目《${title}》自评将于 ${cycle.calendar.selfAssessmentDeadline} 截止，请及时完成自评。`,
        },
      });
    }
    // Months that passed before the work started are not reminded after the fact.
    const workStarted = state.letter ? Date.parse(state.letter.signedAt) : 0;
    options.monthlyReminders.forEach((instant, index) => {
      if (Date.parse(instant) < workStarted) return;
      items.push({
        key: `monthly:${index + 1}`,
        atMs: Date.parse(instant),
        kind: 'reminder',
        reminder: {
          recipientId: state.leadSecretaryId,
          kind: 'monthly_reminder',
          message: `月提示：请推进项目《${title}》，按节点报送佐证材料并落实整改。`,
        },
      });
    });
  }

  return items.filter((item) => !fired.has(item.key)).sort((a, b) => a.atMs - b.atMs || (a.key < b.key ? -1 : 1));
}
