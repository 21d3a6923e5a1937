/**
 * The ramp executor: walks the planned schedule, asks the detectors whether to stop, confirms failures at a low
 * rate to tell a concurrency limit from a rate limit, holds the population, and builds the result.
 * It knows nothing about terminals: progress goes out through hooks, the result is returned. The driver stays
 * open: its owner closes it, after the verdict is out (closing 10,000 sockets takes some 300 ms).
 */
import { formatDurationMs } from '../config/units.js';
import { CLIENT_LIMIT_ADVICE } from '../engine/failure-class.js';
import { isClientSide, type ClientFailureClass } from '../types/failure-class.js';
import type { PoolCounters } from '../types/pool-counters.js';
import type {
  EvictionFinding,
  HandshakeAudit,
  HeldCloses,
  RampResult,
  RampVerdictKind,
  RateFinding,
  ScheduleRecord,
  Verdict,
} from '../metrics/result.js';
import {
  clientLimitIn,
  detectPlateau,
  judgeConfirmation,
  judgeEviction,
  limitMax,
  looksLikeEviction,
  nothingHeldVerdict,
  timeToReach,
} from './detect.js';
import type { ProbeDriver } from './driver.js';
import { describeStage, planSteps, slowerStage, stageRatePerSec, type PlanStep } from './plan.js';
import type { AdaptiveSchedule, Stage } from '../config/schedule.js';
import { AdaptiveWalker } from './adaptive-walker.js';
import type { ScheduleChangeReason } from '../metrics/result.js';
import { isDrained, resultBase, RunRecorder, sampleIntervalFor, type RunHooks, type RunTarget } from './run-context.js';

export interface RampSettings {
  /** The first stage (with `adaptive`: its first rate). */
  stage: Stage;
  /** The adaptive schedule: the rate is reconsidered every window (adaptive-plan.ts). Null: `stage` throughout. */
  adaptive: AdaptiveSchedule | null;
  /** Stop adding once this many connections were asked for (null: no cap). */
  max: number | null;
  /**
   * The most this machine can hold (the preflight's figure with every process and address the run may add): the
   * ramp stops there with a client-limited verdict, before the machine's own limit could pass for the server's.
   */
  clientReach: { connections: number; limitedBy: ClientFailureClass } | null;
  /** Hard bound on the whole run, hold included. */
  maxDurationMs: number;
  plateauMs: number;
  holdMs: number;
  /** 'confirm': back off and confirm failures at a low rate; 'first-failure': stop at the first failure. */
  until: 'confirm' | 'first-failure';
  /** The driver reopens held connections the server closes (--reconnect): they go on doing so through the hold. */
  reconnect: boolean;
  /** Bounds on how long in-flight connections take to resolve (connect timeout, settle, expect timeout). */
  connectTimeoutMs: number;
  settleMs: number;
  expectTimeoutMs: number | null;
}

/** Connects made at a low rate to confirm a failure: a tenth of the rate that failed, at most 100/s. */
const CONFIRM_ATTEMPTS = 5;
const CONFIRM_SPACING_MIN_MS = 10;
const CONFIRM_SPACING_MAX_MS = 100;
/** After this many halvings of the rate, failures are taken as the limit. */
const MAX_BACKOFFS = 5;
/** Connects made one at a time to measure an evicting server's most-open-at-once. */
const EVICTION_PROBE_ATTEMPTS = 400;
/** Evictions to see in the one-at-a-time phase before its peak is taken as the server's number. */
const EVICTION_EVENTS_WANTED = 1;
/** Before the one-at-a-time phase: a quiet window with no held connection lost, tried at most this often. */
const EVICTION_QUIET_MS = 1000;
const EVICTION_QUIET_TRIES = 5;

/**
 * Before the count is taken: a quiet spell with no held connection lost. A server that fell behind a fast ramp
 * still has connections in its accept queue; it closes the ones over its cap only when it gets to them, and until
 * then they look held (measured: 10,284 for a 10,000 cap with no wait, at 17,000 connects/s).
 */
