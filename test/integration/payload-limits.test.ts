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
import { fetchRunHistories, historyStats, verifyProject, type AuditDeps } from '../../audit';
import { createFileContentStore } from '../../db/content-store';
import { STATE_MAX_BYTES, type CycleConfig, type Refusal } from '../../workflows/lifecycle';
import * as m from '../../workflows/messages';
import { seedCast, type ApiCast } from '../helpers/api';
import { compressedCycle, proposal } from '../helpers/full-year';
import { connectTemporal, createTestDatabase, startTestWorker, testLogger, type RunningTestWorker, type TestDatabase, type TestTemporal } from '../helpers/infra';
import { waitUntil } from '../helpers/wait';

const ENTRIES = Number(process.env.BIG_PROJECT_ENTRIES ?? 1000);
const TEXT_CHARS = 10_000;
/** Every payload but the state carried across continue-as-new stays below this. */
const PAYLOAD_BOUND = 64 * 1024;
/** History bytes per evidence entry, summed over every run. */
const BYTES_PER_ENTRY_BOUND = 16 * 1024;

/** 10,000 Chinese characters, different for every entry. */
function longText(i: number): string {
  const head = `第${i}条佐证材料：`;
  const body = '党建引领业务融合深化服务群众提质增效'.repeat(Math.ceil(TEXT_CHARS / 18));
  return (head + body).slice(0, TEXT_CHARS);
}

function multipart(name: string, content: string) {
  const boundary = `----big${Date.now().toString(16)}`;
  const payload = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: text/plain\r\n\r\n${content}\r\n--${boundary}--\r\n`,
  );
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

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
    const { title, ...rest } = proposal(cycle.year, '数据量上限测试项目');
    const created = await post('u-sec-oc1', '/projects', { cycleId: cycle.cycleId, title, ...rest });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    expect((await post('u-sec-oc1', `/projects/${id}/submit`)).statusCode).toBe(200);
    expect((await post('u-committee', `/projects/${id}/review`, { decision: 'approve' })).statusCode).toBe(200);
    expect((await post('u-sec-oc1', `/projects/${id}/letter`, { text: '本人承诺履行第一责任人职责' })).json().stage).toBe('in_progress');

    const files: { sha256: string; size: number; name: string }[] = [];
    for (let f = 0; f < 20; f++) {
      const body = multipart(`附件${f}.txt`, `季度佐证附件 ${f}\n`.repeat(50));
      const uploaded = await app.inject({ method: 'POST', url: '/evidence-files', headers: { ...as('u-sec-oc1'), ...body.headers }, payload: body.payload });
      expect(uploaded.statusCode, uploaded.body).toBe(201);
      const stored = uploaded.json().files[0];
      files.push({ sha256: stored.sha256, size: stored.size, name: stored.name });
    }

    const started = Date.now();
    let lastVersion = 0;
    for (let i = 0; i < ENTRIES; i++) {
      const response = await post('u-sec-oc1', `/projects/${id}/evidence`, { quarter: (i % 4) + 1, text: longText(i), files: [files[i % files.length]], indicatorActuals: [] });
      expect(response.statusCode, response.body).toBe(200);
      lastVersion = response.json().version;
    }
    const submitSeconds = (Date.now() - started) / 1000;

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
    expect(download.body).toBe(longText(ENTRIES - 1));

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

    const runs = await fetchRunHistories(temporal.client, m.projectWorkflowId(cycle.cycleId, id));
    const stats = historyStats(runs);
    const carried = new Set(['workflowExecutionStartedEventAttributes', 'workflowExecutionContinuedAsNewEventAttributes']);
    let largestOther = 0;
    // The largest payload that is not the carried state.
    const { largestPayloadBytes } = stats;
    for (const run of runs) {
      for (const event of run.history.events ?? []) {
        for (const [key, attrs] of Object.entries(event)) {
          if (!key.endsWith('Attributes') || carried.has(key) || !attrs) continue;
          largestOther = Math.max(largestOther, historyStats([{ ...run, history: { events: [event] } }]).largestPayloadBytes);
        }
      }
    }
    const bytesPerEntry = stats.bytes / ENTRIES;
    console.log(
      `big project: ${ENTRIES} entries in ${submitSeconds.toFixed(1)} s; ${stats.runs} runs, ${stats.events} events, ${(stats.bytes / 1024 / 1024).toFixed(2)} MiB of history ` +
        `(${Math.round(bytesPerEntry)} B per entry); largest payload ${largestPayloadBytes} B (${stats.largestPayloadAt}), largest other ${largestOther} B; state ${stateBytes} B; verified in ${verifySeconds.toFixed(1)} s`,
    );
    expect(largestOther).toBeLessThan(PAYLOAD_BOUND);
    expect(largestPayloadBytes).toBeLessThan(STATE_MAX_BYTES + PAYLOAD_BOUND);
    expect(bytesPerEntry).toBeLessThan(BYTES_PER_ENTRY_BOUND);
  }, 900_000);
});
