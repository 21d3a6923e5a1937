import { describe, expect, it } from 'vitest';
import { emptyCounters, type PoolCounters } from '../../src/types/pool-counters.js';
import { ADAPTIVE_DEFAULTS } from '../../src/config/schedule.js';
import { AdaptiveWalker } from '../../src/controller/adaptive-walker.js';

const counters = (o: Partial<PoolCounters>): PoolCounters => ({ ...emptyCounters(), ...o });
/** The default schedule, doubling in slow start: the walker's arithmetic in round numbers, whatever the default growth. */
const DOUBLING = { ...ADAPTIVE_DEFAULTS, slowStartGrowth: 2 };

describe('the adaptive walker', () => {
  it('owes the rate times the time since the last tick, fractions carried', () => {
    const w = new AdaptiveWalker(DOUBLING, 100);
    // 2,000/s: 20 ms owe 40, then 15 ms owe 30.
    expect(w.due(counters({}), 20, null)).toBe(40);
    expect(w.due(counters({ requested: 40 }), 35, null)).toBe(30);
    // 0.25 ms owes half a connection: nothing yet, the half is kept.
    expect(w.due(counters({ requested: 70 }), 35.25, null)).toBe(0);
    expect(w.due(counters({ requested: 70 }), 35.5, null)).toBe(1);
  });

  it('drops the debt while the opener has a window (or 512) waiting, so a slow-down takes effect at once', () => {
    const w = new AdaptiveWalker(DOUBLING, 100);
    expect(w.due(counters({ queued: 512 }), 100, null)).toBe(0);
    // The 200 owed during the full queue are not paid later.
    expect(w.due(counters({ queued: 0 }), 110, null)).toBe(20);
  });

  it('keeps at most a window at twice the pace the opener really started, when that is below the rate', () => {
    const w = new AdaptiveWalker(DOUBLING, 100);
    // 500 started per 50 ms window (10,000/s) while every one is held: the rate doubles to 32,000/s.
    for (const [t, n] of [[50, 500], [100, 1000], [150, 1500], [200, 2000]] as const) w.observe(counters({ attempted: n, held: n }), t);
    expect(w.ratePerSec).toBe(32_000);
    // A window at 32,000/s is 1,600; at twice the pace, 20,000/s, it is 1,000.
    expect(w.due(counters({ queued: 999 }), 220, null)).toBeGreaterThan(0);
    expect(w.due(counters({ queued: 1000 }), 240, null)).toBe(0);
    // After a pause the pace is measured afresh: until a window ends, the rate's window is the bound.
    w.resume(300);
    expect(w.due(counters({ queued: 1500 }), 320, null)).toBeGreaterThan(0);
  });

  it('never asks past the limit (--max, or what this machine can hold)', () => {
    const w = new AdaptiveWalker(DOUBLING, 100);
    expect(w.due(counters({ requested: 990 }), 100, 1000)).toBe(10);
    expect(w.due(counters({ requested: 1000 }), 200, 1000)).toBe(0);
  });

  it('asks the planner once per window, and a new stage owes nothing from before', () => {
    const w = new AdaptiveWalker(DOUBLING, 100);
    const timed = { connectsTimed: 100, connectTimeSumUs: 80_000 };
    expect(w.observe(counters({ attempted: 100, ...timed }), 20)).toBeNull(); // before the first window ends
    expect(w.observe(counters({ attempted: 100, ...timed }), 50)).toEqual({ ratePerSec: 4000, phase: 'slow-start', reason: 'all-held' });
    expect(w.observe(counters({ attempted: 300, ...timed }), 60)).toBeNull(); // the next window ends at 100
    expect(w.ratePerSec).toBe(4000);
    w.startStage(60);
    expect(w.due(counters({}), 70, null)).toBe(40);
  });

  it('ends windows on a fixed grid, not a window after the tick that ended the last one', () => {
    const w = new AdaptiveWalker(DOUBLING, 100);
    const held = (n: number) => counters({ attempted: n, held: n });
    // Ticks 22 ms apart: windows end at the first tick past 50, 100, 150 (66, 110, 154), not at 66, 132, 198.
    expect(w.observe(held(100), 66)?.ratePerSec).toBe(4000);
    expect(w.observe(held(200), 88)).toBeNull();
    expect(w.observe(held(300), 110)?.ratePerSec).toBe(8000);
    expect(w.observe(held(400), 154)?.ratePerSec).toBe(16_000);
    // After a stall past a whole window, the next window is a full one from then.
    expect(w.observe(held(500), 400)?.ratePerSec).toBe(32_000);
    expect(w.observe(held(600), 440)).toBeNull();
    expect(w.observe(held(700), 450)?.ratePerSec).toBe(64_000);
  });

  it("reads a window's connect latency from the counters' totals: what they gained since the last window", () => {
    const w = new AdaptiveWalker(DOUBLING, 100);
    // 100 connects of 0.8 ms: the baseline.
    expect(w.observe(counters({ attempted: 100, held: 100, connectsTimed: 100, connectTimeSumUs: 80_000 }), 50)?.reason).toBe('all-held');
    // 40 more, of 300 ms each (a SYN queue overflowing): the window's mean is 300 ms, not the run's 86 ms.
    const rose = w.observe(counters({ attempted: 140, held: 140, connectsTimed: 140, connectTimeSumUs: 80_000 + 40 * 300_000 }), 100);
    expect(rose).toEqual({ ratePerSec: 2000, phase: 'careful', reason: 'latency-rose' });
  });

  it('after a confirmed rate limit: half the rate, and a rate-limit change to record', () => {
    const w = new AdaptiveWalker(DOUBLING, 100);
    expect(w.afterRateLimit(500)).toEqual({ ratePerSec: 1000, phase: 'careful', reason: 'rate-limit' });
    expect(w.ratePerSec).toBe(1000);
  });
});
