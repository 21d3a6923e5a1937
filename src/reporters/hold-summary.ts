/**
 * The human summary of a hold: the outcome first, then requested/established/held/lost counts, assertion outcomes,
 * failures, latency, where it ran, and a chart of held connections. Plain text, no escape codes.
 */
import { PLAIN, type Paint } from './paint.js';
import { formatCount, formatDurationMs } from '../config/units.js';
import type { HoldResult } from '../metrics/result.js';
import { cleanText, formatOffsetMs, joinBlocks } from './format.js';
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
import { phaseLine } from './phase-times.js';

/**
 * Held at the end of the hold. Read from the counters, which the controller snapshots before closing the pool.
 */
function heldAtEnd(result: HoldResult): number {
  return result.counters.held;
}

/** "997 of 1,000" */
function ofRequested(n: number, result: HoldResult): string {
  return `${formatCount(n)} of ${formatCount(result.requestedConnections)}`;
}

/** The first line: the outcome, by verdict kind. */
export function holdHeadline(result: HoldResult, paint: Paint = PLAIN): string {
  const peak = `peak ${formatCount(result.maxConcurrency)}`;
  const held = ofRequested(heldAtEnd(result), result);
  switch (result.verdict.kind) {
    case 'held':
      return `Held: ${held} connections held at the end (${peak})`;
    case 'all-closed':
      return `All closed: the server closed every connection (${peak} of ${formatCount(result.requestedConnections)})`;
    case 'timed-out':
      return `Timed out: ${held} connections held when ${maxDurationRanOut()} (${peak})`;
    case 'unreachable':
      return unreachableLine(result);
    case 'client-limited': {
      const cls = clientLimitClass(result) ?? 'unknown limit';
      return `${paint.warn('INCONCLUSIVE')}: limited by this machine (${cls}): ${held} connections held (${peak})`;
    }
    case 'interrupted':
      return `Interrupted: ${held} connections held (${peak})`;
  }
}

/**
 * Connections the server closed before they were held (before --settle): turned away at its cap, not established
 * and then lost. Lost connections that had been held are the document's `lostDuringHold`.
 */
function turnedAway(result: HoldResult): number {
  return Math.max(0, result.counters.lost - result.counters.heldLost);
}

function countLines(result: HoldResult): string[] {
  const c = result.counters;
  const away = turnedAway(result);
  const lines = [
    `Requested ${formatCount(result.requestedConnections)}  established ${formatCount(c.connected - away)}  ` +
      `${away > 0 ? `turned away ${formatCount(away)}  ` : ''}` +
      `held at end ${formatCount(heldAtEnd(result))}  lost during hold ${formatCount(result.lostDuringHold)}  ` +
      `reconnects ${formatCount(c.reconnects)}`,
  ];
  lines.push(
    result.allEstablishedAtMs === null
      ? `All ${formatCount(result.requestedConnections)} established: never`
      : `All ${formatCount(result.requestedConnections)} established at ${formatOffsetMs(result.allEstablishedAtMs)}`,
  );
  const w = result.establishedWithinMs;
  if (w !== null) lines.push(`Established within ${formatDurationMs(w.withinMs)}: ${formatCount(w.established)}`);
  return lines;
}

export interface HoldSummaryOptions {
  /** Append the chart of held connections. Default true. */
  chart?: boolean;
  /** Colour for the verdict words (INCONCLUSIVE, PASS, FAIL); default none. */
  paint?: Paint;
}

/**
 * Format a hold result for people. Every number has thousands separators; server bytes are escaped and
 * truncated; the output is plain text (box-drawing characters in the chart, no escape codes). No trailing newline.
 */
export function formatHoldSummary(result: HoldResult, opts: HoldSummaryOptions = {}): string {
  const paint = opts.paint ?? PLAIN;
  const head = [holdHeadline(result, paint), `Verdict: ${cleanText(result.verdict.summary, 400)}`];
  if (result.verdict.kind === 'client-limited') {
    const advice = adviceLine(result);
    if (advice !== null) head.push(advice);
  }
  const assertions = assertionLines(result.assertions, paint);
  const failures = [...firstFailureLines(result), ...failureTableLines(result)];
  const phases = phaseLine(result);
  const run = [
    ...latencyLines(result),
    `Duration: ${formatDurationMs(result.durationMs)}`,
    ...(phases === null ? [] : [phases]),
    targetLine(result),
    sourceLine(result),
    ...engineLines(result),
  ];
  const blocks = [head, countLines(result), assertions, failures, run, participantLines(result)];
  if ((opts.chart ?? true) && result.verdict.kind !== 'unreachable') blocks.push([heldChart(result)]);
  return joinBlocks(blocks);
}
