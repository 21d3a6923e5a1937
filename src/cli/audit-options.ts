/**
 * Scheduled capacity audits on `ramp`: save the result to the history (--save, --history), gate on a regression
 * against a baseline (--baseline, --max-regression) and write an OpenMetrics textfile (--openmetrics, --label).
 *
 * The flags are read and checked before any connection is made (a bad flag never wastes a run); the work happens
 * after the result is emitted, in applyAudit, which returns EXIT.regression or null (the run's own exit code stands).
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { readResultFile } from '../compare/read-result.js';
import { decideRegression, isMeasurement } from '../compare/regression-gate.js';
import { InputError, UsageError } from '../errors.js';
import { appendHistoryRecord, defaultHistoryPath, isSameTarget, readHistory } from '../history/history-file.js';
import type { RampResult } from '../metrics/result.js';
import { formatOpenMetrics, labelNameProblem, type MetricLabel } from '../reporters/openmetrics.js';
import { damagedLineMessages } from '../reporters/history-report.js';
import { formatHostPort } from '../reporters/format.js';
import { Validator } from '../config/validator.js';
import { checkOutputPath } from '../config/output-path.js';
import { EXIT } from './exit-codes.js';
import { info, writeFileAtomic } from './output.js';

/** Where the gate's reference comes from. */
export type BaselineChoice =
  /** The latest saved run of the same host:port whose verdict is a measurement (see isMeasurement). */
  | { kind: 'last' }
  /** A result file, read and checked before the run. */
  | { kind: 'file'; path: string; result: RampResult };

