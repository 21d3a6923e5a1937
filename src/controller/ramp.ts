/**
 * The ramp executor: walks the planned schedule, asks the stop decision (ramp-stop.ts) after every sample, runs
 * the phases it calls for (ramp-phases.ts: confirm at a low rate, measure eviction, settle and hold), and returns
 * the findings with the verdict as data (metrics/verdict.ts); reporters word it. It knows nothing about terminals:
 * progress goes out through hooks. The driver stays open: its owner closes it, after the verdict is out (closing
 * 10,000 sockets takes some 300 ms).
 */
import { isClientSide, type ClientFailureClass } from '../types/failure-class.js';
import type { PoolCounters } from '../types/pool-counters.js';
import type { Confirmation, EvictionFinding, HandshakeAudit, HeldCloses, RampResult, ScheduleChangeReason } from '../metrics/result.js';
import type { RampAssertionFacts, RampStop, RampStopReason } from '../metrics/verdict.js';
import { limitFailure } from '../metrics/limit-class.js';
import { resultFailure, summarizeFailures } from '../metrics/result-mapping.js';
import { clientLimitIn, limitMax, loadSideStop, nothingHeldVerdict, reportedRateLimits, timeToReach } from './detect.js';
import type { ProbeDriver } from './driver.js';
import { rateUnderLimit, slowerStage, stageRatePerSec, stageUnder } from './plan.js';
import type { RampOptions } from '../config/ramp-options.js';
import { checkEviction, checkHandshakes, reopenTakenBack, confirmAtLowRate, MAX_BACKOFFS, settleAndHold, type RampPhaseContext } from './ramp-phases.js';
import { RampState } from './ramp-state.js';
import { runConfirmation } from './confirm-stage.js';
import { measureNewConnectionRate } from './rate-phase.js';
import { decideRampTick, maxAskable, type RampBounds } from './ramp-stop.js';
import { RunRecorder, sampleIntervalFor, type RunHooks, type RunOutcome } from './run-context.js';

/**
 * What the executor needs: the schedule and the stop settings as the options hold them (`stage`, `adaptive`,
 * `max`, `plateauMs`, `holdMs`, `until`: see RampOptions), and what the command works out before the run.
 */
export interface RampSettings
  extends Pick<RampOptions, 'stage' | 'adaptive' | 'max' | 'plateauMs' | 'holdMs' | 'until' | 'assertCapacity' | 'confirm'> {
  /**
   * The most this machine can hold (the preflight's figure with every process and address the run may add): the
   * ramp stops there with a client-limited verdict, before the machine's own limit could pass for the server's.
   */
  clientReach: { connections: number; limitedBy: ClientFailureClass } | null;
  /** Hard bound on the whole run, hold included (an adaptive ramp's default is sized to this machine). */
  maxDurationMs: number;
  /** The driver reopens held connections the server closes (--reconnect): they go on doing so through the hold. */
  reconnect: boolean;
  /** Bounds on how long in-flight connections take to resolve (connect timeout, settle, expect timeout). */
  connectTimeoutMs: number;
  settleMs: number;
  expectTimeoutMs: number | null;
}

/** What a ramp found, as data: src/run/result.ts writes the result document from it, the reporters word it. */
export interface RampFindings extends RunOutcome {
  stop: RampStop;
  /** The maximum the verdict stands for (a limit's count, or the peak held). */
  maxConcurrency: number;
  heldAtFirstFailure: number | null;
  rate: RampResult['rate'];
  schedule: RampResult['schedule'];
  timeToMaxMs: number | null;
  eviction?: EvictionFinding;
  confirmation?: Confirmation;
  heldCloses?: HeldCloses;
  handshakeAudit?: HandshakeAudit;
  assertions: RampAssertionFacts[];
}

/**
 * The ramp executor. The driver stays open for the result to read and for its owner to close.
 */
