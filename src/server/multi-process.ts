/**
 * The built-in target as several processes (`tcpprobe serve --workers N`), so it can hold more connections than
 * one process's open-files limit allows, with an exact global cap.
 *
 * Design: the primary binds the port and gives worker processes copies of the listening socket (Node's public
 * handle passing); workers accept on them themselves. With a cap, admission is the primary's alone: a worker asks
 * for what it accepted with one `want` message (batched, at most every 2 ms), and the primary, which keeps the one
 * global count, grants exactly as many as fit under the cap and denies the rest (the worker then closes or resets
 * them), or in 'evict' mode has the globally oldest connection closed to make room. Workers report closes back,
 * batched the same way. So the cap is exact: a connection is admitted only while fewer than `maxConns` admitted
 * connections are known to be open, wherever they are held; a close reaches the count a few milliseconds later,
 * which matters only for a client that closes and reconnects at once. At the cap (close, reset, refuse) the primary
 * tells every worker so, and workers turn new connections away at once until told the count fell below: a turn-away
 * that waited for the primary's answer could reach a loaded client after its --settle. Without a cap workers admit on
 * their own and only report counts.
 *
 * Why not the suggested hand-off (the primary accepts and sends each admitted socket to a worker): built and
 * measured first, it reached 3,000-5,000 connections/s on these 2-core VMs against 13,000/s for one process, since
 * Node passes one handle per channel at a time and each costs two cross-process wake-ups; and a fast client piled
 * admitted sockets up in the primary until its own open-files limit made it drop them. Why not Node's cluster: its
 * round-robin hands connections out without a global view, so only a cap per worker is possible, and shares are
 * not strictly even: "at most 24,000 in total" could not be found exactly. Figures in docs/native-engine.md.
 *
 * Only as many workers as there are CPUs hold a copy at a time, the least loaded with room first: every process
 * with a copy wakes for every new connection, and six copies on two cores halved the rate. A worker near its
 * open-files limit closes its copy and says so; a worker with room gets a copy lent by one that has one, or from a
 * new listener the primary binds when none has (closing the last copy resets what waits in the kernel's queue, as
 * any server closing its listener does). Refuse mode closes every copy at the cap (workers confirm) and binds a new
 * listener below it. 'ignore' mode needs one accepting process that stops calling accept(); it is not offered here
 * (startTargetServer runs it in one process).
 */
import net from 'node:net';
import { once } from 'node:events';
import os from 'node:os';
import { UsageError } from '../errors.js';
import { AdmissionLedger } from './admission-ledger.js';
import {
  checkTargetServerOptions,
  TARGET_SERVER_DEFAULTS,
  type TargetServer,
  type TargetServerOptions,
} from './target-server.js';
import { targetStats, type TargetServerStats } from './target-stats.js';
import type { FromServeWorker, ServeWorkerSettings, ToServeWorker } from './serve-protocol.js';
import { spawnServeWorkers, stopServeWorker, type WorkerSlot } from './serve-workers.js';

/** Most worker processes: as many as `ramp --workers` allows. */
export const MAX_SERVE_WORKERS = 64;
/** Wait before binding again when that failed (someone took the port meanwhile), as in the single-process server. */
const RELISTEN_RETRY_MS = 100;

/** Told when a worker process dies while serving: its connections are gone (the kernel closed them). */
export type WorkerLostListener = (name: string, connections: number) => void;

/** A running multi-process target: a TargetServer that can also tell how its connections are spread. */
export interface MultiProcessTarget extends TargetServer {
  /** Admitted open connections per worker process. */
  workerLoads(): { name: string; pid: number | null; open: number; alive: boolean; accepting: boolean }[];
}


/**
 * - listening: workers accept (unless all are full);
 * - pausing: refuse mode at the cap, waiting for every worker to close its copy;
 * - paused: no listening socket anywhere; connects are refused;
 * - binding: a new listening socket is being bound and handed out;
 * - closed: shut down.
 */
type ListenState = 'idle' | 'listening' | 'pausing' | 'paused' | 'binding' | 'closed';


