/**
 * Rows → spreadsheet files, pure: a sheet is a list of column specs (Chinese header, width, kind)
 * and rows; `writeXlsx` makes an .xlsx (exceljs) with a bold frozen header row, column widths,
 * numbers as numbers with their number format, dates as date cells; `writeCsv` makes UTF-8 CSV
 * with a BOM (so spreadsheet programs read the Chinese) and CRLF line ends.
 *
 * Dates: a `YYYY-MM-DD` value (a deadline: the whole Beijing day) is a date cell of that day; a
 * date-time is shown as Beijing wall-clock time (spreadsheets have no time zones), date and time.
 */
import ExcelJS from 'exceljs';
import { stringify } from 'csv-stringify/sync';

/** How a column's values are written. */
export type ColumnKind =
  | { type: 'text' }
  | { type: 'integer' }
  /** A number shown with this many decimals (the cell keeps the full value). */
  | { type: 'decimal'; decimals: number }
  /** A 0..1 share shown as a percentage with this many decimals (the cell keeps the share). */
  | { type: 'percent'; decimals: number }
  /** 是 / 否. */
  | { type: 'boolean' }
  /** A `YYYY-MM-DD` date or an ISO date-time (or a Date). */
  | { type: 'date' };

export type CellInput = string | number | boolean | Date | null;

export interface ColumnSpec<R> {
  header: string;
  /** Width in characters (a Chinese character counts about two). */
  width: number;
  kind: ColumnKind;
  value: (row: R) => CellInput;
}

export interface SheetSpec<R> {
  /** The worksheet's name (at most 31 characters, none of []:*?/\). */
  name: string;
  columns: ColumnSpec<R>[];
  rows: readonly R[];
}

/** A sheet with its values taken out of the rows: what the writers write. */
export interface Table {
  name: string;
  columns: { header: string; width: number; kind: ColumnKind }[];
  rows: CellInput[][];
}

/** Takes each column's value out of each row. */
export function table<R>(spec: SheetSpec<R>): Table {
  return {
    name: spec.name,
    columns: spec.columns.map(({ header, width, kind }) => ({ header, width, kind })),
    rows: spec.rows.map((row) => spec.columns.map((c) => c.value(row))),
  };
}

export const text = { type: 'text' } as const;
export const integer = { type: 'integer' } as const;
export const boolean = { type: 'boolean' } as const;
export const date = { type: 'date' } as const;
export const decimal = (decimals: number) => ({ type: 'decimal', decimals }) as const;
export const percent = (decimals: number) => ({ type: 'percent', decimals }) as const;

const BEIJING_OFFSET_MS = 8 * 3600_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A date value as a spreadsheet shows it: the cell's Date (wall-clock time as UTC) and whether it has a time. */
export function spreadsheetDate(value: string | Date): { cell: Date; withTime: boolean } | null {
  if (typeof value === 'string') {
    const m = DATE_RE.exec(value);
    if (m) return { cell: new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))), withTime: false };
  }
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (!Number.isFinite(ms)) return null;
  return { cell: new Date(ms + BEIJING_OFFSET_MS), withTime: true };
}

function dateText(d: { cell: Date; withTime: boolean }): string {
  const iso = d.cell.toISOString();
  return d.withTime ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : iso.slice(0, 10);
}

function numberFormat(kind: ColumnKind): string | undefined {
  switch (kind.type) {
    case 'integer':
      return '0';
    case 'decimal':
      return kind.decimals > 0 ? `0.${'0'.repeat(kind.decimals)}` : '0';
    case 'percent':
      return kind.decimals > 0 ? `0.${'0'.repeat(kind.decimals)}%` : '0%';
    default:
      return undefined;
  }
}

function booleanText(value: CellInput): string {
  return value === true ? '是' : value === false ? '否' : String(value);
}

/**
 * Text that a spreadsheet would run as a formula (= + - @, or a tab / carriage return first) gets
 * a leading apostrophe in CSV, the usual guard against formula injection; xlsx cells are typed
 * strings and need none.
 */
export function guardCsvText(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** An .xlsx with one worksheet per table. */
export async function writeXlsx(tables: readonly Table[]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = '党建项目全周期管理';
  for (const t of tables) {
    const ws = workbook.addWorksheet(t.name, { views: [{ state: 'frozen', ySplit: 1, xSplit: 0 }] });
    ws.columns = t.columns.map((c) => {
      const numFmt = numberFormat(c.kind);
      return { header: c.header, width: c.width, ...(numFmt ? { style: { numFmt } } : {}) };
    });
    ws.getRow(1).font = { bold: true };
    for (const values of t.rows) {
      const row = ws.addRow(t.columns.map((c, i) => xlsxValue(c.kind, values[i])));
      t.columns.forEach((c, i) => {
        const raw = values[i];
        if (c.kind.type !== 'date' || (typeof raw !== 'string' && !(raw instanceof Date))) return;
        const d = spreadsheetDate(raw);
        if (d) row.getCell(i + 1).numFmt = d.withTime ? 'yyyy-mm-dd hh:mm:ss' : 'yyyy-mm-dd';
      });
    }
    if (t.columns.length > 0) ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: t.columns.length } };
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

function xlsxValue(kind: ColumnKind, value: CellInput): ExcelJS.CellValue {
  if (value === null) return null;
  switch (kind.type) {
    case 'boolean':
      return booleanText(value);
    case 'date': {
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return spreadsheetDate(value)?.cell ?? String(value);
    }
    case 'integer':
    case 'decimal':
    case 'percent':
      return typeof value === 'number' ? value : String(value);
    default:
      return value instanceof Date ? value.toISOString() : String(value);
  }
}

function csvValue(kind: ColumnKind, value: CellInput): string | number {
  if (value === null) return '';
  switch (kind.type) {
    case 'boolean':
      return booleanText(value);
    case 'date': {
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      const d = spreadsheetDate(value);
      return d ? dateText(d) : guardCsvText(String(value));
    }
    case 'integer':
    case 'decimal':
    case 'percent':
      return typeof value === 'number' ? value : guardCsvText(String(value));
    default:
      return guardCsvText(value instanceof Date ? value.toISOString() : String(value));
  }
}

/** One table as CSV: a UTF-8 BOM, the Chinese header row, one line per row, CRLF line ends. */
export function writeCsv(t: Table): string {
  const lines = [t.columns.map((c) => c.header), ...t.rows.map((values) => t.columns.map((c, i) => csvValue(c.kind, values[i])))];
  return `\uFEFF${stringify(lines, { record_delimiter: 'windows' })}`;
}