export async function executeRamp(settings: RampSettings, driver: ProbeDriver, hooks: RunHooks = {}): Promise<RampFindings> {
  const recorder = new RunRecorder(driver, sampleIntervalFor(settings.maxDurationMs), hooks);
  // The ramp phase ends early enough for the hold to fit inside --max-duration.
  const rampEndMs = Math.max(settings.maxDurationMs - settings.holdMs, settings.maxDurationMs / 2);
  const drainBoundMs = settings.connectTimeoutMs + Math.max(settings.settleMs, settings.expectTimeoutMs ?? 0) + 500;
  const state = new RampState({ ...settings, rampEndMs }, recorder);
  const ctx: RampPhaseContext = { recorder, driver, state, rampEndMs, drainBoundMs };
  const bounds: RampBounds = { ...settings, rampEndMs };

  state.startStage(0, { requested: 0, attempted: 0, failed: 0, lost: 0 }, state.adaptive === null ? undefined : 'start');
  let stop = await rampPhase(ctx, bounds);

  const rampPhaseEndMs = recorder.elapsed();
  state.finishRampPhase(recorder.sample(), rampPhaseEndMs);
  // No new connections from here; with --reconnect, replacements for closed ones go on until the hold ends. With
  // --confirm, opening stays possible for the confirmation stage (nothing is asked for until then).
  driver.dropQueued();
  if (settings.reconnect) driver.pauseReconnects(false);
  else if (!settings.confirm) driver.stopOpening();
  const hold =
    stop.kind === 'interrupted' || stop.kind === 'unreachable'
      ? { start: null, end: null, startMs: 0 }
      : await settleAndHold(ctx, settings);
  if (settings.confirm) driver.pauseReconnects(true);
  else driver.stopOpening();
  const holdSamples = recorder.timeline.filter((x) => x.tMs >= hold.startMs).map((x) => x.held);
  const heldCloses = heldClosesOf(recorder.sample(true), settings.reconnect, hold.start, hold.end, recorder.elapsed() - hold.startMs, holdSamples);
  const audited = await checkHandshakes(ctx, settings.maxDurationMs, hooks.signal);
  // What a burst overflowed is not lost: the server may hold it when asked one at a time, as its queue drains.
  const reopened = audited === undefined ? 0 : await reopenTakenBack(ctx, audited.neverCompleted, settings, settings.confirm);
  const handshakeAudit = audited === undefined || audited.neverCompleted === 0 ? audited : { ...audited, reopened };
  if (recorder.aborted && stop.kind !== 'interrupted') stop = { kind: 'interrupted' };
  const final = recorder.sample(true);
  // Nothing held is never a capacity: say whether nothing connected, the server turned every connection away, or
  // the time ran out before any connection was open for --settle (nothing failed: no answer yet).
  const nothing = nothingHeldVerdict(stop.kind, final);
  if (nothing !== null) stop = { kind: nothing };
  // Not the server's number when a worker or agent was the bottleneck: its client limits or a busy core.
  stop = loadSideStop(stop, driver.participants());
  // The most the server kept open is the peak over the whole run, hold included.
  const eviction = state.eviction === undefined ? undefined : { ...state.eviction, maxOpen: final.peakHeld };
  const max = limitMax(stop.kind, final);

  const achievedPerSec = state.achievedPerSec();
  // Nothing failed: every rate the run achieved was absorbed (the stop's own stage may have had no time to count).
  const anyRate = final.failed === 0 ? Math.max(state.absorbedPerSec, achievedPerSec) : state.absorbedPerSec;
  // Under a new-connection limit measured, no faster rate was absorbed: what went through faster was its burst (and
  // the SYNs it dropped showed as failures only later). The confirmation stage opens at half of this.
  const absorbedPerSec = state.newConnectionLimit === undefined ? anyRate : Math.min(anyRate, state.newConnectionLimit.perSec);
  // The search's figures are read above; the confirmation stage re-runs its edge on a clean slate after them.
  const searchFirsts = driver.firstFailures();
  const confirmation = settings.confirm
    ? await runConfirmation(recorder, driver, {
        kind: stop.kind,
        found: max,
        absorbedPerSec,
        holdMs: settings.holdMs,
        settleMs: settings.settleMs,
        drainBoundMs,
        maxDurationMs: settings.maxDurationMs,
      })
    : undefined;
  driver.stopOpening();
  // A limit by failure names the failure that marks the limit, the one the summary's headline names too.
  const first = searchFirsts[0];
  const firstFailure = first === undefined ? null : resultFailure(first);
  const named =
    stop.kind === 'limit-by-failure'
      ? limitFailure({ failures: summarizeFailures(final, searchFirsts), firstFailure, rate: { rateLimits: state.rateLimits } })
      : firstFailure;
  const figures = { connections: max, failure: named === null ? null : { class: named.class, code: named.code ?? null } };
  return {
    record: recorder.record(),
    counters: final,
    firstFailures: searchFirsts,
    maxConcurrency: max,
    stop: stop.kind === 'limit-by-plateau' ? { ...stop, ...figures, plateauMs: settings.plateauMs } : { ...stop, ...figures },
    heldAtFirstFailure: state.heldAtFirstFailure,
    rate: {
      requestedPerSec: Math.round(stageRatePerSec(settings.stage)),
      achievedPerSec: Math.round(achievedPerSec),
      ...(state.adaptive === null ? {} : { adaptive: true, highestRequestedPerSec: Math.round(state.highestRate) }),
      absorbedPerSec: Math.round(absorbedPerSec),
      rateLimits: reportedRateLimits(stop.kind, state.rateLimits),
      ...(state.newConnectionLimit === undefined ? {} : { newConnectionLimit: state.newConnectionLimit }),
    },
    schedule: [...state.schedule],
    timeToMaxMs: timeToReach(recorder.timeline, max),
    ...(eviction === undefined ? {} : { eviction }),
    ...(confirmation === undefined ? {} : { confirmation }),
    ...(heldCloses === null ? {} : { heldCloses }),
    ...(handshakeAudit === undefined ? {} : { handshakeAudit }),
    assertions: settings.assertCapacity === null ? [] : [capacityAssertion(settings.assertCapacity, max)],
  };
}

