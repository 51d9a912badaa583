/**
 * The replay gate: histories recorded from earlier versions of the workflow code (committed under
 * test/histories/, recorded by `RECORD_HISTORIES=1 npx vitest run test/integration/full-year.test.ts`)
 * must replay against today's code. A change that would break a running project fails here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { installRuntimeLogging } from '../../worker';
import { testLogger } from '../helpers/infra';

/**
 * One folder per released workflow version: v1 was recorded before the first patched() change,
 * v2 after it (the closing notice), v3 after the second (persistence as local activities), v4 a
 * project launched with its create event persisted by the launcher (recorded by
 * `RECORD_HISTORIES=1 npx vitest run test/integration/launch-persistence.test.ts`), v5 an Update
 * applied before a continue-as-new that carried its answer, and its retry answered by the next run
 * (`RECORD_HISTORIES=1 npx vitest run test/integration/exactly-once.test.ts`). Every version must
 * keep replaying against today's code.
 */
const dir = path.join(__dirname, '..', 'histories');
const files = fs.existsSync(dir)
  ? fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) => fs.readdirSync(path.join(dir, d.name)).filter((f) => f.endsWith('.json')).map((f) => `${d.name}/${f}`))
      .sort()
  : [];

function load(file: string) {
  return historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
}

describe('replay gate: committed histories replay against the current workflow code', () => {
  installRuntimeLogging(testLogger);
  const options = () => ({ workflowBundle: { codePath: inject('workflowBundlePath') } });

  it("has histories for the milestones of a project's life, a sub-project and a continue-as-new run, for every released version", () => {
    for (const version of ['v1', 'v2', 'v3']) {
      expect(files).toEqual(
        expect.arrayContaining(['full-year-p-engine.json', 'full-year-p-engine-c1.json', 'full-year-p-engine-c3.json', 'continued-as-new-first-run.json'].map((f) => `${version}/${f}`)),
      );
    }
  });

  it.each(files)('%s replays deterministically', async (file) => {
    await expect(Worker.runReplayHistory(options(), load(file), file)).resolves.toBeUndefined();
  });

  it('a deliberately altered history fails with a determinism error (the gate can fail)', async () => {
    const history = load('v1/full-year-p-engine.json');
    const scheduled = history.events?.find((e) => e.activityTaskScheduledEventAttributes);
    expect(scheduled).toBeDefined();
    scheduled!.activityTaskScheduledEventAttributes!.activityType = { name: 'someOtherActivity' };
    await expect(Worker.runReplayHistory(options(), history, 'altered')).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
