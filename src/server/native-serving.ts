/**
 * The accept path of a `serve --workers N` worker process on the native core (native/tcpcore.c): the core accepts
 * from its copy of the shared listening socket and holds the connections in C, and this hands each arrival to
 * admission and serves what is admitted, as the serving core (serving-core.ts) does with Node sockets. A Node socket
 * costs tens of microseconds and a few hundred bytes of heap per connection; a million of them over 56 processes
 * were the built-in target's bottleneck (docs/performance.md, "Issue 25").
 *
 * It serves what the hold needs (greeting, discard, turn away, evict); echo and close-after stay on Node sockets
 * (`nativeServingProblem`).
 */
import net from 'node:net';
import { ENGINE_ENV, loadAddon, type NativeCore } from '../engine/native-addon.js';
import { ServedState, type Admission, type ServedClose, type ServedCounts, type Serving, type ServingSettings } from './serving-core.js';

const EV_CLOSED = 3;
const EV_FAILED = 4;
const EV_ACCEPTED = 5;
const EV_LISTEN_FAILED = 6;

/** A connection the native core holds: its fd and the core's id for it, and where it stands here. */
export interface NativeServed {
  readonly fd: number;
  readonly id: number;
  state: ServedState;
  /** The id admission gave it (0 until served). */
  servedId: number;
}

/** Why the native accept path cannot serve `settings` here, or null when it can. */
export function nativeServingProblem(settings: ServingSettings, env: NodeJS.ProcessEnv = process.env): string | null {
  if (env[ENGINE_ENV] === 'js') return `$${ENGINE_ENV} is js`;
  if (settings.echo) return 'echo runs on Node sockets';
  if (settings.closeAfterMs !== null) return 'close-after runs on Node sockets';
  const addon = loadAddon();
  return typeof addon === 'string' ? addon : null;
}

