/**
 * The first-SYN outcomes of one pool's connects, by start time (types/first-syn.ts): a few counters per 10 ms of
 * run time, filled in as connects end. Whether a completed connect's SYN was resent is the kernel's word where the
 * native core reads it (TCP_INFO total_retrans at establishment); otherwise the connect time says it: the first
 * resend comes 1 s after the SYN (TCP_TIMEOUT_INIT), so a connect that took most of a second waited for one.
 */
import type { FirstSynBins, FirstSynLog } from '../types/first-syn.js';

/** Width of a bin, ms. */
export const FIRST_SYN_BIN_MS = 10;
/**
 * Without the kernel's count: a connect that took this long waited for a resent SYN. Linux resends the first after
 * 1 s; an answered SYN takes a round trip, which event-loop lag could stretch, but not this far.
 */
export const SYN_RESENT_CONNECT_MS = 900;

/** SYNs resent before a connect completed: the kernel's count when known, else read from the connect time. Pure. */
export function synRetransmitsOf(connectMs: number, kernelCount: number | null): number {
  if (kernelCount !== null && kernelCount >= 0) return kernelCount;
  return connectMs >= SYN_RESENT_CONNECT_MS ? 1 : 0;
}

export type FirstSynOutcome = 'passed' | 'dropped' | 'refused';

export class FirstSynTally implements FirstSynLog {
  readonly binMs = FIRST_SYN_BIN_MS;
  private readonly passed: number[] = [];
  private readonly dropped: number[] = [];
  private readonly refused: number[] = [];

  /** `nowMs`: the owner's clock (ms since it started), read when asked. */
  constructor(private readonly nowMs: () => number) {}

  /** A connect that started at `startMs` (the owner's clock) ended its first SYN this way. */
  note(startMs: number, outcome: FirstSynOutcome): void {
    const bin = Math.max(0, Math.floor(startMs / this.binMs));
    const counts = outcome === 'passed' ? this.passed : outcome === 'dropped' ? this.dropped : this.refused;
    while (counts.length <= bin) counts.push(0);
    counts[bin] = (counts[bin] ?? 0) + 1;
  }

  nowBin(): number {
    return Math.max(0, Math.floor(this.nowMs() / this.binMs));
  }

  since(fromBin: number): FirstSynBins {
    const from = Math.max(0, fromBin);
    const to = this.nowBin() + 1;
    const slice = (counts: number[]): number[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => counts[from + i] ?? 0);
    return { binMs: this.binMs, fromBin: from, passed: slice(this.passed), dropped: slice(this.dropped), refused: slice(this.refused) };
  }
}
