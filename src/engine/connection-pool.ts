/**
 * The socket engine: opens TCP (or TLS) connections through an in-flight cap, holds them with keepalive, notices
 * every close, classifies every failure and keeps live counters. It knows nothing about schedules, detection,
 * terminals or the CLI: a controller asks it to `open(n)` and reads `counters()`.
 *
 * Hot-path choices (see README, Performance): one shared handler per socket event (the connection record hangs off
 * the socket) instead of closures per socket; deadlines checked by one sweep timer over FIFO queues instead of one
 * timer per socket; totals kept as counters, never recomputed by scanning.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { FifoQueue } from './fifo-queue.js';
import { Opener } from './opener.js';
import { classifyErrorCode } from './failure-class.js';
import type { FailureClass } from '../types/failure-class.js';
import { compileMatcher, escapeBytes } from './matcher.js';
import { createHistogram, recordMs, type Histogram } from '../metrics/histogram.js';
import type { SystemError } from '../errors.js';
import type { EngineConfig, EngineName, SourceStep, TargetAddress } from '../types/engine-config.js';
import {
  emptyCounters,
  type FailurePhase,
  type FailureRecord,
  type PoolCounters,
  type PoolEvent,
} from '../types/pool-counters.js';
import { NodeTransport, type Transport, type TransportConn, type TransportSink } from './transport.js';
import { NativeTransport } from './native-transport.js';
import { reserveFdTable } from './native-addon.js';
import { FirstSynTally, synRetransmitsOf } from './first-syn-tally.js';

const enum State {
  Queued,
  Connecting,
  Established,
  Held,
  Done,
}

/** Bytes of the server's first words kept per connection for the report. */
const FIRST_BYTES_KEPT = 200;
/** Bytes of a reply kept while matching --expect/--reject. */
const MATCH_WINDOW = 4096;
/** How long a TLS 1.3 connection waits for the server's proof (a session ticket or bytes) before --settle alone decides. */
const PROOF_WAIT_MS = 2000;
/** How often deadlines are checked; every deadline is kept within this plus event-loop lag. */
const SWEEP_INTERVAL_MS = 20;
/** A held connection closed sooner than this after becoming held was turned away late (see heldLostEarly). */
const EARLY_LOSS_MS = 500;
/** Keepalive idle time given to a suspect of a dropped handshake (TCP_KEEPIDLE is in whole seconds). */
const SUSPECT_KEEPALIVE_MS = 1000;

class Connection implements TransportConn {
  state = State.Queued;
  socket: net.Socket | null = null;
  fd = -1;
  startedAt = 0;
  connectedAt = 0;
  /** When the connection became usable (after the TLS handshake with TLS); settle and expect deadlines start here. */
  establishedAt = 0;
  firstBytes: Buffer | null = null;
  /** Text received while waiting for the expected reply. */
  reply = '';
  sourceAddress: string | null = null;
  /** Holds an in-flight slot of the opener. */
  inflight = false;
  /** Became held via the expected reply (--expect). */
  served = false;
  /** When it became held (performance.now()), for taking it back out of the peak. */
  heldAt = 0;
  /** TLS 1.3: the server has not yet shown that it finished the handshake. */
  awaitingProof = false;
  /** The pool's epoch when this connection started (see dropQueued). */
  epoch = 0;
  /** Started to replace a connection the server closed (reconnect). */
  replacement = false;
  /** The handshake audit suspects the server never completed this one, and probes it with an early keepalive. */
  auditSuspect = false;
  constructor(readonly id: number) {}
}

