/**
 * The built-in target: a TCP server with a connection cap that behaves at its cap the way real servers do, so
 * tcpprobe (and its tests) have something known to measure. Within the cap it greets, echoes or discards; past the
 * cap it closes, resets, refuses, evicts the oldest, or stops accepting, depending on the mode.
 *
 * What happens to a connection once admitted (or turned away) is the serving core's (serving-core.ts), shared with
 * the worker processes of `serve --workers N`; here is the admission by a local cap and the listening socket.
 *
 * 'ignore' mode runs the same listener inside a worker thread (src/server/ignore-worker.ts, hosted by
 * ignore-worker-host.ts) because the only way to stop a Node listener from calling accept() without closing it is
 * to block the event loop it runs on.
 */
import net from 'node:net';
import { once } from 'node:events';
import { UsageError } from '../errors.js';
import { startIgnoreWorker } from './ignore-worker-host.js';
import { ServingCore, type Admission, type ServedSocket, type Serving } from './serving-core.js';
import { targetStats, type TargetServerStats } from './target-stats.js';
import { readyForManySockets } from '../engine/process-readiness.js';

export type { TargetServerStats } from './target-stats.js';

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
  // Accept as fast as the kernel lets us: without this, every doubling of the fd table waits an RCU grace period.
  readyForManySockets('serve');
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

/** Wait before listening again when re-binding the port failed (refuse mode). */
const RELISTEN_RETRY_MS = 100;

type ListenState = 'idle' | 'listening' | 'paused' | 'relistening' | 'closed';

/**
 * The listener of one process with a local cap: the admission strategy for the serving core (serving-core.ts),
 * and the listening socket (closed at the cap in refuse mode, bound again below it). Used in-process and, for
 * 'ignore', by the worker thread. Exported for src/server/ignore-worker.ts; use startTargetServer() everywhere else.
 */
export class CappedListener implements TargetServer, Admission {
  private readonly server: net.Server;
  private readonly core: ServingCore;
  private retryTimer: NodeJS.Timeout | null = null;
  private state: ListenState = 'idle';
  private closing: Promise<void> | null = null;
  private boundHost: string;
  private boundPort: number;
  private overLimit = 0;
  private nextId = 1;

  /**
   * @param onCapReached called synchronously in the accept callback that fills the cap, after the greeting is
   *   written; the ignore worker blocks its event loop here, so that nothing more is accepted.
   */
  constructor(
    private readonly options: TargetServerOptions,
    private readonly onCapReached: ((listener: CappedListener) => void) | null,
  ) {
    this.boundHost = options.host;
    this.boundPort = options.port;
    this.core = new ServingCore(options, this, () => this.maybeListenAgain());
    this.server = net.createServer({ allowHalfOpen: false, noDelay: true }, (socket) => this.core.accept(socket));
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
  }

  stats(): TargetServerStats {
    return targetStats(this.core.openCount, { ...this.core.counts(), overLimit: this.overLimit }, this.state === 'listening');
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const wasRelistening = this.state === 'relistening';
    this.state = 'closed';
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    // A re-bind in flight would otherwise complete after we are gone; handleRelistened closes it when it lands.
    if (wasRelistening) await Promise.race([once(this.server, 'listening'), once(this.server, 'error')]).catch(() => {});
    // Closing a libuv stream closes its fd at once, so the port is free when this returns.
    if (this.server.listening) this.server.close();
    await this.core.teardown();
  }

  /** Admission by the local cap: serve within it; at it, the mode's treatment. */
  arrived(socket: ServedSocket, core: Serving<ServedSocket>): void {
    if (this.state === 'closed') {
      core.turnAway(socket, 'reset');
      return;
    }
    const cap = this.options.maxConns;
    if (cap !== null && core.openCount >= cap) {
      this.overLimit++;
      if (this.options.overLimit === 'evict') {
        const oldest = core.oldest();
        if (oldest !== undefined) core.closeByServer(oldest, 'evicted');
      } else {
        // close; reset; refuse (connections accepted in the same batch as the one that filled the cap); ignore
        // without a worker, which startTargetServer never builds.
        core.turnAway(socket, this.options.overLimit === 'close' ? 'close' : 'reset');
        return;
      }
    }
    core.serve(socket, this.nextId++);
    if (cap !== null && core.openCount >= cap) {
      if (this.options.overLimit === 'refuse') this.pauseListening();
      // Last, because the ignore worker blocks in here (and may tear everything down once woken).
      this.onCapReached?.(this);
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
    if (this.state !== 'paused' || cap === null || this.core.openCount >= cap) return;
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
}
