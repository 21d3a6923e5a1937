/**
 * The hold executor: open N connections with a delay between each, keep them (reopening closed ones when the
 * engine reconnects), and end after --duration, or when the server has closed them all, or at --max-duration.
 * Assertions for CI are judged here from counters, and returned with the verdict as data (metrics/verdict.ts):
 * reporters word them, the CLI only maps them to exit codes.
 */
import type { PoolCounters } from '../types/pool-counters.js';
import type { ClientFailureClass } from '../types/failure-class.js';
import type { HoldResult, HoldVerdictKind } from '../metrics/result.js';
import type { HoldAssertionFacts, HoldStop } from '../metrics/verdict.js';
import { clientLimitIn } from './detect.js';
import type { ProbeDriver } from './driver.js';
import { planSteps } from './plan.js';
import { RunRecorder, sampleIntervalFor, type RunHooks, type RunOutcome } from './run-context.js';
import { StepCursor } from './step-cursor.js';

export interface HoldSettings {
  connections: number;
  /** Between the creation of each connection; 0 opens them all at once. */
  delayMs: number;
  /** Hold this long from the start, then close; null: wait until the server has closed them all. */
  durationMs: number | null;
  /** Hard bound on the whole run. */
  maxDurationMs: number;
  /**
   * --assert-established N --within T: N connections open within T that stayed open for --settle (a connection
   * the server closes a moment after accepting it never counts).
   */
  assertEstablished: { count: number; withinMs: number } | null;
  /** The engine's --settle: a connection counts for the assertion once it has been open this long. */
  settleMs: number;
  assertHeld: boolean;
}

/** Open connections (established or held) right now. */
const openNow = (c: PoolCounters): number => c.established + c.held;

