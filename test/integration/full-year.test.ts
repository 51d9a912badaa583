import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import { essentials, runFullYear, compressedCycle, type FullYearResult } from '../helpers/full-year';
import { useHarness } from '../helpers/harness';
import { createTestDatabase, type TestDatabase } from '../helpers/infra';
import { spawnWorkerProcess, type WorkerProcess } from '../helpers/worker-process';
import { getProjectQuery, type ProjectView } from '../../workflows/messages';
import { projectionMismatches } from '../../db/projection-check';
import { projectStateAt } from '../../audit';

/** With RECORD_HISTORIES=1 the run's histories are written under test/histories/ for the replay gate. */
async function recordHistory(client: Client, workflowId: string, runId: string | undefined, name: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  if (process.env.RECORD_HISTORIES === '1') {
    // Recordings go to the folder of the current workflow version (see test/integration/replay.test.ts).
    const dir = path.join(__dirname, '..', 'histories', process.env.HISTORY_VERSION ?? 'v4');
    fs.mkdirSync(dir, { recursive: true });
    // Exported by the temporal CLI itself, in the JSON format Temporal's tools and replayer read.
    const args = ['workflow', 'show', '--address', inject('temporalAddress'), '--workflow-id', workflowId, '--output', 'json'];
    if (runId) args.push('--run-id', runId);
    fs.writeFileSync(path.join(dir, `${name}.json`), execFileSync(inject('temporalCliPath'), args, { maxBuffer: 64 * 1024 * 1024 }));
  }
  return history.events?.length ?? 0;
}

