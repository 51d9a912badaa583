/**
 * The project page's review extras and mid-year dispatch in Chromium, against the whole app (real
 * Temporal, PostgreSQL, worker): a committee reviewer transfers a submitted project's review (转办)
 * to another committee reviewer picked from a list, who then holds it; that reviewer delegates it
 * (委派) to a unit secretary, who gives the delegate opinion (委派意见) in the console, and the
 * reviewer sees it; the committee records a mid-year dispatch decision (年中调度) during the
 * window, its refusal first shown in Chinese inside the dialog; people who may not act see none of
 * these buttons and the server refuses them (403/409 with a Chinese detail). The dialogs at laptop
 * and phone width go to artifacts/screenshots/, axe-core runs with them open, no console errors.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../helpers/harness';
import { LAPTOP, PHONE, newPerson, screenshot, type ConsoleError } from './browser';
import { timerFreeCycle, useConsole } from './console-session';

const PASSWORD = 'Console-review-2026';
const DAY = 86_400_000;
const LOGINS: Record<string, string> = {
  'u-sec-oc1': 'zhang.oc1',
  'u-committee': 'gongwei',
  'u-committee-2': 'gongwei2',
  'u-sec-u1': 'li.u1',
  'u-inspector': 'ducha',
};

/** The cast's cycle with its deadlines weeks ahead and the dispatch window open now. */
function reviewCycle(cycleId: string, t0: number) {
  const base = timerFreeCycle(cycleId, t0);
  return {
    ...base,
    calendar: { ...base.calendar, dispatchWindow: { start: new Date(t0 - DAY).toISOString(), end: base.calendar.dispatchWindow.end } },
    reviewTimeouts: { remindAfterMs: 30 * DAY, escalateAfterMs: 60 * DAY },
  };
}