/** The hold executor. It closes the driver before it returns (the result still reads its histograms). */
export async function executeHold(settings: HoldSettings, driver: ProbeDriver, hooks: RunHooks = {}): Promise<HoldFindings> {
  const endMs = Math.min(settings.durationMs ?? Infinity, settings.maxDurationMs);
  const recorder = new RunRecorder(
    driver,
    // Without --duration the run's length is unknown: start fine-grained; the recorder thins long timelines.
    sampleIntervalFor(settings.durationMs ?? 0),
    hooks,
    Math.max(1, Math.min(20, settings.delayMs)),
  );
  // The opening schedule is a step plan: one connection per delay (or all at once with no delay).
  const steps = new StepCursor(planSteps({
    startMs: 0,
    startTotal: 0,
    max: settings.connections,
    endMs: Infinity,
    tickMs: recorder.tickMs,
    stage:
      settings.delayMs > 0
        ? { kind: 'step', size: 1, intervalMs: settings.delayMs }
        : { kind: 'step', size: settings.connections, intervalMs: 1 },
  }));
  let opened = 0;
  const assertSlackMs = settings.settleMs + 2 * 20 + recorder.tickMs;
  let allEstablishedAtMs: number | null = null;
  let peakOpenWithin = 0;
  let verdictKind: HoldVerdictKind;
  /** When this machine's own limit was first met; the run then only waits for open connections to settle. */
  let limitedAtMs: number | null = null;
  const settleWaitMs = settings.settleMs + 2 * 20 + 2 * recorder.tickMs;
  recorder.enter('opening', 'opening');

  for (;;) {
    const t = recorder.elapsed();
    const c = recorder.sample();
    // Connections established within the window are held --settle later (promoted at the sweep after that, every
    // 20 ms), so the window for held connections is T + settle + two sweeps and a tick.
    if (settings.assertEstablished !== null && t <= settings.assertEstablished.withinMs + assertSlackMs) {
      peakOpenWithin = Math.max(peakOpenWithin, c.held);
    }
    if (allEstablishedAtMs === null && openNow(c) >= settings.connections) {
      allEstablishedAtMs = Math.round(t);
      recorder.enter('holding', 'holding');
    }
    if (recorder.aborted) {
      verdictKind = 'interrupted';
      break;
    }
    if (clientLimitIn(c.failuresByClass) !== null) {
      // The connections open when this machine ran out are still settling (held after --settle): stop opening and
      // let them settle, so the verdict counts what this machine really held instead of "0 held" next to counters
      // that show them established.
      if (limitedAtMs === null) {
        limitedAtMs = t;
        driver.stopOpening();
      }
      if ((c.established === 0 && c.connecting === 0) || t >= limitedAtMs + settleWaitMs || t >= endMs) {
        verdictKind = 'client-limited';
        break;
      }
      await recorder.tick();
      continue;
    }
    const allStarted = opened >= settings.connections && c.queued === 0;
    if (allStarted && c.connected === 0 && c.connecting === 0) {
      verdictKind = 'unreachable';
      break;
    }
    if (settings.durationMs === null && allStarted && c.connecting === 0 && openNow(c) === 0) {
      verdictKind = 'all-closed';
      break;
    }
    if (t >= endMs) {
      verdictKind = settings.durationMs !== null && t >= settings.durationMs ? 'held' : 'timed-out';
      break;
    }
    const wanted = steps.dueBy(t);
    if (wanted > opened) {
      driver.open(wanted - opened);
      opened = wanted;
    }
    // The last tick ends at --duration (or --max-duration), not up to a tick after it.
    await recorder.tick(Math.min(recorder.tickMs, Math.max(1, endMs - recorder.elapsed())));
  }

  driver.stopOpening();
  const final = recorder.sample(true);
  await driver.close();
  const firstFailures = driver.firstFailures();
  const assertions: HoldAssertionFacts[] = [];
  if (settings.assertEstablished !== null) {
    const { count, withinMs } = settings.assertEstablished;
    assertions.push({ name: 'established-within', passed: peakOpenWithin >= count, count, withinMs, established: peakOpenWithin });
  }
  if (settings.assertHeld) {
    const neverEstablished = Math.max(0, settings.connections - final.connected);
    assertions.push({
      name: 'held',
      passed: final.failed === 0 && neverEstablished === 0,
      connections: settings.connections,
      durationMs: settings.durationMs,
      // Lost: held, then closed by the server. Turned away (closed before --settle) is a failure to connect.
      lost: final.heldLost,
      failedToConnect: final.failed - final.heldLost,
    });
  }
  return {
    record: recorder.record(),
    counters: final,
    firstFailures,
    stop: holdStop(verdictKind, final, settings),
    requestedConnections: settings.connections,
    allEstablishedAtMs,
    establishedWithinMs:
      settings.assertEstablished === null
        ? null
        : { withinMs: settings.assertEstablished.withinMs, established: peakOpenWithin },
    // Connections the server closed after they were held; ones it closed before --settle were turned away.
    lostDuringHold: final.heldLost,
    assertions,
  };
}

/** What a hold found, as data: src/run/result.ts writes the result document from it, the reporters word it. */
export interface HoldFindings extends RunOutcome {
  stop: HoldStop;
  requestedConnections: number;
  allEstablishedAtMs: number | null;
  establishedWithinMs: HoldResult['establishedWithinMs'];
  lostDuringHold: number;
  assertions: HoldAssertionFacts[];
}

/** The verdict's kind and the figures its sentence reports. */
function holdStop(kind: HoldVerdictKind, c: PoolCounters, s: HoldSettings): HoldStop {
  const figures = {
    connections: s.connections,
    peakHeld: c.peakHeld,
    held: c.held,
    settling: c.established,
    connected: c.connected,
    lost: c.heldLost,
    turnedAway: c.lost - c.heldLost,
    reconnects: c.reconnects,
    durationMs: s.durationMs,
    maxDurationMs: s.maxDurationMs,
  };
  if (kind !== 'client-limited') return { kind, ...figures };
  const cls = clientLimitIn(c.failuresByClass) ?? 'fd-limit';
  const limitedBy: ClientFailureClass = cls === 'fd-limit' || cls === 'ports' || cls === 'memory' ? cls : 'fd-limit';
  return { kind, limitedBy, ...figures };
}
