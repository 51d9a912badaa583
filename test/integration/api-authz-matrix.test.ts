/**
 * The authorisation matrix: every caller (no token, an unknown token, and one user per role,
 * including the lead secretary, secretaries above and below the project's org in the same
 * subtree, and secretaries of another unit) against every project and cycle action route, on a
 * project of an organ committee (reviewed by the committee) and on a project of a branch
 * (reviewed by its organ committee's secretary).
 *
 * For each route a fresh project is driven through the API, by the right people, into the stage
 * where the action is legal. Every caller who may not act tries first: each must be refused
 * (401/403/404; never 2xx, never 5xx) with nothing changed — the project read back by an auditor
 * is identical and no row is added to `project_events`. Then the caller(s) who may act do, and
 * must succeed. The calendar lies hours in the future so no timer changes a project mid-cell;
 * inspections are recorded before they fall due, which the machine allows.
 *
 * Also: propose, open/launch/read a cycle, upload/download evidence files; references to another
 * org's objects (decomposing into an org outside the lead's subtree, citing another org's file);
 * and bad credentials (expired, revoked, tampered, hash-as-token, alg:none JWTs), all 401.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, describe, it } from 'vitest';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { WorkflowNotFoundError } from '@temporalio/client';
import { hashToken, issueToken, TOKEN_PREFIX } from '../../db/auth';
import { createFileContentStore } from '../../db/content-store';
import { launchWorkflowId } from '../../workflows/launch-cycle';
import type { CreateEvent } from '../../workflows/lifecycle';
import { compressedCycle, proposal } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';
import { waitUntil } from '../helpers/wait';

// ---- Callers ------------------------------------------------------------------------------------

interface Caller {
  /** How the matrix names the caller. */
  key: string;
  /** The user behind the token, or null for no/invalid credentials. */
  userId: string | null;
}

/** An unknown token of the right shape: only the database lookup can refuse it. */
const UNKNOWN_TOKEN = `${TOKEN_PREFIX}${'Q'.repeat(43)}`;

const CALLERS: readonly Caller[] = [
  { key: 'no token', userId: null },
  { key: 'unknown token', userId: null },
  { key: 'committee', userId: 'u-committee' },
  { key: 'inspector', userId: 'u-inspector' },
  { key: 'auditor', userId: 'u-auditor' },
  { key: 'member(b1)', userId: 'u-member-b1' },
  { key: 'sec-oc1', userId: 'u-sec-oc1' },
  { key: 'sec-u1', userId: 'u-sec-u1' },
  { key: 'sec-b1', userId: 'u-sec-b1' },
  { key: 'sec-b3', userId: 'u-sec-b3' },
  { key: 'sec-oc2', userId: 'u-sec-oc2' },
];

// ---- Homes: whose project the matrix runs on ----------------------------------------------------

type HomeKey = 'oc1' | 'b1' | 'b3';

interface Home {
  key: HomeKey;
  label: string;
  org: string;
  lead: string;
  /** The assigned reviewer (DESIGN §2). */
  reviewer: string;
  /** Who may read the project (GET /projects/:id). */
  readers: string[];
}

const HOMES: Record<'oc1' | 'b1', Home> = {
  // An organ committee's project: the committee reviews it; the unit above reads it; the branch below does not.
  oc1: {
    key: 'oc1',
    label: 'org-oc1 project (lead sec-oc1, reviewer committee)',
    org: 'org-oc1',
    lead: 'u-sec-oc1',
    reviewer: 'u-committee',
    readers: ['u-committee', 'u-inspector', 'u-auditor', 'u-sec-oc1', 'u-sec-u1'],
  },
  // A branch's project: its organ committee's secretary reviews it; the branch's member reads it.
  b1: {
    key: 'b1',
    label: 'org-b1 project (lead sec-b1, reviewer sec-oc1)',
    org: 'org-b1',
    lead: 'u-sec-b1',
    reviewer: 'u-sec-oc1',
    readers: ['u-committee', 'u-inspector', 'u-auditor', 'u-member-b1', 'u-sec-b1', 'u-sec-oc1', 'u-sec-u1'],
  },
};

/** A branch of the other unit, for references across units. */
const OTHER_UNIT: Home = {
  key: 'b3',
  label: 'org-b3 project (lead sec-b3, reviewer sec-oc2)',
  org: 'org-b3',
  lead: 'u-sec-b3',
  reviewer: 'u-sec-oc2',
  readers: ['u-committee', 'u-inspector', 'u-auditor', 'u-sec-b3', 'u-sec-oc2', 'u-sec-u2'],
};

/** Not a matrix caller: the delegate (委派) asked for an opinion, a secretary of another unit. */
const DELEGATE = { userId: 'u-sec-u2', orgId: 'org-u2' };

// ---- Requests and route cases -------------------------------------------------------------------

interface Req {
  method: 'GET' | 'POST';
  url: string;
  payload?: object | Buffer;
  headers?: Record<string, string>;
}

interface Ctx {
  id: string;
  itemId?: string;
  evidenceId?: string;
  entryId?: string;
}

interface RouteCase {
  route: string;
  homes: ('oc1' | 'b1')[];
  prepare: (h: Home) => Promise<Ctx>;
  request: (c: Ctx, h: Home) => Req;
  /** The users who may do it here; every other caller must be refused. */
  allowed: (h: Home) => string[];
  /** The status the allowed callers get. */
  okStatus?: number;
  /** The stage after the allowed caller(s) acted. */
  stageAfter?: string;
}

const post = (url: string, payload: object = {}): Req => ({ method: 'POST', url, payload });
const SCORES = [
  { criterionId: 'c-goal', score: 50 },
  { criterionId: 'c-fusion', score: 32 },
];

