/**
 * The full-year scenario (see test/helpers/full-year.ts) driven only through the HTTP API, over
 * real HTTP: the app listens on a free port and every step is a `fetch` with the bearer token of
 * the person who takes it. A real worker runs the workflows; the cycle calendar is compressed to
 * seconds, with more slack than the Update-driven run because every step is an HTTP round trip.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileContentStore } from '../../db/content-store';
import { issueToken } from '../../db/auth';
import { openCycle } from '../../db/cycles';
import { seedCast } from '../helpers/api';
import { compressedCycle, proposal } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';
import { waitUntil } from '../helpers/wait';

const SECOND = 1000;
/**
 * Quarter evidence deadlines, seconds after the cycle opens. Each quarter's work takes 2–4 s when
 * run alone and beside the other full-year file; the gaps leave several times that for a loaded machine.
 */
const QUARTERS_S = [35, 55, 85, 105] as const;
const REMINDER_LEAD_MS = 4 * SECOND;

/** compressedCycle's shape and rules with this file's calendar. */
function apiCycle(cycleId: string, t0: number) {
  const base = compressedCycle(cycleId, t0);
  const at = (s: number) => new Date(t0 + s * SECOND).toISOString();
  return {
    ...base,
    reminderLeadMs: REMINDER_LEAD_MS,
    calendar: {
      ...base.calendar,
      proposalDeadline: at(5),
      reviewDeadline: at(12),
      letterDeadline: at(25),
      quarters: QUARTERS_S.map((s, i) => ({ quarter: (i + 1) as 1 | 2 | 3 | 4, evidenceDeadline: at(s), inspectionWindowEnd: at(s + 15) })),
      dispatchWindow: { start: at(55), end: at(85) },
      selfAssessmentDeadline: at(125),
      acceptanceWindow: { start: at(105), end: at(400) },
      monthlyReminders: [at(45), at(95)],
    },
  };
}

interface HttpResult {
  status: number;
  contentType: string;
  text: string;
  json: any;
}

interface ChildRef {
  id: string;
  orgId: string;
  secretaryId: string;
  status: string;
  stage: string;
}

