/**
 * Measuring a new-connection rate limit. Failures that stop when the rate drops (the low-rate confirmation's
 * 'rate-limit') may be a limiter in front of the server (iptables hashlimit, a proxy's connection rate) or a server
 * that accepts slowly; the ramp's own rates say only that it failed at one and not at another. So the limit is
 * measured: from nothing in flight, a steady stream of connects faster than the limiter lets through, and from
 * what became of each one's first SYN (the engine's first-SYN log: answered, unanswered until the kernel resent it
 * or timed out, refused) the connects it let through per second once it turned the first away
 * (`newConnectionRate`, detect.ts). The ramp then goes on under that rate.
 */
import type { NewConnectionLimit } from '../metrics/result.js';
import { newConnectionRate } from './detect.js';
import type { RampPhaseContext } from './ramp-phases.js';
import { isDrained } from './run-context.js';

/** The stream runs at the rate that failed, at most this fast: limits up to about this rate can be measured. */
const MEASURE_MAX_PER_SEC = 500;
/**
 * Connects in the stream, and at most this long: 200 is under the default in-flight cap (256), so every connect
 * starts on time while those turned away wait a second for their resent SYN; and within a second, no resent SYN
 * of the stream competes with its first ones.
 */
const MEASURE_CONNECTS = 200;
const MEASURE_MAX_MS = 500;
/** Fewer connects than this say nothing (a rate below 40/s that failed: measured no further). */
const MEASURE_MIN_CONNECTS = 20;
/** Connects go out this often (a few at a time), not in one batch per 20 ms tick. */
const MEASURE_TICK_MS = 5;

/**
 * Measure the limit (see above) at the rate that failed, within `room` more connections (--max, this machine's
 * reach; null: no bound) and the ramp phase's time. Null when it cannot run here (the connects are spread over
 * processes), no connect has been turned away at its first SYN yet, it does not fit, or it found nothing to
 * measure (nothing turned away, too few connects answered).
 */
export async function measureNewConnectionRate(
  ctx: RampPhaseContext,
  failedAtPerSec: number,
  room: number | null,
): Promise<NewConnectionLimit | null> {
  const { recorder, driver, rampEndMs, drainBoundMs } = ctx;
  const log = driver.firstSynOutcomes?.() ?? null;
  // Nothing turned away at its first SYN so far: whatever failed (held connections closed), no limiter of new
  // connections did, and a stream of 200 connects would only churn the server.
  if (log === null || log.turnedAway() === 0) return null;
  const ratePerSec = Math.min(MEASURE_MAX_PER_SEC, Math.floor(failedAtPerSec));
  const connects = Math.min(MEASURE_CONNECTS, Math.floor((ratePerSec * MEASURE_MAX_MS) / 1000), room ?? Number.POSITIVE_INFINITY);
  if (connects < MEASURE_MIN_CONNECTS) return null;
  // From nothing in flight: no connect of the ramp's (or its resent SYNs) competes with the stream.
  const before = await recorder.waitUntil(isDrained, Math.min(recorder.elapsed() + drainBoundMs, rampEndMs));
  const streamMs = (connects * 1000) / ratePerSec;
  if (!isDrained(before) || recorder.aborted || recorder.elapsed() + streamMs + drainBoundMs > rampEndMs) return null;
  recorder.enter('rate-measure', `measuring the rate limit at ${ratePerSec}/s`);
  const fromBin = log.nowBin();
  const startMs = recorder.elapsed();
  let opened = 0;
  while (opened < connects && !recorder.aborted) {
    const due = Math.min(connects, Math.floor(((recorder.elapsed() - startMs) * ratePerSec) / 1000) + 1);
    if (due > opened) {
      driver.open(due - opened);
      opened = due;
    }
    await recorder.tick(MEASURE_TICK_MS);
    recorder.sample();
  }
  // Every connect of the stream has ended its first SYN once nothing is in flight (a dropped one by its resend
  // or its timeout).
  const after = await recorder.waitUntil(isDrained, Math.min(recorder.elapsed() + drainBoundMs, rampEndMs));
  if (!isDrained(after) || recorder.aborted) return null;
  const found = newConnectionRate(log.since(fromBin));
  return found === null ? null : { ...found, offeredPerSec: ratePerSec, connects: opened, atMs: Math.round(startMs) };
}
