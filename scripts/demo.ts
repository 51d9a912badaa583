/**
 * The demo city `npm start` creates on the embedded default: a small generated city (three units,
 * 23 top-level projects, "1+N" sub-projects) whose cycle calendar is placed around today — it is
 * always mid-year when you look: Q1 and Q2 are past, Q3 is under way, Q4 is ahead — and driven
 * through a year's lifecycle by the same paths people use (the cycles and projects services, the
 * workflow Updates behind them, files through the content store and the evidence-file record the
 * upload route writes; nothing is written to a projection table directly).
 *
 * Seeded and deterministic: every value comes from a seeded PRNG per project; every action runs in
 * an action scope keyed by project and step (like an Idempotency-Key), so its ids and its Temporal
 * Update id are fixed; and every step is skipped when the project's state already shows it, so a
 * second `npm start` finds the demo and adds nothing.
 *
 * Time: the workflows stamp every event with their own clock, so whatever the demo does happens
 * "today" — evidence for Q1 and Q2 reads as submitted late, and the auditor's timeline is one
 * busy day. Acceptance has no calendar guard in the lifecycle (only the self-assessed stage and
 * settled sub-projects), so a few projects are accepted early (提前验收) in this same cycle, which
 * fills the compilation and the best-of lists without a second, past cycle.
 */
import type { Client } from '@temporalio/client';
import type { Db } from '../db';
import { issueToken, type AuthenticatedUser } from '../db/auth';
import { createFileContentStore, type ContentStore } from '../db/content-store';
import { getCycleConfig, launchProgress } from '../db/cycles';
import { hashPassword } from '../db/identity';
import { cycleProjectStates, findProjectLocation, storedProjectState } from '../db/projects';
import { inspectorAssignments, smallCity, splitWeights, type GeneratedCity, type GeneratedUser } from '../db/seed/city';
import { Rng } from '../db/seed/random';
import { sniffFileType } from '../api/file-types';
import { loadConfig } from '../config';
import { createCyclesService } from '../services/cycles';
import { createProjectsService, inActionScope, type DispatchChangeInput, type ProjectsService } from '../services/projects';
import type { CriterionScore, CycleConfig, EvidenceFile, IndicatorActual, LedgerEntry, ProjectState, Quarter, Rating, Role } from '../workflows/lifecycle';
import { getProjectQuery } from '../workflows/messages';

/** The demo cycle's id (kept stable so a later start finds it; its year is the year it was opened in). */
export const DEMO_CYCLE_ID = 'demo-2026';
const DEMO_SEED = 1;

export interface DemoLogin {
  role: Role;
  userId: string;
  name: string;
  orgId: string;
  token: string;
  /** Sign-in name and password (POST /auth/sign-in); the demo's passwords are public by design. */
  username: string;
  password: string;
  /** What this user is good for trying, in a line of the welcome. */
  hint: string;
}

export interface DemoOptions {
  /** The evidence store the API uses (default: the configured EVIDENCE_DIR, as buildApp does). */
  store?: ContentStore;
  /** Progress lines while the demo runs (default: none). */
  progress?: (message: string) => void;
}

export interface DemoSummary {
  /** Actions sent this run (0 on a start that found the demo complete). */
  actions: number;
  /** Steps found already done. */
  skipped: number;
  durationMs: number;
}

/** The demo users' password: known to everyone who reads the README, so never used outside the embedded demo. */
export const DEMO_PASSWORD = 'Demo-2026-pass';

const DAY_MS = 24 * 3600 * 1000;
const BEIJING_MS = 8 * 3600 * 1000;

/** The project whose ledger shows every status; the auditor's richest timeline. */
export const DEMO_LEDGER_PROJECT = 'P-0003';

/** Gives a demo user a username and the demo password (once: an existing password is kept, and no change is forced). */
async function ensureDemoCredentials(db: Db, userId: string): Promise<string> {
  const row = await db.selectFrom('users').select(['username', 'password_hash']).where('id', '=', userId).executeTakeFirst();
  const username = row?.username ?? userId;
  if (row && !row.password_hash) {
    await db.updateTable('users').set({ username, password_hash: await hashPassword(DEMO_PASSWORD), must_change_password: false }).where('id', '=', userId).execute();
  }
  return username;
}

// ---------------------------------------------------------------------------------------------
// The living calendar
// ---------------------------------------------------------------------------------------------

/** `YYYY-MM-DD` of the Beijing calendar day `offsetDays` from `nowMs`. */
function beijingDay(nowMs: number, offsetDays = 0): string {
  return new Date(nowMs + offsetDays * DAY_MS + BEIJING_MS).toISOString().slice(0, 10);
}

/**
 * The demo cycle's calendar placed around `nowMs` so that it is mid-year: proposal, review and
 * letter deadlines and the Q1/Q2 evidence deadlines are past, today is inside Q3, Q4, the
 * self-assessment and the acceptance window are ahead. The year is today's (milestones must fall
 * in it). Overdue ledger entries go up to the committee as soon as they are overdue
 * (`escalateAfterMs: 0`), so the demo shows an escalation without waiting a week.
 */
export function livingCycle(base: CycleConfig, nowMs: number): CycleConfig {
  const d = (offset: number) => beijingDay(nowMs, offset);
  return {
    ...base,
    year: Number(beijingDay(nowMs).slice(0, 4)),
    calendar: {
      proposalDeadline: d(-190),
      reviewDeadline: d(-170),
      letterDeadline: d(-155),
      quarters: [
        { quarter: 1, evidenceDeadline: d(-125), inspectionWindowEnd: d(-105) },
        { quarter: 2, evidenceDeadline: d(-35), inspectionWindowEnd: d(-15) },
        { quarter: 3, evidenceDeadline: d(55), inspectionWindowEnd: d(76) },
        { quarter: 4, evidenceDeadline: d(105), inspectionWindowEnd: d(112) },
      ],
      dispatchWindow: { start: d(-30), end: d(-14) },
      selfAssessmentDeadline: d(109),
      acceptanceWindow: { start: d(114), end: d(135) },
      monthlyReminderDay: 5,
    },
    ledger: { warnBeforeMs: 3 * DAY_MS, escalateAfterMs: 0 },
  };
}

