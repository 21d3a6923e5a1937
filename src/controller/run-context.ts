/**
 * What the ramp and hold executors share: a run clock with the sampled timeline, progress hooks, and the parts
 * of the result document that do not depend on the mode.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FailureRecord, PoolCounters } from '../types/pool-counters.js';
import { encodeHistogram, keepRoomForEncoding, summarizeLatency } from '../metrics/histogram.js';
import {
  RESULT_SCHEMA,
  RESULT_SCHEMA_VERSION,
  type EngineRecord,
  type FailureSummary,
  type ResultCounters,
  type ResultFailureRecord,
  type TargetInfo,
  type TimelineSample,
} from '../metrics/result.js';
import type { FailureClass } from '../types/failure-class.js';
import type { ProbeDriver } from './driver.js';
import { TOOL_VERSION } from '../version.js';

/** A progress report, on every sample. */
export interface Progress {
  elapsedMs: number;
  counters: PoolCounters;
  /** What the executor is doing, e.g. "ramp 500/s", "confirming", "hold". */
  phase: string;
}

export interface RunHooks {
  /** Abort the run: it stops opening, closes everything and resolves with an "interrupted" result. */
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** Where the run is aimed, for the result. */
export interface RunTarget {
  info: TargetInfo;
  sourceAddresses: string[];
  /** The socket layer the run's pools use (absent: not recorded, as in tests that build a driver directly). */
  engine?: EngineRecord;
}

/** Pick a sample interval that keeps the timeline near 600 points: 100 ms for a minute-long run. */
export function sampleIntervalFor(maxDurationMs: number): number {
  return Math.min(5000, Math.max(100, Math.round(maxDurationMs / 600 / 100) * 100));
}

/** Past this many samples the timeline is thinned to every other sample, so a long run stays small. */
const MAX_SAMPLES = 2000;

/**
 * Records a run as it goes: keeps its clock, samples the driver's counters into the timeline when due (thinning it
 * past MAX_SAMPLES), tells the hooks each sample (onProgress) and waits the executor's ticks until abort.
 */
export class RunRecorder {
  readonly startedAtWall = new Date();
  private readonly t0 = performance.now();
  timeline: TimelineSample[] = [];
  private nextSampleAt = 0;
  phase = 'starting';

  constructor(
    private readonly driver: ProbeDriver,
    public sampleIntervalMs: number,
    private readonly hooks: RunHooks,
    readonly tickMs = 20,
  ) {
    // The result document encodes the latency histograms after the run, perhaps at the open-files limit.
    keepRoomForEncoding();
  }

  elapsed(): number {
    return performance.now() - this.t0;
  }

  get aborted(): boolean {
    return this.hooks.signal?.aborted === true;
  }

  /** Sample when due (or when forced); returns the current counters either way. */
  sample(force = false): PoolCounters {
    const c = this.driver.counters();
    const t = this.elapsed();
    if (force || t >= this.nextSampleAt) {
      this.nextSampleAt = t + this.sampleIntervalMs;
      this.timeline.push({
        tMs: Math.round(t),
        attempted: c.attempted,
        held: c.held,
        established: c.established,
        connecting: c.connecting,
        failed: c.failed,
      });
      if (this.timeline.length > MAX_SAMPLES) {
        this.timeline = this.timeline.filter((_, i) => i % 2 === 0);
        this.sampleIntervalMs *= 2;
      }
      this.hooks.onProgress?.({ elapsedMs: t, counters: c, phase: this.phase });
    }
    return c;
  }

  /** Wait one tick. Resolves early (without throwing) when the run is aborted. */
  async tick(ms = this.tickMs): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.hooks.signal });
    } catch {
      // aborted: callers check `aborted`
    }
  }

  /** Tick until `done()` or `untilMs` (run time) or abort; samples all along. Returns the last counters. */
  async waitUntil(done: (c: PoolCounters) => boolean, untilMs: number): Promise<PoolCounters> {
    let c = this.sample();
    while (!done(c) && this.elapsed() < untilMs && !this.aborted) {
      await this.tick();
      c = this.sample();
    }
    return c;
  }
}

/** True when nothing is in flight or settling. */
export function isDrained(c: Pick<PoolCounters, 'connecting' | 'established' | 'queued'>): boolean {
  return c.connecting === 0 && c.established === 0 && c.queued === 0;
}

/**
 * Failures by class, each with its first example, most frequent first. `firstFailures`: the driver's as they were
 * when `counters` were read (a later stage may have added classes since).
 */
