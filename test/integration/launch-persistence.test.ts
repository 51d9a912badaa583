/**
 * The launcher's batched first persistence on the real Temporal server and PostgreSQL: a project
 * started with `createLoggedByLauncher` leaves its create event (seq 1) to the launcher's batch
 * transaction, persists its later events itself, and the audit finds its log equal to its workflow.
 */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { persistLaunchedProjects, type LaunchedProject } from '../../activities/projects';
import { verifyProject, type AuditDeps } from '../../audit';
import { createFileContentStore } from '../../db/content-store';
import * as m from '../../workflows/messages';
import { projectWorkflow } from '../../workflows/project';
import { compressedCycle, createEvent, leadSecretary } from '../helpers/full-year';
import { useHarness } from '../helpers/harness';
import { startTestWorker } from '../helpers/infra';
import { waitUntil } from '../helpers/wait';

describe('the launcher persists a batch of new projects in one transaction', () => {
  const h = useHarness({ name: 'launchpersist', app: false });
  const cycle = compressedCycle(`cy-${randomUUID().slice(0, 8)}`, Date.now());
  let deps: AuditDeps;

  beforeAll(() => {
    const store = createFileContentStore(fs.mkdtempSync(path.join(os.tmpdir(), 'launch-persist-evidence-')));
    deps = { db: h.db, temporal: h.temporal.client, store, workflows: { workflowBundlePath: inject('workflowBundlePath') } };
  });

  /** Starts a project's workflow as the launcher does, without writing anything for it. */
  async function startLaunched(title: string): Promise<LaunchedProject> {
    const projectId = `lp-${randomUUID().slice(0, 8)}`;
    const create = createEvent(cycle, projectId, title);
    const handle = await h.temporal.client.workflow.start(projectWorkflow, {
      workflowId: m.projectWorkflowId(cycle.cycleId, projectId),
      taskQueue: h.temporal.taskQueue,
      args: [{ cycle, create, createLoggedByLauncher: true }],
    });
    return { projectId, workflowId: handle.workflowId, runId: handle.firstExecutionRunId, create };
  }

  const logOf = async (projectId: string) =>
    (await h.db.selectFrom('project_events').select(['seq', 'hash', 'prev_hash', 'run_id']).where('project_id', '=', projectId).orderBy('seq').execute()).map((r) => ({ ...r, seq: Number(r.seq) }));

  it('a launched workflow writes nothing for its create event; its next event waits, recorded as lag, until the batch logs seq 1', async () => {
    const p = await startLaunched('批量首存：等待首条事件');
    const handle = h.temporal.client.workflow.getHandle(p.workflowId);
    await handle.executeUpdate(m.PERSON_UPDATES.submit, { args: [{ type: 'submit', actor: leadSecretary }] });
    // The submit (seq 2) cannot be logged before seq 1: the activity refuses the gap and retries.
    const lag = await waitUntil('the gap to be recorded as lag', async () => (await h.db.selectFrom('persistence_lag').selectAll().where('project_id', '=', p.projectId).executeTakeFirst()) ?? undefined);
    expect(lag.pending_seq).toBe(2);
    expect(lag.last_error).toContain('gap');
    expect(await logOf(p.projectId)).toEqual([]);
    expect(await h.db.selectFrom('projects').select('id').where('id', '=', p.projectId).executeTakeFirst()).toBeUndefined();

    expect(await persistLaunchedProjects(h.db, cycle, [p])).toBe(1);
    const log = await waitUntil('the submit to be logged after the create', async () => {
      const rows = await logOf(p.projectId);
      return rows.length === 2 ? rows : undefined;
    });
    expect(log.map((r) => r.seq)).toEqual([1, 2]);
    expect(log[1]!.prev_hash).toBe(log[0]!.hash);
    expect(log.every((r) => r.run_id === p.runId)).toBe(true);
    await waitUntil('the lag to clear', async () => ((await h.db.selectFrom('persistence_lag').select('project_id').where('project_id', '=', p.projectId).executeTakeFirst()) ? undefined : true));
    const projection = await h.db.selectFrom('projects').select(['stage', 'version']).where('id', '=', p.projectId).executeTakeFirstOrThrow();
    expect(projection).toEqual({ stage: 'in_review', version: 2 });

    const report = await verifyProject(deps, p.projectId);
    expect(report.checks.filter((c) => !c.ok), JSON.stringify(report.checks)).toEqual([]);
  });

  it('a retried batch writes nothing twice, and a batch mixing logged and new projects writes only the new ones', async () => {
    const first = await Promise.all([startLaunched('批量首存一'), startLaunched('批量首存二')]);
    expect(await persistLaunchedProjects(h.db, cycle, first)).toBe(2);
    const before = await Promise.all(first.map((p) => logOf(p.projectId)));
    const tasksBefore = await h.db.selectFrom('tasks').select(['project_id', 'key']).where('project_id', 'in', first.map((p) => p.projectId)).orderBy('project_id').execute();
    expect(tasksBefore.map((t) => t.project_id)).toEqual(first.map((p) => p.projectId).sort());

    expect(await persistLaunchedProjects(h.db, cycle, first)).toBe(0);
    const third = await startLaunched('批量首存三');
    expect(await persistLaunchedProjects(h.db, cycle, [...first, third, third])).toBe(1);
    expect(await Promise.all(first.map((p) => logOf(p.projectId)))).toEqual(before);
    expect((await logOf(third.projectId)).map((r) => r.seq)).toEqual([1]);
    const tasksAfter = await h.db.selectFrom('tasks').select(['project_id', 'key']).where('project_id', 'in', first.map((p) => p.projectId)).orderBy('project_id').execute();
    expect(tasksAfter).toEqual(tasksBefore);
    for (const p of [...first, third]) {
      const report = await verifyProject(deps, p.projectId);
      expect(report.checks.filter((c) => !c.ok), JSON.stringify(report.checks)).toEqual([]);
    }
  });

  it('a create event the lifecycle core refuses is not logged', async () => {
    const p = await startLaunched('被拒绝的创建');
    const refused = { ...p, projectId: `lp-${randomUUID().slice(0, 8)}`, create: { ...p.create, proposal: { ...p.create.proposal, title: '' } } };
    refused.create.projectId = refused.projectId;
    expect(await persistLaunchedProjects(h.db, cycle, [refused])).toBe(0);
    expect(await logOf(refused.projectId)).toEqual([]);
    await h.temporal.client.workflow.getHandle(p.workflowId).terminate('test done');
  });

  it('the audit finds a launched project whose create event was deleted from the log', async () => {
    const p = await startLaunched('首条事件被删除');
    await persistLaunchedProjects(h.db, cycle, [p]);
    await h.temporal.client.workflow.getHandle(p.workflowId).executeUpdate(m.PERSON_UPDATES.submit, { args: [{ type: 'submit', actor: leadSecretary }] });
    await waitUntil('the submit to be logged', async () => ((await logOf(p.projectId)).length === 2 ? true : undefined));
    expect((await verifyProject(deps, p.projectId)).ok).toBe(true);

    await h.db.deleteFrom('project_events').where('project_id', '=', p.projectId).where('seq', '=', 1).execute();
    const report = await verifyProject(deps, p.projectId);
    expect(report.ok).toBe(false);
    const chain = report.checks.find((c) => c.check === 'hash-chain')!;
    expect(chain.ok).toBe(false);
    expect(chain.location).toMatchObject({ projectId: p.projectId, seq: 1 });
    // Temporal's history itself is untouched: it still replays.
    expect(report.checks.find((c) => c.check === 'temporal-replay')!.ok).toBe(true);
  });
  it('an Update that reaches a fresh worker after the first workflow task replays: the first task records the patch marker', async () => {
    // A first workflow task that completes with no command made a worker rebuilding the run deliver
    // a later Update in the same activation as the start, and replay in an activation of its own:
    // the two ordered the Update's completion and the persistence commands differently.
    const taskQueue = `launch-fresh-${randomUUID()}`;
    const first = await startTestWorker(h.db, taskQueue);
    const projectId = `lp-${randomUUID().slice(0, 8)}`;
    const create = createEvent(cycle, projectId, '换了工作进程之后的提交');
    const handle = await h.temporal.client.workflow.start(projectWorkflow, {
      workflowId: m.projectWorkflowId(cycle.cycleId, projectId),
      taskQueue,
      args: [{ cycle, create, createLoggedByLauncher: true }],
    });
    await persistLaunchedProjects(h.db, cycle, [{ projectId, workflowId: handle.workflowId, runId: handle.firstExecutionRunId, create }]);
    await waitUntil('the first workflow task to complete', async () => ((await handle.fetchHistory()).events?.some((e) => e.workflowTaskCompletedEventAttributes) ? true : undefined));
    await first.stop(); // its cache goes with it: the next worker rebuilds the run from history
    const update = handle.executeUpdate(m.PERSON_UPDATES.submit, { args: [{ type: 'submit', actor: leadSecretary }] });
    await new Promise((r) => setTimeout(r, 1000));
    const second = await startTestWorker(h.db, taskQueue);
    try {
      await update;
      await waitUntil('the submit to be logged', async () => ((await logOf(projectId)).length === 2 ? true : undefined));
    } finally {
      await second.stop();
    }
    const history = await handle.fetchHistory();
    const markers = (history.events ?? []).map((e) => e.markerRecordedEventAttributes?.markerName).filter(Boolean);
    expect(markers).toEqual(['core_patch']);
    await expect(Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, handle.workflowId)).resolves.toBeUndefined();
    // With RECORD_HISTORIES=1 it joins the replay gate (test/histories/v4: code that leaves seq 1 to the launcher).
    if (process.env.RECORD_HISTORIES === '1') {
      const target = path.join(__dirname, '..', 'histories', 'v4');
      fs.mkdirSync(target, { recursive: true });
      fs.writeFileSync(path.join(target, 'launched-project-update-on-a-rebuilt-run.json'), `${historyToJSON(history)}\n`);
    }
  });
});
