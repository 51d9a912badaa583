import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { apply, type LifecycleEvent, type ProjectState } from '../../workflows/lifecycle';
import { compressedCycle, committee, leadSecretary, proposal } from '../helpers/full-year';
import { createTestDatabase, type TestDatabase } from '../helpers/infra';
import { chainHash } from '../../db/hash-chain';

describe('persistence activities are idempotent', () => {
  let database: TestDatabase;
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

  beforeAll(async () => {
    database = await createTestDatabase('activities');
  });
  afterAll(async () => database?.close());

  it('persisting the same batch twice writes each event and the projection once', async () => {
    const activities = createActivities({ db: database.db });
    const input = { workflowId: 'wf', runId: 'run-1', events: recorded.slice(0, 2), state: states[1] };
    expect(await activities.persistProject(input)).toEqual({ appended: 2 });
    expect(await activities.persistProject(input)).toEqual({ appended: 0 });
    const rows = await database.db.selectFrom('project_events').selectAll().where('project_id', '=', 'p-idem').orderBy('seq').execute();
    expect(rows.map((r) => r.seq)).toEqual([1, 2]);
    expect(rows[0].prev_hash).toBeNull();
    expect(rows[1].prev_hash).toBe(rows[0].hash);
    expect(rows[1].hash).toBe(chainHash(rows[0].hash, 'p-idem', 2, events[1]));
  });

  it('an overlapping retry appends only what is new, and a late old snapshot never overwrites a newer projection', async () => {
    const activities = createActivities({ db: database.db });
    expect(await activities.persistProject({ workflowId: 'wf', runId: 'run-1', events: recorded, state: states[2] })).toEqual({ appended: 1 });
    await activities.persistProject({ workflowId: 'wf', runId: 'run-1', events: recorded.slice(0, 2), state: states[1] });
    const row = await database.db.selectFrom('projects').select(['stage', 'version']).where('id', '=', 'p-idem').executeTakeFirstOrThrow();
    expect(row).toEqual({ stage: 'approved', version: states[2].version });
    const count = await database.db.selectFrom('project_events').select((eb) => eb.fn.countAll<number>().as('n')).where('project_id', '=', 'p-idem').executeTakeFirstOrThrow();
    expect(count.n).toBe(3);
  });

  it('refuses a batch that would leave a gap in the event log', async () => {
    const activities = createActivities({ db: database.db });
    await expect(
      activities.persistProject({ workflowId: 'wf', runId: 'run-1', events: [{ seq: 9, event: events[2] }], state: { ...states[2], version: 9 } }),
    ).rejects.toThrow(/gap/);
  });

  it('fifty concurrent identical persists give exactly one row per event', async () => {
    const activities = createActivities({ db: database.db });
    const other = { ...states[0], id: 'p-concurrent' };
    const batch = { workflowId: 'wf2', runId: 'run-2', events: [{ seq: 1, event: { ...events[0], projectId: 'p-concurrent' } as LifecycleEvent }], state: other };
    const results = await Promise.all(Array.from({ length: 50 }, () => activities.persistProject(batch)));
    expect(results.reduce((n, r) => n + r.appended, 0)).toBe(1);
    const rows = await database.db.selectFrom('project_events').select('seq').where('project_id', '=', 'p-concurrent').execute();
    expect(rows).toHaveLength(1);
  });

  it('writing the same notifications twice keeps one row each', async () => {
    const activities = createActivities({ db: database.db });
    const notes = [1, 2].map((i) => ({ id: `p-idem:${i}:k:u`, projectId: 'p-idem', cycleId: cycle.cycleId, recipientId: 'u', kind: 'k', message: '提醒', at: '2026-01-02T03:00:00.000Z' }));
    expect(await activities.writeNotifications(notes)).toBe(2);
    expect(await activities.writeNotifications(notes)).toBe(0);
    const rows = await database.db.selectFrom('notifications').select('id').where('project_id', '=', 'p-idem').execute();
    expect(rows).toHaveLength(2);
  });
});
