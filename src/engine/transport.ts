/**
 * The socket layer under ConnectionPool: open, write, reset, read the local port, change keepalive, and report
 * what happened back to the pool. The pool's state machine (counters, queues, matching, reconnect) is written once
 * over this interface; two layers implement it: Node's net/tls (`NodeTransport`, below) and the native core
 * (`native-transport.ts`, epoll in C, no net.Socket per connection).
 */
import { createRequire } from 'node:module';
import net from 'node:net';
import type tls from 'node:tls';
import type { SystemError } from '../errors.js';
import type { EngineName, TlsSettings } from '../types/pool-config.js';
import type { KernelSocketInfo } from './handshake-audit.js';
import { growFdTable } from './process-readiness.js';


const require = createRequire(import.meta.url);
let tlsLoaded: typeof tls | null = null;
/** node:tls on the first TLS connect: loading it costs 2.6 ms of start-up that a plain TCP run would pay for nothing. */
function tlsModule(): typeof tls {
  tlsLoaded ??= require('node:tls') as typeof tls;
  return tlsLoaded;
}

/** What a transport needs of a connection record: the pool keeps everything else. */
export interface TransportConn {
  readonly id: number;
  /** The JS transport's socket; null on the native one. */
  socket: net.Socket | null;
  /** The native transport's handle (the socket's fd); -1 when none. */
  fd: number;
}

/** Where a transport reports. Methods (not function fields): each receives the pool's own record type. */
export interface TransportSink<C extends TransportConn> {
  /**
   * TCP connected; `connectMs` as the transport measured it, or null for the pool to measure from its start;
   * `synRetransmits`: SYNs the kernel resent before the handshake completed, or null where the transport cannot
   * ask the kernel (Node's sockets have no TCP_INFO).
   */
  handleConnect(conn: C, connectMs: number | null, synRetransmits: number | null): void;
  handleSecureConnect(conn: C): void;
  handleSession(conn: C): void;
  handleData(conn: C, chunk: Buffer): void;
  /**
   * The server closed its side (FIN). `segsInAtClose`: for a connection that got no bytes, the segments it had
   * received (TCP_INFO), where the transport can ask the kernel; null otherwise.
   */
  handleEnd(conn: C, segsInAtClose?: number | null): void;
  handleError(conn: C, err: SystemError, segsInAtClose?: number | null): void;
  /** Closed without an end or error first. */
  handleClose(conn: C): void;
}

export interface ConnectRequest {
  address: string;
  family: 4 | 6;
  port: number;
  localAddress: string | undefined;
  /** 0: keepalive off. */
  keepAliveMs: number;
  /** Bytes of what the server sends that the pool wants to see; the rest is only counted. */
  keepBytes: number;
}

export interface TlsConnectOptions {
  servername: string | undefined;
  rejectUnauthorized: boolean;
  ca: string | undefined;
}

export interface Transport<C extends TransportConn> {
  readonly name: EngineName;
  /** Start a connect. Throws a SystemError when it fails at once (bad local address, no fds). */
  connect(conn: C, req: ConnectRequest): void;
  write(conn: C, bytes: Uint8Array): void;
  /** Close: an open connection with RST (no TIME_WAIT left behind) when `rst`, quietly otherwise. */
  close(conn: C, rst: boolean): void;
  /** The connection still has a socket. */
  isOpen(conn: C): boolean;
  /** The socket as this layer's kernelSockets (or, without it, ss) names it for the handshake audit. */
  auditKey(conn: C): string | undefined;
  setKeepAlive(conn: C, delayMs: number): void;
  /** TLS 1.3 negotiated (the JS transport only). */
  isTls13(conn: C): boolean;
  /** TCP_INFO of this layer's own open sockets, where it can read it itself; null where only ss can (Node's). */
  kernelSockets(): KernelSocketInfo[] | null;
  /** Release the layer itself (after every connection is closed). */
  shutdown(): void;
}

/** Node's options for a TLS connect to `address`: the SNI name is --servername, else the host when it is a name. */
function tlsOptions(settings: TlsSettings, address: string): TlsConnectOptions {
  return {
    servername: settings.servername ?? (net.isIP(address) === 0 ? address : undefined),
    rejectUnauthorized: !settings.insecure,
    ca: settings.ca ?? undefined,
  };
}

