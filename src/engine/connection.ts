/**
 * One connection as the pool keeps it: where it is in its life (`ConnState`), its times and what the server said.
 * Plain fields on one object, which hangs off its socket (or its fd in the native transport): no closures per
 * connection. Only ConnectionPool (connection-pool.ts) changes them.
 */
import type net from 'node:net';
import type { FailurePhase } from '../types/pool-counters.js';
import type { TransportConn } from './transport.js';

/** Where a connection is: asked for, connecting, open (settling or awaiting the reply), held, or over. */
export const enum ConnState {
  Queued,
  Connecting,
  Established,
  Held,
  Done,
}

/** Bytes of the server's first words kept per connection for the report. */
export const FIRST_BYTES_KEPT = 200;

/** Where a connection in `state` was when it failed: connecting (or not started), open but not held, or held. */
export function failurePhase(state: ConnState): FailurePhase {
  return state === ConnState.Connecting || state === ConnState.Queued ? 'connect' : state === ConnState.Held ? 'held' : 'established';
}

export class Connection implements TransportConn {
  state = ConnState.Queued;
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
