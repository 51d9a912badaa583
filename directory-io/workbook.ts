/**
 * Files ↔ sheet rows: `.xlsx` through exceljs (the three sheets 组织、人员、督查分工) and CSV (one
 * sheet per file), in both directions, and the empty template. Cells come out as normalised text
 * (sheets.ts); nothing here knows what a valid org or user is.
 *
 * Cells are read as normaliseText (codes get NFKC later, when they are parsed: plan.ts).
 *
 * Merged cells: a merge inside one column (a parent or an org id written once for several rows,
 * as people do) gives every cell of the range the master cell's value; a merge across columns
 * cannot mean anything for a row of fields and is reported as an error on the row.
 */
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { headers, recordsToRows, type DirectoryRecords } from './records';
import { unstorableCharacter, unstorableReasonZh } from '../workflows/lifecycle';
import { SHEET_KEYS, SHEETS, normaliseHeader, normaliseText, type RawRow, type RawSheet, type RawWorkbook, type RowError, type SheetKey } from './sheets';

/** Rows per sheet a file may hold (the header excluded). */
export const MAX_ROWS_PER_SHEET = 20_000;

/** The file cannot be read at all (not a workbook, too many rows): a 400 for the whole request, not a row's error. */
export class DirectoryFileError extends Error {
  constructor(
    readonly detail: string,
    readonly tooLarge = false,
  ) {
    super(detail);
  }
}

// ---- Reading ---------------------------------------------------------------------------------

type CellValue = ExcelJS.CellValue;

function numberText(n: number): string {
  // Integers as written (an id or a mobile number typed as a number), never in exponent form.
  return Number.isInteger(n) && Math.abs(n) < 1e21 ? BigInt(n).toString() : String(n);
}

