/**
 * The hold executor: open N connections with a delay between each, keep them (reopening closed ones when the
 * engine reconnects), and end after --duration, or when the server has closed them all, or at --max-duration.
 * Assertions for CI are judged here from counters; the CLI only maps them to exit codes.
 */
import { CLIENT_LIMIT_ADVICE } from '../engine/failure-class.js';
import type { PoolCounters } from '../engine/connection-pool.js';
import { formatDurationMs } from '../config/units.js';
import type { AssertionOutcome, HoldResult, HoldVerdictKind, Verdict } from '../metrics/result.js';
import { clientLimitIn } from './detect.js';
import type { ProbeDriver } from './driver.js';
import { planSteps, type PlanStep } from './plan.js';
import { resultBase, RunClock, sampleIntervalFor, type RunHooks, type RunTarget } from './run-context.js';

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

export async function runHold(
  settings: HoldSettings,
  driver: ProbeDriver,
  target: RunTarget,
  hooks: RunHooks = {},
): Promise<HoldResult> {
  const endMs = Math.min(settings.durationMs ?? Infinity, settings.maxDurationMs);
  const clock = new RunClock(
    driver,
    // Without --duration the run's length is unknown: start fine-grained; the clock thins long timelines.
    sampleIntervalFor(settings.durationMs ?? 0),
    hooks,
    Math.max(1, Math.min(20, settings.delayMs)),
  );
  // The opening schedule is a step plan: one connection per delay (or all at once with no delay).
  const steps: PlanStep[] = planSteps({
    startMs: 0,
    startTotal: 0,
    max: settings.connections,
    endMs: Infinity,
    tickMs: clock.tickMs,
    stage:
      settings.delayMs > 0
        ? { kind: 'step', size: 1, intervalMs: settings.delayMs }
        : { kind: 'step', size: settings.connections, intervalMs: 1 },
  });
  let stepIdx = 0;
  let opened = 0;
  const assertSlackMs = settings.settleMs + 2 * 20 + clock.tickMs;
  let allEstablishedAtMs: number | null = null;
  let peakOpenWithin = 0;
  let verdictKind: HoldVerdictKind;
  clock.phase = 'opening';

  for (;;) {
    const t = clock.elapsed();
    const c = clock.sample();
    // Connections established within the window are held --settle later (promoted at the sweep after that, every
    // 20 ms), so the window for held connections is T + settle + two sweeps and a tick.
    if (settings.assertEstablished !== null && t <= settings.assertEstablished.withinMs + assertSlackMs) {
      peakOpenWithin = Math.max(peakOpenWithin, c.held);
    }
    if (allEstablishedAtMs === null && openNow(c) >= settings.connections) {
      allEstablishedAtMs = Math.round(t);
      clock.phase = 'holding';
    }
    if (clock.aborted) {
      verdictKind = 'interrupted';
      break;
    }
    if (clientLimitIn(c.failuresByClass) !== null) {
      verdictKind = 'client-limited';
      break;
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
    let wanted = -1;
    while (stepIdx < steps.length && (steps[stepIdx] as PlanStep).atMs <= t) wanted = (steps[stepIdx++] as PlanStep).total;
    if (wanted > opened) {
      driver.open(wanted - opened);
      opened = wanted;
    }
    await clock.tick();
  }

  driver.stopOpening();
  const final = clock.sample(true);
  await driver.close();
  const base = resultBase(driver, clock, target, final);
  const assertions: AssertionOutcome[] = [];
  if (settings.assertEstablished !== null) {
    const { count, withinMs } = settings.assertEstablished;
    assertions.push({
      name: 'established-within',
      passed: peakOpenWithin >= count,
      expected: `>= ${count} established within ${formatDurationMs(withinMs)} and open for --settle`,
      actual: `${peakOpenWithin} established and held${peakOpenWithin < count ? ` (${count - peakOpenWithin} short)` : ''}`,
    });
  }
  if (settings.assertHeld) {
    const neverEstablished = Math.max(0, settings.connections - final.connected);
    assertions.push({
      name: 'held',
      passed: final.failed === 0 && neverEstablished === 0,
      expected: `all ${settings.connections} held for ${settings.durationMs === null ? 'the run' : formatDurationMs(settings.durationMs)}, none lost`,
      actual: `${final.lost} lost, ${final.failed - final.lost} failed to connect`,
    });
  }
  return {
    ...base,
    kind: 'hold',
    verdict: holdVerdict(verdictKind, final, settings),
    requestedConnections: settings.connections,
    allEstablishedAtMs,
    establishedWithinMs:
      settings.assertEstablished === null
        ? null
        : { withinMs: settings.assertEstablished.withinMs, established: peakOpenWithin },
    lostDuringHold: final.lost,
    assertions,
  };
}

function holdVerdict(kind: HoldVerdictKind, c: PoolCounters, s: HoldSettings): Verdict<HoldVerdictKind> {
  const plain = (summary: string): Verdict<HoldVerdictKind> => ({ kind, summary, lowerBound: false, clientLimit: null });
  const peak = c.peakHeld.toLocaleString('en-US');
  switch (kind) {
    case 'held':
      return plain(
        `Held ${peak} of ${s.connections} connections at the peak for ${formatDurationMs(s.durationMs ?? 0)}; ${c.lost} lost, ${c.reconnects} reconnects.`,
      );
    case 'all-closed':
      return plain(`The server closed all ${c.connected} connections; ${peak} were held at once at the peak.`);
    case 'timed-out':
      return plain(`--max-duration (${formatDurationMs(s.maxDurationMs)}) ran out with ${c.held + c.established} open.`);
    case 'unreachable':
      return plain('No connection could be established.');
    case 'interrupted':
      return plain(`Interrupted with ${c.held + c.established} connections open.`);
    case 'client-limited': {
      const cls = clientLimitIn(c.failuresByClass) ?? 'fd-limit';
      const limited = cls === 'fd-limit' || cls === 'ports' || cls === 'memory' ? cls : 'fd-limit';
      return {
        kind,
        summary: `Inconclusive: limited by this machine (${limited}) at ${peak} held connections, not by the server.`,
        lowerBound: true,
        clientLimit: { class: limited, advice: CLIENT_LIMIT_ADVICE[limited] },
      };
    }
  }
}
