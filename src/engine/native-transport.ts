/**
 * The native socket layer (native/tcpcore.c): sockets opened, held, read and reset in C over one epoll set, with
 * what happened handed over in one batch per event-loop turn. A connection here is the pool's record plus an fd:
 * no net.Socket, no stream state, no per-socket closures (docs/native-engine.md).
 */
import os from 'node:os';
import type { SystemError } from '../errors.js';
import type { ConnectRequest, Transport, TransportConn, TransportSink } from './transport.js';
import type { KernelSocketInfo } from './handshake-audit.js';
import { loadAddon, type NativeCore } from './native-addon.js';

/** Numbers per socket in tcpInfo()'s answer (TCPINFO_WORDS in tcpcore.c): fd, id, segs in, bytes in, last rcv. */
const TCP_INFO_WORDS = 5;

/** Record kinds, as in tcpcore.c. */
const EV_ESTABLISHED = 1;
const EV_DATA = 2;
const EV_CLOSED = 3;
const EV_FAILED = 4;

const errnoNames = new Map<number, string>(Object.entries(os.constants.errno).map(([name, n]) => [n, name]));

function systemError(errno: number, syscall: string, where: string): SystemError {
  const code = errnoNames.get(errno) ?? `E${errno}`;
  const err: SystemError = new Error(`${syscall} ${code}${where === '' ? '' : ` ${where}`}`);
  err.code = code;
  err.errno = -errno;
  err.syscall = syscall;
  return err;
}

export interface NativeOptions {
  /** Bind source addresses with IP_BIND_ADDRESS_NO_PORT, or else with SO_REUSEADDR (docs/native-engine.md). */
  bindNoPort: boolean;
}

export class NativeTransport<C extends TransportConn> implements Transport<C> {
  readonly name = 'native';
  private readonly core: NativeCore;
  private readonly words: number;
  /** Connection records by fd: what the batched records name. */
  private readonly byFd: (C | undefined)[] = [];

  constructor(
    private readonly sink: TransportSink<C>,
    options: NativeOptions,
  ) {
    const addon = loadAddon();
    if (typeof addon === 'string') throw new Error(`native engine: ${addon}`);
    this.words = addon.RECORD_WORDS;
    this.core = new addon.Core(this.onBatch, options);
  }

  connect(conn: C, req: ConnectRequest): void {
    // TCP_KEEPIDLE is in whole seconds, as libuv sets it for Node's sockets.
    const keepS = req.keepAliveMs > 0 ? Math.max(1, Math.floor(req.keepAliveMs / 1000)) : 0;
    const fd = this.core.connect(conn.id, req.address, req.port, req.family, req.localAddress ?? '', keepS, req.keepBytes);
    if (fd < 0) {
      const where = req.localAddress === undefined ? `${req.address}:${req.port}` : `${req.address}:${req.port} from ${req.localAddress}`;
      throw systemError(-fd, 'connect', where);
    }
    conn.fd = fd;
    this.byFd[fd] = conn;
  }

  write(conn: C, bytes: Uint8Array): void {
    if (conn.fd < 0) return;
    const r = this.core.write(conn.fd, conn.id, bytes);
    // The core could not keep what the kernel did not take (out of memory): this connection will never send its
    // bytes, so it fails, on our side ('memory'), after the caller's turn as a socket's write error would.
    if (r < 0) queueMicrotask(() => this.sink.handleError(conn, systemError(-r, 'write', '')));
  }

  close(conn: C, rst: boolean): void {
    const fd = conn.fd;
    if (fd < 0) return;
    conn.fd = -1;
    if (this.byFd[fd] === conn) this.byFd[fd] = undefined;
    this.core.reset(fd, conn.id, rst);
  }

  isOpen(conn: C): boolean {
    return conn.fd >= 0;
  }

  auditKey(conn: C): string | undefined {
    return conn.fd < 0 ? undefined : `${conn.fd}/${conn.id}`;
  }

  setKeepAlive(conn: C, delayMs: number): void {
    if (conn.fd >= 0) this.core.setKeepAlive(conn.fd, conn.id, Math.max(1, Math.floor(delayMs / 1000)));
  }

  isTls13(): boolean {
    return false;
  }

  kernelSockets(): KernelSocketInfo[] {
    const words = this.core.tcpInfo();
    const out: KernelSocketInfo[] = [];
    for (let i = 0; i + TCP_INFO_WORDS <= words.length; i += TCP_INFO_WORDS) {
      const last = words[i + 4] as number;
      out.push({
        key: `${words[i] as number}/${words[i + 1] as number}`,
        segsIn: words[i + 2] as number,
        bytesReceived: words[i + 3] as number,
        lastRcvMs: last < 0 ? null : last,
      });
    }
    return out;
  }

  /** Sockets the core still has open (every one is closed after shutdown). */
  openSockets(): number {
    return this.core.stats().openFds;
  }

  shutdown(): void {
    this.core.close();
    this.byFd.length = 0;
  }

  /** One call per event-loop turn with every record of that turn: kind, fd, id, a, b. */
  private readonly onBatch = (records: Int32Array, data: Buffer): void => {
    const sink = this.sink;
    const words = this.words;
    for (let i = 0; i + words <= records.length; i += words) {
      const fd = records[i + 1] as number;
      const conn = this.byFd[fd];
      // Closed by the pool earlier in this batch (and perhaps reused): the record is stale.
      if (conn === undefined || conn.id !== records[i + 2]) continue;
      const a = records[i + 3] as number;
      switch (records[i]) {
        case EV_ESTABLISHED: {
          // b: SYNs the kernel resent before the handshake completed (TCP_INFO), -1 when it could not say.
          const resent = records[i + 4] as number;
          sink.handleConnect(conn, a / 1000, resent < 0 ? null : resent);
          break;
        }
        case EV_DATA: {
          const end = a + (records[i + 4] as number);
          // A copy: a view would keep the whole batch buffer alive for as long as the pool keeps the first bytes.
          sink.handleData(conn, Buffer.from(data.subarray(a, end)));
          break;
        }
        case EV_CLOSED: {
          // a: bytes received; b: segments received, for one that got no bytes (0: the kernel could not say).
          const segs = records[i + 4] as number;
          sink.handleEnd(conn, a === 0 && segs > 0 ? segs : null);
          break;
        }
        case EV_FAILED: {
          // b: 0 for a failed connect; for a failed read, 1 plus the segments received (as for EV_CLOSED).
          const b = records[i + 4] as number;
          sink.handleError(conn, systemError(a, b >= 1 ? 'read' : 'connect', ''), b > 1 ? b - 1 : null);
          break;
        }
        default:
          throw new Error(`native engine: unknown record kind ${records[i]}`);
      }
    }
  };
}
