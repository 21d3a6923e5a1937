/**
 * Detection: pure decisions over the sampled timeline and counters. The ramp executor asks these whether to stop
 * and how to read the failures it saw; they never touch sockets or clocks.
 */
import type { TimelineSample } from '../metrics/result.js';
import { isClientSide, type FailureClass } from '../engine/failure-class.js';

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