/** The demo city for a cycle opened at `nowMs` (the same orgs, users and planned projects whenever it is built). */
export function demoCity(nowMs: number): GeneratedCity {
  const year = Number(beijingDay(nowMs).slice(0, 4));
  const city = smallCity(DEMO_SEED, { year, cycleId: DEMO_CYCLE_ID });
  return { ...city, cycle: livingCycle(city.cycle, nowMs) };
}

// ---------------------------------------------------------------------------------------------
// Driving the year
// ---------------------------------------------------------------------------------------------

interface Ctx {
  db: Db;
  temporal: Client;
  projects: ProjectsService;
  cycle: CycleConfig;
  city: GeneratedCity;
  users: Map<string, GeneratedUser>;
  reader: AuthenticatedUser;
  progress: (message: string) => void;
  actions: number;
  skipped: number;
}

function person(ctx: Ctx, userId: string): AuthenticatedUser {
  const u = ctx.users.get(userId);
  if (!u) throw new Error(`demo: unknown user ${userId}`);
  return { id: u.id, name: u.name, role: u.role, orgId: u.orgId };
}

/** The project as its workflow holds it now (a query; on a closed workflow a replay). */
async function current(ctx: Ctx, projectId: string): Promise<ProjectState> {
  return (await ctx.projects.read(ctx.reader, projectId)).view.state;
}

/**
 * The project as far as the projection knows it, else as the workflow holds it. The projection
 * may lag behind, never run ahead: what it shows done is done, and reading it costs no replay of
 * closed workflows, which keeps a second start quick.
 */
async function known(ctx: Ctx, projectId: string): Promise<ProjectState> {
  return (await storedProjectState(ctx.db, projectId)) ?? current(ctx, projectId);
}

/**
 * One step of a project's year: skipped when the state already shows it; otherwise run in an
 * action scope keyed by project and step, so the ids it creates and its Update id are the same on
 * every run (a retry after a crash is answered with the first outcome).
 */
async function step(ctx: Ctx, projectId: string, key: string, who: AuthenticatedUser, done: (s: ProjectState) => boolean, run: () => Promise<unknown>): Promise<ProjectState> {
  const stored = await storedProjectState(ctx.db, projectId);
  if (stored && done(stored)) {
    ctx.skipped += 1;
    return stored;
  }
  const before = await current(ctx, projectId);
  if (done(before)) {
    ctx.skipped += 1;
    return before;
  }
  await inActionScope(who.id, `demo:${projectId}:${key}`, 'demo', run);
  ctx.actions += 1;
  return current(ctx, projectId);
}

function reviewerOf(ctx: Ctx, s: ProjectState): AuthenticatedUser {
  return person(ctx, s.reviewerId);
}

function inspectorFor(ctx: Ctx, orgId: string): AuthenticatedUser {
  const assignments = inspectorAssignments(ctx.city);
  let org: string | null = orgId;
  while (org) {
    const hit = assignments.find((a) => a.orgId === org);
    if (hit) return person(ctx, hit.inspectorId);
    org = ctx.city.orgs.find((o) => o.id === org)?.parentId ?? null;
  }
  throw new Error(`demo: no inspector covers ${orgId}`);
}

/** Each step draws from its own stream, so a run resumed half-way writes what a whole run would have. */
const stepRng = (projectId: string, key: string) => new Rng(DEMO_SEED, `${projectId}:${key}`);

const committeeUser = (ctx: Ctx) => person(ctx, ctx.cycle.committee.userId);
const round2 = (x: number) => Math.round(x * 100) / 100;
const halfPoints = (x: number) => Math.round(x * 2) / 2;

/** Indicator actuals a share of the way from baseline to target, with the indicators' own precision. */
function actualsAt(s: ProjectState, rng: Rng, share: [number, number]): IndicatorActual[] {
  return s.proposal.indicators.map((ind) => {
    const f = share[0] + rng.next() * (share[1] - share[0]);
    const raw = ind.baseline + (ind.target - ind.baseline) * f;
    const integral = Number.isInteger(ind.baseline) && Number.isInteger(ind.target);
    return { indicatorId: ind.id, actual: integral ? Math.round(raw) : round2(raw) };
  });
}

const QUARTER_NAMES: Record<Quarter, string> = { 1: '第一季度', 2: '第二季度', 3: '第三季度', 4: '第四季度' };

const EVIDENCE_TEXTS = [
  '召开专题推进会，明确责任分工和时间节点，形成会议纪要；',
  '组织党员开展主题党日活动，围绕项目目标开展调研走访；',
  '建立工作台账，按月跟踪指标完成情况并在支部会上通报；',
  '联合业务处室开展专项服务，收集群众意见建议并逐条回应；',
] as const;

/** A quarter's evidence (佐证材料) with a file: uploaded as the secretary's own file, then cited. */
async function evidence(ctx: Ctx, projectId: string, quarter: Quarter, share: [number, number]): Promise<ProjectState> {
  const s0 = await known(ctx, projectId);
  const rng = stepRng(projectId, `evidence-Q${quarter}`);
  const lead = person(ctx, s0.leadSecretaryId);
  return step(ctx, projectId, `evidence-Q${quarter}`, lead, (s) => s.evidence.some((e) => e.quarter === quarter), async () => {
    const text = `${QUARTER_NAMES[quarter]}工作情况：${rng.pick(EVIDENCE_TEXTS)}${rng.pick(EVIDENCE_TEXTS)}各项指标按计划推进。`;
    const fileText = `${s0.proposal.title}\n${QUARTER_NAMES[quarter]}佐证材料（会议纪要）\n\n${text}\n\n附：参会人员签到表、活动照片说明。\n`;
    const file = await upload(ctx, lead, `${projectId}-${QUARTER_NAMES[quarter]}会议纪要.txt`, fileText);
    await ctx.projects.submitEvidence(lead, projectId, { quarter, milestoneId: null, text, files: [file], indicatorActuals: actualsAt(s0, rng, share) });
  });
}

