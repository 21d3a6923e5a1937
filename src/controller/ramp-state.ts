/**
 * What a ramp keeps while it runs: the stage it is on and the schedule so far, the rates it reached, the failures
 * and held losses already accounted for, and what it found (rate limits, eviction). It changes only through its
 * own verbs (the executor, ramp.ts, and its phases, ramp-phases.ts, call them); the result reads its getters.
 */
import type { PoolCounters } from '../types/pool-counters.js';
import type { EvictionFinding, NewConnectionLimit, RateFinding, ScheduleChangeReason, ScheduleRecord } from '../metrics/result.js';
import { AdaptiveWalker } from './adaptive-walker.js';
import type { AdaptiveSchedule, Stage } from '../config/schedule.js';
import { describeStage, planSteps, stageRatePerSec } from './plan.js';
import { maxAskable, type FailuresSeen, type NewFailures } from './ramp-stop.js';
import type { RunRecorder } from './run-context.js';
import { StepCursor } from './step-cursor.js';

/** Largest number of held connections closed between two samples, and when the first was. */
class HeldLossBatches {
  largest = 0;
  firstAtMs: number | null = null;
  private last = 0;

  note(c: Pick<PoolCounters, 'heldLost'>, nowMs: number): void {
    const batch = c.heldLost - this.last;
    if (batch > 0) {
      this.largest = Math.max(this.largest, batch);
      this.firstAtMs ??= Math.round(nowMs);
    }
    this.last = c.heldLost;
  }
}

/** When `heldLost` last changed, as far as the samples shown to `note` tell. */
class LossWatch {
  private lost = 0;
  since = 0;

  note(c: Pick<PoolCounters, 'heldLost'>, nowMs: number): void {
    if (c.heldLost !== this.lost) {
      this.lost = c.heldLost;
      this.since = nowMs;
    }
  }
}

export interface RampStateSettings {
  stage: Stage;
  adaptive: AdaptiveSchedule | null;
  max: number | null;
  settleMs: number;
  /** The ramp phase ends here, ms since the start. */
  rampEndMs: number;
}

export class RampState {
  private current: Stage;
  readonly adaptive: AdaptiveWalker | null;
  private readonly stages: ScheduleRecord[] = [];
  private readonly limits: RateFinding[] = [];
  /** The fixed stage's planned steps (adaptive stages are walked by the AdaptiveWalker). */
  private cursor = new StepCursor([]);
  /** The fastest any stage connected (adaptive schedules: the answer to "how fast did it go"). */
  private fastest = 0;
  /** The rate the first stage achieved until it ended: the answer to "requested vs achieved". */
  private first: number | null = null;
  private highest: number;
  private absorbed = 0;
  private heldAtFirst: number | null = null;
  /** Failures and held losses already looked at; the stop decision reacts to what comes on top. */
  private seenSoFar: FailuresSeen = { failed: 0, heldLost: 0 };
  /** Halvings of the rate so far (rate limits and eviction checks that found nothing). */
  private backoffCount = 0;
  private readonly lossBatches = new HeldLossBatches();
  private readonly lossWatch = new LossWatch();
  private evicting: EvictionFinding | undefined;
  /** The lowest new-connection rate limit measured (rate-phase.ts): the ramp goes on under it. */
  private newConnection: NewConnectionLimit | undefined;
  private stageStartMs = 0;
  private stageStartAttempted = 0;

  constructor(
    private readonly settings: RampStateSettings,
    private readonly recorder: RunRecorder,
  ) {
    this.current = settings.stage;
    this.adaptive = settings.adaptive === null ? null : new AdaptiveWalker(settings.adaptive, settings.settleMs);
    this.highest = stageRatePerSec(settings.stage);
  }

  get stage(): Stage {
    return this.current;
  }
  get schedule(): readonly ScheduleRecord[] {
    return this.stages;
  }
  get rateLimits(): readonly RateFinding[] {
    return this.limits;
  }
  get steps(): StepCursor {
    return this.cursor;
  }
  get highestRate(): number {
    return this.highest;
  }
  get absorbedPerSec(): number {
    return this.absorbed;
  }
  get heldAtFirstFailure(): number | null {
    return this.heldAtFirst;
  }
  get seen(): FailuresSeen {
    return this.seenSoFar;
  }
  get backoffs(): number {
    return this.backoffCount;
  }
  get eviction(): EvictionFinding | undefined {
    return this.evicting;
  }
  get newConnectionLimit(): NewConnectionLimit | undefined {
    return this.newConnection;
  }
  /** When a held connection was last lost (ms since the start), as far as the tracked samples tell. */
  get lastLossAtMs(): number {
    return this.lossWatch.since;
  }

  /** The rate the run achieved: the first stage's (fixed schedules), or the fastest stage's (adaptive). */
  achievedPerSec(): number {
    return this.adaptive === null ? (this.first ?? 0) : Math.max(this.fastest, this.first ?? 0);
  }

  /** Feed a sample to both loss trackers (every sample the ramp looks at comes through here). */
  track(c: PoolCounters): PoolCounters {
    const now = this.recorder.elapsed();
    this.lossBatches.note(c, now);
    this.lossWatch.note(c, now);
    return c;
  }

