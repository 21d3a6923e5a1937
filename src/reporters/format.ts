/**
 * Text helpers shared by every reporter: numbers with thousands separators, milliseconds, rates, address-range
 * compaction, terminal-safe escaping, truncation and plain-text tables. Pure functions, no I/O.
 */
import net from 'node:net';
import { formatCount, formatDurationMs, ipv4ToInt } from '../config/units.js';
import type { LatencySummaryMs } from '../metrics/histogram.js';
import { visibleLength } from './paint.js';

/** Shown where a figure is missing (no samples, not applicable). */
export const MISSING = '-';

/**
 * A latency in milliseconds, precise where it matters: "0.21ms", "12.5ms", "250ms", then "1.5s" and up.
 * Null (nothing recorded) prints as "-".
 */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return MISSING;
  if (ms < 1) return `${Number(ms.toFixed(2))}ms`;
  if (ms < 100) return `${Number(ms.toFixed(1))}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return formatDurationMs(ms);
}

/** A duration since the start of a run: "0" for zero (reads better in "0 to 12.5s"), else like formatDurationMs. */
export function formatOffsetMs(ms: number): string {
  return ms <= 0 ? '0' : formatDurationMs(ms);
}

/** A rate in connections per second: "2,000/s"; slow rates keep one decimal ("0.5/s"). */
export function formatRate(perSec: number): string {
  if (!Number.isFinite(perSec)) return MISSING;
  if (perSec > 0 && perSec < 10 && !Number.isInteger(perSec)) return `${Number(perSec.toFixed(1))}/s`;
  return `${formatCount(perSec)}/s`;
}

/** "host:port" (IPv6 in brackets): defined with the target's name, in metrics/series.ts. */
export { formatHostPort } from '../metrics/series.js';

/** "p50 0.21ms  p90 0.5ms  p99 1.1ms  max 3.2ms  (1,000 samples)", or "no samples". */
export function formatLatency(l: LatencySummaryMs): string {
  if (l.count === 0) return 'no samples';
  const parts = [`p50 ${formatMs(l.p50)}`, `p90 ${formatMs(l.p90)}`, `p99 ${formatMs(l.p99)}`, `max ${formatMs(l.max)}`];
  return `${parts.join('  ')}  (${formatCount(l.count)} ${l.count === 1 ? 'sample' : 'samples'})`;
}

/**
 * Compact a list of addresses for one line: consecutive IPv4 runs of three or more become ranges
 * ("127.0.0.2-127.0.0.9"), duplicates are dropped, other addresses follow in their given order. At most
 * `maxItems` items are shown, then "(and N more)": a 4,096-address list must not flood the summary.
 */
export function compactAddresses(addresses: readonly string[], maxItems = 12): string {
  const v4 = [...new Set(addresses.filter((a) => net.isIPv4(a)))].sort((a, b) => ipv4ToInt(a) - ipv4ToInt(b));
  const others = [...new Set(addresses.filter((a) => !net.isIPv4(a)))];
  const items: string[] = [];
  let i = 0;
  while (i < v4.length) {
    let j = i;
    while (j + 1 < v4.length && ipv4ToInt(v4[j + 1] ?? '') === ipv4ToInt(v4[j] ?? '') + 1) j++;
    const first = v4[i] ?? '';
    const last = v4[j] ?? '';
    // Two neighbours read better listed than as a range.
    if (j - i >= 2) items.push(`${first}-${last}`);
    else for (let k = i; k <= j; k++) items.push(v4[k] ?? '');
    i = j + 1;
  }
  items.push(...others);
  if (items.length <= maxItems) return items.join(', ');
  return `${items.slice(0, maxItems).join(', ')} (and ${formatCount(items.length - maxItems)} more)`;
}

const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\r': '\\r', '\n': '\\n', '\t': '\\t' };

/**
 * Make text safe to print on a terminal: control characters (C0, DEL, C1, including ESC) become visible escapes
 * such as "\x1b" or "\n". Backslashes are left alone, because the engine already escapes server bytes
 * ("\r\n" arrives as four characters) and escaping twice would print "\\r\\n". Text read back from a result file
 * may come from anywhere, so everything printed from a result goes through this.
 */
export function sanitizeText(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (ch) => {
    return NAMED_ESCAPES[ch] ?? `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/**
 * Shorten text to at most `max` characters, ending in "…" when cut. Never splits an escape such as "\x0d" or
 * "\r", so a truncated server reply still reads as the bytes it was.
 */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const limit = Math.max(0, max - 1);
  let out = '';
  for (const token of text.match(/\\x[0-9a-fA-F]{2}|\\[\s\S]|[\s\S]/g) ?? []) {
    if (out.length + token.length > limit) break;
    out += token;
  }
  return `${out}…`;
}

/** Default length for quoted server bytes and error messages. */
export const TEXT_MAX = 100;

/** Server bytes for a summary line: sanitized, quotes escaped, truncated, in double quotes. */
export function quoteServerText(text: string, max = TEXT_MAX): string {
  return `"${truncateText(sanitizeText(text).replace(/"/g, '\\"'), max)}"`;
}

/** Plain text from a result (error messages, names) for one line: sanitized and truncated. */
export function cleanText(text: string, max = TEXT_MAX): string {
  return truncateText(sanitizeText(text), max);
}

/** Column alignment for formatTable. */
export type Align = 'left' | 'right';

/**
 * A plain-text table: a header row and aligned columns separated by two spaces, each line indented by
 * `indent` spaces. Trailing spaces are trimmed. Cells may carry colour (reporters/paint.ts): widths are measured
 * without it. Returns the lines (no trailing newline).
 */
export function formatTable(
  headers: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  align: readonly Align[] = [],
  indent = 2,
): string[] {
  const widths = headers.map((h, c) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[c] ?? ''))));
  const line = (cells: readonly string[]): string =>
    ' '.repeat(indent) +
    widths
      .map((w, c) => {
        const cell = cells[c] ?? '';
        const pad = ' '.repeat(Math.max(0, w - visibleLength(cell)));
        return align[c] === 'right' ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

/**
 * Lay out short cells ("held 1,200", "failed 0") on as few lines as fit in `width` columns, two spaces apart.
 * A cell longer than the width gets a line of its own.
 */
export function flowCells(cells: readonly string[], width: number, indent = 0): string[] {
  const lines: string[] = [];
  let current = '';
  for (const cell of cells) {
    const candidate = current === '' ? ' '.repeat(indent) + cell : `${current}  ${cell}`;
    if (current !== '' && candidate.length > width) {
      lines.push(current);
      current = ' '.repeat(indent) + cell;
    } else {
      current = candidate;
    }
  }
  if (current !== '') lines.push(current);
  return lines;
}

/** "1 connection" / "2 connections", with separators. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** Join blocks of lines with one blank line between them, leaving out empty blocks. */
export function joinBlocks(blocks: ReadonlyArray<readonly string[]>): string {
  return blocks
    .filter((b) => b.length > 0)
    .map((b) => b.join('\n'))
    .join('\n\n');
}
