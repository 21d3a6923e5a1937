/**
 * The pool's live counters (PoolCounters), changed only through the verbs below, one per step of a connection's
 * life, so each rule of the bookkeeping is written once: which gauge a state counts in, what a loss adds to, when
 * the peak moves and how taking a held connection back corrects it. Totals are kept as they change, never
 * recomputed by scanning the connections. ConnectionPool (connection-pool.ts) calls them as its state machine
 * moves; the numbers leave only as a copy (`snapshot`).
 */
import type { FailureClass } from '../types/failure-class.js';
import { emptyCounters, type PoolCounters } from '../types/pool-counters.js';
import { ConnState } from './connection.js';

/** A held connection closed sooner than this after becoming held was turned away late (see heldLostEarly). */
const EARLY_LOSS_MS = 500;
/**
 * A held connection closed this soon after the first bytes the server sent on it was turned away late too: the
 * server's first words were its refusal (a forking server at its cap writes "too many clients" and closes once it
 * gets to a connection that waited in its accept queue, which can be seconds after it was counted held).
 */
const REFUSAL_CLOSE_MS = 200;

/**
 * A connection that got no bytes and whose server completed the handshake late (its accept queue was full: it
 * dropped the final ACK and resent its SYN-ACK, 1, 3, 7 s after the first) is closed this soon after the last
 * resend when the server refused it once it got to it (its event loop, or ours, may lag under load: the next
 * resend is 2 s later, so the windows never meet); and the resend is heard this early at most, relative to the
 * client's establishment (the server's first SYN-ACK).
 */
const REFUSAL_AFTER_COMPLETION_MS = 1500;
const RESEND_SLACK_MS = 300;

/** How a held connection ended, as the late-refusal rule reads it (ms on one clock; null: not known). */
export interface HeldLoss {
  heldAt: number;
  establishedAt: number;
  firstBytesAt: number | null;
  /**
   * Segments it had received when the server closed it, for one that got no bytes (the native core reads TCP_INFO;
   * null elsewhere): its SYN-ACK and FIN are two, each more a resent SYN-ACK.
   */
  segsInAtClose: number | null;
}

/**
 * Whether a held connection's loss was a late refusal, not the loss of a connection the server held: closed
 * within half a second of becoming held, or right after the server's first words, or right after the server
 * completed its handshake late (a silent server that closes what is over its cap once it gets to it). Pure.
 */
export function lostToLateRefusal(loss: HeldLoss, now: number): boolean {
  if (now - loss.heldAt < EARLY_LOSS_MS) return true;
  if (loss.firstBytesAt !== null && now - loss.firstBytesAt < REFUSAL_CLOSE_MS) return true;
  if (loss.segsInAtClose === null || loss.segsInAtClose <= 2) return false;
  const lastResendMs = 1000 * (2 ** (loss.segsInAtClose - 2) - 1);
  const sinceEstablished = now - loss.establishedAt;
  return sinceEstablished >= lastResendMs - RESEND_SLACK_MS && sinceEstablished < lastResendMs + REFUSAL_AFTER_COMPLETION_MS;
}

export class PoolTally {
  private readonly c: PoolCounters = emptyCounters();
  /** When `peakHeld` was last raised (performance.now()). */
  private peakAt = 0;

  /** A copy of the counters. */
  snapshot(): PoolCounters {
    return { ...this.c, failuresByClass: { ...this.c.failuresByClass } };
  }

  /** Connects started so far, reconnects included (the source schedule moves on by it). */
  get attempted(): number {
    return this.c.attempted;
  }

  /** `count` more connections asked for. */
  asked(count: number): void {
    this.c.requested += count;
    this.c.queued += count;
  }

  /**
   * `count` queued connections dropped before they started; `replacements` of them were reconnects, which count in
   * `queued` but never in `requested`.
   */
  dropped(count: number, replacements: number): void {
    this.c.requested -= count - replacements;
    this.c.queued -= count;
  }

  /** `count` pending reconnects dropped (reconnecting paused). */
  reconnectsDropped(count: number): void {
    this.c.queued -= count;
  }

  /** Opening stopped: nothing is queued any more. */
  queueEmptied(): void {
    this.c.queued = 0;
  }

  /** A queued connection started its connect. */
  started(): void {
    this.c.queued--;
    this.c.attempted++;
    this.c.connecting++;
  }

  /** A TCP connect completed in `us` microseconds (as the connect-latency histogram records it). */
  connectTimed(us: number): void {
    this.c.connectsTimed++;
    this.c.connectTimeSumUs += us;
  }

  /** Connected (with TLS: the handshake done): open, not yet held. */
  established(): void {
    this.c.connecting--;
    this.c.established++;
    this.c.connected++;
  }

  /** Held from `now` (performance.now()); a replacement counts in `replacementsHeld` too. */
  held(replacement: boolean, now: number): void {
    this.c.established--;
    this.c.held++;
    this.c.everHeld++;
    if (replacement) this.c.replacementsHeld++;
    if (this.c.held > this.c.peakHeld) {
      this.c.peakHeld = this.c.held;
      this.peakAt = now;
    }
  }

  /**
   * A held connection that never was (the server never completed its handshake): out of `held`, and out of
   * `peakHeld` if it counted there (held at `heldAt`, by the time the peak was last raised).
   */
  takenBack(heldAt: number): void {
    this.c.held--;
    this.c.neverCompleted++;
    if (heldAt <= this.peakAt) this.c.peakHeld--;
    if (this.c.held > this.c.peakHeld) this.c.peakHeld = this.c.held;
  }

  /** A connection in `state` closed by this side's choice: out of its gauge, and nothing else counted. */
  released(state: ConnState): void {
    if (state === ConnState.Connecting) this.c.connecting--;
    else if (state === ConnState.Established) this.c.established--;
    else if (state === ConnState.Held) this.c.held--;
  }

  /** Every connection closed with the pool. */
  allReleased(): void {
    this.c.connecting = 0;
    this.c.established = 0;
    this.c.held = 0;
  }

  /** A connect that failed, or an open connection lost, in `state`: out of its gauge, counted by class. */
  failed(state: ConnState, cls: FailureClass): void {
    this.released(state);
    if (state === ConnState.Established || state === ConnState.Held) this.c.lost++;
    this.c.failed++;
    this.c.failuresByClass[cls] = (this.c.failuresByClass[cls] ?? 0) + 1;
  }

  /**
   * Of a loss (`failed` counts it): the connection had been held since `heldAt`, until `now` (performance.now()).
   * @param firstBytesAt when the server first sent something on it (null: never)
   * @param sincePause it started after opening last paused
   * @param servedThenClosed it got the expected reply, then the server closed it
   */
  heldLost(loss: HeldLoss, now: number, sincePause: boolean, servedThenClosed: boolean): void {
    this.c.heldLost++;
    if (sincePause) this.c.heldLostSincePause++;
    if (lostToLateRefusal(loss, now)) this.c.heldLostEarly++;
    if (servedThenClosed) this.c.servedThenClosed++;
  }

  /** A connection lost is to be reopened after the reconnect delay: queued until then. */
  reopenQueued(): void {
    this.c.queued++;
  }

  /** A reopen came due and was handed to the opener. */
  reconnectStarted(): void {
    this.c.reconnects++;
  }

  /** A connect that completed only after the kernel resent its SYN. */
  synRetransmitted(): void {
    this.c.synRetransmitted++;
  }

  /** A TLS 1.3 connection left to --settle alone: the server showed no proof it completed the handshake. */
  tlsUnproven(): void {
    this.c.tlsUnproven++;
  }
}