  /** Sample (when due, or forced) and track it. */
  sampleTracked(force = false): PoolCounters {
    return this.track(this.recorder.sample(force));
  }

  /** A new-connection rate limit measured: the lowest one stands. */
  noteNewConnectionLimit(measured: NewConnectionLimit): void {
    if (this.newConnection === undefined || measured.perSec < this.newConnection.perSec) this.newConnection = measured;
  }

  /** A rate the server took without failing. */
  noteAbsorbed(ratePerSec: number): void {
    this.absorbed = Math.max(this.absorbed, ratePerSec);
  }

  /** The server evicts: what the eviction measurement saw, with the tracked batches; `atMs` if none was tracked. */
  noteEviction(after: PoolCounters, atMs: number): void {
    this.evicting = {
      maxOpen: after.peakHeld,
      evicted: after.heldLost,
      largestBatch: this.lossBatches.largest,
      firstAtMs: this.lossBatches.firstAtMs ?? Math.round(atMs),
    };
  }

  /** The adaptive planner changed the rate at `nowMs`: a new stage from the counters `c`. */
  changeRate(ratePerSec: number, nowMs: number, c: PoolCounters, reason: ScheduleChangeReason): void {
    this.current = { kind: 'rate', ratePerSec };
    this.highest = Math.max(this.highest, ratePerSec);
    this.startStage(nowMs, c, reason);
  }

  /** Close the running stage (if any) and start the current one at `startMs`, from the counters `c` then. */
  startStage(startMs: number, c: Pick<PoolCounters, 'requested' | 'attempted' | 'failed' | 'lost'>, reason?: ScheduleChangeReason): void {
    const { requested: startTotal, attempted } = c;
    const schedule = this.stages;
    if (schedule.length === 1 && this.first === null) this.first = this.stageAchievedAt(attempted, startMs);
    if (schedule.length > 0) this.fastest = Math.max(this.fastest, this.stageAchievedAt(attempted, startMs));
    const prev = schedule[schedule.length - 1];
    if (prev !== undefined) prev.toMs = Math.round(startMs);
    const stage = this.current;
    schedule.push({
      fromMs: Math.round(startMs),
      toMs: null,
      description: describeStage(stage),
      ...(stage.kind === 'rate' ? { ratePerSec: stage.ratePerSec } : {}),
      ...(reason === undefined ? {} : { reason }),
    });
    // Adaptive stages are walked by the walker (no debt to catch up on); fixed ones by their planned steps.
    const { rampEndMs } = this.settings;
    const max = maxAskable(this.settings, c);
    this.cursor = new StepCursor(
      this.adaptive === null ? planSteps({ startMs, startTotal, max, endMs: rampEndMs, tickMs: this.recorder.tickMs, stage }) : [],
    );
    this.adaptive?.startStage(startMs);
    this.stageStartMs = startMs;
    this.stageStartAttempted = attempted;
    this.recorder.enter('ramp', `ramp ${describeStage(stage)}`);
  }

  /**
   * Back off and go on ramping after a confirmation or an eviction check, from the counters `after` it: one more
   * backoff, a slower stage if one is given (a rate limit, recorded), and a new stage from here.
   */
  backOffAndGoOn(after: PoolCounters, change: { slower?: Stage; rateLimit?: RateFinding; reason?: ScheduleChangeReason }): void {
    this.backoffCount++;
    if (change.rateLimit !== undefined) this.limits.push(change.rateLimit);
    if (change.slower !== undefined) this.current = change.slower;
    this.seenSoFar = { failed: after.failed, heldLost: after.heldLost };
    this.adaptive?.resume(this.recorder.elapsed());
    this.startStage(this.recorder.elapsed(), after, change.reason);
  }

  /** Connects per second the current stage achieved until `nowMs`. */
  stageAchievedAt(attempted: number, nowMs: number): number {
    return nowMs > this.stageStartMs ? ((attempted - this.stageStartAttempted) * 1000) / (nowMs - this.stageStartMs) : 0;
  }

  /**
   * Book new failures: the held count at the first one; for failures at the edge, the rate they came at (adaptive
   * stages last a window or so: the fastest of them before this failure), which is returned.
   */
  noteFailures(failures: NewFailures, c: PoolCounters, nowMs: number): number {
    if (failures === 'none') return 0;
    this.heldAtFirst ??= c.held;
    if (failures === 'client-side') return 0;
    const rateAtFailure = Math.max(this.stageAchievedAt(c.attempted, nowMs), this.adaptive === null ? 0 : this.fastest);
    if (this.stages.length === 1) this.first ??= rateAtFailure;
    return rateAtFailure;
  }

  /** The ramp phase is over at `endMs`: close the last stage and the achieved rates. */
  finishRampPhase(c: PoolCounters, endMs: number): void {
    this.first ??= this.stageAchievedAt(c.attempted, endMs);
    this.fastest = Math.max(this.fastest, this.stageAchievedAt(c.attempted, endMs));
    const last = this.stages[this.stages.length - 1];
    if (last !== undefined) last.toMs = Math.round(endMs);
  }
}