/** The fd under a Node handle (a listening server, a socket), or -1. */
function fdOf(handleOwner: net.Server | net.Socket): number {
  const fd = (handleOwner as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return typeof fd === 'number' ? fd : -1;
}

export class NativeServing implements Serving<NativeServed> {
  private readonly core: NativeCore;
  private readonly words: number;
  /** Every connection not yet closed, served or not, by fd. */
  private readonly live = new Map<number, NativeServed>();
  /** Served connections by their served id, oldest first, which is what eviction needs. */
  private readonly open = new Map<number, NativeServed>();
  private readonly greeting: Buffer | null;
  private readonly overLimitMessage: Buffer | null;
  private readonly counted: ServedCounts = { accepted: 0, peakOpen: 0, closedByClient: 0, closedByServer: 0 };
  private listening = false;
  /** Ids for connections handed over as Node sockets (`adopt`): negative, apart from the core's own. */
  private nextAdoptId = -1;

  /**
   * @param maxHeld connections (every one not yet closed) at which the core stops accepting, whatever admission
   *   says: the open-files limit is not crossed within one batch of accepts
   */
  constructor(
    settings: ServingSettings,
    private readonly admission: Admission<NativeServed>,
    private readonly onClosed: (servedId: number, how: ServedClose) => void,
    private readonly maxHeld: number,
  ) {
    const addon = loadAddon();
    if (typeof addon === 'string') throw new Error(addon);
    this.core = new addon.Core(this.onBatch, { bindNoPort: false });
    this.words = addon.RECORD_WORDS;
    this.greeting = settings.greeting === null ? null : Buffer.from(settings.greeting, 'utf8');
    this.overLimitMessage = settings.overLimitMessage === null ? null : Buffer.from(settings.overLimitMessage, 'utf8');
  }

  get openCount(): number {
    return this.open.size;
  }

  get hasListener(): boolean {
    return this.listening;
  }

  counts(): ServedCounts {
    return { ...this.counted };
  }

  oldest(): NativeServed | undefined {
    return this.open.values().next().value;
  }

  byId(id: number): NativeServed | undefined {
    return this.open.get(id);
  }

  /** Accept on a copy of `server`'s listening socket, in the core; Node's copy is closed here. */
  listen(server: net.Server): void {
    const fd = fdOf(server);
    const own = fd < 0 ? -1 : this.core.listen(fd, this.budget());
    server.close();
    this.listening = own >= 0;
  }

  unlisten(): void {
    this.core.unlisten();
    this.listening = false;
  }

  /**
   * A Node server on a new copy of the listening socket, to send to the primary (`lend`), or null without one. The
   * caller closes it once sent; what it accepts meanwhile is adopted here.
   */
  listenerToLend(backlog: number): net.Server | null {
    if (!this.listening) return null;
    const fd = this.core.listenerCopy();
    if (fd < 0) return null;
    const server = net.createServer({ pauseOnConnect: true }, (socket) => this.adopt(socket));
    server.on('error', () => undefined);
    server.listen({ fd, backlog });
    return server;
  }

  /** A connection accepted as a Node socket elsewhere (the primary's, a lent copy's): the core holds it from here. */
  adopt(socket: net.Socket): void {
    const id = this.nextAdoptId--;
    const fd = fdOf(socket);
    const own = fd < 0 ? -1 : this.core.adopt(fd, id);
    socket.destroy(); // Node's fd only: the core's copy keeps the connection
    if (own >= 0) this.arrived(own, id);
  }

  serve(conn: NativeServed, id: number): boolean {
    conn.servedId = id;
    if (conn.state === ServedState.Gone) return false;
    conn.state = ServedState.Open;
    this.open.set(id, conn);
    this.counted.accepted++;
    if (this.open.size > this.counted.peakOpen) this.counted.peakOpen = this.open.size;
    if (this.greeting !== null) this.core.write(conn.fd, conn.id, this.greeting);
    return true;
  }

  turnAway(conn: NativeServed, how: 'close' | 'reset'): void {
    const gone = conn.state === ServedState.Gone;
    conn.state = ServedState.TurnedAway;
    if (gone) return;
    if (how === 'close' && this.overLimitMessage !== null) this.core.write(conn.fd, conn.id, this.overLimitMessage);
    this.release(conn, how === 'reset');
  }

  closeByServer(conn: NativeServed, how: 'expired' | 'evicted'): void {
    if (conn.state !== ServedState.Open) return;
    conn.state = ServedState.ClosedByServer;
    this.open.delete(conn.servedId);
    this.counted.closedByServer++;
    this.release(conn, false);
    this.onClosed(conn.servedId, how);
  }

  /** Reset every connection (no TIME_WAIT left on this machine) and the listener; nothing is told or counted. */
  teardown(): Promise<void> {
    for (const conn of this.live.values()) conn.state = ServedState.Gone;
    this.live.clear();
    this.open.clear();
    this.listening = false;
    this.core.close();
    return Promise.resolve();
  }

  private budget(): number {
    return Math.max(0, this.maxHeld - this.live.size);
  }

  private release(conn: NativeServed, rst: boolean): void {
    this.live.delete(conn.fd);
    this.core.reset(conn.fd, conn.id, rst);
  }

  private arrived(fd: number, id: number): void {
    const conn: NativeServed = { fd, id, state: ServedState.Waiting, servedId: 0 };
    this.live.set(fd, conn);
    this.admission.arrived(conn, this);
  }

  /** The client closed or reset: counted if it was served; the core's copy is closed either way. */
  private gone(conn: NativeServed): void {
    const served = conn.state === ServedState.Open;
    conn.state = ServedState.Gone;
    this.release(conn, false);
    if (!served) return;
    this.open.delete(conn.servedId);
    this.counted.closedByClient++;
    this.onClosed(conn.servedId, 'client');
  }

  private readonly onBatch = (records: Int32Array): void => {
    for (let i = 0; i + this.words <= records.length; i += this.words) {
      const fd = records[i + 1] as number;
      switch (records[i]) {
        case EV_ACCEPTED:
          this.arrived(fd, records[i + 2] as number);
          break;
        case EV_CLOSED:
        case EV_FAILED: {
          const conn = this.live.get(fd);
          if (conn !== undefined && conn.id === records[i + 2]) this.gone(conn);
          break;
        }
        case EV_LISTEN_FAILED:
          // Out of fds below maxHeld (the limit is lower than we thought): the core paused; try again next batch.
          break;
      }
    }
    if (this.listening) this.core.acceptBudget(this.budget());
  };
}
