/**
 * The preflight as a short human block: one aligned line per limit that matters, the verdict on this machine's
 * capacity, then what to do about each warning or limit. Pure; plain text, no colors or escape codes, so it
 * reads the same in a terminal, a log file and a CI page.
 */
import { formatEndpoint } from '../preflight/address.js';
import { compactAddresses } from './format.js';
import { formatCount, formatCountEnUs } from '../config/units.js';
import type { CapacityAssessment, Finding, FindingId } from '../preflight/capacity.js';
import type { SystemLimits } from '../preflight/system-limits.js';
import type { GrowthPolicy } from '../preflight/growth-plan.js';
import type { RunPreflight } from '../preflight/machine-check.js';
import { UNBOUND_LOOPBACK_MAX_CONNECTIONS } from '../preflight/source-plan.js';

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

/** The resource each cap counts, as the "next" words name it. */
const RESOURCE: Readonly<Partial<Record<FindingId, string>>> = {
  'fd-limit': 'open files',
  ports: 'ephemeral ports',
  conntrack: 'conntrack entries',
  'file-max': 'fs.file-max',
};

/** "if that is lifted, next: ephemeral ports at 7,058,000 over 250 source addresses", or null when no other cap could be read. */
function nextLimitText(assessment: CapacityAssessment): string | null {
  const { next } = assessment;
  if (next === null) return null;
  return `if that is lifted, next: ${RESOURCE[next.limitedBy] ?? next.limitedBy} at ${formatCount(next.connections)} ${next.basis}`;
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
 *   open files       20000 (hard 20000) -> 19872 connections per process
 *   ports            32768-60999 = 28232 per source address and target
 *   source addresses kernel-chosen
 *   ...
 *   this machine can hold at most 19872 connections to 127.0.0.1:8080 (limited by: open files)
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
  // Its own line, so the verdict line reads (and parses) as it always has.
  const next = nextLimitText(assessment);
  if (next !== null) lines.push(`${INDENT}${INDENT}${next}`);
  for (const f of assessment.findings) {
    if (f.severity === 'warn' || f.severity === 'limit') {
      lines.push(`${INDENT}${problemLine(f, assessment.plannedConnections)}`);
    }
  }
  return lines.join('\n');
}

/** A run's preflight: the block above, then how resources grow (and where a ramp stops) or how many processes. */
export function formatRunPreflight(p: RunPreflight): string {
  const text = formatPreflight(p.assessment, p.limits, p.sources);
  const engine = `\n  ${'engine'.padEnd(16)} ${p.engine.name}${p.engine.why === null ? '' : ` (${p.engine.why})`}`;
  if (p.growth !== null) {
    const stops =
      p.reach === null ? '' : `; a ramp without --max stops at ${formatCountEnUs(p.reach.connections)} (client-limited)`;
    return `${text}\n  ${'grows'.padEnd(16)} ${describeGrowth(p.growth)}${stops}${engine}`;
  }
  return p.workers > 1 ? `${text}${engine}\n  workers          ${p.workers} processes` : `${text}${engine}`;
}

/** One line for the preflight: what the run starts with and when it adds more. */
function describeGrowth(g: GrowthPolicy): string {
  const sources = g.loopbackSources
    ? `, 127.0.0.2 and up past ${formatCountEnUs(UNBOUND_LOOPBACK_MAX_CONNECTIONS)} connections`
    : '';
  return `from the kernel's source address and one process${sources}, a worker process per ${formatCountEnUs(g.perProcess)}`;
}
