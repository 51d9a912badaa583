/**
 * Size by design, at the schema's maxima: one project takes a thousand evidence entries of
 * 10,000 Chinese characters each (the longest the API accepts), each citing a file, and still
 * verifies; its histories grow linearly and no payload comes near Temporal's limits.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { verifyProject, type AuditDeps } from '../../audit';
import { BYTES_PER_ENTRY_BOUND, driveBigProject, longText, measureHistories, PAYLOAD_BOUND, TEXT_CHARS } from '../../bench/big-project';
import { createFileContentStore } from '../../db/content-store';
import { STATE_MAX_BYTES, type Refusal } from '../../workflows/lifecycle';
import * as m from '../../workflows/messages';
import { compressedCycle, EXECUTION, HOUR, postpone, proposal } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';
import { waitUntil } from '../helpers/wait';

const ENTRIES = Number(process.env.BIG_PROJECT_ENTRIES ?? 1000);

describe('a project at the schema maxima', () => {
  const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'big-project-'));
  const store = createFileContentStore(storeDir);
  // Quarters and later deadlines six hours away: the project stays in progress while the test runs.
  const cycle = postpone(compressedCycle('cy-big', Date.now()), 6 * HOUR, [...EXECUTION, 'monthlyReminders']);
  const h = useHarness({ name: 'bigproject', cycle, app: { store, rateLimitPerMinute: 1_000_000 } });
  afterAll(async () => {
    fs.rmSync(storeDir, { recursive: true, force: true });
  });
  const { post } = h;

  it(`takes ${ENTRIES} evidence entries of ${TEXT_CHARS} characters with files, verifies, and keeps every payload small`, async () => {
    const { projectId: id, lastVersion, submitSeconds, failures, retries } = await driveBigProject({
      app: h.app,
      cycle,
      secretaryToken: h.cast.tokens['u-sec-oc1'],
      reviewerToken: h.cast.tokens['u-committee'],
      proposal: proposal(cycle.year, '数据量上限测试项目') as never,
      entries: ENTRIES,
    });
    expect(failures).toEqual([]);

    // One character over the schema's maximum: 400, and nothing changes.
    const tooLong = await post('u-sec-oc1', `/projects/${id}/evidence`, { quarter: 1, text: longText(0) + '多', files: [], indicatorActuals: [] });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.headers['content-type']).toContain('application/problem+json');

    // The same long text sent straight to Temporal, past the API, is refused by the lifecycle core.
    const handle = h.temporal.client.workflow.getHandle(m.projectWorkflowId(cycle.cycleId, id));
    const direct = await handle
      .executeUpdate(m.submitEvidenceUpdate, {
        args: [{ type: 'submitEvidence', actor: { userId: 'u-sec-oc1', role: 'secretary', orgId: 'org-oc1' }, evidenceId: 'EV-direct', quarter: 1, milestoneId: null, text: longText(1), files: [], indicatorActuals: [] }],
      })
      .then(
        () => null,
        (e: unknown) => (e instanceof WorkflowUpdateFailedError ? ((e.cause as { details?: unknown[] }).details?.[0] as Refusal) : e),
      );
    expect(direct).toMatchObject({ rule: 'payload.text_needs_claim_check', status: 400 });
    const view = await handle.query(m.getProjectQuery);
    expect(view.state.version).toBe(lastVersion);
    expect(view.state.evidence).toHaveLength(ENTRIES);

    // The state holds summaries and references; every byte of the texts is in the content store.
    const stateBytes = Buffer.byteLength(JSON.stringify(view.state));
    expect(stateBytes).toBeLessThan(STATE_MAX_BYTES);
    const sample = view.state.evidence[ENTRIES - 1];
    expect(sample.textRef).toMatchObject({ chars: TEXT_CHARS });
    const download = await h.get('u-committee', `/evidence-files/${sample.textRef!.sha256}`);
    expect(download.statusCode).toBe(200);
    const sampleIndex = Number(/^第(\d+)条/.exec(sample.text)?.[1]);
    expect(download.body).toBe(longText(sampleIndex));

    // Every accepted entry is in the event log and the projection, once.
    await waitUntil('projection caught up', async () => {
      const row = await h.db.selectFrom('projects').select('version').where('id', '=', id).executeTakeFirst();
      return row && row.version >= lastVersion ? row : undefined;
    }, 60_000);
    const evidenceRows = await h.db.selectFrom('evidence').select((eb) => eb.fn.countAll<string>().as('n')).where('project_id', '=', id).executeTakeFirstOrThrow();
    expect(Number(evidenceRows.n)).toBe(ENTRIES);

    const deps: AuditDeps = { db: h.db, temporal: h.temporal.client, store, workflows: { workflowBundlePath: inject('workflowBundlePath') } };
    const verifyStarted = Date.now();
    const report = await verifyProject(deps, id);
    const verifySeconds = (Date.now() - verifyStarted) / 1000;
    expect(report.checks.filter((c) => !c.ok), JSON.stringify(report.checks.filter((c) => !c.ok)).slice(0, 2000)).toEqual([]);

    const sizes = await measureHistories(h.temporal.client, cycle.cycleId, id, ENTRIES);
    console.log(
      `big project: ${ENTRIES} entries in ${submitSeconds.toFixed(1)} s (${retries} retried); ${sizes.runs} runs, ${sizes.events} events, ${(sizes.historyBytes / 1024 / 1024).toFixed(2)} MiB of history ` +
        `(${sizes.bytesPerEntry} B per entry); largest payload ${sizes.largestPayloadBytes} B (${sizes.largestPayloadAt}), largest other ${sizes.largestOtherPayloadBytes} B; state ${stateBytes} B; verified in ${verifySeconds.toFixed(1)} s`,
    );
    expect(sizes.largestOtherPayloadBytes).toBeLessThan(PAYLOAD_BOUND);
    expect(sizes.largestPayloadBytes).toBeLessThan(STATE_MAX_BYTES + PAYLOAD_BOUND);
    expect(sizes.bytesPerEntry).toBeLessThan(BYTES_PER_ENTRY_BOUND);
  }, 900_000);
});
