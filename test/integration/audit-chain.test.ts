/**
 * Locating hash-chain breaks, property-tested: any valid chain, any one tampering (edit, delete,
 * delete and renumber, swap, forged or clumsy insertion, rewrite with a recomputed hash, edited
 * link), and the verifier names the kind and the first seq where the log is wrong.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyChain, type ChainRow } from '../../audit';
import { chainHash } from '../../db/hash-chain';

const PROJECT = 'p-chain';

function chainOf(events: unknown[]): ChainRow[] {
  const rows: ChainRow[] = [];
  let prev: string | null = null;
  events.forEach((event, i) => {
    const hash = chainHash(prev, PROJECT, i + 1, event);
    rows.push({ seq: i + 1, event: event, prevHash: prev, hash });
    prev = hash;
  });
  return rows;
}

const renumber = (rows: ChainRow[], from: number, delta: number) => rows.map((r) => (r.seq >= from ? { ...r, seq: r.seq + delta } : r));
const eventArb = fc.record({ type: fc.constantFrom('submit', 'approve', 'submitEvidence'), n: fc.integer(), text: fc.string({ maxLength: 8 }) });
const FAKE = 'f'.repeat(64);

type Tamper = { name: string; apply: (rows: ChainRow[]) => ChainRow[]; expected: { seq: number; kind: string } | null };

function tampers(n: number, k: number, j: number): Tamper[] {
  const a = Math.min(k, j);
  const b = Math.max(k, j);
  const forged = { type: 'remindReview', forged: true };
  const list: Tamper[] = [
    { name: 'edit payload', apply: (rows) => rows.map((r) => (r.seq === k ? { ...r, event: { ...(r.event as object), tampered: 'edited' } } : r)), expected: { seq: k, kind: 'edited' } },
    { name: 'delete', apply: (rows) => rows.filter((r) => r.seq !== k), expected: { seq: k, kind: 'missing' } },
    {
      name: 'forged insertion',
      apply: (rows) => {
        const before = rows.find((r) => r.seq === k - 1);
        const prevHash = before?.hash ?? null;
        return [...renumber(rows, k, 1), { seq: k, event: forged, prevHash, hash: chainHash(prevHash, PROJECT, k, forged) }];
      },
      expected: { seq: k, kind: 'inserted' },
    },
    { name: 'clumsy insertion', apply: (rows) => [...renumber(rows, k, 1), { seq: k, event: forged, prevHash: FAKE, hash: FAKE }], expected: { seq: k, kind: 'inserted' } },
    { name: 'edited link', apply: (rows) => rows.map((r) => (r.seq === k ? { ...r, prevHash: FAKE } : r)), expected: { seq: k, kind: 'edited' } },
    { name: 'forged append', apply: (rows) => [...rows, { seq: n + 1, event: forged, prevHash: rows[n - 1].hash, hash: chainHash(rows[n - 1].hash, PROJECT, n + 1, forged) }], expected: { seq: n + 1, kind: 'inserted' } },
  ];
  if (k < n) {
    list.push({ name: 'delete and renumber', apply: (rows) => renumber(rows.filter((r) => r.seq !== k), k + 1, -1), expected: { seq: k, kind: 'missing' } });
    list.push({
      name: 'rewrite with recomputed hash',
      apply: (rows) =>
        rows.map((r) => {
          if (r.seq !== k) return r;
          const event = { ...(r.event as object), tampered: 'rewritten' };
          return { ...r, event, hash: chainHash(r.prevHash, PROJECT, k, event) };
        }),
      expected: { seq: k, kind: 'edited' },
    });
  }
  if (a !== b) {
    list.push({ name: 'swap', apply: (rows) => rows.map((r) => (r.seq === a ? { ...r, seq: b } : r.seq === b ? { ...r, seq: a } : r)), expected: { seq: a, kind: 'reordered' } });
  }
  return list;
}

describe('the hash chain verifier locates every kind of tampering', () => {
  it('accepts an intact chain of any length, and the empty log of a workflow that applied nothing', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { minLength: 0, maxLength: 30 }), (events) => {
        expect(verifyChain(PROJECT, chainOf(events), { expectedLastSeq: events.length }).ok).toBe(true);
      }),
    );
  });

  it('names the kind and the first wrong seq of any single tampering', () => {
    fc.assert(
      fc.property(
        fc.array(eventArb, { minLength: 2, maxLength: 25 }).chain((events) => fc.tuple(fc.constant(events), fc.integer({ min: 1, max: events.length }), fc.integer({ min: 1, max: events.length }))),
        ([events, k, j]) => {
          const rows = chainOf(events);
          for (const t of tampers(events.length, k, j)) {
            const result = verifyChain(PROJECT, t.apply(rows), { expectedLastSeq: events.length });
            expect(result.break, `${t.name} at ${k}/${j} of ${events.length}`).toMatchObject({ projectId: PROJECT, ...t.expected });
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('finds a tail cut only against the workflow\'s own count', () => {
    const rows = chainOf([{ a: 1 }, { a: 2 }, { a: 3 }]);
    expect(verifyChain(PROJECT, rows.slice(0, 2)).ok).toBe(true);
    expect(verifyChain(PROJECT, rows.slice(0, 2), { expectedLastSeq: 3 }).break).toMatchObject({ seq: 3, kind: 'missing' });
  });
});
