/**
 * The projected states of a cycle's projects, kept in this process between reads and brought up to
 * date on every read. The committee's figures and reports read a whole cycle: at a province's size
 * (28,000 projects, ~35 MB of state) loading and parsing it took most of a request's time.
 *
 * Each read lists the cycle's rows with their row version — PostgreSQL's `xmin`, new on every write
 * of a row by any writer (the workflows' projections, the launcher's batch, a repair by hand) — and
 * fetches only the rows that are new or changed since the last read; rows gone from the listing are
 * dropped. So a read sees every write committed before its listing, as a plain SELECT would.
 *
 * The states are deep-frozen: every reader shares them, and a report that tried to change one
 * would throw rather than corrupt the next request's figures. Refreshes of one cycle run one at a
 * time; the least recently read cycles are forgotten beyond `maxCycles`.
 */
import { sql, type SqlBool } from 'kysely';
import type { ProjectState } from '../workflows/lifecycle';
import type { Db } from '.';

export interface CycleStatesCache {
  /** The cycle's projects (top-level and sub-projects), ordered by id, as of this read. */
  states(cycleId: string): Promise<readonly ProjectState[]>;
  /** What the last read of a cycle fetched: for tests and logs. */
  lastRefresh(cycleId: string): { listed: number; fetched: number } | undefined;
}

interface Cached {
  xmin: string;
  state: ProjectState;
}

interface CycleEntry {
  rows: Map<string, Cached>;
  /** The refresh in progress or the last one: the next one waits for it. */
  tail: Promise<unknown>;
  last?: { listed: number; fetched: number };
}

/** Past this share of changed rows the whole cycle is read again in one query. */
const REREAD_WHOLE_SHARE = 0.5;
/** Ids per `= any(...)` fetch. */
const FETCH_CHUNK = 5_000;

export function createCycleStatesCache(db: Db, options: { maxCycles?: number } = {}): CycleStatesCache {
  const maxCycles = Math.max(1, options.maxCycles ?? 4);
  const cycles = new Map<string, CycleEntry>();

  function entryOf(cycleId: string): CycleEntry {
    let entry = cycles.get(cycleId);
    if (entry) {
      // Most recently read last: the first one is the one to forget.
      cycles.delete(cycleId);
    } else {
      entry = { rows: new Map(), tail: Promise.resolve() };
    }
    cycles.set(cycleId, entry);
    while (cycles.size > maxCycles) cycles.delete(cycles.keys().next().value!);
    return entry;
  }

  async function refresh(cycleId: string, entry: CycleEntry): Promise<readonly ProjectState[]> {
    const listing = await db
      .selectFrom('projects')
      .select(['id', sql<string>`xmin::text`.as('xmin')])
      .where('cycle_id', '=', cycleId)
      .orderBy('id')
      .execute();
    const stale = listing.filter((r) => entry.rows.get(r.id)?.xmin !== r.xmin).map((r) => r.id);
    const next = new Map<string, Cached>();
    const whole = stale.length > listing.length * REREAD_WHOLE_SHARE;
    if (whole) {
      const rows = await db.selectFrom('projects').select(['id', sql<string>`xmin::text`.as('xmin'), 'state']).where('cycle_id', '=', cycleId).orderBy('id').execute();
      for (const r of rows) next.set(r.id, reuseOrFreeze(entry.rows.get(r.id), r));
    } else {
      const staleIds = new Set(stale);
      const fetched = new Map<string, Cached>();
      for (let i = 0; i < stale.length; i += FETCH_CHUNK) {
        const ids = stale.slice(i, i + FETCH_CHUNK);
        const rows = await db
          .selectFrom('projects')
          .select(['id', sql<string>`xmin::text`.as('xmin'), 'state'])
          .where(sql<SqlBool>`id = any(${ids}::text[])`)
          .where('cycle_id', '=', cycleId)
          .execute();
        for (const r of rows) fetched.set(r.id, { xmin: r.xmin, state: deepFreeze(r.state) });
      }
      for (const { id } of listing) {
        // A stale row not fetched was deleted (or moved) after the listing: it is left out.
        const row = fetched.get(id) ?? (staleIds.has(id) ? undefined : entry.rows.get(id));
        if (row) next.set(id, row);
      }
    }
    entry.rows = next;
    entry.last = { listed: listing.length, fetched: whole ? next.size : stale.length };
    return [...next.values()].map((r) => r.state);
  }

  return {
    states(cycleId) {
      const entry = entryOf(cycleId);
      const result = entry.tail.then(() => refresh(cycleId, entry));
      entry.tail = result.catch(() => undefined);
      return result;
    },
    lastRefresh(cycleId) {
      return cycles.get(cycleId)?.last;
    },
  };
}

function reuseOrFreeze(cached: Cached | undefined, row: { xmin: string; state: ProjectState }): Cached {
  return cached && cached.xmin === row.xmin ? cached : { xmin: row.xmin, state: deepFreeze(row.state) };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