const QUIET_EXTRA_MS = 100;

/** When `heldLost` last changed, as far as the samples shown to `note` tell. */
class LossWatch {
  private lost = 0;
  since = 0;
  note(c: PoolCounters, nowMs: number): void {
    if (c.heldLost !== this.lost) {
      this.lost = c.heldLost;
      this.since = nowMs;
    }
  }
}

/** Tick until `heldLost` has not grown for `quietMs` (counted from the last change seen) or until `untilMs`. */
async function waitQuiet(clock: RunRecorder, watch: LossWatch, quietMs: number, untilMs: number): Promise<void> {
  watch.note(clock.sample(), clock.elapsed());
  while (clock.elapsed() - watch.since < quietMs && clock.elapsed() < untilMs && !clock.aborted) {
    await clock.tick();
    watch.note(clock.sample(), clock.elapsed());
  }
}

interface Stop {
  kind: RampVerdictKind;
  confirmed: boolean;
  clientClass: ClientFailureClass | null;
}

export async function runRamp(
  settings: RampSettings,
  driver: ProbeDriver,
  target: RunTarget,
  hooks: RunHooks = {},
): Promise<RampResult> {
  const clock = new RunRecorder(driver, sampleIntervalFor(settings.maxDurationMs), hooks);
  // The ramp phase ends early enough for the hold to fit inside --max-duration.
  const rampEndMs = Math.max(settings.maxDurationMs - settings.holdMs, settings.maxDurationMs / 2);
  const drainBoundMs =
    settings.connectTimeoutMs + Math.max(settings.settleMs, settings.expectTimeoutMs ?? 0) + 500;

  let stage = settings.stage;
  const adaptive = settings.adaptive === null ? null : new AdaptiveWalker(settings.adaptive, settings.settleMs);
  /** The fastest any stage connected (adaptive schedules: the answer to "how fast did it go"). */
  let fastestStageAchieved = 0;
  let highestRate = stageRatePerSec(stage);
  const schedule: ScheduleRecord[] = [];
  const rateLimits: RateFinding[] = [];
  let steps: PlanStep[] = [];
  let stepIdx = 0;
  let stageStartMs = 0;
  let stageStartAttempted = 0;
  let absorbedPerSec = 0;
  /** The rate the first stage achieved until it ended: the answer to "requested vs achieved". */
  let firstStageAchieved: number | null = null;
  let heldAtFirstFailure: number | null = null;
  let failedSeen = 0;
  let heldLostSeen = 0;
  let backoffs = 0;
  /** Largest number of held connections closed between two samples, and when the first was. */
  let largestLossBatch = 0;
  let firstHeldLossMs: number | null = null;
  let lastHeldLost = 0;
  let eviction: EvictionFinding | undefined;
  const trackHeldLosses = (c: PoolCounters): void => {
    const batch = c.heldLost - lastHeldLost;
    if (batch > 0) {
      largestLossBatch = Math.max(largestLossBatch, batch);
      firstHeldLossMs ??= Math.round(clock.elapsed());
    }
    lastHeldLost = c.heldLost;
  };
  const lossWatch = new LossWatch();
  const sampleTracked = (force = false): PoolCounters => {
    const c = clock.sample(force);
    trackHeldLosses(c);
    lossWatch.note(c, clock.elapsed());
    return c;
  };

  const startStage = (startMs: number, startTotal: number, attempted: number, reason?: ScheduleChangeReason): void => {
    if (schedule.length === 1 && firstStageAchieved === null) firstStageAchieved = stageAchievedAt(attempted, startMs);
    if (schedule.length > 0) fastestStageAchieved = Math.max(fastestStageAchieved, stageAchievedAt(attempted, startMs));
    const prev = schedule[schedule.length - 1];
    if (prev !== undefined) prev.toMs = Math.round(startMs);
    schedule.push({
      fromMs: Math.round(startMs),
      toMs: null,
      description: describeStage(stage),
      ...(stage.kind === 'rate' ? { ratePerSec: stage.ratePerSec } : {}),
      ...(reason === undefined ? {} : { reason }),
    });
    // Adaptive stages are walked by openAdaptive (no debt to catch up on); fixed ones by their planned steps.
    steps = adaptive === null ? planSteps({ startMs, startTotal, max: settings.max, endMs: rampEndMs, tickMs: clock.tickMs, stage }) : [];
    adaptive?.startStage(startMs);
    stepIdx = 0;
    stageStartMs = startMs;
    stageStartAttempted = attempted;
    clock.phase = `ramp ${describeStage(stage)}`;
  };
  /** Connects per second the current stage achieved so far. */
  const stageAchievedAt = (attempted: number, nowMs: number): number =>
    nowMs > stageStartMs ? ((attempted - stageStartAttempted) * 1000) / (nowMs - stageStartMs) : 0;
  const stageAchieved = (c: PoolCounters, nowMs: number): number => stageAchievedAt(c.attempted, nowMs);

  /** The adaptive schedule's window: observe, and start a new stage when the planner changes the rate. */
  const adaptWindow = (c: PoolCounters, t: number): void => {
    if (adaptive === null) return;
    const h = driver.connectLatency();
    const change = adaptive.observe(c, { count: h.totalCount, sumUs: h.mean * h.totalCount }, t);
    if (change === null) return;
    // Slowing down for the server: what waits to start was asked for at the old rate.
    if (change.reason === 'held-lags' || change.reason === 'latency-rose') driver.dropQueued();
    stage = { kind: 'rate', ratePerSec: change.ratePerSec };
    highestRate = Math.max(highestRate, change.ratePerSec);
    startStage(t, c.requested, c.attempted, change.reason);
  };
  /** Adaptive: open what the rate owes, within --max and this machine's reach. */
  const openAdaptive = (c: PoolCounters, t: number): void => {
    if (adaptive === null) return;
    const limits = [settings.max, settings.clientReach?.connections ?? null].filter((x): x is number => x !== null);
    const n = adaptive.due(c, t, limits.length === 0 ? null : Math.min(...limits));
    if (n > 0) driver.open(n);
  };

  /** Stop fast-adding, let everything in flight resolve, then try a few connects at a low rate. */
  const confirm = async (failedAtPerSec: number): Promise<'concurrency-limit' | 'rate-limit' | 'out-of-time' | 'evicting?'> => {
    clock.phase = 'confirming at a low rate';
    driver.dropQueued();
    // What the server does, not what our replacements make it do (and nothing in flight forever): no reconnects.
    driver.pauseReconnects(true);
    const before = await clock.waitUntil(isDrained, Math.min(clock.elapsed() + drainBoundMs, rampEndMs));
    if (!isDrained(before) || clock.aborted) return 'out-of-time';
    const spacingMs = Math.min(
      CONFIRM_SPACING_MAX_MS,
      Math.max(CONFIRM_SPACING_MIN_MS, failedAtPerSec > 0 ? 10_000 / failedAtPerSec : CONFIRM_SPACING_MAX_MS),
    );
    for (let i = 0; i < CONFIRM_ATTEMPTS && clock.elapsed() < rampEndMs && !clock.aborted; i++) {
      driver.open(1);
      await clock.tick(spacingMs);
      clock.sample();
    }
    const after = await clock.waitUntil(isDrained, Math.min(clock.elapsed() + drainBoundMs, rampEndMs));
    if (!isDrained(after) || clock.aborted) return 'out-of-time';
    // Held connections (from before the pause) closed as the new ones came in: look at it one at a time.
    if (looksLikeEviction({ newFailures: after.failed - before.failed, newHeldLosses: after.heldLost - before.heldLost })) {
      return 'evicting?';
    }
    return judgeConfirmation({
      heldBefore: before.held,
      heldAfter: after.held,
      attempts: after.attempted - before.attempted,
      failures: after.failed - before.failed,
    });
  };

  /**
   * Held connections closed by the server while new ones were being held: an evicting server (nginx closes its
   * oldest idle connections once free slots run low) or one that drops idle connections. Connect one at a time,
   * each settled before the next, so the peak of held connections is the most the server keeps open at once.
   */
  const measureEviction = async (): Promise<'evicting' | 'limit' | 'none' | 'out-of-time'> => {
    clock.phase = 'measuring eviction: one connection at a time';
    driver.dropQueued();
    let start = await clock.waitUntil(isDrained, Math.min(clock.elapsed() + drainBoundMs, rampEndMs));
    trackHeldLosses(start);
    if (!isDrained(start) || clock.aborted) return 'out-of-time';
    // Closes still on their way (a server that denies late) must not be taken for evictions: wait until a quiet
    // second passes with no held connection lost.
    for (let i = 0; i < EVICTION_QUIET_TRIES && clock.elapsed() < rampEndMs && !clock.aborted; i++) {
      const before = start.heldLost;
      start = await clock.waitUntil(() => false, Math.min(clock.elapsed() + EVICTION_QUIET_MS, rampEndMs));
      trackHeldLosses(start);
      if (start.heldLost === before) break;
    }
    if (clock.aborted || clock.elapsed() >= rampEndMs) return 'out-of-time';
    driver.dropQueued(); // the pause: connections from here on are this phase's own
    let evictions = 0;
    let connectFailures = 0;
    let prev = start;
    for (let i = 0; i < EVICTION_PROBE_ATTEMPTS && evictions < EVICTION_EVENTS_WANTED; i++) {
      if (clock.elapsed() >= rampEndMs || clock.aborted) break;
      driver.open(1);
      const c = await clock.waitUntil(
        (x) => isDrained(x) && x.attempted > prev.attempted,
        Math.min(clock.elapsed() + drainBoundMs, rampEndMs),
      );
      trackHeldLosses(c);
      // Connections from before this phase closed as new ones came in: eviction. Ones started in it: late denials.
      const lateDenials = c.heldLostSincePause - prev.heldLostSincePause;
      if (c.heldLost - prev.heldLost > lateDenials) evictions++;
      // Failures less closes of held connections, the late denials among those added back. (Connections closed
      // before they were held are new connects turned away: they count.)
      connectFailures += c.failed - prev.failed - (c.heldLost - prev.heldLost) + lateDenials;
      prev = c;
      if (connectFailures >= CONFIRM_ATTEMPTS && connectFailures > evictions) break;
    }
    return judgeEviction({ evictions, connectFailures });
  };

  /** Measure eviction; a Stop, or null to go on ramping (a few idle connections closed, nothing more). */
  const evictionCheck = async (t: number): Promise<Stop | null> => {
    // Our replacements would evict in turn: the server's own closes are measured with reconnecting paused.
    driver.pauseReconnects(true);
    const judged = await measureEviction();
    const after = sampleTracked(true);
    if (judged === 'evicting') {
      eviction = {
        maxOpen: after.peakHeld,
        evicted: after.heldLost,
        largestBatch: largestLossBatch,
        firstAtMs: firstHeldLossMs ?? Math.round(t),
      };
      return { kind: 'evicting', confirmed: true, clientClass: null };
    }
    if (judged === 'out-of-time' || judged === 'limit' || backoffs >= MAX_BACKOFFS) {
      return { kind: judged === 'out-of-time' ? 'timed-out' : 'limit-by-failure', confirmed: judged === 'limit', clientClass: null };
    }
    driver.pauseReconnects(false);
    backoffs++;
    failedSeen = after.failed;
    heldLostSeen = after.heldLost;
    adaptive?.resume(clock.elapsed());
    startStage(clock.elapsed(), after.requested, after.attempted, adaptive === null ? undefined : 'resume');
    return null;
  };

  startStage(0, 0, 0, adaptive === null ? undefined : 'start');
  let stop: Stop | null = null;
  while (stop === null) {
    await clock.tick();
    const t = clock.elapsed();
    const c = sampleTracked();
    if (clock.aborted) {
      stop = { kind: 'interrupted', confirmed: false, clientClass: null };
      break;
    }
    if (c.failed > failedSeen) {
      heldAtFirstFailure ??= c.held;
      const clientClass = clientLimitIn(c.failuresByClass);
      if (clientClass !== null && isClientSide(clientClass)) {
        stop = { kind: 'client-limited', confirmed: false, clientClass };
        break;
      }
      if (c.connected === 0) {
        stop = { kind: 'unreachable', confirmed: false, clientClass: null };
        break;
      }
      // Adaptive stages last a window or so: the fastest of them before this failure is the rate absorbed.
      const rateAtFailure = Math.max(stageAchieved(c, t), adaptive === null ? 0 : fastestStageAchieved);
      if (schedule.length === 1) firstStageAchieved ??= rateAtFailure;
      if (looksLikeEviction({ newFailures: c.failed - failedSeen, newHeldLosses: c.heldLost - heldLostSeen })) {
        const evicted = await evictionCheck(t);
        if (evicted !== null) {
          stop = evicted;
          break;
        }
        continue;
      }
      if (settings.until === 'first-failure') {
        // Unconfirmed, the failure may be the rate's own doing: this stage's rate does not count as absorbed.
        stop = { kind: 'limit-by-failure', confirmed: false, clientClass: null };
        break;
      }
      const judged = await confirm(stageRatePerSec(stage));
      lossWatch.note(clock.sample(true), clock.elapsed());
      if (judged === 'evicting?') {
        const evicted = await evictionCheck(t);
        if (evicted !== null) {
          stop = evicted;
          break;
        }
        continue;
      }
      const after = clock.sample(true);
      const lateClient = clientLimitIn(after.failuresByClass);
      if (lateClient !== null && isClientSide(lateClient)) {
        stop = { kind: 'client-limited', confirmed: false, clientClass: lateClient };
        break;
      }
      if (judged === 'rate-limit' && backoffs < MAX_BACKOFFS) {
        backoffs++;
        const failureClass = driver.firstFailures().at(-1)?.class ?? 'other';
        let slower = slowerStage(stage);
        let reason: ScheduleChangeReason | undefined;
        if (adaptive !== null) {
          const change = adaptive.afterRateLimit(clock.elapsed());
          slower = { kind: 'rate', ratePerSec: change.ratePerSec };
          reason = change.reason;
        }
        rateLimits.push({
          failedAtPerSec: Math.round(stageRatePerSec(stage)),
          continuedAtPerSec: Math.round(stageRatePerSec(slower)),
          heldAtMs: Math.round(t),
          failureClass,
        });
        stage = slower;
        failedSeen = after.failed;
        heldLostSeen = after.heldLost;
        driver.pauseReconnects(false);
        adaptive?.resume(clock.elapsed());
        startStage(clock.elapsed(), after.requested, after.attempted, reason);
        continue;
      }
      // A concurrency limit: the rate before the failure was absorbed; the number is where it held.
      absorbedPerSec = Math.max(absorbedPerSec, rateAtFailure);
      stop = { kind: 'limit-by-failure', confirmed: judged === 'concurrency-limit', clientClass: null };
      break;
    }
    if (detectPlateau(clock.timeline, settings.plateauMs) !== null) {
      absorbedPerSec = Math.max(absorbedPerSec, stageAchieved(c, t));
      stop = { kind: 'limit-by-plateau', confirmed: false, clientClass: null };
      break;
    }
    const reach = settings.clientReach;
    if (reach !== null && c.requested >= reach.connections && isDrained(c)) {
      absorbedPerSec = Math.max(absorbedPerSec, stageAchieved(c, t));
      stop = { kind: 'client-limited', confirmed: false, clientClass: reach.limitedBy };
      break;
    }
    if (settings.max !== null && c.requested >= settings.max && isDrained(c)) {
      absorbedPerSec = Math.max(absorbedPerSec, stageAchieved(c, t));
      stop = { kind: 'max-reached', confirmed: false, clientClass: null };
      break;
    }
    if (t >= rampEndMs) {
      absorbedPerSec = Math.max(absorbedPerSec, stageAchieved(c, t));
      stop = { kind: 'timed-out', confirmed: false, clientClass: null };
      break;
    }
    if (adaptive !== null) {
      adaptWindow(c, t);
      openAdaptive(c, t);
      continue;
    }
    let wanted = -1;
    while (stepIdx < steps.length && (steps[stepIdx] as PlanStep).atMs <= t) wanted = (steps[stepIdx++] as PlanStep).total;
    if (reach !== null) wanted = Math.min(wanted, reach.connections);
    if (wanted > c.requested) driver.open(wanted - c.requested);
  }

  const rampPhaseEndMs = clock.elapsed();
  firstStageAchieved ??= stageAchieved(clock.sample(), rampPhaseEndMs);
  fastestStageAchieved = Math.max(fastestStageAchieved, stageAchieved(clock.sample(), rampPhaseEndMs));
  const last = schedule[schedule.length - 1];
  if (last !== undefined) last.toMs = Math.round(rampPhaseEndMs);
  // No new connections from here; with --reconnect, replacements for closed ones go on until the hold ends.
  if (settings.reconnect) {
    driver.dropQueued();
    driver.pauseReconnects(false);
  } else {
    driver.stopOpening();
  }
  let holdStart: PoolCounters | null = null;
  let holdEnd: PoolCounters | null = null;
  let holdStartMs = 0;

  // Let what is in flight resolve, then hold the population to see that it is stable.
  if (stop.kind !== 'interrupted' && stop.kind !== 'unreachable') {
    clock.phase = 'settling';
    const settleBound = Math.min(clock.elapsed() + drainBoundMs, settings.maxDurationMs);
    await clock.waitUntil(isDrained, settleBound);
    await waitQuiet(clock, lossWatch, settings.settleMs + QUIET_EXTRA_MS, settleBound);
    clock.phase = 'hold';
    holdStart = clock.sample(true);
    holdStartMs = clock.elapsed();
    const holdUntil = Math.min(clock.elapsed() + settings.holdMs, settings.maxDurationMs);
    await clock.waitUntil(() => false, holdUntil);
    holdEnd = clock.sample(true);
  }
  driver.stopOpening();
  const holdSamples = clock.timeline.filter((x) => x.tMs >= holdStartMs).map((x) => x.held);
  const heldCloses = heldClosesOf(clock.sample(true), settings.reconnect, holdStart, holdEnd, clock.elapsed() - holdStartMs, holdSamples);
  let handshakeAudit: HandshakeAudit | undefined;
  if (!clock.aborted && clock.sample(true).held > 0) {
    clock.phase = 'checking handshakes';
    handshakeAudit =
      driver.auditHandshakes === undefined
        ? { ran: false, checked: 0, suspects: 0, neverCompleted: 0, note: 'the connections are held in other processes' }
        : await driver.auditHandshakes(Math.max(0, settings.maxDurationMs - clock.elapsed()), hooks.signal);
  }
  if (clock.aborted && stop.kind !== 'interrupted') stop = { kind: 'interrupted', confirmed: false, clientClass: null };
  const final = clock.sample(true);
  // Nothing held is never a capacity: say whether nothing connected or the server turned every connection away.
  const nothing = nothingHeldVerdict(stop.kind, final);
  if (nothing !== null) stop = { kind: nothing, confirmed: false, clientClass: null };
  if (eviction !== undefined) eviction.maxOpen = final.peakHeld;
  const max = limitMax(stop.kind, final);

  const base = { ...resultBase(driver, clock, target, final), maxConcurrency: max };
  const result: RampResult = {
    ...base,
    kind: 'ramp',
    verdict: rampVerdict(stop, max, base.firstFailure?.class ?? null, base.firstFailure?.code ?? null, settings),
    heldAtFirstFailure,
    rate: {
      requestedPerSec: Math.round(stageRatePerSec(settings.stage)),
      achievedPerSec: Math.round(adaptive === null ? firstStageAchieved : Math.max(fastestStageAchieved, firstStageAchieved)),
      ...(adaptive === null ? {} : { adaptive: true, highestRequestedPerSec: Math.round(highestRate) }),
      absorbedPerSec: Math.round(absorbedPerSec),
      rateLimits,
    },
    schedule,
    timeToMaxMs: timeToReach(clock.timeline, max),
    ...(eviction === undefined ? {} : { eviction }),
    ...(heldCloses === null ? {} : { heldCloses }),
    ...(handshakeAudit === undefined ? {} : { handshakeAudit }),
  };
  return result;
}

