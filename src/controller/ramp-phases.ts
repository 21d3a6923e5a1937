/**
 * The ramp's phases beyond adding connections: confirming failures at a low rate, measuring an evicting server one
 * connection at a time, settling and holding the population, and checking handshakes. Each one drives the driver
 * and the recorder, and hands back what it found as data; the executor (ramp.ts) decides what follows.
 */
import type { PoolCounters } from '../types/pool-counters.js';
import type { HandshakeAudit } from '../metrics/result.js';
import type { RampStopReason } from '../metrics/verdict.js';
import { judgeConfirmation, judgeEviction, looksLikeEviction } from './detect.js';
import type { ProbeDriver } from './driver.js';
import type { RampState } from './ramp-state.js';
import { isDrained, type RunRecorder } from './run-context.js';

/**
 * Connects made at a low rate to confirm a failure: a tenth of the rate that failed, at most 500/s (five connects
 * fit any accept queue; one let through is enough to call it a rate limit).
 */
const CONFIRM_ATTEMPTS = 5;
const CONFIRM_SPACING_MIN_MS = 2;
const CONFIRM_SPACING_MAX_MS = 100;
/** How often the confirmation looks whether what it waits for has resolved: the ramp's tick is 20 ms. */
const CONFIRM_POLL_MS = 5;
/**
 * Before its connects: this long with no held connection lost, waited for at most CONFIRM_QUIET_MAX_MS. A server
 * that fell behind the ramp turns away what waited in its accept queue when it gets to it, and those closes, among
 * the new connects, would read as evictions (and cost the one-at-a-time check a quiet second and more).
 */
const CONFIRM_QUIET_MS = 100;
const CONFIRM_QUIET_MAX_MS = 500;
/** After this many halvings of the rate, failures are taken as the limit. */
export const MAX_BACKOFFS = 5;
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
/** The handshake audit's first look is taken this long before the hold ends (ProbeDriver.lookBeforeAudit). */
const AUDIT_LOOK_BEFORE_END_MS = 150;

/** What every phase works with. */
export interface RampPhaseContext {
  recorder: RunRecorder;
  driver: ProbeDriver;
  state: RampState;
  /** The ramp phase ends here, ms since the start. */
  rampEndMs: number;
  /** Longest wait for what is in flight to resolve (connect timeout, settle or expect timeout, and a margin). */
  drainBoundMs: number;
}

/** What a low-rate confirmation found. 'evicting?': held connections closed as new ones came in. */
export type ConfirmationFinding = 'concurrency-limit' | 'rate-limit' | 'out-of-time' | 'evicting?';

/** Stop fast-adding, let everything in flight resolve, then try a few connects at a low rate. */
export async function confirmAtLowRate(ctx: RampPhaseContext, failedAtPerSec: number): Promise<ConfirmationFinding> {
  const { recorder, driver, rampEndMs, drainBoundMs } = ctx;
  recorder.enter('low-rate-confirm', 'confirming at a low rate');
  driver.dropQueued();
  // What the server does, not what our replacements make it do (and nothing in flight forever): no reconnects.
  driver.pauseReconnects(true);
  const drained = await recorder.waitUntil(
    (c) => isDrained(ctx.state.track(c)),
    Math.min(recorder.elapsed() + drainBoundMs, rampEndMs),
    CONFIRM_POLL_MS,
  );
  if (!isDrained(drained) || recorder.aborted) return 'out-of-time';
  await waitQuiet(ctx, CONFIRM_QUIET_MS, Math.min(recorder.elapsed() + CONFIRM_QUIET_MAX_MS, rampEndMs));
  const before = ctx.state.sampleTracked();
  if (!isDrained(before) || recorder.aborted) return 'out-of-time';
  const spacingMs = Math.min(
    CONFIRM_SPACING_MAX_MS,
    Math.max(CONFIRM_SPACING_MIN_MS, failedAtPerSec > 0 ? 10_000 / failedAtPerSec : CONFIRM_SPACING_MAX_MS),
  );
  for (let i = 0; i < CONFIRM_ATTEMPTS && recorder.elapsed() < rampEndMs && !recorder.aborted; i++) {
    driver.open(1);
    await recorder.tick(spacingMs);
    recorder.sample();
  }
  const after = await recorder.waitUntil(isDrained, Math.min(recorder.elapsed() + drainBoundMs, rampEndMs), CONFIRM_POLL_MS);
  if (!isDrained(after) || recorder.aborted) return 'out-of-time';
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
}

