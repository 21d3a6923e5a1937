/**
 * A pool's settings (PoolConfig): what the socket engine is asked to do, with the resolved targets, proof of
 * service and TLS; and the socket layer's name (EngineName: "engine" means the socket layer and nothing else).
 * Plain data at the ground floor (src/types/): config builds it, worker processes and agents carry it across
 * processes, the engine reads it. Imports nothing.
 */

/** The socket layer: Node's net/tls or the native core (epoll in C, no TLS). */
export type EngineName = 'native' | 'js';

/** A reply matcher for proof of service (--expect, --reject): plain data so it crosses process boundaries. */
export type Matcher = { kind: 'text'; text: string } | { kind: 'regex'; source: string; flags: string };

/** One resolved target address. */
export interface TargetAddress {
  address: string;
  family: 4 | 6;
  port: number;
}

/** Proof of service: what to send after connecting and which reply proves the application serves us. */
export interface ServiceCheck {
  send: Uint8Array | null;
  expect: Matcher | null;
  reject: Matcher | null;
  /** How long to wait for the expected reply before the connection is "unserved". */
  expectTimeoutMs: number;
}

export interface TlsSettings {
  servername: string | null;
  /** Accept any certificate (self-signed test servers). */
  insecure: boolean;
  /** Extra CA certificates (PEM). */
  ca: string | null;
}

/** One pool's settings: where it connects from and to, and how. */
export interface PoolConfig {
  /** Round-robin over these; pass one to pin a single address. */
  targets: readonly TargetAddress[];
  /** Local addresses to bind, round-robin; empty lets the kernel choose. Ignored with `sourceSchedule`. */
  sourceAddresses: readonly string[];
  /**
   * Instead of round-robin: from the n-th connect this pool starts (reconnects included), bind this address
   * (null: the kernel chooses). Sorted by `fromConnection`, the first at 0. Sources added as a run grows.
   */
  sourceSchedule?: readonly SourceStep[];
  /** Connects started but not finished, at most. */
  maxInflight: number;
  connectTimeoutMs: number;
  /** TCP keepalive initial delay; 0 disables keepalive. */
  keepAliveMs: number;
  /** An established connection counts as held after this long without being closed (ignored with `expect`). */
  settleMs: number;
  /** Reopen a connection the server closed, after `reconnectDelayMs`. */
  reconnect: boolean;
  /**
   * Reconnect only connections that had been held (a ramp: a failed new connect is its signal, not something to
   * retry); otherwise every failure and loss is reopened (hold). Default false.
   */
  reconnectHeldOnly?: boolean;
  reconnectDelayMs: number;
  service: ServiceCheck | null;
  tls: TlsSettings | null;
  /** The socket layer: Node's net/tls (default) or the native core, which has no TLS. */
  engine?: EngineName;
  /**
   * The native core binds source addresses with IP_BIND_ADDRESS_NO_PORT (the port is chosen at connect(), for the
   * whole 4-tuple); false binds with SO_REUSEADDR as libuv does, whose bind-time port search slows past about 7,000
   * per address (docs/native-engine.md; $TCPPROBE_NATIVE_BIND=reuseaddr, read where the config is assembled).
   * Default true. Like `engine`, this machine's choice: a fleet's run spec does not carry it.
   */
  nativeBindNoPort?: boolean;
}

/** The pool settings that do not depend on the machine running the pool (targets and sources do). */
export type PoolSettings = Omit<PoolConfig, 'targets' | 'sourceAddresses'>;

/** From this connect on, bind `address` (null: the kernel chooses). */
export interface SourceStep {
  fromConnection: number;
  address: string | null;
}
