/**
 * Detection: pure decisions over the sampled timeline and counters. The ramp executor asks these whether to stop
 * and how to read the failures it saw; they never touch sockets or clocks.
 */
import type { RampVerdictKind, RateFinding, TimelineSample } from '../metrics/result.js';
import type { RampStopReason } from '../metrics/verdict.js';
import type { PoolCounters } from '../types/pool-counters.js';
import type { FirstSynBins } from '../types/first-syn.js';
import { isClientSide, type FailureClass } from '../types/failure-class.js';

/**
 * A plateau: the held count has not grown above its peak for `plateauMs` while attempts went on.
 * Returns the time the plateau started (when the peak was first reached), or null.
 */
export function detectPlateau(samples: readonly TimelineSample[], plateauMs: number): number | null {
  const last = samples[samples.length - 1];
  if (last === undefined) return null;
  let peakAt: TimelineSample | undefined;
  for (const s of samples) if (peakAt === undefined || s.held > peakAt.held) peakAt = s;
  if (peakAt === undefined || peakAt.held === 0) return null;
  if (last.tMs - peakAt.tMs < plateauMs) return null;
  return last.attempted > peakAt.attempted ? peakAt.tMs : null;
}

/** The first client-side class among the failures seen, if any: such a run says nothing about the server. */
export function clientLimitIn(failuresByClass: Partial<Record<FailureClass, number>>): FailureClass | null {
  for (const [cls, count] of Object.entries(failuresByClass) as [FailureClass, number][]) {
    if (count > 0 && isClientSide(cls)) return cls;
  }
  return null;
}

export interface ConfirmationInput {
  /** Held connections when the low-rate confirmation started. */
  heldBefore: number;
  /** Held connections when it ended. */
  heldAfter: number;
  /** Connections attempted during the confirmation. */
  attempts: number;
  /** Failures (of any class) during the confirmation. */
  failures: number;
}

/**
 * After failures at speed, a few connects at a low rate tell a concurrency limit from a rate limit: failures that
 * go on while the held count stays flat are a concurrency limit; connects that succeed (the held count grows)
 * mean the server could not accept that fast, but can hold more.
 */
export function judgeConfirmation(c: ConfirmationInput): 'concurrency-limit' | 'rate-limit' {
  if (c.attempts === 0) return 'concurrency-limit';
  if (c.failures === 0) return 'rate-limit';
  return c.heldAfter > c.heldBefore ? 'rate-limit' : 'concurrency-limit';
}

/** The first sample at which `held` reached `value`, or null. */
export function timeToReach(samples: readonly TimelineSample[], value: number): number | null {
  if (value <= 0) return null;
  for (const s of samples) if (s.held >= value) return s.tMs;
  return null;
}

/**
 * New failures that are mostly held connections closed by the server (not new connects failing) point at eviction
 * or an idle timeout, not at a cap: measure it before calling it anything.
 */
export function looksLikeEviction(d: { newFailures: number; newHeldLosses: number }): boolean {
  return d.newHeldLosses > 0 && d.newHeldLosses * 2 >= d.newFailures;
}

export interface EvictionProbe {
  /** One-at-a-time connects after which held connections were closed. */
  evictions: number;
  /** New connects that failed, or were held and then closed (late denials), not older connections lost. */
  connectFailures: number;
}

/**
 * Read the one-at-a-time phase: held connections closed again as new ones came in, while new ones kept being held,
 * is eviction; new connects failing is a cap after all; neither is a few idle connections closed by chance.
 */
export function judgeEviction(p: EvictionProbe): 'evicting' | 'limit' | 'none' {
  if (p.connectFailures > 0 && p.connectFailures >= p.evictions) return 'limit';
  if (p.evictions > 0) return 'evicting';
  return 'none';
}

/**
 * A run that never held a connection has no capacity to report: 'unreachable' when nothing even connected,
 * 'rejected' when the server took connections and turned every one away (a greeting with an error, a close),
 * 'timed-out' when connections opened but none failed and none was open for --settle before the time ran out (no
 * answer yet: nothing was turned away). Null when something was held, or when the stop already says why
 * (interrupted, client-limited, unreachable).
 */
export function nothingHeldVerdict(
  stop: RampVerdictKind,
  c: Pick<PoolCounters, 'peakHeld' | 'connected' | 'failed'>,
): 'unreachable' | 'rejected' | 'timed-out' | null {
  if (c.peakHeld > 0 || stop === 'interrupted' || stop === 'client-limited' || stop === 'unreachable') return null;
  if (c.connected === 0) return 'unreachable';
  return c.failed === 0 ? 'timed-out' : 'rejected';
}

/**
 * The number a limit verdict reports. The peak of held connections can include connections the server took back
 * soon after --settle (a target that denies slowly at its cap, under load): they were never held at once with the
 * rest. For a cap found by failure or plateau the number is the peak less those closed within half a second of
 * becoming held, never below what was still held at the end of the hold. Closes long after (a server that drops
 * idle connections) say nothing against the peak. Other verdicts keep the peak (an evicting server's number is
 * its most open at once; a lower bound is a lower bound).
 */
