/**
 * The driver for one process: a thin adapter over one ConnectionPool.
 */
import { ConnectionPool, type EngineConfig, type FailureRecord, type PoolCounters } from '../engine/connection-pool.js';
import type { Histogram } from '../metrics/histogram.js';
import type { HandshakeAudit, ParticipantSummary } from '../metrics/result.js';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  confirmedNeverCompleted,
  confirmWaitMs,
  handshakeSuspects,
  readKernelSockets,
  type KernelSocketInfo,
} from '../engine/handshake-audit.js';
import type { PoolEventListener, ProbeDriver } from './driver.js';

export class LocalDriver implements ProbeDriver {
  readonly pool: ConnectionPool;

  constructor(
    private readonly engine: EngineConfig,
    onEvent: PoolEventListener | null = null,
  ) {
    this.pool = new ConnectionPool(engine, onEvent);
  }

  open(count: number): void {
    this.pool.open(count);
  }
  dropQueued(): void {
    this.pool.dropQueued();
  }
  stopOpening(): void {
    this.pool.stopOpening();
  }
  counters(): PoolCounters {
    return this.pool.counters();
  }
  firstFailures(): FailureRecord[] {
    return [...this.pool.firstFailures.values()].sort((a, b) => a.atMs - b.atMs);
  }
  connectLatency(): Histogram {
    return this.pool.connectLatency;
  }
  tlsLatency(): Histogram | null {
    return this.engine.tls === null ? null : this.pool.tlsLatency;
  }
  participants(): ParticipantSummary[] {
    return [];
  }
  async auditHandshakes(maxWaitMs: number, signal?: AbortSignal): Promise<HandshakeAudit> {
    const held = new Set(this.pool.heldLocalPorts());
    const audit: HandshakeAudit = { ran: true, checked: held.size, suspects: 0, neverCompleted: 0, note: null };
    if (held.size === 0) return audit;
    const first = await this.kernelView();
    if (first === null) return { ...audit, ran: false, note: 'ss (iproute2) is not available to read TCP_INFO' };
    const suspects = handshakeSuspects(first, held);
    audit.suspects = suspects.length;
    if (suspects.length === 0) return audit;
    const waitMs = Math.min(confirmWaitMs(suspects), maxWaitMs);
    try {
      await sleep(waitMs, undefined, { signal });
    } catch {
      return { ...audit, note: 'interrupted before the suspects could be confirmed' };
    }
    const later = await this.kernelView();
    if (later === null) return { ...audit, note: 'ss failed on the second look' };
    audit.neverCompleted = this.pool.takeBackNeverCompleted(confirmedNeverCompleted(suspects, later));
    return audit;
  }

  private async kernelView(): Promise<KernelSocketInfo[] | null> {
    const all: KernelSocketInfo[] = [];
    for (const t of this.engine.targets) {
      const part = await readKernelSockets(t.address, t.port);
      if (part === null) return null;
      all.push(...part);
    }
    return all;
  }

  async close(): Promise<void> {
    this.pool.close();
  }
}
