/**
 * The confirmation stage's plan and judgements (--confirm), pure: whether it applies to a verdict, its slow rate,
 * cool-down and expected time, and what the connection beyond the found count did. The stage itself (driving the
 * driver and the clock) is confirm-stage.ts; tests compare these with literal tables.
 */
import type { RampVerdictKind } from '../metrics/result.js';
import type { PoolCounters } from '../types/pool-counters.js';
import type { FailureClass } from '../types/failure-class.js';

/**
 * The fastest the found count is opened again, in connections/s: one connect every 2 ms. A server that accepts
 * within 2 ms (an event loop on loopback takes well under 0.1 ms) never has more than one of ours waiting in its
 * accept queue, so no burst can overflow it (the search's fast stages can: issue 23's forking server).
 */
export const CONFIRM_MAX_RATE_PER_SEC = 500;
/** The slowest: below it even a few hundred connections take longer than a default run leaves (it is then skipped). */
export const CONFIRM_MIN_RATE_PER_SEC = 10;
/**
 * The wait after closing every connection, before opening again. tcpprobe closes with RST, so no TIME_WAIT is
 * left on either side; the server frees a slot when it reads the reset: an event loop within one turn, a
 * forking server once the child exits. Half a second covers both with a wide margin, at a fixed small cost.
 */
export const CONFIRM_COOL_DOWN_MS = 500;
/** After the connection beyond the found count is held (or not): a server that turns connections away late does so this soon. */
export const CONFIRM_LATE_CLOSE_MS = 500;

/** Only a found limit is confirmed: the other verdicts found no edge to re-run (or could not: nothing held). */
export function confirmationApplies(kind: RampVerdictKind): boolean {
  return kind === 'limit-by-failure' || kind === 'limit-by-plateau';
}

export interface ConfirmationPlan {
  /** The slow steady rate, in connections/s. */
  ratePerSec: number;
  coolDownMs: number;
  holdMs: number;
  /** What the stage is expected to take, in ms, when the server answers as it did in the search. */
  neededMs: number;
}

/**
 * The plan for re-running `found` connections: half the rate the search absorbed without a failure (the server has
 * shown it takes twice that), within CONFIRM_MIN/MAX; the search's --hold; and the expected time: cool-down, the
 * opening, --settle for the last to be held, the hold, then one more with --settle and the late-close window.
 * `absorbedPerSec` 0: the search never measured one; the maximum is used.
 */
export function planConfirmation(p: { found: number; absorbedPerSec: number; holdMs: number; settleMs: number }): ConfirmationPlan {
  const half = Math.floor(p.absorbedPerSec / 2);
  const ratePerSec = p.absorbedPerSec <= 0 ? CONFIRM_MAX_RATE_PER_SEC : Math.min(CONFIRM_MAX_RATE_PER_SEC, Math.max(CONFIRM_MIN_RATE_PER_SEC, half));
  const openMs = Math.ceil((p.found * 1000) / ratePerSec);
  const oneMoreMs = p.settleMs + CONFIRM_LATE_CLOSE_MS;
  return {
    ratePerSec,
    coolDownMs: CONFIRM_COOL_DOWN_MS,
    holdMs: p.holdMs,
    neededMs: CONFIRM_COOL_DOWN_MS + openMs + p.settleMs + p.holdMs + oneMoreMs,
  };
}

/** How many of `found` should have been asked for by `elapsedMs` into the opening at `ratePerSec`. */
export function dueByNow(found: number, ratePerSec: number, elapsedMs: number): number {
  return Math.min(found, Math.max(0, Math.floor((ratePerSec * elapsedMs) / 1000) + 1));
}

/**
 * What one more connection did, from the counters before it was asked for and after it resolved: it failed when
 * the held count did not grow (it was refused, timed out or closed, or a held one was closed for it); the class
 * is the one whose count grew the most (null when none did).
 */
export function judgeOneMore(
  before: Pick<PoolCounters, 'held' | 'failuresByClass'>,
  after: Pick<PoolCounters, 'held' | 'failuresByClass'>,
): { failed: boolean; failureClass: FailureClass | null } {
  let failureClass: FailureClass | null = null;
  let most = 0;
  for (const [cls, n] of Object.entries(after.failuresByClass) as [FailureClass, number][]) {
    const grew = n - (before.failuresByClass[cls] ?? 0);
    if (grew > most) {
      most = grew;
      failureClass = cls;
    }
  }
  const failed = after.held <= before.held;
  return { failed, failureClass: failed ? failureClass : null };
}