export class ConnectionPool implements TransportSink<Connection> {
  private readonly transport: Transport<Connection>;
  private readonly opener: Opener;
  private readonly live = new Set<Connection>();
  private readonly connectDeadlines = new FifoQueue<Connection>();
  private readonly settleQueue = new FifoQueue<Connection>();
  /** Settled at the last sweep; held at the next one if still open. */
  private readonly promoteQueue = new FifoQueue<Connection>();
  private readonly expectDeadlines = new FifoQueue<Connection>();
  /** TLS 1.3 connections waiting for the server's proof that it completed the handshake. */
  private readonly proofDeadlines = new FifoQueue<Connection>();
  /** Bumped by dropQueued(): connections started since carry the new value. */
  private epoch = 0;
  /** When `peakHeld` was last raised (performance.now()). */
  private peakAt = 0;
  /** When each pending reconnect is due (the reconnect delay is constant, so the list stays sorted). */
  private readonly reconnectQueue = new FifoQueue<number>();
  /** Replacements handed to the opener and not started yet: the next starts are marked as replacements. */
  private replacementsDue = 0;
  private reconnectPaused = false;
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly startedAt = performance.now();
  private readonly expectMatch: ((s: string) => boolean) | null;
  private readonly rejectMatch: ((s: string) => boolean) | null;
  private nextId = 1;
  /** Position in `sourceSchedule`: connects only move forward through it. */
  private scheduleIdx = 0;
  private nextTarget = 0;
  private nextSource = 0;
  private opening = true;
  private closed = false;

  readonly connectLatency: Histogram = createHistogram();
  readonly tlsLatency: Histogram = createHistogram();
  readonly firstFailures = new Map<FailureClass, FailureRecord>();
  /** What became of each connect's first SYN, by start time: a new-connection rate limit's evidence. */
  readonly firstSyn = new FirstSynTally(() => this.now());
  private readonly c: PoolCounters = emptyCounters();

  constructor(
    private readonly config: EngineConfig,
    private readonly onEvent: ((e: PoolEvent) => void) | null = null,
  ) {
    if (config.targets.length === 0) throw new Error('ConnectionPool: no target addresses');
    this.opener = new Opener(config.maxInflight, this.start);
    if (config.engine === 'native') {
      if (config.tls !== null) throw new Error('ConnectionPool: the native engine has no TLS');
      this.transport = new NativeTransport(this, { bindNoPort: process.env.TCPPROBE_NATIVE_BIND === 'noport' /* measured slower: docs/native-engine.md */ });
    } else {
      reserveFdTable();
      const settings = config.tls;
      this.transport = new NodeTransport(
        this,
        settings === null
          ? null
          : (address) => ({
              servername: settings.servername ?? (net.isIP(address) === 0 ? address : undefined),
              rejectUnauthorized: !settings.insecure,
              ca: settings.ca ?? undefined,
            }),
      );
    }
    this.expectMatch = config.service?.expect ? compileMatcher(config.service.expect) : null;
    this.rejectMatch = config.service?.reject ? compileMatcher(config.service.reject) : null;
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
    return { ...this.c, failuresByClass: { ...this.c.failuresByClass } };
  }

  /** Ask for `count` more connections. Returns how many were queued (0 once opening has stopped). */
  open(count: number): number {
    if (!this.opening || count <= 0) return 0;
    this.c.requested += count;
    this.c.queued += count;
    this.opener.add(count);
    return count;
  }

  /** Drop connections asked for but not started yet; later open() calls still work. */
  dropQueued(): void {
    this.epoch++;
    const dropped = this.opener.clear();
    const replacements = Math.min(dropped, this.replacementsDue);
    this.replacementsDue -= replacements;
    this.c.requested -= dropped - replacements;
    this.c.queued -= dropped;
  }

  /**
   * Pause reconnecting (a measurement that must see the server's own closes, not our replacements' churn) or go
   * on. Pausing drops the replacements not started yet.
   */
  pauseReconnects(paused: boolean): void {
    this.reconnectPaused = paused;
    if (!paused) return;
    this.c.queued -= this.reconnectQueue.length;
    this.reconnectQueue.clear();
  }

  /** Stop starting connections: drop the queue and pending reconnects; open ones stay open. */
  stopOpening(): void {
    if (!this.opening) return;
    this.opening = false;
    this.dropQueued();
    this.reconnectQueue.clear();
    this.c.queued = 0;
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
      if (prev === State.Connecting) this.c.connecting--;
      else if (prev === State.Established) this.c.established--;
      else if (prev === State.Held) this.c.held--;
      conn.state = State.Done;
      this.finishConnect(conn);
      // A socket still connecting has no connection to reset; destroying it sends nothing.
      this.transport.close(conn, prev !== State.Connecting);
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
    this.c.connecting = 0;
    this.c.established = 0;
    this.c.held = 0;
  }

