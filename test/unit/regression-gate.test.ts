/**
 * The regression gate: strictly more than the allowed drop fails; the message states by how much; runs whose max
 * is not a measurement are never judged.
 */
import { describe, expect, it } from 'vitest';
import { canBeBaseline, decideRegression, formatShare, isMeasurement, pickBaseline, type GateInput } from '../../src/compare/regression-gate.js';
import type { GateRecord, RampResult } from '../../src/metrics/result.js';
import { rampResult } from '../helpers/ramp-result.js';
import { parseMaxRegression } from '../../src/cli/post-run-audit.js';
import { UsageError } from '../../src/errors.js';

function gate(over: Partial<GateInput>) {
  return decideRegression({
    currentMax: 1000,
    currentVerdict: 'limit-by-failure',
    baselineMax: 1000,
    baselineVerdict: 'limit-by-failure',
    allowedDropShare: 0.1,
    ...over,
  });
}

describe('decideRegression', () => {
  it('fails a drop beyond the allowed share, saying by how much', () => {
    expect(gate({ currentMax: 700 })).toEqual({
      kind: 'regression',
      dropShare: 0.3,
      message: 'regression: max concurrency 700 is 30.0% below the baseline 1,000 (allowed 10%)',
    });
    expect(gate({ currentMax: 200, baselineMax: 300 }).message).toBe(
      'regression: max concurrency 200 is 33.3% below the baseline 300 (allowed 10%)',
    );
  });

  it('passes a drop exactly at the allowed share, and anything less', () => {
    expect(gate({ currentMax: 900 })).toEqual({
      kind: 'pass',
      dropShare: 0.1,
      message: 'baseline: max concurrency 900 is 10.0% below the baseline 1,000 (allowed 10%)',
    });
    expect(gate({ currentMax: 899 }).kind).toBe('regression');
    expect(gate({ currentMax: 1000 }).message).toBe('baseline: max concurrency 1,000 equals the baseline 1,000 (allowed 10%)');
    expect(gate({ currentMax: 1200 }).message).toBe(
      'baseline: max concurrency 1,200 is 20.0% above the baseline 1,000 (allowed 10%)',
    );
  });

  it('with 0% allowed, one connection fewer is a regression', () => {
    expect(gate({ currentMax: 999, allowedDropShare: 0 }).kind).toBe('regression');
    expect(gate({ currentMax: 1000, allowedDropShare: 0 }).kind).toBe('pass');
  });

  it('only reports when no share is allowed (a baseline without --max-regression)', () => {
    expect(gate({ currentMax: 10, allowedDropShare: null })).toEqual({
      kind: 'pass',
      dropShare: 0.99,
      message: 'baseline: max concurrency 10 is 99.0% below the baseline 1,000',
    });
  });

  it('does not judge runs whose max is not a measurement of the server', () => {
    for (const kind of ['unreachable', 'client-limited', 'interrupted'] as const) {
      expect(gate({ currentMax: 0, currentVerdict: kind })).toEqual({
        kind: 'inconclusive',
        message: `baseline: not compared: this run's verdict is ${kind}`,
      });
      expect(gate({ baselineVerdict: kind }).kind).toBe('inconclusive');
    }
    expect(gate({ baselineMax: 0 }).kind).toBe('inconclusive');
  });

  it('judges lower-bound runs that still measured the server (max reached, timed out)', () => {
    expect(gate({ currentMax: 500, currentVerdict: 'timed-out' }).kind).toBe('regression');
    expect(gate({ currentVerdict: 'max-reached', baselineVerdict: 'max-reached' }).kind).toBe('pass');
    expect(isMeasurement('limit-by-plateau')).toBe(true);
    expect(isMeasurement('client-limited')).toBe(false);
  });
});

describe('--max-regression values', () => {
  it('reads "10%" and "10" as ten percent', () => {
    expect(parseMaxRegression('--max-regression', '10%')).toBe(0.1);
    expect(parseMaxRegression('--max-regression', '10')).toBe(0.1);
    expect(parseMaxRegression('--max-regression', '2.5 %')).toBe(0.025);
    expect(parseMaxRegression('--max-regression', '0')).toBe(0);
    expect(formatShare(0.025)).toBe('2.5%');
  });

  it('refuses what is not a percentage from 0 to 100', () => {
    for (const bad of ['-5%', 'ten', '10%%', '', '150%']) {
      expect(() => parseMaxRegression('--max-regression', bad)).toThrow(UsageError);
    }
  });
});

describe('pickBaseline: the best of the recent passing runs, never a regressed one', () => {
  const regressed = (r: RampResult): RampResult => ({ ...r, gate: { outcome: 'regression' } as GateRecord });
  const run = (max: number, over: Partial<RampResult> = {}): RampResult => ({ ...rampResult({ max }), ...over });

  it('takes the best max of the last N that can be a baseline', () => {
    const runs = [run(900), run(1000), run(950)];
    expect(pickBaseline(runs, 5)).toEqual({ baseline: runs[1], considered: 3 });
    expect(pickBaseline(runs, 1)).toEqual({ baseline: runs[2], considered: 1 });
    expect(pickBaseline(runs, 2).baseline?.maxConcurrency).toBe(1000);
  });

  it('a run that failed the gate is never the baseline, so a second identical low run fails again', () => {
    const good = run(1000);
    const low = regressed(run(800));
    expect(canBeBaseline(low)).toBe(false);
    expect(pickBaseline([good, low], 5).baseline).toBe(good);
    // Even with a window of 1, the regressed run is skipped, not taken.
    expect(pickBaseline([good, low], 1).baseline).toBe(good);
  });

  it('runs that are not measurements are skipped; none at all gives null', () => {
    const unreachable = { ...run(0), verdict: { ...run(0).verdict, kind: 'unreachable' as const } };
    expect(pickBaseline([unreachable], 5)).toEqual({ baseline: null, considered: 0 });
    expect(pickBaseline([], 5)).toEqual({ baseline: null, considered: 0 });
  });

  it('of equal maxes, the newest', () => {
    const older = run(1000, { startedAt: '2026-01-01T00:00:00.000Z' });
    const newer = run(1000, { startedAt: '2026-01-02T00:00:00.000Z' });
    expect(pickBaseline([older, newer], 5).baseline).toBe(newer);
  });
});