/** Stores a file as the user's upload, exactly as POST /evidence-files does (content store + file record). */
async function upload(ctx: Ctx, user: AuthenticatedUser, name: string, content: string): Promise<EvidenceFile> {
  const bytes = Buffer.from(content, 'utf8');
  const type = sniffFileType(bytes);
  if (!type) throw new Error('demo: the evidence file is not a known type');
  const stored = await ctx.projects.storeUpload(user, bytes, type);
  return { name, sha256: stored.sha256, size: stored.size };
}

interface ProblemSpec {
  problem: string;
  measures: string;
  /** A Beijing date, or an exact instant taken when the inspection is sent (an entry that falls due while the demo runs). */
  deadline: string | (() => string);
  responsibleOrgId?: string;
}

async function inspect(ctx: Ctx, projectId: string, quarter: Quarter, rating: Rating, findings: string[], problems: ProblemSpec[] = []): Promise<ProjectState> {
  const s0 = await known(ctx, projectId);
  const inspector = inspectorFor(ctx, s0.orgId);
  return step(ctx, projectId, `inspection-Q${quarter}`, inspector, (s) => s.inspections.some((i) => i.quarter === quarter && i.rating !== null), () =>
    ctx.projects.recordInspection(inspector, projectId, {
      quarter,
      rating,
      findings,
      problems: problems.map((p) => {
        const orgId = p.responsibleOrgId ?? s0.orgId;
        const secretary = ctx.city.orgs.find((o) => o.id === orgId)?.secretaryId ?? s0.leadSecretaryId;
        const deadline = typeof p.deadline === 'function' ? p.deadline() : p.deadline;
        return { problem: p.problem, measures: p.measures, deadline, responsibleOrgId: orgId, responsiblePersonId: secretary };
      }),
    }),
  );
}

/** Submit → approve (→ sign): the usual way into the year, each step once. */
async function approveAndSign(ctx: Ctx, projectId: string, sign = true): Promise<ProjectState> {
  let s = await known(ctx, projectId);
  const lead = person(ctx, s.leadSecretaryId);
  s = await step(ctx, projectId, 'submit-1', lead, (x) => x.review.round >= 1, () => ctx.projects.act(lead, projectId, 'submit', {}));
  s = await step(ctx, projectId, 'approve', reviewerOf(ctx, s), (x) => x.review.history.some((h) => h.action === 'approved'), () =>
    ctx.projects.act(reviewerOf(ctx, s), projectId, 'approve', { comment: '项目目标明确、指标可量化，同意立项。' }),
  );
  if (!sign) return s;
  return step(ctx, projectId, 'letter', lead, (x) => x.letter !== null, () =>
    ctx.projects.act(lead, projectId, 'signLetter', { text: `本人作为项目领办书记，承诺按立项内容和年度节点推进《${s.proposal.title}》，按季度报送佐证材料，落实督查整改要求。` }),
  );
}

/** Q1 and Q2 evidence and inspections: the half year already behind. */
async function firstHalf(ctx: Ctx, projectId: string, q2: { rating: Rating; problems?: ProblemSpec[]; findings?: string[] } = { rating: 'on_track' }): Promise<ProjectState> {
  await evidence(ctx, projectId, 1, [0.15, 0.3]);
  await evidence(ctx, projectId, 2, q2.rating === 'on_track' ? [0.45, 0.6] : [0.25, 0.4]);
  await inspect(ctx, projectId, 1, 'on_track', ['一季度工作按计划启动，责任分工明确。']);
  return inspect(ctx, projectId, 2, q2.rating, q2.findings ?? (q2.rating === 'on_track' ? ['二季度指标按期推进，佐证材料齐全。'] : ['部分指标进度滞后于计划。']), q2.problems ?? []);
}

function scores(ctx: Ctx, rng: Rng, level: [number, number]): CriterionScore[] {
  return ctx.cycle.rules.rubric.map((c) => ({ criterionId: c.criterionId, score: Math.min(c.weight, halfPoints(c.weight * (level[0] + rng.next() * (level[1] - level[0])))) }));
}

async function selfAssess(ctx: Ctx, projectId: string, level: [number, number]): Promise<ProjectState> {
  const rng = stepRng(projectId, 'self-assessment');
  const s0 = await known(ctx, projectId);
  const lead = person(ctx, s0.leadSecretaryId);
  return step(ctx, projectId, 'self-assessment', lead, (s) => s.selfAssessment !== null, () =>
    ctx.projects.act(lead, projectId, 'selfAssess', {
      scores: scores(ctx, rng, level),
      narrative: `围绕《${s0.proposal.title}》，全年各项指标提前完成，形成了可复制的工作机制。`,
      businessImpact: s0.proposal.businessGoal,
    }),
  );
}

async function accept(ctx: Ctx, projectId: string, level: [number, number], negativeList: string[] = []): Promise<ProjectState> {
  const rng = stepRng(projectId, 'acceptance');
  const committee = committeeUser(ctx);
  return step(ctx, projectId, 'acceptance', committee, (s) => s.acceptance !== null, () =>
    ctx.projects.act(committee, projectId, 'accept', { criterionScores: scores(ctx, rng, level), negativeList }),
  );
}

function entry(s: ProjectState, quarter: Quarter, index: number): LedgerEntry {
  const e = s.ledger.filter((l) => l.quarter === quarter)[index];
  if (!e) throw new Error(`demo: ${s.id} has no Q${quarter} ledger entry ${index}`);
  return e;
}

