import { describe, expect, it } from 'vitest';
import { emptyCounters, type PoolCounters } from '../../src/types/pool-counters.js';
import { createSettleCollector, SETTLE_GC_MIN_INTERVAL_MS, SETTLE_GC_QUIET_MS, startSettleTimer } from '../../src/drivers/settle-gc.js';
import { exposeGc } from '../../src/engine/process-readiness.js';

function counters(over: Partial<PoolCounters>): PoolCounters {
  return { ...emptyCounters(), ...over };
}

/** A collector on a fake clock; `tick(ms, c)` advances the clock and feeds counters, returning whether it collected. */
function harness() {
  let now = 0;
  let collections = 0;
  const collect = createSettleCollector(() => collections++, () => now);
  return {
    tick(ms: number, c: PoolCounters): boolean {
      now += ms;
      return collect(c);
    },
    get collections() {
      return collections;
    },
  };
}

describe('settle collector', () => {
  it('collects once after a ramp has been quiet for SETTLE_GC_QUIET_MS, not while connects are in flight', () => {
    const h = harness();
    expect(h.tick(50, counters({ attempted: 100, connecting: 100, queued: 900 }))).toBe(false);
    expect(h.tick(SETTLE_GC_QUIET_MS * 2, counters({ attempted: 100, connecting: 100, queued: 900 }))).toBe(false);
    const settled = counters({ attempted: 1000, held: 1000 });
    expect(h.tick(50, settled)).toBe(false); // just changed
    expect(h.tick(SETTLE_GC_QUIET_MS - 100, settled)).toBe(false);
    expect(h.tick(200, settled)).toBe(true);
    expect(h.tick(SETTLE_GC_MIN_INTERVAL_MS * 2, settled)).toBe(false); // nothing new since
    expect(h.collections).toBe(1);
  });

  it('collects again after new connects, but not for losses alone, and never more often than the minimum interval', () => {
    const h = harness();
    const first = counters({ attempted: 1000, held: 1000 });
    h.tick(0, first);
    expect(h.tick(SETTLE_GC_QUIET_MS, first)).toBe(true);
    const lost = counters({ attempted: 1000, held: 990, failed: 10, lost: 10 });
    h.tick(10, lost);
    expect(h.tick(SETTLE_GC_MIN_INTERVAL_MS * 2, lost)).toBe(false);
    const more = counters({ attempted: 2000, held: 1990, failed: 10, lost: 10 });
    h.tick(10, more);
    expect(h.tick(SETTLE_GC_QUIET_MS, more)).toBe(true);
    const again = counters({ attempted: 2100, held: 2090, failed: 10, lost: 10 });
    h.tick(10, again);
    expect(h.tick(SETTLE_GC_QUIET_MS, again)).toBe(false); // within the minimum interval of the last one
    expect(h.tick(SETTLE_GC_MIN_INTERVAL_MS, again)).toBe(true);
  });

  it('does nothing without a gc function (a process started without --expose-gc)', () => {
    const collect = createSettleCollector(null, () => 0);
    expect(collect(counters({ attempted: 10, held: 10 }))).toBe(false);
  });
});

describe('settling the CLI process', () => {
  it('exposes a working gc at run time in a process started without --expose-gc', () => {
    const gc = exposeGc();
    expect(typeof gc).toBe('function');
    expect(() => gc?.()).not.toThrow();
  });

  it('feeds the collector on a timer: one collection once the counters have been quiet, none after stop', async () => {
    let collections = 0;
    let c = counters({ attempted: 100, connecting: 100 });
    const stop = startSettleTimer(() => c, () => collections++, 10);
    await new Promise((resolve) => setTimeout(resolve, 50));
    c = counters({ attempted: 100, held: 100 });
    await new Promise((resolve) => setTimeout(resolve, SETTLE_GC_QUIET_MS + 200));
    expect(collections).toBe(1);
    stop();
    c = counters({ attempted: 200, held: 200 });
    await new Promise((resolve) => setTimeout(resolve, SETTLE_GC_QUIET_MS + 200));
    expect(collections).toBe(1);
  });

  it('does nothing without a gc function', () => {
    const stop = startSettleTimer(() => counters({}), null);
    expect(() => stop()).not.toThrow();
  });
});
