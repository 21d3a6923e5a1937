/**
 * The admission ledger of `tcpprobe serve --workers N`, kept by the primary (multi-process.ts): how many admitted
 * connections each worker process holds, with a cap which ones (by the id of their grant), and the target's counts.
 * The open count is kept once, per worker; the total is their sum, so no two numbers can drift apart. Pure: what a
 * verb decides is returned, and the caller tells the workers.
 */
import type { TargetServerOptions } from './target-server.js';
import { emptyServeCounts, type ServeCounts } from './target-stats.js';

/** A connection the ledger took back to make room ('evict' mode): its worker closes it (FIN). */
export interface Eviction<W> {
  id: number;
  worker: W;
}

/** The answer to one `want`: grant ids firstId .. firstId + granted - 1, turn away `denied`, close `evicted`. */
export interface AdmissionDecision<W> {
  firstId: number;
  granted: number;
  denied: number;
  evicted: Eviction<W>[];
}

/** What the ledger of one target needs to know; W identifies a worker (its slot in the primary). */
export type LedgerLimits = Pick<TargetServerOptions, 'maxConns' | 'overLimit'>;

export class AdmissionLedger<W> {
  /** Admitted connections open now, per worker: the one open count. */
  private readonly openBy = new Map<W, number>();
  /**
   * With a cap, the ids open now and who holds each, oldest first (a Map keeps insertion order): whether a reported
   * close still counts (not if evicted meanwhile), and which connection is the oldest.
   */
  private readonly held = new Map<number, W>();
  private nextId = 1;
  private readonly tally: ServeCounts = emptyServeCounts();

  constructor(private readonly limits: LedgerLimits) {}

  /** Admitted connections open now, over all workers. */
  get open(): number {
    let sum = 0;
    for (const n of this.openBy.values()) sum += n;
    return sum;
  }

  openOf(worker: W): number {
    return this.openBy.get(worker) ?? 0;
  }

  /** A copy of the counts (accepted, over the limit, closes, peak). */
  counts(): ServeCounts {
    return { ...this.tally };
  }

  /** With a cap, the count is at it: a `want` now gets denials, or evictions in 'evict' mode. */
  atCap(): boolean {
    return this.limits.maxConns !== null && this.open >= this.limits.maxConns;
  }

  /** `worker` accepted `count` connections and asks to serve them (with a cap): grant what fits, in order. */
  admit(worker: W, count: number): AdmissionDecision<W> {
    const decision: AdmissionDecision<W> = { firstId: this.nextId, granted: 0, denied: 0, evicted: [] };
    for (let i = 0; i < count; i++) {
      if (this.atCap()) {
        this.tally.overLimit++;
        if (this.limits.overLimit !== 'evict') {
          decision.denied++; // close, reset; refuse: the connections accepted before every copy was closed
          continue;
        }
        const oldest = this.evictOldest();
        if (oldest !== null) decision.evicted.push(oldest);
      }
      this.held.set(this.nextId++, worker);
      this.add(worker, 1);
      this.tally.accepted++;
      decision.granted++;
    }
    this.notePeak();
    return decision;
  }

  /** `worker` admitted `count` connections on its own (without a cap). */
  opened(worker: W, count: number): void {
    this.add(worker, count);
    this.tally.accepted += count;
    this.notePeak();
  }

  /** A worker turned `count` connections away by itself, told that the count is at the cap. */
  turnedAway(count: number): void {
    this.tally.overLimit += count;
  }

  /**
   * `worker` reports admitted connections closed, by the client or by itself (`closeAfterMs`). With a cap, by id:
   * one evicted meanwhile was counted then. Without one, ids are the worker's own and only their number counts.
   */
  closed(worker: W, byClient: readonly number[], byServer: readonly number[]): void {
    if (this.limits.maxConns === null) {
      this.add(worker, -(byClient.length + byServer.length));
      this.tally.closedByClient += byClient.length;
      this.tally.closedByServer += byServer.length;
      return;
    }
    for (const id of byClient) if (this.release(worker, id)) this.tally.closedByClient++;
    for (const id of byServer) if (this.release(worker, id)) this.tally.closedByServer++;
  }

  /** `worker` died: the kernel closed what it held; counted as server closes. Returns how many that was. */
  workerGone(worker: W): number {
    for (const [id, holder] of this.held) {
      if (holder === worker) this.held.delete(id);
    }
    const lost = this.openOf(worker);
    this.openBy.delete(worker);
    this.tally.closedByServer += lost;
    return lost;
  }

  /** The target shuts down: nothing is open any more (the teardown is not counted as closes). */
  clear(): void {
    this.openBy.clear();
    this.held.clear();
  }

  private evictOldest(): Eviction<W> | null {
    const oldest = this.held.entries().next().value;
    if (oldest === undefined) return null;
    const [id, worker] = oldest;
    this.held.delete(id);
    this.add(worker, -1);
    this.tally.closedByServer++;
    return { id, worker };
  }

  /** Take `id` off `worker`'s count; false when it was not open there (evicted, or its worker was lost). */
  private release(worker: W, id: number): boolean {
    if (this.held.get(id) !== worker) return false;
    this.held.delete(id);
    this.add(worker, -1);
    return true;
  }

  private add(worker: W, delta: number): void {
    this.openBy.set(worker, this.openOf(worker) + delta);
  }

  private notePeak(): void {
    const open = this.open;
    if (open > this.tally.peakOpen) this.tally.peakOpen = open;
  }
}
