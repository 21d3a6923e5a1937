import { describe, expect, it } from 'vitest';
import {
  adaptRate,
  afterRateLimit,
  defaultDurationMs,
  heldLagMs,
  startAdaptive,
  stuckConnects,
  type AdaptiveState,
  type WindowObservation,
} from '../../src/controller/adaptive-plan.js';
import type { AdaptiveSchedule } from '../../src/config/schedule.js';

const S: AdaptiveSchedule = {
  kind: 'adaptive',
  initialRatePerSec: 2000,
  windowMs: 50,
  slowStartGrowth: 2,
  carefulGrowth: 1.25,
  minRatePerSec: 20,
  maxRatePerSec: 200_000,
};
const SETTLE = 100;

function obs(o: Partial<WindowObservation>): WindowObservation {
  return { atMs: 0, attempted: 0, held: 0, failed: 0, queued: 0, completedInWindow: 0, meanLatencyMs: null, ...o };
}

function state(o: Partial<AdaptiveState>): AdaptiveState {
  return { ...startAdaptive(S), ...o };
}

describe('adaptive schedule: slow start', () => {
  it('starts at the initial rate, in slow start', () => {
    expect(startAdaptive(S)).toEqual({
      phase: 'slow-start',
      ratePerSec: 2000,
      baselineLatencyMs: null,
      recent: [],
      holdOffUntilMs: 0,
      ceilingPerSec: null,
    });
  });

  it('doubles while nothing lags', () => {
    const d = adaptRate(S, startAdaptive(S), obs({ atMs: 50, attempted: 100, held: 0, completedInWindow: 100, meanLatencyMs: 0.8 }), SETTLE);
    expect(d.change).toEqual({ ratePerSec: 4000, phase: 'slow-start', reason: 'all-held' });
    expect(d.state.baselineLatencyMs).toBe(0.8);
    expect(d.state.recent).toEqual([{ atMs: 50, attempted: 100 }]);
  });

  it('never goes above the maximum rate, and says nothing when it stays there', () => {
    const d = adaptRate(S, state({ ratePerSec: 150_000 }), obs({ atMs: 50 }), SETTLE);
    expect(d.change?.ratePerSec).toBe(200_000);
    const again = adaptRate(S, d.state, obs({ atMs: 100 }), SETTLE);
    expect(again.change).toBeNull();
  });

  it('takes a latency baseline only from windows with enough connects', () => {
    const few = adaptRate(S, startAdaptive(S), obs({ atMs: 50, completedInWindow: 5, meanLatencyMs: 0.1 }), SETTLE);
    expect(few.state.baselineLatencyMs).toBeNull();
    const enough = adaptRate(S, few.state, obs({ atMs: 100, completedInWindow: 40, meanLatencyMs: 2 }), SETTLE);
    expect(enough.state.baselineLatencyMs).toBe(2);
    const lower = adaptRate(S, enough.state, obs({ atMs: 150, completedInWindow: 40, meanLatencyMs: 1 }), SETTLE);
    expect(lower.state.baselineLatencyMs).toBe(1);
  });
});

