/** The admission ledger of `serve --workers N` against literal sequences of worker reports. */
import { describe, expect, it } from 'vitest';
import { AdmissionLedger, type AdmissionDecision, type LedgerLimits } from '../../src/server/admission-ledger.js';
import type { ServeCounts } from '../../src/server/target-stats.js';

type Worker = 'a' | 'b' | 'c';

/** The open count per worker and in total, as the ledger gives them. */
function loads(ledger: AdmissionLedger<Worker>): { a: number; b: number; c: number; open: number } {
  return { a: ledger.openOf('a'), b: ledger.openOf('b'), c: ledger.openOf('c'), open: ledger.open };
}

describe('AdmissionLedger.admit (with a cap)', () => {
  const rows: {
    name: string;
    limits: LedgerLimits;
    wants: [Worker, number][];
    decisions: AdmissionDecision<Worker>[];
    loads: ReturnType<typeof loads>;
    counts: ServeCounts;
  }[] = [
    {
      name: 'grants in order under the cap, numbering ids across workers',
      limits: { maxConns: 10, overLimit: 'close' },
      wants: [['a', 2], ['b', 3], ['a', 1]],
      decisions: [
        { firstId: 1, granted: 2, denied: 0, evicted: [] },
        { firstId: 3, granted: 3, denied: 0, evicted: [] },
        { firstId: 6, granted: 1, denied: 0, evicted: [] },
      ],
      loads: { a: 3, b: 3, c: 0, open: 6 },
      counts: { peakOpen: 6, accepted: 6, overLimit: 0, closedByClient: 0, closedByServer: 0 },
    },
    {
      name: 'close: grants what fits and denies the rest of a batch, then whole batches',
      limits: { maxConns: 3, overLimit: 'close' },
      wants: [['a', 2], ['b', 2], ['c', 1]],
      decisions: [
        { firstId: 1, granted: 2, denied: 0, evicted: [] },
        { firstId: 3, granted: 1, denied: 1, evicted: [] },
        { firstId: 4, granted: 0, denied: 1, evicted: [] },
      ],
      loads: { a: 2, b: 1, c: 0, open: 3 },
      counts: { peakOpen: 3, accepted: 3, overLimit: 2, closedByClient: 0, closedByServer: 0 },
    },
    {
      name: 'refuse and reset deny at the cap as close does',
      limits: { maxConns: 1, overLimit: 'refuse' },
      wants: [['a', 3]],
      decisions: [{ firstId: 1, granted: 1, denied: 2, evicted: [] }],
      loads: { a: 1, b: 0, c: 0, open: 1 },
      counts: { peakOpen: 1, accepted: 1, overLimit: 2, closedByClient: 0, closedByServer: 0 },
    },
    {
      name: 'evict: each one over the cap takes the globally oldest, whichever worker holds it',
      limits: { maxConns: 2, overLimit: 'evict' },
      wants: [['a', 1], ['b', 1], ['c', 2]],
      decisions: [
        { firstId: 1, granted: 1, denied: 0, evicted: [] },
        { firstId: 2, granted: 1, denied: 0, evicted: [] },
        { firstId: 3, granted: 2, denied: 0, evicted: [{ id: 1, worker: 'a' }, { id: 2, worker: 'b' }] },
      ],
      loads: { a: 0, b: 0, c: 2, open: 2 },
      counts: { peakOpen: 2, accepted: 4, overLimit: 2, closedByClient: 0, closedByServer: 2 },
    },
  ];

  it.each(rows)('$name', (row) => {
    const ledger = new AdmissionLedger<Worker>(row.limits);
    expect(row.wants.map(([worker, count]) => ledger.admit(worker, count))).toEqual(row.decisions);
    expect(loads(ledger)).toEqual(row.loads);
    expect(ledger.counts()).toEqual(row.counts);
  });
});

