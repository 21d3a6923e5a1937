import { describe, expect, it } from 'vitest';
import {
  reportedRateLimits,
  clientLimitIn,
  detectPlateau,
  judgeConfirmation,
  judgeEviction,
  limitMax,
  looksLikeEviction,
  nothingHeldVerdict,
  timeToReach,
} from '../../src/controller/detect.js';
import type { RampVerdictKind, RateFinding, TimelineSample } from '../../src/metrics/result.js';

/** Samples from [tMs, attempted, held] triples. */
function timeline(rows: [number, number, number][]): TimelineSample[] {
  return rows.map(([tMs, attempted, held]) => ({ tMs, attempted, held, established: 0, connecting: 0, failed: 0 }));
}

describe('detectPlateau', () => {
  it('finds a plateau when held stays flat for the window while attempts go on', () => {
    const t = timeline([
      [0, 0, 0],
      [1000, 100, 100],
      [2000, 200, 150],
      [3000, 300, 150],
      [4000, 400, 150],
      [5000, 500, 150],
    ]);
    expect(detectPlateau(t, 3000)).toBe(2000);
    expect(detectPlateau(t, 3001)).toBeNull();
  });

  it('is no plateau when attempts stopped too (nothing was tried)', () => {
    const t = timeline([
      [0, 0, 0],
      [1000, 100, 100],
      [5000, 100, 100],
    ]);
    expect(detectPlateau(t, 3000)).toBeNull();
  });

  it('is no plateau while held still grows, or when nothing was ever held', () => {
    expect(detectPlateau(timeline([[0, 0, 0], [1000, 10, 5], [5000, 50, 9]]), 3000)).toBeNull();
    expect(detectPlateau(timeline([[0, 0, 0], [5000, 50, 0]]), 3000)).toBeNull();
    expect(detectPlateau([], 3000)).toBeNull();
  });

  it('measures from the first time the peak was reached, ignoring dips', () => {
    const t = timeline([
      [0, 0, 0],
      [1000, 100, 100],
      [2000, 150, 90],
      [4000, 200, 100],
    ]);
    expect(detectPlateau(t, 3000)).toBe(1000);
  });
});

describe('judgeConfirmation', () => {
  it('calls failures that persist with a flat held count a concurrency limit', () => {
    expect(judgeConfirmation({ heldBefore: 1000, heldAfter: 1000, attempts: 5, failures: 5 })).toBe('concurrency-limit');
  });
  it('calls an eviction (connects succeed but old ones close) a concurrency limit', () => {
    expect(judgeConfirmation({ heldBefore: 1000, heldAfter: 1000, attempts: 5, failures: 5 })).toBe('concurrency-limit');
  });
  it('calls failures that stop at a low rate a rate limit', () => {
    expect(judgeConfirmation({ heldBefore: 700, heldAfter: 705, attempts: 5, failures: 0 })).toBe('rate-limit');
    expect(judgeConfirmation({ heldBefore: 700, heldAfter: 703, attempts: 5, failures: 2 })).toBe('rate-limit');
  });
  it('takes no attempts as no evidence of more room', () => {
    expect(judgeConfirmation({ heldBefore: 7, heldAfter: 7, attempts: 0, failures: 0 })).toBe('concurrency-limit');
  });
});

describe('clientLimitIn / timeToReach', () => {
  it('finds client-side classes only', () => {
    expect(clientLimitIn({ refused: 3, 'closed-by-peer': 1 })).toBeNull();
    expect(clientLimitIn({ refused: 3, ports: 2 })).toBe('ports');
    expect(clientLimitIn({ 'fd-limit': 0 })).toBeNull();
  });
  it('finds when a held count was first reached', () => {
    const t = timeline([[0, 0, 0], [100, 10, 5], [200, 20, 10], [300, 30, 10]]);
    expect(timeToReach(t, 10)).toBe(200);
    expect(timeToReach(t, 11)).toBeNull();
  });
});

