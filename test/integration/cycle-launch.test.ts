import { describe, expect, it } from 'vitest';
import { launchProgressQuery, launchWorkflowId } from '../../workflows/launch-cycle';
import type { CreateEvent } from '../../workflows/lifecycle';
import { compressedCycle, proposal } from '../fixtures/cycles';
import { waitUntil } from '../helpers/wait';
import { useHarness } from '../helpers/harness';
import { projectWorkflowId } from '../../workflows/messages';

const SECRETARIES = [
  { userId: 'u-sec-u1', orgId: 'org-u1' },
  { userId: 'u-sec-oc1', orgId: 'org-oc1' },
  { userId: 'u-sec-b1', orgId: 'org-b1' },
  { userId: 'u-sec-b2', orgId: 'org-b2' },
  { userId: 'u-sec-u2', orgId: 'org-u2' },
  { userId: 'u-sec-oc2', orgId: 'org-oc2' },
];

describe('opening and launching a cycle', () => {
  const setupCycle = compressedCycle('cy-setup', Date.now());
  const cycle = { ...compressedCycle('cy-launch', Date.now()), cycleId: 'cy-launch' };
  const TOTAL = 60;

  const h = useHarness({ name: 'launch', cycle: setupCycle });

  const committee = () => ({ authorization: `Bearer ${h.cast.tokens['u-committee']}` });

  function plannedProjects() {
    return Array.from({ length: TOTAL }, (_, i) => {
      const lead = SECRETARIES[i % SECRETARIES.length];
      const create: CreateEvent = {
        type: 'create',
        actor: { userId: lead.userId, role: 'secretary', orgId: lead.orgId },
        at: new Date().toISOString(),
        projectId: `L-${String(i).padStart(3, '0')}`,
        cycleId: cycle.cycleId,
        parentId: null,
        orgId: lead.orgId,
        leadSecretaryId: lead.userId,
        reviewer: cycle.committee,
        // u-sec-b2 leads no key project this year.
        proposal: { ...proposal(cycle.year, `计划项目 ${i}`), isKey: lead.userId !== 'u-sec-b2' },
      };
      return { create, children: [] };
    });
  }



  it('opens a cycle and reports the secretaries who lead no key project', async () => {
    const users = Object.values(h.cast.users).map((u) => ({ id: u.id, name: u.id, role: u.role, orgId: u.orgId }));
    const orgs = await h.db.selectFrom('orgs').selectAll().execute();
    const response = await h.app.inject({
      method: 'POST',
      url: '/cycles',
      headers: committee(),
      payload: { cycle, orgs: orgs.map((o) => ({ id: o.id, parentId: o.parent_id, kind: o.kind, name: o.name, secretaryId: o.secretary_id })), users, projects: plannedProjects() },
    });
    expect(response.statusCode, response.body).toBe(201);
    const body = response.json();
    expect(body.launch).toMatchObject({ total: TOTAL, started: 0, pending: TOTAL, status: 'open' });
    expect(body.secretariesWithoutKeyProject.map((s: { secretaryId: string }) => s.secretaryId).sort()).toEqual(['u-sec-b2', 'u-sec-b3']);
    const again = await h.app.inject({ method: 'POST', url: '/cycles', headers: committee(), payload: { cycle, orgs: [], users: [], projects: [] } });
    expect(again.statusCode).toBe(409);
  });

  it('a secretary cannot open or launch a cycle', async () => {
    const response = await h.app.inject({ method: 'POST', url: `/cycles/${cycle.cycleId}/launch`, headers: { authorization: `Bearer ${h.cast.tokens['u-sec-oc1']}` }, payload: {} });
    expect(response.statusCode).toBe(403);
  });

  it('a launcher killed half way is finished by launching again, and nothing starts twice', async () => {
    const first = await h.app.inject({ method: 'POST', url: `/cycles/${cycle.cycleId}/launch`, headers: committee(), payload: { batchSize: 3 } });
    expect(first.statusCode, first.body).toBe(202);
    const launcher = h.temporal.client.workflow.getHandle(launchWorkflowId(cycle.cycleId));
    // Launching again while it runs starts no second launcher.
    const concurrent = await h.app.inject({ method: 'POST', url: `/cycles/${cycle.cycleId}/launch`, headers: committee(), payload: {} });
    expect(concurrent.json().alreadyRunning).toBe(true);
    // Progress is visible while it runs.
    await waitUntil('some projects started', async () => {
      const progress = await launcher.query(launchProgressQuery);
      return progress.started >= 6 ? progress : undefined;
    });
    await launcher.terminate('simulated launcher death');
    const halfway = (await h.app.inject({ method: 'GET', url: `/cycles/${cycle.cycleId}`, headers: committee() })).json();
    expect(halfway.launch.started).toBeGreaterThan(0);
    expect(halfway.launch.pending).toBeGreaterThan(0);

    const resumed = await h.app.inject({ method: 'POST', url: `/cycles/${cycle.cycleId}/launch`, headers: committee(), payload: { batchSize: 20 } });
    expect(resumed.json().alreadyRunning).toBe(false);
    await h.temporal.client.workflow.getHandle(launchWorkflowId(cycle.cycleId)).result();
    const done = (await h.app.inject({ method: 'GET', url: `/cycles/${cycle.cycleId}`, headers: committee() })).json();
    expect(done.launch).toMatchObject({ total: TOTAL, started: TOTAL, pending: 0, status: 'launched' });

    // Exactly one workflow per project.
    const count = await waitUntil('visibility to catch up', async () => {
      const { count } = await h.temporal.client.workflow.count(`CycleId = '${cycle.cycleId}' AND WorkflowType = 'projectWorkflow'`);
      return count >= TOTAL ? count : undefined;
    });
    expect(count).toBe(TOTAL);

    // One activity per batch selects, starts and persists it (no separate select activity).
    const launcherHistory = await h.temporal.client.workflow.getHandle(launchWorkflowId(cycle.cycleId)).fetchHistory();
    const activityTypes = (launcherHistory.events ?? []).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
    expect(new Set(activityTypes)).toEqual(new Set(['markCycleStatus', 'launchNextBatch']));
    // At most one per batch of the projects pending after the first launcher died, and the empty one that ends it.
    expect(activityTypes.filter((t) => t === 'launchNextBatch').length).toBeLessThanOrEqual(Math.ceil(halfway.launch.pending / 20) + 1);

    // Launching a finished cycle again starts nothing.
    await h.app.inject({ method: 'POST', url: `/cycles/${cycle.cycleId}/launch`, headers: committee(), payload: {} });
    const again = await h.temporal.client.workflow.getHandle(launchWorkflowId(cycle.cycleId)).result();
    expect(again.started).toBe(0);
    expect((await h.temporal.client.workflow.count(`CycleId = '${cycle.cycleId}' AND WorkflowType = 'projectWorkflow'`)).count).toBe(TOTAL);
  });

  it('a launched project costs Temporal one workflow task with its patch marker and no activity: the launcher stored its create event, projection and tasks', async () => {
    const handle = h.temporal.client.workflow.getHandle(projectWorkflowId(cycle.cycleId, 'L-002'));
    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    const types = events.map((e) => Object.keys(e).find((k) => k.endsWith('EventAttributes')));
    // Started and one workflow task that records only its patch marker (LAUNCHER_CREATE_PATCH, with
    // the SDK's own TemporalChangeVersion bookkeeping): no activity task, no local activity, no
    // project search attribute upserted (it was started with them).
    expect(types.slice(0, 4)).toEqual(['workflowExecutionStartedEventAttributes', 'workflowTaskScheduledEventAttributes', 'workflowTaskStartedEventAttributes', 'workflowTaskCompletedEventAttributes']);
    expect(types.filter((t) => t?.startsWith('activityTask'))).toEqual([]);
    expect(types.filter((t) => t === 'workflowTaskCompletedEventAttributes')).toHaveLength(1);
    expect(events.map((e) => e.markerRecordedEventAttributes?.markerName).filter(Boolean)).toEqual(['core_patch']);
    const upserted = events.flatMap((e) => Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}));
    expect(upserted.filter((name) => name !== 'TemporalChangeVersion')).toEqual([]);

    // The launcher's batch wrote seq 1 under the workflow's first run, the projection and the draft task.
    const { runId } = await handle.describe();
    const logged = await h.db.selectFrom('project_events').select(['seq', 'run_id', 'workflow_id', 'prev_hash']).where('project_id', '=', 'L-002').execute();
    expect(logged.map((r) => ({ ...r, seq: Number(r.seq) }))).toEqual([{ seq: 1, run_id: runId, workflow_id: handle.workflowId, prev_hash: null }]);
    const projection = await h.db.selectFrom('projects').select(['stage', 'version', 'workflow_id']).where('id', '=', 'L-002').executeTakeFirstOrThrow();
    expect(projection).toEqual({ stage: 'draft', version: 1, workflow_id: handle.workflowId });
    const tasks = await h.db.selectFrom('tasks').select(['kind', 'assignee_id']).where('project_id', '=', 'L-002').execute();
    expect(tasks).toEqual([{ kind: 'draft', assignee_id: 'u-sec-b1' }]);
    // Every launched project has exactly its create event logged, and the audit finds each log equal to its workflow.
    const counts = await h.db.selectFrom('project_events').select((eb) => eb.fn.countAll<string>().as('n')).where('project_id', 'like', 'L-%').executeTakeFirstOrThrow();
    expect(Number(counts.n)).toBe(TOTAL);
    const audit = await h.app.inject({ method: 'GET', url: '/audit/projects/L-002/verify', headers: { authorization: `Bearer ${h.cast.tokens['u-auditor']}` } });
    expect(audit.statusCode, audit.body).toBe(200);
    expect(audit.json().ok, audit.body).toBe(true);
  });

  it('a launched project is a running workflow the API can act on', async () => {
    const lead = { authorization: `Bearer ${h.cast.tokens['u-sec-oc1']}` };
    const response = await h.app.inject({ method: 'POST', url: '/projects/L-001/submit', headers: lead, payload: {} });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().stage).toBe('in_review');
  });
});