describe('the project page: transfer, delegate, delegate opinion and mid-year dispatch in Chromium', () => {
  const t0 = Date.now();
  const cycle = reviewCycle(`cy-e2e-review-${t0.toString(36)}`, t0);
  const h = useHarness({ name: 'consolereview', cycle, app: () => ({ rateLimitPerMinute: 100_000 }) });
  const ids = { inReview: '', inProgress: '', phone: '' };

  async function inReview(title: string): Promise<string> {
    const id = await h.propose('u-sec-oc1', cycle, title);
    expect((await h.post('u-sec-oc1', `/projects/${id}/submit`)).statusCode).toBe(200);
    return id;
  }

  beforeAll(async () => {
    // A second committee reviewer to transfer to.
    await h.db.insertInto('users').values({ id: 'u-committee-2', name: '工委审核员二', role: 'committee', org_id: cycle.committee.orgId }).execute();
    ids.inReview = await inReview('“党建+营商”转办审核项目');
    ids.phone = await inReview('“支部联建”手机端审核项目');
    ids.inProgress = await inReview('“红色物业”年中调度项目');
    expect((await h.post('u-committee', `/projects/${ids.inProgress}/review`, { decision: 'approve' })).statusCode).toBe(200);
    expect((await h.post('u-sec-oc1', `/projects/${ids.inProgress}/letter`, { text: '本人承诺履行第一责任人职责' })).statusCode).toBe(200);
  });
  // After the second reviewer exists: the session gives it a login too.
  const { base, browser, as, signIn, errors, expectAxeClean, horizontalOverflow } = useConsole(h, { logins: LOGINS, password: PASSWORD });

  async function openProject(page: Page, id: string) {
    await page.goto(`${base()}/app/projects/${id}`);
    await page.getByTestId('stage').waitFor();
  }
  const actions = (page: Page) => page.getByRole('group', { name: '可办理的操作' });
  async function buttons(page: Page): Promise<string[]> {
    return (await actions(page).getByRole('button').allTextContents()).map((t) => t.trim());
  }
  async function confirmDialog(page: Page) {
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: '确定' }).click();
    await dialog.waitFor({ state: 'hidden' });
  }
  /** Picks a person in an open dialog's person select (fed by GET /users). */
  async function pick(page: Page, field: string, name: string) {
    await page.getByRole('dialog').getByLabel(field).click();
    await page.getByRole('option', { name: new RegExp(`^${name}`) }).click();
  }

  it('a committee reviewer transfers the review to another reviewer picked from a list, who then holds it', async () => {
    const committee = await as('u-committee');
    await openProject(committee, ids.inReview);
    await expect.poll(() => committee.getByTestId('reviewer').textContent()).toBe('工委审核员');
    expect(await buttons(committee)).toEqual(expect.arrayContaining(['审核', '转办', '委派']));
    await actions(committee).getByRole('button', { name: '转办' }).click();
    await committee.getByRole('dialog').getByLabel('转办给').click();
    // The list holds other reviewers, not the reviewer themself nor the proposer.
    await expect.poll(() => committee.getByRole('option', { name: /^工委审核员二/ }).isVisible()).toBe(true);
    expect(await committee.getByRole('option').allTextContents()).not.toEqual(expect.arrayContaining([expect.stringMatching(/^(工委审核员|市财政局机关党委书记)（/)]));
    await committee.getByRole('option', { name: /^工委审核员二/ }).click();
    await committee.getByLabel('转办说明（可选）').fill('请分管同志审核');
    await screenshot(committee, 'review-transfer-dialog-laptop');
    await expectAxeClean(committee);
    await confirmDialog(committee);
    await expect.poll(() => committee.getByTestId('reviewer').textContent()).toBe('工委审核员二');
    expect(await buttons(committee)).not.toEqual(expect.arrayContaining(['审核']));
    expect(await buttons(committee)).not.toContain('转办');

    const second = await as('u-committee-2');
    await openProject(second, ids.inReview);
    await expect.poll(() => second.getByTestId('review-state').textContent()).toContain('由 工委审核员 转办');
    expect(await buttons(second)).toEqual(expect.arrayContaining(['审核', '转办', '委派']));
  });

  it('the reviewer delegates to a unit secretary, who gives the delegate opinion; the reviewer sees it', async () => {
    const reviewer = await as('u-committee-2');
    await openProject(reviewer, ids.inReview);
    await actions(reviewer).getByRole('button', { name: '委派' }).click();
    await pick(reviewer, '委派给', '市财政局党组书记');
    await reviewer.getByLabel('委派说明（可选）').fill('请从单位角度提出意见');
    await screenshot(reviewer, 'review-delegate-dialog-laptop');
    await confirmDialog(reviewer);
    await expect.poll(() => reviewer.getByTestId('delegate').textContent()).toContain('市财政局党组书记');
    // One delegation at a time.
    expect(await buttons(reviewer)).not.toContain('委派');

    const delegate = await as('u-sec-u1');
    await openProject(delegate, ids.inReview);
    expect(await buttons(delegate)).toContain('委派意见');
    expect(await buttons(delegate)).not.toEqual(expect.arrayContaining(['审核']));
    await actions(delegate).getByRole('button', { name: '委派意见' }).click();
    await delegate.getByRole('radio', { name: '建议退回修改' }).check({ force: true });
    await delegate.getByLabel('意见内容').fill('满意度指标缺少测评方式，建议退回补充');
    await screenshot(delegate, 'review-opinion-dialog-laptop');
    await expectAxeClean(delegate);
    await confirmDialog(delegate);
    await expect.poll(() => buttons(delegate)).not.toContain('委派意见');

    await openProject(reviewer, ids.inReview);
    await expect.poll(() => reviewer.getByTestId('delegate-opinion').textContent()).toContain('满意度指标缺少测评方式，建议退回补充');
    await expect.poll(() => reviewer.getByTestId('delegate-opinion').textContent()).toContain('建议退回修改');
    expect(await buttons(reviewer)).toEqual(expect.arrayContaining(['审核', '委派']));
    await screenshot(reviewer, 'review-state-laptop');
  });

  it('the committee records a mid-year dispatch decision in the window; a refusal shows in Chinese in the dialog', async () => {
    // Its own browser session: the refused request is logged by the browser as an error, expected here only.
    const refusals: ConsoleError[] = [];
    const { page, context } = await newPerson(browser(), LAPTOP, refusals);
    await signIn(page, 'u-committee');
    await openProject(page, ids.inProgress);
    await actions(page).getByRole('button', { name: '年中调度' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('radio', { name: '终止' }).check({ force: true });
    await dialog.getByRole('button', { name: '确定' }).click();
    await expect.poll(() => dialog.getByRole('alert').textContent()).toContain('终止理由不能为空');
    await expect.poll(() => page.getByTestId('stage').textContent()).toBe('实施中');

    await dialog.getByRole('radio', { name: '调整' }).check({ force: true });
    await dialog.getByLabel('调度说明（可选）').fill('结合上半年进展调整目标');
    await dialog.getByRole('button', { name: '调整指标目标值' }).click();
    await dialog.getByLabel('调整事项1新目标值').fill('24');
    await dialog.getByLabel('调整事项1理由').fill('上半年已完成过半，目标上调');
    await dialog.getByRole('button', { name: '增加里程碑' }).click();
    await dialog.getByLabel('调整事项2里程碑名称').fill('开展企业满意度回访');
    await dialog.getByPlaceholder('里程碑完成日期').fill(`${cycle.year}-12-25`);
    await dialog.getByPlaceholder('里程碑完成日期').press('Enter');
    await dialog.getByLabel('调整事项2理由').fill('补充回访环节');
    await screenshot(page, 'dispatch-dialog-laptop');
    await expectAxeClean(page);
    await confirmDialog(page);
    const record = page.getByTestId('dispatch');
    await expect.poll(() => record.textContent()).toContain('调整');
    await expect.poll(() => record.textContent()).toContain('上半年已完成过半，目标上调');
    const state = (await h.get('u-committee', `/projects/${ids.inProgress}`)).json();
    expect(state.dispatch).toMatchObject({ decision: 'adjust', by: 'u-committee', reason: '结合上半年进展调整目标' });
    expect(state.proposal.indicators[0].target).toBe(24);
    expect(state.proposal.milestones).toContainEqual(expect.objectContaining({ title: '开展企业满意度回访', due: `${cycle.year}-12-25` }));
    await expect.poll(() => record.textContent()).toContain('增加里程碑：补充回访环节');
    await screenshot(page, 'project-dispatched-laptop');
    await context.close();
    expect(refusals.map((e) => e.text)).toEqual([expect.stringMatching(/status of 400/)]);
  });

  it('people who may not act see none of these buttons, and the server refuses them with a Chinese detail', async () => {
    // The proposer, on their own project in review: take it back or remind, nothing of the reviewer's.
    const proposer = await as('u-sec-oc1');
    await openProject(proposer, ids.phone);
    await expect.poll(() => buttons(proposer)).toEqual(expect.arrayContaining(['拿回', '催办']));
    for (const name of ['审核', '转办', '委派', '委派意见', '年中调度']) expect(await buttons(proposer)).not.toContain(name);
    // An inspector on a project in progress, in the dispatch window: no dispatch.
    const inspector = await as('u-inspector');
    await openProject(inspector, ids.inProgress);
    expect(await buttons(inspector)).not.toContain('年中调度');
    // The former reviewer and the committee outside their turn: no reviewer buttons.
    const former = await as('u-committee');
    await openProject(former, ids.inReview);
    for (const name of ['审核', '转办', '委派', '委派意见']) expect(await buttons(former)).not.toContain(name);

    /** The same session's request, sent as the console would (CSRF header), outside the page. */
    async function send(userId: string, path: string, body: object) {
      const request = (await as(userId)).context().request;
      const { csrfToken } = (await (await request.get(`${base()}/me`)).json()) as { csrfToken: string };
      const response = await request.post(`${base()}${path}`, { headers: { 'x-csrf-token': csrfToken, 'content-type': 'application/json' }, data: body });
      return { status: response.status(), detail: ((await response.json()) as { detail: string }).detail };
    }
    expect(await send('u-sec-oc1', `/projects/${ids.inReview}/review/transfer`, { toUserId: 'u-sec-u1', toOrgId: 'org-u1' })).toEqual({ status: 403, detail: `该项目由${cycle.committee.orgId}组织审核` });
    expect(await send('u-committee', `/projects/${ids.inReview}/review/delegate`, { toUserId: 'u-sec-u1', toOrgId: 'org-u1' })).toEqual({ status: 403, detail: '仅当前审核人可委派' });
    expect(await send('u-sec-u1', `/projects/${ids.inReview}/review/opinion`, { recommendation: 'approve', opinion: '同意' })).toEqual({ status: 409, detail: '当前没有待反馈的委派' });
    expect(await send('u-sec-oc1', `/projects/${ids.inProgress}/dispatch`, { decision: 'continue', changes: [] })).toEqual({ status: 403, detail: '仅工委可年中调度' });
  });

  it('at phone width: the transfer, delegate, opinion, dispatch, 1+N and self-assessment dialogs fit, axe-clean, without horizontal page scroll', async () => {
    const committee = await as('u-committee', PHONE);
    await openProject(committee, ids.phone);
    await actions(committee).getByRole('button', { name: '转办' }).click();
    await committee.getByRole('dialog').getByLabel('转办给').click();
    await committee.getByRole('option', { name: /^工委审核员二/ }).waitFor();
    await committee.keyboard.press('Escape');
    await screenshot(committee, 'review-transfer-dialog-phone');
    await expectAxeClean(committee);
    await committee.getByRole('dialog').getByRole('button', { name: '取消' }).click();
    await committee.getByRole('dialog').waitFor({ state: 'hidden' });

    await actions(committee).getByRole('button', { name: '委派' }).click();
    await pick(committee, '委派给', '市财政局党组书记');
    await screenshot(committee, 'review-delegate-dialog-phone');
    await confirmDialog(committee);
    await expect.poll(() => committee.getByTestId('delegate').textContent()).toContain('市财政局党组书记');
    expect(await horizontalOverflow(committee)).toBeLessThanOrEqual(1);
    await screenshot(committee, 'review-state-phone');

    const delegate = await as('u-sec-u1', PHONE);
    await openProject(delegate, ids.phone);
    await actions(delegate).getByRole('button', { name: '委派意见' }).click();
    await delegate.getByLabel('意见内容').fill('同意立项');
    await screenshot(delegate, 'review-opinion-dialog-phone');
    await expectAxeClean(delegate);
    await confirmDialog(delegate);

    await openProject(committee, ids.inProgress);
    await actions(committee).getByRole('button', { name: '年中调度' }).click();
    const dialog = committee.getByRole('dialog');
    await dialog.getByRole('radio', { name: '调整' }).check({ force: true });
    await dialog.getByRole('button', { name: '增加子项目' }).click();
    await dialog.getByLabel('调整事项1子项目名称').fill('预算处专项');
    await dialog.getByLabel('调整事项1承担组织').click();
    await committee.getByRole('option', { name: /^预算处党支部/ }).click();
    await screenshot(committee, 'dispatch-dialog-phone');
    await expectAxeClean(committee);
    expect(await horizontalOverflow(committee)).toBeLessThanOrEqual(1);
    await dialog.getByRole('button', { name: '取消' }).click();

    // The lead secretary's dialogs on the same project: 1+N with the org pickers, the rubric form.
    const lead = await as('u-sec-oc1', PHONE);
    await openProject(lead, ids.inProgress);
    await actions(lead).getByRole('button', { name: '1+N 分解' }).click();
    const split = lead.getByRole('dialog');
    await split.getByLabel('子项目1名称').fill('办公室专项');
    await split.getByLabel('子项目1承担组织').click();
    await lead.getByRole('option', { name: '办公室党支部' }).click();
    await lead.getByRole('option', { name: '办公室党支部' }).waitFor({ state: 'hidden' });
    await expect.poll(() => split.getByLabel('子项目1负责书记').inputValue()).toBe('办公室党支部书记（u-sec-b2）');
    await screenshot(lead, 'decompose-dialog-phone');
    await expectAxeClean(lead);
    await split.getByRole('button', { name: '取消' }).click();
    await split.waitFor({ state: 'hidden' });
    await actions(lead).getByRole('button', { name: '项目自评' }).click();
    await expect.poll(() => lead.getByRole('dialog').getByText('目标完成（满分60分）').isVisible()).toBe(true);
    await screenshot(lead, 'self-assessment-dialog-phone');
    await expectAxeClean(lead);
    expect(await horizontalOverflow(lead)).toBeLessThanOrEqual(1);
    await lead.getByRole('dialog').getByRole('button', { name: '取消' }).click();
  });

  it('no page logged a console error', () => {
    expect(errors).toEqual([]);
  });
});
