/**
 * The production shape, proven (README "The cluster shape"): `startCluster` from scripts/cluster.ts
 * — the real Temporal server with 8 history shards on PostgreSQL, two worker processes and two API
 * processes — launches a generated city; secretaries and reviewers drive lifecycle actions through
 * BOTH API processes over HTTP, each action with its own Idempotency-Key and retried (on the other
 * API) until acknowledged, while one worker is SIGKILLed mid-load and one API process mid-request.
 * Afterwards every workflow exists once, every event log is gapless and equals its workflow, every
 * projection matches (the audit's verifyCycle), and no action was applied twice.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { verifyCycle } from '../../audit';
import { loadConfig } from '../../config';
import { createDb, type Db } from '../../db';
import { issueToken } from '../../db/auth';
import { createFileContentStore } from '../../db/content-store';
import { launchProgress, openCycle } from '../../db/cycles';
import { generateCity } from '../../db/seed/city';
import { createLogger } from '../../logger';
import { startCluster, type RunningCluster } from '../../scripts/cluster';
import { freePort } from '../../scripts/infra/ports';
import * as m from '../../workflows/messages';
import { compressedCycle, HOUR } from '../fixtures/cycles';
import { waitUntil } from '../helpers/wait';

const PROJECTS = 200;
const CYCLE_ID = 'cluster-city';
const EVIDENCE_PER_PROJECT = 2;

let dir = '';
let cluster: RunningCluster | undefined;
let db: Db | undefined;
let connection: Connection | undefined;

/** One action of one person on one project, sent with its own Idempotency-Key until acknowledged. */
interface Action {
  projectId: string;
  userId: string;
  path: string;
  body: Record<string, unknown>;
  key: string;
}

/** How the clients fared: answers per status, and how many requests each API process was serving. */
class Traffic {
  answers = new Map<string, number>();
  inFlight = [0, 0];
  acknowledged = 0;
  count(status: string) {
    this.answers.set(status, (this.answers.get(status) ?? 0) + 1);
  }
  summary() {
    return [...this.answers].map(([status, n]) => `${status} ×${n}`).join(', ');
  }
}

/** Sends the action to the APIs in turn (a retry goes to the other one) until one acknowledges it. */
async function perform(apis: string[], token: string, action: Action, traffic: Traffic, turn: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const index = (turn + attempt) % apis.length;
    traffic.inFlight[index]! += 1;
    let status: string;
    let detail = '';
    try {
      const response = await fetch(`${apis[index]}${action.path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': action.key },
        body: JSON.stringify(action.body),
        signal: AbortSignal.timeout(30_000),
      });
      detail = await response.text();
      status = String(response.status);
    } catch {
      status = 'no answer';
    } finally {
      traffic.inFlight[index]! -= 1;
    }
    traffic.count(status);
    if (status === '200' || status === '201') {
      traffic.acknowledged += 1;
      return;
    }
    // 409 only for a key still held by a request that died with its API process (a 60 s lease).
    const retryable = status === 'no answer' || status === '503' || status === '502' || status === '500' || status === '429' || (status === '409' && detail.includes('idempotency-key-in-progress'));
    if (!retryable || attempt > 200) throw new Error(`${action.path} (${action.key}): ${status} ${detail.slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** Math.min(attempt, 5))));
  }
}

/** Runs `tasks` with at most `concurrency` at once. */
async function pool<T>(items: T[], concurrency: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const index = next++;
        await task(items[index]!, index);
      }
    }),
  );
}

