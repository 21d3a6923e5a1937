/**
 * The socket engine: opens TCP (or TLS) connections through an in-flight cap, holds them with keepalive, notices
 * every close, classifies every failure and keeps live counters. It knows nothing about schedules, detection,
 * terminals or the CLI: a controller asks it to `open(n)` and reads `counters()`.
 *
 * This file is the state machine of a connection (connection.ts: queued, connecting, established, held, done),
 * written once over either transport. What it keeps as it goes lives beside it, each part changed through its own
 * verbs: the counters (pool-tally.ts), the deadlines (deadlines.ts), reopening what the server closed
 * (reconnects.ts), the failure records (failure-log.ts), the reply check of --expect/--reject (reply-check.ts),
 * the targets and source addresses (address-rotation.ts) and the handshake audit's side (held-audit.ts).
 *
 * Hot-path choices (see README, Performance): one shared handler per socket event (the connection record hangs off
 * the socket) instead of closures per socket; deadlines checked by one sweep timer over FIFO queues instead of one
 * timer per socket; totals kept as counters, never recomputed by scanning.
 */
import { performance } from 'node:perf_hooks';
import { Opener } from './opener.js';
import { classifyErrorCode } from './failure-class.js';
import type { FailureClass } from '../types/failure-class.js';
import { createHistogram, recordMs, type Histogram } from '../metrics/histogram.js';
import type { SystemError } from '../errors.js';
import type { PoolConfig, EngineName } from '../types/pool-config.js';
import type { FailureRecord, PoolCounters, PoolEvent } from '../types/pool-counters.js';
import { NodeTransport, type Transport, type TransportSink } from './transport.js';
import { NativeTransport } from './native-transport.js';
import { AddressRotation } from './address-rotation.js';
import { Connection, ConnState, failurePhase, FIRST_BYTES_KEPT } from './connection.js';
import { Deadlines } from './deadlines.js';
import { FailureLog } from './failure-log.js';
import { HeldAudit } from './held-audit.js';
import type { KernelSocketInfo } from './handshake-audit.js';
import { PoolTally } from './pool-tally.js';
import { Reconnects } from './reconnects.js';
import { ReplyCheck } from './reply-check.js';
import { FirstSynTally, synRetransmitsOf } from './first-syn-tally.js';

/** How often deadlines are checked; every deadline is kept within this plus event-loop lag. */
const SWEEP_INTERVAL_MS = 20;

export class ConnectionPool implements TransportSink<Connection> {
  private readonly transport: Transport<Connection>;
  private readonly opener: Opener;
  private readonly live = new Set<Connection>();
  private readonly tally = new PoolTally();
  private readonly deadlines: Deadlines;
  private readonly reconnects: Reconnects;
  private readonly failures: FailureLog;
  private readonly replies: ReplyCheck;
  private readonly addresses: AddressRotation;
  private readonly audit: HeldAudit;
  /** Bumped by dropQueued(): connections started since carry the new value. */
  private epoch = 0;
  /** While set, a failure drops what waits (dropQueuedOnFailure). */
  private dropAtFailure = false;
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly startedAt = performance.now();
  private nextId = 1;
  private opening = true;
  private closed = false;

  readonly connectLatency: Histogram = createHistogram();
  readonly tlsLatency: Histogram = createHistogram();
  /** What became of each connect's first SYN, by start time: a new-connection rate limit's evidence. */
  readonly firstSyn = new FirstSynTally(() => this.now());

  constructor(
    private readonly config: PoolConfig,
    private readonly onEvent: ((e: PoolEvent) => void) | null = null,
  ) {
    if (config.targets.length === 0) throw new Error('ConnectionPool: no target addresses');
    this.addresses = new AddressRotation(config);
    this.failures = new FailureLog(onEvent, this.startedAt);
    this.opener = new Opener(config.maxInflight, this.start);
    if (config.engine === 'native') {
      if (config.tls !== null) throw new Error('ConnectionPool: the native engine has no TLS');
      this.transport = new NativeTransport(this, { bindNoPort: config.nativeBindNoPort !== false });
    } else {
      this.transport = new NodeTransport(this, config.tls);
    }
    this.replies = new ReplyCheck(config.service);
    const expectTimeoutMs = config.service?.expectTimeoutMs ?? 0;
    this.deadlines = new Deadlines(config, {
      connectTimedOut: (conn) => this.fail(conn, null, 'timeout', `connect did not finish within ${config.connectTimeoutMs} ms`),
      settled: (conn, now) => this.becomeHeld(conn, now),
      unproven: (conn) => {
        // A server that sends no ticket and says nothing first: fall back to --settle, and say so in the counters.
        this.tally.tlsUnproven();
        this.prove(conn);
      },
      unserved: (conn) => this.fail(conn, null, 'unserved', `no expected reply within ${expectTimeoutMs} ms`),
    });
    this.reconnects = new Reconnects(config);
    this.audit = new HeldAudit(this.live, this.transport, (conn) => this.takeBack(conn));
    this.sweepTimer = setInterval(this.sweep, SWEEP_INTERVAL_MS);
  }

