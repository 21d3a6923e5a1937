/**
 * The one serving core of the built-in target, in one process (target-server.ts) and in each worker process of
 * `serve --workers N` (serve-worker-main.ts): what happens to a connection once it arrived. Admission is a strategy
 * handed in (a local cap, or the primary's grant); the core serves what is admitted (greeting, echo or discard,
 * close after `closeAfterMs`), turns away what is not (message and FIN, or RST), tells its owner of every close,
 * and tears everything down with resets.
 *
 * Hot-path choices mirror the engine (src/engine/connection-pool.ts): one shared handler per socket event with the
 * core's state hanging off the socket, and one sweep timer over a FIFO of deadlines instead of a timer per socket,
 * so tens of thousands of idle connections cost little beyond their sockets.
 */
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { FifoQueue } from '../engine/fifo-queue.js';
import type { ServeCounts } from './target-stats.js';

/** What the core needs to serve and to turn away. */
export interface ServingSettings {
  /** Written (UTF-8) to every served connection, right after it is admitted; null for none. */
  greeting: string | null;
  /** Echo back what clients send; otherwise input is read and discarded. */
  echo: boolean;
  /** Close (FIN) every served connection this many milliseconds after it arrived, within a sweep; null: never. */
  closeAfterMs: number | null;
  /** Written before the FIN of a connection turned away with 'close'; null for none. */
  overLimitMessage: string | null;
}

export const enum ServedState {
  /** Arrived; admission has not answered yet. */
  Waiting,
  /** Served, and counted open. */
  Open,
  /** Served, then closed by this server (eviction, closeAfterMs). */
  ClosedByServer,
  /** Over the limit: closed or reset on arrival; never open. */
  TurnedAway,
  /** Closed by the client, or torn down. */
  Gone,
}

const CORE = Symbol('tcpprobe.serve.core');
const STATE = Symbol('tcpprobe.serve.state');
const ID = Symbol('tcpprobe.serve.id');
const DUE_AT = Symbol('tcpprobe.serve.dueAt');
/** A connection the core looks after; its state hangs off the socket so shared handlers find it via `this`. */
export type ServedSocket = net.Socket & { [CORE]: ServingCore; [STATE]: ServedState; [ID]: number; [DUE_AT]: number };

/** How a served connection ended: its client closed it, it was open `closeAfterMs`, or the owner closed it. */
export type ServedClose = 'client' | 'expired' | 'evicted';

/**
 * What admission and a worker process drive, whoever holds the sockets: this core (Node sockets) or the native
 * accept path (native-serving.ts); `C` is a connection as that side names it.
 */
export interface Serving<C> {
  /** Served connections open now. */
  readonly openCount: number;
  counts(): ServedCounts;
  /** The oldest served connection still open. */
  oldest(): C | undefined;
  byId(id: number): C | undefined;
  /** Serve an admitted connection under `id`; false when it is gone already (admitted and closed at once). */
  serve(conn: C, id: number): boolean;
  /** Over the limit: `overLimitMessage` then FIN ('close'), or RST ('reset'). */
  turnAway(conn: C, how: 'close' | 'reset'): void;
  /** Graceful close (FIN) of a served connection by this server. */
  closeByServer(conn: C, how: 'expired' | 'evicted'): void;
  /** Reset every connection; resolves when all have closed. Nothing is told to the owner or counted from here. */
  teardown(): Promise<void>;
}

/**
 * Admission: decides on each connection that arrived. It answers with `serve`, `turnAway`, or later (the
 * primary's grant); the serving side calls it once per connection.
 */
export interface Admission<C = ServedSocket> {
  arrived(conn: C, serving: Serving<C>): void;
}

/** What a core counts; admission counts what it turned away (the one stats shape is in target-stats.ts). */
export type ServedCounts = Omit<ServeCounts, 'overLimit'>;

/** How often the closeAfterMs deadlines are checked. */
const SWEEP_INTERVAL_MS = 20;

export class ServingCore implements Serving<ServedSocket> {
  /** Served connections by id, oldest first (a Map keeps insertion order), which is what eviction needs. */
  private readonly open = new Map<number, ServedSocket>();
  /** Every socket not yet closed, served or not, so teardown can reset them all. */
  private readonly live = new Set<ServedSocket>();
  private readonly deadlines = new FifoQueue<ServedSocket>();
  private readonly greeting: Buffer | null;
  private readonly overLimitMessage: Buffer | null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private whenDrained: (() => void) | null = null;
  private readonly counted: ServedCounts = { accepted: 0, peakOpen: 0, closedByClient: 0, closedByServer: 0 };

  /** @param onClosed told of every close of a served connection (by the id it was served under), after it was counted */
  constructor(
    private readonly settings: ServingSettings,
    private readonly admission: Admission,
    private readonly onClosed: (servedId: number, how: ServedClose) => void,
  ) {
    this.greeting = settings.greeting === null ? null : Buffer.from(settings.greeting, 'utf8');
    this.overLimitMessage = settings.overLimitMessage === null ? null : Buffer.from(settings.overLimitMessage, 'utf8');
  }

