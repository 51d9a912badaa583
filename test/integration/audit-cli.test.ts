/**
 * The audit as auditors reach it: the `npm run audit` command (online, offline on an archive, and
 * cycle-wide), cycle-wide verification with progress, and the /audit API routes with their access
 * rules — on running projects of a stored cycle, on the real Temporal server and PostgreSQL.
 */
import { actAndRead } from '../helpers/act';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { projectStateAt, readArchive, verifyArchive, verifyCycle, verifyProject, type AuditArchive, type AuditDeps, type CycleProgress } from '../../audit';
import auditRoutes from '../../api/routes/audit';
import { createFileContentStore } from '../../db/content-store';
import type { PersonActor } from '../../workflows/lifecycle';
import * as m from '../../workflows/messages';
import { projectWorkflow } from '../../workflows/project';
import { committee, compressedCycle, proposal } from '../helpers/full-year';
import { useHarness } from '../helpers/harness';
import { waitUntil } from '../helpers/wait';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the audit command, cycle-wide verification and the audit API', () => {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-cli-'));
  const storeDir = path.join(workDir, 'evidence');
  const store = createFileContentStore(storeDir);
  let deps: AuditDeps;
  const t0 = Date.now();
  const base = compressedCycle(`cy-audit-cli-${randomUUID().slice(0, 8)}`, t0);
  const cycle = {
    ...base,
    calendar: {
      ...base.calendar,
      // Nothing falls due while the tests run: the projects stay quietly in progress.
      quarters: [3000, 3100, 3200, 3300].map((s, i) => ({
        quarter: (i + 1) as 1 | 2 | 3 | 4,
        evidenceDeadline: new Date(t0 + s * 1000).toISOString(),
        inspectionWindowEnd: new Date(t0 + (s + 15) * 1000).toISOString(),
      })),
      monthlyReminders: [],
    },
  };
  const lead: PersonActor = { userId: 'u-sec-oc1', role: 'secretary', orgId: 'org-oc1' };
  const projectIds = ['p-cli-1', 'p-cli-2', 'p-cli-3'];
  const childId = 'p-cli-1-s1';

  const cli = async (args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> => {
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      DATABASE_URL: h.database.url,
      EVIDENCE_DIR: storeDir,
      ...env,
    };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
    try {
      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/audit.ts', ...args], { cwd: ROOT, env: childEnv, maxBuffer: 64 << 20 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  };
  const bundle = () => ['--bundle', inject('workflowBundlePath')];
  const h = useHarness({ name: 'auditcli', cycle, app: { store, rateLimitPerMinute: 100_000 } });
  const { as, get } = h;

  /** Edits one event's payload (the chain then breaks there) for the duration of `body`. */
  async function withEditedEvent<T>(projectId: string, seq: number, body: () => Promise<T>): Promise<T> {
    const row = await h.db.selectFrom('project_events').select('event').where('project_id', '=', projectId).where('seq', '=', seq).executeTakeFirstOrThrow();
    const edited = { ...(row.event as object), comment: '篡改后的审核意见' };
    await sql`update project_events set event = ${JSON.stringify(edited)}::jsonb where project_id = ${projectId} and seq = ${seq}`.execute(h.db);
    try {
      return await body();
    } finally {
      await sql`update project_events set event = ${JSON.stringify(row.event)}::jsonb where project_id = ${projectId} and seq = ${seq}`.execute(h.db);
    }
  }

  beforeAll(async () => {
    deps = { db: h.db, temporal: h.temporal.client, store, workflows: { workflowBundlePath: inject('workflowBundlePath') } };
    // The lead registers the plugin in api/app.ts; until then the test registers it itself.
    if (!h.app.routeInventory.includes('GET /audit/projects/:id/verify')) await h.app.register(auditRoutes, { workflowBundlePath: inject('workflowBundlePath') });
    await h.app.ready();

    const act = <T extends m.PersonEventType>(projectId: string, type: T, command: m.Command<T>) =>
      actAndRead(h.temporal.client.workflow.getHandle(m.projectWorkflowId(cycle.cycleId, projectId)), type, command);
    for (const [i, id] of projectIds.entries()) {
      await h.temporal.client.workflow.start(projectWorkflow, {
        workflowId: m.projectWorkflowId(cycle.cycleId, id),
        taskQueue: h.temporal.taskQueue,
        args: [
          {
            cycle,
            create: {
              type: 'create',
              actor: lead,
              at: new Date().toISOString(),
              projectId: id,
              cycleId: cycle.cycleId,
              parentId: null,
              orgId: lead.orgId,
              leadSecretaryId: lead.userId,
              reviewer: { orgId: committee.orgId, userId: committee.userId },
              proposal: proposal(cycle.year, `审计命令样例项目 ${i + 1}`),
            },
          },
        ],
      });
      await act(id, 'submit', { type: 'submit', actor: lead });
      await act(id, 'approve', { type: 'approve', actor: committee, comment: '同意' });
      await act(id, 'signLetter', { type: 'signLetter', actor: lead, text: '责任书' });
      const { sha256, size } = await store.put(Buffer.from(`%PDF-1.4\n% ${id} 佐证\n%%EOF\n`));
      await act(id, 'submitEvidence', {
        type: 'submitEvidence',
        actor: lead,
        evidenceId: `ev-${id}`,
        quarter: 1,
        milestoneId: null,
        text: '第1季度进展',
        files: [{ name: `${id}.pdf`, sha256, size }],
        indicatorActuals: [{ indicatorId: 'i-visits', actual: 4 }],
      });
    }
    await act(projectIds[0], 'decompose', { type: 'decompose', actor: lead, children: [{ id: childId, orgId: 'org-b1', secretaryId: 'u-sec-b1', title: '预算处支部子项目' }] });
    // Let the sub-project start and persist its creation, and the roll-up reach the parent.
    await waitUntil('the sub-project started and rolled up', async () => {
      const rows = await h.db.selectFrom('project_events').select('project_id').where('project_id', '=', childId).execute();
      const parent = await h.temporal.client.workflow.getHandle(m.projectWorkflowId(cycle.cycleId, projectIds[0])).query(m.getProjectQuery);
      return rows.length > 0 && parent.state.children[0]?.stage === 'draft' && parent.state.version === parent.seq ? true : undefined;
    }, 30_000, 200);
  }, 120_000);

  afterAll(async () => {
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  // ---------------------------------------------------------------------------------------------
  // The command
  // ---------------------------------------------------------------------------------------------

  describe('npm run audit', () => {
    it('verify <project> prints each check on its own line and exits 0 when all pass', async () => {
      const started = Date.now();
      const result = await cli(['verify', projectIds[0], ...bundle()]);
      console.log(`audit verify (CLI, running project with a sub-project) took ${((Date.now() - started) / 1000).toFixed(2)} s`);
      expect(result.code, result.stderr + result.stdout).toBe(0);
      const lines = result.stdout.trim().split('\n');
      for (const name of ['temporal-replay', 'hash-chain', 'evidence-files', 'projection', 'event-log']) {
        expect(lines.filter((l) => l.startsWith(`PASS  ${name} `)), name).toHaveLength(1);
      }
      expect(lines[0]).toContain(`含子项目 ${childId}`);
      expect(lines.at(-1)).toContain('结果：全部通过');
    });

    it('verify <project> exits 1 and prints the failed check with its location when the log was edited', async () => {
      const result = await withEditedEvent(projectIds[1], 3, () => cli(['verify', projectIds[1], ...bundle()]));
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(new RegExp(`^FAIL  hash-chain .*\\[projectId=${projectIds[1]} seq=3 kind=edited\\]$`, 'm'));
      expect(result.stdout).toMatch(/^PASS {2}temporal-replay /m);
      expect(result.stdout).toContain('结果：未通过');
    });

    it('export writes an archive that verify --archive re-checks offline, without TEMPORAL_ADDRESS or DATABASE_URL', async () => {
      const file = path.join(workDir, 'p-cli-1.audit.json');
      const exported = await cli(['export', projectIds[0], file, ...bundle()]);
      expect(exported.code, exported.stderr + exported.stdout).toBe(0);
      expect(exported.stdout).toContain(`归档已写入 ${file}`);
      const archive = await readArchive(file);
      expect(archive.projects.map((p) => p.projectId)).toEqual([projectIds[0], childId]);

      const offline = await cli(['verify', '--archive', file, ...bundle()], { TEMPORAL_ADDRESS: undefined, DATABASE_URL: undefined });
      expect(offline.code, offline.stderr + offline.stdout).toBe(0);
      for (const name of ['archive-integrity', 'temporal-replay', 'hash-chain', 'event-log']) expect(offline.stdout).toMatch(new RegExp(`^PASS  ${name} `, 'm'));
      expect(offline.stdout).toMatch(/^SKIP {2}evidence-files /m);
      expect(offline.stdout).toMatch(/^SKIP {2}projection /m);
      const withEvidence = await cli(['verify', '--archive', file, '--evidence-dir', storeDir, ...bundle()], { TEMPORAL_ADDRESS: undefined, DATABASE_URL: undefined });
      expect(withEvidence.stdout).toMatch(/^PASS {2}evidence-files .*1 个证据文件/m);

      // An auditor's copy edited afterwards fails offline, located.
      const edited = JSON.parse(fs.readFileSync(file, 'utf8')) as AuditArchive;
      (edited.projects[0].events[2].event as { comment: string }).comment = '改过的意见';
      const editedFile = path.join(workDir, 'edited.audit.json');
      fs.writeFileSync(editedFile, JSON.stringify(edited));
      const caught = await cli(['verify', '--archive', editedFile, '--json', ...bundle()], { TEMPORAL_ADDRESS: undefined, DATABASE_URL: undefined });
      expect(caught.code).toBe(1);
      const report = JSON.parse(caught.stdout) as { checks: { check: string; ok: boolean; location?: object }[] };
      expect(report.checks.find((c) => c.check === 'archive-integrity')?.ok).toBe(false);
      expect(report.checks.find((c) => c.check === 'hash-chain')).toMatchObject({ ok: false, location: { projectId: projectIds[0], seq: 3, kind: 'edited' } });
    });

    it('verify-cycle reports progress per project and a summary naming the failed project', async () => {
      const clean = await cli(['verify-cycle', cycle.cycleId, ...bundle()]);
      expect(clean.code, clean.stderr + clean.stdout).toBe(0);
      expect(clean.stderr.trim().split('\n').filter((l) => /^\[\d+\/3\] p-cli-\d 通过$/.test(l))).toHaveLength(3);
      expect(clean.stdout).toContain('核验 3 个项目（含子项目共 4 个），通过 3，未通过 0');

      const tampered = await withEditedEvent(projectIds[2], 3, () => cli(['verify-cycle', cycle.cycleId, '--concurrency', '2', ...bundle()]));
      expect(tampered.code).toBe(1);
      expect(tampered.stderr).toMatch(/\] p-cli-3 未通过：.*hash-chain/);
      expect(tampered.stdout).toContain('通过 2，未通过 1');
      expect(tampered.stdout).toMatch(/^FAIL {2}p-cli-3 {2}hash-chain .*seq=3 kind=edited/m);
      // Replays in one process take turns, so verifying projects concurrently never breaks the replay check.
      expect(tampered.stdout).not.toContain('temporal-replay');
    });

    it('says clearly which settings are missing when TEMPORAL_ADDRESS and DATABASE_URL are not set', async () => {
      const { stdout, stderr, code } = await (async () => {
        const env = { ...process.env };
        delete env.TEMPORAL_ADDRESS;
        delete env.DATABASE_URL;
        try {
          return { ...(await run('npm', ['run', '--silent', 'audit', '--', 'verify', projectIds[0]], { cwd: ROOT, env })), code: 0 };
        } catch (error) {
          return error as CliResult;
        }
      })();
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toContain('缺少环境变量 TEMPORAL_ADDRESS、DATABASE_URL');
      expect(stderr).toContain('verify --archive');
    });
  });

  // ---------------------------------------------------------------------------------------------
  // Cycle-wide verification (library)
  // ---------------------------------------------------------------------------------------------

  it('cycle-wide verification reports progress for every project and summarises the failures with their locations', async () => {
    const progress: CycleProgress[] = [];
    const clean = await verifyCycle(deps, cycle.cycleId, { concurrency: 2, onProgress: (p) => progress.push(p) });
    expect(clean).toMatchObject({ total: 3, verified: 3, passed: 3, failed: 0, projectsCovered: 4, failures: [] });
    expect(progress.map((p) => p.done)).toEqual([1, 2, 3]);
    expect(progress.map((p) => p.projectId).sort()).toEqual(projectIds);

    const summary = await withEditedEvent(childId, 1, () => verifyCycle(deps, cycle.cycleId));
    expect(summary).toMatchObject({ passed: 2, failed: 1, failedChecks: { 'hash-chain': 1, 'event-log': 1 } });
    expect(summary.failures).toHaveLength(1);
    expect(summary.failures[0].projectId).toBe(projectIds[0]);
    expect(summary.failures[0].checks.find((c) => c.check === 'hash-chain')?.location).toEqual({ projectId: childId, seq: 1, kind: 'edited' });

    const page = await verifyCycle(deps, cycle.cycleId, { offset: 1, limit: 1 });
    expect(page).toMatchObject({ total: 3, verified: 1, offset: 1, passed: 1 });
  });

  it('a cycle configuration changed in the database after launch is detected (timelines are replayed with it)', async () => {
    const row = await h.db.selectFrom('cycles').select('config').where('id', '=', cycle.cycleId).executeTakeFirstOrThrow();
    const config = row.config as typeof cycle;
    const edited = { ...config, rules: { ...config.rules, gradeThresholds: { ...config.rules.gradeThresholds, excellent: 60 } } };
    await h.db.updateTable('cycles').set({ config: JSON.stringify(edited) }).where('id', '=', cycle.cycleId).execute();
    try {
      const report = await verifyProject(deps, projectIds[1]);
      expect(report.checks.find((c) => c.check === 'event-log')).toMatchObject({ ok: false, location: { projectId: projectIds[1], field: 'cycles.config' } });
      expect(report.checks.filter((c) => !c.ok).map((c) => c.check)).toEqual(['event-log']);
    } finally {
      await h.db.updateTable('cycles').set({ config: JSON.stringify(config) }).where('id', '=', cycle.cycleId).execute();
    }
    expect((await verifyProject(deps, projectIds[1])).ok).toBe(true);
  });

  // ---------------------------------------------------------------------------------------------
  // The API
  // ---------------------------------------------------------------------------------------------

  describe('the /audit API', () => {
    const routes = (id: string) => [
      `/audit/projects/${id}/timeline`,
      `/audit/projects/${id}/state?at=1`,
      `/audit/projects/${id}/history`,
      `/audit/projects/${id}/verify`,
      `/audit/projects/${id}/export`,
    ];

    it('is refused to secretaries, inspectors and members (403) and to callers without a token (401)', async () => {
      for (const user of ['u-sec-oc1', 'u-inspector', 'u-member-b1']) {
        for (const url of routes(projectIds[0])) {
          const response = await get(user, url);
          expect(response.statusCode, `${user} ${url}`).toBe(403);
          expect(response.json()).toMatchObject({ rule: 'actor.not_auditor' });
        }
        const post = await h.app.inject({ method: 'POST', url: `/audit/cycles/${cycle.cycleId}/verify`, headers: as(user), payload: {} });
        expect(post.statusCode).toBe(403);
      }
      expect((await h.app.inject({ method: 'GET', url: routes(projectIds[0])[0] })).statusCode).toBe(401);
    });

    it('gives auditors the timeline with actors, changes and evidence links', async () => {
      const response = await get('u-auditor', `/audit/projects/${projectIds[0]}/timeline`);
      expect(response.statusCode, response.body).toBe(200);
      const timeline = response.json() as { projects: { projectId: string }[]; entries: { projectId: string; type: string; actor: { roleLabel: string }; changes: { text: string }[]; evidence: { href: string }[] }[] };
      expect(timeline.projects.map((p) => p.projectId)).toEqual([projectIds[0], childId]);
      const approve = timeline.entries.find((e) => e.type === 'approve')!;
      expect(approve.actor.roleLabel).toBe('工委');
      expect(approve.changes.map((c) => c.text)).toContain('阶段 stage: 审核中（in_review） → 已立项（approved）');
      expect(timeline.entries.find((e) => e.type === 'submitEvidence')!.evidence[0].href).toMatch(/^\/evidence-files\/[0-9a-f]{64}$/);
      expect(timeline.entries.some((e) => e.projectId === childId && e.type === 'create')).toBe(true);
    });

    it('gives the state as of an event number or a date, and the current state without one', async () => {
      const atTwo = await get('u-committee', `/audit/projects/${projectIds[1]}/state?at=2`);
      expect(atTwo.statusCode, atTwo.body).toBe(200);
      expect(atTwo.json()).toMatchObject({ seq: 2, moment: { seq: 2 }, state: { stage: 'in_review' } });
      expect(atTwo.json().state).toEqual((await projectStateAt({ db: h.db }, projectIds[1], { seq: 2 })).state);
      const now = await get('u-auditor', `/audit/projects/${projectIds[1]}/state`);
      const live = await h.temporal.client.workflow.getHandle(m.projectWorkflowId(cycle.cycleId, projectIds[1])).query(m.getProjectQuery);
      expect(now.json()).toMatchObject({ seq: live.seq, state: live.state });
      const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
      expect((await get('u-auditor', `/audit/projects/${projectIds[1]}/state?at=${tomorrow}`)).json().state).toEqual(live.state);
      const bad = await get('u-auditor', `/audit/projects/${projectIds[1]}/state?at=soon`);
      expect(bad.statusCode).toBe(400);
      expect(bad.headers['content-type']).toContain('application/problem+json');
      expect((await get('u-auditor', `/audit/projects/${projectIds[1]}/state?at=999`)).statusCode).toBe(404);
      expect((await get('u-auditor', '/audit/projects/no-such-project/timeline')).statusCode).toBe(404);
    });

    it('gives the raw histories, a verification with each check, and a downloadable archive that verifies offline', async () => {
      const history = await get('u-auditor', `/audit/projects/${projectIds[0]}/history`);
      expect(history.statusCode).toBe(200);
      const workflows = history.json().workflows as { projectId: string; runs: { history: { events: { eventType: string }[] } }[] }[];
      expect(workflows.map((w) => w.projectId)).toEqual([projectIds[0], childId]);
      expect(workflows[0].runs[0].history.events[0].eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');

      const verify = await get('u-auditor', `/audit/projects/${projectIds[0]}/verify`);
      expect(verify.statusCode, verify.body).toBe(200);
      expect(verify.json()).toMatchObject({ ok: true, projects: [projectIds[0], childId] });
      expect(verify.json().checks.map((c: { check: string; ok: boolean }) => [c.check, c.ok])).toEqual([
        ['temporal-replay', true],
        ['hash-chain', true],
        ['evidence-files', true],
        ['projection', true],
        ['event-log', true],
        ['persistence', true],
      ]);

      const exported = await get('u-auditor', `/audit/projects/${projectIds[0]}/export`);
      expect(exported.statusCode).toBe(200);
      expect(exported.headers['content-disposition']).toBe(`attachment; filename="audit-${projectIds[0]}.json"`);
      const archive = exported.json() as AuditArchive;
      expect((await verifyArchive(archive, { workflows: deps.workflows })).ok).toBe(true);
    });

    it('verifies a whole cycle on request and answers 404 for an unknown cycle', async () => {
      const response = await h.app.inject({ method: 'POST', url: `/audit/cycles/${cycle.cycleId}/verify`, headers: as('u-auditor'), payload: { concurrency: 3 } });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({ cycleId: cycle.cycleId, total: 3, passed: 3, failed: 0, failures: [] });
      const unknown = await h.app.inject({ method: 'POST', url: '/audit/cycles/no-such-cycle/verify', headers: as('u-committee'), payload: {} });
      expect(unknown.statusCode).toBe(404);
      const invalid = await h.app.inject({ method: 'POST', url: `/audit/cycles/${cycle.cycleId}/verify`, headers: as('u-committee'), payload: { limit: 0 } });
      expect(invalid.statusCode).toBe(400);
    });

    it('is documented in a valid OpenAPI document', async () => {
      const document = h.app.swagger() as { paths: Record<string, object> };
      const result = await new Validator().validate(document as never);
      expect(result.errors ?? []).toEqual([]);
      expect(Object.keys(document.paths).filter((p) => p.startsWith('/audit')).sort()).toEqual([
        '/audit/cycles/{id}/verify',
        '/audit/projects/{id}/export',
        '/audit/projects/{id}/history',
        '/audit/projects/{id}/state',
        '/audit/projects/{id}/timeline',
        '/audit/projects/{id}/verify',
      ]);
    });
  });
});
