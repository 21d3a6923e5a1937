/**
 * What a pool says about its failures: each as a record (class, code, phase, when, what the server had said), the
 * first of each class kept for the result, and every one told to the listener of per-connection events when there
 * is one. Without a listener a failure of a class already kept builds no record: a flood of refusals costs counts
 * only (the tally, pool-tally.ts).
 */
import type { SystemError } from '../errors.js';
import type { FailureClass } from '../types/failure-class.js';
import type { FailurePhase, FailureRecord, PoolEvent } from '../types/pool-counters.js';
import type { Connection } from './connection.js';
import { escapeBytes } from './matcher.js';

export class FailureLog {
  /** The first failure of each class. */
  readonly firsts = new Map<FailureClass, FailureRecord>();

  /** @param startedAt performance.now() when the pool was created: records count their `atMs` from there */
  constructor(
    private readonly onEvent: ((e: PoolEvent) => void) | null,
    private readonly startedAt: number,
  ) {}

  /**
   * `conn` failed in `phase` at `nowAbs` (performance.now()). `err` gives the code and message; otherwise
   * `message` (or the class) says what happened.
   */
  record(conn: Connection, cls: FailureClass, err: SystemError | null, message: string | undefined, phase: FailurePhase, nowAbs: number): void {
    if (this.onEvent === null && this.firsts.has(cls)) return;
    const record: FailureRecord = {
      class: cls,
      code: err?.code ?? null,
      message: err?.message ?? message ?? cls,
      phase,
      atMs: nowAbs - this.startedAt,
      afterConnectMs: phase === 'connect' ? null : Math.round((nowAbs - conn.connectedAt) * 1000) / 1000,
      serverSaid: conn.firstBytes === null ? null : escapeBytes(conn.firstBytes),
      connId: conn.id,
      sourceAddress: conn.sourceAddress,
    };
    if (!this.firsts.has(cls)) this.firsts.set(cls, record);
    this.onEvent?.({ kind: 'failed', connId: conn.id, atMs: record.atMs, failure: record });
  }
}