  /** A connection the listener accepted: look after it, and ask admission. */
  accept(raw: net.Socket): void {
    const socket = raw as ServedSocket;
    socket[CORE] = this;
    socket[STATE] = ServedState.Waiting;
    socket[ID] = 0;
    socket[DUE_AT] = this.settings.closeAfterMs === null ? 0 : performance.now() + this.settings.closeAfterMs;
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    this.live.add(socket);
    this.admission.arrived(socket, this);
  }

  /** Served connections open now. */
  get openCount(): number {
    return this.open.size;
  }

  counts(): ServedCounts {
    return { ...this.counted };
  }

  /** The oldest served connection still open. */
  oldest(): ServedSocket | undefined {
    return this.open.values().next().value;
  }

  byId(id: number): ServedSocket | undefined {
    return this.open.get(id);
  }

  /**
   * Serve an admitted connection under `id`: greeting, echo or discard, its close deadline. False when it is gone
   * already (closed while it waited for the primary's answer): admitted and closed at once.
   */
  serve(socket: ServedSocket, id: number): boolean {
    socket[ID] = id;
    if (socket.destroyed) {
      socket[STATE] = ServedState.Gone;
      return false;
    }
    socket[STATE] = ServedState.Open;
    this.open.set(id, socket);
    this.counted.accepted++;
    if (this.open.size > this.counted.peakOpen) this.counted.peakOpen = this.open.size;
    socket.on('end', onSocketEnd);
    if (this.settings.echo) {
      socket.on('data', onEchoData);
      socket.on('drain', onEchoDrain);
    } else {
      socket.resume(); // flowing with no 'data' listener: read and discard, and notice the client's FIN
    }
    if (this.greeting !== null) socket.write(this.greeting);
    if (this.settings.closeAfterMs !== null) {
      this.deadlines.push(socket);
      this.sweepTimer ??= setInterval(this.sweep, SWEEP_INTERVAL_MS);
    }
    return true;
  }

  /** Over the limit: `overLimitMessage` then FIN ('close'), or RST ('reset'). */
  turnAway(socket: ServedSocket, how: 'close' | 'reset'): void {
    socket[STATE] = ServedState.TurnedAway;
    if (socket.destroyed) return;
    if (how === 'close') {
      if (this.overLimitMessage !== null) socket.write(this.overLimitMessage);
      socket.resume(); // read and discard, so the close is not turned into a reset by unread data
      socket.destroySoon();
    } else {
      socket.resetAndDestroy();
    }
  }

  /** Graceful close (FIN) of a served connection by this server. */
  closeByServer(socket: ServedSocket, how: 'expired' | 'evicted'): void {
    if (socket[STATE] !== ServedState.Open) return;
    socket[STATE] = ServedState.ClosedByServer;
    this.open.delete(socket[ID]);
    this.counted.closedByServer++;
    socket.destroySoon();
    this.onClosed(socket[ID], how);
  }

  /**
   * Reset every connection (no TIME_WAIT left on this machine), served, waiting or turned away; resolves when all
   * have closed. Nothing is told to the owner or counted from here.
   */
  async teardown(): Promise<void> {
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    this.deadlines.clear();
    for (const socket of this.live) socket[STATE] = ServedState.Gone;
    this.open.clear();
    for (const socket of this.live) {
      if (socket.destroyed) continue;
      // Not after end(), though: while that shutdown is pending libuv refuses the reset (EINVAL) and Node then
      // never closes the handle.
      if (socket.writableEnded) socket.destroy();
      else socket.resetAndDestroy();
    }
    if (this.live.size > 0) await new Promise<void>((resolve) => (this.whenDrained = resolve));
  }

  /** The client closed (FIN) or reset a served connection. */
  handleClientGone(socket: ServedSocket): void {
    if (socket[STATE] !== ServedState.Open) return;
    socket[STATE] = ServedState.Gone;
    this.open.delete(socket[ID]);
    this.counted.closedByClient++;
    this.onClosed(socket[ID], 'client');
  }

  handleSocketClosed(socket: ServedSocket): void {
    this.handleClientGone(socket);
    this.live.delete(socket);
    if (this.live.size === 0 && this.whenDrained !== null) {
      this.whenDrained();
      this.whenDrained = null;
    }
  }

  /** Close the served connections whose closeAfterMs has passed; runs every SWEEP_INTERVAL_MS. */
  private readonly sweep = (): void => {
    const now = performance.now();
    for (let socket = this.deadlines.peek(); socket !== undefined; socket = this.deadlines.peek()) {
      if (socket[STATE] === ServedState.Open && socket[DUE_AT] > now) break;
      this.deadlines.shift();
      this.closeByServer(socket, 'expired');
    }
  };
}

/*
 * Shared socket handlers: one function object per event for all sockets; `this` is the socket.
 */
function onSocketError(this: net.Socket): void {
  // Clients reset all the time (ECONNRESET, EPIPE); 'close' follows every 'error' and does the counting.
}
function onSocketEnd(this: net.Socket): void {
  const socket = this as ServedSocket;
  socket[CORE].handleClientGone(socket);
}
function onSocketClose(this: net.Socket): void {
  const socket = this as ServedSocket;
  socket[CORE].handleSocketClosed(socket);
}
function onEchoData(this: net.Socket, chunk: Buffer): void {
  // A client that sends but does not read must not grow our write buffer without bound.
  if (!this.write(chunk)) this.pause();
}
function onEchoDrain(this: net.Socket): void {
  this.resume();
}
