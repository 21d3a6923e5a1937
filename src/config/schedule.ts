/**
 * The ramp's schedule settings as data, and their defaults: a fixed stage (a rate, or steps) or the adaptive
 * schedule. Here, below the controller, so flags can become them (ramp-options.ts); the controller plans and walks
 * them (src/controller/plan.ts, adaptive-plan.ts).
 */

/** A fixed schedule: connections per second, or `size` connections every `intervalMs`. */
export type Stage = { kind: 'rate'; ratePerSec: number } | { kind: 'step'; size: number; intervalMs: number };

export interface AdaptiveSchedule {
  kind: 'adaptive';
  /** The first window's rate, connections per second. */
  initialRatePerSec: number;
  /** How often the rate is reconsidered, ms. */
  windowMs: number;
  /** Rate multiplier per quiet window in slow start. */
  slowStartGrowth: number;
  /** Rate multiplier per quiet window near the edge. */
  carefulGrowth: number;
  minRatePerSec: number;
  maxRatePerSec: number;
}

export const ADAPTIVE_DEFAULTS: AdaptiveSchedule = {
  kind: 'adaptive',
  initialRatePerSec: 2000,
  windowMs: 50,
  // Fourfold: the opener's own pace (about 40,000/s here) by the fourth window, where doubling took the sixth; the
  // held-follows check cannot act before a settle-time anyway (docs/schedule.md).
  slowStartGrowth: 4,
  carefulGrowth: 1.25,
  minRatePerSec: 20,
  maxRatePerSec: 200_000,
};
