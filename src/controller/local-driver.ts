/**
 * The driver for one process: a thin adapter over one ConnectionPool.
 */
import { ConnectionPool, type EngineConfig, type FailureRecord, type PoolCounters } from '../engine/connection-pool.js';
import type { Histogram } from '../metrics/histogram.js';
import type { ParticipantSummary } from '../metrics/result.js';
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
  async close(): Promise<void> {
    this.pool.close();
  }
}
