import { describe, expect, it } from 'vitest';
import { newConnectionRate } from '../../src/controller/detect.js';
import type { FirstSynBins } from '../../src/types/first-syn.js';

/** 10 ms bins from lists of per-bin counts (refused defaults to none). */
function bins(passed: number[], dropped: number[], refused: number[] = passed.map(() => 0)): FirstSynBins {
  return { binMs: 10, fromBin: 40, passed, dropped, refused };
}

describe('newConnectionRate', () => {
  it.each([
    {
      name: 'nothing turned away: no limit to measure',
      b: bins([4, 4, 4, 4], [0, 0, 0, 0]),
      want: null,
    },
    {
      name: 'a burst of 12, then 1 in 10 ms answered while 3 were dropped: 100/s over the 100 ms after the first drop',
      b: bins([4, 4, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [0, 0, 0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]),
      want: { perSec: 100, overMs: 100, passed: 10, dropped: 33, refused: 0, turnedAwayBy: 'dropped-syn' },
    },
    {
      name: 'the same limiter refusing instead: told apart by how it turns connects away',
      b: bins([4, 4, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]),
      want: { perSec: 100, overMs: 100, passed: 10, dropped: 0, refused: 33, turnedAwayBy: 'refused' },
    },
    {
      name: 'empty bins after the stream are not time it ran',
      b: bins([4, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0], [0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0]),
      want: { perSec: 200, overMs: 100, passed: 20, dropped: 22, refused: 0, turnedAwayBy: 'dropped-syn' },
    },
    {
      name: 'less than 100 ms after the first turned away: too short to say a rate',
      b: bins([4, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], [0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]),
      want: null,
    },
    {
      name: 'empty bins inside the stream are (tokens kept coming)',
      b: bins([4, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], [0, 3, 0, 3, 0, 3, 0, 3, 0, 3, 0, 3]),
      want: { perSec: 50, overMs: 100, passed: 5, dropped: 18, refused: 0, turnedAwayBy: 'dropped-syn' },
    },
    {
      name: 'fewer than 3 answered after the first turned away: too few to say a rate',
      b: bins([4, 4, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]),
      want: null,
    },
    {
      name: 'turned away only in the last bin: no time after it',
      b: bins([4, 4, 4, 1], [0, 0, 0, 5]),
      want: null,
    },
    {
      name: 'nothing answered once the first was turned away (a cap that drops every SYN): no rate',
      b: bins([4, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 1, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]),
      want: null,
    },
  ])('$name', ({ b, want }) => {
    expect(newConnectionRate(b)).toEqual(want);
  });

  /**
   * A token bucket (hashlimit's model: `rate` tokens per second, at most `burst`, one per SYN let through) fed a
   * steady stream of 200 connects at `offered`/s in 1 ms steps, as the measure offers them: its rate is read back
   * within 10% whatever its burst, the burst being spent before the first SYN it turns away.
   */
  it.each([
    { rate: 100, burst: 20, offered: 400 },
    { rate: 100, burst: 1, offered: 400 },
    { rate: 100, burst: 60, offered: 500 },
    { rate: 30, burst: 5, offered: 400 },
    { rate: 250, burst: 20, offered: 500 },
  ])('reads back a token bucket of $rate/s (burst $burst) fed $offered/s', ({ rate, burst, offered }) => {
    const b = bins([], []);
    let tokens = burst;
    let lastMs = 0;
    for (let k = 0; k < 200; k++) {
      const atMs = (k * 1000) / offered;
      tokens = Math.min(burst, tokens + ((atMs - lastMs) * rate) / 1000);
      lastMs = atMs;
      const bin = Math.floor(atMs / b.binMs);
      for (const list of [b.passed, b.dropped, b.refused]) while (list.length <= bin) list.push(0);
      const pass = tokens >= 1;
      if (pass) tokens -= 1;
      (pass ? b.passed : b.dropped)[bin] = ((pass ? b.passed : b.dropped)[bin] ?? 0) + 1;
    }
    const found = newConnectionRate(b);
    expect(found).not.toBeNull();
    expect(Math.abs((found?.perSec ?? 0) - rate) / rate).toBeLessThanOrEqual(0.1);
  });
});
