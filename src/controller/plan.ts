/**
 * The ramp's schedule as data: turning a rate or step setting into the list of cumulative connection totals
 * to reach at each point in time. Pure; the ramp executor only walks the list.
 */

import type { Stage } from '../config/schedule.js';

export interface PlanInput {
  /** When this stage starts, ms since the run started. */
  startMs: number;
  /** Connections already asked for when the stage starts. */
  startTotal: number;
  /** Never ask for more than this in total (null: no cap). */
  max: number | null;
  /** The stage ends (no step at or after this time), ms since the run started. */
  endMs: number;
  /** Granularity of a rate stage: one batch per tick. */
  tickMs: number;
  stage: Stage;
}

/** Reach `total` connections asked for at `atMs`. */
export interface PlanStep {
  atMs: number;
  total: number;
}

/**
 * Steps of one stage, strictly increasing in time and total. A rate stage issues a batch every tick (many connects
 * per event-loop turn are cheaper than one per completion); a step stage adds `size` every `intervalMs`, the first
 * at the stage start.
 */
export function planSteps(input: PlanInput): PlanStep[] {
  const { startMs, startTotal, max, endMs, tickMs, stage } = input;
  const cap = max ?? Number.POSITIVE_INFINITY;
  const steps: PlanStep[] = [];
  if (startTotal >= cap) return steps;
  let last = startTotal;
  const push = (atMs: number, wanted: number): boolean => {
    const total = Math.min(cap, wanted);
    if (total > last) {
      steps.push({ atMs, total });
      last = total;
    }
    return total >= cap;
  };
  if (stage.kind === 'rate') {
    for (let t = startMs + tickMs; t < endMs; t += tickMs) {
      if (push(t, startTotal + Math.floor((stage.ratePerSec * (t - startMs)) / 1000 + 1e-9))) break;
    }
  } else {
    for (let k = 0; startMs + k * stage.intervalMs < endMs; k++) {
      if (push(startMs + k * stage.intervalMs, startTotal + stage.size * (k + 1))) break;
    }
  }
  return steps;
}

/** One line describing a stage, for the result's schedule record. */
export function describeStage(stage: Stage): string {
  return stage.kind === 'rate'
    ? `${stage.ratePerSec} connections/s`
    : `+${stage.size} every ${stage.intervalMs} ms`;
}

/** The rate a stage runs at, in connections per second. */
export function stageRatePerSec(stage: Stage): number {
  return stage.kind === 'rate' ? stage.ratePerSec : (stage.size * 1000) / stage.intervalMs;
}

/**
 * Under a new-connection rate limit measured at `limitPerSec`, the ramp goes on at most this fast: three quarters
 * of it, room for the measure's error and for the ticks' batches. Pure.
 */
export function rateUnderLimit(limitPerSec: number): number {
  return Math.max(1, Math.floor(limitPerSec * 0.75));
}

/** `stage`, or a rate stage at `ceilingPerSec` when it would go faster (null: no ceiling). Pure. */
export function stageUnder(stage: Stage, ceilingPerSec: number | null): Stage {
  if (ceilingPerSec === null || stageRatePerSec(stage) <= ceilingPerSec) return stage;
  return { kind: 'rate', ratePerSec: ceilingPerSec };
}

/** The stage to go on with after a rate limit: half the rate (never below 1/s, step sizes never below 1). */
export function slowerStage(stage: Stage): Stage {
  if (stage.kind === 'rate') return { kind: 'rate', ratePerSec: Math.max(1, Math.floor(stage.ratePerSec / 2)) };
  return { kind: 'step', size: Math.max(1, Math.floor(stage.size / 2)), intervalMs: stage.intervalMs };
}