async function reportRectification(ctx: Ctx, projectId: string, key: string, e: LedgerEntry, times = 1): Promise<ProjectState> {
  const secretary = person(ctx, e.responsiblePersonId);
  return step(ctx, projectId, key, secretary, (s) => (s.ledger.find((l) => l.id === e.id)?.reports.length ?? 0) >= times, async () => {
    const file = await upload(ctx, secretary, `${e.id}-整改报告${times > 1 ? `（第${times}次）` : ''}.txt`, `整改报告\n问题：${e.problem}\n措施：${e.measures}\n整改情况：已按台账逐项落实，附整改前后对照说明。\n`);
    await ctx.projects.reportRectification(secretary, projectId, { entryId: e.id, text: `已按整改措施落实：${e.measures}`, files: [file] });
  });
}

async function verify(ctx: Ctx, projectId: string, e: LedgerEntry): Promise<ProjectState> {
  const s0 = await known(ctx, projectId);
  const inspector = inspectorFor(ctx, s0.orgId);
  return step(ctx, projectId, `verify-${e.id}`, inspector, (s) => s.ledger.find((l) => l.id === e.id)?.status === 'closed', () =>
    ctx.projects.act(inspector, projectId, 'verifyRectification', { entryId: e.id }),
  );
}

async function sendBack(ctx: Ctx, projectId: string, e: LedgerEntry): Promise<ProjectState> {
  const s0 = await known(ctx, projectId);
  const inspector = inspectorFor(ctx, s0.orgId);
  return step(ctx, projectId, `send-back-${e.id}`, inspector, (s) => (s.ledger.find((l) => l.id === e.id)?.sendBacks.length ?? 0) >= 1, () =>
    ctx.projects.act(inspector, projectId, 'sendBackRectification', { entryId: e.id, reason: '整改佐证不充分，请补充整改前后对照材料后重新报送。' }),
  );
}