/**
 * Closes of held connections, apart from failed new connects; with --reconnect, their replacements; and over the
 * hold, the count sustained and the closes per second. Null when nothing held was closed and reconnect is off.
 */
function heldClosesOf(
  final: PoolCounters,
  reconnect: boolean,
  holdStart: PoolCounters | null,
  holdEnd: PoolCounters | null,
  holdMs: number,
  heldDuringHold: readonly number[],
): HeldCloses | null {
  if (final.heldLost === 0 && !reconnect) return null;
  const duringHold = holdStart === null || holdEnd === null ? 0 : holdEnd.heldLost - holdStart.heldLost;
  const sustained =
    heldDuringHold.length === 0 ? (holdEnd?.held ?? final.held) : heldDuringHold.reduce((a, b) => a + b, 0) / heldDuringHold.length;
  return {
    closed: final.heldLost,
    failedNewConnects: final.failed - final.heldLost,
    reconnect,
    replacements: final.reconnects,
    replacementsHeld: final.replacementsHeld,
    duringHold,
    sustained: Math.round(sustained),
    heldAtEnd: holdEnd?.held ?? final.held,
    churnPerSec: holdMs > 0 ? Math.round((duringHold * 1000 * 10) / holdMs) / 10 : 0,
  };
}

function rampVerdict(
  stop: Stop,
  max: number,
  failureClass: string | null,
  failureCode: string | null,
  settings: RampSettings,
): Verdict<RampVerdictKind> {
  const n = max.toLocaleString('en-US');
  const conns = max === 1 ? 'connection' : 'connections';
  const how = failureClass === null ? '' : `${failureClass}${failureCode ? ` (${failureCode})` : ''}`;
  const plain = (summary: string, lowerBound: boolean): Verdict<RampVerdictKind> => ({
    kind: stop.kind,
    summary,
    lowerBound,
    clientLimit: null,
  });
  switch (stop.kind) {
    case 'limit-by-failure':
      return plain(
        stop.confirmed
          ? `The server holds at most ${n} concurrent ${conns}: past that, connects failed with ${how}, and went on failing at a low rate.`
          : `Stopped at the first failure (${how}) with ${n} ${conns} held.`,
        false,
      );
    case 'limit-by-plateau':
      return plain(
        `Held connections stopped growing at ${n} for ${formatDurationMs(settings.plateauMs)} while attempts went on.`,
        false,
      );
    case 'max-reached':
      return plain(`All ${n} connections asked for (--max) were held: the server holds at least ${n}.`, true);
    case 'timed-out':
      return plain(
        `--max-duration ran out with ${n} connections held and no failure: the server holds at least ${n}.`,
        true,
      );
    case 'unreachable':
      return plain(`No connection could be established: ${how || 'no answer'}.`, false);
    case 'rejected':
      return plain(
        `The server rejected every connection from the first one (${how || 'closed'}): that is not a capacity.`,
        false,
      );
    case 'evicting':
      return plain(
        `The server evicts idle connections instead of refusing new ones: at most ${n} open at once.`,
        false,
      );
    case 'client-limited': {
      const cls = stop.clientClass ?? 'fd-limit';
      return {
        kind: 'client-limited',
        summary: `Inconclusive: limited by this machine (${cls}), not by the server; the server holds at least ${n}.`,
        lowerBound: true,
        clientLimit: { class: cls, advice: CLIENT_LIMIT_ADVICE[cls] },
      };
    }
    case 'interrupted':
      return plain(`Interrupted with ${n} connections held: the server holds at least ${n}.`, true);
  }
}
