/**
 * The ramp's stop decision: after each sample, go on, stop (and why), or look closer at new failures (measure
 * eviction, or confirm at a low rate). A pure function of what the ramp has seen and the sample; the executor
 * (ramp.ts) carries it out.
 */
import type { PoolCounters } from '../types/pool-counters.js';
import { isClientSide, type ClientFailureClass } from '../types/failure-class.js';
import type { TimelineSample } from '../metrics/result.js';
import type { RampStopReason } from '../metrics/verdict.js';
import { clientLimitIn, detectPlateau, looksLikeEviction } from './detect.js';
import { isDrained } from './run-context.js';

/** What bounds the ramp phase. */
export interface RampBounds {
  until: 'confirm' | 'first-failure';
  plateauMs: number;
  max: number | null;
  clientReach: { connections: number; limitedBy: ClientFailureClass } | null;
  /** The ramp phase ends here (ms since the start), leaving room for the hold. */
  rampEndMs: number;
}

/** Failures and held losses already accounted for (by an earlier confirmation or eviction check). */
export interface FailuresSeen {
  failed: number;
  heldLost: number;
}

/**
 * What --max lets the ramp ask for in all by now: --max, plus connects that failed before they were open (refused,
 * timed out, reset). Those go on only after the confirmation called them the rate's doing, and --max counts
 * connections, not attempts: a slow server's dropped SYNs are asked for again. Null without --max. Pure.
 */
export function maxAskable(bounds: Pick<RampBounds, 'max'>, c: Pick<PoolCounters, 'failed' | 'lost'>): number | null {
  return bounds.max === null ? null : bounds.max + (c.failed - c.lost);
}

export interface RampSample {
  tMs: number;
  counters: Pick<
    PoolCounters,
    'failed' | 'heldLost' | 'lost' | 'held' | 'connected' | 'requested' | 'failuresByClass' | 'connecting' | 'established' | 'queued'
  >;
  timeline: readonly TimelineSample[];
  aborted: boolean;
}

/**
 * New failures in this sample: 'none'; 'client-side' (this machine's limit, or nothing ever connected: the stop
 * says so); 'at-edge' (the server's doing, at the rate of this stage).
 */
export type NewFailures = 'none' | 'client-side' | 'at-edge';

export type RampTickDecision =
  | { next: 'go-on'; failures: 'none' }
  /** `rateAbsorbed`: the stage's achieved rate was absorbed without failure. */
  | { next: 'stop'; reason: RampStopReason; rateAbsorbed: boolean; failures: NewFailures }
  /** New failures that are mostly held connections closed: measure eviction before calling it anything. */
  | { next: 'check-eviction'; failures: 'at-edge' }
  /** New failures at speed: confirm at a low rate whether they are a concurrency or a rate limit. */
  | { next: 'confirm'; failures: 'at-edge' };

/** Go on, stop, or look closer: in this order, interruption, new failures, plateau, this machine's reach, --max, time. */
export function decideRampTick(bounds: RampBounds, seen: FailuresSeen, sample: RampSample): RampTickDecision {
  const c = sample.counters;
  if (sample.aborted) return { next: 'stop', reason: { kind: 'interrupted' }, rateAbsorbed: false, failures: 'none' };
  if (c.failed > seen.failed) {
    const clientClass = clientLimitIn(c.failuresByClass);
    if (clientClass !== null && isClientSide(clientClass)) {
      return { next: 'stop', reason: { kind: 'client-limited', limitedBy: clientClass }, rateAbsorbed: false, failures: 'client-side' };
    }
    if (c.connected === 0) return { next: 'stop', reason: { kind: 'unreachable' }, rateAbsorbed: false, failures: 'client-side' };
    if (looksLikeEviction({ newFailures: c.failed - seen.failed, newHeldLosses: c.heldLost - seen.heldLost })) {
      return { next: 'check-eviction', failures: 'at-edge' };
    }
    // Unconfirmed, the failure may be the rate's own doing: this stage's rate does not count as absorbed.
    if (bounds.until === 'first-failure') {
      return { next: 'stop', reason: { kind: 'limit-by-failure', confirmed: false }, rateAbsorbed: false, failures: 'at-edge' };
    }
    return { next: 'confirm', failures: 'at-edge' };
  }
  const absorbed = (reason: RampStopReason): RampTickDecision => ({ next: 'stop', reason, rateAbsorbed: true, failures: 'none' });
  if (detectPlateau(sample.timeline, bounds.plateauMs) !== null) return absorbed({ kind: 'limit-by-plateau' });
  const reach = bounds.clientReach;
  if (reach !== null && c.requested >= reach.connections && isDrained(c)) {
    return absorbed({ kind: 'client-limited', limitedBy: reach.limitedBy });
  }
  const askable = maxAskable(bounds, c);
  if (askable !== null && c.requested >= askable && isDrained(c)) return absorbed({ kind: 'max-reached' });
  if (sample.tMs >= bounds.rampEndMs) return absorbed({ kind: 'timed-out' });
  return { next: 'go-on', failures: 'none' };
}
