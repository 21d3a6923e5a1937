/**
 * The body of `tcpprobe audit`, loaded only when an audit runs: take the lock, run the targets, write the
 * textfile and the report, print the summary (and the document), resolve to the worst outcome's exit code.
 */
import { AUDIT_SCHEMA, AUDIT_SCHEMA_VERSION, type AuditDocument, type AuditTargetReport } from '../metrics/audit-document.js';
import { InputError } from '../errors.js';
import { acquireAuditLock } from '../history/audit-lock.js';
import { readHistory } from '../history/history-file.js';
import { formatAuditSummary, formatTargetEnd, formatTargetStart } from '../reporters/audit-summary.js';
import { auditReportTargets, renderHtmlReport, reportTargets, type ReportTarget } from '../reporters/html-report.js';
import { formatAuditOpenMetrics } from '../reporters/openmetrics.js';
import { formatHostPort } from '../reporters/format.js';
import type { AuditCommandOptions } from './audit-command.js';
import { runAudit } from './audit-run.js';
import { readChartAssets } from './chart-assets.js';
import { exitCodeForOutcome, worstOutcome, type Outcome } from '../metrics/exit-codes.js';
import { info, outputPlace, writeOutput, writeReportFiles } from './output.js';
import { paintFor } from './colour.js';
import { auditOverview, baseTitle } from '../reporters/target-outcome.js';
import { TOOL_VERSION } from '../version.js';
import { STDOUT_PATH } from '../config/output-path.js';
import type { StopSignal } from './signals.js';

export async function auditMain(o: AuditCommandOptions, stop: StopSignal): Promise<number> {
  const lock = acquireAuditLock(o.lockPath);
  try {
    const startedAt = new Date().toISOString();
    const count = o.plan.targets.length;
    const reports = await runAudit(o.plan, o.historyPath, stop.controller.signal, () => stop.received, {
      onTargetStart: (i, t) => info(o, formatTargetStart(i, count, t.name, formatHostPort(t.options.target.host, t.options.target.port))),
      onTargetEnd: (r) => info(o, formatTargetEnd(r, paintFor(process.stderr))),
    });
    const outcomes: Outcome[] = reports.map((r) => r.outcome as Outcome);
    if (stop.received !== null) outcomes.push('interrupted');
    // A file that cannot be written at the end is said in one line (even with -q) and counts as a usage outcome.
    const writeOut = (what: string, path: string, content: () => string): void => {
      try {
        writeOutput(path, content());
        info(o, `${what}: wrote ${outputPlace(path)}`);
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        process.stderr.write(`tcpprobe: ${what}: ${e.message}\n`);
        outcomes.push('usage');
      }
    };
    const measured = reports.filter((r) => r.result !== null);
    if (o.openMetricsPath !== null) {
      writeOut('openmetrics', o.openMetricsPath, () =>
        formatAuditOpenMetrics(
          measured.map((r) => ({
            result: r.result as NonNullable<AuditTargetReport['result']>,
            labels: Object.entries(r.labels).map(([name, value]) => ({ name, value })),
            judged: { passed: r.exitCode === 0, minConnections: r.minConnections },
          })),
        ),
      );
    }
    const finishedAt = new Date().toISOString();
    const documentOf = (worst: Outcome): AuditDocument => ({
      schema: AUDIT_SCHEMA,
      schemaVersion: AUDIT_SCHEMA_VERSION,
      file: o.file,
      historyPath: o.historyPath,
      startedAt,
      finishedAt,
      outcome: worst,
      exitCode: exitCodeForOutcome(worst, stop.received),
      targets: reports,
    });
    if (o.htmlPath !== null) {
      writeOut('html', o.htmlPath, () => {
        let history: ReportTarget[] = [];
        try {
          history = reportTargets(readHistory(o.historyPath).records);
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
        }
        return renderHtmlReport(
          {
            title: `Capacity audit: ${baseTitle(o.file)}`,
            generatedAt: finishedAt,
            version: TOOL_VERSION,
            overview: auditOverview(documentOf(worstOutcome(outcomes))),
            targets: auditReportTargets(reports, history),
          },
          readChartAssets(),
        );
      });
    }
    // JUnit and Markdown say the audit's outcome: written last, and a file among them that cannot be written
    // makes the outcome usage for the document and the exit code (as the textfile and the report do).
    if (!(await writeReportFiles(auditOverview(documentOf(worstOutcome(outcomes))), o.reports, o))) outcomes.push('usage');
    const doc = documentOf(worstOutcome(outcomes));
    const summary = (stream: NodeJS.WriteStream): string => `${formatAuditSummary(doc, paintFor(stream))}\n`;
    // Stdout carries one document (readAuditCommandOptions refuses two): the summary goes to stderr when it is taken.
    const stdoutTaken = [o.openMetricsPath, o.htmlPath, o.reports.junit, o.reports.markdown].includes(STDOUT_PATH);
    if (o.json || stdoutTaken) {
      if (o.json) process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
      if (!o.quiet) info(o, summary(process.stderr));
    } else {
      process.stdout.write(summary(process.stdout));
    }
    return doc.exitCode;
  } finally {
    lock.release();
  }
}