/** Waits until a sub-project's workflow is registered (the parent starts it after its decision). */
async function waitForProject(ctx: Ctx, projectId: string): Promise<void> {
  const until = Date.now() + 30_000;
  while (!(await findProjectLocation(ctx.db, projectId))) {
    if (Date.now() > until) throw new Error(`demo: sub-project ${projectId} did not start`);
    await sleep(100);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Completes a sub-project's draft (its own indicators and milestones) and takes it as far as `until`. */
async function subProject(ctx: Ctx, parent: ProjectState, childId: string, until: 'draft' | 'in_review' | 'in_progress' | 'inspected'): Promise<void> {
  await waitForProject(ctx, childId);
  if (until === 'draft') return;
  const rng = new Rng(DEMO_SEED, childId);
  let s = await known(ctx, childId);
  const lead = person(ctx, s.leadSecretaryId);
  const [w1, w2] = splitWeights(rng, 2);
  const [i1, i2] = parent.proposal.indicators;
  s = await step(ctx, childId, 'draft', lead, (x) => x.proposal.indicators.length > 0, () =>
    ctx.projects.act(lead, childId, 'editDraft', {
      changes: {
        indicators: [
          { id: 'ind-1', name: i1.name, unit: i1.unit, baseline: i1.baseline, target: i1.baseline + (i1.target - i1.baseline) / 2, weight: w1 },
          { id: 'ind-2', name: i2.name, unit: i2.unit, baseline: i2.baseline, target: i2.baseline + (i2.target - i2.baseline) / 2, weight: w2 },
        ],
        milestones: [
          { id: 'ms-1', title: '制定子项目实施方案', due: `${ctx.cycle.year}-12-10` },
          { id: 'ms-2', title: '子项目成效总结', due: `${ctx.cycle.year}-12-25` },
        ],
      },
    }),
  );
  s = await step(ctx, childId, 'submit-1', lead, (x) => x.review.round >= 1, () => ctx.projects.act(lead, childId, 'submit', {}));
  if (until === 'in_review') return;
  await step(ctx, childId, 'approve', reviewerOf(ctx, s), (x) => x.review.history.some((h) => h.action === 'approved'), () =>
    ctx.projects.act(reviewerOf(ctx, s), childId, 'approve', { comment: '子项目与上级项目目标衔接，同意。' }),
  );
  await step(ctx, childId, 'letter', lead, (x) => x.letter !== null, () => ctx.projects.act(lead, childId, 'signLetter', { text: '本支部承接“1+N”子项目，按上级项目节点推进。' }));
  if (until === 'in_progress') return;
  await evidence(ctx, childId, 2, [0.3, 0.5]);
  await inspect(ctx, childId, 2, 'on_track', ['子项目按上级项目节点推进。']);
}

/** The planned "1+N" split of a top-level project, as the city planned it. */
function plannedChildren(ctx: Ctx, projectId: string) {
  return ctx.city.projects.find((p) => p.create.projectId === projectId)?.children ?? [];
}

async function decompose(ctx: Ctx, projectId: string): Promise<ProjectState> {
  const s0 = await known(ctx, projectId);
  const lead = person(ctx, s0.leadSecretaryId);
  return step(ctx, projectId, 'decompose', lead, (s) => s.children.length > 0, () =>
    ctx.projects.decompose(
      lead,
      projectId,
      plannedChildren(ctx, projectId).map((c) => ({ orgId: c.orgId, secretaryId: c.secretaryId, title: c.title })),
    ),
  );
}

const childOn = (s: ProjectState, orgId: string) => {
  const child = s.children.find((c) => c.orgId === orgId && c.status !== 'cancelled') ?? s.children.find((c) => c.orgId === orgId);
  if (!child) throw new Error(`demo: ${s.id} has no sub-project for ${orgId}`);
  return child;
};

async function dispatch(ctx: Ctx, projectId: string, decision: 'continue' | 'adjust' | 'terminate', changes: DispatchChangeInput[] = [], reason: string | null = null): Promise<ProjectState> {
  const committee = committeeUser(ctx);
  return step(ctx, projectId, 'dispatch', committee, (s) => s.dispatchHistory.length > 0, () => ctx.projects.dispatch(committee, projectId, { decision, changes, reason }));
}

// ---- The projects' years ---------------------------------------------------------------------

/** A beijing date `days` from now. */
const inDays = (days: number) => beijingDay(Date.now(), days);

/** An exact instant `seconds` from now, in Beijing time: an entry that falls overdue while the demo runs. */
function inSeconds(seconds: number): string {
  const t = new Date(Math.ceil((Date.now() + seconds * 1000) / 1000) * 1000 + BEIJING_MS).toISOString();
  return `${t.slice(0, 19)}+08:00`;
}

type Script = (ctx: Ctx, id: string) => Promise<unknown>;

/** The ledger showcase: entries open, reported, sent back, verified, overdue and escalated. */
const ledgerShowcase: Script = async (ctx, id) => {
  await approveAndSign(ctx, id);
  await evidence(ctx, id, 1, [0.15, 0.3]);
  await evidence(ctx, id, 2, [0.3, 0.45]);
  const s0 = await known(ctx, id);
  const organ = ctx.city.orgs.find((o) => o.parentId === s0.orgId && o.kind === 'organ_committee')?.id;
  let s = await inspect(ctx, id, 1, 'on_track', ['一季度工作按计划启动。'], [{ problem: '项目推进例会记录不完整', measures: '补齐会议记录并建立例会制度', deadline: inDays(30) }]);
  // First the entry that falls overdue while the demo runs (deadline a few seconds ahead).
  s = await inspect(ctx, id, 2, 'lagging', ['二季度重点指标进度滞后，部分措施未落地。'], [
    { problem: '党员教育培训覆盖率未达到阶段目标', measures: '制定补训计划，分批次组织专题培训', deadline: () => inSeconds(8) },
    { problem: '项目台账更新不及时', measures: '指定专人每周更新台账', deadline: inDays(20) },
    { problem: '机关党委对支部督导不到位', measures: '建立支部联系点制度，每月督导一次', deadline: inDays(25), ...(organ ? { responsibleOrgId: organ } : {}) },
    { problem: '群众意见反馈渠道不畅通', measures: '开通线上意见箱并每周回复', deadline: inDays(15) },
    { problem: '宣传展示材料不规范', measures: '按统一模板重新制作展板', deadline: inDays(40) },
  ]);
  const q1 = entry(s, 1, 0);
  s = await reportRectification(ctx, id, `report-${q1.id}`, q1);
  s = await verify(ctx, id, q1);
  // Q2: [0] overdue → escalated; [1] reported, waiting for the inspector; [2] reported by the organ
  // committee and sent back; [3] reported and verified; [4] open.
  const [, waiting, sentBack, closed] = [0, 1, 2, 3].map((i) => entry(s, 2, i));
  s = await reportRectification(ctx, id, `report-${waiting.id}`, waiting);
  s = await reportRectification(ctx, id, `report-${sentBack.id}`, sentBack);
  s = await sendBack(ctx, id, sentBack);
  s = await reportRectification(ctx, id, `report-${closed.id}`, closed);
  await verify(ctx, id, closed);
};

/** "1+N": decomposed into the planned sub-projects, then adjusted at mid-year (a target, a cancelled and an added sub-project). */
const splitAndAdjust: Script = async (ctx, id) => {
  await approveAndSign(ctx, id);
  await firstHalf(ctx, id);
  let s = await decompose(ctx, id);
  const planned = plannedChildren(ctx, id);
  const stages = ['inspected', 'in_review', 'in_progress', 'draft'] as const;
  await Promise.all(planned.map((p, i) => subProject(ctx, s, childOn(s, p.orgId).id, stages[i % stages.length])));
  s = await current(ctx, id);
  const organ = ctx.city.orgs.find((o) => o.parentId === s.orgId && o.kind === 'organ_committee');
  const cancelled = planned.length >= 4 ? childOn(s, planned[3].orgId) : null;
  const ind = s.proposal.indicators[0];
  const changes: DispatchChangeInput[] = [
    { kind: 'indicatorTarget', indicatorId: ind.id, target: round2(ind.target + (ind.target > ind.baseline ? 1 : -1) * Math.max(1, Math.abs(ind.target - ind.baseline) / 10)), reason: '上半年完成情况好于预期，适当提高目标' },
    ...(cancelled ? [{ kind: 'cancelChild' as const, childId: cancelled.id, reason: '该支部承接任务与其他子项目重复，予以撤销' }] : []),
    ...(organ ? [{ kind: 'addChild' as const, child: { orgId: organ.id, secretaryId: organ.secretaryId, title: `${s.proposal.title}（机关党委统筹子项目）` }, reason: '下半年增加机关党委统筹推进' }] : []),
  ];
  s = await dispatch(ctx, id, 'adjust', changes);
  const added = organ ? s.children.find((c) => c.orgId === organ.id) : undefined;
  if (added) await waitForProject(ctx, added.id);
};

/** "1+N" without dispatch: sub-projects in progress, in review and still a draft. */
const split: Script = async (ctx, id) => {
  await approveAndSign(ctx, id);
  await firstHalf(ctx, id);
  const s = await decompose(ctx, id);
  const stages = ['inspected', 'in_review', 'draft'] as const;
  await Promise.all(plannedChildren(ctx, id).map((p, i) => subProject(ctx, s, childOn(s, p.orgId).id, stages[i % stages.length])));
};

const inProgress =
  (q2: Rating, problems = false): Script =>
  async (ctx, id) => {
    const rng = new Rng(DEMO_SEED, `${id}:ledger-deadline`);
    await approveAndSign(ctx, id);
    const s = await firstHalf(ctx, id, {
      rating: q2,
      findings: q2 === 'stalled' ? ['项目二季度基本停滞，未按节点开展活动。'] : undefined,
      problems: problems ? [{ problem: q2 === 'stalled' ? '项目牵头人调整后工作衔接不到位' : '阶段性指标未达序时进度', measures: '明确新的责任人并制定赶进度计划', deadline: inDays(rng.int(10, 30)) }] : [],
    });
    return s;
  };

/** Returned with comments, revised and resubmitted, then approved and under way. */
const returnedThenApproved: Script = async (ctx, id) => {
  const s0 = await known(ctx, id);
  const lead = person(ctx, s0.leadSecretaryId);
  let s = await step(ctx, id, 'submit-1', lead, (x) => x.review.round >= 1, () => ctx.projects.act(lead, id, 'submit', {}));
  s = await step(ctx, id, 'return-1', reviewerOf(ctx, s), (x) => x.review.history.some((h) => h.action === 'returned'), () =>
    ctx.projects.act(reviewerOf(ctx, s), id, 'return', { comments: '指标基线数据来源不清，请补充说明并细化里程碑。' }),
  );
  const revisedGoal = `${s0.proposal.businessGoal.replace(/。$/, '')}，基线数据以上年度统计年报为准。`;
  s = await step(ctx, id, 'revise', lead, (x) => x.review.round >= 2 || x.proposal.businessGoal === revisedGoal, () =>
    ctx.projects.act(lead, id, 'editDraft', { changes: { businessGoal: revisedGoal } }),
  );
  s = await step(ctx, id, 'submit-2', lead, (x) => x.review.round >= 2, () => ctx.projects.act(lead, id, 'submit', {}));
  await step(ctx, id, 'approve', reviewerOf(ctx, s), (x) => x.review.history.some((h) => h.action === 'approved'), () =>
    ctx.projects.act(reviewerOf(ctx, s), id, 'approve', { comment: '修改后符合要求，同意立项。' }),
  );
  await step(ctx, id, 'letter', lead, (x) => x.letter !== null, () => ctx.projects.act(lead, id, 'signLetter', { text: '按修改后的立项内容推进，接受季度督查。' }));
  await evidence(ctx, id, 1, [0.15, 0.3]);
  await inspect(ctx, id, 1, 'on_track', ['一季度工作按计划启动。']);
};

const accepted =
  (level: [number, number], options: { openEntry?: boolean; negativeList?: string[]; selfAssessOnly?: boolean } = {}): Script =>
  async (ctx, id) => {
    await approveAndSign(ctx, id);
    await evidence(ctx, id, 1, [0.25, 0.4]);
    await evidence(ctx, id, 2, [0.9, 1.05]);
    // A Q1 problem rectified and verified (销号) before the year's work was assessed.
    const s1 = await inspect(ctx, id, 1, 'on_track', ['一季度工作按计划启动。'], [{ problem: '项目宣传氛围不够浓厚', measures: '在单位门户网站开设项目专栏并定期更新', deadline: inDays(10) }]);
    const q1 = entry(s1, 1, 0);
    await reportRectification(ctx, id, `report-${q1.id}`, q1);
    await verify(ctx, id, q1);
    await inspect(ctx, id, 2, 'on_track', ['指标提前完成，成效明显。'], options.openEntry ? [{ problem: '活动影像资料归档不全', measures: '补齐影像资料并规范归档', deadline: inDays(20) }] : []);
    await selfAssess(ctx, id, [Math.min(1, level[0] + 0.03), Math.min(1, level[1] + 0.03)]);
    if (!options.selfAssessOnly) await accept(ctx, id, level, options.negativeList ?? []);
  };

const rejected: Script = async (ctx, id) => {
  const s0 = await known(ctx, id);
  const lead = person(ctx, s0.leadSecretaryId);
  const s = await step(ctx, id, 'submit-1', lead, (x) => x.review.round >= 1, () => ctx.projects.act(lead, id, 'submit', {}));
  await step(ctx, id, 'reject', reviewerOf(ctx, s), (x) => x.stage === 'rejected', () =>
    ctx.projects.act(reviewerOf(ctx, s), id, 'reject', { reason: '与本单位年度重点工作重复，且指标难以量化考核，不予立项。' }),
  );
};

/** In review with a delegation (委派) waiting for the delegate's opinion. */
const delegated: Script = async (ctx, id) => {
  const s0 = await known(ctx, id);
  const lead = person(ctx, s0.leadSecretaryId);
  const s = await step(ctx, id, 'submit-1', lead, (x) => x.review.round >= 1, () => ctx.projects.act(lead, id, 'submit', {}));
  const unit = ctx.city.orgs.find((o) => o.id === ctx.city.orgs.find((x) => x.id === s.reviewerOrgId)?.parentId);
  const to = unit && unit.kind === 'unit' ? { orgId: unit.id, userId: unit.secretaryId } : { orgId: ctx.cycle.committee.orgId, userId: 'u-committee-05' };
  await step(ctx, id, 'delegate', reviewerOf(ctx, s), (x) => x.review.history.some((h) => h.action === 'delegated'), () =>
    ctx.projects.act(reviewerOf(ctx, s), id, 'delegateReview', { to, note: '请从业务融合角度提出意见。' }),
  );
};

/** In review after the proposer withdrew (拿回) and resubmitted, with a manual reminder (催办). */
const withdrawnAndReminded: Script = async (ctx, id) => {
  const s0 = await known(ctx, id);
  const lead = person(ctx, s0.leadSecretaryId);
  await step(ctx, id, 'submit-1', lead, (x) => x.review.round >= 1, () => ctx.projects.act(lead, id, 'submit', {}));
  await step(ctx, id, 'withdraw', lead, (x) => x.review.history.some((h) => h.action === 'withdrawn'), () => ctx.projects.act(lead, id, 'withdraw', { reason: '补充里程碑后重新提交' }));
  await step(ctx, id, 'submit-2', lead, (x) => x.review.round >= 2, () => ctx.projects.act(lead, id, 'submit', {}));
  await step(ctx, id, 'remind', lead, (x) => x.review.history.some((h) => h.action === 'reminded'), () => ctx.projects.act(lead, id, 'remindReview', { note: '请尽快审核，以便签订责任书。' }));
};

/** In review, transferred (转办) to another committee member. */
const transferred: Script = async (ctx, id) => {
  const s0 = await known(ctx, id);
  const lead = person(ctx, s0.leadSecretaryId);
  const s = await step(ctx, id, 'submit-1', lead, (x) => x.review.round >= 1, () => ctx.projects.act(lead, id, 'submit', {}));
  await step(ctx, id, 'transfer', reviewerOf(ctx, s), (x) => x.review.history.some((h) => h.action === 'transferred'), () =>
    ctx.projects.act(reviewerOf(ctx, s), id, 'transferReview', { to: { orgId: ctx.cycle.committee.orgId, userId: 'u-committee-05' }, reason: '该项目涉及宣传文化条线，转由分管同志审核。' }),
  );
};

/** Returned with comments and not yet revised: a draft waiting for its secretary. */
const returnedWaiting: Script = async (ctx, id) => {
  const s0 = await known(ctx, id);
  const lead = person(ctx, s0.leadSecretaryId);
  const s = await step(ctx, id, 'submit-1', lead, (x) => x.review.round >= 1, () => ctx.projects.act(lead, id, 'submit', {}));
  await step(ctx, id, 'return-1', reviewerOf(ctx, s), (x) => x.review.history.some((h) => h.action === 'returned'), () =>
    ctx.projects.act(reviewerOf(ctx, s), id, 'return', { comments: '请进一步明确项目与业务工作的结合点，补充可考核的量化指标。' }),
  );
};

const approvedOnly: Script = (ctx, id) => approveAndSign(ctx, id, false);

const terminated: Script = async (ctx, id) => {
  await approveAndSign(ctx, id);
  await firstHalf(ctx, id, { rating: 'stalled', findings: ['项目所依托的业务工作已调整，项目无法继续实施。'] });
  await dispatch(ctx, id, 'terminate', [], '依托的业务工作年中调整，经研究终止该项目。');
};

const continued: Script = async (ctx, id) => {
  await inProgress('lagging', true)(ctx, id);
  await dispatch(ctx, id, 'continue', [], '上半年总体推进正常，继续实施。');
};

const withMemberItems: Script = async (ctx, id) => {
  await approveAndSign(ctx, id);
  let s = await firstHalf(ctx, id);
  const lead = person(ctx, s.leadSecretaryId);
  const members = ctx.city.users.filter((u) => u.role === 'member' && u.orgId === s.orgId).slice(0, 2);
  const kinds = ['pledge', 'vanguard_post'] as const;
  for (const [i, m] of members.entries()) {
    s = await step(ctx, id, `member-item-${m.id}`, lead, (x) => x.memberItems.some((it) => it.memberId === m.id), () =>
      ctx.projects.addMemberItem(lead, id, { memberId: m.id, kind: kinds[i % 2], title: i === 0 ? '每月开展一次志愿服务' : '窗口服务先锋岗', target: i === 0 ? 12 : 100, unit: i === 0 ? '次' : '%' }),
    );
  }
  const first = members[0];
  if (first) {
    const item = s.memberItems.find((it) => it.memberId === first.id);
    if (item) {
      await step(ctx, id, `member-actual-${item.id}`, person(ctx, first.id), (x) => x.memberItems.some((it) => it.id === item.id && it.actual !== null), () =>
        ctx.projects.act(person(ctx, first.id), id, 'updateMemberItemActual', { itemId: item.id, actual: 7 }),
      );
    }
  }
  // A correction of the Q2 evidence: a new version supersedes the first.
  const q2 = s.evidence.find((e) => e.quarter === 2 && e.supersededBy === null && e.version === 1);
  if (q2) {
    await step(ctx, id, 'correct-Q2', lead, (x) => x.evidence.some((e) => e.supersedes !== null), () =>
      ctx.projects.correctEvidence(lead, id, { supersedes: q2.id, text: `${q2.text}（更正：补充活动签到统计）`, files: q2.files, indicatorActuals: q2.indicatorActuals, reason: '补充签到统计数据' }),
    );
  }
};

const draft: Script = async () => undefined;

/** Every top-level project's year; the ledger showcase first (its overdue entry falls due while the rest runs). */
const SCRIPTS: [string, Script][] = [
  [DEMO_LEDGER_PROJECT, ledgerShowcase],
  ['P-0002', splitAndAdjust],
  ['P-0010', split],
  ['P-0001', inProgress('on_track')],
  ['P-0004', accepted([0.92, 0.99])],
  ['P-0005', returnedThenApproved],
  ['P-0006', accepted([0.84, 0.92], { openEntry: true })],
  ['P-0007', accepted([0.85, 0.95], { selfAssessOnly: true })],
  ['P-0008', accepted([0.86, 0.95], { negativeList: ['项目宣传材料存在不实表述'] })],
  ['P-0009', rejected],
  ['P-0011', inProgress('stalled', true)],
  ['P-0012', terminated],
  ['P-0013', approvedOnly],
  ['P-0014', delegated],
  ['P-0015', accepted([0.45, 0.6])],
  ['P-0016', draft],
  ['P-0017', withdrawnAndReminded],
  ['P-0018', continued],
  ['P-0019', transferred],
  ['P-0020', returnedWaiting],
  ['P-0021', accepted([0.88, 0.97])],
  ['P-0022', withMemberItems],
  ['P-0023', draft],
];

/** Runs `tasks` with at most `limit` at once. */
async function pool<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await run(item);
    }
  });
  await Promise.all(workers);
}

