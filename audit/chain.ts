/**
 * Verifying a project's hash-chained event log (db/hash-chain.ts) and locating the first break.
 *
 * Each row's hash covers the previous row's hash, the project id, the row's seq and its event, so
 * a row knows both where it belongs (its seq) and what came before it (its prev_hash). That lets
 * the verifier tell the kinds of tampering apart instead of only saying "broken at seq n":
 * - edited:    a row's content (or its hash or prev_hash) no longer matches; or a row was rewritten
 *              with a recomputed hash, which the next row's prev_hash still contradicts;
 * - missing:   a seq is absent (a gap), or rows after a deleted one were renumbered to close it
 *              (their content still hashes at their old, higher seq), or the log stops short of
 *              the events the workflow applied;
 * - inserted:  a row that is not part of the chain (the next row links past it), a forged row
 *              that forks from the same predecessor as the genuine one, or rows beyond the
 *              workflow's own count;
 * - reordered: a row's content hashes at another seq, and the genuine successor sits elsewhere.
 */
import { canonicalJson, chainHash } from '../db/hash-chain';
import type { ChainBreakKind, LoggedEvent } from './types';

/** The fields of a row the chain covers, plus the denormalised columns copied from the event. */
export type ChainRow = Pick<LoggedEvent, 'seq' | 'prevHash' | 'hash'> & { event: unknown } & Partial<Pick<LoggedEvent, 'type' | 'actorId' | 'actorRole' | 'actorOrgId' | 'at'>>;

export interface ChainBreak {
  projectId: string;
  /** The first seq at which the log is wrong. */
  seq: number;
  kind: ChainBreakKind;
  /** For a person (Chinese). */
  detail: string;
}

export interface ChainResult {
  projectId: string;
  ok: boolean;
  /** Rows examined. */
  rows: number;
  /** The last seq of an unbroken prefix of the chain. */
  verifiedThrough: number;
  break: ChainBreak | null;
}

export interface ChainOptions {
  /** The number of events the workflow says it applied; a log that is shorter or longer is broken. */
  expectedLastSeq?: number;
}

function selfHashOk(projectId: string, row: ChainRow, seq: number): boolean {
  try {
    return chainHash(row.prevHash, projectId, seq, row.event) === row.hash;
  } catch {
    return false;
  }
}

/** The seq at which the row's content hashes to its stored hash, or null if at none nearby. */
function trueSeqOf(projectId: string, row: ChainRow, maxSeq: number): number | null {
  for (let s = 1; s <= maxSeq; s += 1) if (selfHashOk(projectId, row, s)) return s;
  return null;
}

/** Which denormalised column disagrees with the hashed event, if any. */
function columnMismatch(row: ChainRow): string | null {
  const event = row.event as { type?: unknown; at?: unknown; actor?: { userId?: unknown; role?: unknown; orgId?: unknown } } | null;
  if (event === null || typeof event !== 'object') return 'event';
  const pairs: [string, unknown, unknown][] = [
    ['type', row.type, event.type],
    ['actor_id', row.actorId, event.actor?.userId],
    ['actor_role', row.actorRole, event.actor?.role],
    ['actor_org_id', row.actorOrgId, event.actor?.orgId],
    ['at', row.at, event.at],
  ];
  for (const [column, stored, hashed] of pairs) if (stored !== undefined && canonicalJson(stored) !== canonicalJson(hashed)) return column;
  return null;
}