describe('a project with three sub-projects through a whole (compressed) year', () => {
  let crashDatabase: TestDatabase;
  let result: FullYearResult;
  let crashed: FullYearResult;
  let crashRuns: string[] = [];
  const workerProcesses: WorkerProcess[] = [];
  const snapshots: Record<string, ProjectView> = {};
  const eventCounts: Record<string, number> = {};

  // The undisturbed run's worker is the harness's; the crash run's worker processes write to a database of their own.
  const h = useHarness({ name: 'fullyear', app: false });
  beforeAll(async () => {
    crashDatabase = await createTestDatabase('fullyear_crash');
    const t0 = Date.now();
    const crashQueue = `${h.temporal.taskQueue}-crash`;
    const spawnWorker = () => {
      const w = spawnWorkerProcess({ TEMPORAL_ADDRESS: inject('temporalAddress'), DATABASE_URL: crashDatabase.url, TEMPORAL_TASK_QUEUE: crashQueue });
      workerProcesses.push(w);
      return w;
    };
    await spawnWorker().ready;
    // The same year twice at once: once undisturbed, once on a worker process killed mid-year and
    // with continue-as-new forced every 12 events.
    [result, crashed] = await Promise.all([
      runFullYear({
        client: h.temporal.client,
        taskQueue: h.temporal.taskQueue,
        cycle: compressedCycle(`cy-${randomUUID().slice(0, 8)}`, t0),
        t0,
        projectId: 'p-engine',
        onStep: (label, view) => (snapshots[label] = view),
      }),
      runFullYear({
        client: h.temporal.client,
        taskQueue: crashQueue,
        cycle: compressedCycle(`cy-${randomUUID().slice(0, 8)}`, t0),
        t0,
        projectId: 'p-engine',
        continueAsNewAfterEvents: 12,
        midYear: async () => {
          await workerProcesses.at(-1)!.kill();
          await spawnWorker().ready;
        },
      }),
    ]);
    for (const id of result.workflowIds) {
      const name = id.split('/').at(-1)!;
      eventCounts[name] = await recordHistory(h.temporal.client, id, undefined, `full-year-${name}`);
    }
    // The crashed run's parent went through several runs; keep the first, which ended in continue-as-new.
    const parentId = crashed.workflowIds[0];
    const executions = h.temporal.client.workflow.list({ query: `WorkflowId = '${parentId}'` });
    for await (const execution of executions) crashRuns.push(execution.runId);
    crashRuns = crashRuns.reverse();
    await recordHistory(h.temporal.client, parentId, crashRuns[0], 'continued-as-new-first-run');
    console.log(`history event counts: ${JSON.stringify(eventCounts)}; crashed parent ran ${crashRuns.length} runs`);
  }, 400_000);

  afterAll(async () => {
    for (const w of workerProcesses) await w.kill();
    await crashDatabase?.close();
  });

  it('a worker killed mid-year and continue-as-new lose nothing: the final states match the undisturbed run', () => {
    expect(crashRuns.length).toBeGreaterThan(2);
    expect(essentials(crashed.parent.state)).toEqual(essentials(result.parent.state));
    for (const id of result.childIds) expect(essentials(crashed.children[id].state)).toEqual(essentials(result.children[id].state));
  });

  it('both runs applied the same people and timer events in the same order (roll-ups batch by timing)', async () => {
    const types = async (db: TestDatabase) =>
      (await db.db.selectFrom('project_events').select('type').where('project_id', '=', 'p-engine').where('type', '!=', 'childUpdated').orderBy('seq').execute()).map((e) => e.type);
    expect(await types(crashDatabase)).toEqual(await types(h.database));
  });

  it('the crashed run wrote one event-log row per event, without gaps, and its projection', async () => {
    const events = await crashDatabase.db.selectFrom('project_events').select('seq').where('project_id', '=', 'p-engine').orderBy('seq').execute();
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: crashed.parent.seq }, (_, i) => i + 1));
    const row = await crashDatabase.db.selectFrom('projects').select(['stage', 'version']).where('id', '=', 'p-engine').executeTakeFirstOrThrow();
    expect(row).toEqual({ stage: 'accepted', version: crashed.parent.state.version });
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
    const events = await h.db.selectFrom('project_events').select(['seq', 'type']).where('project_id', '=', 'p-engine').orderBy('seq').execute();
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: result.parent.seq }, (_, i) => i + 1));
    expect(events[0].type).toBe('create');
    expect(events.at(-1)?.type).toBe('accept');
    const row = await h.db.selectFrom('projects').selectAll().where('id', '=', 'p-engine').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ stage: 'accepted', grade: 'good', version: result.parent.state.version });
    expect(row.state).toEqual(result.parent.state);

    const notifications = await h.db.selectFrom('notifications').select(['kind', 'recipient_id']).where('project_id', '=', 'p-engine').execute();
    const kinds = new Set(notifications.map((n) => n.kind));
    for (const kind of ['review_requested', 'proposal_returned', 'proposal_approved', 'rectification_assigned', 'rectification_sent_back', 'evidence_missing', 'evidence_due', 'monthly_reminder', 'accepted', 'project_closed']) {
      expect(kinds, kind).toContain(kind);
    }
    // Exactly one reminder per occasion: the Q3 pre-deadline reminder fired once.
    expect(notifications.filter((n) => n.kind === 'evidence_due').length).toBe(1);
    const cancelled = await h.db.selectFrom('notifications').select('kind').where('project_id', '=', 'p-engine-c3').execute();
    expect(cancelled.map((n) => n.kind)).toContain('sub_project_cancelled');
  });

  it('the projection rows of every project equal what its workflow reports', async () => {
    for (const id of result.workflowIds) {
      const view = await h.temporal.client.workflow.getHandle(id).query(getProjectQuery);
      expect(await projectionMismatches(h.db, view.state), id).toEqual([]);
    }
    const ledger = await h.db.selectFrom('ledger_entries').selectAll().where('project_id', '=', 'p-engine').execute();
    expect(ledger).toMatchObject([{ id: 'L-1', status: 'closed', reports: 2, send_backs: 1 }]);
    const missing = await h.db.selectFrom('inspections').select('quarter').where('project_id', '=', 'p-engine').where('missing_evidence', '=', true).execute();
    expect(missing).toEqual([{ quarter: 3 }]);
  });

  it('the audit reconstructs, from the event log, exactly the state the workflow reported at each captured step', async () => {
    expect(Object.keys(snapshots).length).toBeGreaterThanOrEqual(8);
    for (const [label, view] of Object.entries(snapshots)) {
      const replayed = await projectStateAt({ db: h.db, temporal: h.temporal.client }, 'p-engine', view.seq);
      expect(replayed.seq, label).toBe(view.seq);
      expect(replayed.state, label).toEqual(view.state);
    }
  });

  it('answers queries on the finished workflow', async () => {
    const view = await h.temporal.client.workflow.getHandle(result.workflowIds[0]).query(getProjectQuery);
    expect(view.state.stage).toBe('accepted');
  });
});
