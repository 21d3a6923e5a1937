/**
 * `tcpprobe audit` words: a line as each target starts and ends, and the summary table (target, max, change
 * against its baseline, verdict) that ends the output. Pure functions of the audit document (through the shared
 * overview of target-outcome.ts); colour only through the Paint the caller hands in.
 */
import type { AuditDocument, AuditTargetReport } from '../metrics/audit-document.js';
import { formatTable } from './format.js';
import { formatCount } from '../config/units.js';
import { PLAIN, type Paint } from './paint.js';
import { auditOverview, auditTargetOutcome, FAILURE_KINDS, overallSentence, verdictWords, type TargetOutcome } from './target-outcome.js';

/** The change against the baseline: "-33.3% (300 -> 200)", "no baseline", or "" when not compared. */
export function changeText(t: AuditTargetReport): string {
  return auditTargetOutcome(t).change;
}

/** The verdict column: the ramp's verdict and, when the gate or the floor failed, why the target fails. */
export function verdictText(t: AuditTargetReport): string {
  return verdictWords(auditTargetOutcome(t));
}

/** A target's words in its colour: passed, failed (the server), or inconclusive (the run could not answer). */
export function paintOutcome(t: TargetOutcome, text: string, paint: Paint): string {
  if (t.passed) return paint.pass(text);
  return t.reasons.some((r) => FAILURE_KINDS.has(r.kind)) ? paint.fail(text) : paint.warn(text);
}

/** Before a target runs: "audit: [2/4] redis (127.0.0.1:6379)". */
export function formatTargetStart(index: number, count: number, name: string, address: string): string {
  return `audit: [${index + 1}/${count}] ${name} (${address})`;
}

/** After a target ran: "audit: redis: max 300, limit-by-failure". */
export function formatTargetEnd(t: AuditTargetReport, paint: Paint = PLAIN): string {
  const o = auditTargetOutcome(t);
  const verdict = paintOutcome(o, verdictWords(o), paint);
  if (t.result === null) return `audit: ${t.name}: ${verdict}`;
  return `audit: ${t.name}: max ${formatCount(t.maxConcurrency ?? 0)}, ${verdict}${o.change === '' ? '' : `; ${o.change}`}`;
}

/** The table that ends an audit's output, and its last line: the worst outcome and the exit code. */
export function formatAuditSummary(doc: AuditDocument, paint: Paint = PLAIN): string {
  const overview = auditOverview(doc);
  const rows = overview.targets.map((t) => [
    t.name,
    t.address,
    t.maxConcurrency === null ? '-' : formatCount(t.maxConcurrency),
    t.change,
    paintOutcome(t, verdictWords(t), paint),
  ]);
  const last = overallSentence(overview);
  const allPassed = overview.targets.every((t) => t.passed);
  return [
    paint.strong(`Audit of ${overview.targets.length === 1 ? '1 target' : `${formatCount(overview.targets.length)} targets`} from ${doc.file}`),
    '',
    ...formatTable(['target', 'address', 'max', 'change', 'verdict'], rows, ['left', 'left', 'right', 'left', 'left']),
    '',
    allPassed ? paint.pass(last) : overview.exitCode === 130 || overview.exitCode === 143 ? paint.warn(last) : paint.fail(last),
  ].join('\n');
}
