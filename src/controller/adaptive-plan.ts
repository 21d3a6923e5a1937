/**
 * The adaptive schedule, the ramp's default: slow start, then care near the edge. Every decision is a pure
 * function of what the ramp observed in the last window (and a few windows before it), so it is tested against
 * literal inputs and outputs; the ramp executor only walks the rate it is given and records each change with
 * its reason.
 *
 * Slow start: the rate grows fourfold each window (slowStartGrowth) while every connection started a settle-time ago is held (or failed:
 * failures are the ramp's own business, it confirms them). Near the edge it halves and grows by a quarter per
 * quiet window instead: when held connections stop following the connects started (connects the server's kernel
 * does not answer, an accept queue that is full), when the connect latency rises far above the run's own
 * baseline (SYNs retransmitted, or a server too busy to answer); and it stops growing when the opener's in-flight
 * slots are full (the client cannot start what the rate asks: going faster only queues).
 */
import type { ScheduleChangeReason } from '../metrics/result.js';
import type { AdaptiveSchedule } from '../config/schedule.js';

/** The adaptive ramp's default --max-duration is sized to reach this machine's figure at this pace at least. */
const REACH_PACE_PER_SEC = 4000;
const DEFAULT_DURATION_MIN_MS = 60_000;
const DEFAULT_DURATION_MAX_MS = 180_000;

/**
 * The default --max-duration of an adaptive ramp: long enough to reach `reachConnections` (what this machine can
 * hold) at 4,000 connections/s plus 10 s, never below 60 s or above 3 min. Pure.
 */
export function defaultDurationMs(reachConnections: number | null): number {
  if (reachConnections === null) return DEFAULT_DURATION_MIN_MS;
  const ms = Math.ceil((reachConnections / REACH_PACE_PER_SEC) * 1000) + 10_000;
  return Math.min(DEFAULT_DURATION_MAX_MS, Math.max(DEFAULT_DURATION_MIN_MS, ms));
}

/** What the ramp saw at the end of one window: its counters and the window's connect latency. */
export interface WindowObservation {
  atMs: number;
  /** Connects started so far, reconnects included. */
  attempted: number;
  held: number;
  /** All failures so far (failed connects and lost connections). */
  failed: number;
  /** Asked for, not started: the opener's in-flight slots are full. */
  queued: number;
  /** Connects that finished in this window, and their mean latency (null when none finished). */
  completedInWindow: number;
  meanLatencyMs: number | null;
}

export type AdaptivePhase = 'slow-start' | 'careful';

export type AdaptiveReason = Exclude<ScheduleChangeReason, 'resume'>;

export interface AdaptiveState {
  phase: AdaptivePhase;
  ratePerSec: number;
  /** The lowest window mean connect latency seen (windows with enough connects), ms. */
  baselineLatencyMs: number | null;
  /** Recent windows' (atMs, attempted), oldest first, for the held-follows-attempts check. */
  recent: { atMs: number; attempted: number }[];
  /** No further slow-down before this time: the last one needs a settle-time to show. */
  holdOffUntilMs: number;
  /** Never above this rate, connections/s: under a new-connection rate limit measured; null: no ceiling. */
  ceilingPerSec: number | null;
}

export interface AdaptiveChange {
  ratePerSec: number;
  phase: AdaptivePhase;
  reason: AdaptiveReason;
}

export interface AdaptiveDecision {
  state: AdaptiveState;
  /** Null when the rate stays. */
  change: AdaptiveChange | null;
}

/** A window mean counts toward the baseline only with this many connects in it. */
const MIN_BASELINE_SAMPLES = 20;
/** Latency "rose": above twice the baseline plus this (a tenth of connects waiting a 1 s SYN retransmit). */
const LATENCY_RISE_MS = 100;
/** Connects started a settle-time ago and still neither held nor failed, beyond which held "stops following". */
const LAG_SLACK = 32;
const LAG_SLACK_FRACTION = 0.1;
/** Extra time allowed for a connection to be held, for event-loop jitter and the pool's sweep. */
const LAG_JITTER_MS = 100;
/** The opener is full when more than this many connects, plus a quarter window's worth, wait for a slot. */
const QUEUE_SLACK = 256;
const QUEUE_WINDOW_FRACTION = 0.25;
/** Linux's first SYN retransmit: connects a slow-down could not save finish this late. */
const SYN_RETRANSMIT_MS = 1100;

export function startAdaptive(s: AdaptiveSchedule): AdaptiveState {
  return { phase: 'slow-start', ratePerSec: s.initialRatePerSec, baselineLatencyMs: null, recent: [], holdOffUntilMs: 0, ceilingPerSec: null };
}

/** How long after its start a healthy connection is held: settle time, one window, jitter. */
export function heldLagMs(s: AdaptiveSchedule, settleMs: number, baselineLatencyMs: number | null): number {
  return settleMs + s.windowMs + LAG_JITTER_MS + 2 * (baselineLatencyMs ?? 0);
}