describe('authorisation matrix: every caller × every action route × own org / other org', () => {
  const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'authz-'));
  // Every deadline hours away: no timer event changes a project while its cells run.
  const cycle = compressedCycle('cy-authz', Date.now() + 3 * 3600 * 1000);
  const startedAt = Date.now();
  const tally = { cells: 0, refused: 0, allowed: 0, routes: new Set<string>(), statuses: {} as Record<string, number> };

  const harness = useHarness({
    name: 'authz',
    cycle,
    app: () => ({
      store: createFileContentStore(storeDir),
      // The matrix sends hundreds of requests per token; the rate limit has tests of its own.
      rateLimitPerMinute: 1_000_000,
    }),
    ready: true,
  });
  afterAll(async () => {
    console.log(
      `authz matrix: ${tally.cells} cells (${tally.refused} that must be refused, ${tally.allowed} that must succeed) over ${tally.routes.size} route×project cases ` +
        `in ${((Date.now() - startedAt) / 1000).toFixed(1)} s; statuses of the must-refuse cells ${JSON.stringify(tally.statuses)}`,
    );
    fs.rmSync(storeDir, { recursive: true, force: true });
  });

  // ---- Plumbing ---------------------------------------------------------------------------------

  function authorization(caller: Caller): string | undefined {
    if (caller.userId) return `Bearer ${harness.cast.tokens[caller.userId]}`;
    return caller.key === 'unknown token' ? `Bearer ${UNKNOWN_TOKEN}` : undefined;
  }

  function send(auth: string | undefined, req: Req): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = { ...(req.headers ?? {}) };
    if (auth) headers.authorization = auth;
    const options: InjectOptions = { method: req.method, url: req.url, headers };
    if (req.method === 'POST') options.payload = (req.payload ?? {}) as InjectOptions['payload'];
    return harness.app.inject(options);
  }
  const as = (userId: string, req: Req) => send(`Bearer ${harness.cast.tokens[userId]}`, req);

  async function must(response: LightMyRequestResponse, status: number, what: string): Promise<any> {
    if (response.statusCode !== status) throw new Error(`setup step “${what}” got ${response.statusCode}: ${response.body.slice(0, 400)}`);
    return response.json();
  }

  /** The project as an authorised reader (the auditor) sees it. */
  async function readBack(id: string): Promise<any> {
    return must(await as('u-auditor', { method: 'GET', url: `/projects/${id}` }), 200, `read ${id}`);
  }

  async function eventCount(projectId: string): Promise<number> {
    const row = await harness.db
      .selectFrom('project_events')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('project_id', '=', projectId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
    return waitUntil(what, probe, timeoutMs, 50);
  }

  /** Waits until the event log holds exactly the events the workflow applied; returns the state. */
  async function settled(id: string, timeoutMs = 15_000): Promise<{ view: any; events: number }> {
    let last = { view: undefined as any, events: -1 };
    return waitUntil(`the event log of ${id}`, async () => {
      last = { view: await readBack(id), events: await eventCount(id) };
      return last.events === last.view.version ? last : undefined;
    }, timeoutMs, 50).catch(() => {
      throw new Error(`the event log of ${id} holds ${last.events} rows for version ${last.view?.version}`);
    });
  }

  function isRefusal(caller: Caller | null, status: number): boolean {
    if (caller && caller.userId === null) return status === 401;
    return status === 401 || status === 403 || status === 404;
  }

  function count(status: number, refused: boolean) {
    tally.cells += 1;
    if (refused) {
      tally.refused += 1;
      tally.statuses[status] = (tally.statuses[status] ?? 0) + 1;
    } else {
      tally.allowed += 1;
    }
  }

  // ---- Driving a fresh project to a stage, with the right actors ---------------------------------

  async function draft(h: Home): Promise<Ctx> {
    const { title: _t, ...rest } = proposal(cycle.year, 'x');
    const body = { cycleId: cycle.cycleId, title: `矩阵测试项目 ${randomUUID().slice(0, 8)}`, ...rest };
    const created = await must(await as(h.lead, post('/projects', body)), 201, `${h.lead} proposes`);
    return { id: created.id };
  }
  async function inReview(h: Home): Promise<Ctx> {
    const c = await draft(h);
    await must(await as(h.lead, post(`/projects/${c.id}/submit`)), 200, 'submit');
    return c;
  }
  async function withDelegation(h: Home): Promise<Ctx> {
    const c = await inReview(h);
    await must(await as(h.reviewer, post(`/projects/${c.id}/review/delegate`, { toUserId: DELEGATE.userId, toOrgId: DELEGATE.orgId, note: '请提出意见' })), 200, 'delegate');
    return c;
  }
  async function approved(h: Home): Promise<Ctx> {
    const c = await inReview(h);
    await must(await as(h.reviewer, post(`/projects/${c.id}/review`, { decision: 'approve', comment: '同意立项' })), 200, 'approve');
    return c;
  }
  async function inProgress(h: Home): Promise<Ctx> {
    const c = await approved(h);
    await must(await as(h.lead, post(`/projects/${c.id}/letter`, { text: '本人承诺履行党建项目第一责任人职责。' })), 200, 'letter');
    return c;
  }
  async function selfAssessed(h: Home): Promise<Ctx> {
    const c = await inProgress(h);
    await must(await as(h.lead, post(`/projects/${c.id}/self-assessment`, { scores: SCORES, narrative: '全年任务完成', businessImpact: '业务效能提升' })), 200, 'self-assess');
    return c;
  }
  async function withMemberItem(h: Home): Promise<Ctx> {
    const c = await inProgress(h);
    const view = await must(
      await as(h.lead, post(`/projects/${c.id}/member-items`, { memberId: 'u-member-b1', kind: 'pledge', title: '每月为群众办实事', target: 12, unit: '件' })),
      200,
      'member item',
    );
    return { ...c, itemId: view.memberItems[0].id };
  }
  async function withEvidence(h: Home): Promise<Ctx> {
    const c = await inProgress(h);
    const view = await must(
      await as(h.lead, post(`/projects/${c.id}/evidence`, { quarter: 1, text: '第一季度工作进展', files: [], indicatorActuals: [{ indicatorId: 'i-visits', actual: 5 }] })),
      200,
      'evidence',
    );
    return { ...c, evidenceId: view.evidence[0].id };
  }
  const problemFor = (h: Home) => ({
    problem: '走访企业数量未达计划',
    responsibleOrgId: h.org,
    responsiblePersonId: h.lead,
    measures: '增加走访批次，每周通报进度',
    deadline: new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString(),
  });
  async function withOpenEntry(h: Home): Promise<Ctx> {
    const c = await inProgress(h);
    const view = await must(
      await as('u-inspector', post(`/projects/${c.id}/inspections/1`, { rating: 'lagging', findings: ['进度滞后'], problems: [problemFor(h)] })),
      200,
      'inspection',
    );
    return { ...c, entryId: view.ledger[0].id };
  }
  async function withReportedEntry(h: Home): Promise<Ctx> {
    const c = await withOpenEntry(h);
    await must(await as(h.lead, post(`/projects/${c.id}/rectifications/${c.entryId}/report`, { text: '已制定走访计划并落实' })), 200, 'report rectification');
    return c;
  }

  // ---- The routes -------------------------------------------------------------------------------

  const BOTH: ('oc1' | 'b1')[] = ['oc1', 'b1'];
  const lead = (h: Home) => [h.lead];
  const reviewer = (h: Home) => [h.reviewer];
  const only = (userId: string) => () => [userId];

  const CASES: RouteCase[] = [
    { route: 'GET /projects/:id', homes: BOTH, prepare: draft, request: (c) => ({ method: 'GET', url: `/projects/${c.id}` }), allowed: (h) => h.readers, okStatus: 200, stageAfter: 'draft' },
    { route: 'POST /projects/:id/draft', homes: BOTH, prepare: draft, request: (c) => post(`/projects/${c.id}/draft`, { businessGoal: '以第三方测评衡量政务服务满意度' }), allowed: lead, stageAfter: 'draft' },
    { route: 'POST /projects/:id/submit', homes: BOTH, prepare: draft, request: (c) => post(`/projects/${c.id}/submit`), allowed: lead, stageAfter: 'in_review' },
    { route: 'POST /projects/:id/withdraw', homes: BOTH, prepare: inReview, request: (c) => post(`/projects/${c.id}/withdraw`, { reason: '补充材料后再报' }), allowed: lead, stageAfter: 'draft' },
    { route: 'POST /projects/:id/review (approve)', homes: BOTH, prepare: inReview, request: (c) => post(`/projects/${c.id}/review`, { decision: 'approve', comment: '同意立项' }), allowed: reviewer, stageAfter: 'approved' },
    { route: 'POST /projects/:id/review (return)', homes: BOTH, prepare: inReview, request: (c) => post(`/projects/${c.id}/review`, { decision: 'return', comment: '请细化指标' }), allowed: reviewer, stageAfter: 'draft' },
    { route: 'POST /projects/:id/review (reject)', homes: BOTH, prepare: inReview, request: (c) => post(`/projects/${c.id}/review`, { decision: 'reject', comment: '与业务结合不紧密' }), allowed: reviewer, stageAfter: 'rejected' },
    {
      route: 'POST /projects/:id/review/transfer',
      homes: BOTH,
      prepare: inReview,
      request: (c) => post(`/projects/${c.id}/review/transfer`, { toUserId: 'u-sec-u1', toOrgId: 'org-u1', reason: '转单位党组审核' }),
      allowed: reviewer,
      stageAfter: 'in_review',
    },
    {
      route: 'POST /projects/:id/review/delegate',
      homes: BOTH,
      prepare: inReview,
      request: (c) => post(`/projects/${c.id}/review/delegate`, { toUserId: DELEGATE.userId, toOrgId: DELEGATE.orgId, note: '请提出意见' }),
      allowed: reviewer,
      stageAfter: 'in_review',
    },
    {
      route: 'POST /projects/:id/review/opinion',
      homes: BOTH,
      prepare: withDelegation,
      request: (c) => post(`/projects/${c.id}/review/opinion`, { recommendation: 'approve', opinion: '建议通过' }),
      allowed: only(DELEGATE.userId),
      stageAfter: 'in_review',
    },
    {
      route: 'POST /projects/:id/review/remind',
      homes: BOTH,
      prepare: inReview,
      request: (c) => post(`/projects/${c.id}/review/remind`, { note: '请尽快审核' }),
      // The proposer or the committee (whoever the reviewer is).
      allowed: (h) => [h.lead, 'u-committee'],
      stageAfter: 'in_review',
    },
    { route: 'POST /projects/:id/letter', homes: BOTH, prepare: approved, request: (c) => post(`/projects/${c.id}/letter`, { text: '本人承诺履行第一责任人职责' }), allowed: lead, stageAfter: 'in_progress' },
    {
      // A branch has no lower-level org to split into, so only the organ committee's project decomposes.
      route: 'POST /projects/:id/decompose',
      homes: ['oc1'],
      prepare: inProgress,
      request: (c) => post(`/projects/${c.id}/decompose`, { children: [{ orgId: 'org-b2', secretaryId: 'u-sec-b2', title: '办公室支部攻坚子项目' }] }),
      allowed: lead,
      stageAfter: 'in_progress',
    },
    {
      route: 'POST /projects/:id/member-items',
      homes: BOTH,
      prepare: inProgress,
      request: (c) => post(`/projects/${c.id}/member-items`, { memberId: 'u-member-b1', kind: 'vanguard_post', title: '党员先锋岗', target: 4, unit: '次' }),
      allowed: lead,
      stageAfter: 'in_progress',
    },
    {
      route: 'POST /projects/:id/member-items/:itemId/actual',
      homes: BOTH,
      prepare: withMemberItem,
      request: (c) => post(`/projects/${c.id}/member-items/${c.itemId}/actual`, { actual: 3 }),
      allowed: only('u-member-b1'),
      stageAfter: 'in_progress',
    },
    {
      route: 'POST /projects/:id/evidence',
      homes: BOTH,
      prepare: inProgress,
      request: (c) => post(`/projects/${c.id}/evidence`, { quarter: 1, text: '第一季度走访记录', files: [], indicatorActuals: [{ indicatorId: 'i-visits', actual: 4 }] }),
      allowed: lead,
      stageAfter: 'in_progress',
    },
    {
      route: 'POST /projects/:id/evidence/:evidenceId/correction',
      homes: BOTH,
      prepare: withEvidence,
      request: (c) => post(`/projects/${c.id}/evidence/${c.evidenceId}/correction`, { text: '更正走访数量', files: [], indicatorActuals: [{ indicatorId: 'i-visits', actual: 6 }], reason: '统计口径有误' }),
      allowed: lead,
      stageAfter: 'in_progress',
    },
    {
      route: 'POST /projects/:id/inspections/:quarter',
      homes: BOTH,
      prepare: inProgress,
      request: (c, h) => post(`/projects/${c.id}/inspections/1`, { rating: 'lagging', findings: ['走访进度滞后'], problems: [problemFor(h)] }),
      allowed: only('u-inspector'),
      stageAfter: 'in_progress',
    },
    {
      route: 'POST /projects/:id/rectifications/:entryId/report',
      homes: BOTH,
      prepare: withOpenEntry,
      request: (c) => post(`/projects/${c.id}/rectifications/${c.entryId}/report`, { text: '补充走访记录12份' }),
      // The secretary of the responsible org (the project's own org here).
      allowed: lead,
      stageAfter: 'in_progress',
    },
    {
      route: 'POST /projects/:id/rectifications/:entryId/verify',
      homes: BOTH,
      prepare: withReportedEntry,
      request: (c) => post(`/projects/${c.id}/rectifications/${c.entryId}/verify`),
      allowed: only('u-inspector'),
      stageAfter: 'in_progress',
    },
    {
      route: 'POST /projects/:id/rectifications/:entryId/send-back',
      homes: BOTH,
      prepare: withReportedEntry,
      request: (c) => post(`/projects/${c.id}/rectifications/${c.entryId}/send-back`, { reason: '未见走访记录佐证' }),
      allowed: only('u-inspector'),
      stageAfter: 'in_progress',
    },
    {
      route: 'POST /projects/:id/dispatch',
      homes: BOTH,
      prepare: inProgress,
      request: (c) => post(`/projects/${c.id}/dispatch`, { decision: 'continue', reason: '按计划推进', changes: [] }),
      allowed: only('u-committee'),
      stageAfter: 'in_progress',
    },
    {
      route: 'POST /projects/:id/self-assessment',
      homes: BOTH,
      prepare: inProgress,
      request: (c) => post(`/projects/${c.id}/self-assessment`, { scores: SCORES, narrative: '全年走访18家，满意度提升', businessImpact: '企业诉求办结率提高' }),
      allowed: lead,
      stageAfter: 'self_assessed',
    },
    {
      route: 'POST /projects/:id/acceptance',
      homes: BOTH,
      prepare: selfAssessed,
      request: (c) => post(`/projects/${c.id}/acceptance`, { criterionScores: SCORES, negativeList: [] }),
      allowed: only('u-committee'),
      stageAfter: 'accepted',
    },
  ];

  /** Runs one route on a fresh project of one home; returns the cells that went wrong. */
  async function runCase(rc: RouteCase, h: Home): Promise<string[]> {
    const name = `${rc.route} on ${h.label}`;
    tally.routes.add(name);
    const failures: string[] = [];
    const ctx = await rc.prepare(h);
    const req = rc.request(ctx, h);
    let before = await settled(ctx.id);
    const allowed = rc.allowed(h);

    for (const caller of CALLERS) {
      if (caller.userId && allowed.includes(caller.userId)) continue;
      const response = await send(authorization(caller), req);
      const refused = isRefusal(caller, response.statusCode);
      count(response.statusCode, true);
      if (!refused) failures.push(`${name} · ${caller.key}: expected a refusal (${caller.userId ? '401/403/404' : '401'}), got ${response.statusCode} ${response.body.slice(0, 200)}`);
      const after = await readBack(ctx.id);
      const events = await eventCount(ctx.id);
      const changed = !isDeepStrictEqual(after, before.view);
      if (changed) {
        failures.push(`${name} · ${caller.key}: the project changed although the request was answered ${response.statusCode} (version ${before.view.version} → ${after.version}, stage ${before.view.stage} → ${after.stage})`);
      }
      if (events !== before.events) failures.push(`${name} · ${caller.key}: project_events grew from ${before.events} to ${events} rows after a ${response.statusCode}`);
      // Report each offending cell once: later cells compare with the state this one left.
      if (changed || events !== before.events) before = await settled(ctx.id);
    }

    for (const userId of allowed) {
      const response = await as(userId, req);
      count(response.statusCode, false);
      const ok = rc.okStatus ?? 200;
      if (response.statusCode !== ok) {
        failures.push(`${name} · ${userId} (allowed): expected ${ok}, got ${response.statusCode} ${response.body.slice(0, 200)}`);
      } else if (rc.stageAfter && response.json().stage !== rc.stageAfter) {
        failures.push(`${name} · ${userId} (allowed): expected stage ${rc.stageAfter}, got ${response.json().stage}`);
      }
    }
    if (req.method === 'POST' && failures.length === 0) {
      // The allowed action was recorded, and the log holds exactly what the workflow applied.
      const after = await settled(ctx.id);
      if (after.view.version <= before.view.version) failures.push(`${name}: the allowed action did not advance the version (${before.view.version} → ${after.view.version})`);
    }
    return failures;
  }

  for (const rc of CASES) {
    for (const key of rc.homes) {
      it.concurrent(`${rc.route} · ${HOMES[key].label}`, async ({ expect }) => {
        expect(await runCase(rc, HOMES[key])).toEqual([]);
      });
    }
  }

  // ---- Propose: secretaries propose for their own org; nobody else proposes ------------------------

  it.concurrent('POST /projects: every secretary proposes for their own org; committee, inspector, auditor, member and no token are refused with nothing stored', async ({ expect }) => {
    tally.routes.add('POST /projects');
    const failures: string[] = [];
    const { title: _t, ...rest } = proposal(cycle.year, 'x');
    const title = `矩阵申报 ${randomUUID().slice(0, 8)}`;
    const body = { cycleId: cycle.cycleId, title, ...rest };
    const stored = async () => {
      const planned = await harness.db
        .selectFrom('cycle_projects')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('create_event', '@>', JSON.stringify({ proposal: { title } }) as never)
        .executeTakeFirstOrThrow();
      const projected = await harness.db.selectFrom('projects').select((eb) => eb.fn.countAll<string>().as('n')).where('title', '=', title).executeTakeFirstOrThrow();
      return Number(planned.n) + Number(projected.n);
    };
    const creates = async (userId: string) => {
      const row = await harness.db
        .selectFrom('project_events')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('type', '=', 'create')
        .where('actor_id', '=', userId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    };
    const secretaries = CALLERS.filter((c) => c.userId?.startsWith('u-sec-'));
    for (const caller of CALLERS.filter((c) => !secretaries.includes(c))) {
      const createsBefore = caller.userId ? await creates(caller.userId) : 0;
      const response = await send(authorization(caller), post('/projects', body));
      count(response.statusCode, true);
      if (!isRefusal(caller, response.statusCode)) failures.push(`POST /projects · ${caller.key}: expected a refusal, got ${response.statusCode} ${response.body.slice(0, 200)}`);
      if ((await stored()) !== 0) failures.push(`POST /projects · ${caller.key}: a project was stored although the request was answered ${response.statusCode}`);
      if (caller.userId && (await creates(caller.userId)) !== createsBefore) failures.push(`POST /projects · ${caller.key}: a create event was logged`);
    }
    for (const caller of secretaries) {
      const response = await send(authorization(caller), post('/projects', body));
      count(response.statusCode, false);
      if (response.statusCode !== 201) {
        failures.push(`POST /projects · ${caller.key} (allowed): expected 201, got ${response.statusCode} ${response.body.slice(0, 200)}`);
        continue;
      }
      const created = response.json();
      const user = harness.cast.users[caller.userId!];
      if (created.orgId !== user.orgId || created.leadSecretaryId !== user.id || created.stage !== 'draft') {
        failures.push(`POST /projects · ${caller.key}: the project belongs to ${created.orgId}/${created.leadSecretaryId} in ${created.stage}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await stored()).toBeGreaterThanOrEqual(secretaries.length);
  });

  // ---- Cycles: only the committee opens and launches ----------------------------------------------

  it.concurrent('POST /cycles, POST /cycles/:id/launch, GET /cycles/:id: only the committee opens and launches; refusals store and start nothing', async ({ expect }) => {
    const failures: string[] = [];
    const newCycle = { ...compressedCycle('cy-authz-opened', Date.now() + 3 * 3600 * 1000), cycleId: 'cy-authz-opened' };
    const plannedCreate: CreateEvent = {
      type: 'create',
      actor: { userId: 'u-sec-oc1', role: 'secretary', orgId: 'org-oc1' },
      at: new Date().toISOString(),
      projectId: 'P-authz-planned',
      cycleId: newCycle.cycleId,
      parentId: null,
      orgId: 'org-oc1',
      leadSecretaryId: 'u-sec-oc1',
      reviewer: newCycle.committee,
      proposal: proposal(newCycle.year, '计划项目'),
    };
    const openBody = {
      cycle: newCycle,
      orgs: [{ id: 'org-authz-new', parentId: newCycle.committee.orgId, kind: 'unit', name: '新开单位党组', secretaryId: 'u-authz-new-sec' }],
      // Whoever may open a cycle may add users; a refused caller must not plant a committee account.
      users: [
        { id: 'u-authz-new-sec', name: '新书记', role: 'secretary', orgId: 'org-authz-new' },
        { id: 'u-authz-planted', name: '冒名工委', role: 'committee', orgId: newCycle.committee.orgId },
      ],
      projects: [{ create: plannedCreate, children: [] }],
    };
    const nothingOpened = async () => {
      const cycles = await harness.db.selectFrom('cycles').select('id').where('id', '=', newCycle.cycleId).execute();
      const orgs = await harness.db.selectFrom('orgs').select('id').where('id', '=', 'org-authz-new').execute();
      const users = await harness.db.selectFrom('users').select('id').where('id', 'in', ['u-authz-new-sec', 'u-authz-planted']).execute();
      const planned = await harness.db.selectFrom('cycle_projects').select('project_id').where('cycle_id', '=', newCycle.cycleId).execute();
      return cycles.length + orgs.length + users.length + planned.length === 0;
    };
    const launcherExists = async () => {
      try {
        await harness.temporal.client.workflow.getHandle(launchWorkflowId(newCycle.cycleId)).describe();
        return true;
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return false;
        throw error;
      }
    };
    const cycleState = async () => {
      const cycleRow = await harness.db.selectFrom('cycles').select(['status', 'config']).where('id', '=', newCycle.cycleId).executeTakeFirst();
      const started = await harness.db.selectFrom('cycle_projects').select('started_at').where('cycle_id', '=', newCycle.cycleId).execute();
      return { cycleRow, started: started.map((r) => r.started_at) };
    };

    // Open.
    tally.routes.add('POST /cycles');
    for (const caller of CALLERS.filter((c) => c.userId !== 'u-committee')) {
      const response = await send(authorization(caller), post('/cycles', openBody));
      count(response.statusCode, true);
      if (!isRefusal(caller, response.statusCode)) failures.push(`POST /cycles · ${caller.key}: expected a refusal, got ${response.statusCode} ${response.body.slice(0, 200)}`);
      if (!(await nothingOpened())) failures.push(`POST /cycles · ${caller.key}: a cycle, org, user or planned project was stored after a ${response.statusCode}`);
    }
    const opened = await as('u-committee', post('/cycles', openBody));
    count(opened.statusCode, false);
    if (opened.statusCode !== 201) failures.push(`POST /cycles · committee (allowed): expected 201, got ${opened.statusCode} ${opened.body.slice(0, 200)}`);

    // Launch.
    tally.routes.add('POST /cycles/:id/launch');
    const before = await cycleState();
    for (const caller of CALLERS.filter((c) => c.userId !== 'u-committee')) {
      const response = await send(authorization(caller), post(`/cycles/${newCycle.cycleId}/launch`, { batchSize: 10 }));
      count(response.statusCode, true);
      if (!isRefusal(caller, response.statusCode)) failures.push(`POST /cycles/:id/launch · ${caller.key}: expected a refusal, got ${response.statusCode} ${response.body.slice(0, 200)}`);
      if (await launcherExists()) failures.push(`POST /cycles/:id/launch · ${caller.key}: the launcher workflow was started after a ${response.statusCode}`);
      if (!isDeepStrictEqual(await cycleState(), before)) failures.push(`POST /cycles/:id/launch · ${caller.key}: the cycle changed after a ${response.statusCode}`);
    }
    const launched = await as('u-committee', post(`/cycles/${newCycle.cycleId}/launch`, { batchSize: 10 }));
    count(launched.statusCode, false);
    if (launched.statusCode !== 202) failures.push(`POST /cycles/:id/launch · committee (allowed): expected 202, got ${launched.statusCode} ${launched.body.slice(0, 200)}`);

    // Read the dashboard: the committee, inspectors and auditors (it names secretaries city-wide).
    tally.routes.add('GET /cycles/:id');
    for (const caller of CALLERS) {
      const response = await send(authorization(caller), { method: 'GET', url: `/cycles/${cycle.cycleId}` });
      const mayRead = caller.userId === 'u-committee' || caller.userId === 'u-inspector' || caller.userId === 'u-auditor';
      count(response.statusCode, !mayRead);
      if (mayRead && response.statusCode !== 200) failures.push(`GET /cycles/:id · ${caller.key} (allowed): expected 200, got ${response.statusCode}`);
      if (!mayRead && !isRefusal(caller, response.statusCode)) failures.push(`GET /cycles/:id · ${caller.key}: expected a refusal, got ${response.statusCode}`);
    }
    expect(failures).toEqual([]);
    await waitFor('the opened cycle to launch its planned project', async () => ((await cycleState()).started.every((s) => s !== null) ? true : undefined));
  });

  // ---- Evidence files: upload by anyone who may act, download only through a project one may read --

  it.concurrent('POST /evidence-files and GET /evidence-files/:sha256: auditors upload nothing; a file is downloaded only by its uploader or readers of a project citing it', async ({ expect }) => {
    const failures: string[] = [];
    // Upload.
    tally.routes.add('POST /evidence-files');
    const content = Buffer.from(`授权矩阵上传测试 ${randomUUID()}\n`);
    const sha = createHash('sha256').update(content).digest('hex');
    const boundary = `----authz${randomBytes(8).toString('hex')}`;
    const multipart: Req = {
      method: 'POST',
      url: '/evidence-files',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="note.txt"\r\nContent-Type: text/plain\r\n\r\n`),
        content,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]),
    };
    const rows = async () => (await harness.db.selectFrom('evidence_files').select('uploaded_by').where('sha256', '=', sha).execute()).length;
    const uploaders = ['u-committee', 'u-inspector', 'u-member-b1', 'u-sec-oc1', 'u-sec-u1', 'u-sec-b1', 'u-sec-b3', 'u-sec-oc2'];
    for (const caller of CALLERS.filter((c) => !(c.userId && uploaders.includes(c.userId)))) {
      const response = await send(authorization(caller), multipart);
      count(response.statusCode, true);
      if (!isRefusal(caller, response.statusCode)) failures.push(`POST /evidence-files · ${caller.key}: expected a refusal, got ${response.statusCode} ${response.body.slice(0, 200)}`);
      if ((await rows()) !== 0) failures.push(`POST /evidence-files · ${caller.key}: a file row was stored after a ${response.statusCode}`);
    }
    for (const userId of uploaders) {
      const response = await as(userId, multipart);
      count(response.statusCode, false);
      if (response.statusCode !== 201) failures.push(`POST /evidence-files · ${userId} (allowed): expected 201, got ${response.statusCode} ${response.body.slice(0, 200)}`);
    }

    // Download, per home: the lead uploads a file and cites it in the project's evidence.
    for (const h of Object.values(HOMES)) {
      const route = `GET /evidence-files/:sha256 cited by ${h.label}`;
      tally.routes.add(route);
      const file = Buffer.from(`${h.org} 第一季度佐证 ${randomUUID()}\n`);
      const fileSha = createHash('sha256').update(file).digest('hex');
      const up = await as(h.lead, {
        ...multipart,
        payload: Buffer.concat([
          Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="q1.txt"\r\nContent-Type: text/plain\r\n\r\n`),
          file,
          Buffer.from(`\r\n--${boundary}--\r\n`),
        ]),
      });
      await must(up, 201, 'upload');
      const c = await inProgress(h);
      await must(
        await as(h.lead, post(`/projects/${c.id}/evidence`, { quarter: 1, text: '附件为走访记录', files: [{ name: 'q1.txt', sha256: fileSha, size: file.length }], indicatorActuals: [] })),
        200,
        'evidence citing the file',
      );
      await waitFor('the evidence projection', async () => {
        const row = await harness.db.selectFrom('evidence').select('id').where('project_id', '=', c.id).executeTakeFirst();
        return row ? true : undefined;
      });
      for (const caller of CALLERS) {
        const response = await send(authorization(caller), { method: 'GET', url: `/evidence-files/${fileSha}` });
        const mayRead = caller.userId !== null && h.readers.includes(caller.userId);
        count(response.statusCode, !mayRead);
        if (mayRead && (response.statusCode !== 200 || response.headers['x-content-sha256'] !== fileSha)) {
          failures.push(`${route} · ${caller.key} (allowed): expected 200 with the file, got ${response.statusCode} ${response.body.slice(0, 200)}`);
        }
        if (!mayRead && !isRefusal(caller, response.statusCode)) failures.push(`${route} · ${caller.key}: expected a refusal, got ${response.statusCode}`);
        if (!mayRead && response.body.includes(file.toString())) failures.push(`${route} · ${caller.key}: the file's content was served`);
      }
    }
    expect(failures).toEqual([]);
  });

  // ---- Object references across orgs ---------------------------------------------------------------

  it.concurrent('the lead cannot decompose into an org outside their subtree, nor name a secretary who does not lead the named org (nothing changes)', async ({ expect }) => {
    const h = HOMES.oc1;
    const c = await inProgress(h);
    const before = await settled(c.id);
    const failures: string[] = [];
    const attempts = [
      { what: "another unit's branch (org-b3)", child: { orgId: 'org-b3', secretaryId: 'u-sec-b3', title: '跨单位子项目' } },
      { what: 'the unit above (org-u1)', child: { orgId: 'org-u1', secretaryId: 'u-sec-u1', title: '向上分解子项目' } },
      { what: "a branch of its own with another unit's secretary", child: { orgId: 'org-b2', secretaryId: 'u-sec-b3', title: '书记不符子项目' } },
    ];
    for (const attempt of attempts) {
      tally.routes.add(`POST /projects/:id/decompose into ${attempt.what}`);
      const response = await as(h.lead, post(`/projects/${c.id}/decompose`, { children: [attempt.child] }));
      count(response.statusCode, true);
      if (response.statusCode < 400 || response.statusCode >= 500) {
        failures.push(`POST /projects/:id/decompose into ${attempt.what} · sec-oc1: expected a 4xx refusal, got ${response.statusCode}`);
      }
    }
    const after = await readBack(c.id);
    if (!isDeepStrictEqual(after, before.view)) failures.push(`decompose outside the subtree changed the project: version ${before.view.version} → ${after.version}, children ${JSON.stringify(after.children.map((x: { orgId: string; secretaryId: string }) => `${x.orgId}/${x.secretaryId}`))}`);
    expect(failures).toEqual([]);
    expect(await eventCount(c.id)).toBe(before.events);
  });

  it.concurrent("a secretary cannot cite another org's evidence file in their own project and so obtain it (nothing changes, the file stays hidden)", async ({ expect }) => {
    const failures: string[] = [];
    const owner = HOMES.oc1;
    const file = Buffer.from(`org-oc1 内部佐证 ${randomUUID()}\n`);
    const fileSha = createHash('sha256').update(file).digest('hex');
    const boundary = `----authz${randomBytes(8).toString('hex')}`;
    await must(
      await as(owner.lead, {
        method: 'POST',
        url: '/evidence-files',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: Buffer.concat([
          Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="inner.txt"\r\nContent-Type: text/plain\r\n\r\n`),
          file,
          Buffer.from(`\r\n--${boundary}--\r\n`),
        ]),
      }),
      201,
      'upload',
    );
    const cited = await inProgress(owner);
    await must(
      await as(owner.lead, post(`/projects/${cited.id}/evidence`, { quarter: 1, text: '内部材料', files: [{ name: 'inner.txt', sha256: fileSha, size: file.length }], indicatorActuals: [] })),
      200,
      'evidence citing the file',
    );
    // The other unit's secretary has not been able to download it so far.
    const first = await as(OTHER_UNIT.lead, { method: 'GET', url: `/evidence-files/${fileSha}` });
    count(first.statusCode, true);
    if (first.statusCode !== 404) failures.push(`GET /evidence-files/:sha256 · sec-b3 before citing: expected 404, got ${first.statusCode}`);

    const own = await inProgress(OTHER_UNIT);
    const before = await settled(own.id);
    tally.routes.add("POST /projects/:id/evidence citing another org's file");
    const citing = await as(OTHER_UNIT.lead, post(`/projects/${own.id}/evidence`, { quarter: 1, text: '引用他人材料', files: [{ name: 'x.txt', sha256: fileSha, size: file.length }], indicatorActuals: [] }));
    count(citing.statusCode, true);
    if (citing.statusCode < 400 || citing.statusCode >= 500) failures.push(`POST /projects/:id/evidence citing org-oc1's file · sec-b3 on own project: expected a 4xx refusal, got ${citing.statusCode}`);
    const after = await readBack(own.id);
    if (!isDeepStrictEqual(after, before.view)) failures.push(`citing another org's file changed sec-b3's project: version ${before.view.version} → ${after.version}`);
    await new Promise((r) => setTimeout(r, 500)); // let a wrongly accepted citation reach the projection
    const download = await as(OTHER_UNIT.lead, { method: 'GET', url: `/evidence-files/${fileSha}` });
    count(download.statusCode, true);
    if (download.statusCode !== 404) failures.push(`GET /evidence-files/:sha256 of org-oc1's file · sec-b3 after citing it: expected 404, got ${download.statusCode}${download.body === file.toString() ? ' with the file’s content' : ''}`);
    expect(failures).toEqual([]);
  });

  // ---- Credentials ----------------------------------------------------------------------------------

  it.concurrent('expired, tampered, revoked, hash-as-token, alg:none and malformed credentials get 401 on every route, with nothing changed', async ({ expect }) => {
    const failures: string[] = [];
    const h = HOMES.oc1;
    const c = await draft(h);
    const before = await settled(c.id);
    const launchTarget = cycle.cycleId;

    const fresh = () => TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const insertToken = async (userId: string, expiresAt: Date, revokedAt: Date | null = null) => {
      const token = fresh();
      await harness.db
        .insertInto('api_tokens')
        .values({ token_hash: hashToken(token), user_id: userId, label: 'authz-matrix', expires_at: expiresAt, ...(revokedAt ? { revoked_at: revokedAt } : {}) })
        .execute();
      return token;
    };
    const expiredLead = await insertToken(h.lead, new Date(Date.now() - 60_000));
    const expiredCommittee = await insertToken('u-committee', new Date(Date.now() - 1000));
    const revokedLead = await issueToken(harness.db, h.lead, 'authz-revoked');
    await harness.db.updateTable('api_tokens').set({ revoked_at: new Date() }).where('token_hash', '=', hashToken(revokedLead)).execute();
    const revokedCommittee = await insertToken('u-committee', new Date(Date.now() + 3600_000), new Date());
    const valid = harness.cast.tokens[h.lead];
    const flip = (token: string, at: number) => token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = { sub: h.lead, role: 'committee', orgId: 'org-committee', iss: 'party-projects', exp: Math.floor(Date.now() / 1000) + 3600 };
    const algNone = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;

    const credentials: { what: string; header: string | undefined }[] = [
      { what: 'expired token of the lead', header: `Bearer ${expiredLead}` },
      { what: 'expired token of the committee', header: `Bearer ${expiredCommittee}` },
      { what: 'revoked token of the lead', header: `Bearer ${revokedLead}` },
      { what: 'revoked, unexpired token of the committee', header: `Bearer ${revokedCommittee}` },
      { what: 'lead token with one character changed', header: `Bearer ${flip(valid, 20)}` },
      { what: 'lead token with its last character changed', header: `Bearer ${flip(valid, valid.length - 1)}` },
      { what: 'lead token truncated', header: `Bearer ${valid.slice(0, -1)}` },
      { what: 'lead token with a character appended', header: `Bearer ${valid}A` },
      { what: 'the stored hash of the lead token', header: `Bearer ${hashToken(valid)}` },
      { what: 'alg:none JWT claiming committee', header: `Bearer ${algNone}` },
      { what: 'alg:none JWT without the trailing dot', header: `Bearer ${algNone.slice(0, -1)}` },
      { what: 'alg:none JWT with a ppe_ prefix', header: `Bearer ${TOKEN_PREFIX}${algNone}` },
      { what: 'HS256 JWT with an empty-key signature', header: `Bearer ${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}.${createHash('sha256').update('').digest('base64url')}` },
      { what: 'Basic credentials', header: `Basic ${Buffer.from(`${h.lead}:password`).toString('base64')}` },
      { what: 'a valid token under another scheme', header: `Token ${valid}` },
      { what: 'a valid token with a second value', header: `Bearer ${valid} ${valid}` },
      { what: 'an empty bearer', header: 'Bearer ' },
      { what: 'no header at all', header: undefined },
    ];
    const title = `凭证测试申报 ${randomUUID().slice(0, 8)}`;
    const { title: _t, ...rest } = proposal(cycle.year, 'x');
    const routes: Req[] = [
      { method: 'GET', url: `/projects/${c.id}` },
      { method: 'GET', url: `/projects?cycle=${cycle.cycleId}` },
      post(`/projects/${c.id}/submit`),
      post(`/projects/${c.id}/draft`, { businessGoal: '凭证无效时不得修改' }),
      post('/projects', { cycleId: cycle.cycleId, title, ...rest }),
      post(`/cycles/${launchTarget}/launch`, {}),
    ];
    for (const cred of credentials) {
      for (const req of routes) {
        tally.routes.add(`credentials × ${req.method} ${req.url.split('?')[0].replace(c.id, ':id').replace(launchTarget, ':id')}`);
        const response = await send(cred.header, req);
        count(response.statusCode, true);
        if (response.statusCode !== 401) failures.push(`${req.method} ${req.url} · ${cred.what}: expected 401, got ${response.statusCode} ${response.body.slice(0, 160)}`);
        else if (!String(response.headers['www-authenticate'] ?? '').startsWith('Bearer')) failures.push(`${req.method} ${req.url} · ${cred.what}: 401 without a Bearer challenge`);
      }
    }
    const after = await readBack(c.id);
    if (!isDeepStrictEqual(after, before.view)) failures.push(`the project changed under bad credentials: version ${before.view.version} → ${after.version}`);
    if ((await eventCount(c.id)) !== before.events) failures.push('project_events grew under bad credentials');
    const proposed = await harness.db.selectFrom('cycle_projects').select('project_id').where('create_event', '@>', JSON.stringify({ proposal: { title } }) as never).execute();
    if (proposed.length > 0) failures.push('a project was proposed under bad credentials');
    try {
      await harness.temporal.client.workflow.getHandle(launchWorkflowId(launchTarget)).describe();
      failures.push('the cycle was launched under bad credentials');
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
    expect(failures).toEqual([]);
    // The lead's real token still works: the refusals were about the credentials, not the route.
    expect((await as(h.lead, post(`/projects/${c.id}/submit`))).statusCode).toBe(200);
  });
});
