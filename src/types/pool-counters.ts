/**
 * What the socket engine reports: live counters, the first failure of each class and per-connection events.
 * Ground floor (src/types/): the engine fills them in; controller, workers, fleet and reporters read them.
 */
import type { FailureClass } from './failure-class.js';

/** Live totals. Gauges (connecting, established, held, queued) go up and down; the rest only grow. */
export interface PoolCounters {
  /** Connections asked for with open(). */
  requested: number;
  /** Connects started, reconnects included. */
  attempted: number;
  /** Asked for but not started: waiting for an in-flight slot or a reconnect delay. */
  queued: number;
  /** In flight: connect (and TLS handshake) not finished. */
  connecting: number;
  /** Open but not yet held: settling, or waiting for the expected reply. */
  established: number;
  /** Open and counted as held. */
  held: number;
  peakHeld: number;
  /** Connections that ever became held. */
  everHeld: number;
  /**
   * Connects that succeeded: TCP connected and, with TLS, the handshake done. A TCP connect whose handshake then
   * fails is not counted, so "nothing connected" (an unreachable verdict) holds for a TLS target we cannot talk to.
   */
  connected: number;
  /** Open connections later closed or reset by the server. */
  lost: number;
  /** Of `lost`: connections that had been held (closed or reset after --settle, or after the expected reply). */
  heldLost: number;
  /**
   * Of `heldLost`: connections started since opening last paused (`dropQueued`). A server that turns new
   * connections away late closes those; one that evicts closes its oldest, from before the pause.
   */
  heldLostSincePause: number;
  /**
   * Of `heldLost`: connections the server turned away late: closed within half a second of becoming held, or right
   * after the first bytes it sent on them (its refusal, written when it got to a connection that waited in its
   * accept queue). One that drops idle connections does so later, and without a word first.
   */
  heldLostEarly: number;
  /** Of `heldLost`: connections that got the expected reply (--expect) and were then closed by the server. */
  servedThenClosed: number;
  /**
   * Held connections taken back because the server never completed their handshake (its accept queue was full
   * and it dropped our final ACK): see handshake-audit.ts. They are not in `failed`; `peakHeld` is corrected.
   */
  neverCompleted: number;
  /** TLS 1.3 connections counted held by --settle alone: the server showed no proof (session ticket, bytes). */
  tlsUnproven: number;
  /**
   * Of `connected`: connects that completed only after the kernel resent their SYN (the first went unanswered: a
   * limiter dropped it, or the server's accept queue was full). The kernel's count where the native core reads
   * TCP_INFO; a connect time of 0.9 s or more on Node's sockets (the first resend comes after 1 s).
   */
  synRetransmitted: number;
  /** TCP connects that completed and were timed: the count of the connect-latency histogram. */
  connectsTimed: number;
  /**
   * The sum of their times, in microseconds: with `connectsTimed`, the mean a ramp window needs, exact and summed
   * across processes without reading (or merging) a histogram.
   */
  connectTimeSumUs: number;
  /** All failures: failed connects plus lost connections. */
  failed: number;
  reconnects: number;
  /** Of `reconnects`: replacements that became held. */
  replacementsHeld: number;
  failuresByClass: Partial<Record<FailureClass, number>>;
}

/** All counters at zero: a new pool, and the neutral element when counters are summed. */
export function emptyCounters(): PoolCounters {
  return {
    requested: 0,
    attempted: 0,
    queued: 0,
    connecting: 0,
    established: 0,
    held: 0,
    peakHeld: 0,
    everHeld: 0,
    connected: 0,
    lost: 0,
    heldLost: 0,
    heldLostSincePause: 0,
    heldLostEarly: 0,
    servedThenClosed: 0,
    neverCompleted: 0,
    tlsUnproven: 0,
    synRetransmitted: 0,
    connectsTimed: 0,
    connectTimeSumUs: 0,
    failed: 0,
    reconnects: 0,
    replacementsHeld: 0,
    failuresByClass: {},
  };
}

export type FailurePhase = 'connect' | 'established' | 'held';

/** One failure, as reported for the first of each class. */
export interface FailureRecord {
  class: FailureClass;
  /** errno or Node error code, if there was one. */
  code: string | null;
  message: string;
  phase: FailurePhase;
  /** Milliseconds since the pool started. */
  atMs: number;
  /** For lost connections: how long after connect. */
  afterConnectMs: number | null;
  /** The first bytes the server sent (escaped), if any. */
  serverSaid: string | null;
  connId: number;
  sourceAddress: string | null;
}

export type PoolEvent =
  | { kind: 'established'; connId: number; atMs: number; connectMs: number }
  | { kind: 'held'; connId: number; atMs: number }
  | { kind: 'failed'; connId: number; atMs: number; failure: FailureRecord };
