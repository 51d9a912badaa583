/**
 * People and orgs by name on the project page and the audit page (issue #14), in Chromium against
 * the whole app (real Temporal, PostgreSQL, worker): the lead secretary sees their own name, the
 * lead org's and the current reviewer's (after a transfer to a unit secretary) from the users and
 * orgs tables, not their ids, with the id in the tooltip; an auditor's timeline names the person
 * who acted and labels the review timer's reminder as 系统（定时器）. Screenshots at laptop and
 * phone width, axe-core on each page, no horizontal scroll at phone width, no console errors.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../helpers/harness';
import { PHONE, screenshot } from './browser';
import { timerFreeCycle, useConsole } from './console-session';

const PASSWORD = 'Console-names-2026';
const DAY = 86_400_000;
const LOGINS: Record<string, string> = { 'u-sec-oc1': 'zhang.oc1', 'u-auditor': 'shenji' };

describe('names instead of ids on the project page and the audit page in Chromium', () => {
  const t0 = Date.now();
  // Deadlines weeks ahead; the review timer reminds 2 s after the round's reviewer got it.
  const cycle = { ...timerFreeCycle(`cy-e2e-names-${t0.toString(36)}`, t0), reviewTimeouts: { remindAfterMs: 2000, escalateAfterMs: 30 * DAY } };
  const h = useHarness({ name: 'consolenames', cycle, app: () => ({ rateLimitPerMinute: 100_000 }) });
  const { base, as, errors, expectAxeClean, horizontalOverflow } = useConsole(h, { logins: LOGINS, password: PASSWORD });
  let projectId = '';

  beforeAll(async () => {
    projectId = await h.propose('u-sec-oc1', cycle, '“党建+营商”名称显示项目');
    expect((await h.post('u-sec-oc1', `/projects/${projectId}/submit`)).statusCode).toBe(200);
    const transferred = await h.post('u-committee', `/projects/${projectId}/review/transfer`, { toUserId: 'u-sec-u1', toOrgId: 'org-u1', reason: '请单位党组把关' });
    expect(transferred.statusCode, transferred.body).toBe(200);
    // The review timer's reminder is in the event log before the auditor looks.
    const timerActed = async () => ((await h.get('u-auditor', `/audit/projects/${projectId}/timeline`)).json() as { entries: { actor: { system: boolean } }[] }).entries.some((e) => e.actor.system);
    for (let i = 0; i < 60 && !(await timerActed()); i += 1) await new Promise((r) => setTimeout(r, 500));
    expect(await timerActed()).toBe(true);
  });

  const mainText = (page: Page) => page.locator('main').innerText();

  async function checkProjectPage(page: Page, width: 'laptop' | 'phone') {
    await page.goto(`${base()}/app/projects/${projectId}`);
    await page.getByTestId('stage').waitFor();
    await expect.poll(() => page.getByTestId('lead-secretary').textContent()).toBe('市财政局机关党委书记');
    expect(await page.getByTestId('lead-secretary').getAttribute('title')).toBe('u-sec-oc1');
    expect(await page.getByTestId('lead-org').textContent()).toBe('市财政局机关党委');
    expect(await page.getByTestId('project-reviewer').textContent()).toBe('市财政局党组书记');
    // The review panel: the reviewer now, who transferred it.
    expect(await page.getByTestId('reviewer').textContent()).toBe('市财政局党组书记');
    expect(await page.getByTestId('review-state').textContent()).toContain('（市财政局党组）');
    expect(await page.getByTestId('review-state').textContent()).toContain('由 工委审核员 转办');
    // The review history names who acted, the timer by its label.
    const history = await page.getByTestId('review-history').textContent();
    expect(history).toContain('提交审核 · 市财政局机关党委书记');
    expect(history).toContain('转办 · 工委审核员');
    expect(history).toContain('系统（定时器）');
    // No user or org id is shown as text anywhere on the page.
    const text = await mainText(page);
    expect(text).not.toMatch(/u-sec-|u-committee|org-oc1|org-u1|system:timer/);
    await screenshot(page, `names-project-${width}`);
    await expectAxeClean(page);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(1);
  }

  async function checkAuditPage(page: Page, width: 'laptop' | 'phone') {
    await page.goto(`${base()}/app/audit/${projectId}`);
    await page.getByTestId('audit-position').waitFor();
    const steps = page.locator('.steps');
    // Who acted on each event: the person by role and name, the review timer by its label.
    await expect.poll(() => steps.textContent()).toContain('书记 市财政局机关党委书记');
    const timeline = (await steps.textContent()) ?? '';
    expect(timeline).toContain('工委 工委审核员');
    expect(timeline).toContain('系统（定时器）');
    expect(timeline).not.toMatch(/u-sec-|u-committee|system:timer/);
    // The chosen event's actor line: the first event is the lead secretary's proposal.
    await page.locator('.steps .el-step').first().click();
    await expect.poll(() => page.getByTestId('audit-actor').textContent()).toContain('市财政局机关党委书记（市财政局机关党委）');
    // The timer's event: its label, not an id.
    await page.locator('.steps .el-step', { hasText: '系统（定时器）' }).first().click();
    await expect.poll(() => page.getByTestId('audit-actor').textContent()).toContain('操作者：系统（定时器）');
    // The transfer's event: its summary and changes name the people instead of their ids.
    await page.locator('.steps .el-step', { hasText: '转办' }).first().click();
    await expect.poll(() => page.getByTestId('audit-summary').textContent()).toContain('工委审核员');
    const event = `${await page.getByTestId('audit-summary').textContent()} ${await page.getByTestId('audit-actor').textContent()} ${await page.getByTestId('audit-changes').textContent()}`;
    expect(event).toContain('市财政局党组书记');
    expect(event).not.toMatch(/u-sec-|u-committee|system:timer/);
    await screenshot(page, `names-audit-${width}`);
    await expectAxeClean(page);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(1);
  }

  it('the project page names the lead secretary, the lead org, the reviewer and who acted in the review history, at laptop width', async () => {
    await checkProjectPage(await as('u-sec-oc1'), 'laptop');
  });

  it('the project page shows the same names at phone width without horizontal scroll', async () => {
    await checkProjectPage(await as('u-sec-oc1', PHONE), 'phone');
  });

  it('the audit page names the person who acted and labels the review timer’s event, at laptop and phone width', async () => {
    await checkAuditPage(await as('u-auditor'), 'laptop');
    await checkAuditPage(await as('u-auditor', PHONE), 'phone');
  });

  it('no page logged a console error', () => {
    expect(errors).toEqual([]);
  });
});
