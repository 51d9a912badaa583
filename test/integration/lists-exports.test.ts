/**
 * The lists and exports people work from, driven through the API on projects whose ledger entries
 * come from recorded inspections:
 *
 * - GET /ledger: every filter (cycle, unit, org, responsible, status, quarter, overdue) and paging;
 *   `overdue=true` lists exactly the entries the committee figures count as overdue;
 * - the exports (.xlsx read back with exceljs, CSV parsed back) equal their JSON routes: Chinese
 *   headers, a frozen header row, numbers as numbers, dates as dates, a BOM, an RFC 5987 file name;
 * - problem lists (问题清单) with the projects linking each problem; annual task lists (年度攻坚清单)
 *   with indicator progress; the cycle list;
 * - an authorisation matrix over these routes for each cast user and no token: each sees only
 *   what their role and orgs allow; refusals (401/403/404) change nothing.
 */
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { compressedCycle, proposal } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';
import { waitUntil } from '../helpers/wait';

type Json = any;

async function workbookOf(response: LightMyRequestResponse): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(response.rawPayload as unknown as ArrayBuffer);
  return workbook;
}

/** A worksheet as header → cell value records (exceljs leaves empty cells undefined). */
function records(ws: ExcelJS.Worksheet): { headers: string[]; rows: Record<string, unknown>[] } {
  const headers = (ws.getRow(1).values as unknown[]).slice(1).map(String);
  const rows: Record<string, unknown>[] = [];
  for (let r = 2; r <= ws.rowCount; r++) {
    const row = ws.getRow(r);
    rows.push(Object.fromEntries(headers.map((h, i) => [h, row.getCell(i + 1).value ?? null])));
  }
  return { headers, rows };
}

function csvRecords(response: LightMyRequestResponse): { headers: string[]; rows: Record<string, string>[] } {
  const bytes = response.rawPayload;
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const table = parse(bytes.subarray(3).toString('utf8')) as string[][];
  return { headers: table[0], rows: table.slice(1).map((r) => Object.fromEntries(table[0].map((h, i) => [h, r[i]]))) };
}

/** The Beijing wall-clock date (and time) a spreadsheet shows for a deadline. */
function shown(deadline: string): { date: Date; text: string } {
  if (/^\d{4}-\d{2}-\d{2}$/.test(deadline)) return { date: new Date(`${deadline}T00:00:00.000Z`), text: deadline };
  const wall = new Date(Date.parse(deadline) + 8 * 3600_000);
  return { date: wall, text: wall.toISOString().slice(0, 19).replace('T', ' ') };
}

