/**
 * The built-in target: a TCP server with a connection cap that behaves at its cap the way real servers do, so
 * tcpprobe (and its tests) have something known to measure. Within the cap it greets, echoes or discards; past the
 * cap it closes, resets, refuses, evicts the oldest, or stops accepting, depending on the mode.
 *
 * Hot-path choices mirror the engine (src/engine/connection-pool.ts): one shared handler per socket event with the
 * server's state hanging off the socket, and one sweep timer over a FIFO of deadlines instead of a timer per
 * socket, so tens of thousands of idle connections cost little beyond their sockets.
 *
 * 'ignore' mode runs the same listener inside a worker thread (src/server/ignore-worker.ts) because the only way to
 * stop a Node listener from calling accept() without closing it is to block the event loop it runs on.
 */
import net from 'node:net';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { FifoQueue } from '../engine/fifo-queue.js';
import { UsageError } from '../errors.js';
import { isSingleFile, singleFileAsset } from '../single-file.js';

/**
 * What happens to a connection that arrives while `maxConns` connections are open.
 * - `close`: accept it, write `overLimitMessage` if set, then close gracefully (FIN), like redis or memcached.
 * - `reset`: accept it, then reset it (RST).
 * - `refuse`: stop listening at the cap so new connects get ECONNREFUSED; listen again once below the cap.
 * - `ignore`: stop calling accept() at the cap so the kernel's accept queue fills, then SYNs are dropped.
 * - `evict`: accept it and close the oldest open connection instead (FIN), so open stays at the cap.
 */
export type OverLimitMode = 'close' | 'reset' | 'refuse' | 'ignore' | 'evict';

export const OVER_LIMIT_MODES: readonly OverLimitMode[] = ['close', 'reset', 'refuse', 'ignore', 'evict'];

export interface TargetServerOptions {
  /** Address to listen on; IPv6 works ('::1'). Default '127.0.0.1'. */
  host: string;
  /** TCP port; 0 picks any free port (read it back from `TargetServer.port`). Default 0. */
  port: number;
  /** Cap on concurrently open connections; null means unlimited. Default null. */
  maxConns: number | null;
  /** What happens at the cap; see OverLimitMode. Default 'close'. */
  overLimit: OverLimitMode;
  /** Written (UTF-8) to every connection accepted within the cap, right after accept. Default null. */
  greeting: string | null;
  /** 'close' mode only: written (UTF-8) before closing an over-limit connection. Default null. */
  overLimitMessage: string | null;
  /** Echo back what clients send (within the cap); otherwise input is read and discarded. Default false. */
  echo: boolean;
  /**
   * listen() backlog in connections, 1 or more; the kernel caps it at net.core.somaxconn. On Linux the accept
   * queue holds backlog + 1 completed connections. Default 511.
   */
  backlog: number;
  /**
   * Close (FIN) every accepted connection this many milliseconds after accept, within about 20 ms; null means
   * never. Default null.
   */
  closeAfterMs: number | null;
}

export const TARGET_SERVER_DEFAULTS: TargetServerOptions = Object.freeze({
  host: '127.0.0.1',
  port: 0,
  maxConns: null,
  overLimit: 'close',
  greeting: null,
  overLimitMessage: null,
  echo: false,
  backlog: 511,
  closeAfterMs: null,
});

/**
 * Counters of the server. Until close(), `accepted === open + closedByClient + closedByServer`; the teardown by
 * close() is not counted as closes.
 */
export interface TargetServerStats {
  /** Served connections (admitted within the cap) open now. */
  open: number;
  peakOpen: number;
  /** Connections admitted within the cap, ever (in 'evict' mode, also those that pushed out the oldest). */
  accepted: number;
  /**
   * Connections that arrived at the cap and got the mode's treatment: closed ('close'), reset ('reset', and in
   * 'refuse' mode the rest of an accept batch), or admitted by evicting the oldest ('evict'). Always 0 in 'ignore'
   * mode: the kernel holds those, the application never sees them.
   */
  overLimit: number;
  /** Served connections the client closed or reset. */
  closedByClient: number;
  /** Served connections the server closed: evictions and `closeAfterMs`. */
  closedByServer: number;
  /** The server is listening and calling accept() now. */
  accepting: boolean;
}

/** A running target server. */
export interface TargetServer {
  /** The address actually bound. */
  readonly host: string;
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  stats(): TargetServerStats;
  /** Stop listening and reset every connection (no TIME_WAIT left behind); resolves when done. Idempotent. */
  close(): Promise<void>;
}

