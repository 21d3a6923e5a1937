/**
 * Running an audit: its targets one after another, each through runRamp (the ramp's run core), judged against its
 * own baseline and floor, and saved to the history under its name. A target that fails or cannot run is recorded
 * and the next one runs; only a stop signal ends the audit early.
 */
import { appendHistoryRecord } from '../history/history-file.js';
import { ProbeError } from '../errors.js';
import type { GateRecord, RampResult } from '../metrics/result.js';
import type { AuditTargetReport } from '../metrics/audit-document.js';
import { formatHostPort } from '../reporters/format.js';
import type { AuditPlan, AuditTarget } from './audit-file.js';
import { judgeGate, type AuditOptions } from './post-run-audit.js';
import { exitCodeForError, exitCodeForOutcome, outcomeOfVerdict, type Outcome } from '../metrics/exit-codes.js';
import { runRamp } from '../run/ramp.js';

/**
 * A target's outcome: the verdict's, except that a measured max (answered or a lower bound that timed out) that
 * fails the gate or the floor is a regression.
 */
export function targetOutcome(result: RampResult, gate: GateRecord['outcome'] | null, belowMinimum: boolean): Outcome {
  const base = outcomeOfVerdict(result.verdict.kind);
  if ((base === 'answered' || base === 'timed-out') && (gate === 'regression' || belowMinimum)) return 'regression';
  return base;
}

/** Below the target's minConnections? Only a measurement can be (an unreachable run is its own failure). */
export function isBelowMinimum(result: RampResult, minConnections: number | null): boolean {
  return minConnections !== null && outcomeOfVerdict(result.verdict.kind) !== 'unreachable' && result.maxConcurrency < minConnections;
}

/** The report of a target from its result and gate (pure). */
export function targetReport(t: AuditTarget, result: RampResult, gate: GateRecord | null, signal: NodeJS.Signals | null): AuditTargetReport {
  const belowMinimum = isBelowMinimum(result, t.minConnections);
  const outcome = targetOutcome(result, gate?.outcome ?? null, belowMinimum);
  return {
    name: t.name,
    address: formatHostPort(t.options.target.host, t.options.target.port),
    labels: Object.fromEntries(t.labels.map((l) => [l.name, l.value])),
    outcome,
    exitCode: exitCodeForOutcome(outcome, signal),
    maxConcurrency: result.maxConcurrency,
    verdict: result.verdict.kind,
    baselineMax: gate?.baseline?.maxConcurrency ?? null,
    dropShare: gate?.dropShare ?? null,
    gate: gate?.outcome ?? null,
    allowedDropShare: t.maxRegressionShare,
    minConnections: t.minConnections,
    belowMinimum,
    error: null,
    result,
  };
}

/** A target that could not run at all (a name that does not resolve, a bug): recorded, and the audit goes on. */
export function failedTargetReport(t: AuditTarget, e: unknown): AuditTargetReport {
  const code = e instanceof ProbeError ? e.code : 'internal';
  const outcome: Outcome = code === 'unresolvable' ? 'unreachable' : code === 'redis' ? 'fleet' : code === 'internal' ? 'internal' : 'usage';
  return {
    name: t.name,
    address: formatHostPort(t.options.target.host, t.options.target.port),
    labels: Object.fromEntries(t.labels.map((l) => [l.name, l.value])),
    outcome,
    exitCode: exitCodeForError(code),
    maxConcurrency: null,
    verdict: null,
    baselineMax: null,
    dropShare: null,
    gate: null,
    allowedDropShare: t.maxRegressionShare,
    minConnections: t.minConnections,
    belowMinimum: false,
    error: e instanceof Error ? e.message : String(e),
    result: null,
  };
}

/** A target the audit did not reach because it was stopped: listed, so the document accounts for the whole file. */
export function notRunReport(t: AuditTarget, signal: string | null): AuditTargetReport {
  return {
    ...failedTargetReport(t, new Error('not run: the audit was stopped before this target')),
    outcome: 'interrupted',
    exitCode: exitCodeForOutcome('interrupted', signal),
  };
}

export interface AuditRunHooks {
  onTargetStart(index: number, target: AuditTarget): void;
  onTargetEnd(report: AuditTargetReport): void;
}

/** Run one target: ramp, gate, floor, save. Never throws for the target's own failures. */
async function runTarget(
  t: AuditTarget,
  plan: AuditPlan,
  historyPath: string,
  signal: AbortSignal,
  received: () => NodeJS.Signals | null,
): Promise<AuditTargetReport> {
  // The baseline is always looked up, so the change is reported; it fails the target only with maxRegression.
  const gateOptions: AuditOptions = {
    save: true,
    historyPath,
    baseline: { kind: 'last', runs: plan.baselineRuns },
    maxRegressionShare: t.maxRegressionShare,
    openMetricsPath: null,
    labels: [],
    quiet: true,
  };
  let result: RampResult;
  try {
    // The result records the code `ramp --baseline last` would exit with (the floor, minConnections, is the audit's own).
    const run = await runRamp(t.options, signal, {
      stopSignal: received,
      judging: {
        audit: (r) => ({
          name: t.name,
          labels: Object.fromEntries(t.labels.map((l) => [l.name, l.value])),
          settings: t.settings,
          minConnections: t.minConnections,
          belowMinimum: isBelowMinimum(r, t.minConnections),
        }),
        gate: (r) => judgeGate(r, gateOptions),
      },
    });
    result = run.result;
    await run.close();
    await run.finish(0);
  } catch (e) {
    return failedTargetReport(t, e);
  }
  const gate = result.gate ?? null;
  const report = targetReport(t, result, gate, received());
  try {
    await appendHistoryRecord(historyPath, result);
  } catch (e) {
    if (!(e instanceof ProbeError)) throw e;
    // The result is still in the audit document (--json); the audit says it could not keep it.
    report.error = `not saved: ${e.message}`;
    if (report.outcome === 'answered' || report.outcome === 'timed-out') {
      report.outcome = 'usage';
      report.exitCode = exitCodeForOutcome('usage');
    }
  }
  return report;
}

/**
 * Run every target in the file's order, one at a time (never two against one host at once, and never competing
 * for this machine). After a stop signal the remaining targets are not run; each is reported as not run.
 */
export async function runAudit(
  plan: AuditPlan,
  historyPath: string,
  signal: AbortSignal,
  received: () => NodeJS.Signals | null,
  hooks: AuditRunHooks,
): Promise<AuditTargetReport[]> {
  const reports: AuditTargetReport[] = [];
  for (const [i, t] of plan.targets.entries()) {
    if (signal.aborted) {
      reports.push(notRunReport(t, received()));
      continue;
    }
    hooks.onTargetStart(i, t);
    const report = await runTarget(t, plan, historyPath, signal, received);
    reports.push(report);
    hooks.onTargetEnd(report);
  }
  return reports;
}
