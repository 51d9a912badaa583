/**
 * A persistence that keeps failing is never silent: while a project's writes fail (here a trigger
 * refuses its new event-log rows, as a full disk or a broken constraint would), the workflow keeps
 * accepting actions, `/health` reports itself degraded, committee staff see the project, since when
 * and why, and the audit reports "persistence lagging" rather than a tampered log. Once the cause is
 * gone the activity's retry catches up by itself and everything verifies.
 */
import { refuseEventWrites } from '../helpers/refuse-writes';
import { describe, expect, inject, it } from 'vitest';
import { verifyProject, type AuditDeps } from '../../audit';
import { createFileContentStore } from '../../db/content-store';
import { compressedCycle } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';
import { waitUntil } from '../helpers/wait';
import os from 'node:os';

describe('lagging persistence is visible and heals', () => {
  const cycle = compressedCycle('cy-lag', Date.now());
  const h = useHarness({ name: 'persistlag', cycle });
  const { post } = h;


  it('a project whose writes keep failing shows in /health, in the lagging list and in the audit, then catches up', async () => {
    const id = await h.propose('u-sec-oc1', cycle, '持久化滞后测试项目');
    await waitUntil('creation persisted', async () => (await h.db.selectFrom('projects').select('version').where('id', '=', id).executeTakeFirst())?.version);

    const allowWrites = await refuseEventWrites(h.db, id, 'simulated: no space left on device');

    // The workflow still accepts the action: Temporal keeps it while the write is retried.
    const submitted = await post('u-sec-oc1', `/projects/${id}/submit`);
    expect(submitted.statusCode, submitted.body).toBe(200);
    expect(submitted.json().stage).toBe('in_review');

    const lagging = await waitUntil('lag recorded', async () => {
      const r = await h.get('u-committee', '/persistence/lagging');
      return r.json().total > 0 ? (r.json() as { total: number; items: { projectId: string; pendingSeq: number; lastError: string }[] }) : undefined;
    });
    expect(lagging.items[0]).toMatchObject({ projectId: id, pendingSeq: 2 });
    expect(lagging.items[0].lastError).toMatch(/no space left on device/);
    expect((await h.get('u-sec-oc1', '/persistence/lagging')).statusCode).toBe(403);

    const health = await h.app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: 'degraded', persistence: { laggingProjects: 1 } });

    const deps: AuditDeps = { db: h.db, temporal: h.temporal.client, store: createFileContentStore(os.tmpdir()), workflows: { workflowBundlePath: inject('workflowBundlePath') } };
    const report = await verifyProject(deps, id);
    const failed = report.checks.filter((c) => !c.ok).map((c) => c.check);
    expect(failed).toEqual(['persistence']);
    expect(report.checks.find((c) => c.check === 'persistence')?.failures?.[0]?.message).toMatch(/持久化滞后.*no space left on device/);

    // The cause goes away: the activity's own retry catches up, with nothing lost or doubled.
    await allowWrites();
    await waitUntil('lag cleared', async () => ((await h.db.selectFrom('persistence_lag').select('project_id').execute()).length === 0 ? true : undefined), 90_000, 500);
    const events = await h.db.selectFrom('project_events').select(['seq', 'type']).where('project_id', '=', id).orderBy('seq').execute();
    expect(events.map((e) => e.type)).toEqual(['create', 'submit']);
    expect((await h.app.inject({ method: 'GET', url: '/health' })).json().status).toBe('ok');
    expect((await verifyProject(deps, id)).ok).toBe(true);
  }, 180_000);

  it('a reviewer delegated while the projection lags gives their opinion at once: what the projection refuses is asked of the workflow', async () => {
    const id = await h.propose('u-sec-oc1', cycle, '滞后期间委派项目');
    expect((await post('u-sec-oc1', `/projects/${id}/submit`)).statusCode).toBe(200);
    const transferred = await post('u-committee', `/projects/${id}/review/transfer`, { toUserId: 'u-sec-u1', toOrgId: 'org-u1', reason: '请单位党组把关' });
    expect(transferred.statusCode, transferred.body).toBe(200);
    await waitUntil('the transfer projected', async () => ((await h.db.selectFrom('projects').select('version').where('id', '=', id).executeTakeFirst())?.version === 3 ? true : undefined));

    const allowWrites = await refuseEventWrites(h.db, id, 'simulated: the projection lags');
    try {
      const delegated = await post('u-sec-u1', `/projects/${id}/review/delegate`, { toUserId: 'u-sec-b1', toOrgId: 'org-b1', note: '请提意见' });
      expect(delegated.statusCode, delegated.body).toBe(200);
      // The projection does not name the delegate yet, and their own org is not the project's.
      const projected = await h.db.selectFrom('projects').select('state').where('id', '=', id).executeTakeFirstOrThrow();
      expect(projected.state.version).toBe(3);
      expect(projected.state.review.delegate?.to.userId).toBeUndefined();

      const opinion = await post('u-sec-b1', `/projects/${id}/review/opinion`, { recommendation: 'approve', opinion: '同意' });
      expect(opinion.statusCode, opinion.body).toBe(200);
      expect(opinion.json().version).toBe(5);
    } finally {
      await allowWrites();
    }
    await waitUntil('caught up', async () => ((await h.db.selectFrom('projects').select('version').where('id', '=', id).executeTakeFirst())?.version === 5 ? true : undefined), 90_000, 500);
    const events = await h.db.selectFrom('project_events').select('type').where('project_id', '=', id).orderBy('seq').execute();
    expect(events.map((e) => e.type)).toEqual(['create', 'submit', 'transferReview', 'delegateReview', 'delegateOpinion']);
  }, 180_000);
});
