/**
 * Audit and replay on the real Temporal server and PostgreSQL: a project with two sub-projects is
 * driven through its workflow (returned once, approved, decomposed, evidence with stored files, a
 * quarterly inspection fired by the calendar, a rectification, acceptance), then audited:
 * timeline, state at any moment, raw histories, verification, tampering, archives.
 */
import { actAndRead } from '../helpers/act';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  archiveDigest,
  exportProject,
  historyFromJsonValue,
  parseMoment,
  projectHistories,
  projectStateAt,
  projectTimeline,
  readArchive,
  verifyArchive,
  verifyProject,
  writeArchive,
  type AuditArchive,
  type AuditDeps,
  type CheckName,
  type VerificationReport,
} from '../../audit';
import { createFileContentStore, type ContentStore } from '../../db/content-store';
import { chainHash } from '../../db/hash-chain';
import type { EvidenceFile, PersonActor } from '../../workflows/lifecycle';
import * as m from '../../workflows/messages';
import type { ProjectView } from '../../workflows/messages';
import { projectWorkflow } from '../../workflows/project';
import { branchSecretary, committee, compressedCycle, inspector, leadSecretary, proposal } from '../helpers/full-year';
import { useHarness } from '../helpers/harness';
import { waitUntil } from '../helpers/wait';

const PARENT = 'p-audit';
const CHILDREN = ['p-audit-c1', 'p-audit-c2'];
const Q1_OFFSET_S = 12;

function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  return waitUntil(what, probe, timeoutMs, 200);
}

function check(report: VerificationReport, name: CheckName) {
  const found = report.checks.find((c) => c.check === name);
  if (!found) throw new Error(`no ${name} check in ${JSON.stringify(report.checks.map((c) => c.check))}`);
  return found;
}

function okChecks(report: VerificationReport) {
  return Object.fromEntries(report.checks.map((c) => [c.check, c.ok]));
}