/** --assert-capacity N: at least N connections held at once (the run's maximum, lower bound or not). */
export function capacityAssertion(count: number, held: number): RampAssertionFacts {
  return { name: 'capacity', passed: held >= count, count, held };
}

/**
 * Add connections by the schedule until the stop decision (or a phase it calls for) says why to stop. While adding,
 * the driver drops what waits at the first failure itself (`between` the phases that open one by one, it does not).
 */
async function rampPhase(ctx: RampPhaseContext, bounds: RampBounds): Promise<RampStopReason> {
  ctx.driver.dropQueuedOnFailure?.(true);
  try {
    return await addUntilStop(ctx, bounds);
  } finally {
    ctx.driver.dropQueuedOnFailure?.(false);
  }
}

/** A phase between adding (confirming, measuring eviction) opens one by one: no dropping at a failure meanwhile. */
async function between<T>(ctx: RampPhaseContext, phase: () => Promise<T>): Promise<T> {
  ctx.driver.dropQueuedOnFailure?.(false);
  try {
    return await phase();
  } finally {
    ctx.driver.dropQueuedOnFailure?.(true);
  }
}

async function addUntilStop(ctx: RampPhaseContext, bounds: RampBounds): Promise<RampStopReason> {
  const { recorder, state } = ctx;
  for (;;) {
    await recorder.tick();
    const t = recorder.elapsed();
    const c = state.sampleTracked();
    const decision = decideRampTick(bounds, state.seen, { tMs: t, counters: c, timeline: recorder.timeline, aborted: recorder.aborted });
    const rateAtFailure = state.noteFailures(decision.failures, c, t);
    switch (decision.next) {
      case 'stop':
        if (decision.rateAbsorbed) state.noteAbsorbed(state.stageAchievedAt(c.attempted, t));
        return decision.reason;
      case 'check-eviction': {
        const evicted = await between(ctx, () => checkEviction(ctx, t));
        if (evicted !== null) return evicted;
        continue;
      }
      case 'confirm': {
        const confirmed = await between(ctx, () => confirmAndGoOn(ctx, bounds, t));
        if (confirmed === null) continue;
        // A concurrency limit: the rate before the failure was absorbed; the number is where it held.
        if (confirmed.rateAbsorbed) state.noteAbsorbed(rateAtFailure);
        return confirmed.reason;
      }
      case 'go-on':
        openDue(ctx, bounds, c, t);
    }
  }
}

/**
 * Confirm new failures at a low rate and act on what that finds: a stop (`rateAbsorbed`: the rate the failures
 * came at counts as absorbed: a limit by failure), or null when the ramp goes on (an eviction check that found
 * nothing; a rate limit, after which it measures the limit and goes on at a slower stage, under the limit).
 */
