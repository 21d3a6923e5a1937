/**
 * Sections that ramp and hold summaries share: first failure, failure table, latency, target, source addresses,
 * participants and the chart of held connections. Each returns lines (no trailing newline); empty when the
 * section has nothing to say. Pure functions of the result document.
 */
import { PLAIN, type Paint } from './paint.js';
import { CLIENT_LIMIT_ADVICE } from '../engine/failure-class.js';
import { isClientSide, type FailureClass } from '../types/failure-class.js';
import type { FailureRecord } from '../types/pool-counters.js';
import type { AssertionOutcome, ParticipantSummary, ProbeResult } from '../metrics/result.js';
import type { ProcessUse } from '../types/participant-protocol.js';
import { renderChart } from './chart.js';
import { MISSING, cleanText, compactAddresses, formatHostPort, formatLatency, formatMs, formatOffsetMs, formatTable, quoteServerText } from './format.js';
import { formatCount } from '../config/units.js';

/** Width of the example column in failure tables: the table should fit an 80- to 100-column terminal. */
const EXAMPLE_MAX = 60;

/** "Target unreachable: ECONNREFUSED — connect ECONNREFUSED 127.0.0.1:9", from the first failure if any. */
export function unreachableLine(result: ProbeResult): string {
  const f = result.firstFailure;
  const where = formatHostPort(result.target.host, result.target.port);
  if (f === null) return `Target unreachable: no connection to ${where} could be established`;
  const what = f.code ?? f.class;
  return `Target unreachable: ${cleanText(what, 40)} (${f.class}) connecting to ${where}: ${cleanText(f.message)}`;
}

/** The load side's limit that limited the run: from the verdict, else the first client-side failure class. */
export function clientLimitClass(result: ProbeResult): FailureClass | 'cpu' | null {
  if (result.verdict.clientLimit !== null) return result.verdict.clientLimit.class;
  return result.failures.find((f) => isClientSide(f.class))?.class ?? null;
}

/** "Advice: raise the open-files limit ..." for an inconclusive, client-limited run. */
export function adviceLine(result: ProbeResult): string | null {
  const advice = result.verdict.clientLimit?.advice;
  if (advice !== undefined && advice !== '') return `Advice: ${cleanText(advice, 400)}`;
  const cls = clientLimitClass(result);
  if (cls !== null && cls !== 'cpu' && isClientSide(cls)) return `Advice: ${CLIENT_LIMIT_ADVICE[cls]}`;
  return null;
}

/** Where a failure happened, for people: "while connecting", "0.8ms after connect, while held". */
function whenLost(f: FailureRecord): string {
  if (f.phase === 'connect') return 'while connecting';
  const after = f.afterConnectMs === null ? '' : `${formatMs(f.afterConnectMs)} after connect, `;
  return `${after}while ${f.phase}`;
}

/**
 * The first failure in full: class, code, when (and with how many held, if known), in which phase, message, and
 * what the server said (escaped, truncated).
 */
export function firstFailureLines(result: ProbeResult, heldAtFailure: number | null = null): string[] {
  const f = result.firstFailure;
  if (f === null) return ['First failure: none'];
  const code = f.code === null ? 'no error code' : cleanText(f.code, 40);
  const held = heldAtFailure === null ? '' : `, with ${formatCount(heldAtFailure)} held`;
  const from = f.sourceAddress === null ? '' : ` from ${cleanText(f.sourceAddress, 60)}`;
  const lines = [
    `First failure: ${f.class} (${code}) at ${formatOffsetMs(f.atMs)}${held}`,
    `  ${whenLost(f)} (conn ${f.connId}${from})`,
  ];
  if (f.message !== '') lines.push(`  message: ${cleanText(f.message)}`);
  if (f.serverSaid !== null && f.serverSaid !== '') lines.push(`  server said: ${quoteServerText(f.serverSaid)}`);
  return lines;
}

/** A short example of a failure for a table cell: what the server said, else code and message. */
function example(f: FailureRecord): string {
  if (f.serverSaid !== null && f.serverSaid !== '') return `server said ${quoteServerText(f.serverSaid, EXAMPLE_MAX)}`;
  const text = f.code !== null && !f.message.includes(f.code) ? `${f.code}: ${f.message}` : f.message;
  return cleanText(text, EXAMPLE_MAX);
}

