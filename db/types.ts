/** Kysely's view of the schema: one interface per table, rows are snake_case. */
import type { ColumnType, Insertable, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, never>;

/** A row written by the wiring-check workflow's activity: proves api → Temporal → worker → PostgreSQL. */
export interface WiringCheckTable {
  id: string;
  message: string;
  workflow_id: string;
  run_id: string;
  created_at: Timestamp;
}

export interface Database {
  wiring_checks: WiringCheckTable;
}

export type WiringCheck = Selectable<WiringCheckTable>;
export type NewWiringCheck = Insertable<WiringCheckTable>;