  private closeQuietly(conn: Connection): void {
    const wasConnecting = conn.state === State.Connecting;
    conn.state = State.Done;
    conn.inflight = false; // the pool is closing: no slot to give back
    // A socket still connecting has no connection to reset; destroying it sends nothing.
    this.transport.close(conn, !wasConnecting);
  }

  /** Local ports of the held connections (to match them with the kernel's view, see handshake-audit.ts). */
  heldLocalPorts(): number[] {
    const ports: number[] = [];
    for (const conn of this.live) {
      const port = conn.state === State.Held ? this.transport.localPort(conn) : undefined;
      if (port !== undefined) ports.push(port);
    }
    return ports;
  }

  /**
   * Take back held connections whose handshake the server never completed (it dropped our final ACK because its
   * accept queue was full): reset them, count them in `neverCompleted`, and take those held at the peak out of
   * `peakHeld`. They never were connections the server held. Returns how many were taken back.
   */
  takeBackNeverCompleted(localPorts: ReadonlySet<number>): number {
    let taken = 0;
    for (const conn of [...this.live]) {
      const port = conn.state === State.Held ? this.transport.localPort(conn) : undefined;
      if (conn.state !== State.Held || port === undefined || !localPorts.has(port)) continue;
      this.takeBack(conn);
      taken++;
    }
    return taken;
  }

  /**
   * Probe every held connection that has received nothing with a TCP keepalive in about a second: kernel to
   * kernel, no byte reaches the server's application (our keepalive would send the same later). A handshake the
   * server answered with a SYN cookie and then dropped (its queues were full) left no state there: its kernel
   * answers RST, and the connection is taken back as never completed. One the server holds answers with an ACK.
   * Returns how many were probed.
   */
  probeIdleHeld(): number {
    let probed = 0;
    for (const conn of this.live) {
      if (conn.state !== State.Held || conn.firstBytes !== null || !this.transport.isOpen(conn)) continue;
      conn.auditSuspect = true;
      this.transport.setKeepAlive(conn, SUSPECT_KEEPALIVE_MS);
      probed++;
    }
    return probed;
  }

  /** One held connection that never was: out of `held` (and of `peakHeld` if it counted there), reset. */
  private takeBack(conn: Connection): void {
    conn.state = State.Done;
    this.live.delete(conn);
    this.c.held--;
    this.c.neverCompleted++;
    if (conn.heldAt <= this.peakAt) this.c.peakHeld--;
    if (this.c.held > this.c.peakHeld) this.c.peakHeld = this.c.held;
    this.transport.close(conn, true);
  }

  /** Start one connect (called by the opener, which counts it in flight until `finishConnect`). */
  private readonly start = (): void => {
    this.c.queued--;
    const conn = new Connection(this.nextId++);
    conn.epoch = this.epoch;
    if (this.replacementsDue > 0) {
      conn.replacement = true;
      this.replacementsDue--;
    }
    this.connect(conn);
  };

  /** The connect of `conn` ended, either way: free its in-flight slot once. */
  private finishConnect(conn: Connection): void {
    if (!conn.inflight) return;
    conn.inflight = false;
    this.opener.finished();
  }

  private nextLocalAddress(): string | undefined {
    const schedule = this.config.sourceSchedule;
    if (schedule !== undefined && schedule.length > 0) {
      const n = this.c.attempted;
      while (this.scheduleIdx + 1 < schedule.length && (schedule[this.scheduleIdx + 1] as SourceStep).fromConnection <= n) {
        this.scheduleIdx++;
      }
      return (schedule[this.scheduleIdx] as SourceStep).address ?? undefined;
    }
    const sources = this.config.sourceAddresses;
    return sources.length > 0 ? sources[this.nextSource++ % sources.length] : undefined;
  }

