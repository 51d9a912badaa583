/**
 * Exactly once under retries: when the first attempt of an action was applied but its answer was
 * lost (a crash before the Idempotency-Key stored the response, a timeout, an expired lease), the
 * client's retry with the same key applies nothing a second time — the ids the server decides and
 * the Temporal Update id derive from the key, and Temporal answers a known Update id with its
 * first outcome.
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import type { PersonActor } from '../../workflows/lifecycle';
import * as m from '../../workflows/messages';
import { projectWorkflow } from '../../workflows/project';
import { compressedCycle, HOUR, postpone, proposal } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';
import { waitUntil } from '../helpers/wait';

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

  it('an Update retried after the workflow continued as new gets its first answer and applies nothing again', async () => {
    // Temporal deduplicates an Update id within one run only. The API's retry of an action whose
    // first attempt was applied (its answer lost to a timeout) reaches the next run when the
    // workflow continued as new in between: it was refused as a duplicate (400 材料编号…已存在) for an
    // action that had been carried out. The workflow now carries its last answers across runs.
    const secretary: PersonActor = { userId: 'u-sec-oc1', role: 'secretary', orgId: 'org-oc1' };
    const committee: PersonActor = { userId: 'u-committee', role: 'committee', orgId: 'org-committee' };
    const projectId = 'P-once-across-runs';
    const handle = await h.temporal.client.workflow.start(projectWorkflow, {
      workflowId: m.projectWorkflowId(cycle.cycleId, projectId),
      taskQueue: h.temporal.taskQueue,
      args: [
        {
          cycle,
          continueAsNewAfterEvents: 1,
          create: {
            type: 'create',
            actor: secretary,
            at: new Date().toISOString(),
            projectId,
            cycleId: cycle.cycleId,
            parentId: null,
            orgId: secretary.orgId,
            leadSecretaryId: secretary.userId,
            reviewer: { orgId: committee.orgId, userId: committee.userId },
            proposal: proposal(cycle.year, '跨运行幂等项目'),
          },
        },
      ],
    });
    await handle.executeUpdate(m.submitProposalUpdate, { args: [{ type: 'submit', actor: secretary }] });
    await handle.executeUpdate(m.approveProposalUpdate, { args: [{ type: 'approve', actor: committee, comment: '同意' }] });
    await handle.executeUpdate(m.signLetterUpdate, { args: [{ type: 'signLetter', actor: secretary, text: '责任书' }] });
    const evidence = { type: 'submitEvidence' as const, actor: secretary, evidenceId: 'EV-once-across-runs', quarter: 1 as const, milestoneId: null, text: '第一季度材料', files: [], indicatorActuals: [] };
    const answeredBy = (await handle.describe()).runId;
    const first = await handle.executeUpdate(m.submitEvidenceUpdate, { args: [evidence], updateId: 'api-once-across-runs' });
    await waitUntil('the workflow continued as new after the evidence', async () => ((await handle.describe()).runId !== answeredBy ? true : undefined), 30_000, 100);

    const retry = await handle.executeUpdate(m.submitEvidenceUpdate, { args: [evidence], updateId: 'api-once-across-runs' });
    expect(retry).toEqual(first);
    const view = await handle.query(m.getProjectQuery);
    expect(view.state.evidence.filter((e) => e.id === 'EV-once-across-runs')).toHaveLength(1);
    expect(view.seq).toBe(first.seq);

    // A new Update id with the same evidence id is still refused: only a retry gets the old answer.
    await expect(handle.executeUpdate(m.submitEvidenceUpdate, { args: [evidence], updateId: 'api-another-action' })).rejects.toThrow();
    await waitUntil('the event log caught up', async () => {
      const rows = await h.db.selectFrom('project_events').select(['seq', 'type']).where('project_id', '=', projectId).orderBy('seq').execute();
      return rows.length === first.seq ? rows : undefined;
    }, 30_000, 100);
    const logged = await h.db.selectFrom('project_events').select('type').where('project_id', '=', projectId).where('type', '=', 'submitEvidence').execute();
    expect(logged).toHaveLength(1);

    // Both runs replay: the one that applied the evidence and continued as new (recording the
    // patch marker), and the one that answered the retry from what it carried.
    const applying = await h.temporal.client.workflow.getHandle(handle.workflowId, answeredBy).fetchHistory();
    const answering = await handle.fetchHistory();
    const events = (history: typeof applying) => history.events ?? [];
    expect(events(applying).some((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')).toBe(true);
    expect(events(applying).some((e) => e.workflowExecutionContinuedAsNewEventAttributes)).toBe(true);
    expect(events(answering).filter((e) => e.workflowExecutionUpdateCompletedEventAttributes)).toHaveLength(1);
    const bundle = { workflowBundle: { codePath: inject('workflowBundlePath') } };
    await expect(Worker.runReplayHistory(bundle, applying, 'applying')).resolves.toBeUndefined();
    await expect(Worker.runReplayHistory(bundle, answering, 'answering')).resolves.toBeUndefined();
    // With RECORD_HISTORIES=1 both join the replay gate (test/histories/v5: answers carried across runs).
    if (process.env.RECORD_HISTORIES === '1') {
      const target = path.join(__dirname, '..', 'histories', 'v5');
      fs.mkdirSync(target, { recursive: true });
      fs.writeFileSync(path.join(target, 'update-applied-then-continued-as-new.json'), `${historyToJSON(applying)}\n`);
      fs.writeFileSync(path.join(target, 'update-retried-in-the-next-run.json'), `${historyToJSON(answering)}\n`);
    }
  });
});
