/**
 * Date helpers. Only parsing of given strings (Date.parse / Date.UTC), never the current time,
 * so they are safe inside Temporal workflows and give the same answer in every replay.
 */
import type { IsoDate, IsoDateTime } from './types';

/** Cycle calendars are in Asia/Shanghai, which has no daylight saving time. */
export const CYCLE_UTC_OFFSET = '+08:00';

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isCalendarDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (m === 2 && leap ? 29 : DAYS_IN_MONTH[m - 1]);
}

/** `YYYY-MM-DD` naming a real calendar day. */
export function isIsoDate(value: unknown): value is IsoDate {
  if (typeof value !== 'string') return false;
  const m = DATE_RE.exec(value);
  return m !== null && isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** An ISO-8601 date-time with an explicit offset (or `Z`). */
export function isIsoDateTime(value: unknown): value is IsoDateTime {
  if (typeof value !== 'string') return false;
  const m = DATE_TIME_RE.exec(value);
  if (m === null || !isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))) return false;
  return Number.isFinite(Date.parse(value));
}

/**
 * A deadline: a calendar date (the whole day, Beijing time) or an exact date-time. Calendars
 * compressed to seconds for tests and drills use date-times.
 */
export function isIsoDeadline(value: unknown): value is IsoDate | IsoDateTime {
  return isIsoDate(value) || isIsoDateTime(value);
}

/** Epoch milliseconds of a date-time. */
export function instantMs(value: IsoDateTime): number {
  return Date.parse(value);
}

/**
 * Epoch milliseconds at which a deadline passes. A date-only deadline lasts until the end of
 * that day in the cycle's time zone; a date-time deadline is taken as is.
 */
export function deadlineMs(value: IsoDate | IsoDateTime): number {
  if (DATE_RE.test(value)) return Date.parse(`${value}T23:59:59.999${CYCLE_UTC_OFFSET}`);
  return Date.parse(value);
}

/** Calendar year of a `YYYY-MM-DD` date. */
export function yearOf(date: IsoDate): number {
  return Number(date.slice(0, 4));
}