/** Failures by class, most frequent first, with when the first one happened and an example. */
export function failureTableLines(result: ProbeResult): string[] {
  if (result.failures.length === 0) return ['Failures: none'];
  const sorted = [...result.failures].sort((a, b) => b.count - a.count || a.first.atMs - b.first.atMs);
  const rows = sorted.map((f) => [
    f.class + (isClientSide(f.class) ? ' (this machine)' : ''),
    formatCount(f.count),
    formatOffsetMs(f.first.atMs),
    f.first.phase,
    example(f.first),
  ]);
  return [
    `Failures: ${formatCount(result.counters.failed)} in total`,
    ...formatTable(['class', 'count', 'first at', 'phase', 'first example'], rows, ['left', 'right', 'right']),
  ];
}

/** Connect latency and, for TLS, handshake latency. */
export function latencyLines(result: ProbeResult): string[] {
  const lines = [`Connect latency: ${formatLatency(result.connectLatencyMs)}`];
  if (result.tlsHandshakeMs !== null) lines.push(`TLS handshake:   ${formatLatency(result.tlsHandshakeMs)}`);
  return lines;
}

/** "Target: example.com:443 (TLS), resolved to 10.0.0.1, 10.0.0.2; pinned to 10.0.0.1". */
export function targetLine(result: ProbeResult): string {
  const t = result.target;
  const head = `Target: ${cleanText(formatHostPort(t.host, t.port), 300)}${t.tls ? ' (TLS)' : ''}`;
  const resolved = t.resolved.length === 0 ? '' : `, resolved to ${compactAddresses(t.resolved)}`;
  const used =
    t.addressMode === 'pinned'
      ? `; pinned to ${t.used[0] ?? MISSING}`
      : `; spread over ${compactAddresses(t.used)}`;
  return head + resolved + used;
}

/** "Source addresses: 127.0.0.2-127.0.0.9" or the kernel's choice. */
export function sourceLine(result: ProbeResult): string {
  if (result.sourceAddresses.length === 0) return 'Source addresses: chosen by the kernel';
  const n = result.sourceAddresses.length;
  return `Source addresses: ${compactAddresses(result.sourceAddresses)}${n > 1 ? ` (${formatCount(n)})` : ''}`;
}

/** "Engine: native", or "Engine: js (why)"; nothing for a result that did not record it. */
export function engineLines(result: ProbeResult): string[] {
  const e = result.engine;
  if (e === undefined) return [];
  return [e.why === null ? `Engine: ${e.name}` : `Engine: ${e.name} (${cleanText(e.why, 200)})`];
}

/**
 * Workers or agents, one row each; nothing for a single process. Agents choose their engine: a column says which.
 * What their processes used (CPU of the busiest, memory per held connection, open files) where they said.
 */
export function participantLines(result: ProbeResult): string[] {
  const parts = result.participants;
  if (parts === undefined || parts.length === 0) return [];
  const withEngine = parts.some((p) => p.engine !== undefined);
  const withUse = parts.some((p) => p.use !== undefined);
  const withShare = parts.some((p) => p.share !== undefined);
  const rows = parts.map((p) => [
    cleanText(p.name, 40),
    ...(withEngine ? [p.engine ?? MISSING] : []),
    formatCount(p.maxHeld),
    ...(withShare ? [p.share === undefined ? MISSING : `${Math.round(p.share * 100)}%`] : []),
    formatCount(p.counters.attempted),
    formatCount(p.counters.failed),
    formatCount(p.counters.reconnects),
    p.clientLimit ?? MISSING,
    p.lostAtMs === null ? MISSING : formatOffsetMs(p.lostAtMs),
    ...(withUse ? useCells(p) : []),
  ]);
  return [
    `Participants: ${formatCount(parts.length)}`,
    ...startDriftLines(parts),
    ...formatTable(
      [
        'name',
        ...(withEngine ? ['engine'] : []),
        'max held',
        ...(withShare ? ['share'] : []),
        'attempted',
        'failed',
        'reconnects',
        'client limit',
        'lost at',
        ...(withUse ? ['cpu', 'mem/conn', 'open files'] : []),
      ],
      rows,
      [
        'left',
        ...(withEngine ? (['left'] as const) : []),
        'right',
        ...(withShare ? (['right'] as const) : []),
        'right',
        'right',
        'right',
        'left',
        'right',
        ...(withUse ? (['right', 'right', 'right'] as const) : []),
      ],
    ),
  ];
}

