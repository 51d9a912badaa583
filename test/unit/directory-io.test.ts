/**
 * The directory's spreadsheet format without a database: reading workbooks and CSV (normalisation,
 * empty rows, merged cells, encodings), planning an import against a directory (every rule's error
 * on the right sheet, row and column; what would change), and export → import changing nothing.
 */
import ExcelJS from 'exceljs';
import { unstorableCharacter } from '../../workflows/lifecycle';
import { describe, expect, it } from 'vitest';
import { planImport } from '../../directory-io/plan';
import { headers, recordsToRows, type DirectoryRecords } from '../../directory-io/records';
import { normaliseCell, normaliseText, SHEETS, type RawWorkbook, type SheetKey } from '../../directory-io/sheets';
import { readCsv, readXlsx, writeDirectoryCsv, writeDirectoryXlsx, writeTemplateXlsx } from '../../directory-io/workbook';

type Cell = ExcelJS.CellValue;

async function xlsx(sheets: Partial<Record<SheetKey, Cell[][]>>, edit?: (wb: ExcelJS.Workbook) => void, headerOf = headers): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  for (const [key, rows] of Object.entries(sheets) as [SheetKey, Cell[][]][]) {
    const ws = wb.addWorksheet(SHEETS[key].title);
    ws.addRow(headerOf(key));
    for (const r of rows) ws.addRow(r);
  }
  edit?.(wb);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** A raw workbook straight from rows of text (row numbers from 2), as the readers would give it. */
function raw(sheets: Partial<Record<SheetKey, string[][]>>): RawWorkbook {
  const out: RawWorkbook = { sheets: {}, errors: [] };
  for (const [key, rows] of Object.entries(sheets) as [SheetKey, string[][]][]) {
    out.sheets[key] = {
      key,
      rows: rows.map((values, i) => ({ row: i + 2, cells: Object.fromEntries(SHEETS[key].columns.map((c, j) => [c.field, normaliseText(values[j] ?? '')])) })),
    };
  }
  return out;
}

/** committee ─ unit U1 ─ organ committee OC1 ─ branches B1, B2; an inspector assigned to U1. */
const directory = (): DirectoryRecords => ({
  orgs: [
    { id: 'c', parentId: null, kind: 'committee', name: '市直机关工委', secretaryId: 'u-c', closed: false },
    { id: 'u1', parentId: 'c', kind: 'unit', name: '市财政局党组（党委）', secretaryId: 's-u1', closed: false },
    { id: 'oc1', parentId: 'u1', kind: 'organ_committee', name: '市财政局机关党委', secretaryId: 's-oc1', closed: false },
    { id: 'b1', parentId: 'oc1', kind: 'branch', name: '预算处党支部', secretaryId: 's-b1', closed: false },
    { id: 'b2', parentId: 'oc1', kind: 'branch', name: '办公室党支部', secretaryId: null, closed: false },
  ],
  users: [
    { id: 'u-c', name: '工委审核员', role: 'committee', orgId: 'c', username: 'admin', mobile: '13800000000', disabled: false },
    { id: 'insp', name: '督查员', role: 'inspector', orgId: 'c', username: 'insp', mobile: null, disabled: false },
    { id: 's-u1', name: '单位书记', role: 'secretary', orgId: 'u1', username: null, mobile: '13800000001', disabled: false },
    { id: 's-oc1', name: '机关党委书记', role: 'secretary', orgId: 'oc1', username: null, mobile: null, disabled: false },
    { id: 's-b1', name: '预算处书记', role: 'secretary', orgId: 'b1', username: 'sb1', mobile: null, disabled: false },
    { id: 'm-b2', name: '党员', role: 'member', orgId: 'b2', username: null, mobile: null, disabled: true },
  ],
  assignments: [{ inspectorId: 'insp', orgId: 'u1' }],
});

const counts = (r: ReturnType<typeof planImport>) => ({
  orgs: [r.changes.orgs.added.count, r.changes.orgs.changed.count, r.changes.orgs.closed.count],
  users: [r.changes.users.added.count, r.changes.users.changed.count, r.changes.users.disabled.count],
  assignments: [r.changes.assignments.added.count, r.changes.assignments.removed.count],
});
const NOTHING = { orgs: [0, 0, 0], users: [0, 0, 0], assignments: [0, 0] };
const errorsAt = (r: ReturnType<typeof planImport>, sheet: string, row: number, column?: string) =>
  r.errors.filter((e) => e.sheet === sheet && e.row === row && (column === undefined || e.column === column)).map((e) => e.message);

