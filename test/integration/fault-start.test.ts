/**
 * `npm start` under faults, with real processes and real signals: its embedded PostgreSQL and
 * Temporal dev server SIGKILLed under it, itself SIGKILLed, and stopped with Ctrl-C (SIGINT) again
 * and again. Each scenario runs its own `npm start` (scripts/start.ts) on free ports and a
 * temporary data directory, so nothing collides with the shared test infrastructure or with other
 * runs on the machine. The measured figures are printed (and recorded in the README).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { reclaimLeftovers } from '../../scripts/infra/leftovers';
import { isAlive } from '../../scripts/infra/processes';
import { commandOf, descendants, health, postgresPid, spawnStart, startEnv, temporalPid, type StartedProcess, type StartEnv } from '../helpers/start-process';
import { waitUntil } from '../helpers/wait';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fault-start-'));
fs.chmodSync(root, 0o755);
const running = new Set<StartedProcess>();
const figures: string[] = [];

function record(line: string): void {
  figures.push(line);
  process.stdout.write(`[fault-start] ${line}\n`);
}

function start(env: StartEnv): StartedProcess {
  const started = spawnStart(env);
  running.add(started);
  dumpOnFailure(started);
  void started.exited.then(() => running.delete(started));
  return started;
}

/** What npm start logged is the first thing to read when a scenario fails. */
function dumpOnFailure(started: StartedProcess): void {
  onTestFailed(() => {
    const lines = started.output().split('\n').filter((line) => !line.includes('"level":20'));
    process.stdout.write(`\n--- npm start (pid ${started.pid}) output, last lines ---\n${lines.slice(-80).join('\n')}\n`);
  });
}

/** Whatever a failed test left running: SIGKILL the start scripts, then stop their services by pid file. */
async function cleanUp(): Promise<void> {
  for (const started of [...running]) {
    started.child.kill('SIGKILL');
    await started.exited;
  }
  for (const dir of fs.existsSync(root) ? fs.readdirSync(root) : []) {
    await reclaimLeftovers(
      { postgresDataDir: path.join(root, dir, 'postgres'), temporalDbFile: path.join(root, dir, 'temporal', 'temporal.db'), graceMs: 2000 },
      { info: () => undefined, warn: () => undefined },
    );
  }
}

afterAll(async () => {
  await cleanUp();
  fs.rmSync(root, { recursive: true, force: true });
  if (figures.length) process.stdout.write(`\nfault-start figures:\n${figures.map((f) => `  ${f}`).join('\n')}\n`);
});

async function connectTemporal(env: StartEnv): Promise<{ client: Client; close(): Promise<void> }> {
  const connection = await Connection.connect({ address: `127.0.0.1:${env.TEMPORAL_DEV_PORT}` });
  return { client: new Client({ connection }), close: () => connection.close() };
}

function databaseUrl(env: StartEnv): string {
  return `postgres://postgres:postgres@127.0.0.1:${env.EMBEDDED_PG_PORT}/party_projects`;
}

async function waitHealthy(base: string, timeoutMs = 60_000): Promise<void> {
  await waitUntil('/health 200', async () => ((await health(base)) === 200 ? true : undefined), timeoutMs, 100);
}

function logged(started: StartedProcess, message: RegExp): boolean {
  return started.logs().some((entry) => typeof entry.msg === 'string' && message.test(entry.msg));
}