async function confirmAndGoOn(
  ctx: RampPhaseContext,
  bounds: RampBounds,
  t: number,
): Promise<{ reason: RampStopReason; rateAbsorbed: boolean } | null> {
  const { recorder, driver, state } = ctx;
  const judged = await confirmAtLowRate(ctx, stageRatePerSec(state.stage));
  state.sampleTracked(true);
  if (judged === 'evicting?') {
    const evicted = await checkEviction(ctx, t);
    return evicted === null ? null : { reason: evicted, rateAbsorbed: false };
  }
  const after = recorder.sample(true);
  const lateClient = clientLimitIn(after.failuresByClass);
  if (lateClient !== null && isClientSide(lateClient)) {
    return { reason: { kind: 'client-limited', limitedBy: lateClient }, rateAbsorbed: false };
  }
  if (judged === 'rate-limit' && state.backoffs < MAX_BACKOFFS) {
    const failureClass = driver.firstFailures().at(-1)?.class ?? 'other';
    // What the limiter lets through, measured at a steady rate: the ramp's own rates only bracket it.
    const measured = await measureNewConnectionRate(ctx, stageRatePerSec(state.stage), roomLeft(bounds, recorder.sample(true)));
    if (measured !== null) state.noteNewConnectionLimit(measured);
    const ceiling = state.newConnectionLimit === undefined ? null : rateUnderLimit(state.newConnectionLimit.perSec);
    let slower = stageUnder(slowerStage(state.stage), ceiling);
    let reason: ScheduleChangeReason | undefined;
    if (state.adaptive !== null) {
      const change = state.adaptive.afterRateLimit(recorder.elapsed(), ceiling);
      slower = { kind: 'rate', ratePerSec: change.ratePerSec };
      reason = change.reason;
    }
    const rateLimit = {
      failedAtPerSec: Math.round(stageRatePerSec(state.stage)),
      continuedAtPerSec: Math.round(stageRatePerSec(slower)),
      heldAtMs: Math.round(t),
      failureClass,
    };
    driver.pauseReconnects(false);
    // From the counters now: the measure's turned-away connects are accounted for, not new failures.
    state.backOffAndGoOn(recorder.sample(true), { slower, rateLimit, ...(reason === undefined ? {} : { reason }) });
    return null;
  }
  // Out of time or of backoffs, the failures are taken as the limit, unconfirmed.
  return { reason: { kind: 'limit-by-failure', confirmed: judged === 'concurrency-limit' }, rateAbsorbed: true };
}

/** The most the ramp may ask for in all by now (--max, this machine's reach), or null when nothing bounds it. */
function askCeiling(bounds: RampBounds, c: PoolCounters): number | null {
  const limits = [maxAskable(bounds, c), bounds.clientReach?.connections ?? null].filter((x): x is number => x !== null);
  return limits.length === 0 ? null : Math.min(...limits);
}

/** Connections the ramp may still ask for, or null when nothing bounds them. */
function roomLeft(bounds: RampBounds, c: PoolCounters): number | null {
  const ceiling = askCeiling(bounds, c);
  return ceiling === null ? null : Math.max(0, ceiling - c.requested);
}

/** Open what the schedule owes by now: the adaptive walker's window, or the fixed stage's planned steps. */
function openDue(ctx: RampPhaseContext, bounds: RampBounds, c: PoolCounters, t: number): void {
  const { driver, state } = ctx;
  const reach = bounds.clientReach;
  const adaptive = state.adaptive;
  if (adaptive !== null) {
    // The adaptive schedule's window: observe, and start a new stage when the planner changes the rate.
    const change = adaptive.observe(c, t);
    if (change !== null) {
      // Slowing down for the server: what waits to start was asked for at the old rate.
      if (change.reason === 'held-lags' || change.reason === 'latency-rose') driver.dropQueued();
      state.changeRate(change.ratePerSec, t, c, change.reason);
    }
    // Open what the rate owes, within --max and this machine's reach.
    const n = adaptive.due(c, t, askCeiling(bounds, c));
    if (n > 0) driver.open(n);
    return;
  }
  let wanted = state.steps.dueBy(t);
  if (reach !== null) wanted = Math.min(wanted, reach.connections);
  if (wanted > c.requested) driver.open(wanted - c.requested);
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
