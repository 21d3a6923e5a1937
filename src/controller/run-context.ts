/**
 * What the ramp and hold executors share: a run recorder (the clock and the sampled timeline), progress hooks, and
 * what a run's record holds for the result (src/run/result.ts writes the document from it).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FailureRecord, PoolCounters } from '../types/pool-counters.js';
import type { PhaseSpan, RunPhase, TimelineSample } from '../metrics/result.js';
import type { ProbeDriver } from './driver.js';

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

/** What a run's recorder kept, for the result. */
export interface RunRecord {
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
  timeline: TimelineSample[];
  sampleIntervalMs: number;
  /** The run phase by phase (RunRecorder.enter). */
  phases: PhaseSpan[];
  /** From the start of this process to the start of the run, ms. */
  startedAfterMs: number;
}

/** What every executor's findings hold besides its own: the record, the final counters and the first failures. */
export interface RunOutcome {
  record: RunRecord;
  /** The counters when the run ended. */
  counters: PoolCounters;
  /** The first failure of each class, as of the counters the verdict was judged on. */
  firstFailures: FailureRecord[];
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
  private readonly phases: PhaseSpan[] = [];
  private label = 'starting';

  constructor(
    private readonly driver: ProbeDriver,
    public sampleIntervalMs: number,
    private readonly hooks: RunHooks,
    readonly tickMs = 20,
  ) {}

  /** What the run is doing now, in words, for progress lines. */
  get phase(): string {
    return this.label;
  }

  /**
   * The run enters `phase` now; `label` words it for progress ("ramp 500/s"). A new label in the same phase (the
   * ramp's next rate) goes on with its span.
   */
  enter(phase: RunPhase, label: string): void {
    this.label = label;
    const last = this.phases.at(-1);
    if (last?.phase === phase) return;
    const now = Math.round(this.elapsed());
    if (last !== undefined) last.toMs = now;
    this.phases.push({ phase, fromMs: now, toMs: now });
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
      this.hooks.onProgress?.({ elapsedMs: t, counters: c, phase: this.label });
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

  /** The run as recorded so far: when it started, how long it took, its timeline. */
  record(): RunRecord {
    const durationMs = Math.round(this.elapsed());
    const last = this.phases.at(-1);
    if (last !== undefined) last.toMs = durationMs;
    return {
      startedAt: this.startedAtWall,
      finishedAt: new Date(this.startedAtWall.getTime() + durationMs),
      durationMs,
      timeline: this.timeline,
      sampleIntervalMs: this.sampleIntervalMs,
      phases: this.phases.map((s) => ({ ...s })),
      // performance.now() counts from the start of the process.
      startedAfterMs: Math.round(this.t0),
    };
  }

  /**
   * Tick (every `tickMs`) until `done()` or `untilMs` (run time) or abort; samples all along. Returns the last
   * counters.
   */
  async waitUntil(done: (c: PoolCounters) => boolean, untilMs: number, tickMs = this.tickMs): Promise<PoolCounters> {
    let c = this.sample();
    while (!done(c) && this.elapsed() < untilMs && !this.aborted) {
      // Never past `untilMs`: a hold of 2 s ended up to a tick late.
      await this.tick(Math.max(1, Math.min(tickMs, untilMs - this.elapsed())));
      c = this.sample();
    }
    return c;
  }
}

/** True when nothing is in flight or settling. */
export function isDrained(c: Pick<PoolCounters, 'connecting' | 'established' | 'queued'>): boolean {
  return c.connecting === 0 && c.established === 0 && c.queued === 0;
}