export function limitMax(
  stop: RampVerdictKind,
  c: Pick<PoolCounters, 'peakHeld' | 'held' | 'heldLostEarly'>,
): number {
  if (stop !== 'limit-by-failure' && stop !== 'limit-by-plateau') return c.peakHeld;
  if (c.held >= c.peakHeld || c.heldLostEarly === 0) return c.peakHeld;
  return Math.max(c.held, c.peakHeld - c.heldLostEarly);
}

/**
 * The rate limits a ramp reports. A server found to evict its oldest idle connections (nginx at
 * worker_connections) closes held connections while new ones are held; before the eviction check has run, the
 * first of those closes look like failures that stop when the rate drops. Once the run is known to evict, such
 * closes (closed-by-peer) were evictions, never a rate limit.
 */
export function reportedRateLimits(stopKind: RampVerdictKind, found: readonly RateFinding[]): RateFinding[] {
  return stopKind === 'evicting' ? found.filter((r) => r.failureClass !== 'closed-by-peer') : [...found];
}

/** What a steady stream of connects showed about a new-connection rate limit (see newConnectionRate). */
export interface NewConnectionRate {
  /** Connects let through per second once the limiter turned the first one away. */
  perSec: number;
  /** How long the stream went on after the first connect was turned away, ms (whole bins). */
  overMs: number;
  /** Connects started in that time whose first SYN was answered. */
  passed: number;
  /** Connects of the stream whose first SYN went unanswered (completed only after a resend, or timed out). */
  dropped: number;
  /** Connects of the stream refused (RST to the SYN). */
  refused: number;
  /** How the limiter turns connects away: most of them dropped (SYNs unanswered) or refused. */
  turnedAwayBy: 'dropped-syn' | 'refused';
}

/**
 * Fewest connects answered, and turned away, for a rate to be said (fewer is one connect's noise), and the
 * shortest time after the first turned away to count over (shorter is a few bins' noise: a stream only a little
 * faster than the limit spends the burst late).
 */
const RATE_MIN_PASSED = 3;
const RATE_MIN_TURNED_AWAY = 3;
const RATE_MIN_OVER_MS = 100;

/**
 * The rate a new-connection limiter lets through, from the first-SYN outcomes of a steady stream of connects
 * faster than it (the measure in controller/rate-phase.ts). A token bucket (iptables hashlimit, a proxy's
 * connection rate) is empty when it turns the first connect away: its burst is spent, and from then on what it
 * lets through is its rate. So: the first-SYN answers of the connects started after the bin of the first one
 * turned away, per second, up to the bin of the last connect of the stream. First SYNs only, counted by start
 * time: no resent SYN of the stream competes within its first second. Null when nothing was turned away, or
 * too few connects passed or were turned away, or too little time was left after the first, to say. Pure.
 */
export function newConnectionRate(b: FirstSynBins): NewConnectionRate | null {
  const away = (i: number): number => (b.dropped[i] ?? 0) + (b.refused[i] ?? 0);
  const first = b.passed.findIndex((_, i) => away(i) > 0);
  if (first < 0) return null;
  let last = first;
  for (let i = b.passed.length - 1; i > first; i--) {
    if ((b.passed[i] ?? 0) + away(i) > 0) {
      last = i;
      break;
    }
  }
  let passed = 0;
  for (let i = first + 1; i <= last; i++) passed += b.passed[i] ?? 0;
  const dropped = b.dropped.reduce((n, x) => n + x, 0);
  const refused = b.refused.reduce((n, x) => n + x, 0);
  const overMs = (last - first) * b.binMs;
  if (overMs < RATE_MIN_OVER_MS || passed < RATE_MIN_PASSED || dropped + refused < RATE_MIN_TURNED_AWAY) return null;
  return {
    perSec: Math.round((passed * 1000) / overMs),
    overMs,
    passed,
    dropped,
    refused,
    turnedAwayBy: dropped >= refused ? 'dropped-syn' : 'refused',
  };
}

/** Verdicts that give the server's number: a load side that bound its share turns them into client-limited. */
const SERVER_NUMBER: ReadonlySet<RampStopReason['kind']> = new Set(['limit-by-failure', 'limit-by-plateau', 'evicting']);

/**
 * The check that the load side was not the bottleneck: when participants (workers, agents) ran into a limit of
 * their machine (metrics/verdict.ts participantClientLimit: a client-side failure class, or a core kept busy), a
 * stop that would give the server's number becomes client-limited, naming them; a client-limited stop names them
 * too. Other stops (already lower bounds, or nothing held) are left as they are. Pure.
 */
export function loadSideStop(
  stop: RampStopReason,
  participants: readonly { name: string; clientLimit: FailureClass | 'cpu' | null }[],
): RampStopReason {
  const bound = participants.flatMap((p) => {
    const limit = p.clientLimit;
    return limit === 'cpu' || (limit !== null && isClientSide(limit)) ? [{ name: p.name, limit }] : [];
  });
  const first = bound[0];
  if (first === undefined) return stop;
  if (stop.kind === 'client-limited') return { ...stop, participants: bound };
  if (SERVER_NUMBER.has(stop.kind)) return { kind: 'client-limited', limitedBy: first.limit, participants: bound };
  return stop;
}