/**
 * Start a target server; options not given take TARGET_SERVER_DEFAULTS. Resolves once it listens.
 *
 * In 'ignore' mode the listener runs in a worker thread, which blocks at the cap: from then on it is deaf. It does
 * not resume accepting when connections close below the cap, does not notice those closes (stats stay as they
 * were when it blocked, with `accepting` false), and no longer greets or echoes. Before the cap its stats reach
 * this thread every 50 ms or so. close() wakes it and tears everything down. Without a cap, ignore mode is simply
 * an unlimited in-process server.
 *
 * `ownThread`: run the listener in a worker thread in any mode, so that a client in this same process (the demo)
 * does not take its event loop: sharing one, the server fell behind a fast ramp, its accept queue overflowed and
 * connects waited a second for a SYN retransmit.
 * @throws UsageError listing every bad option.
 */
export async function startTargetServer(
  options: Partial<TargetServerOptions>,
  placement: { ownThread?: boolean } = {},
): Promise<TargetServer> {
  const resolved: TargetServerOptions = { ...TARGET_SERVER_DEFAULTS, ...options };
  const problems = checkTargetServerOptions(resolved);
  if (problems.length > 0) throw new UsageError(problems);
  if ((resolved.overLimit === 'ignore' && resolved.maxConns !== null) || placement.ownThread === true) {
    return startIgnoreWorker(resolved);
  }
  const listener = new CappedListener(resolved, null);
  await listener.listen();
  return listener;
}

/** Every problem with `o`, one message per option; empty when all is well. */
export function checkTargetServerOptions(o: TargetServerOptions): string[] {
  const problems: string[] = [];
  const isCount = (n: unknown, min: number): boolean => typeof n === 'number' && Number.isInteger(n) && n >= min;
  if (typeof o.host !== 'string' || o.host === '') problems.push('host: must be a non-empty address or name');
  if (!isCount(o.port, 0) || o.port > 65535) problems.push(`port: ${o.port} is not a port (0-65535)`);
  if (o.maxConns !== null && !isCount(o.maxConns, 1)) {
    problems.push(`maxConns: ${o.maxConns} must be a whole number above 0, or null for unlimited`);
  }
  if (!OVER_LIMIT_MODES.includes(o.overLimit)) {
    problems.push(`overLimit: "${String(o.overLimit)}" is not one of ${OVER_LIMIT_MODES.join(', ')}`);
  }
  // Node takes a backlog of 0 as "use the default" (511), so 0 cannot mean what it says.
  if (!isCount(o.backlog, 1)) problems.push(`backlog: ${o.backlog} must be a whole number above 0`);
  if (o.closeAfterMs !== null && !(typeof o.closeAfterMs === 'number' && o.closeAfterMs >= 0)) {
    problems.push(`closeAfterMs: ${o.closeAfterMs} must be 0 or more milliseconds, or null for never`);
  }
  return problems;
}

/** How often the closeAfterMs deadlines are checked. */
const SWEEP_INTERVAL_MS = 20;
/** Wait before listening again when re-binding the port failed (refuse mode). */
const RELISTEN_RETRY_MS = 100;

const enum SocketState {
  /** Served and counted in `open`. */
  Open,
  /** Served, then closed by the server (eviction, closeAfterMs); already counted. */
  ClosedByServer,
  /** Over the cap: closed or reset on arrival; never counted in `open`. */
  OverLimit,
  /** Closed by the client, or torn down by close(). */
  Gone,
}

/** Each socket carries its listener, its state and its close deadline, so shared handlers find them via `this`. */
const LISTENER = Symbol('tcpprobe.target.listener');
const STATE = Symbol('tcpprobe.target.state');
const DUE_AT = Symbol('tcpprobe.target.dueAt');
type ServedSocket = net.Socket & { [LISTENER]: CappedListener; [STATE]: SocketState; [DUE_AT]: number };

type ListenState = 'idle' | 'listening' | 'paused' | 'relistening' | 'closed';

/**
 * The listener and its connections: the one implementation of every mode, used in-process and, for 'ignore', by
 * the worker. Exported for src/server/ignore-worker.ts; use startTargetServer() everywhere else.
 */
