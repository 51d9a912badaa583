/**
 * Bulk import and export of the directory (组织、人员、督查分工) through the API, on the real
 * PostgreSQL and Temporal of the suite: committee only; export → import changes nothing; broken
 * sheets answer every row's error and apply nothing; a 1,000+ row generated workbook dry-runs and
 * applies in one go; disabling and secretary changes take effect (tokens, handovers, the security log).
 */
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { headers } from '../../directory-io/records';
import { SHEETS, type SheetKey } from '../../directory-io/sheets';
import { compressedCycle, proposal } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';
import { waitUntil } from '../helpers/wait';

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
type Cell = string | number | null;

function multipart(filename: string, content: Buffer, type: string) {
  const boundary = `----directory${Math.random().toString(16).slice(2)}`;
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** A workbook in the import format with these data rows (row 2 on), after `edit` (merges…). */
async function workbook(sheets: Partial<Record<SheetKey, Cell[][]>>, edit?: (wb: ExcelJS.Workbook) => void): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  for (const [key, rows] of Object.entries(sheets) as [SheetKey, Cell[][]][]) {
    const ws = wb.addWorksheet(SHEETS[key].title);
    ws.addRow(headers(key));
    for (const r of rows) ws.addRow(r);
  }
  edit?.(wb);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe('directory import and export', () => {
  const cycle = compressedCycle('cy-directory-import', Date.now());
  const h = useHarness({ name: 'directory_import', cycle });
  const committee = 'u-committee';

  const upload = (file: Buffer, query: string, type = XLSX_TYPE, name = 'directory.xlsx', userId = committee) => {
    const body = multipart(name, file, type);
    return h.post(userId, `/directory/import?${query}`, body.payload, body.headers);
  };
  const dryRun = async (file: Buffer, query = '', type?: string, name?: string) => {
    const res = await upload(file, `dryRun=true${query}`, type, name);
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const counts = (changes: any) => ({
    orgs: [changes.orgs.added.count, changes.orgs.changed.count, changes.orgs.closed.count],
    users: [changes.users.added.count, changes.users.changed.count, changes.users.disabled.count],
    assignments: [changes.assignments.added.count, changes.assignments.removed.count],
  });
  const NOTHING = { orgs: [0, 0, 0], users: [0, 0, 0], assignments: [0, 0] };
  const exportXlsx = async () => {
    const res = await h.get(committee, '/directory/export.xlsx');
    expect(res.statusCode).toBe(200);
    return res.rawPayload;
  };
  const stored = async () => ({
    orgs: (await h.db.selectFrom('orgs').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n,
    users: (await h.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n,
    assignments: (await h.db.selectFrom('inspector_assignments').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n,
  });

  it('refuses everyone but committee staff, on every route, before reading anything', async () => {
    const file = await workbook({ orgs: [['org-x', 'org-committee', '单位', '某单位', '', '']] });
    for (const userId of ['u-sec-u1', 'u-inspector', 'u-auditor', 'u-member-b1']) {
      for (const url of ['/directory/template.xlsx', '/directory/export.xlsx', '/directory/export.csv?sheet=orgs']) {
        const res = await h.get(userId, url);
        expect(res.statusCode, `${userId} GET ${url}`).toBe(403);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.json().detail).toMatch(/工委/);
      }
      for (const query of ['dryRun=true', 'dryRun=false']) expect((await upload(file, query, XLSX_TYPE, 'x.xlsx', userId)).statusCode).toBe(403);
    }
    expect(await h.db.selectFrom('orgs').select('id').where('id', '=', 'org-x').executeTakeFirst()).toBeUndefined();
  });

  it('serves the template: three sheets with Chinese headers, drop-down lists and an explanation sheet', async () => {
    const res = await h.get(committee, '/directory/template.xlsx');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(XLSX_TYPE);
    expect(res.headers['content-disposition']).toContain("filename*=UTF-8''");
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['组织', '人员', '督查分工', '说明']);
    const values = (ws: ExcelJS.Worksheet) => (ws.getRow(1).values as Cell[]).slice(1);
    expect(values(wb.getWorksheet('组织')!)).toEqual(['组织编号', '上级组织编号', '类型', '名称', '书记用户编号', '状态']);
    expect(values(wb.getWorksheet('人员')!)).toEqual(['用户编号', '姓名', '角色', '所属组织编号', '用户名', '手机号', '状态']);
    expect(values(wb.getWorksheet('督查分工')!)).toEqual(['督查员用户编号', '组织编号']);
    expect(wb.getWorksheet('组织')!.getCell('C2').dataValidation.formulae).toEqual(['"工委,单位,机关党委,党支部"']);
    expect(wb.getWorksheet('人员')!.getCell('C2').dataValidation.formulae).toEqual(['"工委,书记,督查员,审计员,党员"']);
    // The empty template imports as nothing at all.
    const answer = await dryRun(res.rawPayload);
    expect(answer.errors).toEqual([]);
    expect(counts(answer.changes)).toEqual(NOTHING);
  });

  it('export → import of the same data changes nothing (xlsx, and each sheet as CSV)', async () => {
    const answer = await dryRun(await exportXlsx());
    expect(answer.errors).toEqual([]);
    expect(answer.rows).toEqual({ orgs: 8, users: 11, assignments: 1 });
    expect(counts(answer.changes)).toEqual(NOTHING);
    for (const sheet of ['orgs', 'users', 'assignments']) {
      const csv = await h.get(committee, `/directory/export.csv?sheet=${sheet}`);
      expect(csv.statusCode).toBe(200);
      expect(csv.headers['content-type']).toContain('text/csv');
      expect(csv.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
      const back = await dryRun(csv.rawPayload, `&sheet=${sheet}`, 'text/csv', `${sheet}.csv`);
      expect(back.errors, sheet).toEqual([]);
      expect(counts(back.changes), sheet).toEqual(NOTHING);
    }
    // CSV without saying which sheet it is: refused, naming the parameter.
    const csv = await h.get(committee, '/directory/export.csv?sheet=orgs');
    const res = await upload(csv.rawPayload, 'dryRun=true', 'text/csv', 'orgs.csv');
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe('sheet');
  });

  it('answers every broken row (merged cells, empty rows, full-width text, duplicates, a cycle, an unknown parent) and applies none of it', async () => {
    const file = await workbook(
      {
        orgs: [
          ['ｕ－ｎｅｗ', 'org-committee', '单位', '  新　单位   党组 ', '', ''], // 2: full-width id, spaces → u-new, “新 单位 党组”
          [null, null, null, null, null, null], // 3: empty, skipped
          ['oc-new', 'u-new', '机关党委', '新机关党委', '', ''], // 4
          ['b-x', 'oc-new', '党支部', '甲支部', '', ''], // 5: B5:B6 merged (same parent for both rows)
          ['b-y', null, '党支部', '乙支部', '', ''], // 6
          ['b-x', 'oc-new', '党支部', '甲支部（重复）', '', ''], // 7: duplicate id
          ['b-z', 'nowhere', '党支部', '丙支部', '', ''], // 8: unknown parent
          ['c1', 'c2', '机关党委', '循环一', '', ''], // 9: c1 → c2 → c1
          ['c2', 'c1', '机关党委', '循环二', '', ''], // 10
          ['b-w', 'oc-new', '党支部', '丁支部', 'u1', ''], // 11: D11:E11 merged across columns
          ['b-v', 'oc-new', '党小组', '戊小组', '', ''], // 12: no such kind
        ],
        users: [
          ['ｕ１', '张　三', '党员', 'u-new', '', '１３８ ００１３ ８０００', ''], // 2: full-width mobile → 13800138000
          ['u2', '李四', '党员', 'u-new', '', '12345', ''], // 3: bad mobile
          ['u3', '王五', '党员', 'u-new', 'Zhang', '', ''], // 4: username zhang…
          ['u4', '赵六', '党员', 'u-new', 'ｚｈａｎｇ', '', ''], // 5: …twice
        ],
        assignments: [
          ['u-inspector', 'u-new'], // 2
          ['u1', 'u-new'], // 3: not an inspector
        ],
      },
      (wb) => {
        wb.getWorksheet('组织')!.mergeCells('B5:B6');
        wb.getWorksheet('组织')!.mergeCells('D11:E11');
      },
    );
    const before = await stored();
    const answer = await dryRun(file);
    const at = (sheet: string, row: number, column: string) => answer.errors.filter((e: any) => e.sheet === sheet && e.row === row && e.column === column).map((e: any) => e.message);

    expect(answer.rows).toEqual({ orgs: 10, users: 4, assignments: 2 });
    // Normalised rows raise nothing: rows 2, 4, 6 (the merge gives it B5's parent) of 组织; row 2 of 人员.
    for (const row of [2, 3, 4, 6]) expect(answer.errors.filter((e: any) => e.sheet === '组织' && e.row === row)).toEqual([]);
    expect(answer.errors.filter((e: any) => e.sheet === '人员' && e.row === 2)).toEqual([]);
    expect(answer.changes.orgs.added.ids).toEqual(expect.arrayContaining(['u-new', 'oc-new', 'b-x', 'b-y']));
    expect(answer.changes.users.added.ids).toContain('u1');

    expect(at('组织', 5, '组织编号')[0]).toMatch(/组织编号“b-x”重复：第 5 行、第 7 行/);
    expect(at('组织', 7, '组织编号')[0]).toMatch(/重复/);
    expect(at('组织', 8, '上级组织编号')[0]).toMatch(/上级组织“nowhere”既不在本表中，也不是系统中已有的组织/);
    for (const row of [9, 10]) expect(at('组织', row, '上级组织编号').some((m: string) => /循环.*“c1”（第 9 行）.*“c2”（第 10 行）|循环.*“c2”（第 10 行）.*“c1”（第 9 行）/.test(m))).toBe(true);
    expect(at('组织', 11, '书记用户编号')[0]).toMatch(/D11.*跨列合并/);
    expect(at('组织', 12, '类型')[0]).toMatch(/类型“党小组”无效/);
    expect(at('人员', 3, '手机号')[0]).toMatch(/手机号“12345”格式不正确/);
    expect(at('人员', 4, '用户名')[0]).toMatch(/用户名“zhang”已被用户“u4”（第 5 行/);
    expect(at('人员', 5, '用户名')[0]).toMatch(/“u3”（第 4 行/);
    expect(at('督查分工', 3, '督查员用户编号')[0]).toMatch(/不是督查员/);
    expect(answer.errors.filter((e: any) => e.sheet === '督查分工' && e.row === 2)).toEqual([]);
    expect(answer.errorCount).toBe(answer.errors.length);

    const refused = await upload(file, 'dryRun=false');
    expect(refused.statusCode).toBe(422);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json().errors).toEqual(answer.errors);
    expect(await stored()).toEqual(before);
  });

  it('lists only what it lists: one renamed org changes that org and nothing else', async () => {
    const file = await workbook({ orgs: [['org-b2', 'org-oc1', '党支部', '办公室党支部（更名）', 'u-sec-b2', '正常']] });
    const answer = await dryRun(file);
    expect(answer.errors).toEqual([]);
    expect(counts(answer.changes)).toEqual({ orgs: [0, 1, 0], users: [0, 0, 0], assignments: [0, 0] });
    expect(answer.changes.orgs.changed.ids).toEqual(['org-b2']);
    const applied = await upload(file, 'dryRun=false');
    expect(applied.statusCode, applied.body).toBe(200);
    expect((await h.db.selectFrom('orgs').select('name').where('id', '=', 'org-b2').executeTakeFirstOrThrow()).name).toBe('办公室党支部（更名）');
    expect(counts((await dryRun(await exportXlsx())).changes)).toEqual(NOTHING);
  });

  it('applies a secretary change and a disabled user: the token stops working, the handover runs, the security log has the counts', async () => {
    const memberToken = h.as('u-member-b1');
    expect((await h.app.inject({ method: 'GET', url: '/directory/export.csv?sheet=orgs', headers: memberToken })).statusCode).toBe(403); // authenticated, refused
    const file = await workbook({
      orgs: [['org-b1', 'org-oc1', '党支部', '预算处党支部', 's-b1-new', '正常']],
      users: [
        ['s-b1-new', '新书记', '书记', 'org-b1', 'new.secretary', '13900000001', '启用'],
        ['u-member-b1', '预算处党员', '党员', 'org-b1', '', '', '停用'],
      ],
    });
    const answer = await dryRun(file);
    expect(answer.errors).toEqual([]);
    expect(counts(answer.changes)).toEqual({ orgs: [0, 1, 0], users: [1, 0, 1], assignments: [0, 0] });
    expect(answer.changes.secretaryChanges.items).toEqual([{ orgId: 'org-b1', fromUserId: 'u-sec-b1', toUserId: 's-b1-new' }]);
    expect(answer.handovers).toEqual([]);

    const res = await upload(file, 'dryRun=false');
    expect(res.statusCode, res.body).toBe(200);
    const applied = res.json();
    expect(applied).toMatchObject({ dryRun: false, applied: true, errorCount: 0, revoked: { tokens: 1 } });
    expect(applied.handovers).toEqual([{ orgId: 'org-b1', fromUserId: 'u-sec-b1', toUserId: 's-b1-new', projects: [], failed: [] }]);

    const user = await h.db.selectFrom('users').selectAll().where('id', '=', 's-b1-new').executeTakeFirstOrThrow();
    expect(user).toMatchObject({ role: 'secretary', org_id: 'org-b1', username: 'new.secretary', mobile: '13900000001', password_hash: null, disabled_at: null });
    expect((await h.app.inject({ method: 'GET', url: '/directory/export.csv?sheet=orgs', headers: memberToken })).statusCode).toBe(401);
    const event = await h.db.selectFrom('security_events').selectAll().where('kind', '=', 'import_applied').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(event.actor_id).toBe(committee);
    expect(event.detail).toMatchObject({ orgs: { added: 0, changed: 1, closed: 0 }, users: { added: 1, changed: 0, disabled: 1 }, assignments: { added: 0, removed: 0 } });
    // The disabled user exports as 停用 and round-trips.
    expect(counts((await dryRun(await exportXlsx())).changes)).toEqual(NOTHING);
  });

  it('hands the old secretary’s open projects over to the new one after the import commits', async () => {
    const { title, ...rest } = proposal(cycle.year, '导入换届测试项目');
    const created = await h.post('u-sec-b2', '/projects', { cycleId: cycle.cycleId, title, ...rest });
    expect(created.statusCode, created.body).toBe(201);
    const projectId = created.json().id as string;
    const file = await workbook({
      orgs: [['org-b2', 'org-oc1', '党支部', '办公室党支部（更名）', 's-b2-new', '正常']],
      users: [['s-b2-new', '接任书记', '书记', 'org-b2', '', '', '']],
    });
    const res = await upload(file, 'dryRun=false');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().handovers).toEqual([{ orgId: 'org-b2', fromUserId: 'u-sec-b2', toUserId: 's-b2-new', projects: [projectId], failed: [] }]);
    // The workflow took it: the projection follows with the new lead.
    await waitUntil('the handover projected', async () => {
      const row = await h.db.selectFrom('projects').select('lead_secretary_id').where('id', '=', projectId).executeTakeFirst();
      return row?.lead_secretary_id === 's-b2-new' ? true : undefined;
    }, 30_000);
  });

  it('dry-runs and applies a generated workbook of 1,000+ rows per sheet, and exports it back unchanged', async () => {
    const orgs: Cell[][] = [];
    const users: Cell[][] = [];
    const assignments: Cell[][] = [];
    const inspectors = ['gen-insp-1', 'gen-insp-2', 'gen-insp-3', 'gen-insp-4', 'gen-insp-5'];
    for (const id of inspectors) users.push([id, `督查员${id.slice(-1)}`, '督查员', 'org-committee', id, '', '启用']);
    let n = 0;
    const addOrg = (id: string, parent: string, kind: string, name: string) => {
      orgs.push([id, parent, kind, name, `s-${id}`, '正常']);
      users.push([`s-${id}`, `${name}书记`, '书记', id, `s-${id}`, `13${String(100_000_000 + n++).slice(0, 9)}`, '启用']);
      assignments.push([inspectors[orgs.length % inspectors.length], id]);
    };
    for (let u = 1; u <= 25; u++) {
      addOrg(`gen-u${u}`, 'org-committee', '单位', `生成单位${u}党组`);
      for (let o = 1; o <= 3; o++) {
        addOrg(`gen-u${u}-oc${o}`, `gen-u${u}`, '机关党委', `生成单位${u}机关党委${o}`);
        for (let b = 1; b <= 13; b++) {
          const id = `gen-u${u}-oc${o}-b${b}`;
          addOrg(id, `gen-u${u}-oc${o}`, '党支部', `生成单位${u}第${o}机关党委第${b}支部`);
          users.push([`m-${id}`, `党员${id}`, '党员', id, '', '', '启用']);
        }
      }
    }
    expect(orgs.length).toBeGreaterThanOrEqual(1000);
    const file = await workbook({ orgs, users, assignments });
    const total = orgs.length + users.length + assignments.length;

    let t = performance.now();
    const answer = await dryRun(file);
    const dryRunMs = performance.now() - t;
    expect(answer.errors).toEqual([]);
    expect(counts(answer.changes)).toEqual({ orgs: [orgs.length, 0, 0], users: [users.length, 0, 0], assignments: [assignments.length, 0] });
    expect(answer.changes.orgs.added.ids).toHaveLength(200); // bounded list, complete count

    const before = await stored();
    t = performance.now();
    const res = await upload(file, 'dryRun=false');
    const applyMs = performance.now() - t;
    expect(res.statusCode, res.body.slice(0, 2000)).toBe(200);
    expect(await stored()).toEqual({ orgs: before.orgs + orgs.length, users: before.users + users.length, assignments: before.assignments + assignments.length });

    t = performance.now();
    const exported = await exportXlsx();
    const exportMs = performance.now() - t;
    t = performance.now();
    const again = await dryRun(exported);
    const roundTripMs = performance.now() - t;
    expect(again.errors).toEqual([]);
    expect(counts(again.changes)).toEqual(NOTHING);
    console.info(
      `[directory-import] ${orgs.length} orgs + ${users.length} users + ${assignments.length} assignments = ${total} rows (${file.length} bytes): ` +
        `dry run ${dryRunMs.toFixed(0)} ms, apply ${applyMs.toFixed(0)} ms, export ${exportMs.toFixed(0)} ms (${exported.length} bytes), re-import dry run ${roundTripMs.toFixed(0)} ms`,
    );
  });

  it('reads a CSV saved by Excel on Chinese Windows (GB18030) and applies it', async () => {
    const text = `${headers('orgs').join(',')}\r\ngbk-u1,org-committee,单位,编码测试单位党组,,\r\n`;
    const gbk = Buffer.from(new Uint8Array([...encodeGb(text)]));
    const answer = await dryRun(gbk, '&sheet=orgs', 'text/csv', 'orgs.csv');
    expect(answer.errors).toEqual([]);
    expect(answer.changes.orgs.added.ids).toEqual(['gbk-u1']);
    const res = await upload(gbk, 'dryRun=false&sheet=orgs', 'text/csv', 'orgs.csv');
    expect(res.statusCode, res.body).toBe(200);
    expect((await h.db.selectFrom('orgs').select('name').where('id', '=', 'gbk-u1').executeTakeFirstOrThrow()).name).toBe('编码测试单位党组');
  });

  it('refuses what is not a workbook or CSV with a Chinese 400', async () => {
    const res = await upload(Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(64, 7)]), 'dryRun=true');
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toMatch(/不是有效的 \.xlsx 工作簿/);
    // Over 5 MiB: refused while it streams in.
    expect((await upload(Buffer.alloc(6 * 1024 * 1024, 0x41), 'dryRun=true&sheet=orgs', 'text/csv', 'big.csv')).statusCode).toBe(413);
  });
});

/** GB18030 bytes of a string of ASCII and the few characters the test uses (Node has no GBK encoder). */
function encodeGb(text: string): number[] {
  const table: Record<string, number[]> = {};
  // Built once from the decoder: every two-byte GBK code that decodes to a character we need.
  const wanted = new Set([...text].filter((c) => c.charCodeAt(0) > 0x7f));
  const decoder = new TextDecoder('gb18030');
  for (let hi = 0x81; hi <= 0xfe && Object.keys(table).length < wanted.size; hi++) {
    for (let lo = 0x40; lo <= 0xfe; lo++) {
      const c = decoder.decode(new Uint8Array([hi, lo]));
      if (wanted.has(c) && !table[c]) table[c] = [hi, lo];
    }
  }
  return [...text].flatMap((c) => (c.charCodeAt(0) <= 0x7f ? [c.charCodeAt(0)] : table[c]));
}