/**
 * "Start drift: 41ms (the first ask applied 12ms (a1) to 53ms (a3) after it was sent)": how far apart the
 * participants began; nothing when fewer than two said.
 */
function startDriftLines(parts: readonly ParticipantSummary[]): string[] {
  const lags = parts.flatMap((p) => (p.startLagMs === undefined || p.startLagMs === null ? [] : [{ name: p.name, ms: p.startLagMs }]));
  if (lags.length < 2) return [];
  const sorted = [...lags].sort((a, b) => a.ms - b.ms);
  const first = sorted[0]!;
  const last = sorted[sorted.length - 1]!;
  return [
    `Start drift: ${formatMs(last.ms - first.ms)} (the first ask applied ${formatMs(first.ms)} (${cleanText(first.name, 40)}) ` +
      `to ${formatMs(last.ms)} (${cleanText(last.name, 40)}) after it was sent)`,
  ];
}

/**
 * The busiest process's share of a core (and what it wanted of one, when a loaded machine gave it clearly less),
 * the memory each held connection cost, the most files open.
 */
function useCells(p: ParticipantSummary): string[] {
  const u = p.use;
  if (u === undefined) return [MISSING, MISSING, MISSING];
  const perConnection = memoryPerConnection(u, p.maxHeld);
  const used = Math.round(u.busiestCpu * 100);
  const wanted = u.busiestDemand === null ? used : Math.round(u.busiestDemand * 100);
  return [
    // A core wanted but not had (waiting for one on a loaded machine) is what makes a participant cpu-bound there.
    wanted >= used + 5 ? `${used}% (wanted ${wanted}%)` : `${used}%`,
    perConnection === null ? MISSING : formatBytes(perConnection),
    u.peakOpenFds === null ? MISSING : formatCount(u.peakOpenFds),
  ];
}

/** What the run added to its processes' resident memory, per connection at their peak; null with none held. */
export function memoryPerConnection(use: ProcessUse, maxHeld: number): number | null {
  return maxHeld === 0 ? null : Math.max(0, use.peakRssBytes - use.startRssBytes) / maxHeld;
}

/** "512 B", "3.2 KiB", "41 MiB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  const [v, unit] = n < 1024 ** 2 ? [n / 1024, 'KiB'] : n < 1024 ** 3 ? [n / 1024 ** 2, 'MiB'] : [n / 1024 ** 3, 'GiB'];
  return `${v < 10 ? v.toFixed(1) : Math.round(v).toString()} ${unit}`;
}

/** The chart of held connections over the run, with the time span as its x label. */
export function heldChart(result: ProbeResult): string {
  const tl = result.timeline;
  const first = tl[0];
  const last = tl[tl.length - 1];
  const xLabel =
    first === undefined || last === undefined
      ? 'time'
      : `time, ${formatOffsetMs(first.tMs)} to ${formatOffsetMs(last.tMs)}`;
  return renderChart([{ name: 'held', values: tl.map((s) => s.held) }], {
    title: `Held connections (peak ${formatCount(result.maxConcurrency)})`,
    xLabel,
  });
}

/**
 * One assertion outcome, the actual count first and what it was measured against in the same sentence:
 * "FAIL established-within: 2,052 of 2,100 established within 1s (48 short)".
 */
export function formatAssertion(a: AssertionOutcome, paint: Paint = PLAIN): string {
  return `${a.passed ? paint.pass('PASS') : paint.fail('FAIL')} ${a.name}: ${cleanText(a.actual)}`;
}

/** The summary's assertions block: none when none were asked for. */
export function assertionLines(assertions: readonly AssertionOutcome[] | undefined, paint: Paint = PLAIN): string[] {
  return assertions === undefined || assertions.length === 0 ? [] : ['Assertions:', ...assertions.map((a) => `  ${formatAssertion(a, paint)}`)];
}