export function summarizeFailures(counters: PoolCounters, firstFailures: readonly FailureRecord[]): FailureSummary[] {
  const firsts = new Map(firstFailures.map((f) => [f.class, f]));
  const out: FailureSummary[] = [];
  for (const [cls, count] of Object.entries(counters.failuresByClass) as [FailureClass, number][]) {
    const first = firsts.get(cls);
    if (count > 0 && first !== undefined) out.push({ class: cls, count, first: resultFailure(first) });
  }
  return out.sort((a, b) => b.count - a.count || a.first.atMs - b.first.atMs);
}

/**
 * The engine's counters as the result document names them, field by field: the document declares its own counters
 * (metrics/result-schema.ts), so a counter the engine adds appears in results only once the schema names it.
 */
export function resultCounters(c: PoolCounters): ResultCounters {
  return {
    requested: c.requested,
    attempted: c.attempted,
    queued: c.queued,
    connecting: c.connecting,
    established: c.established,
    held: c.held,
    peakHeld: c.peakHeld,
    everHeld: c.everHeld,
    connected: c.connected,
    lost: c.lost,
    heldLost: c.heldLost,
    heldLostSincePause: c.heldLostSincePause,
    heldLostEarly: c.heldLostEarly,
    servedThenClosed: c.servedThenClosed,
    neverCompleted: c.neverCompleted,
    tlsUnproven: c.tlsUnproven,
    synRetransmitted: c.synRetransmitted,
    failed: c.failed,
    reconnects: c.reconnects,
    replacementsHeld: c.replacementsHeld,
    failuresByClass: { ...c.failuresByClass },
  };
}

/**
 * A type error names any engine counter the mapping above does not carry: add it to ResultCountersSchema (an
 * optional addition to the document) and to resultCounters, or say here why the document leaves it out.
 */
type UnmappedEngineCounter = Exclude<keyof PoolCounters, keyof ResultCounters>;
const everyEngineCounterMapped: [UnmappedEngineCounter] extends [never] ? true : UnmappedEngineCounter = true;
void everyEngineCounterMapped;

/** An engine failure as the result document names it, field by field (like resultCounters). */
export function resultFailure(f: FailureRecord): ResultFailureRecord {
  return {
    class: f.class,
    code: f.code,
    message: f.message,
    phase: f.phase,
    atMs: f.atMs,
    afterConnectMs: f.afterConnectMs,
    serverSaid: f.serverSaid,
    connId: f.connId,
    sourceAddress: f.sourceAddress,
  };
}

type UnmappedFailureField = Exclude<keyof FailureRecord, keyof ResultFailureRecord>;
const everyFailureFieldMapped: [UnmappedFailureField] extends [never] ? true : UnmappedFailureField = true;
void everyFailureFieldMapped;

/**
 * The mode-independent part of a result. `firstFailures`: the driver's as they were when `counters` were read
 * (default: now).
 */
export function resultBase(
  driver: ProbeDriver,
  clock: RunRecorder,
  target: RunTarget,
  counters: PoolCounters,
  firstFailures: readonly FailureRecord[] = driver.firstFailures(),
) {
  const first = firstFailures[0];
  const firstFailure = first === undefined ? null : resultFailure(first);
  const connect = driver.connectLatency();
  const tlsHist = driver.tlsLatency();
  const participants = driver.participants();
  return {
    schema: RESULT_SCHEMA,
    schemaVersion: RESULT_SCHEMA_VERSION,
    tool: { name: 'tcpprobe' as const, version: TOOL_VERSION },
    startedAt: clock.startedAtWall.toISOString(),
    finishedAt: new Date().toISOString(),
    durationMs: Math.round(clock.elapsed()),
    target: target.info,
    maxConcurrency: counters.peakHeld,
    firstFailure,
    failures: summarizeFailures(counters, firstFailures),
    connectLatencyMs: summarizeLatency(connect),
    tlsHandshakeMs: tlsHist === null ? null : summarizeLatency(tlsHist),
    histograms: { connectUs: encodeHistogram(connect), tlsHandshakeUs: tlsHist === null ? null : encodeHistogram(tlsHist) },
    counters: resultCounters(counters),
    timeline: clock.timeline,
    sampleIntervalMs: clock.sampleIntervalMs,
    sourceAddresses: target.sourceAddresses,
    ...(participants.length > 0 ? { participants: participants.map((p) => ({ ...p, counters: resultCounters(p.counters) })) } : {}),
    ...(target.engine === undefined ? {} : { engine: target.engine }),
  };
}