describe('the cluster shape (real Temporal server, 8 shards, two workers, two API processes)', () => {
  beforeAll(async () => {
    // PostgreSQL runs as the `postgres` user when we are root: it must reach this folder.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'party-cluster-'));
    fs.chmodSync(dir, 0o755);
    const started = Date.now();
    cluster = await startCluster({
      dir,
      cacheDir: loadConfig().cacheDir,
      databaseUrl: null,
      postgresPort: await freePort(),
      temporalPort: await freePort(),
      apiHost: '127.0.0.1',
      apiPorts: [await freePort(), await freePort()],
      workers: 2,
      namespace: 'default',
      taskQueue: 'cluster-test',
      // Its progress (a first build of the server takes minutes); the processes log to dir/logs.
      log: createLogger(process.env.TEST_LOG_LEVEL ?? 'info', 'cluster'),
      logLevel: 'info',
      fastPostgres: true,
    });
    process.stdout.write(`[cluster] up in ${((Date.now() - started) / 1000).toFixed(1)} s (${JSON.stringify(cluster.timings)})\n`);
    db = createDb(cluster.databaseUrl, { max: 8 });
    connection = await Connection.connect({ address: cluster.temporalAddress });
  }, 30 * 60_000);

  afterAll(async () => {
    await connection?.close();
    await db?.destroy();
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('launches a city and keeps every action exactly once through a killed worker and a killed API process', async () => {
    const c = cluster!;
    const database = db!;
    const temporal = new Client({ connection: connection!, namespace: c.namespace });
    onTestFailed(() => {
      for (const p of [...c.apis, ...c.workers]) process.stdout.write(`\n--- ${p.name}, last lines ---\n${p.output().split('\n').slice(-25).join('\n')}\n`);
    });

    // A generated city on a calendar whose quarters lie hours away: nothing fires while the test runs.
    const city = generateCity({ seed: 15, projects: PROJECTS, units: 10, cycleId: CYCLE_ID });
    const cycle = { ...compressedCycle(CYCLE_ID, Date.now() + 6 * HOUR), committee: city.cycle.committee };
    await openCycle(database, { cycle, orgs: city.orgs, users: city.users, projects: city.projects });
    const topLevel = city.projects.map((p) => p.create);
    const tokens = new Map<string, string>();
    for (const userId of new Set([city.cycle.committee.userId, ...topLevel.flatMap((c) => [c.leadSecretaryId, c.reviewer.userId])])) {
      tokens.set(userId, await issueToken(database, userId, 'cluster-test'));
    }

    // Launch through the first API process; the launcher's starts spread over both workers.
    const apis = c.apis.map((p) => p.url!);
    let t = Date.now();
    const launched = await fetch(`${apis[0]}/cycles/${CYCLE_ID}/launch`, { method: 'POST', headers: { authorization: `Bearer ${tokens.get(city.cycle.committee.userId)}`, 'content-type': 'application/json' }, body: '{}' });
    expect(launched.status, await launched.clone().text()).toBe(202);
    await waitUntil('the city launched', async () => ((await launchProgress(database, CYCLE_ID))?.started === topLevel.length ? true : undefined), 600_000, 500);
    await waitUntil('every launched project projected', async () => {
      const row = await database.selectFrom('projects').select((eb) => eb.fn.countAll<string>().as('n')).where('cycle_id', '=', CYCLE_ID).executeTakeFirstOrThrow();
      return Number(row.n) >= topLevel.length ? true : undefined;
    }, 600_000, 500);
    const launchSeconds = (Date.now() - t) / 1000;

    // Each project: submit, approve, sign the letter, two evidence entries — in order per project,
    // the projects side by side, alternating the API processes.
    const plans = topLevel.map((create) => {
      const id = create.projectId;
      const lead = create.leadSecretaryId;
      const actions: Action[] = [
        { projectId: id, userId: lead, path: `/projects/${id}/submit`, body: {}, key: `cl-${id}-submit` },
        { projectId: id, userId: create.reviewer.userId, path: `/projects/${id}/review`, body: { decision: 'approve' }, key: `cl-${id}-review` },
        { projectId: id, userId: lead, path: `/projects/${id}/letter`, body: { text: '本人承诺履行第一责任人职责' }, key: `cl-${id}-letter` },
        ...Array.from({ length: EVIDENCE_PER_PROJECT }, (_, i) => ({
          projectId: id,
          userId: lead,
          path: `/projects/${id}/evidence`,
          body: { quarter: i + 1, text: `${id} 第${i + 1}季度佐证材料`, files: [], indicatorActuals: [] },
          key: `cl-${id}-evidence-${i + 1}`,
        })),
      ];
      return actions;
    });
    const total = plans.length * plans[0]!.length;
    const traffic = new Traffic();
    const faults: string[] = [];
    let turn = 0;
    t = Date.now();
    const load = pool(plans, 12, async (actions) => {
      for (const action of actions) await perform(apis, tokens.get(action.userId)!, action, traffic, turn++);
    });
    const killer = (async () => {
      // A worker, a third of the way in: its workflow and activity tasks time out and move to the other one.
      await waitUntil('a third of the actions acknowledged', async () => (traffic.acknowledged >= total / 3 || traffic.acknowledged >= total ? true : undefined), 600_000, 50);
      const worker = c.workers[0]!;
      const workerPid = worker.pid();
      worker.kill();
      faults.push(`worker-1 (pid ${workerPid}) SIGKILLed at ${traffic.acknowledged}/${total} acknowledged`);
      // An API process, while it is serving requests, two thirds of the way in.
      await waitUntil('two thirds acknowledged and the second API busy', async () => (traffic.acknowledged >= (2 * total) / 3 && traffic.inFlight[1]! > 0 ? true : traffic.acknowledged >= total ? true : undefined), 600_000, 5);
      const api = c.apis[1]!;
      const apiPid = api.pid();
      const inFlight = traffic.inFlight[1]!;
      api.kill();
      faults.push(`api-2 (pid ${apiPid}) SIGKILLed with ${inFlight} request(s) in flight at ${traffic.acknowledged}/${total} acknowledged`);
    })();
    await Promise.all([load, killer]);
    const driveSeconds = (Date.now() - t) / 1000;
    expect(inFlightKilled(faults), 'the API process was killed mid-request').toBe(true);

    // Both killed processes came back (the cluster restarts them) and serve again.
    await c.workers[0]!.ready();
    await c.apis[1]!.ready();
    expect(c.workers[0]!.starts()).toBe(2);
    expect(c.apis[1]!.starts()).toBe(2);

    // Every workflow once: one running execution per project, no other.
    const ids = topLevel.map((p) => m.projectWorkflowId(CYCLE_ID, p.projectId));
    const executions = new Map<string, number>();
    await waitUntil('visibility lists every project', async () => {
      executions.clear();
      for await (const w of temporal.workflow.list({ query: `CycleId = "${CYCLE_ID}"` })) executions.set(w.workflowId, (executions.get(w.workflowId) ?? 0) + 1);
      return executions.size >= ids.length ? true : undefined;
    }, 120_000, 1000);
    expect([...executions.keys()].sort()).toEqual([...ids].sort());
    expect([...executions.values()].every((n) => n === 1), 'each workflow exactly once').toBe(true);

    // Every event log caught up with its workflow, gapless, each action applied once.
    for (const create of topLevel) {
      const view = await temporal.workflow.getHandle(m.projectWorkflowId(CYCLE_ID, create.projectId)).query(m.getProjectQuery);
      await waitUntil(`${create.projectId} persisted`, async () => {
        const row = await database.selectFrom('projects').select('version').where('id', '=', create.projectId).executeTakeFirst();
        return row && row.version >= view.seq ? true : undefined;
      }, 120_000, 250);
      const events = await database.selectFrom('project_events').select(['seq', 'type', 'event']).where('project_id', '=', create.projectId).orderBy('seq').execute();
      expect(events.map((e) => e.seq), `${create.projectId}: gapless`).toEqual(events.map((_, i) => i + 1));
      expect(events.length, `${create.projectId}: the log holds every event of the workflow`).toBe(view.seq);
      const types = events.map((e) => e.type);
      for (const type of ['create', 'submit', 'approve', 'signLetter']) expect(types.filter((x) => x === type), `${create.projectId}: ${type} once`).toHaveLength(1);
      const texts = events.filter((e) => e.type === 'submitEvidence').map((e) => (e.event as { text: string }).text).sort();
      expect(texts, `${create.projectId}: each evidence entry once`).toEqual(Array.from({ length: EVIDENCE_PER_PROJECT }, (_, i) => `${create.projectId} 第${i + 1}季度佐证材料`));
      expect(view.state.evidence).toHaveLength(EVIDENCE_PER_PROJECT);
      expect(view.state.stage).toBe('in_progress');
    }

    // The audit: replay, hash chain, event log = workflow, projection = workflow, for every project.
    const bundle = await bundleWorkflowCode({ workflowsPath: path.join(__dirname, '..', '..', 'workflows', 'index.ts'), logger: new DefaultLogger('WARN') });
    const bundlePath = path.join(dir, 'bundle.js');
    fs.writeFileSync(bundlePath, bundle.code);
    t = Date.now();
    const verification = await verifyCycle({ db: database, temporal, store: createFileContentStore(c.evidenceDir), workflows: { workflowBundlePath: bundlePath } }, CYCLE_ID, { concurrency: 2 });
    const verifySeconds = (Date.now() - t) / 1000;
    expect(verification.failures).toEqual([]);
    expect(verification.passed).toBe(topLevel.length);

    process.stdout.write(
      `[cluster] ${topLevel.length} top-level projects launched and projected in ${launchSeconds.toFixed(1)} s; ${total} actions through 2 API processes in ${driveSeconds.toFixed(1)} s ` +
        `(answers: ${traffic.summary()}); ${faults.join('; ')}; verified in ${verifySeconds.toFixed(1)} s\n`,
    );
  }, 40 * 60_000);
});

function inFlightKilled(faults: string[]): boolean {
  const match = /api-2 .* with (\d+) request/.exec(faults.join(' '));
  return match !== null && Number(match[1]) > 0;
}
