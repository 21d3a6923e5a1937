/**
 * The human summary of a ramp: the discovered maximum and what it means first, then why the ramp stopped, the
 * failures, rates, latency, where it ran, and a chart of held connections. Plain text, no escape codes.
 */
import { PLAIN, type Paint } from './paint.js';
import { formatCount, formatDurationMs } from '../config/units.js';
import { phaseLine } from './phase-times.js';
import type { NewConnectionLimit, RampResult, ScheduleChangeReason, ScheduleRecord } from '../metrics/result.js';
import { limitFailureClass } from '../metrics/limit-class.js';
import { cleanText, formatOffsetMs, formatRate, joinBlocks, plural, quoteServerText } from './format.js';
import {
  adviceLine,
  clientLimitClass,
  failureTableLines,
  firstFailureLines,
  heldChart,
  latencyLines,
  participantLines,
  sourceLine,
  engineLines,
  targetLine,
  unreachableLine,
  assertionLines,
} from './result-sections.js';
import { maxDurationRanOut } from './verdict-text.js';
import { confirmationLine } from './confirmation-text.js';

export interface RampSummaryOptions {
  /** Append the chart of held connections. Default true. */
  chart?: boolean;
  /** Colour for the verdict words (INCONCLUSIVE, PASS, FAIL); default none. */
  paint?: Paint;
}

/** The first line: the number and what it means, by verdict kind. */
export function rampHeadline(result: RampResult, paint: Paint = PLAIN): string {
  const n = plural(result.maxConcurrency, 'connection');
  switch (result.verdict.kind) {
    case 'limit-by-failure': {
      const cls = limitFailureClass(result) ?? 'failures';
      return `Max concurrency: ${n} (limit found: ${cls} after ${formatCount(result.maxConcurrency)} held)`;
    }
    case 'limit-by-plateau':
      return `Max concurrency: ${n} (limit found: plateau, held count stopped growing while attempts went on)`;
    case 'max-reached':
      return `Max concurrency: at least ${n} (max reached, no failure)`;
    case 'timed-out':
      return result.maxConcurrency === 0
        ? `Max concurrency: none held (timed out without an answer: ${maxDurationRanOut()} before any connection was held)`
        : `Max concurrency: at least ${n} (timed out: ${maxDurationRanOut()} before a limit was found)`;
    case 'unreachable':
      return unreachableLine(result);
    case 'rejected': {
      const f = result.firstFailure;
      const said = f?.serverSaid ? `: ${quoteServerText(f.serverSaid)}` : '';
      return `Max concurrency: none — the server rejected every connection (${f?.class ?? 'closed'})${said}`;
    }
    case 'evicting':
      return `Max concurrency: ${n} open at once (the server evicts idle connections instead of refusing new ones)`;
    case 'client-limited': {
      const cls = clientLimitClass(result) ?? 'unknown limit';
      const named = result.verdict.clientLimit?.participants ?? [];
      const limitOf = (name: string): string => result.participants?.find((p) => p.name === name)?.clientLimit ?? cls;
      const where =
        named.length === 0
          ? `this machine (${cls})`
          : `the load side (${named.map((name) => `${cleanText(name, 40)}: ${limitOf(name)}`).join(', ')})`;
      return `Max concurrency: at least ${n} — ${paint.warn('INCONCLUSIVE')}: limited by ${where}`;
    }
    case 'interrupted':
      return `Max concurrency: at least ${n} (interrupted before a limit was found)`;
  }
}

/**
 * The new-connection rate limit measured, apart from the concurrency limit: what it lets through, how it turns
 * the rest away, and what it was measured from. `synRetransmitted`: connects of the whole run that completed only
 * after their SYN was resent (absent in older documents). Pure.
 */
export function newConnectionLimitLines(limit: NewConnectionLimit, synRetransmitted: number | undefined): string[] {
  const how =
    limit.turnedAwayBy === 'refused'
      ? 'connects beyond it refused'
      : `SYNs beyond it dropped${
          synRetransmitted === undefined || synRetransmitted === 0
            ? ''
            : `: ${plural(synRetransmitted, 'connect')} completed only after their SYN was resent`
        }`;
  return [
    `New-connection rate limit: about ${formatRate(limit.perSec)} (${how})`,
    `  measured: ${formatCount(limit.connects)} connects at ${formatRate(limit.offeredPerSec)}, ${formatCount(limit.passed)} let through ` +
      `in ${formatDurationMs(limit.overMs)} after the first was turned away`,
  ];
}