describe('AdmissionLedger.closed', () => {
  it('with a cap, counts each granted id once, from the worker holding it', () => {
    const ledger = new AdmissionLedger<Worker>({ maxConns: 3, overLimit: 'evict' });
    ledger.admit('a', 2); // ids 1, 2
    ledger.admit('b', 2); // id 3, then id 4 evicts id 1 (a's)
    ledger.closed('a', [1, 2], []); // 1 was evicted: counted then, not again
    ledger.closed('a', [3], []); // 3 is b's: not a's to close
    ledger.closed('b', [], [3]);
    ledger.closed('b', [], [3]); // a report repeated: counted once
    expect(loads(ledger)).toEqual({ a: 0, b: 1, c: 0, open: 1 });
    expect(ledger.counts()).toEqual({ peakOpen: 3, accepted: 4, overLimit: 1, closedByClient: 1, closedByServer: 2 });
  });

  it('without a cap, counts what workers admitted and closed by number (the ids are their own)', () => {
    const ledger = new AdmissionLedger<Worker>({ maxConns: null, overLimit: 'close' });
    ledger.opened('a', 5);
    ledger.opened('b', 4);
    ledger.closed('a', [1, 2], [3]);
    ledger.closed('b', [1], []);
    expect(loads(ledger)).toEqual({ a: 2, b: 3, c: 0, open: 5 });
    expect(ledger.counts()).toEqual({ peakOpen: 9, accepted: 9, overLimit: 0, closedByClient: 3, closedByServer: 1 });
  });
});

describe('AdmissionLedger: the cap, turn-aways, lost workers, shutdown', () => {
  it('is at the cap from maxConns open on, and never without a cap', () => {
    const rows: [LedgerLimits, number, boolean][] = [
      [{ maxConns: 3, overLimit: 'close' }, 2, false],
      [{ maxConns: 3, overLimit: 'close' }, 3, true],
      [{ maxConns: 3, overLimit: 'evict' }, 3, true],
      [{ maxConns: null, overLimit: 'close' }, 1000, false],
    ];
    expect(
      rows.map(([limits, opened]) => {
        const ledger = new AdmissionLedger<Worker>(limits);
        ledger.opened('a', opened);
        return ledger.atCap();
      }),
    ).toEqual(rows.map(([, , atCap]) => atCap));
  });

  it('counts connections a worker turned away on its own as over the limit, not as accepted', () => {
    const ledger = new AdmissionLedger<Worker>({ maxConns: 2, overLimit: 'close' });
    ledger.admit('a', 2);
    ledger.turnedAway(4);
    expect(ledger.counts()).toEqual({ peakOpen: 2, accepted: 2, overLimit: 4, closedByClient: 0, closedByServer: 0 });
  });

  it("takes a lost worker's connections off as server closes, and ignores its later reports of them", () => {
    const ledger = new AdmissionLedger<Worker>({ maxConns: 10, overLimit: 'close' });
    ledger.admit('a', 3); // ids 1-3
    ledger.admit('b', 2); // ids 4-5
    expect(ledger.workerGone('a')).toBe(3);
    ledger.closed('a', [1], []);
    expect(loads(ledger)).toEqual({ a: 0, b: 2, c: 0, open: 2 });
    expect(ledger.counts()).toEqual({ peakOpen: 5, accepted: 5, overLimit: 0, closedByClient: 0, closedByServer: 3 });
    expect(ledger.admit('c', 1)).toEqual({ firstId: 6, granted: 1, denied: 0, evicted: [] });
  });

  it('holds nothing after clear, keeping the counts (the teardown is not counted as closes)', () => {
    const ledger = new AdmissionLedger<Worker>({ maxConns: 10, overLimit: 'close' });
    ledger.admit('a', 3);
    ledger.clear();
    expect(loads(ledger)).toEqual({ a: 0, b: 0, c: 0, open: 0 });
    expect(ledger.counts()).toEqual({ peakOpen: 3, accepted: 3, overLimit: 0, closedByClient: 0, closedByServer: 0 });
  });
});