describe('auditing a project with sub-projects driven through its workflow', () => {
  let store: ContentStore;
  let storeDir: string;
  let deps: AuditDeps;
  const t0 = Date.now();
  const base = compressedCycle(`cy-audit-${randomUUID().slice(0, 8)}`, t0);
  const at = (s: number) => new Date(t0 + s * 1000).toISOString();
  const cycle = {
    ...base,
    calendar: {
      ...base.calendar,
      quarters: [Q1_OFFSET_S, 3000, 3100, 3200].map((s, i) => ({ quarter: (i + 1) as 1 | 2 | 3 | 4, evidenceDeadline: at(s), inspectionWindowEnd: at(s + 15) })),
      monthlyReminders: [],
    },
  };
  /** Every view captured during the scenario: Update results and queries, as the workflow reported them. */
  const captured: { label: string; projectId: string; view: ProjectView }[] = [];
  const files: Record<string, EvidenceFile> = {};
  let scenarioSeconds = 0;

  const wid = (id: string) => m.projectWorkflowId(cycle.cycleId, id);
  const act = async <T extends m.PersonEventType>(label: string, handle: WorkflowHandle, projectId: string, type: T, command: m.Command<T>) => {
    const view = await actAndRead(handle, type, command);
    captured.push({ label, projectId, view });
    return view;
  };
  const storeFile = async (name: string, text: string): Promise<EvidenceFile> => {
    const bytes = Buffer.from(`%PDF-1.4\n% ${text}\n%%EOF\n`, 'utf8');
    const { sha256, size } = await store.put(bytes);
    files[name] = { name, sha256, size };
    return files[name];
  };

  const h = useHarness({ name: 'audit', app: false });
  beforeAll(async () => {
    storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-evidence-'));
    store = createFileContentStore(storeDir);
    deps = { db: h.db, temporal: h.temporal.client, store, workflows: { workflowBundlePath: inject('workflowBundlePath') } };
    const started = Date.now();

    // ---- Proposal: returned once, then approved and signed --------------------------------
    const parent = await h.temporal.client.workflow.start(projectWorkflow, {
      workflowId: wid(PARENT),
      taskQueue: h.temporal.taskQueue,
      args: [
        {
          cycle,
          // Several runs per workflow: the audit follows the continue-as-new chain.
          continueAsNewAfterEvents: 10,
          create: {
            type: 'create',
            actor: leadSecretary,
            at: new Date().toISOString(),
            projectId: PARENT,
            cycleId: cycle.cycleId,
            parentId: null,
            orgId: leadSecretary.orgId,
            leadSecretaryId: leadSecretary.userId,
            reviewer: { orgId: committee.orgId, userId: committee.userId },
            proposal: proposal(cycle.year, '“红色引擎”助企服务审计样例项目'),
          },
        },
      ],
    });
    captured.push({ label: 'created', projectId: PARENT, view: await waitFor('parent started', () => parent.query(m.getProjectQuery)) });
    await act('submitted', parent, PARENT, 'submit', { type: 'submit', actor: leadSecretary });
    await act('returned', parent, PARENT, 'return', { type: 'return', actor: committee, comments: '指标需进一步量化' });
    await act('edited', parent, PARENT, 'editDraft', { type: 'editDraft', actor: leadSecretary, changes: { businessGoal: '以第三方测评衡量政务服务满意度' } });
    await act('resubmitted', parent, PARENT, 'submit', { type: 'submit', actor: leadSecretary });
    await act('approved', parent, PARENT, 'approve', { type: 'approve', actor: committee, comment: '同意立项' });
    await act('signed', parent, PARENT, 'signLetter', { type: 'signLetter', actor: leadSecretary, text: '本人承诺履行党建项目第一责任人职责。' });

    // ---- "1+N": two sub-projects, each approved by the parent's secretary and signed -------
    await act('decomposed', parent, PARENT, 'decompose', {
      type: 'decompose',
      actor: leadSecretary,
      children: CHILDREN.map((id, i) => ({ id, orgId: branchSecretary(i + 1).orgId, secretaryId: branchSecretary(i + 1).userId, title: `第${i + 1}支部子项目` })),
    });
    const children = new Map<string, { handle: WorkflowHandle; secretary: PersonActor }>();
    for (const [i, id] of CHILDREN.entries()) {
      const handle = h.temporal.client.workflow.getHandle(wid(id));
      const secretary = branchSecretary(i + 1);
      await waitFor(`${id} started`, () => handle.query(m.getProjectQuery));
      const x = proposal(cycle.year, 'x');
      await act(`${id} edited`, handle, id, 'editDraft', { type: 'editDraft', actor: secretary, changes: { indicators: x.indicators, milestones: x.milestones } });
      await act(`${id} submitted`, handle, id, 'submit', { type: 'submit', actor: secretary });
      await act(`${id} approved`, handle, id, 'approve', { type: 'approve', actor: leadSecretary, comment: null });
      await act(`${id} signed`, handle, id, 'signLetter', { type: 'signLetter', actor: secretary, text: '子项目责任书' });
      children.set(id, { handle, secretary });
    }

    // ---- Evidence with stored files ---------------------------------------------------------
    await act('evidence', parent, PARENT, 'submitEvidence', {
      type: 'submitEvidence',
      actor: leadSecretary,
      evidenceId: 'ev-q1',
      quarter: 1,
      milestoneId: null,
      text: '第1季度走访企业5家',
      files: [await storeFile('q1-visits.pdf', '第1季度走访记录')],
      indicatorActuals: [{ indicatorId: 'i-visits', actual: 5 }],
    });
    const c1 = children.get(CHILDREN[0])!;
    await act(`${CHILDREN[0]} evidence`, c1.handle, CHILDREN[0], 'submitEvidence', {
      type: 'submitEvidence',
      actor: c1.secretary,
      evidenceId: 'ev-c1-q1',
      quarter: 1,
      milestoneId: null,
      text: '支部第1季度进展',
      files: [await storeFile('c1-q1.pdf', '支部第1季度材料')],
      indicatorActuals: [{ indicatorId: 'i-visits', actual: 3 }],
    });

    // ---- Q1: the calendar makes the inspection due; one problem, rectified and verified ---
    captured.push({
      label: 'q1-due',
      projectId: PARENT,
      view: await waitFor('Q1 due', async () => {
        const view = await parent.query(m.getProjectQuery);
        return view.state.inspections.some((i) => i.quarter === 1 && i.due) ? view : undefined;
      }),
    });
    await act('inspected', parent, PARENT, 'recordInspection', {
      type: 'recordInspection',
      actor: inspector,
      quarter: 1,
      rating: 'lagging',
      findings: ['走访进度偏慢'],
      problems: [
        {
          id: 'L-1',
          problem: '走访记录不完整',
          responsibleOrgId: leadSecretary.orgId,
          responsiblePersonId: leadSecretary.userId,
          measures: '补充走访记录',
          deadline: at(600),
        },
      ],
    });
    await act('rectified', parent, PARENT, 'reportRectification', {
      type: 'reportRectification',
      actor: leadSecretary,
      entryId: 'L-1',
      text: '已补充走访记录',
      files: [await storeFile('rectification.pdf', '整改走访记录')],
    });
    await act('verified', parent, PARENT, 'verifyRectification', { type: 'verifyRectification', actor: inspector, entryId: 'L-1' });

    // ---- Acceptance: sub-projects first, then the parent -------------------------------------
    const scores = [
      { criterionId: 'c-goal', score: 55 },
      { criterionId: 'c-fusion', score: 36 },
    ];
    for (const [id, { handle, secretary }] of children) {
      await act(`${id} self-assessed`, handle, id, 'selfAssess', { type: 'selfAssess', actor: secretary, scores, narrative: '完成良好', businessImpact: '服务能力提升' });
      await act(`${id} accepted`, handle, id, 'accept', { type: 'accept', actor: committee, criterionScores: scores, negativeList: [] });
    }
    await act('self-assessed', parent, PARENT, 'selfAssess', { type: 'selfAssess', actor: leadSecretary, scores, narrative: '全年完成走访', businessImpact: '企业诉求办结率提高' });
    await waitFor('children settled in the parent', async () => {
      const view = await parent.query(m.getProjectQuery);
      return view.state.children.every((c) => c.status !== 'active') ? view : undefined;
    });
    await act('accepted', parent, PARENT, 'accept', { type: 'accept', actor: committee, criterionScores: scores, negativeList: [] });
    const final = await parent.result();
    captured.push({ label: 'result', projectId: PARENT, view: final });
    for (const id of CHILDREN) captured.push({ label: `${id} result`, projectId: id, view: await h.temporal.client.workflow.getHandle(wid(id)).result() });
    scenarioSeconds = (Date.now() - started) / 1000;
  }, 180_000);

  afterAll(async () => {
    if (storeDir) fs.rmSync(storeDir, { recursive: true, force: true });
  });

  // ---------------------------------------------------------------------------------------------
  // Verification of an untampered project
  // ---------------------------------------------------------------------------------------------

  it('verifies an untampered project and its sub-projects: every check passes, each reported separately', async () => {
    const started = Date.now();
    const report = await verifyProject(deps, PARENT);
    const seconds = (Date.now() - started) / 1000;
    console.log(`scenario ${scenarioSeconds.toFixed(1)} s; verifying ${report.projects.length} projects took ${seconds.toFixed(2)} s`);
    expect(report.checks.map((c) => c.check)).toEqual(['temporal-replay', 'hash-chain', 'evidence-files', 'projection', 'event-log', 'persistence']);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.projects).toEqual([PARENT, ...CHILDREN]);
    expect(check(report, 'evidence-files').detail).toContain('3 个证据文件');
    expect(check(report, 'temporal-replay').detail).toContain('3 个工作流');
  });

  // ---------------------------------------------------------------------------------------------
  // State at any moment
  // ---------------------------------------------------------------------------------------------

  it('the state as of any event number equals what the workflow reported at that point', async () => {
    expect(captured.length).toBeGreaterThan(20);
    for (const { label, projectId, view } of captured) {
      const snapshot = await projectStateAt({ db: h.db, temporal: h.temporal.client }, projectId, { seq: view.seq });
      expect(snapshot.seq, label).toBe(view.seq);
      expect(snapshot.state, label).toEqual(view.state);
    }
  });

  it('the state as of a date equals what the workflow reported then, sub-projects included', async () => {
    const events = await h.db.selectFrom('project_events').select(['project_id', 'seq', 'at']).orderBy('seq').execute();
    let compared = 0;
    for (const { label, projectId, view } of captured) {
      const next = events.find((e) => e.project_id === projectId && e.seq === view.seq + 1);
      // An instant is unambiguous only when the next event came later.
      if (next && next.at === view.state.updatedAt) continue;
      const snapshot = await projectStateAt({ db: h.db, temporal: h.temporal.client }, projectId, view.state.updatedAt);
      expect(snapshot.state, label).toEqual(view.state);
      compared += 1;
    }
    expect(compared).toBeGreaterThan(30);

    const approved = captured.find((c) => c.label === 'approved')!.view;
    const snapshot = await projectStateAt({ db: h.db, temporal: h.temporal.client }, PARENT, String(approved.seq));
    expect(snapshot.state?.stage).toBe('approved');
    // Before the decomposition no sub-project existed yet.
    expect(snapshot.subProjects.map((s) => [s.projectId, s.state])).toEqual(CHILDREN.map((id) => [id, null]));
    const finalDay = await projectStateAt({ db: h.db, temporal: h.temporal.client }, PARENT, new Date(Date.now() + 86_400_000).toISOString().slice(0, 10));
    expect(finalDay.state).toEqual(captured.find((c) => c.label === 'result')!.view.state);
    expect(finalDay.subProjects.map((s) => s.state?.stage)).toEqual(['accepted', 'accepted']);
    const before = await projectStateAt({ db: h.db, temporal: h.temporal.client }, PARENT, '2000-01-01');
    expect(before).toMatchObject({ seq: 0, state: null });
    expect(() => parseMoment('yesterday')).toThrow(/neither an event number/);
    await expect(projectStateAt({ db: h.db, temporal: h.temporal.client }, PARENT, { seq: 10_000 })).rejects.toMatchObject({ status: 404 });
  });

  // ---------------------------------------------------------------------------------------------
  // Timeline
  // ---------------------------------------------------------------------------------------------

  it('the timeline lists every event of the project and its sub-projects in order, with actor, role, org, time, changes and evidence links', async () => {
    const timeline = await projectTimeline({ db: h.db, temporal: h.temporal.client }, PARENT);
    const counts = await h.db.selectFrom('project_events').select(['project_id', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('project_id').execute();
    expect(timeline.entries.length).toBe(counts.reduce((n, c) => n + c.n, 0));
    expect(timeline.replayFailures).toEqual([]);
    for (const id of [PARENT, ...CHILDREN]) {
      const seqs = timeline.entries.filter((e) => e.projectId === id).map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    }
    const times = timeline.entries.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));

    const approve = timeline.entries.find((e) => e.projectId === PARENT && e.type === 'approve')!;
    expect(approve).toMatchObject({ label: '审核通过', depth: 0, actor: { userId: committee.userId, role: 'committee', roleLabel: '工委', orgId: committee.orgId, system: false } });
    expect(approve.changes.find((c) => c.path === 'stage')).toMatchObject({ from: 'in_review', to: 'approved', text: '阶段 stage: 审核中（in_review） → 已立项（approved）' });
    expect(approve.summary).toContain('审核通过');

    const evidence = timeline.entries.find((e) => e.projectId === PARENT && e.type === 'submitEvidence')!;
    expect(evidence.evidence).toEqual([{ ...files['q1-visits.pdf'], href: `/evidence-files/${files['q1-visits.pdf'].sha256}` }]);
    expect(evidence.changes.map((c) => c.path)).toEqual(expect.arrayContaining(['evidence[ev-q1]', 'proposal.indicators[i-visits].actual']));

    const due = timeline.entries.find((e) => e.projectId === PARENT && e.type === 'inspectionDue')!;
    expect(due.actor).toMatchObject({ userId: 'system:timer', role: 'system', system: true });
    const rectified = timeline.entries.find((e) => e.type === 'reportRectification')!;
    expect(rectified.evidence.map((f) => f.name)).toEqual(['rectification.pdf']);
    expect(rectified.changes.some((c) => c.path.startsWith('ledger[L-1]'))).toBe(true);

    const childEntries = timeline.entries.filter((e) => e.projectId === CHILDREN[0]);
    expect(childEntries[0]).toMatchObject({ type: 'create', depth: 1, parentId: PARENT, actor: { userId: leadSecretary.userId } });
    // The sub-project's creation comes after the decomposition that caused it.
    const decompose = timeline.entries.findIndex((e) => e.type === 'decompose');
    expect(timeline.entries.findIndex((e) => e === childEntries[0])).toBeGreaterThan(decompose);
  });

  // ---------------------------------------------------------------------------------------------
  // Raw histories
  // ---------------------------------------------------------------------------------------------

  it('exports the raw Temporal histories as the JSON of `temporal workflow show`, which the CLI and the replayer accept', async () => {
    const exported = await projectHistories({ db: h.db, temporal: h.temporal.client }, PARENT);
    expect(exported.workflows.map((w) => w.workflowId)).toEqual([PARENT, ...CHILDREN].map(wid));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-history-'));
    try {
      // The parent continued as new several times; every run is exported, oldest first.
      expect(exported.workflows[0].runs.length).toBeGreaterThan(2);
      for (const w of exported.workflows) {
        for (const [i, run] of w.runs.entries()) {
          const args = ['workflow', 'show', '--address', inject('temporalAddress'), '--workflow-id', w.workflowId, '--run-id', run.runId, '--output', 'json'];
          expect(run.history).toEqual(JSON.parse(execFileSync(inject('temporalCliPath'), args, { maxBuffer: 64 << 20 }).toString()));
          const started = (run.history as { events: { workflowExecutionStartedEventAttributes: { continuedExecutionRunId?: string } }[] }).events[0].workflowExecutionStartedEventAttributes;
          expect(started.continuedExecutionRunId).toBe(i === 0 ? undefined : w.runs[i - 1].runId);
          const file = path.join(dir, `${w.projectId}-${i}.json`);
          fs.writeFileSync(file, JSON.stringify(run.history));
          const reserialised = JSON.parse(execFileSync(inject('temporalCliPath'), ['workflow', 'fix-history-json', '--source', file], { maxBuffer: 64 << 20 }).toString());
          expect(reserialised).toEqual(run.history);
          await expect(Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, historyFromJsonValue(run.history), w.workflowId)).resolves.toBeUndefined();
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // ---------------------------------------------------------------------------------------------
  // Tampering, each detected and located
  // ---------------------------------------------------------------------------------------------

  describe('tampering with the event log, the projection or the evidence is detected and located', () => {
    type Row = Awaited<ReturnType<typeof rowsOf>>[number];
    const rowsOf = (projectId: string) => h.db.selectFrom('project_events').selectAll().where('project_id', '=', projectId).orderBy('seq').execute();
    const insertRow = (r: Row, seq = r.seq) =>
      sql`insert into project_events (project_id, seq, type, actor_id, actor_role, actor_org_id, at, event, workflow_id, run_id, prev_hash, hash, recorded_at)
          values (${r.project_id}, ${seq}, ${r.type}, ${r.actor_id}, ${r.actor_role}, ${r.actor_org_id}, ${r.at}, ${JSON.stringify(r.event)}::jsonb, ${r.workflow_id}, ${r.run_id}, ${r.prev_hash}, ${r.hash}, ${r.recorded_at})`.execute(h.db);
    /** Puts the project's log back exactly as it was. */
    const restore = async (projectId: string, rows: Row[]) => {
      await h.db.deleteFrom('project_events').where('project_id', '=', projectId).execute();
      for (const r of rows) await insertRow(r);
    };
    const tampered = async (projectId: string, tamper: (rows: Row[]) => Promise<void>) => {
      const original = await rowsOf(projectId);
      try {
        await tamper(original);
        return await verifyProject(deps, PARENT);
      } finally {
        await restore(projectId, original);
      }
    };
    const seqOf = (rows: Row[], type: string) => rows.find((r) => r.type === type)!.seq;

    it('a changed payload is located at its seq as an edit; Temporal replay, evidence and projection still pass', async () => {
      let seq = 0;
      const report = await tampered(PARENT, async (rows) => {
        seq = seqOf(rows, 'submitEvidence');
        const event = { ...(rows[seq - 1].event as object), text: '第1季度走访企业50家' };
        await sql`update project_events set event = ${JSON.stringify(event)}::jsonb where project_id = ${PARENT} and seq = ${seq}`.execute(h.db);
      });
      expect(check(report, 'hash-chain')).toMatchObject({ ok: false, location: { projectId: PARENT, seq, kind: 'edited' } });
      expect(check(report, 'event-log')).toMatchObject({ ok: false, location: { projectId: PARENT, seq, kind: 'edited' } });
      expect(okChecks(report)).toMatchObject({ 'temporal-replay': true, 'evidence-files': true, projection: true });
      expect(report.ok).toBe(false);
    });

    it('a deleted event is located as missing at its seq', async () => {
      let seq = 0;
      const report = await tampered(PARENT, async (rows) => {
        seq = seqOf(rows, 'approve');
        await h.db.deleteFrom('project_events').where('project_id', '=', PARENT).where('seq', '=', seq).execute();
      });
      expect(check(report, 'hash-chain')).toMatchObject({ ok: false, location: { projectId: PARENT, seq, kind: 'missing' } });
      expect(check(report, 'event-log')).toMatchObject({ ok: false, location: { projectId: PARENT, seq, kind: 'missing' } });
    });

    it('a deleted last event (which leaves a valid chain) is located against the workflow\'s own count', async () => {
      let seq = 0;
      const report = await tampered(PARENT, async (rows) => {
        seq = rows.at(-1)!.seq;
        await h.db.deleteFrom('project_events').where('project_id', '=', PARENT).where('seq', '=', seq).execute();
      });
      expect(check(report, 'hash-chain')).toMatchObject({ ok: false, location: { projectId: PARENT, seq, kind: 'missing' } });
    });

    it('a deleted event with the later ones renumbered to close the gap is located as missing', async () => {
      let seq = 0;
      const report = await tampered(PARENT, async (rows) => {
        seq = seqOf(rows, 'signLetter');
        await h.db.deleteFrom('project_events').where('project_id', '=', PARENT).where('seq', '>=', seq).execute();
        for (const r of rows.filter((r) => r.seq > seq)) await insertRow(r, r.seq - 1);
      });
      expect(check(report, 'hash-chain')).toMatchObject({ ok: false, location: { projectId: PARENT, seq, kind: 'missing' } });
    });

    it('two events whose seq were swapped are located as reordered', async () => {
      let a = 0;
      let b = 0;
      const report = await tampered(PARENT, async (rows) => {
        a = seqOf(rows, 'return');
        b = seqOf(rows, 'approve');
        await sql`update project_events set seq = -1 where project_id = ${PARENT} and seq = ${a}`.execute(h.db);
        await sql`update project_events set seq = ${a} where project_id = ${PARENT} and seq = ${b}`.execute(h.db);
        await sql`update project_events set seq = ${b} where project_id = ${PARENT} and seq = -1`.execute(h.db);
      });
      const chain = check(report, 'hash-chain');
      expect(chain).toMatchObject({ ok: false, location: { projectId: PARENT, seq: a, kind: 'reordered' } });
      expect(chain.detail).toContain(`原第 ${b} 条事件`);
      expect(check(report, 'event-log')).toMatchObject({ ok: false, location: { projectId: PARENT, seq: a } });
    });

    it('an inserted event, even with a correctly computed hash, is located as inserted', async () => {
      let seq = 0;
      const report = await tampered(PARENT, async (rows) => {
        seq = seqOf(rows, 'approve');
        const before = rows[seq - 2];
        const forged = { type: 'remindReview' as const, actor: leadSecretary, at: before.at, note: '补录' };
        await h.db.deleteFrom('project_events').where('project_id', '=', PARENT).where('seq', '>=', seq).execute();
        await insertRow({ ...before, seq, type: 'remindReview', event: forged, prev_hash: before.hash, hash: chainHash(before.hash, PARENT, seq, forged) });
        for (const r of rows.filter((r) => r.seq >= seq)) await insertRow(r, r.seq + 1);
      });
      expect(check(report, 'hash-chain')).toMatchObject({ ok: false, location: { projectId: PARENT, seq, kind: 'inserted' } });
      expect(check(report, 'event-log')).toMatchObject({ ok: false, location: { projectId: PARENT, seq } });
    });

    it('a forger who recomputes the whole chain after an edit is still caught by the workflow\'s Temporal history', async () => {
      let seq = 0;
      const report = await tampered(PARENT, async (rows) => {
        seq = seqOf(rows, 'recordInspection');
        let prev: string | null = null;
        for (const r of rows) {
          const event = r.seq === seq ? { ...(r.event as object), rating: 'on_track' } : r.event;
          const hash = chainHash(prev, PARENT, r.seq, event);
          await sql`update project_events set event = ${JSON.stringify(event)}::jsonb, prev_hash = ${prev}, hash = ${hash} where project_id = ${PARENT} and seq = ${r.seq}`.execute(h.db);
          prev = hash;
        }
      });
      expect(check(report, 'hash-chain').ok).toBe(true);
      expect(check(report, 'event-log')).toMatchObject({ ok: false, location: { projectId: PARENT, seq, kind: 'edited' } });
    });

    it("an edit in a sub-project's log is located in that sub-project", async () => {
      const child = CHILDREN[1];
      let seq = 0;
      const report = await tampered(child, async (rows) => {
        seq = seqOf(rows, 'accept');
        const event = { ...(rows[seq - 1].event as object), criterionScores: [{ criterionId: 'c-goal', score: 60 }, { criterionId: 'c-fusion', score: 40 }] };
        await sql`update project_events set event = ${JSON.stringify(event)}::jsonb where project_id = ${child} and seq = ${seq}`.execute(h.db);
      });
      expect(check(report, 'hash-chain')).toMatchObject({ ok: false, location: { projectId: child, seq, kind: 'edited' } });
    });

    it('an edited denormalised column (the actor) is located as an edit even though the payload is intact', async () => {
      let seq = 0;
      const report = await tampered(PARENT, async (rows) => {
        seq = seqOf(rows, 'approve');
        await h.db.updateTable('project_events').set({ actor_id: 'u-someone-else' }).where('project_id', '=', PARENT).where('seq', '=', seq).execute();
      });
      expect(check(report, 'hash-chain')).toMatchObject({ ok: false, location: { projectId: PARENT, seq, kind: 'edited' } });
    });

    it('an altered evidence file is detected and named', async () => {
      const file = files['rectification.pdf'];
      const target = store.pathOf(file.sha256);
      const original = fs.readFileSync(target);
      let report: VerificationReport;
      try {
        fs.writeFileSync(target, Buffer.concat([original, Buffer.from('tampered')]));
        report = await verifyProject(deps, PARENT);
      } finally {
        fs.writeFileSync(target, original);
      }
      const seq = (await rowsOf(PARENT)).find((r) => r.type === 'reportRectification')!.seq;
      expect(check(report, 'evidence-files')).toMatchObject({ ok: false, location: { projectId: PARENT, seq, sha256: file.sha256, file: 'rectification.pdf' } });
      expect(check(report, 'evidence-files').detail).toContain('被篡改');
      expect(okChecks(report)).toMatchObject({ 'temporal-replay': true, 'hash-chain': true, projection: true, 'event-log': true });
    });

    it('a changed projection row is detected as a projection mismatch', async () => {
      let report: VerificationReport;
      try {
        await h.db.updateTable('projects').set({ stage: 'failed' }).where('id', '=', PARENT).execute();
        report = await verifyProject(deps, PARENT);
      } finally {
        await h.db.updateTable('projects').set({ stage: 'accepted' }).where('id', '=', PARENT).execute();
      }
      expect(check(report, 'projection')).toMatchObject({ ok: false, location: { projectId: PARENT, field: 'stage' } });
      expect(okChecks(report)).toMatchObject({ 'temporal-replay': true, 'hash-chain': true, 'event-log': true });
    });

    it('after every tamper test the project verifies again', async () => {
      expect(okChecks(await verifyProject(deps, PARENT))).toEqual({ 'temporal-replay': true, 'hash-chain': true, 'evidence-files': true, projection: true, 'event-log': true, persistence: true });
    });
  });

  // ---------------------------------------------------------------------------------------------
  // Archives
  // ---------------------------------------------------------------------------------------------

  describe('an exported archive re-verifies offline', () => {
    let archive: AuditArchive;
    let file: string;

    beforeAll(async () => {
      archive = await exportProject(deps, PARENT);
      file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'audit-archive-')), `${PARENT}.json`);
      await writeArchive(file, archive);
    });
    afterAll(() => fs.rmSync(path.dirname(file), { recursive: true, force: true }));

    it('holds the timeline, state snapshots, raw histories, evidence manifest and verification', async () => {
      expect(archive.verification.ok).toBe(true);
      expect(archive.projects.map((p) => p.projectId)).toEqual([PARENT, ...CHILDREN]);
      const events = archive.projects.reduce((n, p) => n + p.events.length, 0);
      expect(archive.timeline?.entries.length).toBe(events);
      expect(archive.snapshots.length).toBe(events);
      expect(archive.snapshots.filter((s) => s.projectId === PARENT).at(-1)!.state).toEqual(archive.projects[0].reported!.state);
      expect(archive.evidence.map((e) => [e.name, e.sha256, e.status])).toEqual(
        expect.arrayContaining([['q1-visits.pdf', files['q1-visits.pdf'].sha256, 'ok'], ['c1-q1.pdf', files['c1-q1.pdf'].sha256, 'ok'], ['rectification.pdf', files['rectification.pdf'].sha256, 'ok']]),
      );
      expect(archive.archiveSha256).toBe(archiveDigest(archive));
      expect(fs.statSync(file).size).toBeGreaterThan(10_000);
    });

    it('verifies offline: archive digest, hash chain, events against histories and final states, and replay against the current code', async () => {
      const report = await verifyArchive(await readArchive(file), { workflows: deps.workflows, file });
      expect(report.checks.map((c) => [c.check, c.ok, c.skipped ?? false])).toEqual([
        ['archive-integrity', true, false],
        ['temporal-replay', true, false],
        ['hash-chain', true, false],
        ['evidence-files', true, true],
        ['projection', true, true],
        ['event-log', true, false],
      ]);
      expect(report.ok).toBe(true);
      const withStore = await verifyArchive(archive, { workflows: deps.workflows, store });
      expect(check(withStore, 'evidence-files')).toMatchObject({ ok: true });
      expect(check(withStore, 'evidence-files').skipped).toBeUndefined();
    });

    it('an event edited inside the archive is located, even when the digest is recomputed', async () => {
      const copy = JSON.parse(JSON.stringify(archive)) as AuditArchive;
      const events = copy.projects[0].events;
      const seq = events.find((e) => e.type === 'accept')!.seq;
      (events[seq - 1].event as { negativeList: string[] }).negativeList = ['伪造的负面清单事项'];
      const report = await verifyArchive(copy, { workflows: deps.workflows });
      expect(check(report, 'archive-integrity').ok).toBe(false);
      expect(check(report, 'hash-chain')).toMatchObject({ ok: false, location: { projectId: PARENT, seq, kind: 'edited' } });
      copy.archiveSha256 = archiveDigest(copy);
      const resealed = await verifyArchive(copy, { workflows: deps.workflows });
      expect(check(resealed, 'archive-integrity').ok).toBe(true);
      expect(check(resealed, 'hash-chain')).toMatchObject({ ok: false, location: { seq, kind: 'edited' } });
      expect(check(resealed, 'event-log')).toMatchObject({ ok: false, location: { projectId: PARENT, seq } });
    });

    it('an archived history that no longer matches the workflow code fails the offline replay', async () => {
      const copy = JSON.parse(JSON.stringify(archive)) as AuditArchive;
      const history = copy.projects[1].histories[0].history as { events: { activityTaskScheduledEventAttributes?: { activityType: { name: string } } }[] };
      history.events.find((e) => e.activityTaskScheduledEventAttributes)!.activityTaskScheduledEventAttributes!.activityType.name = 'someOtherActivity';
      const report = await verifyArchive(copy, { workflows: deps.workflows });
      expect(check(report, 'temporal-replay')).toMatchObject({ ok: false, location: { projectId: CHILDREN[0], workflowId: wid(CHILDREN[0]) } });
      expect(check(report, 'temporal-replay').detail).toContain('DeterminismViolation');
    });
  });
});
