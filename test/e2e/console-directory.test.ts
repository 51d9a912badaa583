/**
 * The committee's directory pages in a real browser (Debian's Chromium through playwright-core)
 * against a test instance of the whole app on the real Temporal and PostgreSQL: 组织管理 (a child
 * org, its secretary through a handover), 用户管理 (a new user with a one-time password that signs
 * in, a duplicate username refused beside the field, disable and enable, a refusal of disabling a
 * secretary), 批量导入 (a workbook with a bad row: the row's error, apply disabled; the corrected
 * file: clean, applied, the imported org and user in the tree and the table). A secretary sees none
 * of these pages and the server refuses them their actions. Each page at laptop and phone width:
 * screenshots, axe-core, no horizontal scroll, no console error.
 */
import ExcelJS from 'exceljs';
import type { Locator, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { headers } from '../../directory-io/records';
import { SHEETS, type SheetKey } from '../../directory-io/sheets';
import { compressedCycle } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';
import { waitUntil } from '../helpers/wait';
import { PHONE, screenshot, seriousViolations } from './browser';
import { useConsole } from './console-session';

const PASSWORD = 'Directory-e2e-2026';
const LOGINS: Record<string, string> = { 'u-committee': 'gongwei', 'u-sec-oc1': 'zhang.oc1' };
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** A workbook in the import format with these data rows (row 2 on). */
async function workbook(sheets: Partial<Record<SheetKey, (string | null)[][]>>): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  for (const [key, rows] of Object.entries(sheets) as [SheetKey, (string | null)[][]][]) {
    const ws = wb.addWorksheet(SHEETS[key].title);
    ws.addRow(headers(key));
    for (const r of rows) ws.addRow(r);
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

function multipart(filename: string, content: Buffer) {
  const boundary = `----directory${Math.random().toString(16).slice(2)}`;
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${XLSX_TYPE}\r\n\r\n`),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

describe('the committee’s directory pages in Chromium', () => {
  const cycle = compressedCycle(`cy-dir-e2e-${Date.now().toString(36)}`, Date.now());
  const h = useHarness({ name: 'console_directory', cycle, app: { rateLimitPerMinute: 100_000 } });
  const { base, as, errors, people } = useConsole(h, { logins: LOGINS, password: PASSWORD });
  const violations: Record<string, unknown> = {};
  let firstPassword = '';

  afterEach(async (context) => {
    if (context.task.result?.state !== 'fail') return;
    // What the browser showed when a step failed, beside the other screenshots.
    for (const [key, person] of Object.entries(people)) await screenshot(person.page, `failure-directory-${key.replace(/[^\w-]/g, '_')}`).catch(() => undefined);
  });
  /** Screenshot and axe-core of the page as it is; violations are collected and checked at the end. */
  async function record(page: Page, name: string) {
    await page.waitForLoadState('networkidle');
    // A dialog still fading in would be measured half transparent, a button under the mouse in its hover colour.
    await page.mouse.move(0, 0);
    await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'));
    await screenshot(page, name);
    const found = await seriousViolations(page);
    if (found.length) violations[name] = found;
  }
  /** Picks an option of the Element Plus select labelled `label` inside `scope`. */
  async function pick(page: Page, scope: Locator, label: string, option: string) {
    // A person clicks the select's box (its placeholder lies over the labelled input).
    await scope.locator('.el-select').filter({ has: page.getByLabel(label, { exact: true }) }).locator('.el-select__wrapper').click();
    await page.getByRole('option', { name: option, exact: true }).click();
  }
  const dialog = (page: Page, title: string) => page.getByRole('dialog', { name: title });
  /** The error shown under the form item labelled `label`. */
  const fieldError = (scope: Locator, label: string) =>
    scope.locator('.el-form-item').filter({ has: scope.page().locator(`label:text-is("${label}")`) }).locator('.el-form-item__error');
  const usersRow = (page: Page, text: string) => page.getByTestId('users').locator('.el-table__body tr').filter({ hasText: text });

  it('the committee creates a child org in the tree', async () => {
    const page = await as('u-committee');
    await page.getByRole('menuitem', { name: '组织管理' }).click();
    await page.waitForURL(/\/app\/orgs$/);
    await expect.poll(() => page.getByTestId('org-node-org-oc1').isVisible()).toBe(true);
    await expect.poll(() => page.getByTestId('org-node-org-oc1').textContent()).toContain('书记：市财政局机关党委书记');
    await record(page, 'orgs-laptop');

    // The tree by keyboard: a focused item is selected with Enter.
    await page.locator('.el-tree-node[data-key="org-u2"]').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('org-detail').textContent()).toContain('市教育局党组');
    await page.getByTestId('org-node-org-oc1').click();
    await expect.poll(() => page.getByTestId('org-detail').textContent()).toContain('市财政局机关党委');
    await page.getByRole('button', { name: '新建下级组织' }).click();
    const create = dialog(page, '新建下级组织');
    await expect.poll(() => create.textContent()).toContain('新组织类型：党支部');
    // A duplicate id is refused by the server, beside the id.
    await create.getByLabel('组织编号').fill('org-b1');
    await create.getByLabel('组织名称').fill('绩效处党支部');
    await create.getByRole('button', { name: '确定' }).click();
    await expect.poll(() => fieldError(create, '组织编号').textContent()).toBe('组织编号 org-b1 已存在。');
    await create.getByLabel('组织编号').fill('org-b9');
    await record(page, 'orgs-create-dialog-laptop');
    await create.getByRole('button', { name: '确定' }).click();
    await create.waitFor({ state: 'hidden' });
    await expect.poll(() => page.getByTestId('org-node-org-b9').textContent()).toContain('绩效处党支部');
    await expect.poll(() => page.getByTestId('org-node-org-b9').textContent()).toContain('书记：未设置');

    const org = await h.get('u-committee', '/orgs/org-b9');
    expect(org.statusCode).toBe(200);
    expect(org.json()).toMatchObject({ parentId: 'org-oc1', kind: 'branch', name: '绩效处党支部', secretaryId: null, closed: false });
  });

  it('creates a secretary user for it (the one-time password is shown once and signs in); a duplicate username is refused beside the field', async () => {
    const page = await as('u-committee');
    await page.getByRole('menuitem', { name: '用户管理' }).click();
    await page.waitForURL(/\/app\/users$/);
    await expect.poll(() => usersRow(page, '预算处党员').count()).toBe(1);
    await record(page, 'users-laptop');

    await page.getByRole('button', { name: '新建用户' }).click();
    const create = dialog(page, '新建用户');
    await create.getByLabel('用户编号').fill('u-sec-b9');
    await create.getByLabel('姓名').fill('王绩效');
    await pick(page, create, '角色', '书记');
    await pick(page, create, '所属组织', '绩效处党支部');
    await create.getByLabel('用户名').fill('wang.b9');
    await record(page, 'users-create-dialog-laptop');
    await create.getByRole('button', { name: '确定' }).click();
    const shown = dialog(page, '一次性密码');
    const password = (await shown.getByTestId('one-time-password').textContent())?.trim() ?? '';
    expect(password.length).toBeGreaterThanOrEqual(8);
    firstPassword = password;
    await shown.getByRole('button', { name: '我已记下' }).click();
    await shown.waitFor({ state: 'hidden' });
    await expect.poll(() => usersRow(page, '王绩效').textContent()).toContain('wang.b9');
    await expect.poll(() => usersRow(page, '王绩效').textContent()).toContain('绩效处党支部');
    await expect.poll(() => usersRow(page, '王绩效').textContent()).toContain('待改密码');
    // The password on the screen is the user's: it signs in (and must be changed first).
    const signIn = await h.app.inject({ method: 'POST', url: '/auth/sign-in', payload: { login: 'wang.b9', password } });
    expect(signIn.statusCode, signIn.body).toBe(200);
    expect((await h.get('u-committee', '/users/u-sec-b9')).json()).toMatchObject({ role: 'secretary', orgId: 'org-b9', username: 'wang.b9', mustChangePassword: true, disabled: false });

    // The same username for someone else: the server's own Chinese detail, under 用户名.
    const refused = await h.post('u-committee', '/users', { id: 'u-dup-probe', name: '重复', role: 'member', orgId: 'org-b9', username: 'WANG.b9' });
    expect(refused.statusCode).toBe(409);
    const detail = refused.json().detail as string;
    expect(detail).toContain('wang.b9');
    await page.getByRole('button', { name: '新建用户' }).click();
    await create.getByLabel('用户编号').fill('u-dup');
    await create.getByLabel('姓名').fill('重复');
    await pick(page, create, '角色', '党员');
    await pick(page, create, '所属组织', '绩效处党支部');
    await create.getByLabel('用户名').fill('WANG.b9');
    await create.getByRole('button', { name: '确定' }).click();
    await expect.poll(() => fieldError(create, '用户名').textContent()).toBe(detail);
    await screenshot(page, 'users-duplicate-username-laptop');
    await create.getByRole('button', { name: '取消' }).click();
    await create.waitFor({ state: 'hidden' });
    expect((await h.get('u-committee', '/users/u-dup')).statusCode).toBe(404);
  });

  it('hands the new org over to its secretary (交接) and renames it (a sibling’s name refused beside the field); closing an org with people is refused', async () => {
    const page = await as('u-committee');
    await page.goto(`${base()}/app/orgs`);
    await page.getByTestId('org-node-org-b9').click();
    await page.getByRole('button', { name: '更换书记（交接）' }).click();
    const change = dialog(page, '更换书记（交接）');
    // Nothing chosen: said beside the field before anything is sent.
    await change.getByRole('button', { name: '确定' }).click();
    await expect.poll(() => fieldError(change, '新书记').textContent()).toBe('请选择新书记');
    await pick(page, change, '新书记', '王绩效（书记）');
    await change.getByRole('button', { name: '确定' }).click();
    // The org had no secretary: nobody to hand over from, so the dialog closes with the change made.
    await change.waitFor({ state: 'hidden' });
    await expect.poll(() => page.getByTestId('orgs-notice').textContent()).toContain('书记已更换为王绩效');
    await expect.poll(() => page.getByTestId('org-node-org-b9').textContent()).toContain('书记：王绩效');
    expect((await h.get('u-committee', '/orgs/org-b9')).json()).toMatchObject({ secretaryId: 'u-sec-b9', secretaryName: '王绩效' });

    // Renaming: a sibling's name is refused beside the name; a new one shows in the tree.
    await page.getByRole('button', { name: '编辑' }).click();
    const edit = dialog(page, '编辑组织');
    await edit.getByLabel('组织名称').fill('预算处党支部');
    await edit.getByRole('button', { name: '确定' }).click();
    await expect.poll(() => fieldError(edit, '组织名称').textContent()).toContain('已有同名组织“预算处党支部”');
    await edit.getByLabel('组织名称').fill('绩效管理处党支部');
    await edit.getByRole('button', { name: '确定' }).click();
    await edit.waitFor({ state: 'hidden' });
    await expect.poll(() => page.getByTestId('org-node-org-b9').textContent()).toContain('绩效管理处党支部');
    expect((await h.get('u-committee', '/orgs/org-b9')).json().name).toBe('绩效管理处党支部');

    // Closing an org that still has people is refused, with the server's reason in the dialog.
    await page.getByTestId('org-node-org-b1').click();
    await page.getByRole('button', { name: '撤销' }).click();
    const close = dialog(page, '撤销组织');
    await close.getByRole('button', { name: '确定' }).click();
    await expect.poll(() => close.getByRole('alert').textContent()).toContain('在用人员');
    await close.getByRole('button', { name: '取消' }).click();
    expect((await h.get('u-committee', '/orgs/org-b1')).json().closed).toBe(false);
  });

  it('hands an org over from a secretary who leads a project: the dialog shows the project handed over to the new one', async () => {
    const projectId = await h.propose('u-sec-b1', cycle, '预算绩效“红色引擎”项目');
    await waitUntil('the draft in the read model', async () => (await h.db.selectFrom('projects').select('id').where('id', '=', projectId).executeTakeFirst()) ?? undefined);
    const created = await h.post('u-committee', '/users', { id: 'u-sec-b1-new', name: '钱预算', role: 'secretary', orgId: 'org-b1' });
    expect(created.statusCode, created.body).toBe(201);

    const page = await as('u-committee');
    await page.goto(`${base()}/app/orgs`);
    await page.getByTestId('org-node-org-b1').click();
    await page.getByRole('button', { name: '更换书记（交接）' }).click();
    const change = dialog(page, '更换书记（交接）');
    await pick(page, change, '新书记', '钱预算（书记）');
    await change.getByRole('button', { name: '确定' }).click();
    await expect.poll(() => change.getByTestId('handover-result').textContent()).toContain(`已移交项目 1 个：${projectId}`);
    await expect.poll(() => change.textContent()).toContain('书记已由预算处党支部书记更换为钱预算');
    await screenshot(page, 'orgs-handover-laptop');
    await change.getByRole('button', { name: '关闭', exact: true }).click();
    await expect.poll(() => page.getByTestId('org-node-org-b1').textContent()).toContain('书记：钱预算');
    await waitUntil('the project led by the new secretary', async () => {
      const project = (await h.get('u-committee', `/projects/${projectId}`)).json();
      return project.leadSecretaryId === 'u-sec-b1-new' ? project : undefined;
    });
  });

  it('disables and re-enables a user; disabling a secretary is refused with the server’s reason', async () => {
    const page = await as('u-committee');
    await page.goto(`${base()}/app/users`);
    await usersRow(page, '预算处党员').getByRole('button', { name: '停用' }).click();
    const disable = dialog(page, '停用用户');
    await disable.getByLabel('原因（可选，记入安全日志）').fill('借调外单位');
    await disable.getByRole('button', { name: '确定' }).click();
    await disable.waitFor({ state: 'hidden' });
    await expect.poll(() => usersRow(page, '预算处党员').textContent()).toContain('已停用');
    expect((await h.get('u-committee', '/users/u-member-b1')).json().disabled).toBe(true);

    await usersRow(page, '预算处党员').getByRole('button', { name: '启用' }).click();
    const enable = dialog(page, '启用用户');
    await enable.getByRole('button', { name: '确定' }).click();
    await enable.waitFor({ state: 'hidden' });
    await expect.poll(() => usersRow(page, '预算处党员').textContent()).toContain('在用');
    expect((await h.get('u-committee', '/users/u-member-b1')).json().disabled).toBe(false);

    await usersRow(page, '办公室党支部书记').getByRole('button', { name: '停用' }).click();
    await disable.getByRole('button', { name: '确定' }).click();
    await expect.poll(() => disable.getByRole('alert').textContent()).toContain('请先为该组织更换书记');
    await disable.getByRole('button', { name: '取消' }).click();
    expect((await h.get('u-committee', '/users/u-sec-b2')).json().disabled).toBe(false);
  });

  it('edits a user (a refusal beside 角色), resets a password (the new one is shown once and signs in) and sets an inspector’s assignments', async () => {
    const page = await as('u-committee');
    await page.goto(`${base()}/app/users`);
    await usersRow(page, '王绩效').getByRole('button', { name: '编辑' }).click();
    const edit = dialog(page, '编辑用户');
    expect(await edit.getByLabel('用户编号').isDisabled()).toBe(true);
    // A secretary of an org cannot stop being one by a change of role: the server's reason, under 角色.
    const refused = await h.app.inject({ method: 'PATCH', url: '/users/u-sec-b9', headers: h.as('u-committee'), payload: { role: 'member' } });
    expect(refused.statusCode).toBe(409);
    await pick(page, edit, '角色', '党员');
    await edit.getByRole('button', { name: '确定' }).click();
    await expect.poll(() => fieldError(edit, '角色').textContent()).toBe(refused.json().detail);
    await pick(page, edit, '角色', '书记');
    await edit.getByLabel('姓名').fill('王绩效二');
    await edit.getByLabel('手机号').fill('139 1234 5678');
    await edit.getByRole('button', { name: '确定' }).click();
    await edit.waitFor({ state: 'hidden' });
    await expect.poll(() => usersRow(page, '王绩效二').textContent()).toContain('13912345678');
    expect((await h.get('u-committee', '/users/u-sec-b9')).json()).toMatchObject({ name: '王绩效二', role: 'secretary', mobile: '13912345678' });

    await usersRow(page, '王绩效二').getByRole('button', { name: '重置密码' }).click();
    await dialog(page, '重置密码').getByRole('button', { name: '确定' }).click();
    const shown = dialog(page, '一次性密码');
    const password = (await shown.getByTestId('one-time-password').textContent())?.trim() ?? '';
    expect(password).not.toBe(firstPassword);
    await shown.getByRole('button', { name: '我已记下' }).click();
    await shown.waitFor({ state: 'hidden' });
    const signIn = (pw: string) => h.app.inject({ method: 'POST', url: '/auth/sign-in', payload: { login: 'wang.b9', password: pw } });
    expect((await signIn(firstPassword)).statusCode).toBe(401);
    expect((await signIn(password)).statusCode).toBe(200);

    await usersRow(page, 'u-inspector').getByRole('button', { name: '督查分工' }).click();
    const assignments = dialog(page, '督查分工');
    await expect.poll(() => assignments.textContent()).toContain('已选：市直机关工委');
    await pick(page, assignments, '督查的组织', '市教育局党组');
    await expect.poll(() => assignments.textContent()).toContain('已选：市直机关工委、市教育局党组');
    await assignments.getByText('负责督查的组织').click(); // a multiple select stays open until one clicks elsewhere
    await assignments.getByRole('button', { name: '确定' }).click();
    await assignments.waitFor({ state: 'hidden' });
    await expect.poll(() => page.getByTestId('users-notice').textContent()).toContain('督查分工（2 个组织）');
    const stored = (await h.get('u-committee', '/inspector-assignments?inspector=u-inspector')).json().items.map((a: { orgId: string }) => a.orgId);
    expect(stored.sort()).toEqual(['org-committee', 'org-u2']);
  });

  it('imports a workbook: a bad row shows its sheet, row, column and message and apply stays disabled; the corrected file applies', async () => {
    const page = await as('u-committee');
    await page.getByRole('menuitem', { name: '批量导入' }).click();
    await page.waitForURL(/\/app\/import$/);
    await record(page, 'import-laptop');

    const orgs = [['org-b10', 'org-oc1', '党支部', '档案处党支部', 'u-b10', null]];
    const bad = await workbook({
      orgs,
      users: [
        ['u-b10', '李档案', '书记', 'org-b10', 'li.b10', null, null],
        ['u-b10m', '赵档案', '队长', 'org-b10', null, null, null],
      ],
    });
    const body = multipart('bad.xlsx', bad);
    const expected = await h.post('u-committee', '/directory/import?dryRun=true', body.payload, body.headers);
    expect(expected.statusCode).toBe(200);
    const apiErrors = expected.json().errors as { sheet: string; row: number; column: string; message: string }[];
    expect(apiErrors).toContainEqual(expect.objectContaining({ sheet: '人员', row: 3, column: '角色' }));

    await page.locator('#import-file').setInputFiles({ name: 'directory-bad.xlsx', mimeType: XLSX_TYPE, buffer: bad });
    await expect.poll(() => page.getByTestId('import-progress').getAttribute('aria-valuenow')).toBe('100');
    const errorRows = page.getByTestId('import-errors').locator('.el-table__body tr');
    await expect.poll(() => errorRows.count()).toBe(apiErrors.length);
    for (const e of apiErrors) {
      const cells = (await errorRows.filter({ hasText: e.message }).locator('td').allTextContents()).map((t) => t.trim());
      expect(cells).toEqual([e.sheet, String(e.row), e.column, e.message]);
    }
    expect(await page.getByTestId('import-apply').isDisabled()).toBe(true);
    await record(page, 'import-errors-laptop');

    const good = await workbook({
      orgs,
      users: [
        ['u-b10', '李档案', '书记', 'org-b10', 'li.b10', null, null],
        ['u-b10m', '赵档案', '党员', 'org-b10', null, null, null],
      ],
    });
    await page.locator('#import-file').setInputFiles({ name: 'directory-good.xlsx', mimeType: XLSX_TYPE, buffer: good });
    await expect.poll(() => page.getByTestId('import-clean').isVisible()).toBe(true);
    await expect.poll(() => page.getByTestId('import-changes').textContent()).toContain('1（org-b10）');
    await expect.poll(() => page.getByTestId('import-changes').textContent()).toMatch(/2（u-b10(m)?、u-b10(m)?）/);
    expect((await h.get('u-committee', '/orgs/org-b10')).statusCode).toBe(404); // a dry run changes nothing
    await expect.poll(() => page.getByTestId('import-apply').isEnabled()).toBe(true);
    await page.getByTestId('import-apply').click();
    await expect.poll(() => page.getByTestId('import-applied').isVisible()).toBe(true);
    await expect.poll(() => page.getByTestId('import-result').textContent()).toContain('已导入的变更');
    expect(await page.getByTestId('import-apply').isDisabled()).toBe(true);

    expect((await h.get('u-committee', '/orgs/org-b10')).json()).toMatchObject({ parentId: 'org-oc1', kind: 'branch', name: '档案处党支部', secretaryId: 'u-b10' });

    // One sheet as CSV: which sheet it is must be said (beside that field), then it is checked.
    const csv = Buffer.from(`\uFEFF${headers('users').join(',')}\r\nu-b10m,赵档案（借调）,党员,org-b10,,,\r\n`);
    await page.locator('#import-file').setInputFiles({ name: 'users.csv', mimeType: 'text/csv', buffer: csv });
    await expect.poll(() => page.getByText('CSV 文件只含一张表，请选择它是哪一张').isVisible()).toBe(true);
    await pick(page, page.locator('main'), 'CSV 对应的工作表（上传 .xlsx 时不需要）', '人员');
    await expect.poll(() => page.getByTestId('import-clean').isVisible()).toBe(true);
    await expect.poll(() => page.getByTestId('import-changes').textContent()).toContain('1（u-b10m）');
    expect((await h.get('u-committee', '/users/u-b10m')).json().name).toBe('赵档案'); // checked, not applied
    expect((await h.get('u-committee', '/users/u-b10')).json()).toMatchObject({ name: '李档案', role: 'secretary', orgId: 'org-b10', username: 'li.b10' });

    await page.getByRole('menuitem', { name: '组织管理' }).click();
    await expect.poll(() => page.getByTestId('org-node-org-b10').textContent()).toContain('书记：李档案');
    await page.getByRole('menuitem', { name: '用户管理' }).click();
    await page.getByLabel('姓名、编号、用户名或手机号').fill('档案');
    await page.getByRole('button', { name: '查询' }).click();
    await expect.poll(() => page.getByTestId('users').locator('.el-table__body tr').count()).toBe(2);
    await expect.poll(() => usersRow(page, '李档案').textContent()).toContain('档案处党支部');
  });

  it('the three pages at phone width: screenshots, axe-core, no horizontal page scroll', async () => {
    const page = await as('u-committee', PHONE);
    for (const name of ['orgs', 'users', 'import']) {
      await page.goto(`${base()}/app/${name}`);
      await page.locator(`#${name}-title`).waitFor();
      if (name === 'orgs') await page.getByTestId('org-node-org-b10').waitFor();
      if (name === 'users') await usersRow(page, '王绩效').waitFor();
      await record(page, `${name}-phone`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, name).toBeLessThanOrEqual(1);
    }
    await page.goto(`${base()}/app/users`);
    await page.getByRole('button', { name: '新建用户' }).click();
    await dialog(page, '新建用户').getByLabel('用户编号').waitFor();
    await record(page, 'users-create-dialog-phone');
  });

  it('a secretary sees none of these pages, is sent away from them, and the server refuses their actions', async () => {
    const page = await as('u-sec-oc1');
    await expect.poll(() => page.getByRole('menuitem', { name: '项目列表' }).isVisible()).toBe(true);
    for (const name of ['组织管理', '用户管理', '批量导入']) expect(await page.getByRole('menuitem', { name }).count(), name).toBe(0);
    for (const path of ['/app/orgs', '/app/users', '/app/import']) {
      await page.goto(`${base()}${path}`);
      await page.waitForURL(/\/app\/tasks$/);
    }
    const org = await h.post('u-sec-oc1', '/orgs', { id: 'org-b11', parentId: 'org-oc1', kind: 'branch', name: '书记自建支部' });
    expect(org.statusCode).toBe(403);
    expect(org.json().detail).toContain('工委');
    expect((await h.post('u-sec-oc1', '/users', { id: 'u-x', name: '自建', role: 'member', orgId: 'org-oc1' })).statusCode).toBe(403);
    expect((await h.post('u-sec-oc1', '/users/u-member-b1/disable', {})).statusCode).toBe(403);
    expect((await h.get('u-sec-oc1', '/directory/template.xlsx')).statusCode).toBe(403);
    expect((await h.get('u-committee', '/orgs/org-b11')).statusCode).toBe(404);
  });

  it('no serious or critical axe-core violation on any page', () => {
    expect(violations).toEqual({});
  });

  it('no page logged a console error (beyond the browser’s own log line of each refusal the tests provoke)', () => {
    // Chromium logs every 4xx answer as “Failed to load resource”: here the six refusals above
    // (duplicate org id, duplicate username, a sibling's name, closing an org with people, disabling a secretary,
    // a secretary's change of role).
    const refusals = errors.filter((e) => /Failed to load resource: the server responded with a status of 409/.test(e.text));
    expect(errors.filter((e) => !refusals.includes(e))).toEqual([]);
    expect(refusals.map((e) => new URL(e.page).pathname)).toEqual(['/app/orgs', '/app/users', '/app/orgs', '/app/orgs', '/app/users', '/app/users']);
  });
});
