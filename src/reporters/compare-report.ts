/**
 * The human report of `tcpprobe compare`: the change in max first, then a before/after table with absolute and
 * relative change, caveats, and both held curves in one chart with a legend. A pure function of the comparison
 * document; plain text, no escape codes.
 */
import type { Change, Comparison, RunSummary } from '../compare/compare-results.js';
import { renderChart } from './chart.js';
import { MISSING, cleanText, formatMs, formatOffsetMs, formatRate, formatTable, joinBlocks } from './format.js';
import { formatCount } from '../config/units.js';
import { formatSettingsComparison, targetChangedWarning } from './run-differences.js';

export interface CompareReportOptions {
  /** Append the chart of both held curves. Default true. */
  chart?: boolean;
}

/** Formats one figure (always given a non-negative number for deltas). */
type Formatter = (n: number) => string;

/** "+12.5%", "-33.3%", "0.0%"; empty when there is no relative change (missing, or from zero). */
export function formatRelative(relative: number | null): string {
  if (relative === null || !Number.isFinite(relative)) return '';
  const pct = (relative * 100).toFixed(1);
  return relative > 0 ? `+${pct}%` : `${pct}%`;
}

/** "-100 (-33.3%)", "+4/s (+0.8%)", "no change"; "-" when either side is missing. */
export function formatChange(c: Change, format: Formatter): string {
  if (c.delta === null) return MISSING;
  if (c.delta === 0) return 'no change';
  const sign = c.delta > 0 ? '+' : '-';
  const rel = formatRelative(c.relative);
  return `${sign}${format(Math.abs(c.delta))}${rel === '' ? '' : ` (${rel})`}`;
}

function figure(n: number | null, format: Formatter): string {
  return n === null ? MISSING : format(n);
}

function maxCell(run: RunSummary): string {
  return run.lowerBound ? `at least ${formatCount(run.maxConcurrency)}` : formatCount(run.maxConcurrency);
}

function sameOr(changed: boolean): string {
  return changed ? 'changed' : 'same';
}

/** "2026-11-25 18:15:50Z" from an ISO date; anything else is shown cleaned as it was written. */
function shortDate(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]}Z` : cleanText(iso, 40);
}

function runLine(name: string, run: RunSummary): string {
  return `${name} ${cleanText(run.label, 80)}  ${shortDate(run.startedAt)}  ${cleanText(run.target, 80)}`;
}

/** The first line: "Max concurrency: 300 -> 200 (-100, -33.3%)". */
export function compareHeadline(c: Comparison): string {
  const m = c.maxConcurrency;
  const from = maxCell(c.before);
  const to = maxCell(c.after);
  if (m.delta === null || m.delta === 0) return `Max concurrency: ${from} -> ${to} (no change)`;
  const rel = formatRelative(m.relative);
  const sign = m.delta > 0 ? '+' : '-';
  return `Max concurrency: ${from} -> ${to} (${sign}${formatCount(Math.abs(m.delta))}${rel === '' ? '' : `, ${rel}`})`;
}

function tableLines(c: Comparison): string[] {
  const lat = c.connectLatencyMs;
  const ms: Formatter = (n) => formatMs(n);
  const rows: string[][] = [
    ['max concurrency', maxCell(c.before), maxCell(c.after), formatChange(c.maxConcurrency, formatCount)],
    // Verdicts and classes come from files that may be from anywhere: printed cleaned.
    ['verdict', cleanText(c.before.verdict, 40), cleanText(c.after.verdict, 40), sameOr(c.verdictChanged)],
    [
      'failure class',
      cleanText(c.before.failureClass ?? 'none', 40),
      cleanText(c.after.failureClass ?? 'none', 40),
      sameOr(c.failureClassChanged),
    ],
    [
      'absorbed rate',
      figure(c.absorbedPerSec.before, formatRate),
      figure(c.absorbedPerSec.after, formatRate),
      formatChange(c.absorbedPerSec, formatRate),
    ],
    ...(['p50', 'p90', 'p99'] as const).map((p) => [
      `connect ${p}`,
      figure(lat[p].before, ms),
      figure(lat[p].after, ms),
      formatChange(lat[p], ms),
    ]),
    [
      'time to max',
      figure(c.timeToMaxMs.before, ms),
      figure(c.timeToMaxMs.after, ms),
      formatChange(c.timeToMaxMs, ms),
    ],
  ];
  return formatTable(['', 'before', 'after', 'change'], rows, ['left', 'right', 'right', 'left']);
}

/** Values of a curve up to the end of its run (the document marks points after the end with null). */
function untilEnd(values: readonly (number | null)[]): number[] {
  const end = values.indexOf(null);
  return (end < 0 ? values : values.slice(0, end)) as number[];
}

/** Both held curves in one chart, on the comparison's common time axis. */
export function compareChart(c: Comparison): string {
  const before = untilEnd(c.held.before);
  const after = untilEnd(c.held.after);
  const lastMs = (Math.max(before.length, after.length) - 1) * c.held.stepMs;
  return renderChart(
    [
      { name: `before (${cleanText(c.before.label, 40)})`, values: before },
      { name: `after (${cleanText(c.after.label, 40)})`, values: after },
    ],
    { title: 'Held connections, before and after', xLabel: `time, 0 to ${formatOffsetMs(Math.max(0, lastMs))}` },
  );
}

/** The one-line warning when the two runs are of different targets (host:port), else null. */
export function compareTargetWarning(c: Comparison): string | null {
  // `targetChanged` is absent in comparisons written before it was recorded: the targets still say it.
  return (c.targetChanged ?? c.before.target !== c.after.target) ? targetChangedWarning(c.before.target, c.after.target) : null;
}

/** Format a comparison for people. No trailing newline. */
export function formatCompareReport(c: Comparison, opts: CompareReportOptions = {}): string {
  const warning = compareTargetWarning(c);
  const head = [compareHeadline(c), ...(warning === null ? [] : [warning]), runLine('Before:', c.before), runLine('After: ', c.after)];
  const settings = c.settings === undefined ? [] : formatSettingsComparison(c.settings);
  const notes = c.notes.length === 0 ? [] : ['Notes:', ...c.notes.map((n) => `  ${cleanText(n, 200)}`)];
  const blocks = [head, tableLines(c), settings, notes];
  if (opts.chart ?? true) blocks.push([compareChart(c)]);
  return joinBlocks(blocks);
}