/**
 * Held connections closed by the server while new ones were being held: an evicting server (nginx closes its
 * oldest idle connections once free slots run low) or one that drops idle connections. Connect one at a time,
 * each settled before the next, so the peak of held connections is the most the server keeps open at once.
 */
async function measureEviction(ctx: RampPhaseContext): Promise<'evicting' | 'limit' | 'none' | 'out-of-time'> {
  const { recorder, driver, rampEndMs, drainBoundMs } = ctx;
  recorder.enter('eviction-measure', 'measuring eviction: one connection at a time');
  driver.dropQueued();
  let start = await recorder.waitUntil(isDrained, Math.min(recorder.elapsed() + drainBoundMs, rampEndMs));
  ctx.state.track(start);
  if (!isDrained(start) || recorder.aborted) return 'out-of-time';
  // Closes still on their way (a server that denies late) must not be taken for evictions: wait until a quiet
  // second passes with no held connection lost.
  for (let i = 0; i < EVICTION_QUIET_TRIES && recorder.elapsed() < rampEndMs && !recorder.aborted; i++) {
    const before = start.heldLost;
    start = await recorder.waitUntil(() => false, Math.min(recorder.elapsed() + EVICTION_QUIET_MS, rampEndMs));
    ctx.state.track(start);
    if (start.heldLost === before) break;
  }
  if (recorder.aborted || recorder.elapsed() >= rampEndMs) return 'out-of-time';
  driver.dropQueued(); // the pause: connections from here on are this phase's own
  let evictions = 0;
  let connectFailures = 0;
  let prev = start;
  for (let i = 0; i < EVICTION_PROBE_ATTEMPTS && evictions < EVICTION_EVENTS_WANTED; i++) {
    if (recorder.elapsed() >= rampEndMs || recorder.aborted) break;
    driver.open(1);
    const c = await recorder.waitUntil(
      (x) => isDrained(x) && x.attempted > prev.attempted,
      Math.min(recorder.elapsed() + drainBoundMs, rampEndMs),
    );
    ctx.state.track(c);
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
}

/**
 * Measure eviction: the stop it comes to, or null to go on ramping (a few idle connections closed, nothing more;
 * the ramp resumes with reconnects allowed again). `atMs`: when the losses were first seen.
 */
export async function checkEviction(ctx: RampPhaseContext, atMs: number): Promise<RampStopReason | null> {
  const { driver, state } = ctx;
  // Our replacements would evict in turn: the server's own closes are measured with reconnecting paused.
  driver.pauseReconnects(true);
  const judged = await measureEviction(ctx);
  const after = state.sampleTracked(true);
  if (judged === 'evicting') {
    state.noteEviction(after, atMs);
    return { kind: 'evicting' };
  }
  if (judged === 'out-of-time') return { kind: 'timed-out' };
  if (judged === 'limit') return { kind: 'limit-by-failure', confirmed: true };
  if (state.backoffs >= MAX_BACKOFFS) return { kind: 'limit-by-failure', confirmed: false };
  driver.pauseReconnects(false);
  state.backOffAndGoOn(after, state.adaptive === null ? {} : { reason: 'resume' });
  return null;
}

/** What the settle-and-hold phase saw: the counters at its start and end, and when it started. */
export interface HoldPhase {
  start: PoolCounters | null;
  end: PoolCounters | null;
  startMs: number;
}

/** Tick until `heldLost` has not grown for `quietMs` (counted from the last change seen) or until `untilMs`. */
async function waitQuiet(ctx: RampPhaseContext, quietMs: number, untilMs: number): Promise<void> {
  const { recorder, state } = ctx;
  state.sampleTracked();
  while (recorder.elapsed() - state.lastLossAtMs < quietMs && recorder.elapsed() < untilMs && !recorder.aborted) {
    await recorder.tick();
    state.sampleTracked();
  }
}

/** Let what is in flight resolve and the server's late closes pass, then hold the population to see it is stable. */
export async function settleAndHold(
  ctx: RampPhaseContext,
  bounds: { settleMs: number; holdMs: number; maxDurationMs: number },
): Promise<HoldPhase> {
  const { recorder } = ctx;
  recorder.enter('settle', 'settling');
  const settleBound = Math.min(recorder.elapsed() + ctx.drainBoundMs, bounds.maxDurationMs);
  await recorder.waitUntil(isDrained, settleBound);
  await waitQuiet(ctx, bounds.settleMs + QUIET_EXTRA_MS, settleBound);
  recorder.enter('hold', 'hold');
  const start = recorder.sample(true);
  const startMs = recorder.elapsed();
  const holdUntil = Math.min(recorder.elapsed() + bounds.holdMs, bounds.maxDurationMs);
  const lookAt = holdUntil - AUDIT_LOOK_BEFORE_END_MS;
  if (ctx.driver.lookBeforeAudit !== undefined && lookAt > recorder.elapsed()) {
    await recorder.waitUntil(() => false, lookAt);
    if (!recorder.aborted) ctx.driver.lookBeforeAudit();
  }
  await recorder.waitUntil(() => false, holdUntil);
  return { start, end: recorder.sample(true), startMs };
}

/** Look for handshakes the server never completed among the held connections (where the driver can). */
export async function checkHandshakes(
  ctx: RampPhaseContext,
  maxDurationMs: number,
  signal: AbortSignal | undefined,
): Promise<HandshakeAudit | undefined> {
  const { recorder, driver } = ctx;
  if (recorder.aborted || recorder.sample(true).held === 0) return undefined;
  recorder.enter('handshake-audit', 'checking handshakes');
  return driver.auditHandshakes === undefined
    ? { ran: false, checked: 0, suspects: 0, neverCompleted: 0, note: 'the connections are held in other processes' }
    : await driver.auditHandshakes(Math.max(0, maxDurationMs - recorder.elapsed()), signal);
}

/**
 * Handshakes the audit took back because a burst overflowed the server's accept queue: the server may hold them
 * (a forking server accepts slowly, and its queue drains), so reopen that many one at a time, each only once the
 * last is held: a connect the server's queue has room for completes on the server as well. Stops at the first
 * that fails (a full queue drops the SYN: a timeout), at --max-duration, or when stopped. Returns how many were
 * held again; opening stops after it unless `keepOpening` (the confirmation stage follows).
 */
export async function reopenTakenBack(
  ctx: RampPhaseContext,
  count: number,
  bounds: { maxDurationMs: number; connectTimeoutMs: number; settleMs: number },
  keepOpening: boolean,
): Promise<number> {
  const { recorder, driver } = ctx;
  // Where opening cannot resume (the connections are spread over processes), a connect asked for would never come.
  if (count <= 0 || recorder.aborted || driver.resumeOpening?.() !== true) return 0;
  const eachMs = bounds.connectTimeoutMs + bounds.settleMs + 500;
  recorder.enter('reopen', 'reopening');
  let reopened = 0;
  try {
    while (reopened < count && !recorder.aborted && recorder.elapsed() + eachMs <= bounds.maxDurationMs) {
      const before = recorder.sample(true);
      driver.open(1);
      const until = recorder.elapsed() + eachMs;
      const after = await recorder.waitUntil((c) => c.held > before.held || c.failed > before.failed, until);
      if (after.held <= before.held) break;
      reopened++;
    }
  } finally {
    // A confirmation stage still to come opens again itself; otherwise opening ends here, as it did before.
    if (!keepOpening) driver.stopOpening();
  }
  return reopened;
}
