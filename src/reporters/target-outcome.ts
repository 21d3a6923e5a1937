/**
 * How each target of a run ended, in one shape for every output that shows an overview: the audit's summary
 * table, the HTML report's overview, JUnit and Markdown. Built from a `tcpprobe/audit` document's targets, from a
 * ramp or hold result, or from the latest saved run of a history series; the reasons a target did not pass are
 * data here (a kind and its sentence), each output words or badges them its own way. Pure.
 */
import type { AuditDocument, AuditTargetReport } from '../metrics/audit-document.js';
import { exitCodeForOutcome, outcomeOfRun, worstOutcome, type Outcome } from '../metrics/exit-codes.js';
import type { AssertionOutcome, GateRecord, ProbeResult, RampResult } from '../metrics/result.js';
import { seriesName, targetAddress } from '../metrics/series.js';
import { formatCount } from '../config/units.js';
import { cleanText, plural } from './format.js';

/**
 * Why a target did not pass: a failure of the server against what was asked (regression, below the minimum,
 * unreachable, a failed assertion), a run that could not answer (client-limited, timed out, interrupted, an
 * error of ours), or a target the audit never reached.
 */
export type ReasonKind =
  | 'regression'
  | 'below-minimum'
  | 'unreachable'
  | 'assertion'
  | 'client-limited'
  | 'timed-out'
  | 'interrupted'
  | 'error'
  | 'not-run';

export interface Reason {
  kind: ReasonKind;
  /** One sentence, as the verdict, the gate or the assertion says it. */
  sentence: string;
}

/** What the server failed (JUnit `<failure>`); the other kinds are a run that could not answer (`<error>`). */
export const FAILURE_KINDS: ReadonlySet<ReasonKind> = new Set(['regression', 'below-minimum', 'unreachable', 'assertion']);

/** How people read each reason: the badge's words. */
export const REASON_WORDS: Readonly<Record<ReasonKind, string>> = {
  regression: 'regression',
  'below-minimum': 'below the minimum',
  unreachable: 'unreachable',
  assertion: 'assertion failed',
  'client-limited': 'client-limited',
  'timed-out': 'timed out',
  interrupted: 'interrupted',
  error: 'error',
  'not-run': 'not run',
};

export interface TargetOutcome {
  /** Its one name (metrics/series.ts). */
  name: string;
  /** host:port as given. */
  address: string;
  command: 'ramp' | 'hold';
  /** Null when it could not be run at all. */
  maxConcurrency: number | null;
  /** The max is only a lower bound (max reached, timed out, client-limited, interrupted). */
  lowerBound: boolean;
  /** The verdict's kind, or null when it could not be run. */
  verdict: string | null;
  /** The verdict sentence, or null when it could not be run. */
  summary: string | null;
  /** The change against the baseline in words: "-33.3% vs 300", "no baseline yet", "" when not compared. */
  change: string;
  baselineMax: number | null;
  /** (baseline - max) / baseline, or null. */
  dropShare: number | null;
  allowedDropShare: number | null;
  gate: GateRecord['outcome'] | null;
  minConnections: number | null;
  passed: boolean;
  outcome: Outcome;
  exitCode: number;
  /** Empty when it passed; the first is the main one (JUnit's failure message). */
  reasons: Reason[];
  labels: Record<string, string>;
  startedAt: string | null;
  durationMs: number | null;
  /** The tcpprobe that measured it. */
  version: string | null;
}