  private connect(conn: Connection): void {
    const cfg = this.config;
    const target = cfg.targets[this.nextTarget++ % cfg.targets.length] as TargetAddress;
    const localAddress = this.nextLocalAddress();
    conn.sourceAddress = localAddress ?? null;
    conn.state = State.Connecting;
    conn.inflight = true;
    conn.startedAt = performance.now();
    this.c.attempted++;
    this.c.connecting++;
    this.live.add(conn);
    this.connectDeadlines.push(conn);

    try {
      this.transport.connect(conn, {
        address: target.address,
        family: target.family,
        port: target.port,
        localAddress,
        keepAliveMs: cfg.keepAliveMs,
        keepBytes: this.expectMatch !== null || this.rejectMatch !== null ? MATCH_WINDOW : FIRST_BYTES_KEPT,
      });
    } catch (e) {
      // Synchronous throws happen for bad local addresses and for fd exhaustion on some paths.
      this.fail(conn, e as SystemError);
    }
  }

  /** TCP connected. With TLS, the connection is usable only after the handshake (onSecure). */
  handleConnect(conn: Connection, measuredMs: number | null, synRetransmits: number | null): void {
    if (conn.state !== State.Connecting) return;
    const now = performance.now();
    conn.connectedAt = now;
    const connectMs = measuredMs ?? now - conn.startedAt;
    recordMs(this.connectLatency, connectMs);
    const resent = synRetransmitsOf(connectMs, synRetransmits) > 0;
    if (resent) this.c.synRetransmitted++;
    this.firstSyn.note(conn.startedAt - this.startedAt, resent ? 'dropped' : 'passed');
    if (this.config.tls === null) this.becomeEstablished(conn, connectMs, now);
  }

  handleSecureConnect(conn: Connection): void {
    if (conn.state !== State.Connecting) return;
    recordMs(this.tlsLatency, performance.now() - conn.connectedAt);
    // TLS 1.3 finishes on the client one flight before the server: the client's Finished may still be unread
    // (or dropped) when secureConnect fires. A session ticket, which the server sends only after reading it, or
    // the first application bytes are the proof; settle starts from there (see `prove`).
    conn.awaitingProof = this.transport.isTls13(conn);
    this.becomeEstablished(conn, conn.connectedAt - conn.startedAt, performance.now());
  }

  /** The server showed it completed the TLS handshake: start settling from now. */
  handleSession(conn: Connection): void {
    if (conn.state !== State.Established || !conn.awaitingProof) return;
    this.prove(conn);
  }

  private prove(conn: Connection): void {
    conn.awaitingProof = false;
    if (this.expectMatch !== null) return; // the expected reply decides, as without TLS
    conn.establishedAt = performance.now();
    this.settleQueue.push(conn);
  }

  /** `now`: performance.now() as the caller read it (one clock read per event). */
  private becomeEstablished(conn: Connection, connectMs: number, now: number): void {
    conn.state = State.Established;
    conn.establishedAt = now;
    this.c.connecting--;
    this.c.established++;
    this.c.connected++;
    this.finishConnect(conn);
    this.onEvent?.({ kind: 'established', connId: conn.id, atMs: now - this.startedAt, connectMs });
    const service = this.config.service;
    if (service?.send) this.transport.write(conn, service.send);
    if (this.expectMatch !== null) this.expectDeadlines.push(conn);
    else if (conn.awaitingProof) this.proofDeadlines.push(conn);
    else this.settleQueue.push(conn);
  }

  handleData(conn: Connection, chunk: Buffer): void {
    if (conn.state === State.Done) return;
    if (conn.awaitingProof && conn.state === State.Established) this.prove(conn);
    if (conn.firstBytes === null) conn.firstBytes = chunk.subarray(0, FIRST_BYTES_KEPT);
    else if (conn.firstBytes.length < FIRST_BYTES_KEPT) {
      conn.firstBytes = Buffer.concat([conn.firstBytes, chunk]).subarray(0, FIRST_BYTES_KEPT);
    }
    if (conn.state !== State.Established || (this.expectMatch === null && this.rejectMatch === null)) return;
    if (conn.reply.length < MATCH_WINDOW) conn.reply += chunk.toString('latin1', 0, MATCH_WINDOW - conn.reply.length);
    if (this.rejectMatch?.(conn.reply)) {
      this.fail(conn, null, 'rejected', 'the server replied with a rejection');
      return;
    }
    if (this.expectMatch?.(conn.reply)) {
      conn.reply = '';
      conn.served = true;
      this.becomeHeld(conn, performance.now());
    }
  }

