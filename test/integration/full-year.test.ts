import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { essentials, runFullYear, compressedCycle, type FullYearResult } from '../helpers/full-year';
import { connectTemporal, createTestDatabase, startTestWorker, type RunningTestWorker, type TestDatabase, type TestTemporal } from '../helpers/infra';
import { getProjectQuery } from '../../workflows/messages';

describe('a project with three sub-projects through a whole (compressed) year', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let worker: RunningTestWorker;
  let result: FullYearResult;
  const snapshots: Record<string, unknown> = {};

  beforeAll(async () => {
    database = await createTestDatabase('fullyear');
    temporal = await connectTemporal();
    worker = await startTestWorker(database.db, temporal.taskQueue);
    const t0 = Date.now();
    const cycle = compressedCycle(`cy-${randomUUID().slice(0, 8)}`, t0);
    result = await runFullYear({
      client: temporal.client,
      taskQueue: temporal.taskQueue,
      cycle,
      t0,
      projectId: 'p-engine',
      onStep: (label, view) => (snapshots[label] = view),
    });
  }, 300_000);

  afterAll(async () => {
    await worker?.stop();
    await temporal?.close();
    await database?.close();
  });

  it('ends accepted with a grade, after a missed Q3 deadline cost a deduction', () => {
    const parent = essentials(result.parent.state);
    expect(parent.stage).toBe('accepted');
    expect(parent.deductions).toEqual([{ code: 'missing_evidence', count: 1, points: 3 }]);
    expect(parent.finalScore).toBe(55 + 36 - 3);
    expect(parent.grade).toBe('good');
    expect(parent.inspections).toEqual([
      { quarter: 1, rating: 'on_track', missingEvidence: false },
      { quarter: 2, rating: 'lagging', missingEvidence: false },
      { quarter: 3, rating: null, missingEvidence: true },
      { quarter: 4, rating: null, missingEvidence: false },
    ]);
    expect(result.parent.state.inspections[2].findings[0].kind).toBe('missing_evidence');
  });

  it('kept the returned round and the approval in the review history, each with its actor', () => {
    const actions = result.parent.state.review.history.map((h) => `${h.action}:${h.actor.userId}`);
    expect(actions).toEqual(['submitted:u-sec-oc1', 'returned:u-committee', 'submitted:u-sec-oc1', 'approved:u-committee']);
  });

  it('closed the Q2 rectification after one send-back (清零, rate 100%)', () => {
    expect(essentials(result.parent.state).ledger).toEqual([{ id: 'L-1', status: 'closed', reports: 2, sendBacks: 1 }]);
  });

  it('cancelled one sub-project at dispatch, added one, and accepted the rest before the parent', () => {
    const children = essentials(result.parent.state).children;
    expect(children).toEqual([
      { id: 'p-engine-c1', status: 'settled', stage: 'accepted' },
      { id: 'p-engine-c2', status: 'settled', stage: 'accepted' },
      { id: 'p-engine-c3', status: 'cancelled', stage: expect.any(String) },
      { id: 'p-engine-c4', status: 'settled', stage: 'accepted' },
    ]);
    expect(result.children['p-engine-c3'].state.stage).toBe('cancelled');
    expect(result.children['p-engine-c4'].state.acceptance?.grade).toBe('excellent');
    expect(result.parent.state.dispatch?.changes.map((c) => c.kind)).toEqual(['cancelChild', 'addChild', 'indicatorTarget']);
    expect(result.parent.state.proposal.indicators[0]).toMatchObject({ id: 'i-visits', target: 18, actual: 18 });
  });

  it('wrote the event log, the projection and the reminders to PostgreSQL', async () => {
    const events = await database.db.selectFrom('project_events').select(['seq', 'type']).where('project_id', '=', 'p-engine').orderBy('seq').execute();
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: result.parent.seq }, (_, i) => i + 1));
    expect(events[0].type).toBe('create');
    expect(events.at(-1)?.type).toBe('accept');
    const row = await database.db.selectFrom('projects').selectAll().where('id', '=', 'p-engine').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ stage: 'accepted', grade: 'good', version: result.parent.state.version });
    expect(row.state).toEqual(result.parent.state);

    const notifications = await database.db.selectFrom('notifications').select(['kind', 'recipient_id']).where('project_id', '=', 'p-engine').execute();
    const kinds = new Set(notifications.map((n) => n.kind));
    for (const kind of ['review_requested', 'proposal_returned', 'proposal_approved', 'rectification_assigned', 'rectification_sent_back', 'evidence_missing', 'evidence_due', 'monthly_reminder', 'accepted']) {
      expect(kinds, kind).toContain(kind);
    }
    // Exactly one reminder per occasion: the Q3 pre-deadline reminder fired once.
    expect(notifications.filter((n) => n.kind === 'evidence_due').length).toBe(1);
    const cancelled = await database.db.selectFrom('notifications').select('kind').where('project_id', '=', 'p-engine-c3').execute();
    expect(cancelled.map((n) => n.kind)).toContain('sub_project_cancelled');
  });

  it('answers queries on the finished workflow', async () => {
    const view = await temporal.client.workflow.getHandle(result.workflowIds[0]).query(getProjectQuery);
    expect(view.state.stage).toBe('accepted');
  });
});