describe('npm start heals its embedded services', () => {
  // A failed expectation must not leave this scenario's processes running.
  afterAll(cleanUp);
  let system: StartedProcess;
  let committeeToken = '';

  it('starts with the demo city', async () => {
    system = start(await startEnv(path.join(root, 'heal'), true));
    await system.ready;
    // The committee's row of the welcome: role, username, password, token.
    const row = /^\s+committee\s+(\S+)\s+(\S+)\s+(ppe_\S+)$/m.exec(system.output());
    expect(row, 'the committee demo user is printed with username, password and token').not.toBeNull();
    committeeToken = row![3]!;
    await waitHealthy(system.base);
    // The printed username and password sign in.
    const signIn = await fetch(`${system.base}/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: row![1], password: row![2] }) });
    expect(signIn.status, await signIn.clone().text()).toBe(200);
    expect(signIn.headers.get('set-cookie')).toContain('pp_session=');
  });

  it('restarts a SIGKILLed PostgreSQL by itself; /health, the pool and the API work again', async () => {
    dumpOnFailure(system);
    const auth = { authorization: `Bearer ${committeeToken}` };
    const before = postgresPid(system.env);
    expect(before).not.toBeNull();
    // Requests keep coming while PostgreSQL is killed: an authenticated read and /health, 4 per second each.
    const statuses = new Map<string, number>();
    let sending = true;
    const traffic = (async () => {
      while (sending) {
        const results = await Promise.all([
          fetch(`${system.base}/projects?cycle=demo-2026&limit=5`, { headers: auth, signal: AbortSignal.timeout(5000) }).then(
            async (r) => (await r.arrayBuffer(), `projects ${r.status}`),
            () => 'projects no answer',
          ),
          health(system.base).then((s) => `health ${s || 'no answer'}`),
        ]);
        for (const key of results) statuses.set(key, (statuses.get(key) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    await new Promise((r) => setTimeout(r, 1000));

    const killedAt = Date.now();
    process.kill(before!, 'SIGKILL');
    const after = await waitUntil('a new postmaster', async () => {
      const pid = postgresPid(system.env);
      return pid && pid !== before ? pid : undefined;
    }, 60_000, 50);
    const restartedMs = Date.now() - killedAt;
    await waitHealthy(system.base);
    const healthyMs = Date.now() - killedAt;
    // The API's pool reconnected: an authenticated read, then a write through Temporal, the worker and an activity.
    await waitUntil('GET /projects 200', async () => {
      const response = await fetch(`${system.base}/projects?cycle=demo-2026&limit=5`, { headers: auth });
      return response.status === 200 ? true : undefined;
    }, 30_000, 200);
    const readMs = Date.now() - killedAt;
    sending = false;
    await traffic;
    const check = await fetch(`${system.base}/wiring-checks`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'after a PostgreSQL restart' }),
    });
    expect(check.status).toBe(201);
    expect(((await check.json()) as { stored: boolean }).stored).toBe(true);

    expect(after).not.toBe(before);
    expect(isAlive(before!)).toBe(false);
    expect(logged(system, /embedded PostgreSQL died/)).toBe(true);
    // The readiness probe may log the restart a moment after the API already answers again.
    await waitUntil('the restart logged', async () => (logged(system, /embedded PostgreSQL restarted/) ? true : undefined), 10_000, 100);
    expect(system.child.exitCode).toBeNull();
    record(
      `PostgreSQL SIGKILL: new postmaster ready after ${restartedMs} ms, /health 200 after ${healthyMs} ms, authenticated read 200 after ${readMs} ms; ` +
        `requests during the outage: ${[...statuses].map(([k, v]) => `${k} ×${v}`).join(', ')}`,
    );
  });

  it('restarts a SIGKILLed Temporal dev server by itself on the same SQLite file; started workflows are still there', async () => {
    dumpOnFailure(system);
    const temporal = await connectTemporal(system.env);
    let known: Array<{ workflowId: string; runId: string }>;
    try {
      known = await waitUntil('demo project workflows', async () => {
        const found: Array<{ workflowId: string; runId: string }> = [];
        for await (const execution of temporal.client.workflow.list({ query: `CycleId = "demo-2026"` })) {
          found.push({ workflowId: execution.workflowId, runId: execution.runId });
          if (found.length === 5) break;
        }
        return found.length === 5 ? found : undefined;
      }, 60_000, 500);
    } finally {
      await temporal.close();
    }

    const before = temporalPid(system.env);
    expect(before).not.toBeNull();
    const killedAt = Date.now();
    process.kill(before!, 'SIGKILL');
    const after = await waitUntil('a new dev server', async () => {
      const pid = temporalPid(system.env);
      return pid && pid !== before ? pid : undefined;
    }, 60_000, 50);
    await waitHealthy(system.base);
    const healthyMs = Date.now() - killedAt;
    // The worker polls the restarted server: a workflow started through the API completes.
    const check = await fetch(`${system.base}/wiring-checks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${committeeToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'after a Temporal restart' }),
    });
    expect(check.status).toBe(201);
    const workflowMs = Date.now() - killedAt;

    const again = await connectTemporal(system.env);
    try {
      for (const { workflowId, runId } of known) {
        const description = await again.client.workflow.getHandle(workflowId, runId).describe();
        expect(description.runId).toBe(runId);
        expect(description.searchAttributes.CycleId).toEqual(['demo-2026']);
      }
    } finally {
      await again.close();
    }
    expect(after).not.toBe(before);
    expect(logged(system, /Temporal dev server died/)).toBe(true);
    // The readiness probe may log the restart a moment after the API already answers again.
    await waitUntil('the restart logged', async () => (logged(system, /Temporal dev server restarted/) ? true : undefined), 10_000, 100);
    record(`Temporal dev server SIGKILL: /health 200 after ${healthyMs} ms, a workflow through API + worker completed after ${workflowMs} ms; ${known.length} demo workflows kept their runs`);

    const stopAt = Date.now();
    system.child.kill('SIGINT');
    expect((await system.exited).code).toBe(0);
    record(`stop after both restarts: ${Date.now() - stopAt} ms`);
  });
});