  /** The socket layer this pool runs on. */
  get engine(): EngineName {
    return this.transport.name;
  }

  /** Milliseconds since the pool was created. */
  now(): number {
    return performance.now() - this.startedAt;
  }

  /** A copy of the live counters. */
  counters(): PoolCounters {
    return this.tally.snapshot();
  }

  /** The first failure of each class. */
  get firstFailures(): ReadonlyMap<FailureClass, FailureRecord> {
    return this.failures.firsts;
  }

  /** Ask for `count` more connections. Returns how many were queued (0 once opening has stopped). */
  open(count: number): number {
    if (!this.opening || count <= 0) return 0;
    this.tally.asked(count);
    this.opener.add(count);
    return count;
  }

  /** Drop connections asked for but not started yet; later open() calls still work. */
  dropQueued(): void {
    this.epoch++;
    const dropped = this.opener.clear();
    this.tally.dropped(dropped, this.reconnects.dropStarts(dropped));
  }

  /**
   * While `on`, every failure (a connect turned away, an open connection lost) drops what waits for an in-flight
   * slot at once, so that past the edge nothing more starts than was in flight. The ramp sets it while adding: it
   * drops them itself at its next tick, by when a fast opener had started a tick's worth more.
   */
  dropQueuedOnFailure(on: boolean): void {
    this.dropAtFailure = on;
  }

  /**
   * Pause reconnecting (a measurement that must see the server's own closes, not our replacements' churn) or go
   * on. Pausing drops the replacements not started yet.
   */
  pauseReconnects(paused: boolean): void {
    this.tally.reconnectsDropped(this.reconnects.pause(paused));
  }

  /** Stop starting connections: drop the queue and pending reconnects; open ones stay open. */
  stopOpening(): void {
    if (!this.opening) return;
    this.opening = false;
    this.dropQueued();
    this.reconnects.clear();
    this.tally.queueEmptied();
  }

  /** Start connections again after stopOpening (never after close): open() queues them as before. */
  resumeOpening(): boolean {
    if (!this.closed) this.opening = true;
    return this.opening;
  }

  /**
   * Close every open connection with RST, by this side's choice (no failure is counted: the server did nothing),
   * and go on: later open() calls still work. The confirmation stage starts again from nothing with it.
   */
  releaseAll(): void {
    if (this.closed) return;
    for (const conn of this.live) {
      const prev = conn.state;
      this.tally.released(prev);
      conn.state = ConnState.Done;
      this.finishConnect(conn);
      // A socket still connecting has no connection to reset; destroying it sends nothing.
      this.transport.close(conn, prev !== ConnState.Connecting);
    }
    this.live.clear();
  }

  /** Close everything with RST (no TIME_WAIT left on this machine) and stop the sweep. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.stopOpening();
    this.closed = true;
    clearInterval(this.sweepTimer);
    for (const conn of this.live) this.closeQuietly(conn);
    this.live.clear();
    this.transport.shutdown();
    this.tally.allReleased();
  }

  private closeQuietly(conn: Connection): void {
    const wasConnecting = conn.state === ConnState.Connecting;
    conn.state = ConnState.Done;
    conn.inflight = false; // the pool is closing: no slot to give back
    // A socket still connecting has no connection to reset; destroying it sends nothing.
    this.transport.close(conn, !wasConnecting);
  }

  /** The held connections as the handshake audit's kernel view names them (held-audit.ts). */
  heldKeys(): string[] {
    return this.audit.heldKeys();
  }

  /** TCP_INFO of this pool's own sockets where its transport reads it (the native core); null: ask ss. */
  kernelSockets(): KernelSocketInfo[] | null {
    return this.transport.kernelSockets();
  }

  /**
   * Take back the held connections named in `keys`, whose handshake the server never completed (it dropped our
   * final ACK because its accept queue was full): reset, counted in `neverCompleted`, out of `peakHeld` if they
   * counted there. They never were connections the server held. Returns how many were taken back.
   */
  takeBackNeverCompleted(keys: ReadonlySet<string>): number {
    return this.audit.takeBackNeverCompleted(keys);
  }

