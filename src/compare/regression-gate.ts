/**
 * The regression gate of `ramp --baseline ... --max-regression P`: did the max drop by more than the allowed share
 * against the baseline? A pure decision with the one line to print; the CLI maps "regression" to EXIT.regression.
 */
import type { RampResult, RampVerdictKind } from '../metrics/result.js';
import { formatCount } from '../config/units.js';

/**
 * Verdicts whose max is not a measurement of the server: nothing connected, this machine ran out first, or the
 * run was stopped. Such a run is never used as a baseline and never judged against one.
 */
const NOT_A_MEASUREMENT: ReadonlySet<RampVerdictKind> = new Set(['unreachable', 'client-limited', 'interrupted']);

/** True when a run's max says something about the server (it may still be a lower bound, e.g. max-reached). */
export function isMeasurement(kind: RampVerdictKind): boolean {
  return !NOT_A_MEASUREMENT.has(kind);
}

export interface GateInput {
  currentMax: number;
  currentVerdict: RampVerdictKind;
  baselineMax: number;
  baselineVerdict: RampVerdictKind;
  /**
   * Allowed drop as a share of the baseline max: 0.1 allows up to 10% fewer connections. Null: only report the
   * change, never decide "regression".
   */
  allowedDropShare: number | null;
}

export type GateDecision =
  /** Within the allowed drop (or better, or nothing allowed was given). `dropShare` is negative when the max went up. */
  | { kind: 'pass'; dropShare: number; message: string }
  /** Dropped by more than allowed: exit with EXIT.regression. */
  | { kind: 'regression'; dropShare: number; message: string }
  /** One side is not a measurement; the run's own exit code stands. */
  | { kind: 'inconclusive'; message: string };

/** Shares compare with this tolerance, so 900 against 1,000 with 10% allowed is exactly at the limit, not over. */
const EPSILON = 1e-9;

/** A share as a percentage for people: 0.1 -> "10%", 0.125 -> "12.5%". */
export function formatShare(share: number): string {
  return `${Number((share * 100).toFixed(2))}%`;
}

/**
 * Decide whether the max regressed. The drop share is (baseline - current) / baseline; the gate fails only when
 * it is strictly above the allowed share.
 */
export function decideRegression(input: GateInput): GateDecision {
  const { currentMax, baselineMax, allowedDropShare } = input;
  if (!isMeasurement(input.currentVerdict)) {
    return { kind: 'inconclusive', message: `baseline: not compared: this run's verdict is ${input.currentVerdict}` };
  }
  if (!isMeasurement(input.baselineVerdict)) {
    return { kind: 'inconclusive', message: `baseline: not compared: the baseline's verdict is ${input.baselineVerdict}` };
  }
  if (baselineMax <= 0) {
    return { kind: 'inconclusive', message: 'baseline: not compared: the baseline max is 0' };
  }
  const dropShare = (baselineMax - currentMax) / baselineMax;
  const allowed = allowedDropShare === null ? '' : ` (allowed ${formatShare(allowedDropShare)})`;
  const now = `max concurrency ${formatCount(currentMax)}`;
  const base = `the baseline ${formatCount(baselineMax)}`;
  if (allowedDropShare !== null && dropShare > allowedDropShare + EPSILON) {
    const pct = `${(dropShare * 100).toFixed(1)}%`;
    return { kind: 'regression', dropShare, message: `regression: ${now} is ${pct} below ${base}${allowed}` };
  }
  const how =
    dropShare > 0
      ? `is ${(dropShare * 100).toFixed(1)}% below`
      : dropShare < 0
        ? `is ${(-dropShare * 100).toFixed(1)}% above`
        : 'equals';
  return { kind: 'pass', dropShare, message: `baseline: ${now} ${how} ${base}${allowed}` };
}

/**
 * Could this saved run be a baseline? Its max must be a measurement, and it must not have failed a gate itself:
 * otherwise a run 20% low, once saved, would be the bar the next run clears (the baseline ratchets down).
 */
export function canBeBaseline(r: RampResult): boolean {
  return isMeasurement(r.verdict.kind) && r.gate?.outcome !== 'regression';
}

/**
 * The baseline from a target's saved runs (oldest first): the best max among the last `window` runs that can be a
 * baseline; of equal maxes the newest. Pure.
 */
export function pickBaseline(runs: readonly RampResult[], window: number): { baseline: RampResult | null; considered: number } {
  const recent = runs.filter(canBeBaseline).slice(-Math.max(1, window));
  let best: RampResult | null = null;
  for (const r of recent) if (best === null || r.maxConcurrency >= best.maxConcurrency) best = r;
  return { baseline: best, considered: recent.length };
}