export class CappedListener implements TargetServer {
  private readonly server: net.Server;
  /** Served connections, oldest first (a Set iterates in insertion order), which is what evict needs. */
  private readonly open = new Set<ServedSocket>();
  /** Every socket not yet closed, served or not, so close() can reset them all. */
  private readonly live = new Set<ServedSocket>();
  private readonly deadlines = new FifoQueue<ServedSocket>();
  private readonly greeting: Buffer | null;
  private readonly overLimitMessage: Buffer | null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private state: ListenState = 'idle';
  private closing: Promise<void> | null = null;
  private whenDrained: (() => void) | null = null;
  private boundHost: string;
  private boundPort: number;
  private peakOpen = 0;
  private accepted = 0;
  private overLimit = 0;
  private closedByClient = 0;
  private closedByServer = 0;

  /**
   * @param onCapReached called synchronously in the accept callback that fills the cap, after the greeting is
   *   written; the ignore worker blocks its event loop here, so that nothing more is accepted.
   */
  constructor(
    private readonly options: TargetServerOptions,
    private readonly onCapReached: ((listener: CappedListener) => void) | null,
  ) {
    this.greeting = options.greeting === null ? null : Buffer.from(options.greeting, 'utf8');
    this.overLimitMessage = options.overLimitMessage === null ? null : Buffer.from(options.overLimitMessage, 'utf8');
    this.boundHost = options.host;
    this.boundPort = options.port;
    this.server = net.createServer({ allowHalfOpen: false, noDelay: true }, (socket) => this.handleConnection(socket));
  }

