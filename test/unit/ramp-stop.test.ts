/** The ramp's stop decision against literal states and samples. */
import { describe, expect, it } from 'vitest';
import { decideRampTick, maxAskable, type RampBounds, type RampSample } from '../../src/controller/ramp-stop.js';

const BOUNDS: RampBounds = { until: 'confirm', plateauMs: 3000, max: null, clientReach: null, rampEndMs: 10_000 };
const SEEN = { failed: 0, heldLost: 0 };
const QUIET = { failed: 0, heldLost: 0, lost: 0, held: 100, connected: 100, requested: 120, failuresByClass: {}, connecting: 20, established: 0, queued: 0 };

function sample(over: Partial<RampSample['counters']> = {}, rest: Partial<Omit<RampSample, 'counters'>> = {}): RampSample {
  return { tMs: 1000, counters: { ...QUIET, ...over }, timeline: [], aborted: false, ...rest };
}

describe('decideRampTick', () => {
  it('goes on while nothing happened and no bound is met', () => {
    expect(decideRampTick(BOUNDS, SEEN, sample())).toEqual({ next: 'go-on', failures: 'none' });
  });

  it('stops as interrupted first, whatever else the sample shows', () => {
    expect(decideRampTick(BOUNDS, SEEN, sample({ failed: 5 }, { aborted: true }))).toEqual({
      next: 'stop',
      reason: { kind: 'interrupted' },
      rateAbsorbed: false,
      failures: 'none',
    });
  });

  it("stops client-limited on this machine's own failure class", () => {
    expect(decideRampTick(BOUNDS, SEEN, sample({ failed: 3, failuresByClass: { refused: 1, 'fd-limit': 2 } }))).toEqual({
      next: 'stop',
      reason: { kind: 'client-limited', limitedBy: 'fd-limit' },
      rateAbsorbed: false,
      failures: 'client-side',
    });
  });

  it('stops unreachable when failures came and nothing ever connected', () => {
    const d = decideRampTick(BOUNDS, SEEN, sample({ failed: 3, connected: 0, held: 0, failuresByClass: { refused: 3 } }));
    expect(d).toEqual({ next: 'stop', reason: { kind: 'unreachable' }, rateAbsorbed: false, failures: 'client-side' });
  });

  it('asks for an eviction check when the new failures are mostly held connections lost', () => {
    const d = decideRampTick(BOUNDS, { failed: 2, heldLost: 0 }, sample({ failed: 6, heldLost: 3, failuresByClass: { 'closed-by-peer': 6 } }));
    expect(d).toEqual({ next: 'check-eviction', failures: 'at-edge' });
  });

  it('asks for a low-rate confirmation of failures at the edge, or stops at the first with --until first-failure', () => {
    const s = sample({ failed: 4, failuresByClass: { reset: 4 } });
    expect(decideRampTick(BOUNDS, SEEN, s)).toEqual({ next: 'confirm', failures: 'at-edge' });
    expect(decideRampTick({ ...BOUNDS, until: 'first-failure' }, SEEN, s)).toEqual({
      next: 'stop',
      reason: { kind: 'limit-by-failure', confirmed: false },
      rateAbsorbed: false,
      failures: 'at-edge',
    });
  });

  it('reacts only to failures on top of those already seen', () => {
    const s = sample({ failed: 4, heldLost: 1, failuresByClass: { reset: 4 } });
    expect(decideRampTick(BOUNDS, { failed: 4, heldLost: 1 }, s)).toEqual({ next: 'go-on', failures: 'none' });
  });

  it('stops at a plateau: the peak stood for plateauMs while attempts went on', () => {
    const timeline = [
      { tMs: 0, attempted: 100, held: 50, established: 0, connecting: 0, failed: 0 },
      { tMs: 3000, attempted: 400, held: 50, established: 0, connecting: 0, failed: 0 },
    ];
    expect(decideRampTick(BOUNDS, SEEN, sample({}, { timeline }))).toEqual({
      next: 'stop',
      reason: { kind: 'limit-by-plateau' },
      rateAbsorbed: true,
      failures: 'none',
    });
  });

  it("stops at this machine's reach and at --max only once what was asked for has resolved", () => {
    const reach: RampBounds = { ...BOUNDS, clientReach: { connections: 120, limitedBy: 'ports' } };
    expect(decideRampTick(reach, SEEN, sample())).toEqual({ next: 'go-on', failures: 'none' });
    expect(decideRampTick(reach, SEEN, sample({ connecting: 0 }))).toEqual({
      next: 'stop',
      reason: { kind: 'client-limited', limitedBy: 'ports' },
      rateAbsorbed: true,
      failures: 'none',
    });
    expect(decideRampTick({ ...BOUNDS, max: 100 }, SEEN, sample({ connecting: 0 }))).toEqual({
      next: 'stop',
      reason: { kind: 'max-reached' },
      rateAbsorbed: true,
      failures: 'none',
    });
  });

  it('counts toward --max the connections, not the connects that failed before they were open', () => {
    const cases: [number | null, { failed: number; lost: number }, number | null][] = [
      // --max, failures (all; of them, open connections lost), what may be asked for in all
      [null, { failed: 30, lost: 0 }, null],
      [400, { failed: 0, lost: 0 }, 400],
      [400, { failed: 100, lost: 0 }, 500], // 100 SYNs a slow server dropped: asked for again
      [400, { failed: 100, lost: 40 }, 460], // 40 were open and then closed: those count
    ];
    for (const [max, c, askable] of cases) expect(maxAskable({ max }, c), JSON.stringify([max, c])).toBe(askable);
    // 400 asked for, 100 timed out: not max-reached (the ramp asks again); at 500 asked for, it is.
    const bounds = { ...BOUNDS, max: 400 };
    const seen = { failed: 100, heldLost: 0 };
    const resolved = { connecting: 0, held: 300, failed: 100, failuresByClass: { timeout: 100 } };
    expect(decideRampTick(bounds, seen, sample({ ...resolved, requested: 400 })).next).toBe('go-on');
    expect(decideRampTick(bounds, seen, sample({ ...resolved, requested: 500, held: 400 }))).toMatchObject({ next: 'stop', reason: { kind: 'max-reached' } });
  });

  it('stops timed out at the end of the ramp phase', () => {
    expect(decideRampTick(BOUNDS, SEEN, sample({}, { tMs: 10_000 }))).toEqual({
      next: 'stop',
      reason: { kind: 'timed-out' },
      rateAbsorbed: true,
      failures: 'none',
    });
    expect(decideRampTick(BOUNDS, SEEN, sample({}, { tMs: 9_999 })).next).toBe('go-on');
  });
});
