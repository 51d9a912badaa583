/**
 * The console's list pages in a real browser (Debian's Chromium through playwright-core) against a
 * test instance on the real Temporal and PostgreSQL (issue #14):
 *
 * - 问题清单 and 申报项目: a secretary adds a problem to the org's list, then proposes a
 *   problem-oriented project linking it from a multi-select fed by the list; a problem resolved
 *   meanwhile is refused by the server, its Chinese detail beside the field; the link shows on the
 *   project page and on the problem list; resolving a problem from the list works;
 * - 年度任务清单: the secretary's own projects with indicators and progress;
 * - 督查任务: an inspector assigned to one unit sees the inspections due there (overdue in red)
 *   and the rectification reported there, not those of the other unit; the link leads to the
 *   project page where 验收销号 is offered;
 * - 评优与成果汇编: the committee picks the cycle and sees both best-of lists and the compilation
 *   of the projects accepted through the API, with working downloads;
 * - people without the role get no menu entry, the router sends them away, and the server refuses;
 * - every page at laptop and phone width: screenshots, axe-core without serious or critical
 *   violations, no horizontal page scroll at 390 px, no console errors except the refusals asked for.
 *
 * Data is prepared through the API as the people concerned (projects taken to in progress, an
 * inspection with a problem, a rectification report, self-assessment and acceptance).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIR } from '../../api/plugins/console';
import { createFileContentStore } from '../../db/content-store';
import { compressedCycle, proposal } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';
import { waitUntil } from '../helpers/wait';
import { LAPTOP, PHONE, newPerson, screenshot, seriousViolations } from './browser';
import { useConsole } from './console-session';

type Json = any;

const PASSWORD = 'Console-lists-2026';
const SECOND = 1000;
const DAY = 86_400_000;
const LOGINS: Record<string, string> = {
  'u-sec-oc1': 'zhang.oc1',
  'u-committee': 'gongwei',
  'u-inspector': 'ducha',
  'u-auditor': 'shenji',
  'u-member-b1': 'dangyuan.b1',
};
/** Rubric scores: 93 (优秀) and 85 (良好). */
const SCORES = {
  high: [
    { criterionId: 'c-goal', score: 56 },
    { criterionId: 'c-fusion', score: 37 },
  ],
  lower: [
    { criterionId: 'c-goal', score: 50 },
    { criterionId: 'c-fusion', score: 35 },
  ],
};

/**
 * The cast's cycle, made when the harness seeds it: Q1's evidence deadline a minute after that
 * (the projects prepared before it count it, and the inspection falls due during the file) and its
 * inspection window closing 15 s later (so the due inspection is overdue); everything else weeks ahead.
 */
function listsCycle(t0: number) {
  const base = compressedCycle(`cy-lists-e2e-${t0.toString(36)}`, t0);
  const at = (ms: number) => new Date(t0 + ms).toISOString();
  return {
    ...base,
    // Lists of one: the best project heads the overall list, the breakthrough project below it the other.
    rules: { ...base.rules, bestOfListSize: 1 },
    calendar: {
      ...base.calendar,
      proposalDeadline: at(20 * DAY),
      reviewDeadline: at(25 * DAY),
      letterDeadline: at(30 * DAY),
      quarters: [
        { quarter: 1 as const, evidenceDeadline: at(60 * SECOND), inspectionWindowEnd: at(75 * SECOND) },
        ...[2, 3, 4].map((q) => ({ quarter: q as 2 | 3 | 4, evidenceDeadline: at((30 + q * 20) * DAY), inspectionWindowEnd: at((35 + q * 20) * DAY) })),
      ],
      dispatchWindow: { start: at(70 * DAY), end: at(80 * DAY) },
      selfAssessmentDeadline: at(115 * DAY),
      acceptanceWindow: { start: at(110 * DAY), end: at(130 * DAY) },
      monthlyReminders: [],
    },
  };
}

