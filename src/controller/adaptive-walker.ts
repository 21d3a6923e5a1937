/**
 * The ramp's side of the adaptive schedule: it keeps the planner's state, feeds it one observation per window and
 * says how many connections the current rate owes at each tick. No I/O: the ramp executor reads the counters and
 * the latency totals, and opens what this says.
 */
import type { PoolCounters } from '../types/pool-counters.js';
import {
  adaptRate,
  afterRateLimit,
  startAdaptive,
  type AdaptiveChange,
  type AdaptiveState,
} from './adaptive-plan.js';
import type { AdaptiveSchedule } from '../config/schedule.js';

/**
 * At most this many, or a window's worth, wait for an in-flight slot: a window at the rate, or at twice the pace the
 * opener started in the last window when that is less. The driver places what is asked for (a source address, a
 * worker process) before it starts, so what waits should be about to start.
 */
export const ADAPTIVE_QUEUE_MIN = 512;
const QUEUE_PACE_FACTOR = 2;

export class AdaptiveWalker {
  private state: AdaptiveState;
  private nextWindowMs: number;
  /** The connect-time totals at the last window's end. */
  private latencySeen: Pick<PoolCounters, 'connectsTimed' | 'connectTimeSumUs'> = { connectsTimed: 0, connectTimeSumUs: 0 };
  /** Connections the current rate owes since `lastOpenMs` (fractions carried). */
  private owed = 0;
  private lastOpenMs = 0;
  /** Connects started per second over the last window; null before the first window ends. */
  private startedPerSec: number | null = null;
  /** The counters' started connects at the last window's end; null after a pause, until the next window ends. */
  private startedSeen: { atMs: number; attempted: number } | null = { atMs: 0, attempted: 0 };

  constructor(
    readonly schedule: AdaptiveSchedule,
    private readonly settleMs: number,
  ) {
    this.state = startAdaptive(schedule);
    this.nextWindowMs = schedule.windowMs;
  }

  get ratePerSec(): number {
    return this.state.ratePerSec;
  }

  /**
   * At a window's end, the planner's decision from this window's counters and connect latency (what the totals
   * gained since the last window); null when the rate stays or the window is not over.
   */
  observe(c: PoolCounters, nowMs: number): AdaptiveChange | null {
    if (nowMs < this.nextWindowMs) return null;
    // On a fixed grid: counted from the tick that ended the last one, every window would last a tick longer. After
    // a stall, the next window is a whole one from now.
    this.nextWindowMs += this.schedule.windowMs;
    if (this.nextWindowMs <= nowMs) this.nextWindowMs = nowMs + this.schedule.windowMs;
    const seen = this.startedSeen;
    if (seen !== null && nowMs > seen.atMs) this.startedPerSec = ((c.attempted - seen.attempted) * 1000) / (nowMs - seen.atMs);
    this.startedSeen = { atMs: nowMs, attempted: c.attempted };
    const completed = c.connectsTimed - this.latencySeen.connectsTimed;
    const windowSumUs = c.connectTimeSumUs - this.latencySeen.connectTimeSumUs;
    this.latencySeen = { connectsTimed: c.connectsTimed, connectTimeSumUs: c.connectTimeSumUs };
    const decision = adaptRate(
      this.schedule,
      this.state,
      {
        atMs: nowMs,
        attempted: c.attempted,
        held: c.held,
        failed: c.failed,
        queued: c.queued,
        completedInWindow: completed,
        meanLatencyMs: completed > 0 ? windowSumUs / completed / 1000 : null,
      },
      this.settleMs,
    );
    this.state = decision.state;
    return decision.change;
  }

  /**
   * Connections to ask for now: what the rate owes since the last call, unless the opener already has a window's
   * worth waiting (at the rate, or at twice the pace it started at, whichever is less); then the debt is dropped, so
   * that a slow-down takes effect at once instead of after a queue of connections asked for at the old rate. Never
   * past `limit` asked for in all.
   */
  due(c: Pick<PoolCounters, 'queued' | 'requested'>, nowMs: number, limit: number | null): number {
    const rate = this.state.ratePerSec;
    this.owed += (rate * (nowMs - this.lastOpenMs)) / 1000;
    this.lastOpenMs = nowMs;
    const pace = this.startedPerSec === null ? rate : Math.min(rate, QUEUE_PACE_FACTOR * this.startedPerSec);
    if (c.queued >= Math.max(ADAPTIVE_QUEUE_MIN, (pace * this.schedule.windowMs) / 1000)) {
      this.owed = 0;
      return 0;
    }
    let n = Math.floor(this.owed);
    this.owed -= n;
    if (limit !== null) n = Math.min(n, limit - c.requested);
    return Math.max(0, n);
  }

  /** A new stage starts at `nowMs`: nothing owed from before. */
  startStage(nowMs: number): void {
    this.owed = 0;
    this.lastOpenMs = nowMs;
  }

  /** After a pause (confirming, measuring eviction): observations start afresh, the next window from `nowMs`. */
  resume(nowMs: number): void {
    this.state = { ...this.state, recent: [] };
    this.nextWindowMs = nowMs + this.schedule.windowMs;
    this.startedPerSec = null;
    this.startedSeen = null;
  }

  /** A confirmed rate limit: half the rate that failed, never again above `ceilingPerSec` (adaptive-plan.ts). */
  afterRateLimit(nowMs: number, ceilingPerSec: number | null = null): AdaptiveChange {
    const decision = afterRateLimit(this.schedule, this.state, nowMs, this.settleMs, ceilingPerSec);
    this.state = decision.state;
    return decision.change ?? { ratePerSec: decision.state.ratePerSec, phase: decision.state.phase, reason: 'rate-limit' };
  }
}
