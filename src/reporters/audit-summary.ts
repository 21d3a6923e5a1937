/**
 * `tcpprobe audit` words: a line as each target starts and ends, and the summary table (target, max, change
 * against its baseline, verdict) that ends the output. Pure functions of the audit document.
 */
import type { AuditDocument, AuditTargetReport } from '../metrics/audit-document.js';
import { cleanText, formatTable, plural } from './format.js';
import { formatCount } from '../config/units.js';

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** The change against the baseline: "-33.3% (300 -> 200)", "no baseline", or "" when not compared. */
export function changeText(t: AuditTargetReport): string {
  if (t.gate === 'no-baseline') return 'no baseline yet';
  if (t.baselineMax === null || t.dropShare === null || t.maxConcurrency === null) return t.result === null ? '' : 'not compared';
  const sign = t.dropShare > 0 ? '-' : '+';
  return `${sign}${percent(Math.abs(t.dropShare))} vs ${formatCount(t.baselineMax)}`;
}

/** A target the audit never reached (it was stopped first). */
function isNotRun(t: AuditTargetReport): boolean {
  return t.result === null && t.outcome === 'interrupted';
}

/** The verdict column: the ramp's verdict and, when the gate or the floor failed, why the target fails. */
export function verdictText(t: AuditTargetReport): string {
  if (isNotRun(t)) return 'not run (the audit was stopped)';
  if (t.result === null) return `error: ${cleanText(t.error ?? 'not run', 60)}`;
  const parts = [t.verdict ?? '?'];
  if (t.gate === 'regression' && t.allowedDropShare !== null) parts.push(`REGRESSION (allowed ${percent(t.allowedDropShare)})`);
  if (t.belowMinimum && t.minConnections !== null) parts.push(`BELOW MINIMUM ${formatCount(t.minConnections)}`);
  if (t.error !== null) parts.push(`(${cleanText(t.error, 60)})`);
  return parts.join(', ');
}

/** Before a target runs: "audit: [2/4] redis (127.0.0.1:6379)". */
export function formatTargetStart(index: number, count: number, name: string, address: string): string {
  return `audit: [${index + 1}/${count}] ${name} (${address})`;
}

/** After a target ran: "audit: redis: max 300, limit-by-failure". */
export function formatTargetEnd(t: AuditTargetReport): string {
  if (t.result === null) return `audit: ${t.name}: ${verdictText(t)}`;
  const change = changeText(t);
  return `audit: ${t.name}: max ${formatCount(t.maxConcurrency ?? 0)}, ${verdictText(t)}${change === '' ? '' : `; ${change}`}`;
}

/** The table that ends an audit's output, and its last line: the worst outcome and the exit code. */
export function formatAuditSummary(doc: AuditDocument): string {
  const rows = doc.targets.map((t) => [
    t.name,
    t.address,
    t.maxConcurrency === null ? '-' : formatCount(t.maxConcurrency),
    changeText(t),
    verdictText(t),
  ]);
  const all = plural(doc.targets.length, 'target');
  const ran = doc.targets.filter((t) => !isNotRun(t)).length;
  const failing = doc.targets.filter((t) => t.exitCode !== 0 && !isNotRun(t)).length;
  const stopped = ran < doc.targets.length ? `stopped after ${ran} of ${all}` : null;
  let last: string;
  if (failing === 0 && stopped === null) last = `All ${all} answered (exit 0).`;
  else if (failing === 0) last = `The audit was ${stopped}; the worst outcome is ${doc.outcome} (exit ${doc.exitCode}).`;
  else last = `${failing} of ${all} did not pass${stopped === null ? '' : ` (${stopped})`}; the worst outcome is ${doc.outcome} (exit ${doc.exitCode}).`;
  return [
    `Audit of ${all} from ${doc.file}`,
    '',
    ...formatTable(['target', 'address', 'max', 'change', 'verdict'], rows, ['left', 'left', 'right', 'left', 'left']),
    '',
    last,
  ].join('\n');
}