describe('eviction and nothing-held verdicts', () => {
  it('new failures that are mostly held connections closed look like eviction; failed connects do not', () => {
    expect(looksLikeEviction({ newFailures: 32, newHeldLosses: 32 })).toBe(true);
    expect(looksLikeEviction({ newFailures: 10, newHeldLosses: 5 })).toBe(true);
    expect(looksLikeEviction({ newFailures: 10, newHeldLosses: 4 })).toBe(false);
    expect(looksLikeEviction({ newFailures: 10, newHeldLosses: 0 })).toBe(false);
  });

  it('judges the one-at-a-time phase: evictions with connects held, a cap, or nothing', () => {
    expect(judgeEviction({ evictions: 1, connectFailures: 0 })).toBe('evicting');
    expect(judgeEviction({ evictions: 1, connectFailures: 5 })).toBe('limit');
    expect(judgeEviction({ evictions: 0, connectFailures: 0 })).toBe('none');
  });

  it('a run that held nothing is unreachable when nothing connected and rejected when the server turned all away', () => {
    expect(nothingHeldVerdict('timed-out', { peakHeld: 0, connected: 0, failed: 0 })).toBe('unreachable');
    expect(nothingHeldVerdict('limit-by-failure', { peakHeld: 0, connected: 40, failed: 40 })).toBe('rejected');
    expect(nothingHeldVerdict('limit-by-failure', { peakHeld: 1, connected: 40, failed: 39 })).toBeNull();
    expect(nothingHeldVerdict('interrupted', { peakHeld: 0, connected: 0, failed: 0 })).toBeNull();
    expect(nothingHeldVerdict('client-limited', { peakHeld: 0, connected: 3, failed: 1 })).toBeNull();
  });

  it('a run that connected but held nothing and saw no failure ran out of time: timed-out, never rejected', () => {
    // --max-duration shorter than --settle: connections open, none open long enough to count, none failed.
    expect(nothingHeldVerdict('timed-out', { peakHeld: 0, connected: 181, failed: 0 })).toBe('timed-out');
    expect(nothingHeldVerdict('timed-out', { peakHeld: 0, connected: 181, failed: 3 })).toBe('rejected');
  });
});

describe('limitMax: what a found cap reports', () => {
  it('takes out connections the server closed after they were held, never below the held count at the end', () => {
    expect(limitMax('limit-by-failure', { peakHeld: 30_021, held: 30_000, heldLostEarly: 21 })).toBe(30_000);
    expect(limitMax('limit-by-failure', { peakHeld: 30_021, held: 30_010, heldLostEarly: 21 })).toBe(30_010);
    expect(limitMax('limit-by-plateau', { peakHeld: 500, held: 400, heldLostEarly: 40 })).toBe(460);
  });

  it('keeps the peak when nothing held was lost soon after being held, and for verdicts that are not a found cap', () => {
    expect(limitMax('limit-by-failure', { peakHeld: 1000, held: 1000, heldLostEarly: 0 })).toBe(1000);
    expect(limitMax('limit-by-failure', { peakHeld: 1000, held: 990, heldLostEarly: 0 })).toBe(1000);
    expect(limitMax('evicting', { peakHeld: 187, held: 160, heldLostEarly: 69 })).toBe(187);
    expect(limitMax('max-reached', { peakHeld: 50, held: 40, heldLostEarly: 10 })).toBe(50);
  });
});

describe('reportedRateLimits: an evicting server reports no rate limit for its evictions', () => {
  const closes: RateFinding = { failedAtPerSec: 8000, continuedAtPerSec: 4000, heldAtMs: 300, failureClass: 'closed-by-peer' };
  const refusals: RateFinding = { failedAtPerSec: 1000, continuedAtPerSec: 500, heldAtMs: 900, failureClass: 'refused' };
  it.each<[RampVerdictKind, RateFinding[], RateFinding[]]>([
    ['evicting', [closes], []],
    ['evicting', [closes, refusals], [refusals]],
    ['limit-by-failure', [closes, refusals], [closes, refusals]],
    ['max-reached', [closes], [closes]],
    ['evicting', [], []],
  ])('%s with %j -> %j', (kind, found, expected) => {
    expect(reportedRateLimits(kind, found)).toEqual(expected);
  });
});
