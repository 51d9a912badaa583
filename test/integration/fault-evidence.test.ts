/**
 * Nothing acknowledged is lost, nothing is applied twice, nobody has to step in: secretaries keep
 * submitting evidence through `npm start` (real processes, real HTTP) with their Idempotency-Keys
 * and retries while its embedded PostgreSQL and then its Temporal dev server are killed with
 * SIGKILL. Afterwards every acknowledged entry is in the workflow, the event log and the
 * projection exactly once, and every project verifies in the audit.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, inject, it, onTestFailed } from 'vitest';
import { verifyProject } from '../../audit';
import { createDb } from '../../db';
import { createFileContentStore } from '../../db/content-store';
import { reclaimLeftovers } from '../../scripts/infra/leftovers';
import * as m from '../../workflows/messages';
import { seedCast } from '../helpers/api';
import { cycleWithQuartersHoursAway, proposal } from '../fixtures/cycles';
import { health, postgresPid, spawnStart, startEnv, temporalPid, type StartedProcess } from '../helpers/start-process';
import { waitUntil } from '../helpers/wait';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fault-evidence-'));
fs.chmodSync(root, 0o755);
let system: StartedProcess | undefined;

afterAll(async () => {
  if (system) {
    system.child.kill('SIGKILL');
    await system.exited;
  }
  await reclaimLeftovers(
    { postgresDataDir: path.join(root, 'data', 'postgres'), temporalDbFile: path.join(root, 'data', 'temporal', 'temporal.db'), graceMs: 2000 },
    { info: () => undefined, warn: () => undefined },
  );
  fs.rmSync(root, { recursive: true, force: true });
});

/** One secretary's session: every entry has its own Idempotency-Key and is retried until acknowledged. */
async function submitAll(base: string, token: string, projectId: string, count: number, tally: Map<string, number>, stop: () => boolean) {
  const acknowledged: string[] = [];
  for (let i = 0; i < count && !stop(); i++) {
    const text = `${projectId} 第${i}条佐证材料：走访企业${i}家`;
    const key = `fault-${projectId}-${i}`;
    for (let attempt = 1; !stop(); attempt++) {
      let status: string;
      try {
        const response = await fetch(`${base}/projects/${projectId}/evidence`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify({ quarter: (i % 4) + 1, text, files: [], indicatorActuals: [] }),
          signal: AbortSignal.timeout(20_000),
        });
        await response.arrayBuffer();
        status = String(response.status);
      } catch {
        status = 'no answer';
      }
      tally.set(status, (tally.get(status) ?? 0) + 1);
      if (status === '200') {
        acknowledged.push(text);
        break;
      }
      if (!['503', '409', '429', 'no answer', '500', '502'].includes(status)) throw new Error(`evidence ${i} of ${projectId}: unexpected ${status}`);
      await new Promise((r) => setTimeout(r, Math.min(2000, 200 * attempt)));
    }
  }
  return acknowledged;
}