describe('lists and exports', () => {
  // Every calendar deadline hours away: no timer changes a project while the file runs.
  const cycle = compressedCycle('cy-lists', Date.now() + 3 * 3600 * 1000);
  const h = useHarness({ name: 'lists', cycle, app: { rateLimitPerMinute: 1_000_000 } });
  const year = cycle.year;
  const endOfYear = `${year}-12-31`;

  const call = (userId: string | null, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    h.app.inject({ method, url, headers: userId ? h.as(userId) : {}, ...(method === 'GET' ? {} : { payload: payload ?? {} }) });
  const ok = async (userId: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object): Promise<Json> => {
    const response = await call(userId, method, url, payload);
    expect(response.statusCode, `${method} ${url}: ${response.body}`).toBeLessThan(300);
    return response.json();
  };

  let passedAt = 0;
  const ids = { a: '', b: '', child: '', draft: '', problem: '' };
  /** Ledger entry ids by the problem text given at the inspection. */
  const entry: Record<string, string> = {};

  /** A project of `lead` taken to in progress (submitted, approved by the committee, letter signed). */
  async function inProgress(lead: string, title: string): Promise<string> {
    const { title: _t, ...rest } = proposal(year, title);
    const project = await ok(lead, 'POST', '/projects', { cycleId: cycle.cycleId, title, ...rest });
    await ok(lead, 'POST', `/projects/${project.id}/submit`);
    await ok('u-committee', 'POST', `/projects/${project.id}/review`, { decision: 'approve' });
    await ok(lead, 'POST', `/projects/${project.id}/letter`, { text: '本人承诺履行第一责任人职责' });
    return project.id;
  }

  beforeAll(async () => {
    ids.a = await inProgress('u-sec-oc1', '财政局助企攻坚项目');
    ids.b = await inProgress('u-sec-oc2', '教育局强基项目');
    // Due a few seconds after the inspection that records it (a deadline in the past is refused).
    passedAt = Date.now() + 3_000;
    await ok('u-inspector', 'POST', `/projects/${ids.a}/inspections/1`, {
      rating: 'lagging',
      findings: ['进度滞后'],
      problems: [
        { problem: '走访台账不全', responsibleOrgId: 'org-oc1', responsiblePersonId: 'u-sec-oc1', measures: '补齐走访台账', deadline: new Date(passedAt).toISOString() },
        { problem: '支部学习记录缺失', responsibleOrgId: 'org-b1', responsiblePersonId: 'u-sec-b1', measures: '补记学习记录', deadline: endOfYear },
      ],
    });
    await ok('u-inspector', 'POST', `/projects/${ids.b}/inspections/2`, {
      rating: 'on_track',
      findings: ['总体按期'],
      problems: [
        { problem: '宣传材料不足', responsibleOrgId: 'org-oc2', responsiblePersonId: 'u-sec-oc2', measures: '补充宣传材料', deadline: endOfYear },
        { problem: '基教处调研未完成', responsibleOrgId: 'org-b3', responsiblePersonId: 'u-sec-b3', measures: '完成调研', deadline: endOfYear },
      ],
    });
    // Indicator progress for the annual task list: 10 of 20 visits.
    await ok('u-sec-oc1', 'POST', `/projects/${ids.a}/evidence`, { quarter: 1, text: '一季度走访10家企业', files: [], indicatorActuals: [{ indicatorId: 'i-visits', actual: 10 }] });
    const decomposed = await ok('u-sec-oc1', 'POST', `/projects/${ids.a}/decompose`, { children: [{ orgId: 'org-b1', secretaryId: 'u-sec-b1', title: '预算处支部子项目' }] });
    ids.child = decomposed.children[0].id;

    // A problem on org-oc1's list, and a problem-oriented draft linking it.
    const problem = await ok('u-sec-oc1', 'POST', '/orgs/org-oc1/problems', { title: '服务企业渠道不畅', detail: '企业反映办事环节多', source: '督查', cycleId: cycle.cycleId });
    ids.problem = problem.id;
    const { title: _t, ...rest } = proposal(year, '问题导向攻坚项目');
    ids.draft = (await ok('u-sec-oc1', 'POST', '/projects', { cycleId: cycle.cycleId, title: '问题导向攻坚项目', ...rest, orientation: 'problem', problemIds: [problem.id] })).id;

    await waitUntil(
      'every ledger entry, the evidence, the sub-project and the draft persisted',
      async () => {
        const entries = await h.db.selectFrom('ledger_entries').select(['id', 'problem']).execute();
        const actual = await h.db.selectFrom('project_indicators').select('actual').where('project_id', '=', ids.a).where('id', '=', 'i-visits').executeTakeFirst();
        const child = await h.db.selectFrom('projects').select('id').where('id', '=', ids.child).executeTakeFirst();
        const draft = await h.db.selectFrom('projects').select('id').where('id', '=', ids.draft).executeTakeFirst();
        return entries.length === 4 && actual?.actual === 10 && child && draft ? entries : undefined;
      },
      30_000,
      100,
    ).then((entries) => entries.forEach((e) => (entry[e.problem] = e.id)));
    while (Date.now() <= passedAt + 200) await new Promise((r) => setTimeout(r, 100));
  });

  const ledgerIds = async (userId: string, query: string): Promise<string[]> => (await ok(userId, 'GET', `/ledger?${query}`)).items.map((i: { entryId: string }) => i.entryId).sort();
  const of = (...problems: string[]) => problems.map((p) => entry[p]).sort();

  it('filters the ledger by cycle, unit, org, responsible person, status, quarter and project; pages it', async () => {
    const all = of('走访台账不全', '支部学习记录缺失', '宣传材料不足', '基教处调研未完成');
    expect(await ledgerIds('u-committee', `cycle=${cycle.cycleId}`)).toEqual(all);
    expect(await ledgerIds('u-committee', 'cycle=no-such-cycle')).toEqual([]);
    expect(await ledgerIds('u-committee', 'unit=org-u1')).toEqual(of('走访台账不全', '支部学习记录缺失'));
    expect(await ledgerIds('u-committee', 'unit=org-u2')).toEqual(of('宣传材料不足', '基教处调研未完成'));
    expect(await ledgerIds('u-committee', 'unit=no-such-org')).toEqual([]);
    expect(await ledgerIds('u-committee', 'org=org-b1')).toEqual(of('支部学习记录缺失'));
    expect(await ledgerIds('u-committee', 'responsible=u-sec-oc2')).toEqual(of('宣传材料不足'));
    expect(await ledgerIds('u-committee', 'status=open')).toEqual(all);
    expect(await ledgerIds('u-committee', 'status=closed')).toEqual([]);
    expect(await ledgerIds('u-committee', 'quarter=2')).toEqual(of('宣传材料不足', '基教处调研未完成'));
    expect(await ledgerIds('u-committee', `project=${ids.a}&quarter=1`)).toEqual(of('走访台账不全', '支部学习记录缺失'));

    const page = await ok('u-committee', 'GET', `/ledger?cycle=${cycle.cycleId}&limit=3&offset=2`);
    expect(page).toMatchObject({ total: 4, limit: 3, offset: 2 });
    expect(page.items).toHaveLength(2);
    const first = await ok('u-committee', 'GET', `/ledger?cycle=${cycle.cycleId}&limit=2`);
    expect([...first.items, ...page.items].map((i: { entryId: string }) => i.entryId).sort()).toEqual(all);

    const item = (await ok('u-committee', 'GET', `/ledger?org=org-b1`)).items[0];
    expect(item).toMatchObject({
      projectId: ids.a,
      cycleId: cycle.cycleId,
      projectTitle: '财政局助企攻坚项目',
      projectOrgName: '市财政局机关党委',
      responsibleOrgName: '预算处党支部',
      responsiblePersonId: 'u-sec-b1',
      responsiblePersonName: '预算处党支部书记',
      deadline: endOfYear,
      status: 'open',
      statusLabel: '待整改',
      quarter: 1,
      quarterLabel: '第一季度',
      overdue: false,
    });
  });

  it('overdue=true lists exactly what the figures count as overdue (one definition); overdue=false the rest', async () => {
    const asOf = new Date().toISOString();
    const overdue = await ok('u-committee', 'GET', `/ledger?cycle=${cycle.cycleId}&overdue=true&asOf=${encodeURIComponent(asOf)}`);
    const figures = await ok('u-committee', 'GET', `/cycles/${cycle.cycleId}/figures?asOf=${encodeURIComponent(asOf)}`);
    expect(overdue.items.map((i: { entryId: string }) => i.entryId)).toEqual(of('走访台账不全'));
    expect(figures.overdueLedger.map((i: { entryId: string }) => i.entryId).sort()).toEqual(overdue.items.map((i: { entryId: string }) => i.entryId).sort());
    expect(overdue.total).toBe(figures.totals.ledger.overdue);
    expect(overdue.items.every((i: { overdue: boolean }) => i.overdue)).toBe(true);
    expect(await ledgerIds('u-committee', `cycle=${cycle.cycleId}&overdue=false`)).toEqual(of('支部学习记录缺失', '宣传材料不足', '基教处调研未完成'));
    // Before its deadline passed, the same entry was not overdue.
    const earlier = new Date(passedAt - 60_000).toISOString();
    expect(await ledgerIds('u-committee', `overdue=true&asOf=${encodeURIComponent(earlier)}`)).toEqual([]);
    // Paging applies after the overdue judgement.
    expect(await ok('u-committee', 'GET', '/ledger?overdue=false&limit=1&offset=1')).toMatchObject({ total: 3, items: [expect.anything()] });
  });

  it('the ledger export (.xlsx and CSV) equals GET /ledger: Chinese headers, frozen row, numbers as numbers, deadlines as dates, a Chinese file name', async () => {
    const json = await ok('u-committee', 'GET', `/ledger?cycle=${cycle.cycleId}&limit=200`);
    const xlsx = await call('u-committee', 'GET', `/exports/ledger.xlsx?cycle=${cycle.cycleId}`);
    expect(xlsx.statusCode, xlsx.body).toBe(200);
    expect(xlsx.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(xlsx.headers['content-disposition']).toMatch(/^attachment; filename="ledger-\d{4}-\d{2}-\d{2}\.xlsx"; filename\*=UTF-8''%E6%95%B4%E6%94%B9%E5%8F%B0%E8%B4%A6-\d{4}-\d{2}-\d{2}\.xlsx$/);
    const ws = (await workbookOf(xlsx)).getWorksheet('整改台账');
    expect(ws).toBeDefined();
    if (!ws) return;
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    const sheet = records(ws);
    expect(sheet.headers).toEqual(['年度周期', '项目编号', '项目名称', '项目所属党组织', '问题编号', '季度', '问题', '整改措施', '责任单位', '责任人', '整改期限', '状态', '是否逾期', '整改报告次数', '退回次数', '销号时间']);
    expect(sheet.rows).toHaveLength(json.items.length);
    json.items.forEach((item: Json, n: number) => {
      const row = sheet.rows[n];
      expect(row).toMatchObject({
        年度周期: item.cycleId,
        项目编号: item.projectId,
        项目名称: item.projectTitle,
        项目所属党组织: item.projectOrgName,
        问题编号: item.entryId,
        季度: item.quarter,
        问题: item.problem,
        责任单位: item.responsibleOrgName,
        责任人: item.responsiblePersonName,
        状态: item.statusLabel,
        是否逾期: item.overdue ? '是' : '否',
        整改报告次数: item.reports,
        退回次数: item.sendBacks,
        销号时间: null,
      });
      expect(typeof row['季度']).toBe('number');
      expect(row['整改期限']).toBeInstanceOf(Date);
      expect(Math.abs((row['整改期限'] as Date).getTime() - shown(item.deadline).date.getTime())).toBeLessThan(1000);
    });

    const csv = await call('u-committee', 'GET', `/exports/ledger.csv?cycle=${cycle.cycleId}`);
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toContain("filename*=UTF-8''%E6%95%B4%E6%94%B9%E5%8F%B0%E8%B4%A6-");
    const parsed = csvRecords(csv);
    expect(parsed.headers).toEqual(sheet.headers);
    expect(parsed.rows.map((r) => [r['问题编号'], r['季度'], r['整改期限'], r['是否逾期'], r['责任人']])).toEqual(
      json.items.map((i: Json) => [i.entryId, String(i.quarter), shown(i.deadline).text, i.overdue ? '是' : '否', i.responsiblePersonName]),
    );

    // The same filters as the JSON route.
    const overdueCsv = csvRecords(await call('u-committee', 'GET', '/exports/ledger.csv?overdue=true'));
    expect(overdueCsv.rows.map((r) => r['问题编号'])).toEqual(of('走访台账不全'));
  });

  it('the project export equals GET /projects (same filters), progress and scores as numbers', async () => {
    const json = await ok('u-committee', 'GET', `/projects?cycle=${cycle.cycleId}&org=org-u1&limit=200`);
    const sheet = records((await workbookOf(await call('u-committee', 'GET', `/exports/projects.xlsx?cycle=${cycle.cycleId}&org=org-u1`))).getWorksheet('项目清单') as ExcelJS.Worksheet);
    expect(sheet.headers).toEqual(['年度周期', '项目编号', '上级项目编号', '项目名称', '党组织', '领办书记', '项目类型', '重点项目', '阶段', '完成进度', '验收得分', '验收等级']);
    expect(sheet.rows.map((r) => [r['项目编号'], r['上级项目编号'], r['项目名称'], r['完成进度']])).toEqual(json.items.map((p: Json) => [p.id, p.parentId, p.title, p.progress]));
    expect(sheet.rows.every((r) => typeof r['完成进度'] === 'number')).toBe(true);
    expect(sheet.rows.find((r) => r['项目编号'] === ids.a)).toMatchObject({ 党组织: '市财政局机关党委', 领办书记: '市财政局机关党委书记', 项目类型: '提升型', 重点项目: '是', 阶段: '实施中' });
    const csv = csvRecords(await call('u-committee', 'GET', `/exports/projects.csv?cycle=${cycle.cycleId}&org=org-u1`));
    expect(csv.rows.map((r) => [r['项目编号'], Number(r['完成进度'])])).toEqual(json.items.map((p: Json) => [p.id, p.progress]));
  });

  it('the figures export equals GET /cycles/:id/figures (units, orgs, inspections, overdue ledger); the best-of export its lists', async () => {
    const asOf = new Date().toISOString();
    const figures = await ok('u-committee', 'GET', `/cycles/${cycle.cycleId}/figures?asOf=${encodeURIComponent(asOf)}`);
    const workbook = await workbookOf(await call('u-committee', 'GET', `/exports/cycles/${cycle.cycleId}/figures.xlsx?asOf=${encodeURIComponent(asOf)}`));
    expect(workbook.worksheets.map((w) => w.name)).toEqual(['按单位', '按党组织', '季度督查', '逾期未销号']);
    const orgs = records(workbook.getWorksheet('按党组织') as ExcelJS.Worksheet);
    expect(orgs.rows.map((r) => [r['党组织编号'], r['党组织'], r['项目总数'], r['问题总数'], r['逾期未销号'], r['整改率']])).toEqual(
      figures.byOrg.map((o: Json) => [o.orgId, o.orgName, o.projects, o.ledger.total, o.ledger.overdue, o.ledger.rectificationRate]),
    );
    const units = records(workbook.getWorksheet('按单位') as ExcelJS.Worksheet);
    expect(units.rows.map((r) => [r['单位编号'], r['项目总数'], r['子项目'], r['待整改']])).toEqual(figures.byUnit.map((u: Json) => [u.unitId, u.projects, u.subProjects, u.ledger.open]));
    const inspections = records(workbook.getWorksheet('季度督查') as ExcelJS.Worksheet);
    expect(inspections.rows.map((r) => [r['季度'], r['应督查'], r['按期推进'], r['进度滞后']])).toEqual(figures.inspections.map((q: Json) => [q.quarterLabel, q.due, q.onTrack, q.lagging]));
    expect(inspections.rows.every((r) => r['佐证材料截止日期'] instanceof Date)).toBe(true);
    const overdue = records(workbook.getWorksheet('逾期未销号') as ExcelJS.Worksheet);
    expect(overdue.rows.map((r) => r['问题编号'])).toEqual(figures.overdueLedger.map((i: Json) => i.entryId));

    const csv = csvRecords(await call('u-committee', 'GET', `/exports/cycles/${cycle.cycleId}/figures.csv?table=units&asOf=${encodeURIComponent(asOf)}`));
    expect(csv.rows.map((r) => [r['单位'], Number(r['项目总数']), Number(r['整改率'])])).toEqual(figures.byUnit.map((u: Json) => [u.unitName, u.projects, u.ledger.rectificationRate]));
    const csvDefault = csvRecords(await call('u-committee', 'GET', `/exports/cycles/${cycle.cycleId}/figures.csv?asOf=${encodeURIComponent(asOf)}`));
    expect(csvDefault.rows).toHaveLength(figures.byOrg.length);

    const best = await ok('u-committee', 'GET', `/cycles/${cycle.cycleId}/best-of`);
    const bestBook = await workbookOf(await call('u-committee', 'GET', `/exports/cycles/${cycle.cycleId}/best-of.xlsx`));
    expect(bestBook.worksheets.map((w) => w.name)).toEqual(best.lists.map((l: Json) => l.title));
    for (const [n, list] of best.lists.entries()) {
      const sheet = records(bestBook.worksheets[n]);
      expect(sheet.headers).toEqual(['榜单', '名次', '项目编号', '项目名称', '党组织', '项目类型', '重点项目', '验收得分', '验收等级', '减分', '整改率', '完成进度', '验收时间']);
      expect(sheet.rows.map((r) => r['项目编号'])).toEqual(list.entries.map((e: Json) => e.projectId));
    }
    const bestCsv = await call('u-committee', 'GET', `/exports/cycles/${cycle.cycleId}/best-of.csv`);
    expect(bestCsv.statusCode).toBe(200);
    expect(csvRecords(bestCsv).headers[0]).toBe('榜单');
    expect(bestCsv.headers['content-disposition']).toContain(`filename*=UTF-8''${encodeURIComponent('双十佳-cy-lists-')}`);
    expect((await call('u-committee', 'GET', '/exports/cycles/no-such-cycle/figures.xlsx')).statusCode).toBe(404);
  });

  it('problem lists show the projects linking each problem; status and title change; annual task lists show indicator progress; cycles are listed', async () => {
    const list = await ok('u-sec-oc1', 'GET', '/orgs/org-oc1/problems');
    expect(list).toMatchObject({ orgId: 'org-oc1', orgName: '市财政局机关党委' });
    expect(list.items).toEqual([
      expect.objectContaining({
        id: ids.problem,
        title: '服务企业渠道不畅',
        detail: '企业反映办事环节多',
        source: '督查',
        status: 'open',
        cycleId: cycle.cycleId,
        createdBy: 'u-sec-oc1',
        linkedProjects: [expect.objectContaining({ projectId: ids.draft, title: '问题导向攻坚项目', orgId: 'org-oc1', stage: 'draft' })],
      }),
    ]);
    const resolved = await ok('u-committee', 'PATCH', `/problems/${ids.problem}`, { status: 'resolved' });
    expect(resolved).toMatchObject({ status: 'resolved', title: '服务企业渠道不畅', linkedProjects: [expect.objectContaining({ projectId: ids.draft })] });
    expect((await ok('u-sec-oc1', 'GET', '/orgs/org-oc1/problems?status=open')).items).toEqual([]);
    expect((await ok('u-sec-oc1', 'PATCH', `/problems/${ids.problem}`, { status: 'open', title: '服务企业渠道仍不畅' })).title).toBe('服务企业渠道仍不畅');
    expect((await call('u-sec-oc1', 'POST', '/orgs/org-oc1/problems', { title: 'x', source: '自查', cycleId: 'no-such-cycle' })).statusCode).toBe(400);

    // Another unit cannot link org-oc1's problem (nor an unknown or resolved one); a branch below org-oc1 can.
    const { title: _t, ...rest } = proposal(year, '跨单位关联项目');
    const stranger = await call('u-sec-oc2', 'POST', '/projects', { cycleId: cycle.cycleId, title: '跨单位关联项目', ...rest, orientation: 'problem', problemIds: [ids.problem] });
    expect(stranger.statusCode, stranger.body).toBe(400);
    expect(stranger.json()).toMatchObject({ rule: 'payload.problem_not_listed', field: 'problemIds.0' });
    expect((await call('u-sec-b1', 'POST', '/projects', { cycleId: cycle.cycleId, title: '未知问题项目', ...rest, orientation: 'problem', problemIds: ['PRB-none'] })).statusCode).toBe(400);
    const other = (await ok('u-sec-b1', 'POST', '/projects', { cycleId: cycle.cycleId, title: '支部关联项目', ...rest, orientation: 'problem', problemIds: [ids.problem] })).id;
    await waitUntil('the other draft persisted', () => h.db.selectFrom('projects').select('id').where('id', '=', other).executeTakeFirst(), 15_000, 100);
    const linked = async (userId: string) => (await ok(userId, 'GET', '/orgs/org-oc1/problems')).items[0].linkedProjects.map((l: { projectId: string }) => l.projectId).sort();
    expect(await linked('u-committee')).toEqual([ids.draft, other].sort());
    expect(await linked('u-sec-oc1')).toEqual([ids.draft, other].sort());
    // A draft edit is held to the same rule.
    const edit = await call('u-sec-b1', 'POST', `/projects/${other}/draft`, { problemIds: ['PRB-none'] });
    expect(edit.statusCode, edit.body).toBe(400);
    expect(edit.json().field).toBe('problemIds.0');

    const tasks = await ok('u-sec-oc1', 'GET', `/secretaries/u-sec-oc1/annual-tasks?cycle=${cycle.cycleId}`);
    expect(tasks).toMatchObject({ secretaryId: 'u-sec-oc1', orgId: 'org-oc1', orgName: '市财政局机关党委', cycleId: cycle.cycleId });
    const a = tasks.projects.find((p: Json) => p.id === ids.a);
    expect(a).toMatchObject({ title: '财政局助企攻坚项目', stage: 'in_progress', stageLabel: '实施中', isKey: true });
    expect(a.indicators).toEqual([
      expect.objectContaining({ id: 'i-satisfaction', baseline: 80, target: 95, actual: null, progress: 0 }),
      expect.objectContaining({ id: 'i-visits', baseline: 0, target: 20, actual: 10, progress: 0.5 }),
    ]);
    expect(a.subProjects).toEqual([expect.objectContaining({ id: ids.child, orgId: 'org-b1', leadSecretaryId: 'u-sec-b1', title: '预算处支部子项目' })]);
    expect(tasks.projects.map((p: Json) => p.id)).toContain(ids.draft);
    // The sub-project's secretary has it on their own list.
    // (and their own draft linking org-oc1's problem).
    expect((await ok('u-sec-b1', 'GET', `/secretaries/u-sec-b1/annual-tasks?cycle=${cycle.cycleId}`)).projects.map((p: Json) => p.id).sort()).toEqual([ids.child, other].sort());

    const cycles = await ok('u-member-b1', 'GET', '/cycles');
    expect(cycles.items).toEqual([expect.objectContaining({ id: cycle.cycleId, year, committeeOrgId: 'org-committee' })]);
  });

  // ---- Authorisation matrix ---------------------------------------------------------------------

  const CALLERS = [null, 'u-committee', 'u-inspector', 'u-auditor', 'u-sec-u1', 'u-sec-oc1', 'u-sec-b1', 'u-sec-oc2', 'u-sec-b3', 'u-member-b1'] as const;
  type Caller = (typeof CALLERS)[number];
  const CITY = new Set<Caller>(['u-committee', 'u-inspector', 'u-auditor']);

  it('each caller sees in the ledger, and in its exports, only what their role and orgs allow', async () => {
    const all = of('走访台账不全', '支部学习记录缺失', '宣传材料不足', '基教处调研未完成');
    const expected: Record<Exclude<Caller, null>, string[]> = {
      'u-committee': all,
      'u-inspector': all,
      'u-auditor': all,
      'u-sec-u1': of('走访台账不全', '支部学习记录缺失'),
      'u-sec-oc1': of('走访台账不全', '支部学习记录缺失'),
      // Responsible org and person: only the branch's own entry, not the organ committee's.
      'u-sec-b1': of('支部学习记录缺失'),
      'u-sec-oc2': of('宣传材料不足', '基教处调研未完成'),
      'u-sec-b3': of('基教处调研未完成'),
      'u-member-b1': of('支部学习记录缺失'),
    };
    const projectsSeen = async (userId: string) => (await ok(userId, 'GET', `/projects?cycle=${cycle.cycleId}&limit=200`)).items.map((p: { id: string }) => p.id).sort();
    const failures: string[] = [];
    for (const caller of CALLERS) {
      const ledger = await call(caller, 'GET', '/ledger?limit=200');
      const csv = await call(caller, 'GET', '/exports/ledger.csv');
      const xlsx = await call(caller, 'GET', '/exports/ledger.xlsx');
      const projectsCsv = await call(caller, 'GET', `/exports/projects.csv?cycle=${cycle.cycleId}`);
      if (caller === null) {
        for (const [what, r] of [['ledger', ledger], ['ledger.csv', csv], ['ledger.xlsx', xlsx], ['projects.csv', projectsCsv]] as const) if (r.statusCode !== 401) failures.push(`no token ${what}: ${r.statusCode}`);
        continue;
      }
      const seen = ledger.json().items.map((i: { entryId: string }) => i.entryId).sort();
      if (JSON.stringify(seen) !== JSON.stringify(expected[caller])) failures.push(`${caller} GET /ledger: ${seen} ≠ ${expected[caller]}`);
      const exported = csvRecords(csv).rows.map((r) => r['问题编号']).sort();
      if (JSON.stringify(exported) !== JSON.stringify(expected[caller])) failures.push(`${caller} ledger.csv: ${exported}`);
      const sheet = records((await workbookOf(xlsx)).getWorksheet('整改台账') as ExcelJS.Worksheet).rows.map((r) => String(r['问题编号'])).sort();
      if (JSON.stringify(sheet) !== JSON.stringify(expected[caller])) failures.push(`${caller} ledger.xlsx: ${sheet}`);
      const exportedProjects = csvRecords(projectsCsv).rows.map((r) => r['项目编号']).sort();
      const listed = await projectsSeen(caller);
      if (JSON.stringify(exportedProjects) !== JSON.stringify(listed)) failures.push(`${caller} projects.csv ${exportedProjects} ≠ GET /projects ${listed}`);
    }
    expect(failures).toEqual([]);
  });

  it('every route answers each caller as their role and orgs allow; refused writes change nothing', async () => {
    const problemBefore = await h.db.selectFrom('org_problems').selectAll().orderBy('id').execute();
    const matrix: { route: string; send: (caller: Caller) => Promise<LightMyRequestResponse>; allowed: (caller: Exclude<Caller, null>) => number }[] = [
      { route: 'GET /cycles', send: (c) => call(c, 'GET', '/cycles'), allowed: () => 200 },
      { route: 'GET /ledger', send: (c) => call(c, 'GET', '/ledger'), allowed: () => 200 },
      { route: 'GET /exports/cycles/:id/figures.xlsx', send: (c) => call(c, 'GET', `/exports/cycles/${cycle.cycleId}/figures.xlsx`), allowed: (c) => (CITY.has(c) ? 200 : 403) },
      { route: 'GET /exports/cycles/:id/figures.csv', send: (c) => call(c, 'GET', `/exports/cycles/${cycle.cycleId}/figures.csv`), allowed: (c) => (CITY.has(c) ? 200 : 403) },
      { route: 'GET /exports/cycles/:id/best-of.xlsx', send: (c) => call(c, 'GET', `/exports/cycles/${cycle.cycleId}/best-of.xlsx`), allowed: (c) => (CITY.has(c) ? 200 : 403) },
      { route: 'GET /exports/cycles/:id/best-of.csv', send: (c) => call(c, 'GET', `/exports/cycles/${cycle.cycleId}/best-of.csv`), allowed: (c) => (CITY.has(c) ? 200 : 403) },
      { route: 'GET /exports/projects.xlsx', send: (c) => call(c, 'GET', '/exports/projects.xlsx'), allowed: () => 200 },
      {
        route: 'GET /orgs/org-oc1/problems',
        send: (c) => call(c, 'GET', '/orgs/org-oc1/problems'),
        allowed: (c) => (CITY.has(c) || c === 'u-sec-u1' || c === 'u-sec-oc1' ? 200 : 403),
      },
      {
        route: 'GET /secretaries/u-sec-oc1/annual-tasks',
        send: (c) => call(c, 'GET', '/secretaries/u-sec-oc1/annual-tasks'),
        allowed: (c) => (CITY.has(c) || c === 'u-sec-u1' || c === 'u-sec-oc1' ? 200 : 404),
      },
      // Writes: only refusals here (the allowed ones are above); each must leave the list as it was.
      { route: 'POST /orgs/org-oc1/problems', send: (c) => call(c, 'POST', '/orgs/org-oc1/problems', { title: '越权新增', source: '自查' }), allowed: (c) => (c === 'u-committee' || c === 'u-sec-oc1' ? 0 : 403) },
      { route: 'PATCH /problems/:id', send: (c) => call(c, 'PATCH', `/problems/${ids.problem}`, { status: 'resolved' }), allowed: (c) => (c === 'u-committee' || c === 'u-sec-oc1' ? 0 : c === 'u-sec-u1' || CITY.has(c) ? 403 : 404) },
    ];
    const failures: string[] = [];
    for (const m of matrix) {
      for (const caller of CALLERS) {
        const want = caller === null ? 401 : m.allowed(caller);
        if (want === 0) continue;
        const response = await m.send(caller);
        if (response.statusCode !== want) failures.push(`${m.route} · ${caller ?? 'no token'}: ${response.statusCode} (want ${want}) ${response.body.slice(0, 120)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await h.db.selectFrom('org_problems').selectAll().orderBy('id').execute()).toEqual(problemBefore);
    // Unknown ids: 404, not 500.
    expect((await call('u-committee', 'GET', '/orgs/no-such-org/problems')).statusCode).toBe(404);
    expect((await call('u-committee', 'PATCH', '/problems/no-such-problem', { status: 'resolved' })).statusCode).toBe(404);
    expect((await call('u-committee', 'GET', '/secretaries/no-such-user/annual-tasks')).statusCode).toBe(404);
  });
});
