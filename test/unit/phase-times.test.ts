/** Where a run's time went: the phases summed and worded, against literals. */
import { describe, expect, it } from 'vitest';
import { phaseLine, phaseTimes } from '../../src/reporters/phase-times.js';
import type { PhaseSpan } from '../../src/metrics/result.js';

const RAMP: PhaseSpan[] = [
  { phase: 'ramp', fromMs: 0, toMs: 1200 },
  { phase: 'low-rate-confirm', fromMs: 1200, toMs: 1500 },
  { phase: 'ramp', fromMs: 1500, toMs: 1800 },
  { phase: 'hold', fromMs: 1800, toMs: 3800 },
  { phase: 'handshake-audit', fromMs: 3800, toMs: 3840 },
];

describe('phaseTimes', () => {
  it.each([
    [[], []],
    [[{ phase: 'opening', fromMs: 0, toMs: 12 }, { phase: 'holding', fromMs: 12, toMs: 108 }], [{ phase: 'opening', ms: 12 }, { phase: 'holding', ms: 96 }]],
    // A phase that comes back (a ramp resumed after the low-rate check) is summed, in the order phases first ran.
    [RAMP, [{ phase: 'ramp', ms: 1500 }, { phase: 'low-rate-confirm', ms: 300 }, { phase: 'hold', ms: 2000 }, { phase: 'handshake-audit', ms: 40 }]],
  ] as [PhaseSpan[], { phase: string; ms: number }[]][])('%j', (spans, times) => {
    expect(phaseTimes(spans)).toEqual(times);
  });
});

describe('phaseLine', () => {
  it.each([
    [{ phases: RAMP, startedAfterMs: 150 }, 'Time by phase: ramp 1.5s, low-rate check 300ms, hold 2s, handshake audit 40ms; the run began 150ms after the process started'],
    [{ phases: [{ phase: 'confirm', fromMs: 10, toMs: 2510 }] as PhaseSpan[] }, 'Time by phase: confirmation 2.5s'],
    // Documents written before phases were recorded have none: no line.
    [{}, null],
    [{ phases: [] }, null],
  ])('%j', (result, line) => {
    expect(phaseLine(result)).toBe(line);
  });
});