type Project = any;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the full (compressed) year through the HTTP API, over real HTTP', () => {
  let base: string;
  let cycle: ReturnType<typeof apiCycle>;
  let t0: number;
  const tokens: Record<string, string> = {};
  const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-full-year-'));
  const h = useHarness({ name: 'apifullyear', app: () => ({ store: createFileContentStore(storeDir) }) });

  let requests = 0;
  let overloadRetries = 0;
  let elapsedMs = 0;
  let scenarioRequests = 0;
  /** Seconds each phase's work finished ahead of the deadline it had to beat (the calendar's slack). */
  const slack: Record<string, number> = {};
  const noteSlack = (label: string, deadline: number) => (slack[label] = Math.round((deadline - Date.now()) / 100) / 10);

  // What the scenario leaves behind for the assertions.
  let parentId: string;
  let childIds: string[] = []; // decomposed: b1, b2, b4
  let addedId: string;
  const snapshots: Record<string, Project> = {};
  let parentEvidenceLate = false;

  /** One HTTP request as a user; an overloaded 503 (under-pressure) is retried and counted. */
  async function http(method: 'GET' | 'POST', userId: string, route: string, body?: unknown): Promise<HttpResult> {
    for (let attempt = 0; ; attempt++) {
      requests += 1;
      const response = await fetch(`${base}${route}`, {
        method,
        headers: { authorization: `Bearer ${tokens[userId]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      if (response.status === 503 && text.includes('overloaded') && attempt < 5) {
        overloadRetries += 1;
        await sleep(1000);
        continue;
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, contentType: response.headers.get('content-type') ?? '', text, json };
    }
  }

  /** A request that must answer `status`; otherwise the error names route, actor, body, expected and actual. */
  async function call(method: 'GET' | 'POST', userId: string, route: string, body?: unknown, status = method === 'POST' && route === '/projects' ? 201 : 200): Promise<Project> {
    const result = await http(method, userId, route, body);
    if (result.status !== status) {
      throw new Error(`${method} ${route} as ${userId} with ${JSON.stringify(body ?? null)}: expected ${status}, got ${result.status}: ${result.text.slice(0, 1000)}`);
    }
    return result.json;
  }
  /** Uploads one evidence file as the user (POST /evidence-files); evidence may cite only the caller's uploads. */
  async function upload(userId: string, name: string, content: string): Promise<{ name: string; sha256: string; size: number }> {
    requests += 1;
    const form = new FormData();
    form.append('file', new Blob([Buffer.from(content)], { type: 'application/pdf' }), name);
    const response = await fetch(`${base}/evidence-files`, { method: 'POST', headers: { authorization: `Bearer ${tokens[userId]}` }, body: form });
    const text = await response.text();
    if (response.status !== 201) throw new Error(`POST /evidence-files as ${userId} with ${name}: expected 201, got ${response.status}: ${text.slice(0, 1000)}`);
    const [stored] = JSON.parse(text).files as { sha256: string; size: number }[];
    return { name, sha256: stored.sha256, size: stored.size };
  }
  const post = (userId: string, route: string, body: unknown = {}, status?: number) => call('POST', userId, route, body, status);
  const get = (userId: string, route: string) => call('GET', userId, route);

  function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    return waitUntil(what, probe, timeoutMs, 500);
  }

  const quarterDeadline = (q: number) => t0 + QUARTERS_S[q - 1] * SECOND;
  const sleepUntil = async (t: number) => {
    const ms = t - Date.now();
    if (ms > 0) await sleep(ms);
  };
  const inspectionDue = (projectId: string, q: number) =>
    waitFor(`Q${q} inspection of ${projectId} due`, async () => {
      const view = await get('u-inspector', `/projects/${projectId}`);
      return view.inspections.some((i: { quarter: number; due: boolean }) => i.quarter === q && i.due) ? view : undefined;
    });

  async function evidence(projectId: string, secretaryId: string, q: number, visits: number, mustBeBefore: number): Promise<Project> {
    if (Date.now() > mustBeBefore) {
      throw new Error(`the scenario fell behind its compressed calendar: Q${q} evidence of ${projectId} is due at +${QUARTERS_S[q - 1]} s, now +${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    const file = await upload(secretaryId, `q${q}.pdf`, `%PDF-1.7\n% ${projectId} 第${q}季度工作进展\n%%EOF`);
    return post(secretaryId, `/projects/${projectId}/evidence`, {
      quarter: q,
      text: `第${q}季度工作进展`,
      files: [file],
      indicatorActuals: [{ indicatorId: 'i-visits', actual: visits }],
    });
  }

  /** A sub-project's secretary completes its draft, the parent's lead secretary approves it, the secretary signs. */
  async function startChildWork(child: { id: string; secretaryId: string }): Promise<Project> {
    const first = await waitFor(`sub-project ${child.id} readable`, async () => {
      const r = await http('GET', child.secretaryId, `/projects/${child.id}`);
      return r.status === 200 ? r.json : undefined;
    });
    expect(first).toMatchObject({ parentId, stage: 'draft', leadSecretaryId: child.secretaryId });
    const { indicators, milestones } = proposal(cycle.year, 'x');
    await post(child.secretaryId, `/projects/${child.id}/draft`, { indicators, milestones });
    expect((await post(child.secretaryId, `/projects/${child.id}/submit`)).stage).toBe('in_review');
    // Sub-projects are reviewed by the parent's lead secretary, not by the committee.
    const wrongReviewer = await http('POST', 'u-committee', `/projects/${child.id}/review`, { decision: 'approve' });
    expect(wrongReviewer.status, wrongReviewer.text).toBe(403);
    expect((await post('u-sec-oc1', `/projects/${child.id}/review`, { decision: 'approve' })).stage).toBe('approved');
    const signed = await post(child.secretaryId, `/projects/${child.id}/letter`, { text: '子项目责任书' });
    expect(signed.stage).toBe('in_progress');
    return signed;
  }

  const secretaryOf: Record<string, string> = {};
  const childEvidence = async (ids: string[], q: number) => {
    for (const id of ids) {
      const view = await get(secretaryOf[id], `/projects/${id}`);
      if (view.stage === 'in_progress') await evidence(id, secretaryOf[id], q, q * 5, quarterDeadline(q) - 1000);
    }
  };

  beforeAll(async () => {
    const started = Date.now();
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;

    t0 = Date.now();
    cycle = apiCycle(`cy-http-${t0.toString(36)}`, t0);
    const cast = await seedCast(h.db, cycle);
    Object.assign(tokens, cast.tokens);
    // Two more branches under the organ committee OC1: a third decomposed sub-project and the one added at dispatch.
    const extra = [
      { id: 'org-b4', name: '审计处党支部', secretaryId: 'u-sec-b4' },
      { id: 'org-b5', name: '国库处党支部', secretaryId: 'u-sec-b5' },
    ];
    await openCycle(h.db, {
      cycle,
      orgs: extra.map((o) => ({ id: o.id, parentId: 'org-oc1', kind: 'branch' as const, name: o.name, secretaryId: o.secretaryId })),
      users: extra.map((o) => ({ id: o.secretaryId, name: `${o.name}书记`, role: 'secretary' as const, orgId: o.id })),
      projects: [],
    });
    for (const o of extra) tokens[o.secretaryId] = await issueToken(h.db, o.secretaryId, 'test');

    // ---- Proposal: returned once, then approved --------------------------------------------
    const { title, ...rest } = proposal(cycle.year, '“红色引擎”助企服务提升项目');
    const proposed = await post('u-sec-oc1', '/projects', { cycleId: cycle.cycleId, title, ...rest });
    parentId = proposed.id;
    snapshots.proposed = proposed;
    snapshots.submitted = await post('u-sec-oc1', `/projects/${parentId}/submit`);
    snapshots.returned = await post('u-committee', `/projects/${parentId}/review`, { decision: 'return', comment: '指标需进一步量化，请补充满意度测评方式' });
    snapshots.edited = await post('u-sec-oc1', `/projects/${parentId}/draft`, { businessGoal: '优化营商环境，以第三方测评衡量政务服务满意度' });
    await post('u-sec-oc1', `/projects/${parentId}/submit`);
    snapshots.approved = await post('u-committee', `/projects/${parentId}/review`, { decision: 'approve', comment: '同意立项' });
    snapshots.signed = await post('u-sec-oc1', `/projects/${parentId}/letter`, { text: '本人承诺履行党建项目第一责任人职责。' });

    // ---- "1+N": three sub-projects for branches under OC1 ----------------------------------
    const branches = [
      { orgId: 'org-b1', secretaryId: 'u-sec-b1' },
      { orgId: 'org-b2', secretaryId: 'u-sec-b2' },
      { orgId: 'org-b4', secretaryId: 'u-sec-b4' },
    ];
    snapshots.decomposed = await post('u-sec-oc1', `/projects/${parentId}/decompose`, {
      children: branches.map((b, i) => ({ ...b, title: `第${i + 1}支部攻坚子项目` })),
    });
    const decomposed = snapshots.decomposed.children as ChildRef[];
    childIds = branches.map((b) => decomposed.find((c) => c.orgId === b.orgId)!.id);
    for (const c of decomposed) secretaryOf[c.id] = c.secretaryId;
    for (const id of childIds) snapshots[`child-signed:${id}`] = await startChildWork({ id, secretaryId: secretaryOf[id] });
    snapshots.memberItem = await post('u-sec-oc1', `/projects/${parentId}/member-items`, { memberId: 'u-member-b1', kind: 'pledge', title: '每月为企业办实事', target: 12, unit: '件' });

    // ---- Q1: on track ---------------------------------------------------------------------------
    const parentEvidence = async (q: number, visits: number) => {
      // Before the pre-deadline reminder, so the parent is reminded only of the quarter it misses.
      if (Date.now() > quarterDeadline(q) - REMINDER_LEAD_MS) parentEvidenceLate = true;
      return evidence(parentId, 'u-sec-oc1', q, visits, quarterDeadline(q) - 1000);
    };
    await parentEvidence(1, 5);
    await childEvidence(childIds, 1);
    noteSlack('Q1', quarterDeadline(1));
    await sleepUntil(quarterDeadline(1));
    await inspectionDue(parentId, 1);
    snapshots.q1 = await post('u-inspector', `/projects/${parentId}/inspections/1`, { rating: 'on_track', findings: ['按计划推进'], problems: [] });

    // ---- Q2: lagging, one problem; rectification sent back once, then verified -------------------
    await parentEvidence(2, 7);
    await childEvidence(childIds, 2);
    noteSlack('Q2', quarterDeadline(2));
    await sleepUntil(quarterDeadline(2));
    await inspectionDue(parentId, 2);
    snapshots.q2 = await post('u-inspector', `/projects/${parentId}/inspections/2`, {
      rating: 'lagging',
      findings: ['走访进度滞后于计划'],
      problems: [
        {
          problem: '走访企业数量未达半年目标',
          responsibleOrgId: 'org-oc1',
          responsiblePersonId: 'u-sec-oc1',
          measures: '增加走访批次，每周通报进度',
          deadline: new Date(t0 + 400 * SECOND).toISOString(),
        },
      ],
    });
    const entryId = snapshots.q2.ledger[0].id as string;
    await post('u-sec-oc1', `/projects/${parentId}/rectifications/${entryId}/report`, { text: '已制定走访计划' });
    snapshots.sentBack = await post('u-inspector', `/projects/${parentId}/rectifications/${entryId}/send-back`, { reason: '未见走访记录佐证' });
    await post('u-sec-oc1', `/projects/${parentId}/rectifications/${entryId}/report`, {
      text: '补充走访记录12份',
      files: [await upload('u-sec-oc1', 'visits.pdf', '%PDF-1.7\n% 走访记录12份\n%%EOF')],
    });
    snapshots.verified = await post('u-inspector', `/projects/${parentId}/rectifications/${entryId}/verify`);

    // ---- Mid-year dispatch: cancel one sub-project, add another ----------------------------------
    snapshots.dispatched = await post('u-committee', `/projects/${parentId}/dispatch`, {
      decision: 'adjust',
      reason: '根据上半年进展调整子项目',
      changes: [
        { kind: 'cancelChild', childId: childIds[2], reason: '该支部任务与其他项目重复' },
        { kind: 'addChild', child: { orgId: 'org-b5', secretaryId: 'u-sec-b5', title: '第4支部新增子项目' }, reason: '新增重点攻坚方向' },
        { kind: 'indicatorTarget', indicatorId: 'i-visits', target: 18, reason: '受外部因素影响下调走访目标' },
      ],
    });
    const added = (snapshots.dispatched.children as ChildRef[]).find((c) => !childIds.includes(c.id))!;
    addedId = added.id;
    secretaryOf[addedId] = added.secretaryId;
    snapshots.addedSigned = await startChildWork({ id: addedId, secretaryId: added.secretaryId });
    const working = [childIds[0], childIds[1], addedId];

    // ---- Q3: the parent misses its evidence deadline ---------------------------------------------
    await childEvidence(working, 3);
    noteSlack('Q3', quarterDeadline(3));
    await sleepUntil(quarterDeadline(3));
    snapshots.q3 = await inspectionDue(parentId, 3);

    // ---- Q4, self-assessment and acceptance -------------------------------------------------------
    await parentEvidence(4, 18);
    await childEvidence(working, 4);
    noteSlack('Q4', quarterDeadline(4));
    await sleepUntil(quarterDeadline(4));
    await inspectionDue(parentId, 4);
    const scores = [
      { criterionId: 'c-goal', score: 55 },
      { criterionId: 'c-fusion', score: 36 },
    ];
    await post('u-sec-oc1', `/projects/${parentId}/self-assessment`, { scores, narrative: '全年完成走访18家，满意度提升', businessImpact: '企业诉求办结率提高' });
    // A parent cannot be accepted while a child is unsettled.
    snapshots.acceptTooEarly = (await http('POST', 'u-committee', `/projects/${parentId}/acceptance`, { criterionScores: scores, negativeList: [] })) as unknown as Project;
    for (const id of working) {
      await post(secretaryOf[id], `/projects/${id}/self-assessment`, { scores, narrative: '子项目全年完成情况良好', businessImpact: '支部服务企业能力提升' });
      snapshots[`child-accepted:${id}`] = await post('u-committee', `/projects/${id}/acceptance`, { criterionScores: scores, negativeList: [] });
    }
    await waitFor('children settled in the parent', async () => {
      const view = await get('u-sec-oc1', `/projects/${parentId}`);
      return (view.children as ChildRef[]).every((c) => c.status !== 'active') ? view : undefined;
    });
    snapshots.accepted = await post('u-committee', `/projects/${parentId}/acceptance`, { criterionScores: scores, negativeList: [] });
    elapsedMs = Date.now() - started;
    scenarioRequests = requests;
  }, 280_000);

  afterAll(async () => {
    console.log(
      `api-full-year: scenario ${(elapsedMs / 1000).toFixed(1)} s with ${scenarioRequests} HTTP requests, ${requests} in all (${overloadRetries} overload retries); slack before each quarter's deadline (s): ${JSON.stringify(slack)}`,
    );
    fs.rmSync(storeDir, { recursive: true, force: true });
  });

  it('returned the proposal once, then approved it; the review history names each actor', async () => {
    expect(snapshots.proposed).toMatchObject({ stage: 'draft', parentId: null, orgId: 'org-oc1', leadSecretaryId: 'u-sec-oc1', cycleId: cycle.cycleId });
    expect(snapshots.submitted.stage).toBe('in_review');
    expect(snapshots.returned.stage).toBe('draft');
    expect(snapshots.edited.proposal.businessGoal).toBe('优化营商环境，以第三方测评衡量政务服务满意度');
    expect(snapshots.approved.stage).toBe('approved');
    expect(snapshots.signed).toMatchObject({ stage: 'in_progress', stageLabel: '实施中' });
    expect(snapshots.signed.letter).toMatchObject({ signedBy: 'u-sec-oc1' });
    const parent = await get('u-sec-oc1', `/projects/${parentId}`);
    expect(parent.review.history.map((h: { action: string; actor: { userId: string } }) => `${h.action}:${h.actor.userId}`)).toEqual([
      'submitted:u-sec-oc1',
      'returned:u-committee',
      'submitted:u-sec-oc1',
      'approved:u-committee',
    ]);
  });

  it('ends accepted and graded good, after the missed Q3 evidence cost a deduction', async () => {
    expect(parentEvidenceLate, 'the parent’s evidence came after a pre-deadline reminder: the calendar is too tight').toBe(false);
    expect(snapshots.acceptTooEarly.status).toBe(409);
    expect(snapshots.acceptTooEarly.json.rule).toBe('children.unsettled');
    const parent = await get('u-sec-oc1', `/projects/${parentId}`);
    expect(parent).toMatchObject({ stage: 'accepted', stageLabel: '已验收' });
    expect(parent.acceptance).toMatchObject({ grade: 'good', rawScore: 91, totalDeduction: 3, finalScore: 88, by: 'u-committee' });
    expect(parent.acceptance.deductions.map((d: { code: string; count: number; points: number }) => ({ code: d.code, count: d.count, points: d.points }))).toEqual([
      { code: 'missing_evidence', count: 1, points: 3 },
    ]);
    expect(parent.selfAssessment).toMatchObject({ total: 91, by: 'u-sec-oc1' });
    expect(parent.inspections.map((i: { quarter: number; rating: string | null; missingEvidence: boolean }) => ({ quarter: i.quarter, rating: i.rating, missingEvidence: i.missingEvidence }))).toEqual([
      { quarter: 1, rating: 'on_track', missingEvidence: false },
      { quarter: 2, rating: 'lagging', missingEvidence: false },
      { quarter: 3, rating: null, missingEvidence: true },
      { quarter: 4, rating: null, missingEvidence: false },
    ]);
    expect(snapshots.q3.inspections[2].findings[0].kind).toBe('missing_evidence');
    expect(parent.evidence.map((e: { quarter: number; submittedBy: string }) => `Q${e.quarter}:${e.submittedBy}`)).toEqual(['Q1:u-sec-oc1', 'Q2:u-sec-oc1', 'Q4:u-sec-oc1']);
    expect(parent.proposal.indicators[0]).toMatchObject({ id: 'i-visits', target: 18, actual: 18 });
    // The inspector downloads the Q1 file the parent's evidence cites, checked against its hash.
    const cited = parent.evidence[0].files[0] as { sha256: string };
    requests += 1;
    const download = await fetch(`${base}/evidence-files/${cited.sha256}`, { headers: { authorization: `Bearer ${tokens['u-inspector']}` } });
    expect(download.status).toBe(200);
    expect(download.headers.get('x-content-sha256')).toBe(cited.sha256);
    expect(Buffer.from(await download.arrayBuffer()).toString()).toContain('第1季度工作进展');
    expect(parent.memberItems).toMatchObject([{ memberId: 'u-member-b1', kind: 'pledge', target: 12 }]);
  });

  it('closed the Q2 rectification after one send-back (清零)', async () => {
    expect(snapshots.q2.ledger).toMatchObject([{ status: 'open', responsibleOrgId: 'org-oc1', responsiblePersonId: 'u-sec-oc1', recordedBy: 'u-inspector' }]);
    expect(snapshots.sentBack.ledger[0]).toMatchObject({ status: 'open' });
    const parent = await get('u-inspector', `/projects/${parentId}`);
    expect(parent.ledger.map((e: { status: string; reports: unknown[]; sendBacks: unknown[]; verifiedBy: string }) => ({ status: e.status, reports: e.reports.length, sendBacks: e.sendBacks.length, verifiedBy: e.verifiedBy }))).toEqual([
      { status: 'closed', reports: 2, sendBacks: 1, verifiedBy: 'u-inspector' },
    ]);
  });

  it('cancelled one sub-project at dispatch, added one, and accepted the others before the parent', async () => {
    expect(snapshots.decomposed.children).toHaveLength(3);
    for (const id of childIds) expect(id.startsWith(`${parentId}-`)).toBe(true);
    expect(snapshots.dispatched.dispatch.changes.map((c: { kind: string }) => c.kind)).toEqual(['cancelChild', 'addChild', 'indicatorTarget']);
    const parent = await get('u-committee', `/projects/${parentId}`);
    expect(parent.children.map((c: ChildRef) => ({ id: c.id, orgId: c.orgId, status: c.status, stage: c.stage }))).toEqual([
      { id: childIds[0], orgId: 'org-b1', status: 'settled', stage: 'accepted' },
      { id: childIds[1], orgId: 'org-b2', status: 'settled', stage: 'accepted' },
      { id: childIds[2], orgId: 'org-b4', status: 'cancelled', stage: expect.any(String) },
      { id: addedId, orgId: 'org-b5', status: 'settled', stage: 'accepted' },
    ]);
    for (const id of [childIds[0], childIds[1], addedId]) {
      const child = await get(secretaryOf[id], `/projects/${id}`);
      expect(child, id).toMatchObject({ parentId, stage: 'accepted', leadSecretaryId: secretaryOf[id] });
      expect(child.acceptance, id).toMatchObject({ grade: 'excellent', finalScore: 91, totalDeduction: 0 });
      expect(child.review.history.map((h: { action: string; actor: { userId: string } }) => `${h.action}:${h.actor.userId}`), id).toEqual([
        `submitted:${secretaryOf[id]}`,
        'approved:u-sec-oc1',
      ]);
    }
    const cancelled = await get('u-sec-b4', `/projects/${childIds[2]}`);
    expect(cancelled).toMatchObject({ stage: 'cancelled', stageLabel: '已撤销' });
    // The sub-project added mid-year answers for the quarters after its letter only.
    const added = await get('u-sec-b5', `/projects/${addedId}`);
    expect(added.inspections.map((i: { quarter: number }) => i.quarter)).toEqual([3, 4]);
  });

  it('the committee figures reflect the accepted projects, the cancelled one and the cleared ledger', async () => {
    const figures = await waitFor('the projection of every project', async () => {
      const f = await get('u-committee', `/cycles/${cycle.cycleId}/figures`);
      return f.totals.byStage.find((s: { key: string }) => s.key === 'accepted')?.count === 4 ? f : undefined;
    }, 30_000);
    const stage = (key: string) => figures.totals.byStage.find((s: { key: string }) => s.key === key)?.count;
    expect(figures.cycleId).toBe(cycle.cycleId);
    expect(figures.totals).toMatchObject({ projects: 5, topLevel: 1, subProjects: 4, keyProjects: 1, missingEvidenceProjects: 1 });
    expect(stage('accepted')).toBe(4);
    expect(stage('cancelled')).toBe(1);
    expect(figures.totals.ledger).toMatchObject({ total: 1, open: 0, reported: 0, closed: 1, unclosed: 0, rectificationRate: 1, cleared: true });
    expect(figures.missingEvidence.map((m: { projectId: string; quarters: number[] }) => ({ projectId: m.projectId, quarters: m.quarters }))).toEqual([{ projectId: parentId, quarters: [3] }]);
    const q = (n: number) => figures.inspections.find((i: { quarter: number }) => i.quarter === n);
    expect(q(1)).toMatchObject({ onTrack: 1, lagging: 0 });
    expect(q(2)).toMatchObject({ onTrack: 0, lagging: 1 });
    const oc1 = figures.byOrg.find((o: { orgId: string }) => o.orgId === 'org-oc1');
    expect(oc1).toMatchObject({ projects: 1, topLevel: 1 });
    const u1 = figures.byUnit.find((u: { unitId: string }) => u.unitId === 'org-u1');
    expect(u1).toMatchObject({ projects: 5, subProjects: 4 });

    const list = await get('u-committee', `/projects?cycle=${cycle.cycleId}&limit=50`);
    expect(list.total).toBe(5);
    expect(list.items.find((p: { id: string }) => p.id === parentId)).toMatchObject({ stage: 'accepted', grade: 'good' });
  });

  it('the achievements compilation (HTML) lists the four accepted projects and not the cancelled one', async () => {
    const response = await http('GET', 'u-committee', `/reports/cycles/${cycle.cycleId}/compilation?format=html`);
    expect(response.status, response.text.slice(0, 500)).toBe(200);
    expect(response.contentType).toContain('text/html');
    const html = response.text;
    expect(html).toContain(`${cycle.year}年度党建创新成果汇编`);
    expect(html).toContain('通过年底验收的党建项目4个');
    expect(html).toContain('“红色引擎”助企服务提升项目');
    expect(html).toContain('良好（88分，含减分3分）');
    for (const title of ['第1支部攻坚子项目', '第2支部攻坚子项目', '第4支部新增子项目']) expect(html).toContain(title);
    expect(html).not.toContain('第3支部攻坚子项目');
    expect(html.match(/优秀（91分）/g)?.length).toBe(3);
    expect(html).toContain('市财政局党组');
  });

  it('wrote the expected reminders and notices to the outbox', async () => {
    const rows = () => h.db.selectFrom('notifications').select(['project_id', 'kind', 'recipient_id']).where('cycle_id', '=', cycle.cycleId).execute();
    // The closing notice (办结) is written when the parent's workflow completes.
    const notifications = await waitFor('the parent’s closing notice', async () => {
      const all = await rows();
      return all.some((n) => n.project_id === parentId && n.kind === 'project_closed') ? all : undefined;
    }, 30_000);
    const of = (projectId: string) => notifications.filter((n) => n.project_id === projectId);
    const kinds = new Set(of(parentId).map((n) => n.kind));
    for (const kind of [
      'review_requested',
      'proposal_returned',
      'proposal_approved',
      'rectification_assigned',
      'rectification_sent_back',
      'dispatch_adjust',
      'evidence_missing',
      'evidence_due',
      'monthly_reminder',
      'accepted',
      'project_closed',
    ]) {
      expect(kinds, kind).toContain(kind);
    }
    expect(of(parentId).filter((n) => n.kind === 'review_requested').map((n) => n.recipient_id)).toEqual(['u-committee', 'u-committee']);
    expect(of(parentId).filter((n) => n.kind === 'rectification_assigned' || n.kind === 'rectification_sent_back').every((n) => n.recipient_id === 'u-sec-oc1')).toBe(true);
    // Exactly one pre-deadline evidence reminder: the quarter the parent missed.
    expect(of(parentId).filter((n) => n.kind === 'evidence_due')).toHaveLength(1);
    expect(of(parentId).filter((n) => n.kind === 'evidence_missing')).toHaveLength(1);
    for (const id of [childIds[0], childIds[1], addedId]) {
      const child = of(id);
      expect(child.filter((n) => n.kind === 'review_requested').map((n) => n.recipient_id), id).toEqual(['u-sec-oc1']);
      expect(child.filter((n) => n.kind === 'proposal_approved').map((n) => n.recipient_id), id).toEqual([secretaryOf[id]]);
      expect(child.some((n) => n.kind === 'accepted' && n.recipient_id === secretaryOf[id]), id).toBe(true);
      expect(child.some((n) => n.kind === 'evidence_missing'), id).toBe(false);
    }
    expect(of(childIds[2]).filter((n) => n.kind === 'sub_project_cancelled').map((n) => n.recipient_id)).toEqual(['u-sec-b4']);
  });
});