/** Waits until the overdue showcase entry has been escalated by its timer (it falls due seconds after it was recorded). */
async function waitForEscalation(ctx: Ctx): Promise<void> {
  const until = Date.now() + 30_000;
  for (;;) {
    const s = await current(ctx, DEMO_LEDGER_PROJECT);
    const overdue = s.ledger.find((l) => l.quarter === 2 && l.status === 'open' && /T/.test(l.deadline));
    if (!overdue || overdue.escalatedAt !== null || Date.now() > until) return;
    await sleep(250);
  }
}

/** Waits until every project's projection has caught up with its workflow (the figures read the projection). */
async function waitForProjection(ctx: Ctx): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    const stored = await cycleProjectStates(ctx.db, ctx.cycle.cycleId);
    const behind: string[] = [];
    for (const s of stored) {
      const location = await findProjectLocation(ctx.db, s.id);
      if (!location) continue;
      const handle = ctx.temporal.workflow.getHandle(location.workflowId);
      // A closed workflow persisted everything before it closed; only running ones can be behind.
      if ((await handle.describe()).status.name !== 'RUNNING') continue;
      const view = await handle.query(getProjectQuery);
      if (view.state.version !== s.version) behind.push(s.id);
    }
    if (behind.length === 0) return;
    if (Date.now() > until) {
      ctx.progress(`demo: projections still catching up for ${behind.join(', ')}`);
      return;
    }
    await sleep(250);
  }
}

