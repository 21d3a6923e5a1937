/**
 * The listening socket of `tcpprobe serve --workers N`, shared out as copies: which worker processes hold one, and
 * the state machine that binds it, hands copies out, lends them between workers and, in refuse mode, takes them all
 * back at the cap. The primary (multi-process.ts) drives it with what workers report; why copies and not a hand-off
 * of each connection is in docs/performance.md ("How `serve --workers N` works").
 */
import net from 'node:net';
import { once } from 'node:events';
import os from 'node:os';
import type { ToServeWorker } from './serve-protocol.js';
import { sendToWorker, type WorkerSlot } from './serve-workers.js';

/** Wait before binding again when that failed (someone took the port meanwhile), as in the single-process server. */
const RELISTEN_RETRY_MS = 100;

/**
 * - idle: not bound yet;
 * - listening: workers accept (unless all are full);
 * - pausing: refuse mode at the cap, waiting for every worker to close its copy;
 * - paused: no listening socket anywhere; connects are refused;
 * - binding: a new listening socket is being bound and handed out;
 * - closed: shut down.
 */
type ListenState = 'idle' | 'listening' | 'pausing' | 'paused' | 'binding' | 'closed';

/** Where to listen, and what the listener asks of the primary's admission. */
export interface SharedListenerSettings {
  host: string;
  port: number;
  backlog: number;
  /** Admitted connections a worker holds: the least loaded gets a copy (or an unhanded connection) first. */
  openOf(slot: WorkerSlot): number;
  /** The count is below the cap (or there is none): a paused listener may listen again. */
  hasRoom(): boolean;
}

/**
 * The one writer of the slots' `listening`, `full` and `unlistenPending`. Only as many workers as there are CPUs
 * hold a copy at a time: every process with a copy wakes for every new connection.
 */
export class SharedListener {
  private readonly maxListening = Math.max(1, os.availableParallelism());
  private state: ListenState = 'idle';
  private generation = 0;
  /** A `lend` is out: a worker was asked for a copy of the listening socket. */
  private lending = false;
  /** Copies being handed out (handOut): the socket they share is open, whoever else holds one. */
  private handingOut = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private boundHost: string;
  private boundPort: number;

  constructor(
    private readonly slots: readonly WorkerSlot[],
    private readonly settings: SharedListenerSettings,
  ) {
    this.boundHost = settings.host;
    this.boundPort = settings.port;
  }

  get host(): string {
    return this.boundHost;
  }

  get port(): number {
    return this.boundPort;
  }

  /**
   * Accepting while any worker still has its copy open: while a refuse-mode pause waits for the workers to
   * confirm, a connect still lands in the accept queue (and is reset when the copy closes).
   */
  accepting(): boolean {
    const open = this.state === 'listening' || this.state === 'pausing';
    return open && this.slots.some((s) => s.alive && s.listening);
  }

  /** Bind and hand the first copies out; a failure to bind is the caller's error. */
  listen(): Promise<void> {
    return this.bind(true);
  }

  close(): void {
    this.state = 'closed';
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
  }

  /** Refuse mode at the cap: have every worker close its copy, so connects are refused. */
  pause(): void {
    if (this.state !== 'listening') return;
    this.state = 'pausing';
    ++this.generation;
    for (const slot of this.slots) {
      if (slot.alive && slot.listening) this.unlisten(slot);
    }
    this.afterChange();
  }

  /** Connections closed: listen again if paused and the count fell below the cap. */
  maybeListenAgain(): void {
    if (this.state !== 'paused' || this.retryTimer !== null || !this.settings.hasRoom()) return;
    void this.bind(false);
  }

  /** The answer to `lend`: a copy of a worker's listening socket, or none if it no longer had one. */
  lent(handle: unknown): void {
    this.lending = false;
    this.received(handle);
  }

  unlistened(slot: WorkerSlot, generation: number): void {
    if (slot.unlistenPending === generation) slot.unlistenPending = null;
    slot.listening = false;
    this.afterChange();
  }

  /** `slot` stopped accepting at its open-files limit, handing back its copy (`copy`, if it had one). */
  full(slot: WorkerSlot, copy: unknown): void {
    slot.full = true;
    slot.listening = false;
    this.received(copy);
  }

  /** A copy of the listening socket back from a worker, or none: handed out while listening, else closed. */
  private received(copy: unknown): void {
    if (copy instanceof net.Server && this.state === 'listening') {
      void this.handOut(copy);
      return;
    }
    if (copy instanceof net.Server) copy.close(); // paused or closed meanwhile: nobody should accept on it now
    this.afterChange();
  }

  /** `slot` has room again (and no copy). */
  room(slot: WorkerSlot): void {
    slot.full = false;
    this.afterChange();
  }

  /** `slot`'s process died (the caller marked it not alive): its copy is gone. */
  workerGone(slot: WorkerSlot): void {
    slot.listening = false;
    slot.unlistenPending = null;
    this.afterChange();
  }

  /**
   * Bind a listening socket and give every worker with room a copy, then close ours, so only workers accept.
   * `first`: the start, where failing to bind is the caller's error; later, a failed bind is retried.
   */
  private async bind(first: boolean): Promise<void> {
    this.state = 'binding';
    // pauseOnConnect: a connection this copy accepts before it is closed is handed to a worker unread.
    const server = net.createServer({ pauseOnConnect: true });
    server.listen({ host: this.boundHost, port: this.boundPort, backlog: this.settings.backlog });
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
    this.handingOut++;
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
    this.handingOut--;
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
      if (s.alive && !s.full && s.child.connected && (best === null || this.settings.openOf(s) < this.settings.openOf(best))) {
        best = s;
      }
    }
    if (best === null || this.state === 'closed') socket.resetAndDestroy();
    else best.child.send({ kind: 'conn' } satisfies ToServeWorker, socket);
  }

  /** Ask one worker to close its copy; the pause is complete once all have confirmed. */
  private unlisten(slot: WorkerSlot): void {
    this.state = 'pausing';
    slot.unlistenPending = this.generation;
    sendToWorker(slot, { kind: 'unlisten', generation: this.generation });
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
      // Every copy closed at the workers' limits: bind a new listener for those with room again (unless one is
      // being handed out: its socket is still open).
      if (this.handingOut === 0) void this.bind(false);
    } else if (!this.lending) {
      this.lending = true;
      sendToWorker(lender, { kind: 'lend' });
    }
  }

  /** Workers that could take a copy: alive, with room, without one; least loaded first. */
  private candidates(): WorkerSlot[] {
    return this.slots
      .filter((s) => s.alive && !s.full && !s.listening && s.child.connected)
      .sort((a, b) => this.settings.openOf(a) - this.settings.openOf(b));
  }
}
