/**
 * The confirmation stage (--confirm; Nighthawk's testing stage, RFC 3511's validation): after the search, close
 * every connection, wait a cool-down, open exactly the found count again at a slow steady rate, hold it, and check
 * that one more fails. It runs only after a found limit and only when its expected time fits in what is left of
 * --max-duration; every wait is bounded by it, so the run is never longer than asked. Its plan is confirm-plan.ts;
 * it hands back the facts (metrics/result.ts `Confirmation`); reporters word them.
 */
import type { Confirmation, ConfirmationStop, RampVerdictKind } from '../metrics/result.js';
import { formatCount } from '../config/units.js';
import { confirmationApplies, CONFIRM_LATE_CLOSE_MS, dueByNow, judgeOneMore, planConfirmation } from './confirm-plan.js';
import type { ProbeDriver } from './driver.js';
import { isDrained, type RunRecorder } from './run-context.js';

/** Opening ticks: at 500/s, five connects every 10 ms. */
const OPEN_TICK_MS = 10;

export interface ConfirmationInput {
  /** The verdict of the search, and the count it found (the result's maxConcurrency). */
  kind: RampVerdictKind;
  found: number;
  /** The highest rate the search absorbed without a failure, in connections/s. */
  absorbedPerSec: number;
  holdMs: number;
  settleMs: number;
  /** Longest wait for what is in flight to resolve. */
  drainBoundMs: number;
  /** The run's hard bound, ms since its start. */
  maxDurationMs: number;
}

export async function runConfirmation(recorder: RunRecorder, driver: ProbeDriver, input: ConfirmationInput): Promise<Confirmation> {
  const plan = planConfirmation(input);
  const startMs = recorder.elapsed();
  const deadline = input.maxDurationMs;
  const facts: Confirmation = {
    ran: false,
    stoppedBy: null,
    confirmed: false,
    asked: input.found,
    held: null,
    oneMore: null,
    ratePerSec: plan.ratePerSec,
    coolDownMs: plan.coolDownMs,
    holdMs: plan.holdMs,
    neededMs: plan.neededMs,
    durationMs: 0,
  };
  const stopped = (why: ConfirmationStop): Confirmation => ({ ...facts, stoppedBy: why, durationMs: Math.round(recorder.elapsed() - startMs) });
  if (recorder.aborted) return stopped('interrupted');
  if (!confirmationApplies(input.kind) || input.found === 0) return stopped('not-a-found-limit');
  if (startMs + plan.neededMs > deadline) return stopped('does-not-fit');
  facts.ran = true;
  const phase = `confirming ${formatCount(input.found)}`;

  // 1. Close everything (RST: nothing left in TIME_WAIT) and let the server free its slots.
  recorder.enter('confirm', `${phase}: cooling down`);
  driver.pauseReconnects(true);
  driver.dropQueued();
  driver.releaseAll();
  await recorder.waitUntil(() => false, Math.min(recorder.elapsed() + plan.coolDownMs, deadline));
  const base = recorder.sample(true);
  if (recorder.aborted) return stopped('interrupted');

  // 2. Open exactly the found count at the slow rate, and let the last ones settle.
  recorder.enter('confirm', `${phase} at ${formatCount(plan.ratePerSec)}/s`);
  const openStart = recorder.elapsed();
  let asked = 0;
  while (asked < input.found && recorder.elapsed() < deadline && !recorder.aborted) {
    const due = dueByNow(input.found, plan.ratePerSec, recorder.elapsed() - openStart);
    if (due > asked) {
      driver.open(due - asked);
      asked = due;
    }
    await recorder.tick(OPEN_TICK_MS);
    recorder.sample();
  }
  const opened = await recorder.waitUntil(
    (c) => isDrained(c) && c.attempted - base.attempted >= asked,
    Math.min(recorder.elapsed() + input.drainBoundMs + input.settleMs, deadline),
  );
  if (recorder.aborted) return stopped('interrupted');
  if (asked < input.found || !isDrained(opened)) return stopped('out-of-time');

  // 3. Hold it.
  recorder.enter('confirm', `${phase}: hold`);
  const holdEnd = recorder.elapsed() + plan.holdMs;
  const held = await recorder.waitUntil(() => false, Math.min(holdEnd, deadline));
  facts.held = held.held;
  if (recorder.aborted) return stopped('interrupted');
  if (holdEnd > deadline) return stopped('out-of-time');
  if (held.held < input.found) return { ...facts, durationMs: Math.round(recorder.elapsed() - startMs) };

  // 4. One more: it must fail (refused, timed out, closed at once or later), or a held one be closed for it.
  recorder.enter('confirm', `${phase}: one more`);
  const before = recorder.sample(true);
  driver.open(1);
  const resolved = await recorder.waitUntil(
    (c) => isDrained(c) && c.attempted > before.attempted,
    Math.min(recorder.elapsed() + input.drainBoundMs, deadline),
  );
  if (recorder.aborted) return stopped('interrupted');
  if (!isDrained(resolved)) return stopped('out-of-time');
  const after = await recorder.waitUntil(() => false, Math.min(recorder.elapsed() + CONFIRM_LATE_CLOSE_MS, deadline));
  const oneMore = judgeOneMore(before, after);
  return {
    ...facts,
    oneMore,
    confirmed: oneMore.failed,
    durationMs: Math.round(recorder.elapsed() - startMs),
  };
}
