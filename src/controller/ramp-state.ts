/**
 * What a ramp keeps while it runs: the stage it is on and the schedule so far, the rates it reached, the failures
 * and held losses already accounted for, and what it found (rate limits, eviction). The executor (ramp.ts) and its
 * phases (ramp-phases.ts) change it; the result is read from it at the end.
 */
import type { PoolCounters } from '../types/pool-counters.js';
import type { EvictionFinding, NewConnectionLimit, RateFinding, ScheduleChangeReason, ScheduleRecord } from '../metrics/result.js';
import { AdaptiveWalker } from './adaptive-walker.js';
import type { AdaptiveSchedule, Stage } from '../config/schedule.js';
import { describeStage, planSteps, stageRatePerSec } from './plan.js';
import type { FailuresSeen, NewFailures } from './ramp-stop.js';
import type { RunRecorder } from './run-context.js';
import { StepCursor } from './step-cursor.js';

/** Largest number of held connections closed between two samples, and when the first was. */
export class HeldLossBatches {
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
export class LossWatch {
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
  stage: Stage;
  readonly adaptive: AdaptiveWalker | null;
  readonly schedule: ScheduleRecord[] = [];
  readonly rateLimits: RateFinding[] = [];
  /** The fixed stage's planned steps (adaptive stages are walked by the AdaptiveWalker). */
  steps = new StepCursor([]);
  /** The fastest any stage connected (adaptive schedules: the answer to "how fast did it go"). */
  fastestStageAchieved = 0;
  /** The rate the first stage achieved until it ended: the answer to "requested vs achieved". */
  firstStageAchieved: number | null = null;
  highestRate: number;
  absorbedPerSec = 0;
  heldAtFirstFailure: number | null = null;
  /** Failures and held losses already looked at; the stop decision reacts to what comes on top. */
  seen: FailuresSeen = { failed: 0, heldLost: 0 };
  /** Halvings of the rate so far (rate limits and eviction checks that found nothing). */
  backoffs = 0;
  readonly lossBatches = new HeldLossBatches();
  readonly lossWatch = new LossWatch();
  eviction: EvictionFinding | undefined;
  /** The lowest new-connection rate limit measured (rate-phase.ts): the ramp goes on under it. */
  newConnectionLimit: NewConnectionLimit | undefined;
  private stageStartMs = 0;
  private stageStartAttempted = 0;

  constructor(
    private readonly settings: RampStateSettings,
    private readonly clock: RunRecorder,
  ) {
    this.stage = settings.stage;
    this.adaptive = settings.adaptive === null ? null : new AdaptiveWalker(settings.adaptive, settings.settleMs);
    this.highestRate = stageRatePerSec(settings.stage);
  }

  /** Sample (when due, or forced) and feed both loss trackers. */
  sampleTracked(force = false): PoolCounters {
    const c = this.clock.sample(force);
    this.lossBatches.note(c, this.clock.elapsed());
    this.lossWatch.note(c, this.clock.elapsed());
    return c;
  }

  /** Close the running stage (if any) and start `this.stage` at `startMs`. */
  startStage(startMs: number, startTotal: number, attempted: number, reason?: ScheduleChangeReason): void {
    const schedule = this.schedule;
    if (schedule.length === 1 && this.firstStageAchieved === null) this.firstStageAchieved = this.stageAchievedAt(attempted, startMs);
    if (schedule.length > 0) this.fastestStageAchieved = Math.max(this.fastestStageAchieved, this.stageAchievedAt(attempted, startMs));
    const prev = schedule[schedule.length - 1];
    if (prev !== undefined) prev.toMs = Math.round(startMs);
    const stage = this.stage;
    schedule.push({
      fromMs: Math.round(startMs),
      toMs: null,
      description: describeStage(stage),
      ...(stage.kind === 'rate' ? { ratePerSec: stage.ratePerSec } : {}),
      ...(reason === undefined ? {} : { reason }),
    });
    // Adaptive stages are walked by the walker (no debt to catch up on); fixed ones by their planned steps.
    const { max, rampEndMs } = this.settings;
    this.steps = new StepCursor(
      this.adaptive === null ? planSteps({ startMs, startTotal, max, endMs: rampEndMs, tickMs: this.clock.tickMs, stage }) : [],
    );
    this.adaptive?.startStage(startMs);
    this.stageStartMs = startMs;
    this.stageStartAttempted = attempted;
    this.clock.phase = `ramp ${describeStage(stage)}`;
  }

  /** Go on ramping after a confirmation or an eviction check, from the counters `after` it. */
  resumeAfter(after: PoolCounters, reason: ScheduleChangeReason | undefined): void {
    this.seen = { failed: after.failed, heldLost: after.heldLost };
    this.adaptive?.resume(this.clock.elapsed());
    this.startStage(this.clock.elapsed(), after.requested, after.attempted, reason);
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
    this.heldAtFirstFailure ??= c.held;
    if (failures === 'client-side') return 0;
    const rateAtFailure = Math.max(this.stageAchievedAt(c.attempted, nowMs), this.adaptive === null ? 0 : this.fastestStageAchieved);
    if (this.schedule.length === 1) this.firstStageAchieved ??= rateAtFailure;
    return rateAtFailure;
  }

  /** The ramp phase is over at `endMs`: close the last stage and the achieved rates. */
  finishRampPhase(c: PoolCounters, endMs: number): void {
    this.firstStageAchieved ??= this.stageAchievedAt(c.attempted, endMs);
    this.fastestStageAchieved = Math.max(this.fastestStageAchieved, this.stageAchievedAt(c.attempted, endMs));
    const last = this.schedule[this.schedule.length - 1];
    if (last !== undefined) last.toMs = Math.round(endMs);
  }
}
