/**
 * What a controller drives: something that opens and holds connections and reports merged counters. A single
 * local pool, a group of worker processes and a fleet of remote agents all look like this, so the ramp and hold
 * executors are written once.
 */
import type { FailureRecord, PoolCounters, PoolEvent } from '../engine/connection-pool.js';
import type { Histogram } from '../metrics/histogram.js';
import type { ParticipantSummary } from '../metrics/result.js';

export interface ProbeDriver {
  /** Ask for `count` more connections (split over participants by the driver). */
  open(count: number): void;
  /** Drop connections asked for but not started yet; opening stays possible. */
  dropQueued(): void;
  /** Stop opening for good (and stop reconnecting); open connections stay open. */
  stopOpening(): void;
  /** Merged live counters. `peakHeld` is the peak of the merged held count. */
  counters(): PoolCounters;
  /** The first failure of each class seen so far, earliest first. */
  firstFailures(): FailureRecord[];
  /** Merged connect latency (and TLS handshake latency). Owned by the driver: read it, never keep or destroy it. */
  connectLatency(): Histogram;
  tlsLatency(): Histogram | null;
  /** Per-participant figures; empty for a single local pool. */
  participants(): ParticipantSummary[];
  /** Close every connection with RST and release everything. */
  close(): Promise<void>;
}

export type PoolEventListener = (e: PoolEvent) => void;
