/**
 * Scheduled capacity audits on `ramp`: save the result to the history (--save, --history), gate on a regression
 * against a baseline (--baseline, --max-regression) and write an OpenMetrics textfile (--openmetrics, --label).
 *
 * The flags are read and checked before any connection is made (a bad flag never wastes a run); the work happens
 * after the result is emitted, in applyAudit, which returns EXIT.regression or null (the run's own exit code stands).
 */
import { existsSync } from 'node:fs';
import { readResultFile } from '../compare/read-result.js';
import { decideRegression, isMeasurement, pickBaseline } from '../compare/regression-gate.js';
import { InputError, UsageError } from '../errors.js';
import { appendHistoryRecord, defaultHistoryPath, isSameSeries, readHistory } from '../history/history-file.js';
import type { GateRecord, RampResult } from '../metrics/result.js';
import { formatOpenMetrics, labelNameProblem, type MetricLabel } from '../reporters/openmetrics.js';
import { damagedLineMessages } from '../reporters/history-report.js';
import { formatHostPort } from '../reporters/format.js';
import { gateTargetWarning } from '../reporters/run-differences.js';
import { optional, Validator } from '../config/validator.js';
import { parseCount } from '../config/units.js';
import { checkOutputPath, readOutputPath, STDOUT_PATH, stdoutProblem } from '../config/output-path.js';
import { EXIT } from '../metrics/exit-codes.js';
import { givenName } from '../metrics/series.js';
import { info, outputPlace, writeOutput } from './output.js';

/** Where the gate's reference comes from. */
export type BaselineChoice =
  /**
   * The best of the last `runs` saved runs of the same series (the run's name, else its host:port) that can be a baseline: a measurement that did not
   * fail a gate itself (see canBeBaseline), so the baseline never ratchets down.
   */
  | { kind: 'last'; runs: number }
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

export const AUDIT_DEFAULTS = {
  /** --baseline last looks at this many recent passing runs and takes the best. */
  baselineRuns: 5,
} as const;

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
  const baselineRuns =
    v.field(() => optional(flags.baselineRuns, (t) => parseCount('--baseline-runs', t)), null) ?? AUDIT_DEFAULTS.baselineRuns;
  if (baselineRuns < 1) v.problem('--baseline-runs: must be at least 1');
  if (flags.baselineRuns !== undefined && baselineRaw !== 'last') v.problem('--baseline-runs: only used with --baseline last');
  if (baselineRaw === 'last') baseline = { kind: 'last', runs: baselineRuns };
  else if (baselineRaw !== null) {
    baseline = v.field(() => ({ kind: 'file' as const, path: baselineRaw, result: readBaselineFile(baselineRaw) }), null);
  }
  if (historyFlag !== null && !save && baselineRaw !== 'last') v.problem('--history: only used with --save or --baseline last');
  const maxRegressionShare = v.field(
    () => (flags.maxRegression === undefined ? null : parseMaxRegression('--max-regression', String(flags.maxRegression))),
    null,
  );
  if (flags.maxRegression !== undefined && baselineRaw === null) v.problem('--max-regression: needs --baseline last|FILE');
  // The textfile's directory must exist (we do not guess permissions for node_exporter's directory); the
  // history makes its own directories.
  const openMetricsPath = readOutputPath('--openmetrics', flags.openmetrics, v);
  const documentClaim = flags.json === true ? '--json' : flags.out === STDOUT_PATH ? '--out -' : null;
  // --junit - and --markdown - (read with the ramp's options) claim stdout too.
  const reportClaims = [flags.junit === STDOUT_PATH ? '--junit -' : null, flags.markdown === STDOUT_PATH ? '--markdown -' : null];
  const stdout = stdoutProblem([documentClaim, openMetricsPath === STDOUT_PATH ? '--openmetrics -' : null, ...reportClaims]);
  if (stdout !== null) v.problem(stdout);
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

/** The target's saved runs (its series: the audit target's name, else host:port), oldest first; damaged lines are reported on stderr. Null when there is no history yet. */
function savedRuns(result: RampResult, historyPath: string): RampResult[] | null {
  // No history yet is "no earlier run" (reported later); an unreadable one is an error of its own.
  if (!existsSync(historyPath)) return null;
  const contents = readHistory(historyPath);
  for (const line of damagedLineMessages(historyPath, contents.damaged)) process.stderr.write(`tcpprobe: ${line}\n`);
  return contents.records.filter((r) => isSameSeries(r.result, result)).map((r) => r.result);
}

/**
 * Before the result is printed: find the baseline and decide, so the document carries the gate's inputs and
 * outcome (and a saved regression is marked as one). Null without --baseline. Writes nothing.
 */
