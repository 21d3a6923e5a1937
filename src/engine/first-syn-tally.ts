/**
 * The first-SYN outcomes of one pool's connects, by start time (types/first-syn.ts): a few counters per 10 ms of
 * run time, filled in as connects end, for the last minute (a ring: a pool that holds for hours keeps 72 KB), and
 * the total turned away over the pool's life. Whether a completed connect's SYN was resent is the kernel's word
 * where the native core reads it (TCP_INFO total_retrans at establishment); otherwise the connect time says it:
 * the first resend comes 1 s after the SYN (TCP_TIMEOUT_INIT), so a connect that took most of a second waited for one.
 */
import type { FirstSynBins, FirstSynLog } from '../types/first-syn.js';

/** Width of a bin, ms. */
export const FIRST_SYN_BIN_MS = 10;
/** Bins kept: the last minute. A connect that ends later than that after its start is not counted in them. */
export const FIRST_SYN_BINS_KEPT = 6000;
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
  private readonly counts: Record<FirstSynOutcome, Int32Array> = {
    passed: new Int32Array(FIRST_SYN_BINS_KEPT),
    dropped: new Int32Array(FIRST_SYN_BINS_KEPT),
    refused: new Int32Array(FIRST_SYN_BINS_KEPT),
  };
  /** The bin each slot of the ring holds now (-1: none yet); a slot holding an older one is cleared before use. */
  private readonly slotBin = new Float64Array(FIRST_SYN_BINS_KEPT).fill(-1);
  private awayTotal = 0;

  /** `nowMs`: the owner's clock (ms since it started), read when asked. */
  constructor(private readonly nowMs: () => number) {}

  /** A connect that started at `startMs` (the owner's clock) ended its first SYN this way. */
  note(startMs: number, outcome: FirstSynOutcome): void {
    if (outcome !== 'passed') this.awayTotal++;
    const bin = Math.max(0, Math.floor(startMs / this.binMs));
    if (bin <= this.nowBin() - FIRST_SYN_BINS_KEPT) return;
    const slot = bin % FIRST_SYN_BINS_KEPT;
    if (this.slotBin[slot] !== bin) {
      this.slotBin[slot] = bin;
      this.counts.passed[slot] = 0;
      this.counts.dropped[slot] = 0;
      this.counts.refused[slot] = 0;
    }
    this.counts[outcome][slot] = (this.counts[outcome][slot] ?? 0) + 1;
  }

  nowBin(): number {
    return Math.max(0, Math.floor(this.nowMs() / this.binMs));
  }

  turnedAway(): number {
    return this.awayTotal;
  }

  since(fromBin: number): FirstSynBins {
    const to = this.nowBin() + 1;
    const from = Math.max(0, fromBin, to - FIRST_SYN_BINS_KEPT);
    const slice = (counts: Int32Array): number[] =>
      Array.from({ length: Math.max(0, to - from) }, (_, i) => {
        const slot = (from + i) % FIRST_SYN_BINS_KEPT;
        return this.slotBin[slot] === from + i ? (counts[slot] ?? 0) : 0;
      });
    const { passed, dropped, refused } = this.counts;
    return { binMs: this.binMs, fromBin: from, passed: slice(passed), dropped: slice(dropped), refused: slice(refused) };
  }
}
