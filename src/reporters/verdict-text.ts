/**
 * The verdict in words: the controller returns why a ramp or a hold ended as data (metrics/verdict.ts); this turns
 * it into the result document's `verdict` (its `summary` sentence, the client limit's advice) and the hold
 * assertions' `expected` and `actual`. Every verdict sentence and the flag names in it are written here.
 */
import { formatCount, formatDurationMs } from '../config/units.js';
import { CLIENT_LIMIT_ADVICE } from '../engine/failure-class.js';
import type { AssertionOutcome, HoldVerdictKind, RampVerdictKind, Verdict } from '../metrics/result.js';
import { rampIsLowerBound, type ClientLimit, type HoldAssertionFacts, type HoldStop, type RampAssertionFacts, type RampStop } from '../metrics/verdict.js';

/** How a run that met its hard time bound is told, in every verdict and headline that says so. */
export function maxDurationRanOut(maxDurationMs?: number): string {
  return `--max-duration${maxDurationMs === undefined ? '' : ` (${formatDurationMs(maxDurationMs)})`} ran out`;
}

/** The ramp's verdict for the result document. */
export function rampVerdict(stop: RampStop): Verdict<RampVerdictKind> {
  const lowerBound = rampIsLowerBound(stop.kind);
  if (stop.kind === 'client-limited') {
    const cls = stop.limitedBy;
    const named = stop.participants === undefined ? {} : { participants: stop.participants.map((p) => p.name) };
    return { kind: stop.kind, summary: rampSummary(stop), lowerBound, clientLimit: { class: cls, advice: clientLimitAdvice(cls), ...named } };
  }
  return { kind: stop.kind, summary: rampSummary(stop), lowerBound, clientLimit: null };
}

/** How to lift a limit of the load side. */
export function clientLimitAdvice(limit: ClientLimit): string {
  return limit === 'cpu'
    ? 'spread the load over more processes (agent --workers) or agents, on machines with cores to spare, or lower --rate'
    : CLIENT_LIMIT_ADVICE[limit];
}

/** "the load side (a2: fd-limit, a3: cpu)", or "this machine (ports)" for a run in one process. */
function limitedWhere(stop: Extract<RampStop, { kind: 'client-limited' }>): string {
  const parts = stop.participants;
  if (parts === undefined || parts.length === 0) return `this machine (${stop.limitedBy})`;
  return `the load side (${parts.map((p) => `${p.name}: ${p.limit}`).join(', ')})`;
}

/** One sentence: the ramp's number and what it means. */
export function rampSummary(stop: RampStop): string {
  const max = stop.connections;
  const n = formatCount(max);
  const conns = max === 1 ? 'connection' : 'connections';
  const f = stop.failure;
  const how = f === null ? '' : `${f.class}${f.code ? ` (${f.code})` : ''}`;
  switch (stop.kind) {
    case 'limit-by-failure':
      return stop.confirmed
        ? `The server holds at most ${n} concurrent ${conns}: past that, connects failed with ${how}, and went on failing at a low rate.`
        : `Stopped when connects began to fail with ${how}, with ${n} ${conns} held (not confirmed at a low rate).`;
    case 'limit-by-plateau':
      return `Held connections stopped growing at ${n} for ${formatDurationMs(stop.plateauMs)} while attempts went on.`;
    case 'max-reached':
      return `All ${n} connections asked for (--max) were held: the server holds at least ${n}.`;
    case 'timed-out':
      return max === 0
        ? `${maxDurationRanOut()} before any connection was held, and none failed: timed out without an answer.`
        : `${maxDurationRanOut()} with ${n} connections held and no failure: the server holds at least ${n}.`;
    case 'unreachable':
      return `No connection could be established: ${how || 'no answer'}.`;
    case 'rejected':
      return `The server rejected every connection from the first one (${how || 'closed'}): that is not a capacity.`;
    case 'evicting':
      return `The server evicts idle connections instead of refusing new ones: at most ${n} open at once.`;
    case 'client-limited':
      return `Inconclusive: limited by ${limitedWhere(stop)}, not by the server; the server holds at least ${n}.`;
    case 'interrupted':
      return `Interrupted with ${n} connections held: the server holds at least ${n}.`;
  }
}