export function judgeGate(result: RampResult, audit: Readonly<AuditOptions>): GateRecord | null {
  const choice = audit.baseline;
  if (choice === null) return null;
  let baseline: RampResult | null;
  let window: number | null = null;
  let considered: number | null = null;
  if (choice.kind === 'file') {
    baseline = choice.result;
  } else {
    const picked = pickBaseline(savedRuns(result, audit.historyPath) ?? [], choice.runs);
    baseline = picked.baseline;
    window = choice.runs;
    considered = picked.considered;
  }
  const record = (outcome: GateRecord['outcome'], message: string, dropShare: number | null = null): GateRecord => ({
    baselineSource: choice.kind === 'file' ? 'file' : 'history',
    path: choice.kind === 'file' ? choice.path : audit.historyPath,
    window,
    consideredRuns: considered,
    baseline:
      baseline === null
        ? null
        : {
            maxConcurrency: baseline.maxConcurrency,
            verdict: baseline.verdict.kind,
            startedAt: baseline.startedAt,
            target: formatHostPort(baseline.target.host, baseline.target.port),
          },
    allowedDropShare: audit.maxRegressionShare,
    dropShare,
    outcome,
    message,
  });
  // Nothing to judge, with or without a baseline: the run's own exit code (3, 4, 130, 143) says what happened.
  if (!isMeasurement(result.verdict.kind)) return record('not-compared', `baseline: not compared: this run's verdict is ${result.verdict.kind}`);
  if (baseline === null) {
    // A named run's series is its name (isSameSeries), an unnamed one's its host:port; an audit has no --baseline flag.
    const name = givenName(result);
    const series = name === null ? formatHostPort(result.target.host, result.target.port) : `"${name}"`;
    const prefix = result.audit === undefined ? '--baseline last' : 'baseline';
    return record('no-baseline', `${prefix}: no baseline yet, the gate was not applied: no earlier measured run of ${series} that passed in the history`);
  }
  const decision = decideRegression({
    currentMax: result.maxConcurrency,
    currentVerdict: result.verdict.kind,
    baselineMax: baseline.maxConcurrency,
    baselineVerdict: baseline.verdict.kind,
    // No --max-regression: report the change, never fail on it.
    allowedDropShare: audit.maxRegressionShare,
  });
  if (decision.kind === 'inconclusive') return record('not-compared', decision.message);
  const from = choice.kind === 'last' ? ` (the best of ${considered} recent passing ${considered === 1 ? 'run' : 'runs'})` : '';
  return record(decision.kind, `${decision.message}${from}`, decision.dropShare);
}

/**
 * After the result was printed: save (the record carries result.gate), write the textfile, and report the gate.
 * Returns EXIT.regression when the gate failed, else null.
 * @param onWriteFailure called when the history or the textfile cannot be written (default: throw InputError)
 */
export async function applyAudit(
  result: RampResult,
  audit: Readonly<AuditOptions>,
  onWriteFailure: (what: string, reason: string) => void = (what, reason) => {
    throw new InputError(`cannot write ${what}: ${reason}`);
  },
): Promise<number | null> {
  // A write that fails here was checked before the run (the disk filled, a directory went away): the caller keeps
  // the result and says where; the gate below still counts.
  if (audit.save) {
    try {
      await appendHistoryRecord(audit.historyPath, result);
      info(audit, `history: saved to ${audit.historyPath}${result.gate?.outcome === 'regression' ? ' (marked as a regression: never a baseline)' : ''}`);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      onWriteFailure(`the history "${audit.historyPath}"`, e.message);
    }
  }
  if (audit.openMetricsPath !== null) {
    try {
      writeOutput(audit.openMetricsPath, formatOpenMetrics(result, audit.labels));
      info(audit, `openmetrics: wrote ${outputPlace(audit.openMetricsPath)}`);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      onWriteFailure(`--openmetrics "${audit.openMetricsPath}"`, e.message.replace(/^cannot write "[^"]*": /, ''));
    }
  }
  const gate = result.gate;
  if (gate === undefined) return null;
  // Said even with --quiet, whatever the outcome: a gate against another server's run judges nothing.
  const otherTarget = gateTargetWarning(gate, formatHostPort(result.target.host, result.target.port));
  if (otherTarget !== null) process.stderr.write(`tcpprobe: ${otherTarget}\n`);
  switch (gate.outcome) {
    case 'regression':
      // Always printed, even with --quiet: it is why the exit code is not 0.
      process.stderr.write(`tcpprobe: ${gate.message}\n`);
      return EXIT.regression;
    case 'no-baseline':
      // The first night of a nightly gate: nothing to compare with is an answer, not bad input.
      info(audit, `${gate.message}${audit.save ? '; this run was saved and is the baseline next time' : ''}`);
      return null;
    case 'pass':
    case 'not-compared':
      info(audit, gate.message);
      return null;
  }
}
