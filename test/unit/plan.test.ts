import { describe, expect, it } from 'vitest';
import { describeStage, planSteps, rateUnderLimit, slowerStage, stageRatePerSec, stageUnder } from '../../src/controller/plan.js';

describe('planSteps', () => {
  it('turns a rate into one batch per tick, capped at max', () => {
    expect(
      planSteps({ startMs: 0, startTotal: 0, max: 10, endMs: 1000, tickMs: 20, stage: { kind: 'rate', ratePerSec: 100 } }),
    ).toEqual([
      { atMs: 20, total: 2 },
      { atMs: 40, total: 4 },
      { atMs: 60, total: 6 },
      { atMs: 80, total: 8 },
      { atMs: 100, total: 10 },
    ]);
  });

  it('skips ticks that would add nothing at low rates', () => {
    expect(
      planSteps({ startMs: 0, startTotal: 0, max: null, endMs: 200, tickMs: 20, stage: { kind: 'rate', ratePerSec: 10 } }),
    ).toEqual([{ atMs: 100, total: 1 }]);
  });

  it('continues from a later start and total (after a back-off)', () => {
    expect(
      planSteps({ startMs: 1000, startTotal: 500, max: 503, endMs: 5000, tickMs: 20, stage: { kind: 'rate', ratePerSec: 50 } }),
    ).toEqual([
      { atMs: 1020, total: 501 },
      { atMs: 1040, total: 502 },
      { atMs: 1060, total: 503 },
    ]);
  });

  it('adds a step at the stage start and every interval', () => {
    expect(
      planSteps({ startMs: 0, startTotal: 0, max: 250, endMs: 10_000, tickMs: 20, stage: { kind: 'step', size: 100, intervalMs: 1000 } }),
    ).toEqual([
      { atMs: 0, total: 100 },
      { atMs: 1000, total: 200 },
      { atMs: 2000, total: 250 },
    ]);
  });

  it('ends before endMs', () => {
    expect(
      planSteps({ startMs: 0, startTotal: 0, max: null, endMs: 2500, tickMs: 20, stage: { kind: 'step', size: 5, intervalMs: 1000 } }),
    ).toEqual([
      { atMs: 0, total: 5 },
      { atMs: 1000, total: 10 },
      { atMs: 2000, total: 15 },
    ]);
  });

  it('plans nothing when the start total already reaches max', () => {
    expect(planSteps({ startMs: 0, startTotal: 10, max: 10, endMs: 1000, tickMs: 20, stage: { kind: 'rate', ratePerSec: 100 } })).toEqual([]);
  });
});

describe('stages', () => {
  it('halve on a rate limit and never reach zero', () => {
    expect(slowerStage({ kind: 'rate', ratePerSec: 500 })).toEqual({ kind: 'rate', ratePerSec: 250 });
    expect(slowerStage({ kind: 'rate', ratePerSec: 1 })).toEqual({ kind: 'rate', ratePerSec: 1 });
    expect(slowerStage({ kind: 'step', size: 9, intervalMs: 500 })).toEqual({ kind: 'step', size: 4, intervalMs: 500 });
  });
  it.each([
    // [limit measured, connections/s; the rate the ramp goes on under it]
    [100, 75],
    [101, 75],
    [1000, 750],
    [1, 1],
    [0, 1],
  ])('under a new-connection limit of %s/s, go on at most at %s/s', (limit, under) => {
    expect(rateUnderLimit(limit)).toBe(under);
  });
  it('go on at the ceiling when the stage is faster, as they are when not', () => {
    expect(stageUnder({ kind: 'rate', ratePerSec: 4000 }, 75)).toEqual({ kind: 'rate', ratePerSec: 75 });
    expect(stageUnder({ kind: 'rate', ratePerSec: 50 }, 75)).toEqual({ kind: 'rate', ratePerSec: 50 });
    expect(stageUnder({ kind: 'step', size: 100, intervalMs: 500 }, 75)).toEqual({ kind: 'rate', ratePerSec: 75 });
    expect(stageUnder({ kind: 'step', size: 10, intervalMs: 500 }, 75)).toEqual({ kind: 'step', size: 10, intervalMs: 500 });
    expect(stageUnder({ kind: 'rate', ratePerSec: 4000 }, null)).toEqual({ kind: 'rate', ratePerSec: 4000 });
  });
  it('describe themselves and their rate', () => {
    expect(describeStage({ kind: 'rate', ratePerSec: 500 })).toBe('500 connections/s');
    expect(describeStage({ kind: 'step', size: 100, intervalMs: 1000 })).toBe('+100 every 1000 ms');
    expect(stageRatePerSec({ kind: 'step', size: 100, intervalMs: 500 })).toBe(200);
  });
});
