import { describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { apply, type LifecycleEvent, type ProjectState } from '../../workflows/lifecycle';
import { compressedCycle, committee, leadSecretary, proposal } from '../helpers/full-year';
import { useHarness } from '../helpers/harness';
import { chainHash } from '../../db/hash-chain';

describe('persistence activities are idempotent', () => {
  const cycle = compressedCycle('cy-act', Date.parse('2026-01-01T00:00:00Z'));
  const events: LifecycleEvent[] = [
    {
      type: 'create',
      actor: leadSecretary,
      at: '2026-01-02T01:00:00.000Z',
      projectId: 'p-idem',
      cycleId: cycle.cycleId,
      parentId: null,
      orgId: leadSecretary.orgId,
      leadSecretaryId: leadSecretary.userId,
      reviewer: { orgId: committee.orgId, userId: committee.userId },
      proposal: proposal(cycle.year, '幂等写入测试项目'),
    },
    { type: 'submit', actor: leadSecretary, at: '2026-01-02T02:00:00.000Z' },
    { type: 'approve', actor: committee, at: '2026-01-02T03:00:00.000Z', comment: null },
  ];
  const states: ProjectState[] = [];
  let state: ProjectState | null = null;
  for (const event of events) {
    const result = apply(state, event, cycle);
    if (!result.ok) throw new Error(result.refusal.message);
    state = result.state;
    states.push(result.state);
  }
  const recorded = events.map((event, i) => ({ seq: i + 1, event }));

  const h = useHarness({ name: 'activities', temporal: false });

  it('persisting the same batch twice writes each event and the projection once', async () => {
    const activities = createActivities({ db: h.db });
    const input = { workflowId: 'wf', runId: 'run-1', projectId: 'p-idem', cycle, events: recorded.slice(0, 2) };
    expect(await activities.persistProject(input)).toEqual({ appended: 2 });
    expect(await activities.persistProject(input)).toEqual({ appended: 0 });
    const rows = await h.db.selectFrom('project_events').selectAll().where('project_id', '=', 'p-idem').orderBy('seq').execute();
    expect(rows.map((r) => r.seq)).toEqual([1, 2]);
    expect(rows[0].prev_hash).toBeNull();
    expect(rows[1].prev_hash).toBe(rows[0].hash);
    expect(rows[1].hash).toBe(chainHash(rows[0].hash, 'p-idem', 2, events[1]));
  });

  it('an overlapping retry appends only what is new, and a late old batch never takes the projection back', async () => {
    const activities = createActivities({ db: h.db });
    expect(await activities.persistProject({ workflowId: 'wf', runId: 'run-1', projectId: 'p-idem', cycle, events: recorded })).toEqual({ appended: 1 });
    await activities.persistProject({ workflowId: 'wf', runId: 'run-1', projectId: 'p-idem', cycle, events: recorded.slice(0, 2) });
    const row = await h.db.selectFrom('projects').select(['stage', 'version']).where('id', '=', 'p-idem').executeTakeFirstOrThrow();
    expect(row).toEqual({ stage: 'approved', version: states[2].version });
    const count = await h.db.selectFrom('project_events').select((eb) => eb.fn.countAll<number>().as('n')).where('project_id', '=', 'p-idem').executeTakeFirstOrThrow();
    expect(count.n).toBe(3);
  });

  it('refuses a batch that would leave a gap in the event log', async () => {
    const activities = createActivities({ db: h.db });
    await expect(
      activities.persistProject({ workflowId: 'wf', runId: 'run-1', projectId: 'p-idem', cycle, events: [{ seq: 9, event: events[2] }] }),
    ).rejects.toThrow(/gap/);
  });

  it('fifty concurrent identical persists give exactly one row per event', async () => {
    const activities = createActivities({ db: h.db });
    const batch = { workflowId: 'wf2', runId: 'run-2', projectId: 'p-concurrent', cycle, events: [{ seq: 1, event: { ...events[0], projectId: 'p-concurrent' } as LifecycleEvent }] };
    const results = await Promise.all(Array.from({ length: 50 }, () => activities.persistProject(batch)));
    expect(results.reduce((n, r) => n + r.appended, 0)).toBe(1);
    const rows = await h.db.selectFrom('project_events').select('seq').where('project_id', '=', 'p-concurrent').execute();
    expect(rows).toHaveLength(1);
  });

  it('the projection folded from the events equals the state the lifecycle core computes, row for row', async () => {
    const activities = createActivities({ db: h.db });
    await activities.persistProject({ workflowId: 'wf3', runId: 'run-3', projectId: 'p-fold', cycle, events: recorded.map((r) => ({ seq: r.seq, event: { ...r.event, ...(r.seq === 1 ? { projectId: 'p-fold' } : {}) } as LifecycleEvent })).slice(0, 1) });
    await activities.persistProject({ workflowId: 'wf3', runId: 'run-3', projectId: 'p-fold', cycle, events: recorded.slice(1) });
    const row = await h.db.selectFrom('projects').select(['state', 'version', 'stage']).where('id', '=', 'p-fold').executeTakeFirstOrThrow();
    expect(row.state).toEqual({ ...states[2], id: 'p-fold' });
    expect(row.stage).toBe('approved');
    const indicators = await h.db.selectFrom('project_indicators').select('id').where('project_id', '=', 'p-fold').orderBy('id').execute();
    expect(indicators.map((i) => i.id)).toEqual(states[2].proposal.indicators.map((i) => i.id).sort());
  });

  it('a persistence that keeps failing is recorded as lagging, with its reason, and cleared once it succeeds', async () => {
    const activities = createActivities({ db: h.db });
    // An event the core refuses on top of the stored projection (approve before submit) can never be projected.
    const bad = { workflowId: 'wf4', runId: 'run-4', projectId: 'p-lag', cycle, events: [{ seq: 1, event: { ...events[0], projectId: 'p-lag' } as LifecycleEvent }, { seq: 2, event: events[2] }] };
    await expect(activities.persistProject(bad)).rejects.toThrow(/refused while projecting/);
    await expect(activities.persistProject(bad)).rejects.toThrow(/refused while projecting/);
    const lag = await h.db.selectFrom('persistence_lag').selectAll().where('project_id', '=', 'p-lag').executeTakeFirstOrThrow();
    expect(lag).toMatchObject({ workflow_id: 'wf4', attempts: 2, pending_seq: 1 });
    expect(lag.last_error).toMatch(/stage\./);
    // Nothing of the failed batch was half-written.
    const logged = await h.db.selectFrom('project_events').select('seq').where('project_id', '=', 'p-lag').execute();
    expect(logged).toHaveLength(0);
    await activities.persistProject({ ...bad, events: bad.events.slice(0, 1) });
    expect(await h.db.selectFrom('persistence_lag').selectAll().where('project_id', '=', 'p-lag').executeTakeFirst()).toBeUndefined();
  });

  it('writing the same notifications twice keeps one row each', async () => {
    const activities = createActivities({ db: h.db });
    const notes = [1, 2].map((i) => ({ id: `p-idem:${i}:k:u`, projectId: 'p-idem', cycleId: cycle.cycleId, recipientId: 'u', kind: 'k', message: '提醒', at: '2026-01-02T03:00:00.000Z' }));
    expect(await activities.writeNotifications(notes)).toBe(2);
    expect(await activities.writeNotifications(notes)).toBe(0);
    const rows = await h.db.selectFrom('notifications').select('id').where('project_id', '=', 'p-idem').execute();
    expect(rows).toHaveLength(2);
  });
});