/** Problems with running `options` over `workers` processes (on top of checkTargetServerOptions). */
export function checkMultiProcessOptions(options: TargetServerOptions, workers: number): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_SERVE_WORKERS) {
    problems.push(`--workers: ${workers} must be 1 to ${MAX_SERVE_WORKERS}`);
  } else if (workers > 1 && options.overLimit === 'ignore' && options.maxConns !== null) {
    problems.push(
      '--over-limit ignore needs --workers 1: only a single accepting process can stop calling accept() while ' +
        'the kernel queue fills',
    );
  }
  return problems;
}

/**
 * Start the primary and `workers` worker processes; options not given take TARGET_SERVER_DEFAULTS. Resolves once
 * every worker is ready and accepting.
 * @param maxHeldPerWorker connections (admitted or waiting) at which a worker stops accepting; default: its
 *   open-files limit minus a reserve. Tests lower it to see the hand-over between workers.
 * @throws UsageError listing every bad option, including modes that cannot run over several processes.
 */
export async function startMultiProcessTarget(
  options: Partial<TargetServerOptions>,
  workers: number,
  onWorkerLost: WorkerLostListener | null = null,
  maxHeldPerWorker: number | null = null,
): Promise<MultiProcessTarget> {
  const resolved: TargetServerOptions = { ...TARGET_SERVER_DEFAULTS, ...options };
  const problems = [...checkTargetServerOptions(resolved), ...checkMultiProcessOptions(resolved, workers)];
  if (problems.length > 0) throw new UsageError(problems);
  const primary = new TargetPrimary(resolved, onWorkerLost);
  try {
    await primary.start(workers, maxHeldPerWorker);
  } catch (e) {
    await primary.close();
    throw e;
  }
  return primary;
}

class TargetPrimary implements MultiProcessTarget {
  private readonly slots: WorkerSlot[] = [];
  /** Workers holding a copy of the listening socket at a time, at most. */
  private readonly maxListening = Math.max(1, os.availableParallelism());
  private readonly ledger: AdmissionLedger<WorkerSlot>;
  private generation = 0;
  /** A `lend` is out: a worker was asked for a copy of the listening socket. */
  private lending = false;
  private state: ListenState = 'idle';
  private closing: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private boundHost: string;
  private boundPort: number;
  /** What workers were last told by `cap`: they turn new connections away on their own while true. */
  private atCapSignalled = false;

  constructor(
    private readonly options: TargetServerOptions,
    private readonly onWorkerLost: WorkerLostListener | null,
  ) {
    this.boundHost = options.host;
    this.boundPort = options.port;
    this.ledger = new AdmissionLedger(options);
  }

  get host(): string {
    return this.boundHost;
  }

  get port(): number {
    return this.boundPort;
  }

  async start(workers: number, maxHeld: number | null): Promise<void> {
    const o = this.options;
    const settings: ServeWorkerSettings = {
      greeting: o.greeting,
      echo: o.echo,
      closeAfterMs: o.closeAfterMs,
      denial: o.overLimit === 'close' ? 'close' : 'reset',
      capped: o.maxConns !== null,
      overLimitMessage: o.overLimitMessage,
      maxHeld,
    };
    await spawnServeWorkers(this.slots, workers, settings, {
      message: (slot, msg, handle) => this.handleWorkerMessage(slot, msg, handle),
      exit: (slot) => this.handleWorkerExit(slot),
    });
    await this.bind(true);
  }

  stats(): TargetServerStats {
    // Accepting while any worker still has its copy of the listening socket open: while a refuse-mode pause waits
    // for the workers to confirm, a connect still lands in the accept queue (and is reset when the copy closes).
    const open = this.state === 'listening' || this.state === 'pausing';
    return targetStats(this.ledger.open, this.ledger.counts(), open && this.slots.some((s) => s.alive && s.listening));
  }

  workerLoads(): { name: string; pid: number | null; open: number; alive: boolean; accepting: boolean }[] {
    return this.slots.map((s) => ({
      name: s.name,
      pid: s.child.pid ?? null,
      open: this.ledger.openOf(s),
      alive: s.alive,
      accepting: s.alive && s.listening,
    }));
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.state = 'closed';
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.ledger.clear();
    await Promise.all(this.slots.map((slot) => stopServeWorker(slot)));
  }


