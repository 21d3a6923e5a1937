/**
 * `tcpprobe history` output: a table of saved runs (date, target, max, verdict) and the trend of the max as a
 * chart, or the `tcpprobe/history` JSON document. Pure functions of the records read from the history file.
 */
import type { DamagedLine, HistoryRecord } from '../history/history-file.js';
import type { Static } from 'typebox';
import type { HistoryDocumentSchema, HistoryEntrySchema } from '../history/history-schema.js';
import { renderChart } from './chart.js';
import { cleanText, formatHostPort, formatTable, joinBlocks, plural } from './format.js';
import { formatCount } from '../config/units.js';
import { givenName } from '../metrics/series.js';

export const HISTORY_SCHEMA = 'tcpprobe/history' as const;
export const HISTORY_SCHEMA_VERSION = 1 as const;

/** One run as listed: the figures people track, not the whole result (history/history-schema.ts). */
export type HistoryEntry = Static<typeof HistoryEntrySchema>;

/** The `tcpprobe/history` document (its type derived from its schema, history/history-schema.ts). */
export type HistoryDocument = Static<typeof HistoryDocumentSchema>;

export function historyEntry(r: HistoryRecord): HistoryEntry {
  const name = givenName(r.result);
  return {
    line: r.line,
    startedAt: r.result.startedAt,
    target: formatHostPort(r.result.target.host, r.result.target.port),
    ...(name === null ? {} : { name }),
    maxConcurrency: r.result.maxConcurrency,
    verdict: r.result.verdict.kind,
    lowerBound: r.result.verdict.lowerBound,
    gate: r.result.gate?.outcome ?? null,
  };
}

export function historyDocument(path: string, records: readonly HistoryRecord[], damaged: readonly DamagedLine[]): HistoryDocument {
  return {
    schema: HISTORY_SCHEMA,
    schemaVersion: HISTORY_SCHEMA_VERSION,
    path,
    runs: records.map(historyEntry),
    damaged: [...damaged],
  };
}

/** "2026-11-25 18:15Z" from an ISO date; anything else cleaned as written. */
function shortDate(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}Z` : cleanText(iso, 30);
}

/** One line per unreadable history line, for stderr: "history.jsonl line 7: skipped: damaged: not JSON". */
export function damagedLineMessages(path: string, damaged: readonly DamagedLine[]): string[] {
  return damaged.map((d) => `${cleanText(path, 200)} line ${d.line}: skipped: ${cleanText(d.reason, 200)}`);
}

export interface HistoryReportOptions {
  /** Shown in the heading when the list was filtered by target. */
  target?: string | null;
  /** Append the trend chart. Default true. */
  chart?: boolean;
}

/** The table and the trend of the max. No trailing newline. */
export function formatHistoryReport(path: string, records: readonly HistoryRecord[], opts: HistoryReportOptions = {}): string {
  const filter = opts.target ? ` for ${cleanText(opts.target, 80)}` : '';
  if (records.length === 0) return `No runs${filter} in ${cleanText(path, 200)}`;
  const entries = records.map(historyEntry);
  // The gate column only when some run was gated: a regressed run is never a baseline, and this says which.
  const gated = entries.some((e) => e.gate !== null);
  // A run is listed by its name; the address column only when some run has a name (else the name is the address).
  const named = entries.some((e) => e.name !== undefined);
  const rows = entries.map((e) => [
    String(e.line),
    shortDate(e.startedAt),
    cleanText(e.name ?? e.target, 60),
    ...(named ? [cleanText(e.target, 60)] : []),
    e.lowerBound ? `>= ${formatCount(e.maxConcurrency)}` : formatCount(e.maxConcurrency),
    cleanText(e.verdict, 40),
    ...(gated ? [e.gate ?? ''] : []),
  ]);
  const head = [`History: ${plural(entries.length, 'run')}${filter} in ${cleanText(path, 200)}`];
  const table = formatTable(
    ['line', 'date', 'target', ...(named ? ['address'] : []), 'max', 'verdict', ...(gated ? ['gate'] : [])],
    rows,
    ['right', 'left', 'left', ...(named ? (['left'] as const) : []), 'right', 'left', ...(gated ? (['left'] as const) : [])],
  );
  const blocks = [head, table];
  if (opts.chart ?? true) {
    const chart = renderChart([{ name: 'max', values: entries.map((e) => e.maxConcurrency) }], {
      title: 'Max concurrency per run, oldest to newest',
      xLabel: entries.length === 1 ? 'one run' : `runs 1 to ${formatCount(entries.length)}`,
    });
    blocks.push([chart]);
  }
  return joinBlocks(blocks);
}