/** The text of a cell value of any exceljs kind (string, number, rich text, hyperlink, formula result, date). */
export function cellText(value: CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return numberText(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if ('richText' in value) return value.richText.map((r) => r.text).join('');
  if ('formula' in value || 'sharedFormula' in value) return cellText((value as { result?: CellValue }).result ?? null);
  if ('hyperlink' in value) return cellText((value as { text: CellValue }).text);
  if ('error' in value) return String(value.error);
  return '';
}

/** Undoes the export's guard against spreadsheet formulas (a leading apostrophe before = + - @). */
function unguard(text: string): string {
  return /^'[=+\-@\t\r]/.test(text) ? text.slice(1) : text;
}

interface HeaderMap {
  /** Column index (1-based for xlsx, 0-based for CSV) → field. */
  columns: Map<number, string>;
  errors: RowError[];
}

function mapHeader(sheet: SheetKey, cells: { index: number; text: string }[]): HeaderMap {
  const def = SHEETS[sheet];
  const byHeader = new Map(def.columns.map((c) => [normaliseHeader(c.header), c]));
  const columns = new Map<number, string>();
  const errors: RowError[] = [];
  const seen = new Set<string>();
  for (const { index, text } of cells) {
    const column = byHeader.get(normaliseHeader(text));
    if (!column) continue; // a column of the committee's own (备注…) is kept out of the import
    if (seen.has(column.field)) {
      errors.push({ sheet: def.title, row: 1, column: column.header, message: `表头“${column.header}”出现了不止一次。` });
      continue;
    }
    seen.add(column.field);
    columns.set(index, column.field);
  }
  for (const c of def.columns) {
    if (!seen.has(c.field) && c.required) errors.push({ sheet: def.title, row: 1, column: c.header, message: `缺少必填列“${c.header}”（第 1 行应为表头）。` });
  }
  return { columns, errors };
}

function emptyCells(sheet: SheetKey): Record<string, string> {
  return Object.fromEntries(SHEETS[sheet].columns.map((c) => [c.field, '']));
}

function readWorksheet(ws: ExcelJS.Worksheet, sheet: SheetKey): { sheet: RawSheet; errors: RowError[] } {
  const def = SHEETS[sheet];
  const headerRow = ws.getRow(1);
  const headerCells: { index: number; text: string }[] = [];
  headerRow.eachCell({ includeEmpty: false }, (cell, col) => headerCells.push({ index: col, text: cellText(cell.value) }));
  const { columns, errors } = mapHeader(sheet, headerCells);
  const rows: RawRow[] = [];
  if (ws.rowCount - 1 > MAX_ROWS_PER_SHEET) {
    throw new DirectoryFileError(`工作表“${def.title}”有 ${ws.rowCount - 1} 行，超过每表 ${MAX_ROWS_PER_SHEET} 行的上限，请分批导入。`, true);
  }
  for (let r = 2; r <= ws.rowCount; r++) {
    const row = ws.getRow(r);
    const cells = emptyCells(sheet);
    let filled = false;
    const rowErrors: RowError[] = [];
    for (const [col, field] of columns) {
      const cell = row.getCell(col);
      const master = cell.master;
      if (master !== cell && master.col !== cell.col) {
        rowErrors.push({
          sheet: def.title,
          row: r,
          column: def.columns.find((c) => c.field === field)!.header,
          message: `单元格 ${cell.address} 与 ${master.address} 跨列合并，无法确定各列的值；请取消合并后重新填写。`,
        });
        continue;
      }
      // A merge within one column: exceljs answers the master's value for every cell of the range.
      const text = normaliseText(cellText(cell.value));
      cells[field] = text;
      if (text !== '') filled = true;
      const unstorable = unstorableCellError(def.title, r, def.columns.find((c) => c.field === field)!.header, text);
      if (unstorable) rowErrors.push(unstorable);
    }
    if (!filled && rowErrors.length === 0) continue; // a fully empty row is skipped
    rows.push({ row: r, cells });
    errors.push(...rowErrors);
  }
  return { sheet: { key: sheet, rows }, errors };
}

/**
 * A cell PostgreSQL or the workflows cannot keep (U+0000, a lone surrogate, a C0 control other than
 * tab/LF/CR): the same rule and wording as every other door (workflows/lifecycle limits.ts).
 */
function unstorableCellError(sheet: string, row: number, column: string, text: string): RowError | null {
  const reason = unstorableCharacter(text);
  return reason ? { sheet, row, column, message: `含有无法保存的字符（${unstorableReasonZh(reason)}），请删除后重新导入。` } : null;
}

/** Reads an `.xlsx` workbook: each of the three sheets it has (found by name), row by row. */
export async function readXlsx(bytes: Buffer): Promise<RawWorkbook> {
  const workbook = new ExcelJS.Workbook();
  try {
    // exceljs's declared Buffer type predates @types/node's generic Buffer.
    await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch {
    throw new DirectoryFileError('文件不是有效的 .xlsx 工作簿（可能已损坏，或是旧版 .xls 格式：请在 Excel 中另存为 .xlsx）。');
  }
  const out: RawWorkbook = { sheets: {}, errors: [] };
  for (const key of SHEET_KEYS) {
    const ws = workbook.worksheets.find((w) => normaliseHeader(w.name) === SHEETS[key].title);
    if (!ws) continue;
    const { sheet, errors } = readWorksheet(ws, key);
    out.sheets[key] = sheet;
    out.errors.push(...errors);
  }
  if (Object.keys(out.sheets).length === 0) {
    throw new DirectoryFileError(`工作簿中没有可导入的工作表：工作表应命名为 ${SHEET_KEYS.map((k) => `“${SHEETS[k].title}”`).join('、')}。`);
  }
  return out;
}

/** UTF-8 (with or without BOM), or else GB18030 — what Excel on a Chinese Windows writes for “CSV”. */
function decodeText(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('gb18030').decode(bytes);
  }
}

/** Reads a CSV file as the one sheet named by `sheet` (CSV holds one table). */
export function readCsv(bytes: Buffer, sheet: SheetKey): RawWorkbook {
  let records: string[][];
  try {
    records = parse(decodeText(bytes), { bom: true, relax_column_count: true, skip_empty_lines: false, relax_quotes: true }) as string[][];
  } catch (error) {
    throw new DirectoryFileError(`CSV 文件无法解析：${(error as Error).message.slice(0, 200)}`);
  }
  if (records.length - 1 > MAX_ROWS_PER_SHEET) {
    throw new DirectoryFileError(`CSV 文件有 ${records.length - 1} 行，超过每表 ${MAX_ROWS_PER_SHEET} 行的上限，请分批导入。`, true);
  }
  const def = SHEETS[sheet];
  const [head = [], ...data] = records;
  const { columns, errors } = mapHeader(
    sheet,
    head.map((text, index) => ({ index, text })),
  );
  const rows: RawRow[] = [];
  data.forEach((record, i) => {
    const cells = emptyCells(sheet);
    let filled = false;
    for (const [col, field] of columns) {
      const text = normaliseText(unguard(record[col] ?? ''));
      cells[field] = text;
      if (text !== '') filled = true;
      const unstorable = unstorableCellError(def.title, i + 2, def.columns.find((c) => c.field === field)!.header, text);
      if (unstorable) errors.push(unstorable);
    }
    if (filled) rows.push({ row: i + 2, cells });
  });
  if (head.length === 0) errors.push({ sheet: def.title, row: 1, column: '', message: 'CSV 文件是空的：第 1 行应为表头。' });
  return { sheets: { [sheet]: { key: sheet, rows } }, errors };
}

// ---- Writing ---------------------------------------------------------------------------------

/** Rows of the template and export that carry the drop-down lists (beyond the data). */
const VALIDATED_SPARE_ROWS = 500;

function addSheet(workbook: ExcelJS.Workbook, sheet: SheetKey, rows: string[][]): void {
  const def = SHEETS[sheet];
  const ws = workbook.addWorksheet(def.title, { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = def.columns.map((c) => ({ header: c.header, key: c.field, width: c.width, style: { numFmt: '@' } }));
  const head = ws.getRow(1);
  head.font = { bold: true };
  def.columns.forEach((c, i) => {
    const cell = head.getCell(i + 1);
    cell.note = `${c.required ? '必填。' : '选填。'}${c.hint}`;
    cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: c.required ? 'FFFCE4D6' : 'FFDDEBF7' } };
  });
  // Text cells throughout: ids like 001 and mobile numbers stay as typed.
  for (const values of rows) ws.addRow(values);
  const last = rows.length + 1 + VALIDATED_SPARE_ROWS;
  def.columns.forEach((c, i) => {
    if (!c.choices) return;
    const list = `"${c.choices.join(',')}"`;
    for (let r = 2; r <= last; r++) {
      ws.getCell(r, i + 1).dataValidation = {
        type: 'list',
        allowBlank: !c.required,
        formulae: [list],
        showErrorMessage: true,
        errorTitle: c.header,
        error: `请从列表中选择：${c.choices.join('、')}`,
      };
    }
  });
}

function addInstructions(workbook: ExcelJS.Workbook): void {
  const ws = workbook.addWorksheet('说明');
  ws.getColumn(1).width = 16;
  ws.getColumn(2).width = 18;
  ws.getColumn(3).width = 100;
  const lines: [string, string, string][] = [
    ['工作表', '列', '说明'],
    ...SHEET_KEYS.flatMap((k) => SHEETS[k].columns.map((c) => [SHEETS[k].title, c.header, `${c.required ? '必填。' : '选填。'}${c.hint}`] as [string, string, string])),
    ['', '', ''],
    ['导入规则', '', '每张表列出的是其中各行的完整目标状态：表中已有编号的行会按表修改，新编号的行会新增。'],
    ['', '', '未列入表中的组织和用户保持不变，不会被撤销或停用；要撤销组织请把“状态”填为“撤销”，要停用用户请填“停用”。'],
    ['', '', '督查分工：表中出现的督查员，其分工以本表为准（未列出的分工将被取消）；未出现的督查员不变。'],
    ['', '', '新用户没有密码：请工委在系统中为其重置密码后再登录。'],
    ['', '', '先“试导入”查看每一行的错误和将发生的变更，无误后再正式导入；正式导入在一个事务中完成，有任何错误则全部不导入。'],
    ['', '', '全角数字、字母和空格会自动转换为半角；完全空白的行会被忽略；同一列内的合并单元格按合并区域左上角的值读取，跨列合并会报错。'],
    ['', '', '本“说明”表不会被导入，可以保留或删除。'],
  ];
  for (const line of lines) ws.addRow(line);
  ws.getRow(1).font = { bold: true };
}

/** The empty template: the three sheets with their Chinese headers, notes, drop-down lists, and an explanation sheet. */
export async function writeTemplateXlsx(): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = '党建项目全周期管理';
  for (const key of SHEET_KEYS) addSheet(workbook, key, []);
  addInstructions(workbook);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** The directory in the import format: the three sheets, every field written. */
export async function writeDirectoryXlsx(records: DirectoryRecords): Promise<Buffer> {
  const rows = recordsToRows(records);
  const workbook = new ExcelJS.Workbook();
  workbook.creator = '党建项目全周期管理';
  for (const key of SHEET_KEYS) addSheet(workbook, key, rows[key]);
  addInstructions(workbook);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** A spreadsheet reads a cell starting with = + - @ as a formula: such text is written behind an apostrophe, which the reader removes again. */
function guard(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** One sheet as CSV: UTF-8 with a BOM (so Excel opens the Chinese correctly), CRLF line ends. */
export function writeDirectoryCsv(records: DirectoryRecords, sheet: SheetKey): Buffer {
  const rows = recordsToRows(records)[sheet].map((r) => r.map(guard));
  return Buffer.from(`\uFEFF${stringify([headers(sheet), ...rows], { record_delimiter: 'windows' })}`, 'utf8');
}