  get host(): string {
    return this.boundHost;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Bind and listen; rejects with the system error (EADDRINUSE, EADDRNOTAVAIL...) if that fails. */
  async listen(): Promise<void> {
    const o = this.options;
    this.server.listen({ host: o.host, port: o.port, backlog: o.backlog });
    await once(this.server, 'listening');
    const address = this.server.address() as net.AddressInfo;
    this.boundHost = address.address;
    this.boundPort = address.port;
    this.state = 'listening';
    // Kept for good: it catches failed re-binds in refuse mode and accept() errors such as EMFILE, which Node
    // reports on the server and which would otherwise crash the process.
    this.server.on('error', this.handleServerError);
    this.server.on('listening', this.handleRelistened);
    if (o.closeAfterMs !== null) this.sweepTimer = setInterval(this.sweep, SWEEP_INTERVAL_MS);
  }

  stats(): TargetServerStats {
    return {
      open: this.open.size,
      peakOpen: this.peakOpen,
      accepted: this.accepted,
      overLimit: this.overLimit,
      closedByClient: this.closedByClient,
      closedByServer: this.closedByServer,
      accepting: this.state === 'listening',
    };
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const wasRelistening = this.state === 'relistening';
    this.state = 'closed';
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.deadlines.clear();
    // A re-bind in flight would otherwise complete after we are gone; handleRelistened closes it when it lands.
    if (wasRelistening) await Promise.race([once(this.server, 'listening'), once(this.server, 'error')]).catch(() => {});
    // Closing a libuv stream closes its fd at once, so the port is free when this returns.
    if (this.server.listening) this.server.close();
    for (const socket of this.open) socket[STATE] = SocketState.Gone;
    this.open.clear();
    for (const socket of this.live) {
      if (socket.destroyed) continue;
      // Reset rather than FIN, so that no TIME_WAIT is left on this machine. Not after end(), though: while that
      // shutdown is pending libuv refuses the reset (EINVAL) and Node then never closes the handle.
      if (socket.writableEnded) socket.destroy();
      else socket.resetAndDestroy();
    }
    if (this.live.size > 0) await new Promise<void>((resolve) => (this.whenDrained = resolve));
  }

  private handleConnection(raw: net.Socket): void {
    const socket = raw as ServedSocket;
    socket[LISTENER] = this;
    socket[STATE] = SocketState.Gone;
    socket[DUE_AT] = 0;
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    this.live.add(socket);
    if (this.state === 'closed') {
      socket.resetAndDestroy();
      return;
    }
    const cap = this.options.maxConns;
    if (cap !== null && this.open.size >= cap) {
      this.overLimit++;
      if (this.options.overLimit === 'evict') {
        const oldest = this.open.values().next().value;
        if (oldest !== undefined) this.closeByServer(oldest);
      } else if (this.options.overLimit === 'close') {
        socket[STATE] = SocketState.OverLimit;
        if (this.overLimitMessage !== null) socket.write(this.overLimitMessage);
        socket.resume();
        socket.destroySoon();
        return;
      } else {
        // reset; refuse (connections accepted in the same batch as the one that filled the cap); ignore without
        // a worker, which startTargetServer never builds.
        socket[STATE] = SocketState.OverLimit;
        socket.resetAndDestroy();
        return;
      }
    }
    this.admit(socket, cap);
  }

  private admit(socket: ServedSocket, cap: number | null): void {
    socket[STATE] = SocketState.Open;
    this.open.add(socket);
    this.accepted++;
    if (this.open.size > this.peakOpen) this.peakOpen = this.open.size;
    socket.on('end', onSocketEnd);
    if (this.options.echo) {
      socket.on('data', onEchoData);
      socket.on('drain', onEchoDrain);
    } else {
      socket.resume(); // flowing with no 'data' listener: read and discard
    }
    if (this.greeting !== null) socket.write(this.greeting);
    if (this.options.closeAfterMs !== null) {
      socket[DUE_AT] = performance.now() + this.options.closeAfterMs;
      this.deadlines.push(socket);
    }
    if (cap !== null && this.open.size >= cap) {
      if (this.options.overLimit === 'refuse') this.pauseListening();
      // Last, because the ignore worker blocks in here (and may tear everything down once woken).
      this.onCapReached?.(this);
    }
  }

  /** Graceful close (FIN) of a served connection: eviction or closeAfterMs. */
  private closeByServer(socket: ServedSocket): void {
    socket[STATE] = SocketState.ClosedByServer;
    this.open.delete(socket);
    this.closedByServer++;
    socket.destroySoon();
    this.maybeListenAgain();
  }

  /** The client closed (FIN) or reset a served connection. */
  handleClientGone(socket: ServedSocket): void {
    if (socket[STATE] !== SocketState.Open) return;
    socket[STATE] = SocketState.Gone;
    this.open.delete(socket);
    this.closedByClient++;
    this.maybeListenAgain();
  }

  handleSocketClosed(socket: ServedSocket): void {
    this.handleClientGone(socket);
    this.live.delete(socket);
    if (this.live.size === 0 && this.whenDrained !== null) {
      this.whenDrained();
      this.whenDrained = null;
    }
  }

  /** Refuse mode at the cap: close the listening socket (open connections stay) so new connects are refused. */
  private pauseListening(): void {
    if (this.state !== 'listening') return;
    this.state = 'paused';
    // Connections completed in the kernel's accept queue but not yet accepted are reset by this.
    this.server.close();
  }

  private maybeListenAgain(): void {
    const cap = this.options.maxConns;
    if (this.state !== 'paused' || cap === null || this.open.size >= cap) return;
    this.state = 'relistening';
    const o = this.options;
    // Our own open connections share the port; SO_REUSEADDR (set by libuv) lets the listener bind beside them.
    this.server.listen({ host: this.boundHost, port: this.boundPort, backlog: o.backlog });
  }

  private readonly handleRelistened = (): void => {
    if (this.state === 'closed') this.server.close();
    else this.state = 'listening';
  };

  private readonly handleServerError = (): void => {
    if (this.state !== 'relistening') return; // accept() errors: the listener goes on, nothing to do
    // Someone took the port meanwhile (an ephemeral port of an outgoing connection, say): try again later.
    this.state = 'paused';
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.maybeListenAgain();
    }, RELISTEN_RETRY_MS);
  };

  /** Close the served connections whose closeAfterMs has passed; runs every SWEEP_INTERVAL_MS. */
  private readonly sweep = (): void => {
    const now = performance.now();
    for (let socket = this.deadlines.peek(); socket !== undefined; socket = this.deadlines.peek()) {
      if (socket[STATE] === SocketState.Open && socket[DUE_AT] > now) break;
      this.deadlines.shift();
      if (socket[STATE] === SocketState.Open) this.closeByServer(socket);
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
  socket[LISTENER].handleClientGone(socket);
}
function onSocketClose(this: net.Socket): void {
  const socket = this as ServedSocket;
  socket[LISTENER].handleSocketClosed(socket);
}
function onEchoData(this: net.Socket, chunk: Buffer): void {
  // A client that sends but does not read must not grow our write buffer without bound.
  if (!this.write(chunk)) this.pause();
}
function onEchoDrain(this: net.Socket): void {
  this.resume();
}

/* ---------------------------------------------------------------------------------------------------------------
 * 'ignore' mode: the listener lives in a worker thread (src/server/ignore-worker.ts).
 * ------------------------------------------------------------------------------------------------------------- */

/** What the ignore worker is started with. */
export interface IgnoreWorkerData {
  options: TargetServerOptions;
  /** One Int32: 0 while the server runs, 1 once close() was asked for; the worker blocks on it at the cap. */
  wake: SharedArrayBuffer;
}

/** Messages from the ignore worker. */
export type IgnoreWorkerMessage =
  | { kind: 'listening'; host: string; port: number; stats: TargetServerStats }
  | { kind: 'failed'; message: string; code: string | null }
  | { kind: 'stats'; stats: TargetServerStats }
  | { kind: 'closed' };

/** Messages to the ignore worker. */
export type IgnoreWorkerCommand = { kind: 'close' };

/**
 * Where the compiled worker module is. From dist/ it is the sibling ignore-worker.js. Under vitest this module
 * runs from src/server/*.ts, where no .js sibling exists and Node 20 cannot run TypeScript in a Worker (vitest's
 * transform does not reach worker threads), so we take the compiled copy in dist/server/; the test command builds
 * before it runs vitest. Either way the worker and the CappedListener it runs come from the same build.
 */
/** The asset of the single-file executable that holds the bundled ignore-worker (scripts/build-sea.mjs). */
export const IGNORE_WORKER_ASSET = 'ignore-worker.cjs';

function ignoreWorkerUrl(): URL {
  const sibling = new URL('./ignore-worker.js', import.meta.url);
  if (existsSync(sibling)) return sibling;
  const compiled = new URL('../../dist/server/ignore-worker.js', import.meta.url);
  if (import.meta.url.endsWith('.ts') && existsSync(compiled)) return compiled;
  throw new Error(`ignore mode needs the compiled worker at ${sibling.pathname} (run "npm run build")`);
}

async function startIgnoreWorker(options: TargetServerOptions): Promise<TargetServer> {
  const data: IgnoreWorkerData = { options, wake: new SharedArrayBuffer(4) };
  // The single-file executable has no script beside it: the thread runs the bundled copy the binary carries.
  const worker = isSingleFile()
    ? new Worker(singleFileAsset(IGNORE_WORKER_ASSET), { eval: true, workerData: data })
    : new Worker(ignoreWorkerUrl(), { workerData: data });
  let onExit: ((code: number) => void) | null = null;
  let onError: ((e: Error) => void) | null = null;
  const first = await new Promise<IgnoreWorkerMessage>((resolve, reject) => {
    onError = reject;
    onExit = (code) => reject(new Error(`the ignore-mode worker exited (code ${code}) before listening`));
    worker.once('message', resolve);
    worker.once('error', onError);
    worker.once('exit', onExit);
  }).finally(() => {
    // Only ours: removeAllListeners() would also strip Node's own, and the port would stop delivering messages.
    if (onError !== null) worker.off('error', onError);
    if (onExit !== null) worker.off('exit', onExit);
  });
  if (first.kind === 'listening') return new IgnoreWorkerServer(worker, data.wake, first.host, first.port, first.stats);
  await worker.terminate();
  const message = first.kind === 'failed' ? first.message : `unexpected message "${first.kind}" from the worker`;
  const error = new Error(`cannot start the ignore-mode target: ${message}`) as Error & { code?: string };
  if (first.kind === 'failed' && first.code !== null) error.code = first.code;
  throw error;
}

/** This thread's handle on the ignore worker: relays stats, and wakes and stops the worker on close(). */
class IgnoreWorkerServer implements TargetServer {
  private last: TargetServerStats;
  private closing: Promise<void> | null = null;
  private readonly finished: Promise<void>;

  constructor(
    private readonly worker: Worker,
    private readonly wake: SharedArrayBuffer,
    readonly host: string,
    readonly port: number,
    stats: TargetServerStats,
  ) {
    this.last = stats;
    this.finished = new Promise<void>((resolve) => {
      worker.on('message', (m: IgnoreWorkerMessage) => {
        if (m.kind === 'stats') this.last = m.stats;
        else if (m.kind === 'closed') resolve();
      });
      // An 'error' with no listener would be thrown in this thread; a dead worker just stops accepting.
      worker.on('error', () => {});
      worker.on('exit', () => {
        this.last = { ...this.last, accepting: false };
        resolve();
      });
    });
  }

  stats(): TargetServerStats {
    return { ...this.last };
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const flag = new Int32Array(this.wake);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0); // wakes the worker if it is blocked at the cap
    const command: IgnoreWorkerCommand = { kind: 'close' };
    this.worker.postMessage(command); // stops it if it is not
    await this.finished;
    await this.worker.terminate();
    this.last = { ...this.last, open: 0, accepting: false };
  }
}