/** Verifies one project's chain; `rows` in any order. Pure: the same rows always give the same answer. */
export function verifyChain(projectId: string, input: readonly ChainRow[], options: ChainOptions = {}): ChainResult {
  const rows = [...input].sort((a, b) => a.seq - b.seq);
  const maxSeq = Math.max(rows.length, rows.at(-1)?.seq ?? 0, options.expectedLastSeq ?? 0) + 2;
  const broken = (seq: number, kind: ChainBreakKind, detail: string, verifiedThrough: number): ChainResult => ({
    projectId,
    ok: false,
    rows: rows.length,
    verifiedThrough,
    break: { projectId, seq, kind, detail },
  });

  let prevHash: string | null = null;
  let prev: ChainRow | undefined;
  let expect = 1;
  for (let i = 0; i < rows.length; i += 1) {
    const row = rows[i];
    const through = expect - 1;
    if (row.seq < expect) {
      return broken(row.seq, 'inserted', `项目 ${projectId} 第 ${row.seq} 条事件重复出现`, through);
    }
    if (row.seq > expect) {
      const range = row.seq - 1 > expect ? `${expect}–${row.seq - 1}` : `${expect}`;
      return broken(expect, 'missing', `项目 ${projectId} 缺少第 ${range} 条事件（被删除）`, through);
    }
    const selfOk = selfHashOk(projectId, row, row.seq);
    const linkOk = row.prevHash === prevHash;
    if (selfOk && linkOk) {
      const column = columnMismatch(row);
      if (column) return broken(row.seq, 'edited', `项目 ${projectId} 第 ${row.seq} 条事件的 ${column} 列与其已签哈希的内容不符（被修改）`, through);
      prevHash = row.hash;
      prev = row;
      expect += 1;
      continue;
    }

    const next = rows[i + 1];
    if (linkOk) {
      // In its place, linked to the right predecessor, but its content no longer matches its hash.
      if (next && next.prevHash === prevHash && trueSeqOf(projectId, row, maxSeq) === null) {
        return broken(row.seq, 'inserted', `项目 ${projectId} 第 ${row.seq} 条事件不属于哈希链（后一条越过它链接到前一条），是插入的`, through);
      }
      return broken(row.seq, 'edited', `项目 ${projectId} 第 ${row.seq} 条事件的内容与其哈希不符（被修改）`, through);
    }
    // Linked to something other than the row before it.
    if (prev && row.prevHash === prev.prevHash) {
      return broken(prev.seq, 'inserted', `项目 ${projectId} 第 ${prev.seq} 条事件是插入的：它与原第 ${prev.seq} 条（现第 ${row.seq} 条）链接到同一前驱`, through - 1);
    }
    const trueSeq = trueSeqOf(projectId, row, maxSeq);
    if (next && next.prevHash === prevHash && trueSeq === null) {
      return broken(row.seq, 'inserted', `项目 ${projectId} 第 ${row.seq} 条事件不属于哈希链（后一条越过它链接到前一条），是插入的`, through);
    }
    const successor = rows.find((r, j) => j > i && r.prevHash === prevHash);
    if (successor) {
      const from = trueSeq !== null ? `原第 ${trueSeq} 条事件` : '另一条事件';
      return broken(row.seq, 'reordered', `项目 ${projectId} 事件顺序被调换：第 ${row.seq} 条位置上是${from}，原第 ${row.seq} 条事件现位于第 ${successor.seq} 条`, through);
    }
    if (trueSeq !== null && trueSeq > row.seq) {
      const range = trueSeq - 1 > row.seq ? `${row.seq}–${trueSeq - 1}` : `${row.seq}`;
      return broken(row.seq, 'missing', `项目 ${projectId} 原第 ${range} 条事件被删除，其后事件被重新编号`, through);
    }
    if (selfOk && prev) {
      return broken(prev.seq, 'edited', `项目 ${projectId} 第 ${prev.seq} 条事件被改写并重算了哈希（第 ${row.seq} 条仍链接到原哈希）`, through - 1);
    }
    return broken(row.seq, 'edited', `项目 ${projectId} 第 ${row.seq} 条事件的前驱哈希或内容被修改`, through);
  }

  const last = expect - 1;
  const expected = options.expectedLastSeq;
  if (expected !== undefined && last < expected) {
    const range = expected > last + 1 ? `${last + 1}–${expected}` : `${last + 1}`;
    return broken(last + 1, 'missing', `项目 ${projectId} 的事件日志止于第 ${last} 条，而工作流已记录 ${expected} 条：缺少第 ${range} 条`, last);
  }
  if (expected !== undefined && last > expected) {
    return broken(expected + 1, 'inserted', `项目 ${projectId} 的事件日志有 ${last} 条，而工作流只记录了 ${expected} 条：第 ${expected + 1} 条起是多出的`, expected);
  }
  return { projectId, ok: true, rows: rows.length, verifiedThrough: last, break: null };
}