export interface AuditOptions {
  /** Append the result to the history. */
  save: boolean;
  /** The history file (--history, else the XDG default). */
  historyPath: string;
  baseline: BaselineChoice | null;
  /**
   * Allowed drop of the max against the baseline, as a share (0.1 = 10%). Null with a baseline: the change is
   * reported, never gated.
   */
  maxRegressionShare: number | null;
  /** Write the OpenMetrics textfile here. */
  openMetricsPath: string | null;
  /** --label pairs, in the order given. */
  labels: readonly MetricLabel[];
  quiet: boolean;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Register the audit flags on a command (ramp). */
export function addAuditFlags(cmd: Command): Command {
  return cmd
    .option('--save', 'append the result to the history file')
    .option('--history <path>', 'the history file (default $XDG_DATA_HOME/tcpprobe/history.jsonl, else ~/.local/share/tcpprobe/history.jsonl)')
    .option('--baseline <last|file>', '"last" (latest saved run of this host:port) or a result file to compare the max with')
    .option('--max-regression <pct>', `with --baseline: exit ${EXIT.regression} when the max dropped by more than this percentage ("10%" or "10")`)
    .option('--openmetrics <file>', "write the result as an OpenMetrics textfile (for node_exporter's textfile collector)")
    .option('--label <key=value>', 'with --openmetrics: add this label to every sample (repeatable)', collect);
}

/**
 * Parse --max-regression: a percentage, "10%" or "10" (both mean ten percent; "0.1" is a tenth of a percent),
 * from 0 to 100. Returns a share: "10%" -> 0.1.
 */
export function parseMaxRegression(flag: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  if (!m) throw new UsageError(`${flag}: "${text}" is not a percentage (examples: 10%, 2.5)`);
  const pct = Number(m[1]);
  if (pct > 100) throw new UsageError(`${flag}: ${pct}% is more than 100%`);
  return pct / 100;
}

/** Parse one --label "key=value"; the value may contain "=" and anything else. */
export function parseLabel(flag: string, text: string): MetricLabel {
  const eq = text.indexOf('=');
  if (eq < 0) throw new UsageError(`${flag}: "${text}" is not key=value`);
  const name = text.slice(0, eq);
  const problem = labelNameProblem(name);
  if (problem !== null) throw new UsageError(`${flag}: ${problem}`);
  return { name, value: text.slice(eq + 1) };
}

function readBaselineFile(path: string): RampResult {
  let result: RampResult;
  try {
    result = readResultFile(path);
  } catch (e) {
    if (e instanceof InputError) throw new UsageError(`--baseline: ${e.message}`);
    throw e;
  }
  if (!isMeasurement(result.verdict.kind)) {
    throw new UsageError(`--baseline: "${path}" is a ${result.verdict.kind} run; its max is not the server's, so it cannot be a baseline`);
  }
  return result;
}

/** Read and check the audit flags: one UsageError naming every problem. */
export function readAuditOptions(flags: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): Readonly<AuditOptions> {
  const v = new Validator();
  const save = flags.save === true;
  const historyFlag = flags.history === undefined ? null : String(flags.history);
  if (historyFlag === '') v.problem('--history: empty path');
  const baselineRaw = flags.baseline === undefined ? null : String(flags.baseline);
  let baseline: BaselineChoice | null = null;
  if (baselineRaw === 'last') baseline = { kind: 'last' };
  else if (baselineRaw !== null) {
    baseline = v.field(() => ({ kind: 'file' as const, path: baselineRaw, result: readBaselineFile(baselineRaw) }), null);
  }
  if (historyFlag !== null && !save && baselineRaw !== 'last') v.problem('--history: only used with --save or --baseline last');
  const maxRegressionShare = v.field(
    () => (flags.maxRegression === undefined ? null : parseMaxRegression('--max-regression', String(flags.maxRegression))),
    null,
  );
  if (flags.maxRegression !== undefined && baselineRaw === null) v.problem('--max-regression: needs --baseline last|FILE');
  const openMetricsPath = flags.openmetrics === undefined ? null : String(flags.openmetrics);
  // The textfile's directory must exist (we do not guess permissions for node_exporter's directory); the
  // history makes its own directories.
  if (openMetricsPath !== null) v.field(() => checkOutputPath('--openmetrics', openMetricsPath), undefined);
  const historyPath = historyFlag ?? defaultHistoryPath(env);
  if (save && historyFlag !== '') v.field(() => checkOutputPath(historyFlag === null ? '--save' : '--history', historyPath, true), undefined);
  const rawLabels = Array.isArray(flags.label) ? flags.label.map(String) : [];
  if (rawLabels.length > 0 && openMetricsPath === null) v.problem('--label: only used with --openmetrics');
  const labels = rawLabels.map((t) => v.field(() => parseLabel('--label', t), null)).filter((l): l is MetricLabel => l !== null);
  const seen = new Set<string>();
  for (const l of labels) {
    if (seen.has(l.name)) v.problem(`--label: "${l.name}" is given twice`);
    seen.add(l.name);
  }
  v.done();
  return Object.freeze({
    save,
    historyPath,
    baseline,
    maxRegressionShare,
    openMetricsPath,
    labels,
    quiet: flags.quiet === true,
  });
}

/** The latest saved run of the result's host:port whose max is a measurement; reports damaged lines on stderr. */
function lastBaseline(result: RampResult, historyPath: string): RampResult | null {
  // No history yet is "no earlier run" (reported by the caller); an unreadable one is an error of its own.
  if (!existsSync(historyPath)) return null;
  const contents = readHistory(historyPath);
  for (const line of damagedLineMessages(historyPath, contents.damaged)) process.stderr.write(`tcpprobe: ${line}\n`);
  const { host, port } = result.target;
  const matching = contents.records.filter((r) => isSameTarget(r.result, host, port) && isMeasurement(r.result.verdict.kind));
  return matching[matching.length - 1]?.result ?? null;
}

/**
 * After a ramp: look up the baseline (before saving, so "last" is never this run), save, write the textfile, gate.
 * Returns EXIT.regression when the gate fails, else null.
 * @param onWriteFailure called when the history or the textfile cannot be written (default: throw InputError)
 * @throws InputError when "--baseline last" finds no earlier run (the run is still saved and the textfile
 * written, so the next scheduled run has its baseline).
 */
export async function applyAudit(
  result: RampResult,
  audit: Readonly<AuditOptions>,
  onWriteFailure: (what: string, reason: string) => void = (what, reason) => {
    throw new InputError(`cannot write ${what}: ${reason}`);
  },
): Promise<number | null> {
  let baseline: RampResult | null = null;
  if (audit.baseline?.kind === 'file') baseline = audit.baseline.result;
  else if (audit.baseline?.kind === 'last') baseline = lastBaseline(result, audit.historyPath);

  // A write that fails here was checked before the run (the disk filled, a directory went away): the caller keeps
  // the result and says where; the gate below still runs.
  if (audit.save) {
    try {
      await appendHistoryRecord(audit.historyPath, result);
      info(audit, `history: saved to ${audit.historyPath}`);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      onWriteFailure(`the history "${audit.historyPath}"`, e.message);
    }
  }
  if (audit.openMetricsPath !== null) {
    try {
      writeFileAtomic(audit.openMetricsPath, formatOpenMetrics(result, audit.labels));
      info(audit, `openmetrics: wrote ${audit.openMetricsPath}`);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      onWriteFailure(`--openmetrics "${audit.openMetricsPath}"`, e.message.replace(/^cannot write "[^"]*": /, ''));
    }
  }
  if (audit.baseline === null) return null;
  if (!isMeasurement(result.verdict.kind)) {
    // Nothing to judge, with or without a baseline: the run's own exit code (3, 4, 130, 143) says what happened.
    info(audit, `baseline: not compared: this run's verdict is ${result.verdict.kind}`);
    return null;
  }
  if (baseline === null) {
    const target = formatHostPort(result.target.host, result.target.port);
    const saved = audit.save ? '; this run was saved and is the baseline next time' : '';
    throw new InputError(`--baseline last: no earlier measured run of ${target} in "${audit.historyPath}"${saved}`);
  }
  if (!isSameTarget(baseline, result.target.host, result.target.port)) {
    const other = formatHostPort(baseline.target.host, baseline.target.port);
    info(audit, `baseline: note: the baseline is a run of ${other}, this run is of ${formatHostPort(result.target.host, result.target.port)}`);
  }
  const decision = decideRegression({
    currentMax: result.maxConcurrency,
    currentVerdict: result.verdict.kind,
    baselineMax: baseline.maxConcurrency,
    baselineVerdict: baseline.verdict.kind,
    // No --max-regression: report the change, never fail on it.
    allowedDropShare: audit.maxRegressionShare,
  });
  if (decision.kind === 'regression') {
    // Always printed, even with --quiet: it is why the exit code is not 0.
    process.stderr.write(`tcpprobe: ${decision.message}\n`);
    return EXIT.regression;
  }
  info(audit, decision.message);
  return null;
}
