/**
 * The audit's replay requests share replay workers (audit/replay.ts): requests that arrive while a
 * replay worker runs are fed to it instead of each making its own, and each request still gets
 * its own outcomes — a history that does not replay fails its own request only.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { replayRuns, replayStats, type RunHistory } from '../../audit';
import { installRuntimeLogging } from '../../worker';
import { testLogger } from '../helpers/infra';

const dir = path.join(__dirname, '..', 'histories', 'v1');

function run(file: string, runId = file): RunHistory {
  return { workflowId: `shared/${file}`, runId, history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'))) };
}

function altered(): RunHistory {
  const r = run('full-year-p-engine.json', 'altered');
  const scheduled = r.history.events?.find((e) => e.activityTaskScheduledEventAttributes);
  scheduled!.activityTaskScheduledEventAttributes!.activityType = { name: 'someOtherActivity' };
  return r;
}

describe('shared replay workers for the audit', () => {
  installRuntimeLogging(testLogger);
  const code = () => ({ workflowBundlePath: inject('workflowBundlePath') });
  const files = ['full-year-p-engine.json', 'full-year-p-engine-c1.json', 'full-year-p-engine-c2.json', 'continued-as-new-first-run.json'];

  it('replays many concurrent requests on fewer workers than requests, each request getting its own outcomes in order', async () => {
    const before = { ...replayStats };
    const requests = Array.from({ length: 12 }, (_, i) => [run(files[i % files.length], `r${i}-a`), run(files[(i + 1) % files.length], `r${i}-b`)]);
    const outcomes = await Promise.all(requests.map((runs) => replayRuns(code(), runs)));
    outcomes.forEach((list, i) => {
      expect(list.map((o) => o.runId)).toEqual([`r${i}-a`, `r${i}-b`]);
      expect(list.every((o) => o.ok), JSON.stringify(list)).toBe(true);
    });
    expect(replayStats.requests - before.requests).toBe(12);
    expect(replayStats.histories - before.histories).toBe(24);
    expect(replayStats.workers - before.workers).toBeLessThan(12);
  });

  it('a history that does not replay fails its own request; the requests around it still pass', async () => {
    const results = await Promise.all([
      replayRuns(code(), [run(files[0], 'before')]),
      replayRuns(code(), [run(files[1], 'good-in-bad'), altered()]),
      replayRuns(code(), [run(files[2], 'after')]),
    ]);
    expect(results[0]).toEqual([expect.objectContaining({ runId: 'before', ok: true })]);
    expect(results[1][0]).toMatchObject({ runId: 'good-in-bad', ok: true });
    expect(results[1][1]).toMatchObject({ runId: 'altered', ok: false, errorName: 'DeterminismViolationError' });
    expect(results[2]).toEqual([expect.objectContaining({ runId: 'after', ok: true })]);
  });

  it('a request whose history cannot even be read by the replayer is refused alone, and the next request replays', async () => {
    const broken: RunHistory = { workflowId: 'shared/broken', runId: 'broken', history: { events: [] } };
    const results = await Promise.allSettled([replayRuns(code(), [run(files[0], 'first')]), replayRuns(code(), [broken]), replayRuns(code(), [run(files[3], 'third')])]);
    expect(results[0]).toMatchObject({ status: 'fulfilled', value: [{ runId: 'first', ok: true }] });
    expect(results[1].status).toBe('rejected');
    expect(results[2]).toMatchObject({ status: 'fulfilled', value: [{ runId: 'third', ok: true }] });
  });
});
