/**
 * The pool's deadlines (connect timeout, --settle, the TLS 1.3 proof, --expect-timeout), checked by one sweep over
 * FIFO queues instead of one timer per socket: each deadline is a constant after an increasing time, so each queue
 * is sorted as it fills, and the sweep stops at the first entry not yet due. An entry whose connection has moved on
 * meanwhile is dropped when reached. What happens when a deadline passes is the pool's (`DeadlineActions`).
 */
import type { PoolConfig } from '../types/pool-config.js';
import { ConnState, type Connection } from './connection.js';
import { FifoQueue } from './fifo-queue.js';

/** How long a TLS 1.3 connection waits for the server's proof (a session ticket or bytes) before --settle alone decides. */
const PROOF_WAIT_MS = 2000;

/** What the pool does when a deadline passes. */
export interface DeadlineActions {
  /** The connect did not finish within the connect timeout. */
  connectTimedOut(conn: Connection): void;
  /** Open for --settle and still open a sweep later: held from `now` (performance.now()). */
  settled(conn: Connection, now: number): void;
  /** TLS 1.3: no proof that the server completed the handshake within PROOF_WAIT_MS. */
  unproven(conn: Connection): void;
  /** No expected reply within --expect-timeout. */
  unserved(conn: Connection): void;
}

export class Deadlines {
  private readonly connecting = new FifoQueue<Connection>();
  private readonly settling = new FifoQueue<Connection>();
  /** Settled at the last sweep; held at the next one if still open. */
  private readonly promoting = new FifoQueue<Connection>();
  private readonly awaitingReply = new FifoQueue<Connection>();
  /** TLS 1.3 connections waiting for the server's proof that it completed the handshake. */
  private readonly awaitingProof = new FifoQueue<Connection>();
  private readonly connectTimeoutMs: number;
  private readonly settleMs: number;
  private readonly expectTimeoutMs: number;

  constructor(
    config: Pick<PoolConfig, 'connectTimeoutMs' | 'settleMs' | 'service'>,
    private readonly act: DeadlineActions,
  ) {
    this.connectTimeoutMs = config.connectTimeoutMs;
    this.settleMs = config.settleMs;
    this.expectTimeoutMs = config.service?.expectTimeoutMs ?? 0;
  }

  /** Started connecting at `conn.startedAt`. */
  connectStarted(conn: Connection): void {
    this.connecting.push(conn);
  }

  /** Open from `conn.establishedAt` on: held after --settle if still open. */
  settleFrom(conn: Connection): void {
    this.settling.push(conn);
  }

  /** Open from `conn.establishedAt` on and waiting for the expected reply. */
  replyExpected(conn: Connection): void {
    this.awaitingReply.push(conn);
  }

  /** Open from `conn.establishedAt` on and waiting for the TLS 1.3 proof. */
  proofExpected(conn: Connection): void {
    this.awaitingProof.push(conn);
  }

  /** Act on every deadline passed by `now` (performance.now(), read once for all). */
  sweep(now: number): void {
    for (let conn = this.connecting.peek(); conn !== undefined; conn = this.connecting.peek()) {
      if (conn.state === ConnState.Connecting && conn.startedAt + this.connectTimeoutMs > now) break;
      this.connecting.shift();
      if (conn.state === ConnState.Connecting) this.act.connectTimedOut(conn);
    }
    // Promote what came due at the previous sweep: an event-loop turn (with its I/O poll) has passed since, so a
    // close that had already arrived (say, during a stall longer than --settle) has been read first.
    for (let conn = this.promoting.shift(); conn !== undefined; conn = this.promoting.shift()) {
      if (conn.state === ConnState.Established) this.act.settled(conn, now);
    }
    for (let conn = this.settling.peek(); conn !== undefined; conn = this.settling.peek()) {
      // From establishment, not TCP connect: a slow TLS handshake must not eat the settle time (a server that
      // closes right after its handshake would otherwise be counted as held).
      if (conn.state === ConnState.Established && conn.establishedAt + this.settleMs > now) break;
      this.settling.shift();
      if (conn.state === ConnState.Established) this.promoting.push(conn);
    }
    for (let conn = this.awaitingProof.peek(); conn !== undefined; conn = this.awaitingProof.peek()) {
      if (conn.state === ConnState.Established && conn.awaitingProof && conn.establishedAt + PROOF_WAIT_MS > now) break;
      this.awaitingProof.shift();
      if (conn.state === ConnState.Established && conn.awaitingProof) this.act.unproven(conn);
    }
    for (let conn = this.awaitingReply.peek(); conn !== undefined; conn = this.awaitingReply.peek()) {
      if (conn.state === ConnState.Established && conn.establishedAt + this.expectTimeoutMs > now) break;
      this.awaitingReply.shift();
      if (conn.state === ConnState.Established) this.act.unserved(conn);
    }
  }
}
