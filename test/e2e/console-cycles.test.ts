/**
 * The committee's cycle pages in a real browser (Debian's Chromium) against the whole app — real
 * Temporal, real PostgreSQL, a real worker — on a free port: the committee opens a new cycle on the
 * managed org tree and launches it, watching the progress reach 100 % with the counts the API
 * reports; opening the same id again is refused with the API's Chinese message beside the field;
 * the dashboard draws that cycle's charts and lists; an auditor verifies the whole cycle page by
 * page until everything passes; a secretary sees none of these pages and the server refuses them.
 * Screenshots of the three pages at laptop and phone width, axe-core on each, no console errors.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../helpers/harness';
import { PHONE, screenshot } from './browser';
import { timerFreeCycle, useConsole } from './console-session';

const PASSWORD = 'Cycles-e2e-2026';
const LOGINS: Record<string, string> = { 'u-sec-oc1': 'zhang.oc1', 'u-committee': 'gongwei', 'u-auditor': 'shenji' };

describe('the committee’s cycle pages in Chromium', () => {
  const t0 = Date.now();
  const cast = timerFreeCycle(`cy-cast-${t0.toString(36)}`, t0);
  const h = useHarness({ name: 'console_cycles', cycle: cast, app: { rateLimitPerMinute: 100_000 } });
  const newCycle = `cy-open-${t0.toString(36)}`;
  const { base, as, errors, expectAxeClean, expectNoHorizontalScroll } = useConsole(h, { logins: LOGINS, password: PASSWORD });
  const progressOf = (page: Page, testId: string) => page.getByTestId(testId).getAttribute('aria-valuenow');

  it('the committee opens a cycle on the managed org tree and launches it: the bar reaches 100 % and the counts are the API’s', async () => {
    const page = await as('u-committee');
    await page.goto(`${base()}/app/cycles/open`);
    // The managed tree: 7 orgs led by a secretary below the committee, each ticked for a draft.
    await expect.poll(() => page.getByTestId('planned-count').textContent()).toBe('共 8 个组织，预置书记项目草稿 7 个');
    // The calendar follows the year: a year typed in moves every date with it.
    const year = Number(await page.getByRole('spinbutton', { name: '年度', exact: true }).inputValue());
    await expect.poll(() => page.getByLabel('第四季度佐证截止').inputValue()).toBe(`${year}-12-10`);
    await page.getByLabel('周期编号').fill(newCycle);
    // One branch plans no key project: its secretary will be named on the dashboard.
    await page.locator('label.el-checkbox', { hasText: '基教处党支部' }).click();
    expect(await page.getByRole('checkbox', { name: /^基教处党支部（/ }).isChecked()).toBe(false);
    await expect.poll(() => page.getByTestId('planned-count').textContent()).toBe('共 8 个组织，预置书记项目草稿 6 个');
    await expectAxeClean(page);
    await screenshot(page, 'cycle-open-laptop');

    await page.getByRole('button', { name: '开启年度周期' }).click();
    await page.getByText(`年度周期 ${newCycle} 已开启`).waitFor();
    await expect.poll(() => page.getByTestId('launch-counts').textContent()).toBe('计划项目 6 个，已启动 0 个，待启动 6 个');
    await page.getByRole('button', { name: '启动', exact: true }).click();
    await expect.poll(() => progressOf(page, 'launch-progress'), { timeout: 60_000 }).toBe('100');
    await page.getByText('启动完成：6 个项目已开始运行').waitFor();

    const view = (await h.get('u-committee', `/cycles/${newCycle}`)).json();
    expect(view.launch).toMatchObject({ total: 6, started: 6, pending: 0, status: 'launched' });
    expect(await page.getByTestId('launch-counts').textContent()).toBe(`计划项目 ${view.launch.total} 个，已启动 ${view.launch.started} 个，待启动 ${view.launch.pending} 个`);
    const projects = (await h.get('u-committee', `/projects?cycle=${newCycle}&limit=100`)).json();
    expect(projects.total).toBe(6);
    expect(projects.items.every((p: { stage: string }) => p.stage === 'draft')).toBe(true);
    // Launched: the button to launch again is not offered.
    expect(await page.getByRole('button', { name: '启动', exact: true }).count()).toBe(0);
    await expectAxeClean(page);
    await screenshot(page, 'cycle-launch-laptop');
  });

  it('opening the same cycle id again is refused with the API’s Chinese message beside the id', async () => {
    const page = await as('u-committee');
    await page.getByRole('button', { name: '开启另一个年度周期' }).click();
    await page.getByLabel('周期编号').fill(newCycle);
    await page.getByRole('button', { name: '开启年度周期' }).click();
    const field = page.locator('.el-form-item', { has: page.getByLabel('周期编号') });
    await expect.poll(() => field.locator('.el-form-item__error').textContent()).toBe(`年度周期 ${newCycle} 已存在。`);
    // The browser logs the refused request itself: exactly that one 409, taken out of the errors the last test checks.
    const refused = errors.filter((e) => /status of 409/.test(e.text));
    expect(refused).toHaveLength(1);
    errors.splice(errors.indexOf(refused[0]), 1);
    // Nothing was written twice.
    expect((await h.get('u-committee', `/cycles/${newCycle}`)).json().launch.total).toBe(6);
  });

  it('the dashboard picks the cycle from the list and draws its charts and lists', async () => {
    const page = await as('u-committee');
    await page.goto(`${base()}/app/cycles`);
    await page.locator('#d-title').waitFor();
    await page.getByRole('combobox', { name: '年度周期' }).click();
    await page.getByRole('option', { name: new RegExp(newCycle) }).click();
    await page.waitForURL(new RegExp(`cycle=${newCycle}`));
    await expect.poll(() => page.getByTestId('totals').textContent()).toBe('项目总数 6（书记项目 6，子项目 0，重点项目 6）');
    // Stage, type, quarters, unit and org rates: five charts, each drawn on a canvas.
    await expect.poll(() => page.locator('[role=img] canvas').count()).toBe(5);
    // No ledger entries yet: no rate, shown as "—", never 100 %.
    const rates = await page.getByTestId('unit-rate').allTextContents();
    expect(rates.length).toBe(2);
    expect(rates.every((r) => r === '—')).toBe(true);
    const shortfall = page.getByTestId('shortfall');
    await expect.poll(() => shortfall.getByRole('row').count()).toBe(2);
    // The secretary short of a key project by name (u-sec-b3's), not by id.
    expect(await shortfall.textContent()).toContain('基教处党支部书记');
    expect(await shortfall.textContent()).not.toContain('u-sec-b3');
    expect(await shortfall.textContent()).toContain('基教处党支部');
    await expectAxeClean(page);
    await screenshot(page, 'cycle-dashboard-laptop');
  });

  it('an auditor verifies the whole cycle page by page: the bar reaches 100 % and everything passes', async () => {
    const page = await as('u-auditor');
    await page.goto(`${base()}/app/verify`);
    await page.getByRole('combobox', { name: '年度周期' }).click();
    await page.getByRole('option', { name: new RegExp(newCycle) }).click();
    // Pages of 4: two requests for six projects.
    await page.getByLabel('每批项目数').fill('4');
    await page.getByLabel('每批项目数').blur();
    await page.getByRole('button', { name: '开始核验' }).click();
    await expect.poll(() => progressOf(page, 'verify-progress'), { timeout: 90_000 }).toBe('100');
    await expect.poll(() => page.getByTestId('verify-summary').textContent()).toContain('全部通过：6 个项目');
    expect(await page.getByTestId('verify-counts').textContent()).toBe('已核验 6 / 6 个项目，通过 6 个，未通过 0 个');
    await expectAxeClean(page);
    await screenshot(page, 'cycle-verify-laptop');
  });

  it('an auditor stops a verification half-way: the summary says how far it got', async () => {
    const page = await as('u-auditor');
    await page.goto(`${base()}/app/verify`);
    await page.getByRole('combobox', { name: '年度周期' }).click();
    await page.getByRole('option', { name: new RegExp(newCycle) }).click();
    // Pages of one project: the stop lands after the page in flight, well before the sixth.
    await page.getByLabel('每批项目数').fill('1');
    await page.getByLabel('每批项目数').blur();
    await page.getByRole('button', { name: '开始核验' }).click();
    await page.getByRole('button', { name: '停止' }).click();
    await expect.poll(() => page.getByTestId('verify-summary').textContent()).toMatch(/^已停止：核验了 [1-5] \/ 6 个项目，其中 0 个未通过$/);
    expect(Number(await progressOf(page, 'verify-progress'))).toBeLessThan(100);
    await page.getByRole('button', { name: '开始核验' }).waitFor();
  });

  it('a tampered event log fails verification: the project and its check are listed, linked to the project’s audit page', async () => {
    const victim = (await h.get('u-committee', `/projects?cycle=${newCycle}&limit=100`)).json().items[0].id as string;
    await h.db.updateTable('project_events').set({ actor_id: 'u-someone-else' }).where('project_id', '=', victim).where('seq', '=', 1).execute();
    const page = await as('u-auditor');
    await page.goto(`${base()}/app/verify`);
    await page.getByRole('combobox', { name: '年度周期' }).click();
    await page.getByRole('option', { name: new RegExp(newCycle) }).click();
    await page.getByRole('button', { name: '开始核验' }).click();
    await expect.poll(() => progressOf(page, 'verify-progress'), { timeout: 90_000 }).toBe('100');
    await expect.poll(() => page.getByTestId('verify-summary').textContent()).toContain('核验完成：1 个项目未通过，5 个通过');
    const failures = page.locator('.el-table', { hasText: victim });
    expect(await failures.textContent()).toContain('事件哈希链');
    expect(await page.getByTestId('verify-summary').textContent()).toContain('事件哈希链：1');
    await expectAxeClean(page);
    await screenshot(page, 'cycle-verify-failure-laptop');
    await page.getByRole('link', { name: victim }).first().click();
    await page.waitForURL(new RegExp(`/app/audit/${victim}$`));
  });

  it('a secretary is offered none of these pages, and the server refuses opening, launching and verifying a cycle', async () => {
    const page = await as('u-sec-oc1');
    const menu = page.getByRole('menubar').or(page.locator('.el-menu')).first();
    await menu.waitFor();
    for (const entry of ['周期看板', '开启年度周期', '全周期核验']) expect(await menu.getByText(entry, { exact: true }).count()).toBe(0);

    const opened = await h.post('u-sec-oc1', '/cycles', { cycle: { ...cast, cycleId: `${newCycle}-sec` }, projects: [] });
    expect(opened.statusCode).toBe(403);
    expect(opened.json().detail).toBe('只有工委工作人员可以开启年度周期。');
    const launched = await h.post('u-sec-oc1', `/cycles/${newCycle}/launch`, {});
    expect(launched.statusCode).toBe(403);
    expect(launched.json().detail).toBe('只有工委工作人员可以启动年度周期。');
    const verified = await h.post('u-sec-oc1', `/audit/cycles/${newCycle}/verify`, { offset: 0, limit: 4 });
    expect(verified.statusCode).toBe(403);
    expect((await h.get('u-sec-oc1', `/cycles/${newCycle}/figures`)).statusCode).toBe(403);
    expect((await h.get('u-committee', `/cycles/${newCycle}-sec`)).statusCode).toBe(404);
  });

  it('the three pages at phone width: no horizontal page scroll, axe clean', async () => {
    const committee = await as('u-committee', PHONE);
    await committee.goto(`${base()}/app/cycles/open`);
    await expect.poll(() => committee.getByTestId('planned-count').textContent()).toContain('共 8 个组织');
    await expectNoHorizontalScroll(committee);
    await expectAxeClean(committee);
    await screenshot(committee, 'cycle-open-phone');
    await committee.goto(`${base()}/app/cycles/open?cycle=${newCycle}`);
    await expect.poll(() => progressOf(committee, 'launch-progress')).toBe('100');
    await expectNoHorizontalScroll(committee);
    await screenshot(committee, 'cycle-launch-phone');

    await committee.goto(`${base()}/app/cycles?cycle=${newCycle}`);
    await expect.poll(() => committee.locator('[role=img] canvas').count()).toBe(5);
    await expectNoHorizontalScroll(committee);
    await expectAxeClean(committee);
    await screenshot(committee, 'cycle-dashboard-phone');

    const auditor = await as('u-auditor', PHONE);
    await auditor.goto(`${base()}/app/verify`);
    await auditor.getByRole('combobox', { name: '年度周期' }).click();
    await auditor.getByRole('option', { name: new RegExp(newCycle) }).click();
    await auditor.getByRole('button', { name: '开始核验' }).click();
    await expect.poll(() => progressOf(auditor, 'verify-progress'), { timeout: 90_000 }).toBe('100');
    await expectNoHorizontalScroll(auditor);
    await expectAxeClean(auditor);
    await screenshot(auditor, 'cycle-verify-phone');
  });

  it('no console errors on any page', () => {
    expect(errors).toEqual([]);
  });
});
