/**
 * The driver for one process: a thin adapter over one ConnectionPool.
 */
import { ConnectionPool } from '../engine/connection-pool.js';
import type { PoolConfig } from '../types/pool-config.js';
import type { FailureRecord, PoolCounters } from '../types/pool-counters.js';
import type { Histogram } from '../metrics/histogram.js';
import type { HandshakeAudit } from '../metrics/result.js';
import type { FirstSynLog } from '../types/first-syn.js';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  tooYoungToTellMs,
  confirmedNeverCompleted,
  confirmWaitMs,
  handshakeSuspects,
  keepaliveAnswered,
  keepaliveHidesHandshakes,
  readKernelSockets,
  type KernelSocketInfo,
} from '../engine/handshake-audit.js';
import type { DriverParticipant, DriverResources, PoolEventListener, ProbeDriver } from '../controller/driver.js';

/** Keepalive probes go out a second after they are set (TCP_KEEPIDLE) and are answered at once: allow this. */
const PROBE_ANSWER_MS = 1300;
/** A connect that took this long waited for Linux's 1 s SYN retransmit. */
const SYN_RETRANSMIT_US = 900_000;
/** An early look (lookBeforeAudit) older than this is not used: the audit looks again. */
const EARLY_LOOK_MAX_AGE_MS = 1000;

/** Sleep; false when aborted. */
async function pause(ms: number, signal?: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

export class LocalDriver implements ProbeDriver {
  readonly pool: ConnectionPool;
  /** The audit's first look, taken during the hold (lookBeforeAudit), and when. */
  private earlyLook: { atMs: number; infos: KernelSocketInfo[] } | null = null;

  constructor(
    private readonly engine: PoolConfig,
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
  resumeOpening(): boolean {
    return this.pool.resumeOpening();
  }
  stopOpening(): void {
    this.pool.stopOpening();
  }
  releaseAll(): void {
    this.pool.releaseAll();
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
  resources(): DriverResources {
    return { sourceAddresses: [...this.engine.sourceAddresses], changes: [] };
  }

  participants(): DriverParticipant[] {
    return [];
  }
  firstSynOutcomes(): FirstSynLog {
    return this.pool.firstSyn;
  }
  async auditHandshakes(maxWaitMs: number, signal?: AbortSignal): Promise<HandshakeAudit> {
    const deadline = performance.now() + maxWaitMs;
    const left = (): number => Math.max(0, deadline - performance.now());
    const takenBefore = this.pool.counters().neverCompleted;
    const held = new Set(this.pool.heldKeys());
    const audit: HandshakeAudit = { ran: true, checked: held.size, suspects: 0, neverCompleted: 0, note: null };
    if (held.size === 0) return audit;
    const hidden = keepaliveHidesHandshakes(this.engine.keepAliveMs);
    if (hidden !== null) return { ...audit, ran: false, note: hidden };
    const done = (note: string | null = null): HandshakeAudit => ({
      ...audit,
      neverCompleted: this.pool.counters().neverCompleted - takenBefore,
      note,
    });
    let first = this.takeEarlyLook() ?? (await this.kernelView());
    if (typeof first === 'string') return { ...audit, ran: false, note: first };
    // 1. Handshakes the server keeps retrying: SYN-ACKs retransmitted to a socket that received nothing else.
    const youngMs = Math.min(tooYoungToTellMs(first, held), left());
    if (youngMs > 0) {
      if (!(await pause(youngMs, signal))) return done('interrupted before the youngest connections could be checked');
      first = await this.kernelView();
      if (typeof first === 'string') return done(`on the second look, ${first}`);
    }
    const suspects = handshakeSuspects(first, held, this.engine.keepAliveMs);
    audit.suspects = suspects.length;
    let last = first;
    if (suspects.length > 0) {
      if (!(await pause(Math.min(confirmWaitMs(suspects), left()), signal))) {
        return done('interrupted before the suspects could be confirmed');
      }
      const later = await this.kernelView();
      if (typeof later === 'string') return done(`on the second look, ${later}`);
      this.pool.takeBackNeverCompleted(confirmedNeverCompleted(suspects, later));
      last = later;
    }
    // 2. Handshakes the server answered with a SYN cookie and then dropped leave nothing to retry: only when its
    // queues overflowed (connects timed out or waited for a SYN retransmit), probe idle connections with a
    // keepalive, which such a server answers with RST. After step 1: the probe's answers also count as segments.
    if (this.sawQueueOverflow() && this.pool.probeIdleHeld(keepaliveAnswered(last, this.engine.keepAliveMs)) > 0) {
      if (!(await pause(Math.min(PROBE_ANSWER_MS, left()), signal))) return done('interrupted before the keepalive probes were answered');
    }
    return done();
  }

  dropQueuedOnFailure(on: boolean): void {
    this.pool.dropQueuedOnFailure(on);
  }

  lookBeforeAudit(): void {
    const own = this.pool.kernelSockets();
    this.earlyLook = own === null ? null : { atMs: performance.now(), infos: own };
  }

  /**
   * The look taken during the hold, aged to now as if no segment came since (one that did is a socket the audit's
   * later look, or its wait for the young ones, sees: sockets old enough at the early look had their first resent
   * SYN-ACK before it); once, and only while recent.
   */
  private takeEarlyLook(): KernelSocketInfo[] | null {
    const look = this.earlyLook;
    this.earlyLook = null;
    if (look === null) return null;
    const ageMs = performance.now() - look.atMs;
    if (ageMs > EARLY_LOOK_MAX_AGE_MS) return null;
    for (const info of look.infos) if (info.lastRcvMs !== null) info.lastRcvMs += ageMs;
    return look.infos;
  }

  /** Connects timed out or waited for a retransmitted SYN: the server's queues overflowed at some point. */
  private sawQueueOverflow(): boolean {
    const c = this.pool.counters();
    return (c.failuresByClass.timeout ?? 0) > 0 || this.pool.connectLatency.maxValue >= SYN_RETRANSMIT_US;
  }

  /** The source addresses every connect of this pool bound, or null when the kernel chose some. */
  private ownSources(): string[] | null {
    const schedule = this.engine.sourceSchedule ?? [];
    if (schedule.length > 0) {
      const addresses = schedule.map((s) => s.address);
      return addresses.every((a): a is string => a !== null) ? [...new Set(addresses)] : null;
    }
    return this.engine.sourceAddresses.length > 0 ? [...this.engine.sourceAddresses] : null;
  }

  /**
   * The kernel's view of the sockets to every target: the pool's own, read by its transport where it can (the
   * native core), else from ss; or why ss could not give it.
   */
  private async kernelView(): Promise<KernelSocketInfo[] | string> {
    const own = this.pool.kernelSockets();
    if (own !== null) return own;
    let all: KernelSocketInfo[] = [];
    const sources = this.ownSources();
    for (const t of this.engine.targets) {
      const part = await readKernelSockets(t.address, t.port, sources);
      if (typeof part === 'string') return part;
      // Not push(...part): a quarter of a million sockets as arguments overflows the stack.
      all = all.concat(part);
    }
    return all;
  }

  pauseReconnects(paused: boolean): void {
    this.pool.pauseReconnects(paused);
  }

  async close(): Promise<void> {
    this.pool.close();
  }
}