  /**
   * Bind a listening socket and give every worker with room a copy, then close ours, so only workers accept.
   * `first`: the start, where failing to bind is the caller's error; later, a failed bind is retried.
   */
  private async bind(first: boolean): Promise<void> {
    this.state = 'binding';
    const o = this.options;
    // pauseOnConnect: a connection this copy accepts before it is closed is handed to a worker unread.
    const server = net.createServer({ pauseOnConnect: true });
    server.listen({ host: this.boundHost, port: this.boundPort, backlog: o.backlog });
    try {
      await Promise.race([once(server, 'listening'), once(server, 'error').then(([e]) => Promise.reject(e))]);
    } catch (e) {
      if (first) throw e;
      // Someone took the port meanwhile (an ephemeral port of an outgoing connection, say): try again later.
      this.state = 'paused';
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.maybeListenAgain();
      }, RELISTEN_RETRY_MS);
      return;
    }
    if (this.state !== 'binding') {
      server.close(); // closed while binding
      return;
    }
    const address = server.address() as net.AddressInfo;
    this.boundHost = address.address;
    this.boundPort = address.port;
    this.generation++;
    await this.handOut(server);
  }

  /**
   * Give a copy of `server` (bound here, or lent by a worker) to every live worker with room and without one, then
   * close ours. Our copy stays open until every copy has been written to its channel (Node needs the fd until
   * then); a connection it accepts meanwhile is handed over (handleOwnAccept).
   */
  private async handOut(server: net.Server): Promise<void> {
    server.on('connection', (s: net.Socket) => this.handleOwnAccept(s));
    server.on('error', () => undefined);
    const free = this.maxListening - this.slots.filter((s) => s.alive && s.listening).length;
    const takers = this.candidates().slice(0, Math.max(0, free));
    await Promise.all(
      takers.map(
        (slot) =>
          new Promise<void>((resolve) => {
            slot.child.send({ kind: 'listen', generation: this.generation } satisfies ToServeWorker, server, (err) => {
              if (err === null) {
                slot.listening = true;
                // Refuse mode reached the cap while this copy was on its way: take it back like the others.
                if (this.state === 'pausing' || this.state === 'paused') this.unlisten(slot);
              }
              resolve();
            });
          }),
      ),
    );
    server.close();
    if (this.state === 'binding') this.state = 'listening';
    this.afterChange();
  }

  /** A connection our own copy accepted in the moment before it was closed: hand it to a worker, unread. */
  private handleOwnAccept(socket: net.Socket): void {
    socket.on('error', () => undefined);
    // A copy lent by a worker was not created with pauseOnConnect: stop reading before anything is consumed here.
    socket.pause();
    let best: WorkerSlot | null = null;
    for (const s of this.slots) {
      if (s.alive && !s.full && s.child.connected && (best === null || this.ledger.openOf(s) < this.ledger.openOf(best))) {
        best = s;
      }
    }
    if (best === null || this.state === 'closed') socket.resetAndDestroy();
    else best.child.send({ kind: 'conn' } satisfies ToServeWorker, socket);
  }

  private handleWorkerMessage(slot: WorkerSlot, msg: FromServeWorker, handle: unknown): void {
    switch (msg.kind) {
      case 'listener':
        this.lending = false;
        if (!(handle instanceof net.Server)) this.afterChange();
        else if (this.state === 'listening') void this.handOut(handle);
        else handle.close(); // paused or closed meanwhile: nobody should accept on it now
        return;
      case 'want':
        this.admit(slot, msg.count);
        return;
      case 'denied':
        this.ledger.turnedAway(msg.count);
        return;
      case 'opened':
        this.ledger.opened(slot, msg.count);
        return;
      case 'closed':
        this.ledger.closed(slot, msg.byClient, msg.byServer);
        this.signalCap();
        this.maybeListenAgain();
        return;
      case 'unlistened':
        if (slot.unlistenPending === msg.generation) slot.unlistenPending = null;
        slot.listening = false;
        this.afterChange();
        return;
      case 'full':
        slot.full = true;
        slot.listening = false;
        this.afterChange();
        return;
      case 'room':
        slot.full = false;
        this.afterChange();
        return;
      case 'ready':
      case 'stopped':
        return;
    }
  }

  /** Answer one `want` of `slot`: evictions first, then the grant, then the denials (its queue is oldest first). */
  private admit(slot: WorkerSlot, count: number): void {
    if (this.state === 'closed') {
      this.sendTo(slot, { kind: 'deny', count });
      return;
    }
    const decision = this.ledger.admit(slot, count);
    for (const { id, worker } of decision.evicted) this.sendTo(worker, { kind: 'evict', id });
    if (decision.granted > 0) this.sendTo(slot, { kind: 'grant', firstId: decision.firstId, count: decision.granted });
    if (decision.denied > 0) this.sendTo(slot, { kind: 'deny', count: decision.denied });
    this.signalCap();
    if (this.options.overLimit === 'refuse' && this.ledger.atCap()) this.pause();
  }

  /**
   * Tell every worker when the count reaches the cap and when it falls below, so at the cap they turn connections
   * away at once instead of each batch waiting for our answer (see `cap` in serve-protocol.ts). Not in evict mode,
   * where every connection is admitted in exchange for the oldest.
   */
  private signalCap(): void {
    const atCap = this.options.overLimit !== 'evict' && this.ledger.atCap() && this.state !== 'closed';
    if (atCap === this.atCapSignalled) return;
    this.atCapSignalled = atCap;
    for (const slot of this.slots) this.sendTo(slot, { kind: 'cap', atCap });
  }

  /** A worker died: the kernel closed what it held, so those connections are gone (counted as server closes). */
  private handleWorkerExit(slot: WorkerSlot): void {
    if (!slot.alive) return;
    slot.alive = false;
    slot.listening = false;
    slot.unlistenPending = null;
    if (this.state === 'closed') return;
    const lost = this.ledger.workerGone(slot);
    this.onWorkerLost?.(slot.name, lost);
    this.signalCap();
    this.afterChange();
  }

  /** Refuse mode at the cap: have every worker close its copy of the listening socket, so connects are refused. */
  private pause(): void {
    if (this.state !== 'listening') return;
    this.state = 'pausing';
    ++this.generation;
    for (const slot of this.slots) {
      if (slot.alive && slot.listening) this.unlisten(slot);
    }
    this.afterChange();
  }

  /** Ask one worker to close its copy of the listening socket; the pause is complete once all have confirmed. */
  private unlisten(slot: WorkerSlot): void {
    this.state = 'pausing';
    slot.unlistenPending = this.generation;
    this.sendTo(slot, { kind: 'unlisten', generation: this.generation });
  }

  /** Re-evaluate after workers closed copies, reported room, confirmed an unlisten or died. */
  private afterChange(): void {
    if (this.state === 'pausing' && this.slots.every((s) => s.unlistenPending === null)) this.state = 'paused';
    if (this.state === 'paused') {
      this.maybeListenAgain();
      return;
    }
    if (this.state !== 'listening') return;
    const listening = this.slots.filter((s) => s.alive && s.listening && s.child.connected);
    if (listening.length >= this.maxListening || this.candidates().length === 0) return;
    const lender = listening[0];
    if (lender === undefined) {
      // Every copy closed at the workers' limits: bind a new listener for those with room again.
      void this.bind(false);
    } else if (!this.lending) {
      this.lending = true;
      this.sendTo(lender, { kind: 'lend' });
    }
  }

  private maybeListenAgain(): void {
    if (this.state !== 'paused' || this.retryTimer !== null || this.ledger.atCap()) return;
    void this.bind(false);
  }

  /** Workers that could take a copy of the listening socket: alive, with room, without one; least loaded first. */
  private candidates(): WorkerSlot[] {
    return this.slots
      .filter((s) => s.alive && !s.full && !s.listening && s.child.connected)
      .sort((a, b) => this.ledger.openOf(a) - this.ledger.openOf(b));
  }

  private sendTo(slot: WorkerSlot, msg: ToServeWorker): void {
    // A worker that is exiting can still look connected: its channel then fails with EPIPE, which without a
    // callback is an 'error' on the child and ends this process. Its exit is handled where it is seen.
    if (slot.alive && slot.child.connected) slot.child.send(msg, (err) => void err);
  }
}