/** The record and its pool hang off the socket so one shared handler per event serves every socket. */
const CONN = Symbol('tcpprobe.connection');
const SINK = Symbol('tcpprobe.sink');
type TrackedSocket = net.Socket & { [CONN]: TransportConn; [SINK]: TransportSink<TransportConn> };

/** Node's net (or tls) sockets. */
export class NodeTransport<C extends TransportConn> implements Transport<C> {
  readonly name = 'js';

  /** `tls`: TLS connections with these settings; null: plain TCP. */
  constructor(
    private readonly sink: TransportSink<C>,
    private readonly tls: TlsSettings | null,
  ) {
    // As the native core does when its Core is made: the fd table grows once, off this thread, before the sockets.
    growFdTable();
  }

  connect(conn: C, req: ConnectRequest): void {
    const base: net.TcpNetConnectOpts = {
      host: req.address,
      port: req.port,
      family: req.family,
      localAddress: req.localAddress,
      keepAlive: req.keepAliveMs > 0,
      keepAliveInitialDelay: req.keepAliveMs,
    };
    let socket: net.Socket;
    if (this.tls === null) {
      socket = net.connect(base);
    } else {
      socket = tlsModule().connect({ ...base, ...tlsOptions(this.tls, req.address) });
      socket.on('secureConnect', onSecureConnect);
      socket.on('session', onSession);
    }
    const tracked = socket as TrackedSocket;
    tracked[CONN] = conn;
    tracked[SINK] = this.sink as TransportSink<TransportConn>;
    conn.socket = socket;
    socket.on('connect', onConnect);
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.on('close', onClose);
  }

  write(conn: C, bytes: Uint8Array): void {
    conn.socket?.write(bytes);
  }

  close(conn: C, rst: boolean): void {
    const socket = conn.socket;
    conn.socket = null;
    if (socket === null || socket.destroyed) return;
    // A socket still connecting has no connection to reset; destroying it sends nothing. TLS sockets cannot RST.
    if (rst && this.tls === null) socket.resetAndDestroy();
    else socket.destroy();
  }

  isOpen(conn: C): boolean {
    return conn.socket !== null && !conn.socket.destroyed;
  }

  /** As ss prints the local end: "127.0.0.4:40001", "[::1]:40001". */
  auditKey(conn: C): string | undefined {
    const address = conn.socket?.localAddress;
    const port = conn.socket?.localPort;
    if (address === undefined || port === undefined) return undefined;
    return `${address.includes(':') ? `[${address}]` : address}:${port}`;
  }

  setKeepAlive(conn: C, delayMs: number): void {
    conn.socket?.setKeepAlive(true, delayMs);
  }

  kernelSockets(): null {
    return null;
  }

  isTls13(conn: C): boolean {
    return (conn.socket as tls.TLSSocket | null)?.getProtocol?.() === 'TLSv1.3';
  }

  shutdown(): void {}
}

/* Shared socket handlers: one function object per event for all sockets; `this` is the socket. */
function onConnect(this: net.Socket): void {
  const s = this as TrackedSocket;
  s[SINK].handleConnect(s[CONN], null, null);
}
function onSecureConnect(this: net.Socket): void {
  const s = this as TrackedSocket;
  s[SINK].handleSecureConnect(s[CONN]);
}
function onSession(this: net.Socket): void {
  const s = this as TrackedSocket;
  s[SINK].handleSession(s[CONN]);
}
function onData(this: net.Socket, chunk: Buffer): void {
  const s = this as TrackedSocket;
  s[SINK].handleData(s[CONN], chunk);
}
function onEnd(this: net.Socket): void {
  const s = this as TrackedSocket;
  s[SINK].handleEnd(s[CONN]);
}
function onError(this: net.Socket, err: Error): void {
  const s = this as TrackedSocket;
  s[SINK].handleError(s[CONN], err as SystemError);
}
function onClose(this: net.Socket): void {
  const s = this as TrackedSocket;
  s[SINK].handleClose(s[CONN]);
}
