/**
 * The export writers (exports/sheet.ts) and layouts (exports/lists.ts): an .xlsx read back with
 * exceljs holds the Chinese headers, a frozen header row, the column widths, numbers as numbers
 * with their number format and dates as date cells; a CSV starts with the BOM and parses back to
 * the same values; text a spreadsheet would run as a formula is guarded in CSV.
 */
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { LEDGER_COLUMNS, ledgerTable, projectsTable } from '../../exports/lists';
import { date, decimal, guardCsvText, integer, percent, spreadsheetDate, table, text, writeCsv, writeXlsx } from '../../exports/sheet';
import type { LedgerListItem, ProjectExportItem } from '../../services/lists';

const ledgerItem = (over: Partial<LedgerListItem> = {}): LedgerListItem => ({
  projectId: 'P-1',
  cycleId: 'cy-2026',
  projectTitle: '“红色引擎”助企行动',
  projectOrgId: 'org-oc1',
  projectOrgName: '市财政局机关党委',
  entryId: 'L-1',
  quarter: 2,
  quarterLabel: '第二季度',
  problem: '走访台账不全',
  responsibleOrgId: 'org-b1',
  responsibleOrgName: '预算处党支部',
  responsiblePersonId: 'u-sec-b1',
  responsiblePersonName: '张三',
  measures: '补齐走访台账',
  deadline: '2026-07-10',
  status: 'open',
  statusLabel: '待整改',
  overdue: true,
  reports: 1,
  sendBacks: 0,
  closedAt: null,
  warnedAt: null,
  escalatedAt: null,
  ...over,
});

async function readBack(buffer: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
  return workbook;
}