describe('adaptive schedule: near the edge', () => {
  it('counts connects started a settle-time ago that are neither held nor failed', () => {
    const recent = [
      { atMs: 0, attempted: 100 },
      { atMs: 50, attempted: 300 },
      { atMs: 300, attempted: 900 },
    ];
    // lag 250 ms at t=320: the newest window at or before 70 ms is t=50 (300 started by then).
    expect(stuckConnects(recent, obs({ atMs: 320, held: 250, failed: 10 }), 250)).toBe(40);
    expect(stuckConnects(recent, obs({ atMs: 320, held: 400 }), 250)).toBe(0);
    expect(stuckConnects(recent, obs({ atMs: 40 }), 250)).toBeNull();
  });

  it('the lag allowed is settle + one window + jitter + twice the baseline latency', () => {
    expect(heldLagMs(S, 100, null)).toBe(250);
    expect(heldLagMs(S, 100, 5)).toBe(260);
  });

  it('halves when held stops following the connects started, then waits out a SYN retransmit', () => {
    const s0 = state({ ratePerSec: 16_000, recent: [{ atMs: 0, attempted: 2000 }] });
    // 2,000 started by t=0, at t=300 only 1,000 held: 1,000 stuck, far above 32 + 10% of 16,000/s x 250 ms.
    const d = adaptRate(S, s0, obs({ atMs: 300, attempted: 4000, held: 1000 }), SETTLE);
    expect(d.change).toEqual({ ratePerSec: 8000, phase: 'careful', reason: 'held-lags' });
    expect(d.state.holdOffUntilMs).toBe(300 + 1100);
    // Within the hold-off nothing changes, however it looks.
    const held = adaptRate(S, d.state, obs({ atMs: 350, attempted: 4400, held: 1000 }), SETTLE);
    expect(held.change).toBeNull();
    // After it, still lagging: halve again.
    const later = adaptRate(S, { ...held.state, recent: [{ atMs: 1000, attempted: 6000 }] }, obs({ atMs: 1400, attempted: 7000, held: 3000 }), SETTLE);
    expect(later.change).toEqual({ ratePerSec: 4000, phase: 'careful', reason: 'held-lags' });
  });

  it('a few stragglers are not a lag', () => {
    const s0 = state({ ratePerSec: 16_000, recent: [{ atMs: 0, attempted: 2000 }] });
    const d = adaptRate(S, s0, obs({ atMs: 300, attempted: 4000, held: 1980 }), SETTLE);
    expect(d.change?.reason).toBe('all-held');
  });

  it('halves when the connect latency rises far above the baseline', () => {
    const s0 = state({ ratePerSec: 8000, baselineLatencyMs: 1 });
    const d = adaptRate(S, s0, obs({ atMs: 50, completedInWindow: 200, meanLatencyMs: 150 }), SETTLE);
    expect(d.change).toEqual({ ratePerSec: 4000, phase: 'careful', reason: 'latency-rose' });
    // 2 x baseline + 100 ms is the line: 101 ms is not above it.
    const calm = adaptRate(S, s0, obs({ atMs: 50, completedInWindow: 200, meanLatencyMs: 101 }), SETTLE);
    expect(calm.change?.reason).toBe('all-held');
  });

  it('with the opener full, stops doubling and keeps the rate: a window of starts is no measure of the client', () => {
    const s0 = state({ ratePerSec: 64_000, recent: [{ atMs: 0, attempted: 5000 }] });
    // 10,000 waiting for a slot (500 started in 50 ms, or none while a worker process starts).
    const d = adaptRate(S, s0, obs({ atMs: 50, attempted: 5500, held: 5000, queued: 10_000 }), SETTLE);
    expect(d.change).toEqual({ ratePerSec: 64_000, phase: 'careful', reason: 'opener-full' });
    // Still full: stay, and no quarter-faster either.
    const stay = adaptRate(S, d.state, obs({ atMs: 100, attempted: 5500, held: 5500, queued: 12_000 }), SETTLE);
    expect(stay.change).toBeNull();
    // Drained: near-edge growth resumes.
    const quiet = adaptRate(S, stay.state, obs({ atMs: 150, attempted: 9000, held: 5500, queued: 0 }), SETTLE);
    expect(quiet.change).toEqual({ ratePerSec: 80_000, phase: 'careful', reason: 'quiet' });
  });

  it('near the edge, a quiet window grows the rate by a quarter', () => {
    const d = adaptRate(S, state({ phase: 'careful', ratePerSec: 8000 }), obs({ atMs: 50 }), SETTLE);
    expect(d.change).toEqual({ ratePerSec: 10_000, phase: 'careful', reason: 'quiet' });
  });

  it('after a rate limit: half the rate, near-edge care, and a hold-off', () => {
    const d = afterRateLimit(S, state({ ratePerSec: 3000, recent: [{ atMs: 0, attempted: 1 }] }), 500, SETTLE);
    expect(d.change).toEqual({ ratePerSec: 1500, phase: 'careful', reason: 'rate-limit' });
    expect(d.state.recent).toEqual([]);
    expect(d.state.holdOffUntilMs).toBe(500 + 250);
  });

  it('under a measured new-connection limit: never above its ceiling again, slowing down or growing', () => {
    const limited = afterRateLimit(S, state({ ratePerSec: 8000 }), 500, SETTLE, 75);
    expect(limited.change).toEqual({ ratePerSec: 75, phase: 'careful', reason: 'rate-limit' });
    expect(limited.state.ceilingPerSec).toBe(75);
    // A quiet window would grow it by a quarter: the ceiling keeps it.
    expect(adaptRate(S, { ...limited.state, holdOffUntilMs: 0 }, obs({ atMs: 1000 }), SETTLE).change).toBeNull();
    // Below the ceiling it grows up to it, no further.
    expect(adaptRate(S, state({ phase: 'careful', ratePerSec: 70, ceilingPerSec: 75 }), obs({ atMs: 50 }), SETTLE).change).toEqual({
      ratePerSec: 75,
      phase: 'careful',
      reason: 'quiet',
    });
    // A later rate limit with no new measure keeps the ceiling it had.
    expect(afterRateLimit(S, limited.state, 900, SETTLE).state.ceilingPerSec).toBe(75);
    // Half the rate that failed when that is already under the ceiling.
    expect(afterRateLimit(S, state({ ratePerSec: 100 }), 500, SETTLE, 75).change?.ratePerSec).toBe(50);
  });

  it('never below the minimum rate', () => {
    const d = adaptRate(S, state({ ratePerSec: 30, baselineLatencyMs: 1 }), obs({ atMs: 50, completedInWindow: 3, meanLatencyMs: 500 }), SETTLE);
    expect(d.change?.ratePerSec).toBe(20);
  });
});

describe('the default --max-duration of an adaptive ramp', () => {
  it('fits what the machine can hold at 4,000/s plus 10 s, between 60 s and 3 min', () => {
    expect(defaultDurationMs(null)).toBe(60_000);
    expect(defaultDurationMs(100_000)).toBe(60_000);
    expect(defaultDurationMs(262_000)).toBe(75_500);
    expect(defaultDurationMs(1_275_904)).toBe(180_000);
  });
});
