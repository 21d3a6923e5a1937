/**
 * `tcpprobe audit FILE`: the targets of an audit file one after another, each saved to the history under its
 * name and judged against its own baseline and floor; then the OpenMetrics textfile (a `target` label per target),
 * the HTML report, the summary table, and the exit code of the worst outcome (exit-codes.ts, OUTCOME_SEVERITY).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { checkOutputPath, readOutputPath, readReportFiles, reportFileClaims, STDOUT_PATH, stdoutProblem, type ReportFiles } from '../config/output-path.js';
import { Validator } from '../config/validator.js';
import { UsageError } from '../errors.js';
import { defaultHistoryPath } from '../history/history-file.js';
import { defaultAuditLockPath } from '../history/audit-lock.js';
import type { AuditPlan } from './audit-file.js';
import type { StopSignal } from './signals.js';
import { HELP_GROUPS } from '../config/help-groups.js';

export interface AuditCommandOptions {
  file: string;
  plan: AuditPlan;
  historyPath: string;
  lockPath: string;
  openMetricsPath: string | null;
  htmlPath: string | null;
  /** --junit and --markdown. */
  reports: ReportFiles;
  json: boolean;
  quiet: boolean;
}

/** Read the file and the flags; every problem (the file's and the flags') in one UsageError, before any connect. */
export async function readAuditCommandOptions(
  file: string,
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<AuditCommandOptions> {
  // The YAML parser and the ramp's option reader load only for an audit (--help and other commands never do).
  const { readAuditFile } = await import('./audit-file.js');
  const v = new Validator();
  let text: string | null = null;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    v.problem(`cannot read the audit file "${file}": ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const plan = text === null ? null : v.field(() => readAuditFile(text, file), null);
  const historyPath = flags.history === undefined ? defaultHistoryPath(env) : String(flags.history);
  v.field(() => checkOutputPath('--history', historyPath, true), undefined);
  const lockPath = flags.lock === undefined ? defaultAuditLockPath(historyPath) : String(flags.lock);
  v.field(() => checkOutputPath('--lock', lockPath, true), undefined);
  const openMetricsPath = readOutputPath('--openmetrics', flags.openmetrics, v);
  const htmlPath = readOutputPath('--html', flags.html, v);
  const reports = readReportFiles(flags, v);
  const stdout = stdoutProblem([
    flags.json === true ? '--json' : null,
    openMetricsPath === STDOUT_PATH ? '--openmetrics -' : null,
    htmlPath === STDOUT_PATH ? '--html -' : null,
    ...reportFileClaims(reports),
  ]);
  if (stdout !== null) v.problem(stdout);
  v.done();
  if (plan === null) throw new UsageError(`cannot read the audit file "${file}"`);
  return { file, plan, historyPath, lockPath, openMetricsPath, htmlPath, reports, json: flags.json === true, quiet: flags.quiet === true };
}

export function registerAuditCommand(program: Command, run: (fn: (stop: StopSignal) => Promise<number>) => Promise<void>): void {
  program
    .command('audit')
    .description('ramp every target of an audit file (YAML) in turn, save each to the history, gate each on its baseline')
    .argument('<file>', 'the audit file (docs/audits.md, "Audit files")')
    .optionsGroup(HELP_GROUPS.gate)
    .option('--history <path>', 'the history file (default $XDG_DATA_HOME/tcpprobe/history.jsonl, else ~/.local/share/tcpprobe/history.jsonl)')
    .option('--lock <path>', 'the lock that keeps two audits from overlapping (default <history>.audit.lock)')
    .optionsGroup(HELP_GROUPS.output)
    .option('--openmetrics <file>', "write every target's result to one OpenMetrics textfile (a target label per target; - for stdout)")
    .option('--html <file>', 'write the HTML report (self-contained) of the audited targets from the history (- for stdout)')
    .option('--junit <file>', 'write JUnit XML for CI: one test case per target, its failure the verdict (- for stdout)')
    .option('--markdown <file>', 'write the overview table as Markdown; appends when FILE is $GITHUB_STEP_SUMMARY (- for stdout)')
    .option('--json', 'print the tcpprobe/audit document on stdout (the summary goes to stderr)')
    .option('-q, --quiet', 'no progress lines')
    .action(async (file: string, flags: Record<string, unknown>) => {
      const options = await readAuditCommandOptions(file, flags);
      const { auditMain } = await import('./audit-main.js');
      await run((stop) => auditMain(options, stop));
    });
}