describe('exports: xlsx and CSV writers', () => {
  const items = [
    ledgerItem(),
    ledgerItem({ entryId: 'L-2', deadline: '2026-07-10T09:30:00.000Z', status: 'closed', statusLabel: '已销号', overdue: false, closedAt: '2026-07-09T02:00:00.000Z', reports: 2, sendBacks: 1 }),
  ];

  it('writes the ledger as .xlsx: Chinese headers, frozen header row, widths, integers as numbers, deadlines as dates (Beijing wall-clock time for date-times)', async () => {
    const workbook = await readBack(await writeXlsx([ledgerTable(items)]));
    const ws = workbook.getWorksheet('整改台账');
    expect(ws).toBeDefined();
    if (!ws) return;
    expect((ws.getRow(1).values as unknown[]).slice(1)).toEqual(LEDGER_COLUMNS.map((c) => c.header));
    expect(ws.getRow(1).font?.bold).toBe(true);
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(ws.getColumn(3).width).toBe(36);
    expect(ws.rowCount).toBe(3);

    const col = (header: string) => LEDGER_COLUMNS.findIndex((c) => c.header === header) + 1;
    const first = ws.getRow(2);
    expect(first.getCell(col('项目名称')).value).toBe('“红色引擎”助企行动');
    expect(first.getCell(col('季度')).value).toBe(2);
    expect(first.getCell(col('整改报告次数')).value).toBe(1);
    expect(first.getCell(col('是否逾期')).value).toBe('是');
    expect(first.getCell(col('销号时间')).value).toBeNull();
    const day = first.getCell(col('整改期限'));
    expect(day.value).toBeInstanceOf(Date);
    expect((day.value as Date).toISOString()).toBe('2026-07-10T00:00:00.000Z');
    expect(day.numFmt).toBe('yyyy-mm-dd');

    const second = ws.getRow(3);
    const instant = second.getCell(col('整改期限'));
    expect(instant.value).toBeInstanceOf(Date);
    // 09:30 UTC is 17:30 in Beijing, shown as such.
    expect((instant.value as Date).toISOString()).toBe('2026-07-10T17:30:00.000Z');
    expect(instant.numFmt).toBe('yyyy-mm-dd hh:mm:ss');
    expect(second.getCell(col('是否逾期')).value).toBe('否');
    expect(second.getCell(col('退回次数')).value).toBe(1);
  });

  it('keeps decimals: numbers are numbers whose format shows their decimals; shares are percentages', async () => {
    const rows = [{ score: 87.456, share: 0.98556, n: 3 }];
    const t = table({
      name: '数字',
      columns: [
        { header: '得分', width: 10, kind: decimal(2), value: (r: (typeof rows)[number]) => r.score },
        { header: '整改率', width: 10, kind: percent(2), value: (r: (typeof rows)[number]) => r.share },
        { header: '数量', width: 10, kind: integer, value: (r: (typeof rows)[number]) => r.n },
      ],
      rows,
    });
    const ws = (await readBack(await writeXlsx([t]))).getWorksheet('数字');
    const row = ws?.getRow(2);
    expect(row?.getCell(1).value).toBe(87.456);
    expect(row?.getCell(1).numFmt).toBe('0.00');
    expect(row?.getCell(2).value).toBe(0.98556);
    expect(row?.getCell(2).numFmt).toBe('0.00%');
    expect(row?.getCell(3).value).toBe(3);
    const csv = parse(writeCsv(t).slice(1), { columns: true }) as Record<string, string>[];
    expect(csv).toEqual([{ 得分: '87.456', 整改率: '0.98556', 数量: '3' }]);
  });

  it('writes CSV with a UTF-8 BOM, CRLF lines and the Chinese header; it parses back to the same values', () => {
    const csv = writeCsv(ledgerTable(items));
    const bytes = Buffer.from(csv, 'utf8');
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(csv).toContain('\r\n');
    const rows = parse(csv.slice(1)) as string[][];
    expect(rows[0]).toEqual(LEDGER_COLUMNS.map((c) => c.header));
    expect(rows).toHaveLength(3);
    const byHeader = rows.slice(1).map((r) => Object.fromEntries(rows[0].map((h, i) => [h, r[i]])));
    expect(byHeader[0]).toMatchObject({ 项目名称: '“红色引擎”助企行动', 季度: '2', 整改期限: '2026-07-10', 是否逾期: '是', 状态: '待整改', 责任人: '张三', 销号时间: '' });
    expect(byHeader[1]).toMatchObject({ 整改期限: '2026-07-10 17:30:00', 销号时间: '2026-07-09 10:00:00', 是否逾期: '否', 整改报告次数: '2', 退回次数: '1' });
  });

  it('guards text a spreadsheet would run as a formula, in CSV only', async () => {
    expect(guardCsvText('=HYPERLINK("x")')).toBe(`'=HYPERLINK("x")`);
    expect(guardCsvText('+1')).toBe("'+1");
    expect(guardCsvText('整改')).toBe('整改');
    const t = ledgerTable([ledgerItem({ problem: '=1+1' })]);
    const rows = parse(writeCsv(t).slice(1)) as string[][];
    expect(rows[1][LEDGER_COLUMNS.findIndex((c) => c.header === '问题')]).toBe("'=1+1");
    const ws = (await readBack(await writeXlsx([t]))).getWorksheet('整改台账');
    const cell = ws?.getRow(2).getCell(LEDGER_COLUMNS.findIndex((c) => c.header === '问题') + 1);
    expect(cell?.value).toBe('=1+1');
    expect(cell?.type).toBe(ExcelJS.ValueType.String);
  });

  it('the project list: progress as a percentage, the score with two decimals, empty cells for nulls', async () => {
    const p: ProjectExportItem = {
      id: 'P-9',
      cycleId: 'cy-2026',
      parentId: null,
      orgId: 'org-b1',
      orgName: '预算处党支部',
      title: '先锋岗',
      type: 'service',
      typeLabel: '服务型',
      isKey: false,
      stage: 'accepted',
      stageLabel: '已验收',
      progress: 0.875,
      grade: 'good',
      gradeLabel: '良好',
      finalScore: 86.5,
      leadSecretaryId: 'u-sec-b1',
      leadSecretaryName: '张三',
    };
    const ws = (await readBack(await writeXlsx([projectsTable([p])]))).getWorksheet('项目清单');
    const values = (ws?.getRow(2).values as unknown[]).slice(1);
    expect(values).toEqual(['cy-2026', 'P-9', null, '先锋岗', '预算处党支部', '张三', '服务型', '否', '已验收', 0.875, 86.5, '良好'].map((v) => v ?? undefined));
    expect(ws?.getRow(2).getCell(10).numFmt).toBe('0.00%');
    expect(ws?.getRow(2).getCell(11).numFmt).toBe('0.00');
  });

  it('spreadsheetDate: a calendar day stays that day; a date-time becomes Beijing wall-clock time', () => {
    expect(spreadsheetDate('2026-12-31')).toEqual({ cell: new Date('2026-12-31T00:00:00.000Z'), withTime: false });
    expect(spreadsheetDate('2026-12-31T16:00:00.000Z')).toEqual({ cell: new Date('2027-01-01T00:00:00.000Z'), withTime: true });
    expect(spreadsheetDate('not a date')).toBeNull();
    // A column of dates with a text fallback for a value that is no date.
    const t = table({ name: 'x', columns: [{ header: '日期', width: 12, kind: date, value: (r: { d: string }) => r.d }, { header: '备注', width: 12, kind: text, value: () => null }], rows: [{ d: '待定' }] });
    expect(writeCsv(t)).toBe('\uFEFF日期,备注\r\n待定,\r\n');
  });
});