/** The rate line (what was asked, achieved, absorbed), the adaptive schedule and the rate limits found. Pure. */
export function rateLines(result: Pick<RampResult, 'rate' | 'failures' | 'schedule'> & { counters?: Pick<RampResult['counters'], 'synRetransmitted'> }): string[] {
  const r = result.rate;
  const asked =
    r.adaptive === true
      ? `adaptive from ${formatRate(r.requestedPerSec)}, up to ${formatRate(r.highestRequestedPerSec ?? r.requestedPerSec)} asked`
      : `requested ${formatRate(r.requestedPerSec)}`;
  // The absorbed rate is the highest without failure: with no failure at all, that is every rate, and it is said so.
  const absorbed = result.failures.length === 0 ? 'no failure at any rate' : `highest absorbed without failure ${formatRate(r.absorbedPerSec)}`;
  const lines = [`Rate: ${asked}, achieved ${formatRate(r.achievedPerSec)}, ${absorbed}`];
  if (r.adaptive === true) lines.push(...adaptiveScheduleLines(result.schedule));
  if (r.newConnectionLimit !== undefined) lines.push(...newConnectionLimitLines(r.newConnectionLimit, result.counters?.synRetransmitted));
  for (const limit of r.rateLimits) {
    lines.push(
      `Rate limit: ${limit.failureClass} failures at ${formatRate(limit.failedAtPerSec)}, ` +
        `continued at ${formatRate(limit.continuedAtPerSec)} (at ${formatOffsetMs(limit.heldAtMs)})`,
    );
  }
  return lines;
}

/** Why an adaptive schedule changed its rate, in words. */
export function describeScheduleReason(reason: ScheduleChangeReason): string {
  switch (reason) {
    case 'start':
      return 'slow start';
    case 'all-held':
      return 'every connection held';
    case 'quiet':
      return 'quiet near the edge';
    case 'held-lags':
      return 'held connections stopped following the connects started';
    case 'latency-rose':
      return 'connect latency rose far above its baseline';
    case 'opener-full':
      return "the opener's in-flight slots were full: no faster";
    case 'rate-limit':
      return 'failures stopped at a low rate (a rate limit)';
    case 'resume':
      return 'going on after the eviction check';
  }
}

/** Changes of an adaptive schedule listed one by one at most; the rest are in the JSON document. */
const SCHEDULE_LINES_MAX = 6;

/**
 * The adaptive schedule as run: the slow start as one line (from, to, how long), then each later change with its
 * reason. Pure.
 */
export function adaptiveScheduleLines(schedule: readonly ScheduleRecord[]): string[] {
  let i = 0;
  while (i < schedule.length && (schedule[i]?.reason === 'start' || schedule[i]?.reason === 'all-held')) i++;
  const slowStart = schedule.slice(0, i);
  const lines: string[] = [];
  const first = slowStart[0];
  const last = slowStart.at(-1);
  if (first !== undefined && last !== undefined) {
    lines.push(
      first === last
        ? `Schedule: slow start at ${formatRate(first.ratePerSec ?? 0)}`
        : `Schedule: slow start ${formatRate(first.ratePerSec ?? 0)}, up to ${formatRate(last.ratePerSec ?? 0)} by ${formatOffsetMs(last.fromMs)}`,
    );
  }
  const rest = schedule.slice(i);
  for (const stage of rest.slice(0, SCHEDULE_LINES_MAX)) {
    const why = stage.reason === undefined ? '' : ` (${describeScheduleReason(stage.reason)})`;
    lines.push(`  at ${formatOffsetMs(stage.fromMs)}: ${stage.ratePerSec === undefined ? stage.description : formatRate(stage.ratePerSec)}${why}`);
  }
  if (rest.length > SCHEDULE_LINES_MAX) lines.push(`  and ${plural(rest.length - SCHEDULE_LINES_MAX, 'more change')} (the JSON document's schedule)`);
  return lines;
}

