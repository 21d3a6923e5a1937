import { describe, expect, it } from 'vitest';
import { FIRST_SYN_BINS_KEPT, FirstSynTally, synRetransmitsOf } from '../../src/engine/first-syn-tally.js';

describe('synRetransmitsOf', () => {
  it.each([
    // [connect ms, the kernel's count (null: not asked), SYNs resent]
    [0.2, null, 0],
    [850, null, 0],
    [900, null, 1],
    [1012, null, 1],
    [2040, null, 1], // without the kernel's word, at least one
    [1012, 1, 1],
    [2040, 2, 2],
    [5, 0, 0],
    [1012, -1, 1], // the kernel could not say: the connect time decides
  ] as const)('%s ms, kernel %s -> %s', (ms, kernel, resent) => {
    expect(synRetransmitsOf(ms, kernel)).toBe(resent);
  });
});

describe('FirstSynTally', () => {
  it('counts each outcome in the 10 ms bin of its start, and copies the bins from a given one to now', () => {
    let now = 0;
    const t = new FirstSynTally(() => now);
    t.note(0, 'passed');
    t.note(9.9, 'passed');
    t.note(10, 'dropped');
    t.note(25, 'refused');
    t.note(25, 'passed');
    now = 41;
    expect(t.nowBin()).toBe(4);
    expect(t.since(0)).toEqual({ binMs: 10, fromBin: 0, passed: [2, 0, 1, 0, 0], dropped: [0, 1, 0, 0, 0], refused: [0, 0, 1, 0, 0] });
    expect(t.since(2)).toEqual({ binMs: 10, fromBin: 2, passed: [1, 0, 0], dropped: [0, 0, 0], refused: [1, 0, 0] });
    // A connect that ends later is booked where it started, so a view taken after it ends sees it.
    t.note(12, 'dropped');
    expect(t.since(1).dropped).toEqual([2, 0, 0, 0]);
    expect(t.turnedAway()).toBe(3);
  });

  it('keeps the last minute of bins: older ones read as empty, and their slots serve new bins', () => {
    let now = 0;
    const t = new FirstSynTally(() => now);
    t.note(5, 'refused');
    t.note(5, 'passed');
    now = 60_005; // bin 6000: the slot of bin 0 again
    t.note(60_001, 'passed');
    t.note(3, 'dropped'); // started more than a minute ago: past the ring, counted only in the total
    const b = t.since(0);
    expect(b.fromBin).toBe(1);
    expect(b.passed.length).toBe(FIRST_SYN_BINS_KEPT);
    expect(b.passed.at(-1)).toBe(1);
    expect(b.passed.reduce((n, x) => n + x, 0)).toBe(1);
    expect(b.refused.reduce((n, x) => n + x, 0)).toBe(0);
    expect(t.turnedAway()).toBe(2);
  });
});