describe('normalisation', () => {
  it('folds full-width codes entirely (NFKC) but keeps the full-width punctuation of names', () => {
    expect(normaliseCell('ｏｒｇ－０１')).toBe('org-01');
    expect(normaliseCell('１３８　００１３　８０００')).toBe('138 0013 8000');
    expect(normaliseText('  市财政局　 党组（党委）\n')).toBe('市财政局 党组（党委）');
    expect(normaliseText('第１支部\u200B')).toBe('第1支部');
    expect(normaliseText('\uFEFFＡＢＣ')).toBe('ABC');
  });
});

describe('reading workbooks and CSV', () => {
  it('skips fully empty rows, reads vertical merges from the master cell, and refuses merges across columns', async () => {
    const file = await xlsx(
      {
        orgs: [
          ['b3', 'oc1', '党支部', '甲支部', '', ''], // 2: B2:B4 merged
          ['b4', null, '党支部', '乙支部', '', ''], // 3
          [null, null, null, null, null, null], // 4: empty but for the merged B4, which reads oc1
          [], // 5: nothing
          ['b5', 'oc1', '党支部', '丙支部', 'x', ''], // 6: D6:E6 merged
        ],
      },
      (wb) => {
        const ws = wb.getWorksheet('组织')!;
        ws.mergeCells('B2:B4');
        ws.mergeCells('D6:E6');
      },
    );
    const book = await readXlsx(file);
    const rows = book.sheets.orgs!.rows;
    expect(rows.map((r) => r.row)).toEqual([2, 3, 4, 6]);
    expect(rows[1].cells.parentId).toBe('oc1');
    // Row 4 holds only the merged parent: it is not empty, and the plan will say what is missing.
    expect(rows[2].cells).toMatchObject({ id: '', parentId: 'oc1' });
    expect(book.errors).toEqual([{ sheet: '组织', row: 6, column: '书记用户编号', message: expect.stringMatching(/E6 与 D6 跨列合并/) }]);
  });

  it('finds columns by header wherever they are (extra columns ignored, spaces in headers tolerated) and reports missing required ones', async () => {
    const file = await xlsx({ users: [['备注随便写', '党员', 'u9', 13912345678, ' 王 五 ']] }, undefined, () => ['备注', '角色', '用户 编号', '手机号', '姓名']);
    const book = await readXlsx(file);
    expect(book.sheets.users!.rows[0].cells).toMatchObject({ id: 'u9', role: '党员', mobile: '13912345678', name: '王 五', orgId: '' });
    expect(book.errors).toEqual([{ sheet: '人员', row: 1, column: '所属组织编号', message: '缺少必填列“所属组织编号”（第 1 行应为表头）。' }]);
  });

  it('reads rich text, hyperlinks and formula results as their text', async () => {
    const file = await xlsx({
      assignments: [[{ richText: [{ text: 'in' }, { text: 'sp' }] }, { formula: 'CONCAT("u","1")', result: 'u1' }], [{ text: 'insp', hyperlink: 'https://example.org' }, 'b1']],
    });
    const rows = (await readXlsx(file)).sheets.assignments!.rows;
    expect(rows.map((r) => r.cells)).toEqual([
      { inspectorId: 'insp', orgId: 'u1' },
      { inspectorId: 'insp', orgId: 'b1' },
    ]);
  });

  it('refuses what is not an xlsx workbook, and a workbook without any of the three sheets', async () => {
    await expect(readXlsx(Buffer.from('not a zip'))).rejects.toThrow(/不是有效的 \.xlsx/);
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('Sheet1').addRow(['a']);
    await expect(readXlsx(Buffer.from(await wb.xlsx.writeBuffer()))).rejects.toThrow(/没有可导入的工作表/);
  });

  it('reads CSV in UTF-8 with a BOM and in GB18030, quoted fields included', () => {
    const text = `${headers('orgs').join(',')}\r\nb9,oc1,党支部,"第九支部,（含""引号""）",,\r\n,,,,,\r\n`;
    const utf8 = readCsv(Buffer.from(`\uFEFF${text}`, 'utf8'), 'orgs');
    expect(utf8.errors).toEqual([]);
    expect(utf8.sheets.orgs!.rows).toEqual([{ row: 2, cells: { id: 'b9', parentId: 'oc1', kind: '党支部', name: '第九支部,（含"引号"）', secretaryId: '', status: '' } }]);
    // GB18030 of 党支部 (the bytes Excel writes on a Chinese Windows).
    const gbk = gbBytes('组织编号,上级组织编号,类型,名称\r\nb9,oc1,党支部,第九支部\r\n');
    expect(readCsv(gbk, 'orgs').sheets.orgs!.rows[0].cells).toMatchObject({ kind: '党支部', name: '第九支部' });
  });

  it('refuses cells PostgreSQL and the workflows cannot keep (NUL, control characters; a lone surrogate cannot survive UTF-8 bytes), naming sheet, row and column', async () => {
    const csv = readCsv(Buffer.from(`${headers('orgs').join(',')}\r\nb9,oc1,党支部,第九\u0000支部,,\r\nb8,oc1,党支部,第八\u001b支部,,\r\n`, 'utf8'), 'orgs');
    expect(csv.errors.map((e) => [e.sheet, e.row, e.column])).toEqual([
      [SHEETS.orgs.title, 2, '名称'],
      [SHEETS.orgs.title, 3, '名称'],
    ]);
    expect(csv.errors[0].message).toMatch(/无法保存的字符/);
    // An .xlsx cannot carry them (XML 1.0 forbids the characters): whatever comes out of one is kept as read, clean.
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet(SHEETS.orgs.title);
    ws.addRow(headers('orgs'));
    ws.addRow(['b7', 'oc1', '党支部', '第七\u0007支部', '', '']);
    const xlsx = await readXlsx(Buffer.from(await wb.xlsx.writeBuffer()));
    expect(xlsx.sheets.orgs!.rows.flatMap((r) => Object.values(r.cells)).filter((c) => unstorableCharacter(c) !== null)).toEqual([]);
  });
});

