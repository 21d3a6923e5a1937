/**
 * A driver whose resources follow the held count: it starts as one local pool connecting from the kernel's
 * choice of source address, adds 127.x source addresses and worker processes only as the run's connections reach
 * what one address or one process takes (src/preflight/growth-plan.ts), and records when and why each was added.
 * To the ramp it is one ProbeDriver like any other.
 */
import { getMaxListeners, setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { PoolConfig } from '../types/pool-config.js';
import type { FailureRecord, PoolCounters } from '../types/pool-counters.js';
import { LocalDriver } from './local-driver.js';
import type { DriverParticipant, DriverResources, PoolEventListener, ProbeDriver } from '../controller/driver.js';
import type { Histogram } from '../metrics/histogram.js';
import type { HandshakeAudit, ResourceChange } from '../metrics/result.js';
import type { FirstSynLog } from '../types/first-syn.js';
import {
  processForConnection,
  sourceForConnection,
  sourceScheduleFor,
  type GrowthPolicy,
} from '../preflight/growth-plan.js';
import { CONNECTIONS_PER_LOOPBACK_SOURCE, UNBOUND_LOOPBACK_MAX_CONNECTIONS } from '../preflight/source-plan.js';
import { mergeFirstFailures, mergeHandshakeAudits, MergedHistogram, PeakHeld, sumCounters } from './telemetry-merge.js';
import { startWorkerGroup } from './worker-group.js';

/** Start the next process's pool; `index` 1 is the first worker. */
export type SpawnWorker = (engine: PoolConfig, index: number) => Promise<ProbeDriver>;

/**
 * A worker is started once the connects made come this close to its share (a fraction of one process's share):
 * made, not asked for, since what is asked may wait in a queue and be dropped at the first failure.
 */
const PRESPAWN_FRACTION = 0.25;

interface Part {
  name: string;
  driver: ProbeDriver | null;
  /** Connections asked of this part before its process was ready. */
  pending: number;
  ready: Promise<void>;
  maxHeld: number;
  /** Of this part's share, the connects whose source addresses are recorded: those its counters say started. */
  noted: number;
}

export class ElasticDriver implements ProbeDriver {
  private readonly parts: Part[];
  private readonly t0 = performance.now();
  private asked = 0;
  private readonly peak = new PeakHeld();
  private readonly mergedConnect = new MergedHistogram();
  private readonly mergedTls = new MergedHistogram();
  private opening = true;
  private readonly changes: ResourceChange[] = [];
  private readonly sources: string[] = [];

  constructor(
    private readonly engine: PoolConfig,
    private readonly policy: GrowthPolicy,
    onEvent: PoolEventListener | null = null,
    private readonly spawn: SpawnWorker = (e, i) => startWorkerGroup(e, 1, 10_000, i - 1),
  ) {
    const local = new LocalDriver({ ...engine, sourceAddresses: [], sourceSchedule: sourceScheduleFor(0, policy) }, onEvent);
    this.parts = [{ name: 'main', driver: local, pending: 0, ready: Promise.resolve(), maxHeld: 0, noted: 0 }];
  }

  /**
   * The source addresses connections were bound to so far (empty: only the kernel's choice), and when and why
   * source addresses and processes were added, in order.
   */
  resources(): DriverResources {
    const drivers = this.drivers();
    this.noteStarted(drivers, drivers.map((d) => d.counters()));
    return { sourceAddresses: [...this.sources], changes: [...this.changes] };
  }

  open(count: number): void {
    if (!this.opening || count <= 0) return;
    let k = this.asked;
    this.asked += count;
    let remaining = count;
    while (remaining > 0) {
      const p = processForConnection(k, this.policy);
      const end = p === this.policy.maxProcesses - 1 ? Number.POSITIVE_INFINITY : (p + 1) * this.policy.perProcess;
      const n = Math.min(remaining, end - k);
      const part = this.partFor(p, k);
      if (part.driver !== null) part.driver.open(n);
      else part.pending += n;
      k += n;
      remaining -= n;
    }
  }

  /** Start the next process ahead of need, from the connects the parts have started (`counters()` reads them). */
  private spawnAhead(started: number): void {
    if (!this.opening) return;
    const ahead = processForConnection(started + Math.ceil(this.policy.perProcess * PRESPAWN_FRACTION), this.policy);
    if (ahead >= this.parts.length) this.partFor(ahead, started);
  }

  /**
   * Record the source addresses of the connects that started: asked-for ones may wait in a queue and be dropped
   * (at the first failure), and a source is only added once a connect is made from it.
   */
  private noteStarted(drivers: readonly ProbeDriver[], each: readonly PoolCounters[]): void {
    if (!this.policy.loopbackSources) return;
    this.parts.forEach((part, p) => {
      const i = part.driver === null ? -1 : drivers.indexOf(part.driver);
      if (i < 0 || !this.ownsItsDriver(part)) return;
      const share = p === this.policy.maxProcesses - 1 ? Number.POSITIVE_INFINITY : this.policy.perProcess;
      const started = Math.min(share, (each[i] as PoolCounters).attempted);
      if (started <= part.noted) return;
      const first = p * this.policy.perProcess;
      this.noteSources(first + part.noted, first + started);
      part.noted = started;
    });
  }

  /** False for a part whose process could not start: it shares the first one's driver, and its counters. */
  private ownsItsDriver(part: Part): boolean {
    return part.driver !== null && this.parts.findIndex((x) => x.driver === part.driver) === this.parts.indexOf(part);
  }

  /** Record each source address whose first connection is among the run's connections [from, to). */
  private noteSources(from: number, to: number): void {
    if (!this.policy.loopbackSources) return;
    const U = UNBOUND_LOOPBACK_MAX_CONNECTIONS;
    const S = CONNECTIONS_PER_LOOPBACK_SOURCE;
    for (let i = Math.max(0, Math.ceil((from - U) / S)); U + i * S < to; i++) {
      const k = U + i * S;
      const address = sourceForConnection(k, this.policy);
      if (address === null || this.sources.includes(address)) continue;
      this.sources.push(address);
      this.changes.push({
        atMs: Math.round(performance.now() - this.t0),
        kind: 'source-address',
        name: address,
        atConnections: k,
        reason:
          this.sources.length === 1
            ? `${U.toLocaleString('en-US')} connections from the kernel's address: connect() slows past about 14,000 to one destination`
            : `${S.toLocaleString('en-US')} connections on the previous address: the plan keeps each below where bound connects slow (about 7,000 when bind() picks the port, as the JS engine's do)`,
      });
    }
  }

  /** The part for process `p`, starting processes up to it (each reported) if they are not there yet. */
  private partFor(p: number, atConnections: number): Part {
    while (this.parts.length <= p) {
      const index = this.parts.length;
      const part: Part = { name: `worker-${index}`, driver: null, pending: 0, ready: Promise.resolve(), maxHeld: 0, noted: 0 };
      const engine: PoolConfig = { ...this.engine, sourceAddresses: [], sourceSchedule: sourceScheduleFor(index, this.policy) };
      part.ready = this.spawn(engine, index).then(
        (driver) => {
          part.driver = driver;
          if (!this.opening) driver.stopOpening();
          else if (part.pending > 0) driver.open(part.pending);
          part.pending = 0;
        },
        () => {
          // No process could be started: this one takes the share and meets its own limit (fd-limit, an
          // inconclusive verdict), rather than the connections being silently lost.
          part.driver = this.parts[0]?.driver ?? null;
          if (part.pending > 0 && this.opening) part.driver?.open(part.pending);
          part.pending = 0;
        },
      );
      this.changes.push({
        atMs: Math.round(performance.now() - this.t0),
        kind: 'process',
        name: part.name,
        atConnections,
        reason: `one process holds at most ${this.policy.perProcess.toLocaleString('en-US')} connections (open-files limit less a reserve)`,
      });
      this.parts.push(part);
    }
    return this.parts[p] as Part;
  }

  private drivers(): ProbeDriver[] {
    const out: ProbeDriver[] = [];
    for (const part of this.parts) if (part.driver !== null && !out.includes(part.driver)) out.push(part.driver);
    return out;
  }

  pauseReconnects(paused: boolean): void {
    for (const d of this.drivers()) d.pauseReconnects(paused);
  }

  dropQueued(): void {
    for (const d of this.drivers()) d.dropQueued();
    for (const part of this.parts) part.pending = 0;
    // What was dropped was never made: the run's next connection is the one after the last asked for and kept, so
    // that a later connect is not placed as if the queue had been made (a source address or a process further on).
    // Only this process's count is known at once; with workers, their shares stay as they were placed.
    const main = this.parts[0]?.driver;
    if (this.parts.length === 1 && main !== null && main !== undefined) this.asked = main.counters().requested;
  }

  releaseAll(): void {
    this.dropQueued();
    for (const d of this.drivers()) d.releaseAll();
  }

  stopOpening(): void {
    this.opening = false;
    for (const d of this.drivers()) d.stopOpening();
    for (const part of this.parts) part.pending = 0;
  }

  /** Only while this process holds every connection: the audit took back (and reopens) only its own. */
  resumeOpening(): boolean {
    const main = this.parts[0]?.driver;
    if (this.parts.length !== 1 || main?.resumeOpening === undefined || !main.resumeOpening()) return false;
    this.opening = true;
    return true;
  }

  /** Only while this process makes every connect (see ProbeDriver.firstSynOutcomes). */
  firstSynOutcomes(): FirstSynLog | null {
    return this.parts.length === 1 ? (this.parts[0]?.driver?.firstSynOutcomes?.() ?? null) : null;
  }

  counters(): PoolCounters {
    const drivers = this.drivers();
    const pending = this.parts.reduce((sum, p) => sum + p.pending, 0);
    if (drivers.length === 1 && pending === 0) {
      const c = (drivers[0] as ProbeDriver).counters();
      this.noteStarted(drivers, [c]);
      this.spawnAhead(c.attempted);
      this.peak.observe(c.held);
      return c;
    }
    const each = drivers.map((d) => d.counters());
    this.noteStarted(drivers, each);
    this.parts.forEach((part) => {
      const i = part.driver === null ? -1 : drivers.indexOf(part.driver);
      if (i >= 0) part.maxHeld = Math.max(part.maxHeld, (each[i] as PoolCounters).held);
    });
    const sum = sumCounters(each);
    this.spawnAhead(sum.attempted);
    sum.requested += pending;
    sum.queued += pending;
    sum.peakHeld = this.peak.observe(sum.held);
    return sum;
  }

  firstFailures(): FailureRecord[] {
    return mergeFirstFailures(this.drivers().map((d) => d.firstFailures()));
  }

  // The parts are live pools and worker groups whose histograms change with every connect: merged on each read.
  connectLatency(): Histogram {
    this.mergedConnect.invalidate();
    return this.mergedConnect.read(this.drivers().map((d) => d.connectLatency()));
  }

  tlsLatency(): Histogram | null {
    const parts = this.drivers().flatMap((d) => d.tlsLatency() ?? []);
    if (parts.length === 0) return null;
    this.mergedTls.invalidate();
    return this.mergedTls.read(parts);
  }

  participants(): DriverParticipant[] {
    if (this.parts.length === 1) return [];
    const out: DriverParticipant[] = [];
    const main = this.parts[0] as Part;
    if (main.driver !== null) {
      const c = main.driver.counters();
      out.push({ name: main.name, maxHeld: Math.max(main.maxHeld, c.peakHeld), counters: c, clientLimit: null, lostAtMs: null });
    }
    for (const part of this.parts.slice(1)) {
      if (part.driver !== null && part.driver !== main.driver) out.push(...part.driver.participants());
    }
    return out;
  }

  dropQueuedOnFailure(on: boolean): void {
    for (const d of this.drivers()) d.dropQueuedOnFailure?.(on);
  }

  lookBeforeAudit(): void {
    for (const d of this.drivers()) d.lookBeforeAudit?.();
  }

  /**
   * The handshake audit in every process of the run at once: this one's pool and each worker's (through the
   * participant protocol), summed. The peak of the merged count was taken with the connections it takes back in
   * it: they come out of it too.
   */
  async auditHandshakes(maxWaitMs: number, signal?: AbortSignal): Promise<HandshakeAudit> {
    const audited = this.parts.flatMap((part) =>
      part.driver === null || !this.ownsItsDriver(part) ? [] : [{ name: part.name, driver: part.driver }],
    );
    // Each process's audit waits on the signal: 40 of them are not a leak (Node warns past 10 listeners).
    if (signal !== undefined) setMaxListeners(Math.max(getMaxListeners(signal), audited.length + 10), signal);
    const found = await Promise.all(
      audited.map(async ({ name, driver }) => ({
        name,
        audit:
          driver.auditHandshakes === undefined
            ? { ran: false, checked: 0, suspects: 0, neverCompleted: 0, note: 'cannot read its sockets' }
            : await driver.auditHandshakes(maxWaitMs, signal),
      })),
    );
    if (found.length === 1) return (found[0] as { audit: HandshakeAudit }).audit;
    const audit = mergeHandshakeAudits(found);
    this.peak.takeBack(audit.neverCompleted, sumCounters(this.drivers().map((d) => d.counters())).held);
    return audit;
  }

  async close(): Promise<void> {
    this.stopOpening();
    await Promise.all(this.parts.map((p) => p.ready));
    await Promise.all(this.drivers().map((d) => d.close()));
  }
}