/** What the server did beyond refusing: evictions, handshakes it never completed, answers followed by a close. */
function serverBehaviourLines(result: RampResult): string[] {
  const lines: string[] = [];
  const e = result.eviction;
  if (e !== undefined) {
    lines.push(
      `Evicts idle connections: at most ${formatCount(e.maxOpen)} open at once; it closed ${formatCount(e.evicted)} held ` +
        `connections as new ones came in, up to ${formatCount(e.largestBatch)} at a time, the first at ${formatOffsetMs(e.firstAtMs)}.`,
    );
  }
  const a = result.handshakeAudit;
  if (a !== undefined && a.neverCompleted > 0) {
    lines.push(
      `Not counted: ${plural(a.neverCompleted, 'handshake')} the server never completed (its accept queue was full, ` +
        'it kept retransmitting its SYN-ACK); this side saw them as open.',
    );
  } else if (a !== undefined && !a.ran && a.note !== null) {
    lines.push(`Handshake check not run: ${a.note}.`);
  }
  const c = result.counters;
  if (c.servedThenClosed > 0) {
    lines.push(
      `Served, then closed: the server answered ${plural(c.servedThenClosed, 'connection')} and then closed it; ` +
        'if the request asks for that (HTTP/1.0, "Connection: close"), send a keep-alive request instead.',
    );
  }
  if (c.tlsUnproven > 0) {
    lines.push(
      `TLS: ${plural(c.tlsUnproven, 'connection')} counted by --settle alone: the server sent no session ticket ` +
        'and no bytes to show it finished the handshake.',
    );
  }
  lines.push(...heldClosesLines(result));
  return lines;
}

/**
 * Closes of held connections, told apart from failed new connects: a server that drops idle connections closes
 * held ones with no new connect failing, one that evicts closes old ones as new ones come, one at its cap turns
 * the new ones away. With --reconnect: what replaced them, and the count the hold sustained. Pure.
 */
export function heldClosesLines(result: Pick<RampResult, 'heldCloses'>): string[] {
  const h = result.heldCloses;
  if (h === undefined) return [];
  const lines = [
    `Held connections closed by the server: ${formatCount(h.closed)}, ${formatCount(h.duringHold)} of them during the hold; ` +
      `failed new connects: ${formatCount(h.failedNewConnects)}.`,
  ];
  if (h.reconnect) {
    lines.push(
      `Reconnect: ${plural(h.replacements, 'replacement')} opened, ${formatCount(h.replacementsHeld)} held; ` +
        `sustained ${formatCount(h.sustained)} on average over the hold (${formatCount(h.heldAtEnd)} at its end), churn ${formatRate(h.churnPerSec)}.`,
    );
  }
  return lines;
}

/** When the run added source addresses or processes, and why: the server saw a different client from then on. */
function resourceLines(result: RampResult): string[] {
  return (result.resources ?? []).map(
    (r) =>
      `Added ${r.kind === 'process' ? 'process' : 'source address'} ${r.name} at ${formatCount(r.atConnections)} connections ` +
      `(${formatOffsetMs(r.atMs)}): ${r.reason}`,
  );
}

function timingLine(result: RampResult): string {
  const toMax = result.timeToMaxMs === null ? '' : `, max first reached at ${formatOffsetMs(result.timeToMaxMs)}`;
  return `Duration: ${formatDurationMs(result.durationMs)}${toMax}`;
}

/**
 * Format a ramp result for people. Every number has thousands separators; server bytes are escaped and
 * truncated; the output is plain text (box-drawing characters in the chart, no escape codes). No trailing newline.
 */
export function formatRampSummary(result: RampResult, opts: RampSummaryOptions = {}): string {
  const paint = opts.paint ?? PLAIN;
  const head = [rampHeadline(result, paint), `Stopped: ${cleanText(result.verdict.summary, 400)}`];
  if (result.confirmation !== undefined) head.push(confirmationLine(result.confirmation, result.verdict.kind));
  if (result.verdict.kind === 'client-limited') {
    const advice = adviceLine(result);
    if (advice !== null) head.push(advice);
  }
  const failures = [...firstFailureLines(result, result.heldAtFirstFailure), ...failureTableLines(result)];
  const phases = phaseLine(result);
  const run = [
    ...rateLines(result),
    ...latencyLines(result),
    timingLine(result),
    ...(phases === null ? [] : [phases]),
    targetLine(result),
    sourceLine(result),
    ...engineLines(result),
    ...resourceLines(result),
  ];
  const blocks = [head, assertionLines(result.assertions, paint), serverBehaviourLines(result), failures, run, participantLines(result)];
  // Nothing was ever held (unreachable, rejected, timed out at 0): a flat line at zero would only take space.
  const heldNothing =
    result.verdict.kind === 'unreachable' ||
    result.verdict.kind === 'rejected' ||
    (result.verdict.kind === 'timed-out' && result.maxConcurrency === 0);
  if ((opts.chart ?? true) && !heldNothing) {
    blocks.push([heldChart(result)]);
  }
  return joinBlocks(blocks);
}