describe('planning an import', () => {
  it('changes nothing for the export of the same directory (xlsx and CSV), names with full-width punctuation and formula-like text included', async () => {
    const d = directory();
    d.orgs[4].name = '=SUM(A1) 办公室,"党支部"';
    const book = await readXlsx(await writeDirectoryXlsx(d));
    const r = planImport(book, d);
    expect(r.errors).toEqual([]);
    expect(counts(r)).toEqual(NOTHING);
    for (const sheet of ['orgs', 'users', 'assignments'] as const) {
      const csv = writeDirectoryCsv(d, sheet);
      if (sheet === 'orgs') expect(csv.toString('utf8')).toContain(`'=SUM(A1)`);
      const back = planImport(readCsv(csv, sheet), d);
      expect(back.errors, sheet).toEqual([]);
      expect(counts(back), sheet).toEqual(NOTHING);
    }
  });

  it('the template reads as three empty sheets', async () => {
    const book = await readXlsx(await writeTemplateXlsx());
    expect(Object.keys(book.sheets)).toEqual(['orgs', 'users', 'assignments']);
    expect(book.errors).toEqual([]);
    expect(counts(planImport(book, directory()))).toEqual(NOTHING);
  });

  it('classifies changes: added, changed, closed, disabled; unlisted rows stay as they are', () => {
    const d = directory();
    const r = planImport(
      raw({
        orgs: [
          ['b3', 'oc1', '党支部', '新支部', '', ''],
          ['b1', 'oc1', '党支部', '预算处党支部（更名）', 's-b1', '正常'],
          ['b2', 'oc1', '党支部', '办公室党支部', '', '撤销'],
        ],
        users: [
          ['s-b1', '预算处书记', '书记', 'b1', 'SB1', '', '启用'],
          ['insp', '督查员', '督查员', 'c', 'insp', '', '停用'],
          ['new', '新人', '党员', 'b3', '', '１３９ ００００ ００００', ''],
        ],
      }),
      d,
    );
    expect(r.errors).toEqual([]);
    expect(r.changes.orgs).toEqual({ added: { count: 1, ids: ['b3'] }, changed: { count: 1, ids: ['b1'] }, closed: { count: 1, ids: ['b2'] } });
    // SB1 is sb1 as a login: unchanged. The disabled m-b2 in the closed b2 is fine; it is not listed and stays disabled.
    expect(r.changes.users).toEqual({ added: { count: 1, ids: ['new'] }, changed: { count: 0, ids: [] }, disabled: { count: 1, ids: ['insp'] } });
    expect(r.plan.users.insert[0]).toMatchObject({ mobile: '13900000000', name: '新人' });
    expect(r.plan.users.disable).toEqual(['insp']);
  });

  it('reports every duplicate row, an unknown parent, invalid kinds and roles, bad mobiles, and a username that is someone else’s', () => {
    const r = planImport(
      raw({
        orgs: [
          ['b3', 'oc1', '党支部', '甲', '', ''],
          ['b3', 'oc1', '党支部', '乙', '', ''],
          ['b4', 'nowhere', '党支部', '丙', '', ''],
          ['b5', 'oc1', '党小组', '丁', '', ''],
          ['b 6', 'oc1', '党支部', '戊', '', '关闭'],
        ],
        users: [
          ['x1', '甲', '组长', 'b1', '', '12345678901', ''],
          ['x2', '乙', '党员', 'b1', 'ADMIN', '', ''],
          ['x3', '丙', '党员', 'b1', '13800000001', '', ''],
        ],
      }),
      directory(),
    );
    expect(errorsAt(r, '组织', 2, '组织编号')).toEqual(['组织编号“b3”重复：第 2 行、第 3 行。']);
    expect(errorsAt(r, '组织', 3, '组织编号')).toEqual(['组织编号“b3”重复：第 2 行、第 3 行。']);
    expect(errorsAt(r, '组织', 4, '上级组织编号')).toEqual(['上级组织“nowhere”既不在本表中，也不是系统中已有的组织。']);
    expect(errorsAt(r, '组织', 5, '类型')[0]).toMatch(/类型“党小组”无效/);
    expect(errorsAt(r, '组织', 6, '组织编号')[0]).toMatch(/格式不正确/);
    expect(errorsAt(r, '组织', 6, '状态')[0]).toMatch(/状态“关闭”无效/);
    expect(errorsAt(r, '人员', 2, '角色')[0]).toMatch(/角色“组长”无效/);
    expect(errorsAt(r, '人员', 2, '手机号')[0]).toMatch(/手机号“12345678901”格式不正确/);
    expect(errorsAt(r, '人员', 3, '用户名')[0]).toMatch(/用户名“admin”已被用户“u-c”（系统中，用户名）使用/);
    // A username that is another user's mobile number would make one login reach two accounts.
    expect(errorsAt(r, '人员', 4, '用户名')[0]).toMatch(/“s-u1”（系统中，手机号）/);
  });

  it('names every row of a cycle, through stored orgs too', () => {
    // oc1 (stored) moves under the new b7, which sits under b1, which is under oc1.
    const r = planImport(
      raw({
        orgs: [
          ['oc1', 'b7', '机关党委', '市财政局机关党委', 's-oc1', ''],
          ['b7', 'b1', '党支部', '新支部', '', ''],
        ],
      }),
      directory(),
    );
    const cycle = r.errors.filter((e) => /循环/.test(e.message));
    expect(cycle.map((e) => [e.row, e.column])).toEqual([
      [2, '上级组织编号'],
      [3, '上级组织编号'],
    ]);
    expect(cycle[0].message).toMatch(/“oc1”（第 2 行）/);
    expect(cycle[0].message).toMatch(/“b7”（第 3 行）/);
    expect(cycle[0].message).toMatch(/“b1”（系统中）/);
  });

  it('keeps the tree a tree of the right kinds, and keeps closed orgs empty', () => {
    const r = planImport(
      raw({
        orgs: [
          ['u2', '', '单位', '没有上级的单位', '', ''],
          ['b8', 'u1', '党支部', '直接挂在单位下', '', ''],
          ['oc1', 'u1', '机关党委', '市财政局机关党委', 's-oc1', '撤销'],
        ],
      }),
      directory(),
    );
    expect(errorsAt(r, '组织', 2, '上级组织编号')[0]).toMatch(/“单位”必须有上级组织/);
    expect(errorsAt(r, '组织', 3, '上级组织编号')[0]).toMatch(/“党支部”的上级组织须为“机关党委”/);
    expect(errorsAt(r, '组织', 4, '状态').join()).toMatch(/未撤销的下级组织（b1、b2）/);
    expect(errorsAt(r, '组织', 4, '状态').join()).toMatch(/启用的人员（s-oc1）/);
  });

  it('requires a secretary to be an active secretary of the org they lead, reported where the change is', () => {
    const r = planImport(
      raw({
        orgs: [['b2', 'oc1', '党支部', '办公室党支部', 's-b1', '']],
        users: [['s-u1', '单位书记', '书记', 'u1', '', '13800000001', '停用']],
      }),
      directory(),
    );
    expect(errorsAt(r, '组织', 2, '书记用户编号')[0]).toMatch(/书记“s-b1”属于组织“b1”，不是本组织“b2”的人员/);
    expect(errorsAt(r, '人员', 2, '状态')[0]).toMatch(/该用户是组织“u1”的书记：书记“s-u1”已停用/);
    const wrongRole = planImport(raw({ users: [['s-b1', '预算处书记', '党员', 'b1', 'sb1', '', '']] }), directory());
    expect(errorsAt(wrongRole, '人员', 2, '所属组织编号')[0]).toMatch(/书记须为“书记”/);
  });

  it('does not blame the import for what the stored data already had', () => {
    const d = directory();
    d.orgs[3].secretaryId = 'm-b2'; // a disabled member of another org leads b1: stored that way
    const r = planImport(raw({ orgs: [['b1', 'oc1', '党支部', '预算处党支部（新名）', 'm-b2', '']] }), d);
    expect(r.errors).toEqual([]);
    expect(counts(r)).toEqual({ orgs: [0, 1, 0], users: [0, 0, 0], assignments: [0, 0] });
  });

  it('takes the assignments of every listed inspector as complete, and leaves unlisted inspectors alone', () => {
    const d = directory();
    d.users.push({ id: 'insp2', name: '督查员二', role: 'inspector', orgId: 'c', username: null, mobile: null, disabled: false });
    d.assignments.push({ inspectorId: 'insp2', orgId: 'b1' });
    const r = planImport(
      raw({
        assignments: [
          ['insp', 'oc1'],
          ['insp', 'b1'],
          ['insp', 'b1'],
          ['s-b1', 'b2'],
          ['nobody', 'b2'],
        ],
      }),
      d,
    );
    expect(errorsAt(r, '督查分工', 3, '组织编号')[0]).toMatch(/重复：第 3 行、第 4 行/);
    expect(errorsAt(r, '督查分工', 5, '督查员用户编号')[0]).toMatch(/角色是“书记”，不是督查员/);
    expect(errorsAt(r, '督查分工', 6, '督查员用户编号')[0]).toMatch(/“nobody”既不在“人员”表中/);
    const clean = planImport(raw({ assignments: [['insp', 'oc1'], ['insp2', '']] }), d);
    expect(clean.errors).toEqual([]);
    expect(clean.plan.assignments).toEqual({
      add: [{ inspectorId: 'insp', orgId: 'oc1' }],
      remove: [
        { inspectorId: 'insp', orgId: 'u1' },
        { inspectorId: 'insp2', orgId: 'b1' },
      ],
    });
    // An inspector made a member must give up their assignments in the same import.
    const demoted = planImport(raw({ users: [['insp', '督查员', '党员', 'c', 'insp', '', '']] }), d);
    expect(errorsAt(demoted, '人员', 2, '角色')[0]).toMatch(/不再是督查员，但仍有督查分工（u1）/);
  });

  it('does not let the committee member importing disable themselves or drop their role', () => {
    const r = planImport(raw({ users: [['u-c', '工委审核员', '党员', 'c', 'admin', '13800000000', '停用']] }), directory(), 'u-c');
    expect(errorsAt(r, '人员', 2, '状态')).toContain('不能通过导入停用自己的账号。');
    expect(errorsAt(r, '人员', 2, '角色')).toContain('不能通过导入取消自己的“工委”角色。');
    expect(planImport(raw({ users: [['u-c', '工委审核员', '党员', 'c', 'admin', '13800000000', '停用']] }), directory(), 'someone-else').errors.filter((e) => /自己/.test(e.message))).toEqual([]);
  });

  it('lists at most 200 ids per kind of change, with complete counts', () => {
    const rows = Array.from({ length: 450 }, (_, i) => [`nb${i}`, 'oc1', '党支部', `支部${i}`, '', '']);
    const r = planImport(raw({ orgs: rows }), directory());
    expect(r.errors).toEqual([]);
    expect(r.changes.orgs.added.count).toBe(450);
    expect(r.changes.orgs.added.ids).toHaveLength(200);
  });

  it('exports rows in tree order with every field written', () => {
    const rows = recordsToRows(directory());
    expect(rows.orgs.map((r) => r[0])).toEqual(['c', 'u1', 'oc1', 'b1', 'b2']);
    expect(rows.users.find((r) => r[0] === 'm-b2')).toEqual(['m-b2', '党员', '党员', 'b2', '', '', '停用']);
  });
});

/** GB18030 bytes of a string (Node has no GBK encoder): each character looked up through the decoder. */
function gbBytes(text: string): Buffer {
  const decoder = new TextDecoder('gb18030');
  const table = new Map<string, number[]>();
  const wanted = new Set([...text].filter((c) => c.charCodeAt(0) > 0x7f));
  for (let hi = 0x81; hi <= 0xfe && table.size < wanted.size; hi++) {
    for (let lo = 0x40; lo <= 0xfe; lo++) {
      const c = decoder.decode(new Uint8Array([hi, lo]));
      if (wanted.has(c) && !table.has(c)) table.set(c, [hi, lo]);
    }
  }
  return Buffer.from([...text].flatMap((c) => (c.charCodeAt(0) <= 0x7f ? [c.charCodeAt(0)] : table.get(c)!)));
}