describe('a SIGKILLed npm start leaves nothing that blocks the next start', () => {
  // A failed expectation must not leave this scenario's processes running.
  afterAll(cleanUp);
  it('its watchdog stops PostgreSQL and Temporal; the next start comes up on the same ports with the data', async () => {
    const env = await startEnv(path.join(root, 'orphans'));
    const first = start(env);
    await first.ready;
    // Data in both stores: a workflow (Temporal's SQLite file) whose activity writes a row (PostgreSQL).
    const temporal = await connectTemporal(env);
    try {
      const result = await temporal.client.workflow.execute('wiringCheckWorkflow', {
        workflowId: 'orphan-check',
        taskQueue: 'party-projects',
        args: [{ checkId: 'orphan-check', message: 'written before kill -9' }],
      });
      expect(result).toMatchObject({ stored: true });
    } finally {
      await temporal.close();
    }
    const pgPid = postgresPid(env)!;
    const devPid = temporalPid(env)!;
    expect(pgPid && devPid).toBeTruthy();

    const killedAt = Date.now();
    first.child.kill('SIGKILL');
    await first.exited;
    await waitUntil('the orphans stopped by the watchdog', async () => (!isAlive(pgPid) && !isAlive(devPid) ? true : undefined), 15_000, 50);
    record(`npm start SIGKILLed: its watchdog stopped PostgreSQL and the dev server within ${Date.now() - killedAt} ms`);

    const second = start(env);
    await second.ready;
    await waitHealthy(second.base);
    const temporalAgain = await connectTemporal(env);
    try {
      const description = await temporalAgain.client.workflow.getHandle('orphan-check').describe();
      expect(description.status.name).toBe('COMPLETED');
    } finally {
      await temporalAgain.close();
    }
    const client = new pg.Client({ connectionString: databaseUrl(env) });
    await client.connect();
    try {
      const rows = await client.query('select message from wiring_checks where id = $1', ['orphan-check']);
      expect(rows.rows).toEqual([{ message: 'written before kill -9' }]);
    } finally {
      await client.end();
    }

    // Now the worst case: the start script and its watchdog SIGKILLed together (kill -9 of both,
    // an OOM kill of the whole session's…). The services stay up as orphans...
    const pgPid2 = postgresPid(env)!;
    const devPid2 = temporalPid(env)!;
    const watchdogPid = descendants(second.pid).find((pid) => commandOf(pid).includes('watchdog.ts'));
    expect(watchdogPid).toBeDefined();
    process.kill(watchdogPid!, 'SIGKILL');
    second.child.kill('SIGKILL');
    await second.exited;
    await new Promise((r) => setTimeout(r, 1000));
    expect(isAlive(pgPid2) && isAlive(devPid2)).toBe(true);

    // ...and the next start recognises them by their data directory, stops them and starts.
    const reclaimAt = Date.now();
    const third = start(env);
    await third.ready;
    record(`start over orphans left by a SIGKILLed npm start and watchdog: reclaimed and up in ${Date.now() - reclaimAt} ms`);
    expect(logged(third, /left running by an earlier npm start/)).toBe(true);
    expect(isAlive(pgPid2) || isAlive(devPid2)).toBe(false);
    await waitHealthy(third.base);

    // A live npm start's services are not leftovers: a second copy on the same data directory is
    // refused in one line, and the first one keeps running.
    const copy = start(env);
    expect((await copy.exited).code).toBe(1);
    expect(copy.output().trim()).toMatch(new RegExp(`^start failed: another npm start \\(pid ${third.pid}\\) is running on this data directory`));
    expect(copy.output().trim().split('\n')).toHaveLength(1);
    expect(await health(third.base)).toBe(200);
    third.child.kill('SIGINT');
    expect((await third.exited).code).toBe(0);
  }, 300_000);

  it('a foreign process on a port is reported in one line naming the variable to change', async () => {
    const env = await startEnv(path.join(root, 'foreign'));
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(Number(env.EMBEDDED_PG_PORT), '127.0.0.1', resolve));
    try {
      const attempt = start(env);
      const exit = await attempt.exited;
      expect(exit.code).toBe(1);
      const lines = attempt.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^start failed: port ${env.EMBEDDED_PG_PORT} for the embedded PostgreSQL is already in use by pid ${process.pid} .*set EMBEDDED_PG_PORT`));
    } finally {
      squatter.close();
    }
  });
});

describe('Ctrl-C stops npm start', () => {
  // A failed expectation must not leave this scenario's processes running.
  afterAll(cleanUp);
  const env = startEnv(path.join(root, 'stop'));

  it('within 10 s, ten times in a row, leaving no process behind', async () => {
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const system = start(await env);
      await system.ready;
      const children = descendants(system.pid);
      const services = [postgresPid(await env), temporalPid(await env)];
      expect(services.every((pid) => pid && children.includes(pid))).toBe(true);
      // The last two stops come right after a crash: PostgreSQL (then Temporal) SIGKILLed, so the
      // stop meets a restart in progress (it used to hang forever after a PostgreSQL crash).
      if (i === 8) process.kill(services[0]!, 'SIGKILL');
      if (i === 9) process.kill(services[1]!, 'SIGKILL');
      const sentAt = Date.now();
      system.child.kill('SIGINT');
      const exit = await system.exited;
      const ms = Date.now() - sentAt;
      times.push(ms);
      expect(exit.code, system.output().slice(-2000)).toBe(0);
      expect(ms).toBeLessThan(10_000);
      // Its services are gone by the time it exits; helpers (tsx's esbuild) follow within a second.
      expect(services.filter((pid) => pid && isAlive(pid))).toEqual([]);
      await waitUntil('no process left', async () => (children.every((pid) => !isAlive(pid)) ? true : undefined), 2000, 50).catch(() => {
        throw new Error(`left running after stop ${i + 1}: ${children.filter(isAlive).map((pid) => `${pid} ${commandOf(pid)}`).join('; ')}`);
      });
    }
    record(`Ctrl-C ×10 (the last two right after a SIGKILL of PostgreSQL / Temporal): ${times.map((t) => (t / 1000).toFixed(1)).join(', ')} s; max ${(Math.max(...times) / 1000).toFixed(1)} s`);
    // Ten starts take about two minutes alone on two cores; more when other test files run beside it.
  }, 480_000);

  it('a second Ctrl-C kills everything at once', async () => {
    const system = start(await env);
    await system.ready;
    const children = descendants(system.pid);
    const sentAt = Date.now();
    system.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 600)); // later than npm's forwarded copy of the first one
    system.child.kill('SIGINT');
    const exit = await system.exited;
    const ms = Date.now() - sentAt;
    expect([0, 130]).toContain(exit.code);
    await waitUntil('no process left', async () => (children.every((pid) => !isAlive(pid)) ? true : undefined), 2000, 50);
    record(`second Ctrl-C 0.6 s after the first: exited (code ${exit.code}) ${ms} ms after the first`);
  });
});