/** Connects started at least `lagMs` before `obs` that are still neither held nor failed. */
export function stuckConnects(
  recent: readonly { atMs: number; attempted: number }[],
  obs: WindowObservation,
  lagMs: number,
): number | null {
  let then: { atMs: number; attempted: number } | null = null;
  for (const r of recent) if (r.atMs <= obs.atMs - lagMs) then = r;
  if (then === null) return null;
  return Math.max(0, then.attempted - obs.held - obs.failed);
}

/** The next window's rate from this window's observation. */
export function adaptRate(
  s: AdaptiveSchedule,
  state: AdaptiveState,
  obs: WindowObservation,
  settleMs: number,
): AdaptiveDecision {
  const baseline =
    obs.meanLatencyMs !== null && obs.completedInWindow >= MIN_BASELINE_SAMPLES
      ? Math.min(state.baselineLatencyMs ?? Number.POSITIVE_INFINITY, obs.meanLatencyMs)
      : state.baselineLatencyMs;
  const lagMs = heldLagMs(s, settleMs, baseline);
  const recent = [...state.recent, { atMs: obs.atMs, attempted: obs.attempted }].filter(
    (r) => r.atMs >= obs.atMs - lagMs - 2 * s.windowMs,
  );
  const next: AdaptiveState = { ...state, baselineLatencyMs: baseline, recent };

  const lag = stuckConnects(state.recent, obs, lagMs);
  const heldLags = lag !== null && lag > LAG_SLACK + (LAG_SLACK_FRACTION * state.ratePerSec * lagMs) / 1000;
  const latencyRose =
    baseline !== null &&
    obs.meanLatencyMs !== null &&
    obs.completedInWindow > 0 &&
    obs.meanLatencyMs > 2 * baseline + LATENCY_RISE_MS;
  const openerFull = obs.queued > QUEUE_SLACK + QUEUE_WINDOW_FRACTION * windowShare(s, state);

  // A slow-down needs a settle-time (and the SYN retransmits it caused, 1 s) to show: no change until then.
  if (obs.atMs < state.holdOffUntilMs) return { state: next, change: null };
  const pressure: AdaptiveReason | null = heldLags ? 'held-lags' : latencyRose ? 'latency-rose' : null;
  if (pressure !== null) {
    return changeTo(s, next, Math.floor(state.ratePerSec / 2), 'careful', pressure, obs.atMs + Math.max(lagMs, SYN_RETRANSMIT_MS));
  }
  if (openerFull) {
    // Going faster only queues: stop growing. The rate stays: a window's starts are no measure of what the client
    // can do (a worker process being started holds its share back for half a second), and what waits is only a
    // count, dropped at the first failure.
    if (state.phase === 'slow-start') return changeTo(s, next, state.ratePerSec, 'careful', 'opener-full', state.holdOffUntilMs);
    return { state: next, change: null };
  }
  const growth = state.phase === 'slow-start' ? s.slowStartGrowth : s.carefulGrowth;
  return changeTo(s, next, Math.ceil(state.ratePerSec * growth), state.phase, state.phase === 'slow-start' ? 'all-held' : 'quiet', state.holdOffUntilMs);
}

/**
 * After a confirmed rate limit: half the rate that failed, and care from then on. With `ceilingPerSec` (a rate
 * under the limit measured) the rate never goes above it again: growing past it would only meet the limit again.
 */
export function afterRateLimit(
  s: AdaptiveSchedule,
  state: AdaptiveState,
  atMs: number,
  settleMs: number,
  ceilingPerSec: number | null = null,
): AdaptiveDecision {
  const ceiling = ceilingPerSec ?? state.ceilingPerSec;
  return changeTo(s, { ...state, recent: [], ceilingPerSec: ceiling }, Math.floor(state.ratePerSec / 2), 'careful', 'rate-limit', atMs + heldLagMs(s, settleMs, state.baselineLatencyMs));
}

/** Connects one window asks for at the current rate. */
function windowShare(s: AdaptiveSchedule, state: AdaptiveState): number {
  return (state.ratePerSec * s.windowMs) / 1000;
}

function changeTo(
  s: AdaptiveSchedule,
  state: AdaptiveState,
  wanted: number,
  phase: AdaptivePhase,
  reason: AdaptiveReason,
  holdOffUntilMs: number,
): AdaptiveDecision {
  const ratePerSec = Math.min(s.maxRatePerSec, state.ceilingPerSec ?? Number.POSITIVE_INFINITY, Math.max(s.minRatePerSec, wanted));
  const next = { ...state, ratePerSec, phase, holdOffUntilMs };
  if (ratePerSec === state.ratePerSec && phase === state.phase) return { state: next, change: null };
  return { state: next, change: { ratePerSec, phase, reason } };
}
