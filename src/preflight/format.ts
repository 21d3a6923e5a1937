/**
 * The preflight as a short human block: one aligned line per limit that matters, the verdict on this machine's
 * capacity, then what to do about each warning or limit. Pure; plain text, no colors or escape codes, so it
 * reads the same in a terminal, a log file and a CI page.
 */
import { formatEndpoint } from './address.js';
import { compactAddresses, formatCount } from '../reporters/format.js';
import type { CapacityAssessment, Finding, FindingId } from './capacity.js';
import type { SystemLimits } from './system-limits.js';

/** Always shown: the limits people tune. The others only when they are not 'ok'. */
const ALWAYS_SHOWN: ReadonlySet<FindingId> = new Set(['fd-limit', 'ports', 'tw-reuse', 'conntrack']);

const INDENT = '  ';

function targetsText(assessment: CapacityAssessment): string {
  const { targets } = assessment;
  if (targets.length === 0) return 'the target';
  if (targets.length > 3) return `${targets.length} targets`;
  return targets.map((t) => formatEndpoint(t.address, t.port)).join(', ');
}

function sourcesText(sources: readonly string[]): string {
  const distinct = [...new Set(sources)];
  return distinct.length === 0 ? 'kernel-chosen' : `${compactAddresses(distinct)} (${distinct.length})`;
}

function verdict(assessment: CapacityAssessment): string {
  const { maxConnections, limitedBy, findings } = assessment;
  if (limitedBy === null || !Number.isFinite(maxConnections)) {
    return `this machine's limits could not be read: its own capacity to ${targetsText(assessment)} is unknown`;
  }
  const title = findings.find((f) => f.id === limitedBy)?.title ?? limitedBy;
  const to = targetsText(assessment);
  return `this machine can hold at most ${formatCount(maxConnections)} connections to ${to} (limited by: ${title})`;
}

function problemLine(f: Finding, planned: number): string {
  const what =
    f.severity === 'limit' && f.reach !== null
      ? `${formatCount(planned)} connections planned, it allows ${formatCount(f.reach)}`
      : f.value;
  return `${f.severity}: ${f.title}: ${what}${f.advice === null ? '' : `\n${INDENT}${INDENT}-> ${f.advice}`}`;
}

/** True when nothing at all could be read (another OS, or /proc hidden): one line says so instead of many. */
function nothingReadable(limits: SystemLimits): boolean {
  return Object.values(limits).every((v) => v === null);
}

/**
 * Render the preflight. `sources` are the addresses connections will be bound to (empty: the kernel picks one).
 * @example
 *   open files       20000 (hard 20000) -> 19936 connections per process
 *   ports            32768-60999 = 28232 per source address and target
 *   source addresses kernel-chosen
 *   ...
 *   this machine can hold at most 19936 connections to 127.0.0.1:8080 (limited by: open files)
 */
export function formatPreflight(
  assessment: CapacityAssessment,
  limits: SystemLimits,
  sources: readonly string[],
): string {
  const rows: [string, string][] = [];
  if (nothingReadable(limits)) {
    rows.push(['limits', 'not readable here (not Linux, or /proc hidden)']);
  } else {
    for (const f of assessment.findings) {
      if (ALWAYS_SHOWN.has(f.id) || f.severity !== 'ok') rows.push([f.title, f.value]);
      // Sources belong right after ports: together they say how many ports there are.
      if (f.id === 'ports') rows.push(['source addresses', sourcesText(sources)]);
    }
  }
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `${INDENT}${label.padEnd(width)} ${value}`);
  lines.push(`${INDENT}${verdict(assessment)}`);
  for (const f of assessment.findings) {
    if (f.severity === 'warn' || f.severity === 'limit') {
      lines.push(`${INDENT}${problemLine(f, assessment.plannedConnections)}`);
    }
  }
  return lines.join('\n');
}