  handleEnd(conn: Connection): void {
    if (conn.state === State.Done) return;
    if (conn.state === State.Connecting) {
      // FIN during a TLS handshake: the server closed on us before we could use the connection.
      this.fail(conn, null, 'closed-by-peer', 'the server closed the connection during the handshake');
      return;
    }
    const cls = this.rejectMatch !== null && this.rejectMatch(conn.reply) ? 'rejected' : 'closed-by-peer';
    this.fail(conn, null, cls, 'the server closed the connection');
  }

  handleError(conn: Connection, err: SystemError): void {
    if (conn.state === State.Done) return;
    this.fail(conn, err);
  }

  /** 'close' without 'end' or 'error' first: count it as a close by the peer. */
  handleClose(conn: Connection): void {
    if (conn.state === State.Done) return;
    this.fail(conn, null, 'closed-by-peer', 'the connection closed');
  }

  /** `now`: performance.now() as the caller read it (the sweep reads it once for all it promotes). */
  private becomeHeld(conn: Connection, now: number): void {
    conn.state = State.Held;
    this.c.established--;
    this.c.held++;
    this.c.everHeld++;
    if (conn.replacement) this.c.replacementsHeld++;
    conn.heldAt = now;
    if (this.c.held > this.c.peakHeld) {
      this.c.peakHeld = this.c.held;
      this.peakAt = now;
    }
    this.onEvent?.({ kind: 'held', connId: conn.id, atMs: now - this.startedAt });
  }

  /**
   * Record a failure or loss, close the socket, and reopen it later if reconnect is on.
   * `err` gives the class by errno; otherwise `cls` and `message` say what happened.
   */
  private fail(conn: Connection, err: SystemError | null, cls?: FailureClass, message?: string): void {
    const prev = conn.state;
    if (prev === State.Done) return;
    conn.state = State.Done;
    const failureClass = cls ?? classifyErrorCode(err?.code);
    if (conn.auditSuspect && prev === State.Held && failureClass === 'reset') {
      // The server's kernel answered our keepalive probe with RST: it never had this connection (probeIdleHeld).
      conn.state = State.Held;
      this.takeBack(conn);
      return;
    }
    const nowAbs = performance.now();
    const phase: FailurePhase =
      prev === State.Connecting || prev === State.Queued ? 'connect' : prev === State.Held ? 'held' : 'established';
    if (prev === State.Connecting) this.c.connecting--;
    else if (prev === State.Established) this.c.established--;
    else if (prev === State.Held) this.c.held--;
    if (phase !== 'connect') this.c.lost++;
    // A SYN never answered (timeout) or refused: turned away at the first SYN, for the rate-limit evidence.
    if (prev === State.Connecting && conn.connectedAt === 0 && (failureClass === 'timeout' || failureClass === 'refused')) {
      this.firstSyn.note(conn.startedAt - this.startedAt, failureClass === 'refused' ? 'refused' : 'dropped');
    }
    if (phase === 'held') {
      this.c.heldLost++;
      if (conn.epoch === this.epoch) this.c.heldLostSincePause++;
      if (nowAbs - conn.heldAt < EARLY_LOSS_MS) this.c.heldLostEarly++;
      if (conn.served && failureClass === 'closed-by-peer') this.c.servedThenClosed++;
    }
    this.c.failed++;
    this.c.failuresByClass[failureClass] = (this.c.failuresByClass[failureClass] ?? 0) + 1;
    this.finishConnect(conn);
    this.live.delete(conn);

    const wantRecord = this.onEvent !== null || !this.firstFailures.has(failureClass);
    if (wantRecord) {
      const record: FailureRecord = {
        class: failureClass,
        code: err?.code ?? null,
        message: err?.message ?? message ?? failureClass,
        phase,
        atMs: nowAbs - this.startedAt,
        afterConnectMs: phase === 'connect' ? null : Math.round((nowAbs - conn.connectedAt) * 1000) / 1000,
        serverSaid: conn.firstBytes === null ? null : escapeBytes(conn.firstBytes),
        connId: conn.id,
        sourceAddress: conn.sourceAddress,
      };
      if (!this.firstFailures.has(failureClass)) this.firstFailures.set(failureClass, record);
      this.onEvent?.({ kind: 'failed', connId: conn.id, atMs: record.atMs, failure: record });
    }

    conn.firstBytes = null;
    conn.reply = '';
    // A connection we give up on (timeout, unserved, rejected) is reset so it leaves no TIME_WAIT behind.
    this.transport.close(conn, prev !== State.Connecting);

    const reopen = this.config.reconnect && !this.reconnectPaused && (phase === 'held' || this.config.reconnectHeldOnly !== true);
    if (reopen && this.opening && !this.closed) {
      this.c.queued++;
      this.reconnectQueue.push(nowAbs + this.config.reconnectDelayMs);
    }
  }