/**
 * Opens, launches and drives the demo cycle (each step once); answers what it did. The calendar is
 * placed around the moment the cycle is first opened; a later start drives the stored cycle.
 */
export async function ensureDemoYear(db: Db, temporal: Client, taskQueue: string, options: DemoOptions = {}): Promise<DemoSummary> {
  const started = Date.now();
  const progress = options.progress ?? (() => undefined);
  const store = options.store ?? createFileContentStore(loadConfig().evidenceDir);
  const projects = createProjectsService({ db, temporal, taskQueue, store });
  const cycles = createCyclesService({ db, temporal, taskQueue });

  let city = demoCity(started);
  const stored = await getCycleConfig(db, DEMO_CYCLE_ID);
  if (!stored) {
    progress(`demo: opening cycle ${DEMO_CYCLE_ID} (${city.projects.length} projects, calendar around ${beijingDay(started)})`);
    await cycles.open({ cycle: city.cycle, orgs: city.orgs, users: city.users, projects: city.projects, inspectorAssignments: inspectorAssignments(city) }, []);
  } else {
    city = { ...smallCity(DEMO_SEED, { year: stored.year, cycleId: DEMO_CYCLE_ID }), cycle: stored };
  }
  await cycles.launch(DEMO_CYCLE_ID);
  for (const until = Date.now() + 60_000; ; ) {
    const launch = await launchProgress(db, DEMO_CYCLE_ID);
    if (launch && launch.pending === 0 && launch.started >= launch.total) break;
    if (Date.now() > until) throw new Error(`demo: the launch of ${DEMO_CYCLE_ID} did not finish (${JSON.stringify(launch)})`);
    await sleep(200);
  }

  const users = new Map(city.users.map((u) => [u.id, u]));
  const ctx: Ctx = { db, temporal, projects, cycle: city.cycle, city, users, reader: { id: 'demo', name: 'demo', role: 'auditor', orgId: city.cycle.committee.orgId }, progress, actions: 0, skipped: 0 };
  ctx.reader = person(ctx, city.users.find((u) => u.role === 'auditor')?.id ?? city.cycle.committee.userId);

  let done = 0;
  await pool(SCRIPTS, 4, async ([id, script]) => {
    await script(ctx, id);
    done += 1;
    progress(`demo: ${done}/${SCRIPTS.length} projects driven (${id}; ${ctx.actions} actions so far, ${Math.round((Date.now() - started) / 1000)} s)`);
  });
  await waitForEscalation(ctx);
  await waitForProjection(ctx);
  const summary = { actions: ctx.actions, skipped: ctx.skipped, durationMs: Date.now() - started };
  progress(`demo: ready in ${Math.round(summary.durationMs / 100) / 10} s (${summary.actions} actions, ${summary.skipped} steps already done)`);
  return summary;
}

