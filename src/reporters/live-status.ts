/**
 * Live status while a run goes on: one plain line (non-TTY output, the ramp's once-per-second status), a
 * multi-line block for terminals, and one line per connection event for --verbose. Pure strings: the caller
 * decides where they go and handles cursor movement.
 */
import type { FailureRecord, PoolCounters, PoolEvent } from '../types/pool-counters.js';
import { formatCount, formatDurationMs } from '../config/units.js';
import { cleanText, flowCells, formatMs, quoteServerText, truncateText } from './format.js';

/** What the live display needs, sampled by the caller. */
export interface LiveSnapshot {
  /** Milliseconds since the run started. */
  elapsedMs: number;
  counters: PoolCounters;
  /** Requested connections, for a progress bar; absent when there is no fixed goal (ramp). */
  target?: number;
  connectP50Ms: number | null;
  connectP99Ms: number | null;
  /** What the run is doing, e.g. "ramp 500/s", "hold", "confirming". */
  phase?: string;
}

/** Narrowest progress bar drawn, in cells, however narrow the terminal. */
const MIN_BAR = 10;

/** "[  3.0s]": fixed width up to 999.9s so consecutive lines stay aligned. */
function elapsedTag(ms: number): string {
  return `[${(Math.max(0, ms) / 1000).toFixed(1).padStart(5)}s]`;
}

/** "3.0s" with one steady decimal for the first minute (no flicker between "3s" and "3.01s"), then "2m10s". */
function elapsedText(ms: number): string {
  return ms < 60_000 ? `${(Math.max(0, ms) / 1000).toFixed(1)}s` : formatDurationMs(ms);
}

function closedByPeer(c: PoolCounters): number {
  return c.failuresByClass['closed-by-peer'] ?? 0;
}

/**
 * One plain line:
 * "[  3.0s] ramp 500/s  held 1,200  est 30  connecting 12  queued 0  failed 0  closed-by-peer 0  reconnects 0
 * connect p50 0.2ms p99 1.1ms" (one line).
 */
export function formatStatusLine(s: LiveSnapshot): string {
  const c = s.counters;
  const parts = [
    elapsedTag(s.elapsedMs) + (s.phase === undefined ? '' : ` ${cleanText(s.phase, 40)}`),
    `held ${formatCount(c.held)}`,
    `est ${formatCount(c.established)}`,
    `connecting ${formatCount(c.connecting)}`,
    `queued ${formatCount(c.queued)}`,
    `failed ${formatCount(c.failed)}`,
    `closed-by-peer ${formatCount(closedByPeer(c))}`,
    `reconnects ${formatCount(c.reconnects)}`,
    `connect p50 ${formatMs(s.connectP50Ms)} p99 ${formatMs(s.connectP99Ms)}`,
  ];
  return parts.join('  ');
}

/**
 * A progress bar toward `target`: "#" held, "+" open but not yet held (settling or awaiting the reply), "." the
 * rest, then "640/1,000 (64%)", counting open connections. Fits in `width` columns (at least MIN_BAR cells).
 */
export function progressBar(open: number, held: number, target: number, width: number): string {
  const safeTarget = Math.max(1, target);
  const pct = Math.floor((Math.min(open, safeTarget) / safeTarget) * 100);
  const label = ` ${formatCount(open)}/${formatCount(target)} (${pct}%)`;
  const cells = Math.max(MIN_BAR, width - 2 - label.length);
  const toCells = (n: number): number => Math.min(cells, Math.max(0, Math.floor((n / safeTarget) * cells)));
  const heldCells = toCells(held);
  const openCells = Math.max(heldCells, toCells(open));
  return `[${'#'.repeat(heldCells)}${'+'.repeat(openCells - heldCells)}${'.'.repeat(cells - openCells)}]${label}`;
}

/**
 * A multi-line block for terminals, every line at most `width` columns: phase and elapsed time, a progress bar
 * toward `target` (when given), counts per state, connect latency.
 */
export function formatStatusBlock(s: LiveSnapshot, width = 80): string {
  const c = s.counters;
  const open = c.established + c.held;
  const lines = [
    truncateText(
      `${s.phase === undefined ? 'running' : cleanText(s.phase, width)}  elapsed ${elapsedText(s.elapsedMs)}`,
      width,
    ),
  ];
  if (s.target !== undefined) lines.push(progressBar(open, c.held, s.target, width));
  // Not started: queued inside the pool, plus what the caller still means to ask for.
  const notStarted = c.queued + (s.target === undefined ? 0 : Math.max(0, s.target - c.requested));
  lines.push(
    ...flowCells(
      [
        `not started ${formatCount(notStarted)}`,
        `connecting ${formatCount(c.connecting)}`,
        `established ${formatCount(open)} (held ${formatCount(c.held)})`,
        `closed by peer ${formatCount(closedByPeer(c))}`,
        `failed ${formatCount(c.failed)}`,
        `reconnects ${formatCount(c.reconnects)}`,
      ],
      width,
    ),
  );
  lines.push(truncateText(`connect p50 ${formatMs(s.connectP50Ms)}  p99 ${formatMs(s.connectP99Ms)}`, width));
  return lines.join('\n');
}

/** How a lost connection ended, in words. */
const LOST_VERB: Readonly<Partial<Record<FailureRecord['class'], string>>> = {
  'closed-by-peer': 'closed by peer',
  reset: 'reset by peer',
  rejected: 'rejected',
  unserved: 'unserved (no expected reply)',
  timeout: 'timed out',
};

function serverSaidSuffix(f: FailureRecord): string {
  return f.serverSaid === null || f.serverSaid === '' ? '' : `, server said ${quoteServerText(f.serverSaid)}`;
}

/**
 * One line per connection event for --verbose: "conn 3 established in 0.4ms", "conn 3 held",
 * "conn 2 closed by peer after 12.1s, server said \"...\"", "conn 5 failed: refused (ECONNREFUSED)".
 */
export function formatConnEvent(e: PoolEvent): string {
  switch (e.kind) {
    case 'established':
      return `conn ${e.connId} established in ${formatMs(e.connectMs)}`;
    case 'held':
      return `conn ${e.connId} held`;
    case 'failed': {
      const f = e.failure;
      const code = f.code === null ? '' : ` (${cleanText(f.code, 40)})`;
      if (f.phase === 'connect') {
        const message = f.code === null && f.message !== '' ? `: ${cleanText(f.message)}` : '';
        return `conn ${e.connId} failed: ${f.class}${code}${message}${serverSaidSuffix(f)}`;
      }
      const verb = LOST_VERB[f.class] ?? `lost: ${f.class}`;
      const after = f.afterConnectMs === null ? '' : ` after ${formatMs(f.afterConnectMs)}`;
      return `conn ${e.connId} ${verb}${after}${code}${serverSaidSuffix(f)}`;
    }
  }
}
