/**
 * Size by design, at the schema's maxima: one project takes a thousand evidence entries of
 * 10,000 Chinese characters each (the longest the API accepts), each citing a file, and still
 * verifies; its histories grow linearly and no payload comes near Temporal's limits.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { buildApp } from '../../api/app';
import { verifyProject, type AuditDeps } from '../../audit';
import { BYTES_PER_ENTRY_BOUND, driveBigProject, longText, measureHistories, PAYLOAD_BOUND, TEXT_CHARS } from '../../bench/big-project';
import { createFileContentStore } from '../../db/content-store';
import { STATE_MAX_BYTES, type CycleConfig, type Refusal } from '../../workflows/lifecycle';
import * as m from '../../workflows/messages';
import { seedCast, type ApiCast } from '../helpers/api';
import { compressedCycle, proposal } from '../helpers/full-year';
import { connectTemporal, createTestDatabase, startTestWorker, testLogger, type RunningTestWorker, type TestDatabase, type TestTemporal } from '../helpers/infra';
import { waitUntil } from '../helpers/wait';

const ENTRIES = Number(process.env.BIG_PROJECT_ENTRIES ?? 1000);

describe('a project at the schema maxima', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let worker: RunningTestWorker;
  let app: FastifyInstance;
  let cast: ApiCast;
  const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'big-project-'));
  const store = createFileContentStore(storeDir);
  // Quarters and later deadlines six hours away: the project stays in progress while the test runs.
  const base = compressedCycle('cy-big', Date.now());
  const later = (iso: string) => new Date(Date.parse(iso) + 6 * 3600_000).toISOString();
  const cycle = {
    ...base,
    calendar: {
      ...base.calendar,
      quarters: base.calendar.quarters.map((q) => ({ ...q, evidenceDeadline: later(q.evidenceDeadline), inspectionWindowEnd: later(q.inspectionWindowEnd) })),
      dispatchWindow: { start: later(base.calendar.dispatchWindow.start), end: later(base.calendar.dispatchWindow.end) },
      selfAssessmentDeadline: later(base.calendar.selfAssessmentDeadline),
      acceptanceWindow: { start: later(base.calendar.acceptanceWindow.start), end: later(base.calendar.acceptanceWindow.end) },
      monthlyReminders: base.calendar.monthlyReminders.map(later),
    },
  } as CycleConfig;
  const as = (userId: string) => ({ authorization: `Bearer ${cast.tokens[userId]}` });
  const post = (userId: string, url: string, payload: object = {}) => app.inject({ method: 'POST', url, headers: as(userId), payload });

  beforeAll(async () => {
    database = await createTestDatabase('bigproject');
    temporal = await connectTemporal();
    worker = await startTestWorker(database.db, temporal.taskQueue);
    app = await buildApp({ db: database.db, temporal: temporal.client, namespace: temporal.namespace, taskQueue: temporal.taskQueue, logger: testLogger, store, rateLimitPerMinute: 1_000_000 });
    cast = await seedCast(database.db, cycle);
  });
  afterAll(async () => {
    await app?.close();
    await worker?.stop();
    await temporal?.close();
    await database?.close();
    fs.rmSync(storeDir, { recursive: true, force: true });
  });

  it(`takes ${ENTRIES} evidence entries of ${TEXT_CHARS} characters with files, verifies, and keeps every payload small`, async () => {
    const { projectId: id, lastVersion, submitSeconds, failures, retries } = await driveBigProject({
      app,
      cycle,
      secretaryToken: cast.tokens['u-sec-oc1'],
      reviewerToken: cast.tokens['u-committee'],
      proposal: proposal(cycle.year, '数据量上限测试项目') as never,
      entries: ENTRIES,
    });
    expect(failures).toEqual([]);

    // One character over the schema's maximum: 400, and nothing changes.
    const tooLong = await post('u-sec-oc1', `/projects/${id}/evidence`, { quarter: 1, text: longText(0) + '多', files: [], indicatorActuals: [] });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.headers['content-type']).toContain('application/problem+json');

    // The same long text sent straight to Temporal, past the API, is refused by the lifecycle core.
    const handle = temporal.client.workflow.getHandle(m.projectWorkflowId(cycle.cycleId, id));
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
    const download = await app.inject({ method: 'GET', url: `/evidence-files/${sample.textRef!.sha256}`, headers: as('u-committee') });
    expect(download.statusCode).toBe(200);
    const sampleIndex = Number(/^第(\d+)条/.exec(sample.text)?.[1]);
    expect(download.body).toBe(longText(sampleIndex));

    // Every accepted entry is in the event log and the projection, once.
    await waitUntil('projection caught up', async () => {
      const row = await database.db.selectFrom('projects').select('version').where('id', '=', id).executeTakeFirst();
      return row && row.version >= lastVersion ? row : undefined;
    }, 60_000);
    const evidenceRows = await database.db.selectFrom('evidence').select((eb) => eb.fn.countAll<string>().as('n')).where('project_id', '=', id).executeTakeFirstOrThrow();
    expect(Number(evidenceRows.n)).toBe(ENTRIES);

    const deps: AuditDeps = { db: database.db, temporal: temporal.client, store, workflows: { workflowBundlePath: inject('workflowBundlePath') } };
    const verifyStarted = Date.now();
    const report = await verifyProject(deps, id);
    const verifySeconds = (Date.now() - verifyStarted) / 1000;
    expect(report.checks.filter((c) => !c.ok), JSON.stringify(report.checks.filter((c) => !c.ok)).slice(0, 2000)).toEqual([]);

    const sizes = await measureHistories(temporal.client, cycle.cycleId, id, ENTRIES);
    console.log(
      `big project: ${ENTRIES} entries in ${submitSeconds.toFixed(1)} s (${retries} retried); ${sizes.runs} runs, ${sizes.events} events, ${(sizes.historyBytes / 1024 / 1024).toFixed(2)} MiB of history ` +
        `(${sizes.bytesPerEntry} B per entry); largest payload ${sizes.largestPayloadBytes} B (${sizes.largestPayloadAt}), largest other ${sizes.largestOtherPayloadBytes} B; state ${stateBytes} B; verified in ${verifySeconds.toFixed(1)} s`,
    );
    expect(sizes.largestOtherPayloadBytes).toBeLessThan(PAYLOAD_BOUND);
    expect(sizes.largestPayloadBytes).toBeLessThan(STATE_MAX_BYTES + PAYLOAD_BOUND);
    expect(sizes.bytesPerEntry).toBeLessThan(BYTES_PER_ENTRY_BOUND);
  }, 900_000);
});
