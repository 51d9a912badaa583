/**
 * One project at the schema's maxima, driven through the HTTP API: evidence entries of 10,000
 * Chinese characters (the longest the API accepts), each citing an uploaded file. Used by the
 * acceptance test (test/integration/payload-limits.test.ts) and by `npm run bench`, which both
 * report how its Temporal histories grow and how large their largest payloads are.
 */
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { fetchRunHistories, historyStats, type RunHistory } from '../audit';
import type { CycleConfig } from '../workflows/lifecycle';
import { projectWorkflowId } from '../workflows/messages';

export const TEXT_CHARS = 10_000;
/** Stated bounds: every payload but the state carried across continue-as-new stays below PAYLOAD_BOUND. */
export const PAYLOAD_BOUND = 64 * 1024;
/** History bytes per evidence entry, summed over every run of the project's workflow. */
export const BYTES_PER_ENTRY_BOUND = 16 * 1024;

/** 10,000 Chinese characters, different for every entry (it starts with its number). */
export function longText(i: number): string {
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

export interface BigProjectRun {
  projectId: string;
  lastVersion: number;
  submitSeconds: number;
  failures: string[];
  /** Requests answered 503 (or "key in progress") and retried with their Idempotency-Key. */
  retries: number;
}

/**
 * Proposes a project as `secretary`, has `reviewer` approve it, signs the letter, uploads 20 files
 * and submits `entries` evidence entries with `concurrency` requests in flight.
 */
export async function driveBigProject(options: {
  app: FastifyInstance;
  cycle: CycleConfig;
  secretaryToken: string;
  reviewerToken: string;
  proposal: Record<string, unknown>;
  entries: number;
  concurrency?: number;
}): Promise<BigProjectRun> {
  const { app, cycle } = options;
  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const post = (token: string, url: string, payload: object = {}) => app.inject({ method: 'POST', url, headers: as(token), payload });
  const must = async (what: string, response: Promise<{ statusCode: number; body: string; json: () => any }>, status = 200) => {
    const r = await response;
    if (r.statusCode !== status) throw new Error(`${what}: ${r.statusCode} ${r.body.slice(0, 300)}`);
    return r.json();
  };
  const created = await must('propose', post(options.secretaryToken, '/projects', { cycleId: cycle.cycleId, ...options.proposal }), 201);
  const id = created.id as string;
  await must('submit', post(options.secretaryToken, `/projects/${id}/submit`));
  await must('approve', post(options.reviewerToken, `/projects/${id}/review`, { decision: 'approve' }));
  await must('letter', post(options.secretaryToken, `/projects/${id}/letter`, { text: '本人承诺履行第一责任人职责' }));

  const files: { sha256: string; size: number; name: string }[] = [];
  for (let f = 0; f < 20; f++) {
    const body = multipart(`附件${f}.txt`, `季度佐证附件 ${f}\n`.repeat(50));
    const uploaded = await must('upload', app.inject({ method: 'POST', url: '/evidence-files', headers: { ...as(options.secretaryToken), ...body.headers }, payload: body.payload }), 201);
    const stored = uploaded.files[0];
    files.push({ sha256: stored.sha256, size: stored.size, name: stored.name });
  }

  const started = Date.now();
  let lastVersion = 0;
  let next = 0;
  let retries = 0;
  const failures: string[] = [];
  // Several sessions at once: the workflow takes the Updates one at a time.
  await Promise.all(
    Array.from({ length: options.concurrency ?? 4 }, async () => {
      for (let i = next++; i < options.entries; i = next++) {
        // As a real client does: one Idempotency-Key per entry, retried after a 503 or a key still in progress.
        const key = `big-${id}-${i}`;
        let response;
        for (let attempt = 1; ; attempt++) {
          response = await app.inject({
            method: 'POST',
            url: `/projects/${id}/evidence`,
            headers: { ...as(options.secretaryToken), 'idempotency-key': key },
            payload: { quarter: (i % 4) + 1, text: longText(i), files: [files[i % files.length]], indicatorActuals: [] },
          });
          const retryable = response.statusCode === 503 || (response.statusCode === 409 && response.body.includes('idempotency-key-in-progress'));
          if (!retryable || attempt >= 10) break;
          retries += 1;
          await new Promise((r) => setTimeout(r, Math.min(5, Number(response!.headers['retry-after'] ?? 1)) * 1000));
        }
        if (response.statusCode !== 200) failures.push(`${i}: ${response.statusCode} ${response.body.slice(0, 200)}`);
        else lastVersion = Math.max(lastVersion, response.json().version as number);
      }
    }),
  );
  return { projectId: id, lastVersion, submitSeconds: (Date.now() - started) / 1000, failures, retries };
}

export interface PayloadReport {
  runs: number;
  events: number;
  historyBytes: number;
  bytesPerEntry: number;
  largestPayloadBytes: number;
  largestPayloadAt: string;
  /** The largest payload other than the state carried across continue-as-new (workflow inputs). */
  largestOtherPayloadBytes: number;
}

const CARRIED = new Set(['workflowExecutionStartedEventAttributes', 'workflowExecutionContinuedAsNewEventAttributes']);

/** Measures the project's histories against Temporal's limits. */
export async function measureHistories(temporal: Client, cycleId: string, projectId: string, entries: number): Promise<PayloadReport & { histories: RunHistory[] }> {
  const runs = await fetchRunHistories(temporal, projectWorkflowId(cycleId, projectId));
  const stats = historyStats(runs);
  const largestOther = Math.max(0, ...Object.entries(stats.largestPayloadByAttributes).filter(([where]) => !CARRIED.has(where)).map(([, bytes]) => bytes));
  return {
    runs: stats.runs,
    events: stats.events,
    historyBytes: stats.bytes,
    bytesPerEntry: Math.round(stats.bytes / entries),
    largestPayloadBytes: stats.largestPayloadBytes,
    largestPayloadAt: stats.largestPayloadAt,
    largestOtherPayloadBytes: largestOther,
    histories: runs,
  };
}
