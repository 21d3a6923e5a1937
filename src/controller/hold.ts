/**
 * The hold executor: open N connections with a delay between each, keep them (reopening closed ones when the
 * engine reconnects), and end after --duration, or when the server has closed them all, or at --max-duration.
 * Assertions for CI are judged here from counters; the CLI only maps them to exit codes.
 */
import { CLIENT_LIMIT_ADVICE } from '../engine/failure-class.js';
import type { PoolCounters } from '../types/pool-counters.js';
import { formatDurationMs } from '../config/units.js';
import type { AssertionOutcome, HoldResult, HoldVerdictKind, Verdict } from '../metrics/result.js';
import { clientLimitIn } from './detect.js';
import type { ProbeDriver } from './driver.js';
import { planSteps, type PlanStep } from './plan.js';
import { resultBase, RunRecorder, sampleIntervalFor, type RunHooks, type RunTarget } from './run-context.js';

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
  const clock = new RunRecorder(
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
  /** When this machine's own limit was first met; the run then only waits for open connections to settle. */
  let limitedAtMs: number | null = null;
  const settleWaitMs = settings.settleMs + 2 * 20 + 2 * clock.tickMs;
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
      await clock.tick();
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
    const within = formatDurationMs(withinMs);
    const short = count - peakOpenWithin;
    assertions.push({
      name: 'established-within',
      passed: peakOpenWithin >= count,
      expected: `${fmt(count)} established within ${within} and open for --settle`,
      actual: `${fmt(peakOpenWithin)} of ${fmt(count)} established within ${within}${short > 0 ? ` (${fmt(short)} short)` : ''}`,
    });
  }
  if (settings.assertHeld) {
    const neverEstablished = Math.max(0, settings.connections - final.connected);
    const during = settings.durationMs === null ? 'the run' : formatDurationMs(settings.durationMs);
    const passed = final.failed === 0 && neverEstablished === 0;
    assertions.push({
      name: 'held',
      passed,
      expected: `all ${fmt(settings.connections)} held for ${during}, none lost`,
      actual: passed
        ? `all ${fmt(settings.connections)} held for ${during}, none lost`
        : `${fmt(final.lost)} lost, ${fmt(final.failed - final.lost)} failed to connect, of ${fmt(settings.connections)} to hold for ${during}`,
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

/** Counts for people: "2,100", the way every reporter writes them. */
const fmt = (n: number): string => n.toLocaleString('en-US');

/**
 * "169 held" or "169 held (12 more open, not yet held)": the held count is the one the headline reports, and the
 * connections still settling are named, not folded in, so the two lines never disagree.
 */
function heldNow(c: PoolCounters): string {
  return `${fmt(c.held)} held${c.established > 0 ? ` (${fmt(c.established)} more open, not yet held)` : ''}`;
}

function holdVerdict(kind: HoldVerdictKind, c: PoolCounters, s: HoldSettings): Verdict<HoldVerdictKind> {
  const plain = (summary: string): Verdict<HoldVerdictKind> => ({ kind, summary, lowerBound: false, clientLimit: null });
  const peak = fmt(c.peakHeld);
  switch (kind) {
    case 'held':
      return plain(
        `Held ${peak} of ${fmt(s.connections)} connections at the peak for ${formatDurationMs(s.durationMs ?? 0)}; ${fmt(c.lost)} lost, ${fmt(c.reconnects)} reconnects.`,
      );
    case 'all-closed':
      return plain(`The server closed all ${fmt(c.connected)} connections; ${peak} were held at once at the peak.`);
    case 'timed-out':
      return plain(`--max-duration (${formatDurationMs(s.maxDurationMs)}) ran out with ${heldNow(c)} of ${fmt(s.connections)}.`);
    case 'unreachable':
      return plain('No connection could be established.');
    case 'interrupted':
      return plain(`Interrupted with ${heldNow(c)} of ${fmt(s.connections)} connections.`);
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