/** The whole run: one target for ramp and hold, every target of an audit or a history. */
export interface Overview {
  /** "audit", "ramp", "hold", or "report" (from a history alone). */
  command: 'audit' | 'ramp' | 'hold' | 'report';
  /** What was run: the audit file's name, the target's name, the history file's name. */
  title: string;
  startedAt: string;
  targets: TargetOutcome[];
  outcome: Outcome;
  exitCode: number;
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** The change against the baseline: "-33.3% vs 300", "no baseline yet", "not compared", or "" when not gated. */
export function changeWords(c: { gate: GateRecord['outcome'] | null; baselineMax: number | null; dropShare: number | null; maxConcurrency: number | null }): string {
  if (c.gate === 'no-baseline') return 'no baseline yet';
  if (c.baselineMax === null || c.dropShare === null || c.maxConcurrency === null) return c.gate === null ? '' : 'not compared';
  const sign = c.dropShare > 0 ? '-' : '+';
  return `${sign}${percent(Math.abs(c.dropShare))} vs ${formatCount(c.baselineMax)}`;
}

/** "max concurrency 120 is below minConnections 150". */
export function belowMinimumSentence(max: number, min: number): string {
  return `max concurrency ${formatCount(max)} is below minConnections ${formatCount(min)}`;
}

function assertionSentence(a: AssertionOutcome): string {
  return `${a.name}: ${cleanText(a.actual)}`;
}

/** What the reasons of a measured run are read from: a result, or an audit's report of one. */
interface ReasonFacts {
  verdict: string;
  summary: string;
  maxConcurrency: number;
  gate: GateRecord['outcome'] | null;
  /** The gate's line ("regression: max concurrency ..."), or null. */
  gateMessage: string | null;
  baselineMax: number | null;
  dropShare: number | null;
  minConnections: number | null;
  belowMinimum: boolean;
  assertions: readonly AssertionOutcome[];
}

/** The reasons a measured run did not pass, worst first: the gate, the floor, the assertions, then the verdict. */
function measuredReasons(f: ReasonFacts): Reason[] {
  const reasons: Reason[] = [];
  if (f.gate === 'regression') {
    const fallback =
      f.baselineMax === null || f.dropShare === null
        ? `max concurrency ${formatCount(f.maxConcurrency)} regressed against its baseline`
        : `max concurrency ${formatCount(f.maxConcurrency)} is ${percent(f.dropShare)} below the baseline ${formatCount(f.baselineMax)}`;
    reasons.push({ kind: 'regression', sentence: f.gateMessage?.replace(/^regression: /, '') ?? fallback });
  }
  if (f.belowMinimum && f.minConnections !== null) {
    reasons.push({ kind: 'below-minimum', sentence: belowMinimumSentence(f.maxConcurrency, f.minConnections) });
  }
  if (f.verdict !== 'interrupted') {
    for (const a of f.assertions) if (!a.passed) reasons.push({ kind: 'assertion', sentence: assertionSentence(a) });
  }
  const kind: ReasonKind | null =
    f.verdict === 'unreachable' || f.verdict === 'rejected'
      ? 'unreachable'
      : f.verdict === 'client-limited' || f.verdict === 'timed-out' || f.verdict === 'interrupted'
        ? f.verdict
        : null;
  if (kind !== null) reasons.push({ kind, sentence: f.summary });
  return reasons;
}

function resultFacts(r: ProbeResult): ReasonFacts {
  const ramp = r.kind === 'ramp' ? r : null;
  return {
    verdict: r.verdict.kind,
    summary: r.verdict.summary,
    maxConcurrency: r.maxConcurrency,
    gate: ramp?.gate?.outcome ?? null,
    gateMessage: ramp?.gate?.message ?? null,
    baselineMax: ramp?.gate?.baseline?.maxConcurrency ?? null,
    dropShare: ramp?.gate?.dropShare ?? null,
    minConnections: ramp?.audit?.minConnections ?? null,
    belowMinimum: ramp?.audit?.belowMinimum === true,
    assertions: r.assertions ?? [],
  };
}

/** The outcome of a saved run, its audit floor included (an audit target's minConnections). */
export function savedOutcome(r: ProbeResult): Outcome {
  const base = outcomeOfRun(r);
  const below = r.kind === 'ramp' && r.audit?.belowMinimum === true;
  return (base === 'answered' || base === 'timed-out') && below ? 'regression' : base;
}

/**
 * A ramp or hold result as a target: `ramp`/`hold` after a run, or the latest run of a history series. Its exit
 * code is the one the result records (with the audit floor of a saved audit run); `labels` are --label's.
 */
export function resultOutcome(r: ProbeResult, labels: Record<string, string> = {}): TargetOutcome {
  const ramp: RampResult | null = r.kind === 'ramp' ? r : null;
  const min = ramp?.audit?.minConnections ?? null;
  const outcome = savedOutcome(r);
  // A result records the signal's code (130 or 143); an older one without exitCode gets the table's.
  const exitCode = outcome === 'interrupted' && r.exitCode !== undefined ? r.exitCode : exitCodeForOutcome(outcome);
  const gate = ramp?.gate ?? null;
  const t: Omit<TargetOutcome, 'change'> = {
    name: seriesName(r),
    address: targetAddress(r),
    command: r.kind,
    maxConcurrency: r.maxConcurrency,
    lowerBound: r.verdict.lowerBound,
    verdict: r.verdict.kind,
    summary: r.verdict.summary,
    baselineMax: gate?.baseline?.maxConcurrency ?? null,
    dropShare: gate?.dropShare ?? null,
    allowedDropShare: gate?.allowedDropShare ?? null,
    gate: gate?.outcome ?? null,
    minConnections: min,
    passed: exitCode === 0,
    outcome,
    exitCode,
    reasons: exitCode === 0 ? [] : measuredReasons(resultFacts(r)),
    labels: { ...(ramp?.audit?.labels ?? {}), ...labels },
    startedAt: r.startedAt,
    durationMs: r.durationMs,
    version: r.tool.version,
  };
  return { ...t, change: changeWords(t) };
}

/** A target that ended without a measurement the audit could use, and why. */
function unmeasuredReason(t: AuditTargetReport): Reason {
  const error = t.error ?? 'not run';
  if (t.outcome === 'interrupted') return { kind: 'not-run', sentence: error };
  if (t.outcome === 'unreachable') return { kind: 'unreachable', sentence: error };
  return { kind: 'error', sentence: error };
}

/** A target of a `tcpprobe/audit` document: its outcome is the audit's (floor included), its reasons in order. */
export function auditTargetOutcome(t: AuditTargetReport): TargetOutcome {
  const base = {
    name: t.name,
    address: t.address,
    command: 'ramp' as const,
    maxConcurrency: t.maxConcurrency,
    baselineMax: t.baselineMax,
    dropShare: t.dropShare,
    allowedDropShare: t.allowedDropShare,
    gate: t.gate,
    minConnections: t.minConnections,
    passed: t.exitCode === 0,
    outcome: t.outcome as Outcome,
    exitCode: t.exitCode,
    labels: t.labels,
  };
  const change = changeWords(base);
  if (t.result === null) {
    return {
      ...base,
      change,
      lowerBound: false,
      verdict: null,
      summary: null,
      reasons: [unmeasuredReason(t)],
      startedAt: null,
      durationMs: null,
      version: null,
    };
  }
  const r = t.result;
  // The audit's report decides (its verdict, gate and floor); the result gives the sentences.
  const facts: ReasonFacts = {
    ...resultFacts(r),
    verdict: t.verdict ?? r.verdict.kind,
    summary: t.verdict === null || t.verdict === r.verdict.kind ? r.verdict.summary : t.verdict,
    maxConcurrency: t.maxConcurrency ?? r.maxConcurrency,
    gate: t.gate,
    gateMessage: r.gate?.outcome === t.gate ? (r.gate?.message ?? null) : null,
    baselineMax: t.baselineMax,
    dropShare: t.dropShare,
    minConnections: t.minConnections,
    belowMinimum: t.belowMinimum,
  };
  const reasons = t.exitCode === 0 ? [] : measuredReasons(facts);
  // A run whose record could not be saved: the audit's own error (the main reason when it decides the outcome).
  if (t.error !== null) {
    if (t.outcome === 'usage') reasons.unshift({ kind: 'error', sentence: t.error });
    else reasons.push({ kind: 'error', sentence: t.error });
  }
  return {
    ...base,
    change,
    lowerBound: r.verdict.lowerBound,
    verdict: facts.verdict,
    summary: facts.summary,
    reasons,
    startedAt: r.startedAt,
    durationMs: r.durationMs,
    version: r.tool.version,
  };
}

/** A file's name without its directory and extension: "nightly" for /etc/tcpprobe/nightly.yaml. */
export function baseTitle(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? path;
  return base.replace(/\.(ya?ml|jsonl?)$/i, '') || base;
}

export function auditOverview(doc: AuditDocument): Overview {
  return {
    command: 'audit',
    title: baseTitle(doc.file),
    startedAt: doc.startedAt,
    targets: doc.targets.map(auditTargetOutcome),
    outcome: doc.outcome as Outcome,
    exitCode: doc.exitCode,
  };
}

/** One ramp or hold as an overview of one target; `exitCode` is what the command exits with. */
export function runOverview(r: ProbeResult, exitCode: number, labels: Record<string, string> = {}): Overview {
  const t = resultOutcome(r, labels);
  const target = exitCode === t.exitCode ? t : { ...t, exitCode, passed: exitCode === 0 };
  return { command: r.kind, title: t.name, startedAt: r.startedAt, targets: [target], outcome: t.outcome, exitCode };
}

/** Every series of a history by its latest run (the `report` command): the worst latest outcome, exit code included. */
export function historyOverview(title: string, targets: TargetOutcome[], generatedAt: string): Overview {
  const outcome = worstOutcome(targets.map((t) => t.outcome));
  const worst = targets.find((t) => t.outcome === outcome);
  return { command: 'report', title, startedAt: generatedAt, targets, outcome, exitCode: worst?.exitCode ?? 0 };
}

function lowerFirst(text: string): string {
  return text.startsWith('All ') || text.startsWith('The ') ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}

/** Stopped before the audit reached it. */
export function isNotRun(t: Pick<TargetOutcome, 'reasons'>): boolean {
  return t.reasons[0]?.kind === 'not-run';
}

/**
 * The overall outcome in one sentence: "All 4 targets answered (exit 0).", "1 of 4 targets did not pass; the worst
 * outcome is regression (exit 7).", "The audit was stopped after 1 of 2 targets; ..."; for one ramp or hold
 * "cache passed (exit 0)." or "cache did not pass: regression (exit 7).".
 */
export function overallSentence(o: Pick<Overview, 'command' | 'targets' | 'outcome' | 'exitCode'>): string {
  const one = o.targets[0];
  if ((o.command === 'ramp' || o.command === 'hold') && one !== undefined) {
    return one.passed ? `${one.name} passed (exit ${o.exitCode}).` : `${one.name} did not pass: ${o.outcome} (exit ${o.exitCode}).`;
  }
  // A history's page judges each series by its latest run: say so, the command itself answered.
  if (o.command === 'report') return `In their latest runs, ${lowerFirst(overallSentence({ ...o, command: 'audit' }))}`;
  const all = plural(o.targets.length, 'target');
  const ran = o.targets.filter((t) => !isNotRun(t)).length;
  const failing = o.targets.filter((t) => !t.passed && !isNotRun(t)).length;
  const stopped = ran < o.targets.length ? `stopped after ${ran} of ${all}` : null;
  if (failing === 0 && stopped === null) return `All ${all} answered (exit ${o.exitCode}).`;
  if (failing === 0) return `The audit was ${stopped}; the worst outcome is ${o.outcome} (exit ${o.exitCode}).`;
  return `${failing} of ${all} did not pass${stopped === null ? '' : ` (${stopped})`}; the worst outcome is ${o.outcome} (exit ${o.exitCode}).`;
}

/** The verdict in a few words for a table cell: "limit-by-failure", "limit-by-failure, regression (allowed 10.0%)". */
export function verdictWords(t: TargetOutcome): string {
  if (isNotRun(t)) return 'not run (the audit was stopped)';
  if (t.verdict === null) return `error: ${cleanText(t.reasons[0]?.sentence ?? 'not run', 60)}`;
  const parts = [t.verdict];
  for (const r of t.reasons) {
    if (r.kind === 'regression' && t.allowedDropShare !== null) parts.push(`REGRESSION (allowed ${percent(t.allowedDropShare)})`);
    else if (r.kind === 'below-minimum' && t.minConnections !== null) parts.push(`BELOW MINIMUM ${formatCount(t.minConnections)}`);
    else if (r.kind === 'assertion') parts.push(`FAIL ${cleanText(r.sentence, 60)}`);
    else if (r.kind === 'error') parts.push(`(${cleanText(r.sentence, 60)})`);
  }
  return parts.join(', ');
}