  /** Probe the idle held connections with an early keepalive (held-audit.ts). Returns how many were probed. */
  probeIdleHeld(answered: ReadonlySet<string>): number {
    return this.audit.probeIdleHeld(answered);
  }

  /** One held connection that never was: out of `held` (and of `peakHeld` if it counted there), reset. */
  private takeBack(conn: Connection): void {
    conn.state = ConnState.Done;
    this.live.delete(conn);
    this.tally.takenBack(conn.heldAt);
    this.transport.close(conn, true);
  }

  /** Start one connect (called by the opener, which counts it in flight until `finishConnect`). */
  private readonly start = (): void => {
    const conn = new Connection(this.nextId++);
    conn.epoch = this.epoch;
    conn.replacement = this.reconnects.startsReplacement();
    this.connect(conn);
  };

  /** The connect of `conn` ended, either way: free its in-flight slot once. */
  private finishConnect(conn: Connection): void {
    if (!conn.inflight) return;
    conn.inflight = false;
    this.opener.finished();
  }

  private connect(conn: Connection): void {
    const target = this.addresses.target();
    const localAddress = this.addresses.source(this.tally.attempted);
    conn.sourceAddress = localAddress ?? null;
    conn.state = ConnState.Connecting;
    conn.inflight = true;
    conn.startedAt = performance.now();
    this.tally.started();
    this.live.add(conn);
    this.deadlines.connectStarted(conn);

    try {
      this.transport.connect(conn, {
        address: target.address,
        family: target.family,
        port: target.port,
        localAddress,
        keepAliveMs: this.config.keepAliveMs,
        keepBytes: this.replies.keepBytes,
      });
    } catch (e) {
      // Synchronous throws happen for bad local addresses and for fd exhaustion on some paths.
      this.fail(conn, e as SystemError);
    }
  }

  /** TCP connected. With TLS, the connection is usable only after the handshake (onSecure). */
  handleConnect(conn: Connection, measuredMs: number | null, synRetransmits: number | null): void {
    if (conn.state !== ConnState.Connecting) return;
    const now = performance.now();
    conn.connectedAt = now;
    const connectMs = measuredMs ?? now - conn.startedAt;
    this.tally.connectTimed(recordMs(this.connectLatency, connectMs));
    const resent = synRetransmitsOf(connectMs, synRetransmits) > 0;
    if (resent) this.tally.synRetransmitted();
    this.firstSyn.note(conn.startedAt - this.startedAt, resent ? 'dropped' : 'passed');
    if (this.config.tls === null) this.becomeEstablished(conn, connectMs, now);
  }

  handleSecureConnect(conn: Connection): void {
    if (conn.state !== ConnState.Connecting) return;
    recordMs(this.tlsLatency, performance.now() - conn.connectedAt);
    // TLS 1.3 finishes on the client one flight before the server: the client's Finished may still be unread
    // (or dropped) when secureConnect fires. A session ticket, which the server sends only after reading it, or
    // the first application bytes are the proof; settle starts from there (see `prove`).
    conn.awaitingProof = this.transport.isTls13(conn);
    this.becomeEstablished(conn, conn.connectedAt - conn.startedAt, performance.now());
  }

  /** The server showed it completed the TLS handshake: start settling from now. */
  handleSession(conn: Connection): void {
    if (conn.state !== ConnState.Established || !conn.awaitingProof) return;
    this.prove(conn);
  }

  private prove(conn: Connection): void {
    conn.awaitingProof = false;
    if (this.replies.expectsReply) return; // the expected reply decides, as without TLS
    conn.establishedAt = performance.now();
    this.deadlines.settleFrom(conn);
  }

  /** `now`: performance.now() as the caller read it (one clock read per event). */
  private becomeEstablished(conn: Connection, connectMs: number, now: number): void {
    conn.state = ConnState.Established;
    conn.establishedAt = now;
    this.tally.established();
    this.finishConnect(conn);
    this.onEvent?.({ kind: 'established', connId: conn.id, atMs: now - this.startedAt, connectMs });
    const service = this.config.service;
    if (service?.send) this.transport.write(conn, service.send);
    if (this.replies.expectsReply) this.deadlines.replyExpected(conn);
    else if (conn.awaitingProof) this.deadlines.proofExpected(conn);
    else this.deadlines.settleFrom(conn);
  }