describe('the console’s lists in Chromium (problems, annual tasks, inspections, best-of and compilation)', () => {
  let cycle = listsCycle(Date.now());
  let q1Overdue = 0;
  const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-lists-'));
  const h = useHarness({
    name: 'console_lists',
    cycle: () => {
      const t0 = Date.now();
      cycle = listsCycle(t0);
      q1Overdue = t0 + 76 * SECOND;
      return cycle;
    },
    app: () => ({ store: createFileContentStore(storeDir), rateLimitPerMinute: 100_000 }),
  });
  /** This file's copy of the console build (see `pinned`). */
  const buildCopy = fs.mkdtempSync(path.join(os.tmpdir(), 'console-lists-build-'));
  const ids = { rectified: '', branch: '', otherUnit: '', acceptedA: '', acceptedB: '', entry: '', otherEntry: '', proposed: '' };

  // ---- API helpers (bearer tokens of the cast) --------------------------------------------------
  const call = (userId: string, method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: object) =>
    h.app.inject({ method, url, headers: h.as(userId), ...(method === 'GET' ? {} : { payload: payload ?? {} }) });
  const ok = async (userId: string, method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: object): Promise<Json> => {
    const response = await call(userId, method, url, payload);
    expect(response.statusCode, `${method} ${url}: ${response.body}`).toBeLessThan(300);
    return response.json();
  };
  /** A project of `lead` taken to in progress: proposed, submitted, approved by `reviewer`, letter signed. */
  async function inProgress(lead: string, reviewer: string, title: string, type = 'improvement'): Promise<string> {
    const { title: _t, ...rest } = proposal(cycle.year, title);
    const project = await ok(lead, 'POST', '/projects', { cycleId: cycle.cycleId, title, ...rest, type });
    await ok(lead, 'POST', `/projects/${project.id}/submit`);
    await ok(reviewer, 'POST', `/projects/${project.id}/review`, { decision: 'approve' });
    await ok(lead, 'POST', `/projects/${project.id}/letter`, { text: '本人承诺履行第一责任人职责' });
    return project.id;
  }
  /** Q1 inspected with one problem for the lead's org, which the lead then reports rectified; answers the entry id. */
  async function reportedEntry(projectId: string, orgId: string, lead: string, problem: string): Promise<string> {
    await ok('u-inspector', 'POST', `/projects/${projectId}/inspections/1`, {
      rating: 'lagging',
      findings: ['进度滞后于计划'],
      problems: [{ problem, responsibleOrgId: orgId, responsiblePersonId: lead, measures: '限期整改并报送整改材料', deadline: `${cycle.year}-12-31` }],
    });
    const view = await ok(lead, 'GET', `/projects/${projectId}`);
    const entryId = view.ledger[0].id as string;
    await ok(lead, 'POST', `/projects/${projectId}/rectifications/${encodeURIComponent(entryId)}/report`, { text: '已完成整改，补齐相关台账' });
    return entryId;
  }
  async function accepted(lead: string, projectId: string, scores: (typeof SCORES)['high']) {
    await ok(lead, 'POST', `/projects/${projectId}/evidence`, { quarter: 1, text: '一季度走访企业12家', files: [], indicatorActuals: [{ indicatorId: 'i-visits', actual: 18 }] });
    await ok(lead, 'POST', `/projects/${projectId}/self-assessment`, { scores, narrative: '全年目标基本完成，服务企业成效明显', businessImpact: '企业诉求办结率提高' });
    await ok('u-committee', 'POST', `/projects/${projectId}/acceptance`, { criterionScores: scores, negativeList: [] });
  }

  beforeAll(async () => {
    ids.rectified = await inProgress('u-sec-oc1', 'u-committee', '财政局助企攻坚项目');
    ids.branch = await inProgress('u-sec-b1', 'u-sec-oc1', '预算处支部强基项目');
    ids.otherUnit = await inProgress('u-sec-oc2', 'u-committee', '教育局课后服务项目');
    ids.acceptedA = await inProgress('u-sec-oc1', 'u-committee', '财政局“红色引擎”品牌项目');
    ids.acceptedB = await inProgress('u-sec-oc2', 'u-committee', '教育局“双减”破题项目', 'breakthrough');
    ids.entry = await reportedEntry(ids.rectified, 'org-oc1', 'u-sec-oc1', '走访台账不全');
    ids.otherEntry = await reportedEntry(ids.otherUnit, 'org-oc2', 'u-sec-oc2', '课后服务记录缺失');
    // From now on the inspector oversees the finance unit (org-u1 and below) only.
    await ok('u-committee', 'PUT', '/users/u-inspector/inspector-assignments', { orgIds: ['org-u1'] });
    await accepted('u-sec-oc1', ids.acceptedA, SCORES.high);
    await accepted('u-sec-oc2', ids.acceptedB, SCORES.lower);
    await waitUntil(
      'both accepted projects and both reported entries persisted',
      async () => {
        const done = await h.db.selectFrom('projects').select('id').where('stage', '=', 'accepted').execute();
        const reported = await h.db.selectFrom('ledger_entries').select('id').where('status', '=', 'reported').execute();
        return done.length === 2 && reported.length === 2 ? true : undefined;
      },
      30_000,
      100,
    );

    fs.cpSync(CONSOLE_DIR, buildCopy, { recursive: true });
  });
  afterAll(async () => {
    fs.rmSync(storeDir, { recursive: true, force: true });
    fs.rmSync(buildCopy, { recursive: true, force: true });
  });

  // After the data is prepared and the build copied: the app listens, the browser starts.
  const { base, browser, as, errors, refusing } = useConsole(h, { logins: LOGINS, password: PASSWORD, open: (viewport) => pinned(viewport) });

  // ---- Browser helpers ------------------------------------------------------------------------
  /** expect.poll with room for a machine shared with other test runs (pages and projections take their time there). */
  const poll = <T>(probe: () => T | Promise<T>, options: { message?: string; timeout?: number } = {}) => expect.poll(probe, { timeout: 15_000, ...options });
  /**
   * A person whose browser loads the console from this file's copy of the build: other test runs in
   * the same checkout rebuild dist/console when web/ changes, which would swap the hashed assets
   * under a page in the middle of this file. The API answers everything else, as it does in use.
   */
  async function pinned(viewport = LAPTOP): Promise<{ context: BrowserContext; page: Page }> {
    const person = await newPerson(browser(), viewport, errors);
    await person.context.route(`${base()}/assets/**`, (route) => {
      const file = path.join(buildCopy, 'assets', path.basename(new URL(route.request().url()).pathname));
      return fs.existsSync(file) ? route.fulfill({ path: file }) : route.continue();
    });
    await person.context.route(`${base()}/app/**`, (route) =>
      route.request().resourceType() === 'document' ? route.fulfill({ path: path.join(buildCopy, 'index.html'), contentType: 'text/html; charset=utf-8' }) : route.continue(),
    );
    return person;
  }
  async function menuOf(page: Page): Promise<string[]> {
    return (await page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem').allTextContents()).map((t) => t.trim());
  }
  /** Waits until the page's requests are answered and no table shows its loading mask (for screenshots). */
  async function settled(page: Page) {
    await page.waitForLoadState('networkidle');
    for (const mask of await page.locator('.el-loading-mask').all()) await mask.waitFor({ state: 'hidden' });
  }
  async function pick(page: Page, label: string, option: string) {
    await page.getByRole('combobox', { name: label }).click({ force: true });
    await page.getByRole('option', { name: option }).last().click();
  }

  it('a secretary adds a problem to the org’s list, and a blank one is refused beside the field', async () => {
    const page = await as('u-sec-oc1');
    await page.getByRole('menuitem', { name: '问题清单' }).click();
    await page.waitForURL(/\/app\/problems$/);
    await page.getByRole('button', { name: '加入问题清单' }).click();
    await poll(() => page.getByText('请填写问题', { exact: true }).isVisible()).toBe(true);
    await page.getByLabel('问题', { exact: true }).fill('服务企业渠道不畅');
    await page.getByLabel('问题描述').fill('企业反映办事环节多、找人难');
    await page.getByRole('button', { name: '加入问题清单' }).click();
    const table = page.getByTestId('problems');
    await poll(() => table.getByText('服务企业渠道不畅').isVisible()).toBe(true);
    const list = await ok('u-sec-oc1', 'GET', '/orgs/org-oc1/problems');
    expect(list.items.map((p: Json) => [p.title, p.source, p.status, p.createdBy])).toEqual([['服务企业渠道不畅', '督查', 'open', 'u-sec-oc1']]);
    await settled(page);
    await screenshot(page, 'problems-laptop');
  });

  it('the secretary proposes a problem-oriented project linking it; a problem resolved meanwhile is refused beside the field; the link shows on the project page', async () => {
    const page = await as('u-sec-oc1');
    // A second problem, which will be resolved while the form is open.
    const stale = await ok('u-sec-oc1', 'POST', '/orgs/org-oc1/problems', { title: '学习记录不规范', source: '自查' });
    await page.goto(`${base()}/app/projects/new?cycle=${cycle.cycleId}`);
    await page.getByLabel('项目名称').fill('“企业之家”问题导向服务项目');
    await page.getByLabel('服务的业务目标（党建与业务融合）').fill('打通服务企业“最后一公里”');
    await page.getByRole('radio', { name: '问题导向' }).check({ force: true });
    await page.getByLabel('指标1名称').fill('走访企业');
    await page.getByLabel('指标1单位').fill('家');
    await page.getByLabel('里程碑1名称').fill('完成走访');
    await page.getByPlaceholder('完成日期').fill(`${cycle.year}-12-31`);
    await page.getByPlaceholder('完成日期').press('Enter');
    // No problem chosen: refused in the form before anything is sent.
    await page.getByRole('button', { name: '保存草稿' }).click();
    await poll(() => page.getByText('问题导向的项目须关联问题清单中的问题').isVisible()).toBe(true);

    // The placeholder lies over the input and takes the pointer, as it does for a person clicking the field.
    await page.getByRole('combobox', { name: '关联问题（本组织问题清单）' }).click({ force: true });
    await page.getByRole('option', { name: '服务企业渠道不畅' }).click();
    await page.getByRole('option', { name: '学习记录不规范' }).click();
    await page.keyboard.press('Escape');
    await settled(page);
    await screenshot(page, 'propose-problems-laptop');
    await ok('u-sec-oc1', 'PATCH', `/problems/${stale.id}`, { status: 'resolved' });
    await refusing([400], async () => {
      await page.getByRole('button', { name: '保存草稿' }).click();
      const item = page.locator('.el-form-item', { has: page.getByText('关联问题（本组织问题清单）') });
      await poll(() => item.locator('.el-form-item__error').textContent()).toBe(`问题 ${stale.id} 已销号，不能再关联。`);
    });
    expect(page.url()).toMatch(/\/app\/projects\/new/);

    // Take the resolved one out (its tag's close icon) and save.
    await page.locator('.el-tag', { hasText: '学习记录不规范' }).locator('.el-tag__close').click();
    await page.getByRole('button', { name: '保存草稿' }).click();
    await page.waitForURL((url) => /^\/app\/projects\/(?!new$)[^/]+$/.test(url.pathname));
    ids.proposed = decodeURIComponent(page.url().split('/').pop()!);
    const linked = page.getByTestId('linked-problems');
    await poll(() => linked.textContent()).toContain('服务企业渠道不畅');
    expect(await linked.textContent()).not.toContain('学习记录不规范');
    await settled(page);
    await screenshot(page, 'project-linked-problem-laptop');

    // The problem list names the project linking it, once the proposal is persisted.
    await waitUntil('the proposal linking the problem persisted', async () => {
      const list = await ok('u-sec-oc1', 'GET', '/orgs/org-oc1/problems');
      return list.items.some((p: Json) => p.linkedProjects.some((l: Json) => l.projectId === ids.proposed)) ? true : undefined;
    }, 20_000, 100);
    await page.goto(`${base()}/app/problems`);
    const row = page.getByTestId('problems').locator('tr', { hasText: '服务企业渠道不畅' });
    await poll(() => row.getByRole('link', { name: '“企业之家”问题导向服务项目' }).isVisible()).toBe(true);
  });

  it('the secretary marks a problem resolved and opens it again from the list', async () => {
    const page = await as('u-sec-oc1');
    await page.goto(`${base()}/app/problems`);
    const row = page.getByTestId('problems').locator('tr', { hasText: '服务企业渠道不畅' });
    await row.getByRole('button', { name: '标记已解决' }).click();
    await poll(() => row.getByText('已解决', { exact: true }).isVisible()).toBe(true);
    expect((await ok('u-sec-oc1', 'GET', '/orgs/org-oc1/problems?status=resolved')).items.map((p: Json) => p.title).sort()).toEqual(['学习记录不规范', '服务企业渠道不畅']);
    await row.getByRole('button', { name: '重新打开' }).click();
    await poll(() => row.getByText('未解决', { exact: true }).isVisible()).toBe(true);
  });

  it('the committee picks an org and sees its problems; it may keep them too', async () => {
    const page = await as('u-committee');
    await page.goto(`${base()}/app/problems`);
    await pick(page, '党组织', '市财政局机关党委（org-oc1）');
    await poll(() => page.getByTestId('problems').getByText('服务企业渠道不畅').isVisible()).toBe(true);
    await poll(() => page.getByRole('button', { name: '加入问题清单' }).isVisible()).toBe(true);
    await settled(page);
    await screenshot(page, 'problems-committee-laptop');
  });

  it('a secretary sees their annual task list: the projects they lead with indicators and progress', async () => {
    const page = await as('u-sec-oc1');
    await page.getByRole('menuitem', { name: '年度任务清单' }).click();
    await page.waitForURL(/\/app\/annual-tasks$/);
    const list = page.getByTestId('annual-tasks');
    await poll(() => list.getByRole('link', { name: '财政局助企攻坚项目' }).isVisible()).toBe(true);
    await poll(() => list.getByRole('link', { name: '财政局“红色引擎”品牌项目' }).isVisible()).toBe(true);
    await poll(() => list.getByRole('link', { name: '“企业之家”问题导向服务项目' }).isVisible()).toBe(true);
    // Not another secretary's.
    expect(await list.getByText('教育局课后服务项目').count()).toBe(0);
    // The accepted project's visits indicator: 18 of 20 from a baseline of 0 → 90 %.
    const accepted = list.locator('.el-card', { hasText: '财政局“红色引擎”品牌项目' });
    await poll(() => accepted.locator('tr', { hasText: '走访企业' }).first().textContent()).toMatch(/0 → 20 家.*18.*90%/);
    expect(await accepted.textContent()).toContain('已验收');
    // Its export answers a spreadsheet of the same list, in the person's own session.
    for (const [name, type] of [['导出 Excel', 'spreadsheetml'], ['导出 CSV', 'text/csv']] as const) {
      const href = await page.getByRole('link', { name }).getAttribute('href');
      expect(href).toBe(`/exports/secretaries/u-sec-oc1/annual-tasks.${name === '导出 CSV' ? 'csv' : 'xlsx'}`);
      const response = await page.request.get(`${base()}${href}`);
      expect(response.status(), name).toBe(200);
      expect(response.headers()['content-type']).toContain(type);
      if (name === '导出 CSV') expect(await response.text()).toContain('财政局“红色引擎”品牌项目');
    }
    await settled(page);
    await screenshot(page, 'annual-tasks-laptop');
  });

  it('the committee sees the best-of lists and the compilation for the cycle, with working downloads', async () => {
    const page = await as('u-committee');
    await page.getByRole('menuitem', { name: '评优与成果汇编' }).click();
    await page.waitForURL(/\/app\/lists$/);
    const best = page.getByTestId('best-of');
    await poll(() => best.isVisible()).toBe(true);
    const answer = await ok('u-committee', 'GET', `/cycles/${cycle.cycleId}/best-of`);
    for (const list of answer.lists) {
      const table = page.getByTestId(`best-of-${list.key}`);
      expect(await table.getByRole('heading').textContent()).toContain(list.title);
      for (const entry of list.entries) await poll(() => table.getByRole('link', { name: entry.title }).isVisible()).toBe(true);
    }
    expect(answer.lists.map((l: Json) => [l.key, l.entries.map((e: Json) => e.projectId)])).toEqual([
      ['overall', [ids.acceptedA]],
      ['breakthrough', [ids.acceptedB]],
    ]);
    expect(await page.getByTestId('best-of-overall').textContent()).toContain('优秀');
    const compilation = page.getByTestId('compilation');
    await poll(() => compilation.textContent()).toContain('共 2 个已验收项目');
    for (const title of ['财政局“红色引擎”品牌项目', '教育局“双减”破题项目']) expect(await compilation.getByRole('link', { name: title }).count()).toBe(1);
    expect(await compilation.textContent()).not.toContain('财政局助企攻坚项目');
    expect(await compilation.textContent()).toContain('全年目标基本完成，服务企业成效明显');

    // The downloads answer what they say, in the person's own session.
    for (const [name, type] of [['导出 Excel', 'spreadsheetml'], ['导出 CSV', 'text/csv'], ['下载 Markdown', 'text/markdown'], ['打印版', 'text/html']] as const) {
      const href = await page.getByRole('link', { name }).getAttribute('href');
      const response = await page.request.get(`${base()}${href}`);
      expect(response.status(), `${name} ${href}`).toBe(200);
      expect(response.headers()['content-type'], name).toContain(type);
    }
    const md = await page.request.get(`${base()}${await page.getByRole('link', { name: '下载 Markdown' }).getAttribute('href')}`);
    expect(await md.text()).toContain('教育局“双减”破题项目');
    await settled(page);
    await screenshot(page, 'lists-laptop');
  });

  it('an inspector sees the inspections due in their orgs (overdue in red) and the rectification reported there to verify', async () => {
    // Q1's evidence deadline passed a while ago and its inspection window closed.
    while (Date.now() < q1Overdue) await new Promise((r) => setTimeout(r, 250));
    const page = await as('u-inspector');
    await page.getByRole('menuitem', { name: '督查任务' }).click();
    await page.waitForURL(/\/app\/inspections$/);
    await poll(() => page.getByTestId('assigned-orgs').textContent()).toContain('市财政局党组');
    const due = page.getByTestId('inspections-due');
    await poll(() => due.getByRole('link', { name: '预算处支部强基项目' }).isVisible()).toBe(true);
    const row = due.locator('tr', { hasText: '预算处支部强基项目' });
    expect(await row.locator('.overdue').textContent()).toMatch(/^.+已逾期( \d+ 天)?$/);
    // Not the other unit's project, nor the one already inspected this quarter, nor accepted ones.
    for (const other of ['教育局课后服务项目', '财政局助企攻坚项目', '财政局“红色引擎”品牌项目']) expect(await due.getByText(other).count()).toBe(0);

    const ledger = page.getByTestId('ledger-to-verify');
    await poll(() => ledger.getByText('走访台账不全').isVisible()).toBe(true);
    expect(await ledger.getByText('课后服务记录缺失').count()).toBe(0);
    expect(await ledger.locator('tr', { hasText: '走访台账不全' }).textContent()).toContain('已报整改');
    await settled(page);
    await screenshot(page, 'inspections-laptop');

    await ledger.getByRole('link', { name: '去验收' }).click();
    await page.waitForURL(new RegExp(`/app/projects/${ids.rectified}$`));
    await poll(() => page.getByRole('button', { name: '验收销号' }).isVisible()).toBe(true);
  });

  it('people without the role get no menu entry, the router sends them to their tasks, and the server refuses', async () => {
    const menus = {
      secretary: await menuOf(await as('u-sec-oc1')),
      committee: await menuOf(await as('u-committee')),
      inspector: await menuOf(await as('u-inspector')),
      auditor: await menuOf(await as('u-auditor')),
      member: await menuOf(await as('u-member-b1')),
    };
    expect(menus.secretary).toEqual(expect.arrayContaining(['问题清单', '年度任务清单', '申报项目']));
    expect(menus.secretary).not.toEqual(expect.arrayContaining(['督查任务']));
    expect(menus.secretary).not.toContain('评优与成果汇编');
    expect(menus.committee).toEqual(expect.arrayContaining(['问题清单', '评优与成果汇编']));
    expect(menus.committee).not.toContain('督查任务');
    expect(menus.inspector).toContain('督查任务');
    for (const entry of ['问题清单', '年度任务清单', '评优与成果汇编']) expect(menus.inspector).not.toContain(entry);
    expect(menus.auditor).toContain('评优与成果汇编');
    for (const entry of ['问题清单', '年度任务清单', '督查任务']) expect(menus.auditor).not.toContain(entry);
    for (const entry of ['问题清单', '年度任务清单', '督查任务', '评优与成果汇编']) expect(menus.member).not.toContain(entry);

    const member = await as('u-member-b1');
    for (const url of ['/app/lists', '/app/problems', '/app/inspections', '/app/annual-tasks']) {
      await member.goto(`${base()}${url}`);
      await member.waitForURL(/\/app\/tasks$/);
    }

    // The server refuses whatever the console hides, in Chinese.
    const refusals: [string, 'GET' | 'POST' | 'PATCH', string, object | undefined, number, string][] = [
      ['u-sec-oc1', 'GET', `/cycles/${cycle.cycleId}/best-of`, undefined, 403, '只有工委、督查员和审计人员'],
      ['u-sec-oc1', 'GET', `/reports/cycles/${cycle.cycleId}/compilation?format=json`, undefined, 403, '只有工委、督查员和审计人员'],
      ['u-member-b1', 'GET', `/exports/cycles/${cycle.cycleId}/best-of.xlsx`, undefined, 403, '只有工委、督查员和审计人员'],
      ['u-inspector', 'POST', '/orgs/org-oc1/problems', { title: '越权添加', source: '督查' }, 403, '只有该组织书记或工委工作人员'],
      ['u-sec-oc2', 'GET', '/orgs/org-oc1/problems', undefined, 403, '您只能查看本组织及下级组织的问题清单'],
      ['u-sec-b1', 'POST', '/orgs/org-oc1/problems', { title: '下级越权', source: '自查' }, 403, '只有该组织书记或工委工作人员'],
      ['u-sec-oc2', 'GET', '/secretaries/u-sec-oc1/annual-tasks', undefined, 404, '无权查看其年度攻坚清单'],
    ];
    for (const [userId, method, url, payload, status, detail] of refusals) {
      const response = await call(userId, method, url, payload);
      expect(response.statusCode, `${userId} ${method} ${url}`).toBe(status);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json().detail).toContain(detail);
    }
    const problem = (await ok('u-sec-oc1', 'GET', '/orgs/org-oc1/problems')).items.find((p: Json) => p.title === '服务企业渠道不畅');
    const patched = await call('u-inspector', 'PATCH', `/problems/${problem.id}`, { status: 'resolved' });
    expect(patched.statusCode).toBe(403);
    expect(patched.json().detail).toBe('只有该组织书记或工委工作人员可以维护问题清单。');
    expect((await ok('u-sec-oc1', 'GET', '/orgs/org-oc1/problems?status=open')).items.map((p: Json) => p.title)).toEqual(['服务企业渠道不畅']);

    // A secretary of a branch below reads the organ committee's list but is not offered to keep it.
    const secretary = await as('u-sec-oc1');
    await secretary.goto(`${base()}/app/problems`);
    await pick(secretary, '党组织', '预算处党支部（org-b1）');
    await poll(() => secretary.getByText('问题清单为空').isVisible()).toBe(true);
    expect(await secretary.getByRole('button', { name: '加入问题清单' }).count()).toBe(0);
  });

  it('every list page at laptop width has no serious or critical axe-core violation', async () => {
    const pages: [string, string, string][] = [
      ['problems', 'u-sec-oc1', '/app/problems'],
      ['propose', 'u-sec-oc1', `/app/projects/new?cycle=${cycle.cycleId}`],
      ['annual-tasks', 'u-sec-oc1', '/app/annual-tasks'],
      ['project-linked-problem', 'u-sec-oc1', `/app/projects/${ids.proposed}`],
      ['problems-committee', 'u-committee', '/app/problems'],
      ['lists', 'u-committee', '/app/lists'],
      ['lists-auditor', 'u-auditor', '/app/lists'],
      ['inspections', 'u-inspector', '/app/inspections'],
    ];
    const found: Record<string, unknown> = {};
    for (const [name, userId, url] of pages) {
      const page = await as(userId);
      await page.goto(`${base()}${url}`);
      await page.waitForLoadState('networkidle');
      if (name === 'propose') await page.getByRole('radio', { name: '问题导向' }).check({ force: true });
      if (name === 'lists-auditor') {
        await poll(() => page.getByTestId('compilation').isVisible()).toBe(true);
        await settled(page);
        await screenshot(page, 'lists-auditor-laptop');
      }
      const violations = await seriousViolations(page);
      if (violations.length) found[name] = violations;
    }
    expect(found).toEqual({});
  });

  it('at phone width (390 px) each list page fits without horizontal page scroll and passes axe-core', async () => {
    const phoneOf = (userId: string) => as(userId, PHONE);
    const pages: [string, string, string, string][] = [
      ['problems', 'u-sec-oc1', '/app/problems', '服务企业渠道不畅'],
      ['propose-problems', 'u-sec-oc1', `/app/projects/new?cycle=${cycle.cycleId}`, '量化指标'],
      ['annual-tasks', 'u-sec-oc1', '/app/annual-tasks', '财政局助企攻坚项目'],
      ['project-linked-problem', 'u-sec-oc1', `/app/projects/${ids.proposed}`, '服务企业渠道不畅'],
      ['lists', 'u-committee', '/app/lists', '共 2 个已验收项目'],
      ['inspections', 'u-inspector', '/app/inspections', '走访台账不全'],
    ];
    const found: Record<string, unknown> = {};
    for (const [name, userId, url, text] of pages) {
      const page = await phoneOf(userId);
      await page.goto(`${base()}${url}`);
      if (name === 'propose-problems') await page.getByRole('radio', { name: '问题导向' }).check({ force: true });
      await poll(() => page.getByText(text).first().isVisible(), { message: name }).toBe(true);
      await page.waitForLoadState('networkidle');
      await settled(page);
      await screenshot(page, `${name}-phone`);
      // Neither the document nor the app's own full-height containers scroll sideways.
      const overflow = await page.evaluate(() => Math.max(...[document.documentElement, document.body, ...document.querySelectorAll('#app, .layout')].map((e) => e.scrollWidth)) - window.innerWidth);
      expect(overflow, name).toBeLessThanOrEqual(1);
      const violations = await seriousViolations(page);
      if (violations.length) found[name] = violations;
    }
    expect(found).toEqual({});
    // The menu at phone width offers the secretary's lists too.
    const secretary = await phoneOf('u-sec-oc1');
    await secretary.getByRole('button', { name: '展开菜单' }).click();
    await secretary.getByRole('menuitem', { name: '年度任务清单' }).click();
    await secretary.waitForURL(/\/app\/annual-tasks$/);
  });

  it('no page logged a console error (beyond the refusals asked for)', () => {
    expect(errors).toEqual([]);
  });
});
