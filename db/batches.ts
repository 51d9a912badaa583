/** Splitting multi-row writes so one statement stays within PostgreSQL's 65,535 bind parameters. */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './types';

/** The items in consecutive slices of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Bind parameters one statement may use, with room below the protocol's 65,535. */
const MAX_PARAMETERS = 60_000;

/** Inserts the rows in as few statements as the parameter limit allows (rows of one table share their columns). */
export async function insertRows(trx: Kysely<Database> | Transaction<Database>, table: keyof Database, rows: readonly Record<string, unknown>[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = Math.max(1, Object.keys(rows[0]!).length);
  for (const part of chunks(rows, Math.max(1, Math.floor(MAX_PARAMETERS / columns)))) {
    await trx.insertInto(table).values(part as never).execute();
  }
}