/** The hold's verdict for the result document. */
export function holdVerdict(stop: HoldStop): Verdict<HoldVerdictKind> {
  if (stop.kind === 'client-limited') {
    const cls = stop.limitedBy;
    return { kind: stop.kind, summary: holdSummary(stop), lowerBound: true, clientLimit: { class: cls, advice: CLIENT_LIMIT_ADVICE[cls] } };
  }
  return { kind: stop.kind, summary: holdSummary(stop), lowerBound: false, clientLimit: null };
}

/**
 * "169 held" or "169 held (12 more open, not yet held)": the held count is the one the headline reports, and the
 * connections still settling are named, not folded in, so the two lines never disagree.
 */
function heldNow(s: HoldStop): string {
  return `${formatCount(s.held)} held${s.settling > 0 ? ` (${formatCount(s.settling)} more open, not yet held)` : ''}`;
}

/** One sentence: how the hold ended. */
export function holdSummary(s: HoldStop): string {
  const peak = formatCount(s.peakHeld);
  const of = formatCount(s.connections);
  switch (s.kind) {
    case 'held':
      return (
        `Held ${peak} of ${of} connections at the peak for ${formatDurationMs(s.durationMs ?? 0)}` +
        // A --duration shorter than --settle ends with connections open but not yet held: say so, not "0 held".
        `${s.settling > 0 ? ` (${formatCount(s.settling)} more open at the end, not yet held)` : ''}; ` +
        `${s.turnedAway > 0 ? `${formatCount(s.turnedAway)} turned away by the server, ` : ''}` +
        `${formatCount(s.lost)} lost, ${formatCount(s.reconnects)} reconnects.`
      );
    case 'all-closed':
      return `The server closed all ${formatCount(s.connected)} connections; ${peak} were held at once at the peak.`;
    case 'timed-out':
      return `${maxDurationRanOut(s.maxDurationMs)} with ${heldNow(s)} of ${of}.`;
    case 'unreachable':
      return 'No connection could be established.';
    case 'interrupted':
      return `Interrupted with ${heldNow(s)} of ${of} connections.`;
    case 'client-limited':
      return `Inconclusive: limited by this machine (${s.limitedBy}) at ${peak} held connections, not by the server.`;
  }
}

/** A hold assertion for the result document: what was asked and what was seen, in words. */
export function holdAssertion(a: HoldAssertionFacts): AssertionOutcome {
  if (a.name === 'established-within') {
    const within = formatDurationMs(a.withinMs);
    const short = a.count - a.established;
    return {
      name: a.name,
      passed: a.passed,
      expected: `${formatCount(a.count)} established within ${within} and open for --settle`,
      actual: `${formatCount(a.established)} of ${formatCount(a.count)} established within ${within}${short > 0 ? ` (${formatCount(short)} short)` : ''}`,
    };
  }
  const during = a.durationMs === null ? 'the run' : formatDurationMs(a.durationMs);
  const all = `all ${formatCount(a.connections)} held for ${during}, none lost`;
  return {
    name: a.name,
    passed: a.passed,
    expected: all,
    actual: a.passed
      ? all
      : `${formatCount(a.lost)} lost, ${formatCount(a.failedToConnect)} failed to connect, of ${formatCount(a.connections)} to hold for ${during}`,
  };
}

/** A ramp assertion for the result document: what was asked and what was seen, in words. */
export function rampAssertion(a: RampAssertionFacts): AssertionOutcome {
  const short = a.count - a.held;
  return {
    name: a.name,
    passed: a.passed,
    expected: `at least ${formatCount(a.count)} held`,
    actual: `${formatCount(a.held)} held${short > 0 ? ` (${formatCount(short)} short)` : ''}`,
  };
}