  handleData(conn: Connection, chunk: Buffer): void {
    if (conn.state === ConnState.Done) return;
    if (conn.awaitingProof && conn.state === ConnState.Established) this.prove(conn);
    if (conn.firstBytes === null) {
      conn.firstBytes = chunk.subarray(0, FIRST_BYTES_KEPT);
      conn.firstBytesAt = performance.now();
    } else if (conn.firstBytes.length < FIRST_BYTES_KEPT) {
      conn.firstBytes = Buffer.concat([conn.firstBytes, chunk]).subarray(0, FIRST_BYTES_KEPT);
    }
    if (conn.state !== ConnState.Established) return;
    const shows = this.replies.read(conn, chunk);
    if (shows === 'rejected') this.fail(conn, null, 'rejected', 'the server replied with a rejection');
    else if (shows === 'served') {
      conn.reply = '';
      conn.served = true;
      this.becomeHeld(conn, performance.now());
    }
  }

  handleEnd(conn: Connection, segsInAtClose: number | null = null): void {
    if (conn.state === ConnState.Done) return;
    if (conn.state === ConnState.Connecting) {
      // FIN during a TLS handshake: the server closed on us before we could use the connection.
      this.fail(conn, null, 'closed-by-peer', 'the server closed the connection during the handshake');
      return;
    }
    const cls = this.replies.rejects(conn.reply) ? 'rejected' : 'closed-by-peer';
    this.fail(conn, null, cls, 'the server closed the connection', segsInAtClose);
  }

  handleError(conn: Connection, err: SystemError, segsInAtClose: number | null = null): void {
    if (conn.state === ConnState.Done) return;
    this.fail(conn, err, undefined, undefined, segsInAtClose);
  }

  /** 'close' without 'end' or 'error' first: count it as a close by the peer. */
  handleClose(conn: Connection): void {
    if (conn.state === ConnState.Done) return;
    this.fail(conn, null, 'closed-by-peer', 'the connection closed');
  }

  /** `now`: performance.now() as the caller read it (the sweep reads it once for all it promotes). */
  private becomeHeld(conn: Connection, now: number): void {
    conn.state = ConnState.Held;
    conn.heldAt = now;
    this.tally.held(conn.replacement, now);
    this.onEvent?.({ kind: 'held', connId: conn.id, atMs: now - this.startedAt });
  }

  /**
   * Record a failure or loss, close the socket, and reopen it later if reconnect is on.
   * `err` gives the class by errno; otherwise `cls` and `message` say what happened.
   */
  private fail(conn: Connection, err: SystemError | null, cls?: FailureClass, message?: string, segsInAtClose: number | null = null): void {
    const prev = conn.state;
    if (prev === ConnState.Done) return;
    conn.state = ConnState.Done;
    const failureClass = cls ?? classifyErrorCode(err?.code);
    if (conn.auditSuspect && prev === ConnState.Held && failureClass === 'reset') {
      // The server's kernel answered our keepalive probe with RST: it never had this connection (probeIdleHeld).
      conn.state = ConnState.Held;
      this.takeBack(conn);
      return;
    }
    const nowAbs = performance.now();
    const phase = failurePhase(prev);
    this.tally.failed(prev, failureClass);
    if (this.dropAtFailure && this.opener.queued > 0) this.dropQueued();
    // A SYN never answered (timeout) or refused: turned away at the first SYN, for the rate-limit evidence.
    if (prev === ConnState.Connecting && conn.connectedAt === 0 && (failureClass === 'timeout' || failureClass === 'refused')) {
      this.firstSyn.note(conn.startedAt - this.startedAt, failureClass === 'refused' ? 'refused' : 'dropped');
    }
    if (phase === 'held') {
      const servedThenClosed = conn.served && failureClass === 'closed-by-peer';
      const loss = { heldAt: conn.heldAt, establishedAt: conn.establishedAt, firstBytesAt: conn.firstBytesAt, segsInAtClose };
      this.tally.heldLost(loss, nowAbs, conn.epoch === this.epoch, servedThenClosed);
    }
    this.finishConnect(conn);
    this.live.delete(conn);

    this.failures.record(conn, failureClass, err, message, phase, nowAbs);

    conn.firstBytes = null;
    conn.firstBytesAt = null;
    conn.reply = '';
    // A connection we give up on (timeout, unserved, rejected) is reset so it leaves no TIME_WAIT behind.
    this.transport.close(conn, prev !== ConnState.Connecting);

    if (this.reconnects.reopens(phase) && this.opening && !this.closed) {
      this.tally.reopenQueued();
      this.reconnects.schedule(nowAbs);
    }
  }

  /** Check every deadline and hand the reopens that came due to the opener; runs every SWEEP_INTERVAL_MS. */
  private readonly sweep = (): void => {
    const now = performance.now();
    this.deadlines.sweep(now);
    while (this.reconnects.takeDue(now)) {
      // Counted in `queued` since the close, and not in `requested`: a replacement is not a new connection.
      this.tally.reconnectStarted();
      this.opener.add(1);
    }
  };
}
