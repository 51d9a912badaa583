/**
 * The annual task list export (年度攻坚清单导出, GET /exports/secretaries/:id/annual-tasks.xlsx|csv):
 * the same projects, sub-projects and indicators as GET /secretaries/:id/annual-tasks, one row per
 * indicator, with Chinese headers, numbers and shares as numbers, and a Chinese file name; read by
 * the same people (the secretary, secretaries above, committee staff, inspectors, auditors), and
 * refused to everyone else as the JSON route refuses them.
 */
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { compressedCycle, proposal } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';
import { waitUntil } from '../helpers/wait';

type Json = any;

function csvRows(response: LightMyRequestResponse): Record<string, string>[] {
  const bytes = response.rawPayload;
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const rows = parse(bytes.subarray(3).toString('utf8')) as string[][];
  return rows.slice(1).map((r) => Object.fromEntries(rows[0].map((h, i) => [h, r[i]])));
}

describe('the annual task list export', () => {
  // Every calendar deadline hours away: no timer changes a project while the file runs.
  const cycle = compressedCycle('cy-annual-export', Date.now() + 3 * 3600 * 1000);
  const h = useHarness({ name: 'annual_export', cycle, app: { rateLimitPerMinute: 1_000_000 } });
  const call = (userId: string | null, method: 'GET' | 'POST', url: string, payload?: object) =>
    h.app.inject({ method, url, headers: userId ? h.as(userId) : {}, ...(method === 'GET' ? {} : { payload: payload ?? {} }) });
  const ok = async (userId: string, method: 'GET' | 'POST', url: string, payload?: object): Promise<Json> => {
    const response = await call(userId, method, url, payload);
    expect(response.statusCode, `${method} ${url}: ${response.body}`).toBeLessThan(300);
    return response.json();
  };
  const ids = { project: '', child: '' };

  beforeAll(async () => {
    const { title: _t, ...rest } = proposal(cycle.year, '财政局助企攻坚项目');
    ids.project = (await ok('u-sec-oc1', 'POST', '/projects', { cycleId: cycle.cycleId, title: '财政局助企攻坚项目', ...rest })).id;
    await ok('u-sec-oc1', 'POST', `/projects/${ids.project}/submit`);
    await ok('u-committee', 'POST', `/projects/${ids.project}/review`, { decision: 'approve' });
    await ok('u-sec-oc1', 'POST', `/projects/${ids.project}/letter`, { text: '本人承诺履行第一责任人职责' });
    await ok('u-sec-oc1', 'POST', `/projects/${ids.project}/evidence`, { quarter: 1, text: '一季度走访10家企业', files: [], indicatorActuals: [{ indicatorId: 'i-visits', actual: 10 }] });
    const decomposed = await ok('u-sec-oc1', 'POST', `/projects/${ids.project}/decompose`, { children: [{ orgId: 'org-b1', secretaryId: 'u-sec-b1', title: '预算处支部子项目' }] });
    ids.child = decomposed.children[0].id;
    await waitUntil(
      'the evidence and the sub-project persisted',
      async () => {
        const actual = await h.db.selectFrom('project_indicators').select('actual').where('project_id', '=', ids.project).where('id', '=', 'i-visits').executeTakeFirst();
        const child = await h.db.selectFrom('projects').select('id').where('id', '=', ids.child).executeTakeFirst();
        return actual?.actual === 10 && child ? true : undefined;
      },
      30_000,
      100,
    );
  });

  it('the .xlsx equals GET /secretaries/:id/annual-tasks: one row per indicator of the project and its sub-project, numbers as numbers', async () => {
    const json = await ok('u-sec-oc1', 'GET', `/secretaries/u-sec-oc1/annual-tasks?cycle=${cycle.cycleId}`);
    expect(json.projects.map((p: Json) => [p.id, p.subProjects.map((c: Json) => c.id)])).toEqual([[ids.project, [ids.child]]]);

    const response = await call('u-sec-oc1', 'GET', `/exports/secretaries/u-sec-oc1/annual-tasks.xlsx?cycle=${cycle.cycleId}`);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="annual-tasks-u-sec-oc1-\d{4}-\d{2}-\d{2}\.xlsx"; filename\*=UTF-8''/);
    expect(decodeURIComponent(String(response.headers['content-disposition']).split("UTF-8''")[1])).toMatch(/^年度攻坚清单-u-sec-oc1-\d{4}-\d{2}-\d{2}\.xlsx$/);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(response.rawPayload as unknown as ArrayBuffer);
    const ws = workbook.getWorksheet('年度攻坚清单');
    expect(ws).toBeDefined();
    if (!ws) return;
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    const headers = (ws.getRow(1).values as unknown[]).slice(1).map(String);
    expect(headers).toEqual(['年度周期', '项目编号', '项目名称', '层级', '上级项目', '承担党组织', '牵头书记', '类型', '重点项目', '阶段', '总体进度', '指标', '单位', '基线', '目标', '实际', '指标完成度']);
    const rows: Record<string, unknown>[] = [];
    for (let r = 2; r <= ws.rowCount; r++) rows.push(Object.fromEntries(headers.map((h, i) => [h, ws.getRow(r).getCell(i + 1).value ?? null])));

    // The project's two indicators, then the sub-project's (it copies none: one row without an indicator).
    const parent = json.projects[0];
    const child = parent.subProjects[0];
    const expected = [
      ...parent.indicators.map((i: Json) => [parent.id, '书记项目', null, i.name, i.baseline, i.target, i.actual, i.progress]),
      ...(child.indicators.length ? child.indicators.map((i: Json) => [child.id, '子项目', parent.title, i.name, i.baseline, i.target, i.actual, i.progress]) : [[child.id, '子项目', parent.title, null, null, null, null, null]]),
    ];
    expect(rows.map((r) => [r['项目编号'], r['层级'], r['上级项目'], r['指标'], r['基线'], r['目标'], r['实际'], r['指标完成度']])).toEqual(expected);
    const visits = rows.find((r) => r['指标'] === '走访企业');
    expect(visits).toMatchObject({ 项目名称: '财政局助企攻坚项目', 承担党组织: '市财政局机关党委', 类型: parent.typeLabel, 阶段: parent.stageLabel, 实际: 10, 目标: 20, 指标完成度: 0.5 });
    expect(typeof visits?.['总体进度']).toBe('number');
    expect(ws.getRow(2).getCell(headers.indexOf('指标完成度') + 1).numFmt).toBe('0%');
  });

  it('the CSV carries the same rows with a BOM; every reader of the JSON list may export it', async () => {
    const xlsxRows = (await ok('u-committee', 'GET', `/secretaries/u-sec-oc1/annual-tasks`)).projects.flatMap((p: Json) => [p, ...p.subProjects]).map((p: Json) => p.id);
    for (const reader of ['u-sec-oc1', 'u-sec-u1', 'u-committee', 'u-inspector', 'u-auditor']) {
      const response = await call(reader, 'GET', '/exports/secretaries/u-sec-oc1/annual-tasks.csv');
      expect(response.statusCode, reader).toBe(200);
      expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
      const rows = csvRows(response);
      expect([...new Set(rows.map((r) => r['项目编号']))], reader).toEqual(xlsxRows);
      expect(rows.find((r) => r['指标'] === '走访企业')).toMatchObject({ 层级: '书记项目', 实际: '10', 目标: '20' });
    }
  });

  it('refuses as the JSON route does: another unit’s secretary, a secretary below and a member get 404 in Chinese, nobody signed in 401', async () => {
    for (const outsider of ['u-sec-oc2', 'u-sec-b1', 'u-member-b1']) {
      for (const format of ['xlsx', 'csv']) {
        const response = await call(outsider, 'GET', `/exports/secretaries/u-sec-oc1/annual-tasks.${format}`);
        expect(response.statusCode, `${outsider} ${format}`).toBe(404);
        expect(response.headers['content-type']).toContain('application/problem+json');
        expect(response.json().detail).toBe('找不到书记 u-sec-oc1，或您无权查看其年度攻坚清单。');
        expect((await call(outsider, 'GET', '/secretaries/u-sec-oc1/annual-tasks')).statusCode).toBe(404);
      }
    }
    expect((await call(null, 'GET', '/exports/secretaries/u-sec-oc1/annual-tasks.xlsx')).statusCode).toBe(401);
    expect((await call('u-committee', 'GET', '/exports/secretaries/no-such-user/annual-tasks.csv')).statusCode).toBe(404);
    const unknownParam = await call('u-committee', 'GET', '/exports/secretaries/u-sec-oc1/annual-tasks.xlsx?status=open');
    expect(unknownParam.statusCode).toBe(400);
  });
});
