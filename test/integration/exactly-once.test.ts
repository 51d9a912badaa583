/**
 * Exactly once under retries: when the first attempt of an action was applied but its answer was
 * lost (a crash before the Idempotency-Key stored the response, a timeout, an expired lease), the
 * client's retry with the same key applies nothing a second time — the ids the server decides and
 * the Temporal Update id derive from the key, and Temporal answers a known Update id with its
 * first outcome.
 */
import { describe, expect, it } from 'vitest';
import { compressedCycle, HOUR, postpone, proposal } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';

describe('a retried action is applied once', () => {
  // Quarters an hour later: the project stays in progress while the test runs.
  const cycle = postpone(compressedCycle('cy-once', Date.now()), HOUR, ['quarters']);
  const h = useHarness({ name: 'exactlyonce', cycle });
  const post = (userId: string, url: string, payload: object = {}, key?: string) => h.post(userId, url, payload, key ? { 'idempotency-key': key } : {});
  /** What a crash between applying the action and storing its answer leaves: no stored answer for the key. */
  const loseAnswer = (userId: string, key: string) => h.db.deleteFrom('idempotency_keys').where('user_id', '=', userId).where('key', '=', key).execute();

  it('a proposal retried with its key after the answer was lost proposes one project', async () => {
    const { title, ...rest } = proposal(cycle.year, '幂等立项项目');
    const first = await post('u-sec-oc1', '/projects', { cycleId: cycle.cycleId, title, ...rest }, 'propose-once-1');
    expect(first.statusCode, first.body).toBe(201);
    await loseAnswer('u-sec-oc1', 'propose-once-1');
    const retry = await post('u-sec-oc1', '/projects', { cycleId: cycle.cycleId, title, ...rest }, 'propose-once-1');
    expect(retry.statusCode, retry.body).toBe(201);
    expect(retry.json().id).toBe(first.json().id);
    const rows = await h.db.selectFrom('cycle_projects').select('project_id').where('cycle_id', '=', cycle.cycleId).execute();
    expect(rows.filter((r) => r.project_id === first.json().id)).toHaveLength(1);
    expect(rows).toHaveLength(1);
  });

  it('evidence and an inspection retried with their keys after the answers were lost are recorded once', async () => {
    const { title, ...rest } = proposal(cycle.year, '幂等材料项目');
    const id = (await post('u-sec-oc1', '/projects', { cycleId: cycle.cycleId, title, ...rest })).json().id as string;
    await post('u-sec-oc1', `/projects/${id}/submit`);
    await post('u-committee', `/projects/${id}/review`, { decision: 'approve' });
    expect((await post('u-sec-oc1', `/projects/${id}/letter`, { text: '责任书' })).json().stage).toBe('in_progress');

    const evidence = { quarter: 1, text: '第一季度走访企业5家', files: [], indicatorActuals: [] };
    const first = await post('u-sec-oc1', `/projects/${id}/evidence`, evidence, 'evidence-once-1');
    expect(first.statusCode, first.body).toBe(200);
    await loseAnswer('u-sec-oc1', 'evidence-once-1');
    const retry = await post('u-sec-oc1', `/projects/${id}/evidence`, evidence, 'evidence-once-1');
    expect(retry.statusCode, retry.body).toBe(200);
    expect(retry.json().evidence).toHaveLength(1);
    expect(retry.json().version).toBe(first.json().version);

    // Without a key, two sends are two entries: the key is what makes a retry a retry.
    await post('u-sec-oc1', `/projects/${id}/evidence`, evidence);
    expect((await post('u-sec-oc1', `/projects/${id}/evidence`, evidence)).json().evidence).toHaveLength(3);

    const inspection = { rating: 'lagging', findings: ['进度滞后'], problems: [{ problem: '台账不全', responsibleOrgId: 'org-oc1', responsiblePersonId: 'u-sec-oc1', measures: '补齐', deadline: `${cycle.year}-12-31` }] };
    const inspected = await post('u-inspector', `/projects/${id}/inspections/1`, inspection, 'inspect-once-1');
    expect(inspected.statusCode, inspected.body).toBe(200);
    await loseAnswer('u-inspector', 'inspect-once-1');
    const again = await post('u-inspector', `/projects/${id}/inspections/1`, inspection, 'inspect-once-1');
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().ledger).toHaveLength(1);
    expect(again.json().ledger[0].id).toBe(inspected.json().ledger[0].id);
  });
});
