/**
 * What a controller drives: something that opens and holds connections and reports merged counters. A single
 * local pool, a group of worker processes and a fleet of remote agents all look like this, so the ramp and hold
 * executors are written once.
 */
import type { FailureRecord, PoolCounters, PoolEvent } from '../types/pool-counters.js';
import type { Histogram } from '../metrics/histogram.js';
import type { HandshakeAudit, ParticipantSummary, ResourceChange } from '../metrics/result.js';
import type { FirstSynLog } from '../types/first-syn.js';
import type { ProcessUse } from '../types/participant-protocol.js';

/**
 * One participant's figures as the driver knows them: the engine's live counters, mapped into the result later
 * (its share of the run is derived there, from every participant's counters).
 */
export type DriverParticipant = Omit<ParticipantSummary, 'counters' | 'share'> & { counters: PoolCounters };

/** What a driver connected from, and what it added as the run grew: the result reports both. */
export interface DriverResources {
  /** Addresses connections were bound to (empty: the kernel chose). */
  sourceAddresses: string[];
  /** Source addresses and processes added during the run, in order (empty: none). */
  changes: ResourceChange[];
}

export interface ProbeDriver {
  /** Ask for `count` more connections (split over participants by the driver). */
  open(count: number): void;
  /** Drop connections asked for but not started yet; opening stays possible. */
  dropQueued(): void;
  /** Stop opening for good (and stop reconnecting); open connections stay open. */
  stopOpening(): void;
  /** Pause reopening closed connections (--reconnect), or go on; a no-op when reconnect is off. */
  pauseReconnects(paused: boolean): void;
  /**
   * Close every open connection with RST (this side's choice: no failure counted) and go on: opening stays
   * possible. Where the sockets are in other processes, the counters show it once they report.
   */
  releaseAll(): void;
  /** Merged live counters. `peakHeld` is the peak of the merged held count. */
  counters(): PoolCounters;
  /** The first failure of each class seen so far, earliest first. */
  firstFailures(): FailureRecord[];
  /** Merged connect latency (and TLS handshake latency). Owned by the driver: read it, never keep or destroy it. */
  connectLatency(): Histogram;
  tlsLatency(): Histogram | null;
  /** Per-participant figures; empty for a single local pool. */
  participants(): DriverParticipant[];
  resources(): DriverResources;
  /**
   * What the processes beyond this one that hold its connections (worker processes, agents) used of their
   * machines, combined; null when they have not said. Absent: no such processes.
   */
  processUse?(): ProcessUse | null;
  /**
   * Look for held connections whose handshake the server never completed, take them back, and say what was found
   * (src/engine/handshake-audit.ts). Waits at most `maxWaitMs` for confirmation. Each process audits its own
   * sockets: a driver over worker processes or agents asks each of them (the participant protocol's
   * `audit-handshakes`) and sums what they found. Absent: the result says the audit did not run.
   */
  auditHandshakes?(maxWaitMs: number, signal?: AbortSignal): Promise<HandshakeAudit>;
  /**
   * Take the handshake audit's first look now, in the hold's last moments, so that the audit after the hold starts
   * from it instead of spending its first tens of milliseconds reading (where this process reads its own sockets).
   * Absent: the audit looks when it starts.
   */
  lookBeforeAudit?(): void;
  /**
   * While `on`, a failure drops what waits for an in-flight slot at once, as dropQueued (the ramp's adding phase:
   * it stops adding at the first failure). Absent (the connections are made elsewhere): the ramp's next tick does.
   */
  dropQueuedOnFailure?(on: boolean): void;
  /**
   * Open again after stopOpening, for the audit's one-at-a-time reopening of handshakes a burst overflowed (absent
   * where auditHandshakes is: the connections it took back were in this process). False when it cannot open again.
   */
  resumeOpening?(): boolean;
  /**
   * What became of each connect's first SYN, by start time (types/first-syn.ts), where one process makes every
   * connect; null (or absent) where they are spread over processes: a share of the connects would understate the
   * rate a limiter lets through.
   */
  firstSynOutcomes?(): FirstSynLog | null;
  /** Close every connection with RST and release everything. */
  close(): Promise<void>;
}

export type PoolEventListener = (e: PoolEvent) => void;