  /** Check every deadline queue; runs every SWEEP_INTERVAL_MS. */
  private readonly sweep = (): void => {
    const now = performance.now();
    const cfg = this.config;
    for (let conn = this.connectDeadlines.peek(); conn !== undefined; conn = this.connectDeadlines.peek()) {
      if (conn.state === State.Connecting && conn.startedAt + cfg.connectTimeoutMs > now) break;
      this.connectDeadlines.shift();
      if (conn.state === State.Connecting) {
        this.fail(conn, null, 'timeout', `connect did not finish within ${cfg.connectTimeoutMs} ms`);
      }
    }
    // Promote what came due at the previous sweep: an event-loop turn (with its I/O poll) has passed since, so a
    // close that had already arrived (say, during a stall longer than --settle) has been read first.
    for (let conn = this.promoteQueue.shift(); conn !== undefined; conn = this.promoteQueue.shift()) {
      if (conn.state === State.Established) this.becomeHeld(conn, now);
    }
    for (let conn = this.settleQueue.peek(); conn !== undefined; conn = this.settleQueue.peek()) {
      // From establishment, not TCP connect: a slow TLS handshake must not eat the settle time (a server that
      // closes right after its handshake would otherwise be counted as held).
      if (conn.state === State.Established && conn.establishedAt + cfg.settleMs > now) break;
      this.settleQueue.shift();
      if (conn.state === State.Established) this.promoteQueue.push(conn);
    }
    for (let conn = this.proofDeadlines.peek(); conn !== undefined; conn = this.proofDeadlines.peek()) {
      if (conn.state === State.Established && conn.awaitingProof && conn.establishedAt + PROOF_WAIT_MS > now) break;
      this.proofDeadlines.shift();
      if (conn.state === State.Established && conn.awaitingProof) {
        // A server that sends no ticket and says nothing first: fall back to --settle, and say so in the counters.
        this.c.tlsUnproven++;
        this.prove(conn);
      }
    }
    const expectTimeoutMs = cfg.service?.expectTimeoutMs ?? 0;
    for (let conn = this.expectDeadlines.peek(); conn !== undefined; conn = this.expectDeadlines.peek()) {
      if (conn.state === State.Established && conn.establishedAt + expectTimeoutMs > now) break;
      this.expectDeadlines.shift();
      if (conn.state === State.Established) {
        this.fail(conn, null, 'unserved', `no expected reply within ${expectTimeoutMs} ms`);
      }
    }
    for (let dueAt = this.reconnectQueue.peek(); dueAt !== undefined && dueAt <= now; dueAt = this.reconnectQueue.peek()) {
      this.reconnectQueue.shift();
      this.c.reconnects++;
      // Counted in `queued` since the close, and not in `requested`: a replacement is not a new connection.
      this.replacementsDue++;
      this.opener.add(1);
    }
  };
}