describe('evidence submitted while PostgreSQL and Temporal are killed', () => {
  it('every acknowledged entry is kept exactly once and every project verifies, with nobody stepping in', async () => {
    const env = await startEnv(path.join(root, 'data'));
    system = spawnStart(env);
    onTestFailed(() => {
      process.stdout.write(`\n--- npm start output, last lines ---\n${system!.output().split('\n').slice(-60).join('\n')}\n`);
    });
    await system.ready;
    const base = system.base;
    const db = createDb(`postgres://postgres:postgres@127.0.0.1:${env.EMBEDDED_PG_PORT}/party_projects`);
    const connection = await Connection.connect({ address: `127.0.0.1:${env.TEMPORAL_DEV_PORT}` });
    const temporal = new Client({ connection });
    try {
      // A cycle whose quarters (and everything after them) lie six hours ahead, and its people with tokens.
      const cycle = cycleWithQuartersHoursAway('cy-fault', 6);
      const cast = await seedCast(db, cycle);
      const call = async (token: string, url: string, body: object = {}) => {
        const response = await fetch(`${base}${url}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        const json = (await response.json()) as Record<string, unknown>;
        if (!response.ok) throw new Error(`${url}: ${response.status} ${JSON.stringify(json)}`);
        return json;
      };
      const secretaries = ['u-sec-oc1', 'u-sec-u1', 'u-sec-oc2'];
      const projects: { id: string; token: string }[] = [];
      for (const secretary of secretaries) {
        const token = cast.tokens[secretary];
        const { title, ...rest } = proposal(cycle.year, `${secretary} 故障演练项目`);
        const created = await call(token, '/projects', { cycleId: cycle.cycleId, title, ...rest });
        const id = created.id as string;
        await call(token, `/projects/${id}/submit`);
        await call(cast.tokens['u-committee'], `/projects/${id}/review`, { decision: 'approve' });
        await call(token, `/projects/${id}/letter`, { text: '本人承诺履行第一责任人职责' });
        projects.push({ id, token });
      }

      // Secretaries submit while the faults happen.
      const tally = new Map<string, number>();
      let faultsDone = false;
      let stopAt = Infinity;
      const sessions = projects.map((p) => submitAll(base, p.token, p.id, 400, tally, () => faultsDone && Date.now() > stopAt));
      const faults = (async () => {
        const figures: string[] = [];
        for (const [name, pidOf] of [
          ['PostgreSQL', () => postgresPid(env)],
          ['Temporal dev server', () => temporalPid(env)],
        ] as const) {
          await new Promise((r) => setTimeout(r, 3000));
          const pid = pidOf();
          if (!pid) throw new Error(`no pid for ${name}`);
          const killedAt = Date.now();
          process.kill(pid, 'SIGKILL');
          await waitUntil(`${name} back`, async () => {
            const again = pidOf();
            return again && again !== pid && (await health(base)) === 200 ? true : undefined;
          }, 120_000, 100);
          figures.push(`${name} SIGKILL: /health 200 again after ${Date.now() - killedAt} ms`);
        }
        faultsDone = true;
        // Keep submitting a few seconds after the last recovery.
        stopAt = Date.now() + 5000;
        return figures;
      })();
      const [acknowledged, figures] = await Promise.all([Promise.all(sessions), faults]);
      const answers = [...tally].map(([status, n]) => `${status} ×${n}`).join(', ');
      process.stdout.write(`[fault-evidence] ${figures.join('; ')}; answers: ${answers}; acknowledged ${acknowledged.map((a) => a.length).join('+')}\n`);
      expect(tally.get('200')).toBeGreaterThan(0);

      // Every acknowledged entry exactly once: in the workflow, the event log and the projection.
      for (const [index, project] of projects.entries()) {
        const texts = acknowledged[index];
        const view = await temporal.workflow.getHandle(m.projectWorkflowId(cycle.cycleId, project.id)).query(m.getProjectQuery);
        const inWorkflow = view.state.evidence.map((e) => e.text);
        expect(new Set(inWorkflow).size, 'no entry twice in the workflow').toBe(inWorkflow.length);
        for (const text of texts) expect(inWorkflow).toContain(text);
        await waitUntil(`${project.id} persisted`, async () => {
          const row = await db.selectFrom('projects').select('version').where('id', '=', project.id).executeTakeFirst();
          return row && row.version >= view.seq ? true : undefined;
        }, 120_000, 250);
        const logged = await db.selectFrom('project_events').select('event').where('project_id', '=', project.id).where('type', '=', 'submitEvidence').execute();
        const loggedTexts = logged.map((r) => (r.event as { text: string }).text);
        expect(new Set(loggedTexts).size, 'no entry twice in the event log').toBe(loggedTexts.length);
        expect(loggedTexts.sort()).toEqual([...inWorkflow].sort());
        const rows = await db.selectFrom('evidence').select('text').where('project_id', '=', project.id).execute();
        expect(rows.map((r) => r.text).sort()).toEqual([...inWorkflow].sort());

        const report = await verifyProject(
          { db, temporal, store: createFileContentStore(path.join(env.DATA_DIR, 'evidence')), workflows: { workflowBundlePath: inject('workflowBundlePath') } },
          project.id,
        );
        expect(report.checks.filter((c) => !c.ok)).toEqual([]);
      }
      expect(system.child.exitCode, 'npm start kept running').toBeNull();
    } finally {
      await connection.close();
      await db.destroy();
    }
  }, 600_000);
});