/** The demo users the welcome names, each with what to try. */
const DEMO_USERS: { role: Role; userId: (city: GeneratedCity) => string | undefined; hint: string }[] = [
  { role: 'committee', userId: (c) => c.cycle.committee.userId, hint: '工委：全周期数据、季度报告（含图表）、成果汇编与双十佳' },
  { role: 'secretary', userId: () => 'u-sec-u01', hint: `书记：待办——审核子项目、整改报送（${DEMO_LEDGER_PROJECT} 的台账）` },
  { role: 'inspector', userId: () => 'u-inspector-01', hint: `督查员：待验收的整改报告（${DEMO_LEDGER_PROJECT}）` },
  { role: 'auditor', userId: (c) => c.users.find((u) => u.role === 'auditor')?.id, hint: `审计：${DEMO_LEDGER_PROJECT} 的完整时间线与校验（GET /audit/projects/${DEMO_LEDGER_PROJECT}/timeline）` },
  { role: 'member', userId: () => 'u-member-u03-b02-01', hint: '党员：本人的承诺践诺事项（P-0022）' },
];

/** The demo city with its year in motion, and one login per role (with what to try). */
export async function ensureDemoCity(db: Db, temporal: Client, taskQueue: string, options: DemoOptions = {}): Promise<DemoLogin[]> {
  await ensureDemoYear(db, temporal, taskQueue, options);
  const city = smallCity(DEMO_SEED, { cycleId: DEMO_CYCLE_ID });
  const logins: DemoLogin[] = [];
  for (const { role, userId, hint } of DEMO_USERS) {
    const user = city.users.find((u) => u.id === userId(city));
    if (!user) continue;
    const username = await ensureDemoCredentials(db, user.id);
    logins.push({ role, userId: user.id, name: user.name, orgId: user.orgId, token: await issueToken(db, user.id, 'demo (npm start)'), username, password: DEMO_PASSWORD, hint });
  }
  return logins;
}
