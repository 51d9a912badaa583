/**
 * Right after an action answers 200, the audit's timeline and state-as-of include it: they wait
 * (bounded) for the event log to hold every event the workflow has applied, and say how far
 * behind the log still is when it cannot catch up.
 */
import { refuseEventWrites } from '../helpers/refuse-writes';
import { describe, expect, it } from 'vitest';
import { compressedCycle } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';

describe('the audit right after an action', () => {
  const cycle = compressedCycle('cy-fresh', Date.now());
  const h = useHarness({ name: 'auditfresh', cycle });
  const { post } = h;


  it('the timeline and the state as of now include the action that just answered 200', async () => {
    const id = await h.propose('u-sec-oc1', cycle, '审计即时性项目');
    for (let round = 0; round < 3; round++) {
      const submitted = await post('u-sec-oc1', `/projects/${id}/submit`);
      expect(submitted.statusCode, submitted.body).toBe(200);
      const seq = submitted.json().version as number;
      const timeline = await h.get('u-auditor', `/audit/projects/${id}/timeline`);
      expect(timeline.statusCode, timeline.body).toBe(200);
      expect(timeline.json().entries.map((e: { seq: number }) => e.seq)).toContain(seq);
      expect(timeline.json().log).toMatchObject({ behind: 0, persistenceLagging: false });
      const state = await h.get('u-auditor', `/audit/projects/${id}/state`);
      expect(state.json()).toMatchObject({ seq, state: { stage: 'in_review' }, log: { behind: 0 } });
      expect((await post('u-sec-oc1', `/projects/${id}/withdraw`, {})).statusCode).toBe(200);
    }
  });

  it('when the log cannot catch up, the answer says how far behind it is', async () => {
    const id = await h.propose('u-sec-oc1', cycle, '审计滞后项目');
    await h.get('u-auditor', `/audit/projects/${id}/timeline`);
    const allowWrites = await refuseEventWrites(h.db, id, 'simulated outage');
    try {
      expect((await post('u-sec-oc1', `/projects/${id}/submit`)).statusCode).toBe(200);
      const timeline = await h.get('u-auditor', `/audit/projects/${id}/timeline`);
      expect(timeline.statusCode).toBe(200);
      expect(timeline.json().log).toMatchObject({ behind: 1 });
      expect(timeline.json().log.workflowSeq).toBe(timeline.json().log.loggedSeq + 1);
    } finally {
      await allowWrites();
    }
  });
});
