/**
 * `tcpprobe report --history FILE --html OUT`: the HTML capacity report from the history alone (every series in
 * it: audit targets by name, plain `ramp --save` runs by host:port).
 */
import type { Command } from 'commander';
import { readOutputPath } from '../config/output-path.js';
import { Validator } from '../config/validator.js';
import { defaultHistoryPath } from '../history/history-file.js';
import type { StopSignal } from './signals.js';

export interface ReportOptions {
  historyPath: string;
  htmlPath: string;
  quiet: boolean;
}

export function readReportOptions(flags: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): ReportOptions {
  const v = new Validator();
  const historyPath = flags.history === undefined ? defaultHistoryPath(env) : String(flags.history);
  if (historyPath === '') v.problem('--history: empty path');
  const htmlPath = readOutputPath('--html', flags.html, v);
  if (htmlPath === null) v.problem('--html: required (the report file to write, or - for stdout)');
  v.done();
  return { historyPath, htmlPath: htmlPath as string, quiet: flags.quiet === true };
}

export function registerReportCommand(program: Command, run: (fn: (stop: StopSignal) => Promise<number>) => Promise<void>): void {
  program
    .command('report')
    .description('write the HTML capacity report (latest verdicts, held curves, trends) from the history')
    .option('--history <path>', 'the history file (default $XDG_DATA_HOME/tcpprobe/history.jsonl, else ~/.local/share/tcpprobe/history.jsonl)')
    .option('--html <file>', 'the report to write (one self-contained file; - for stdout)')
    .option('-q, --quiet', 'no "wrote" line')
    .action(async (flags: Record<string, unknown>) => {
      const options = readReportOptions(flags);
      await run(async () => reportMain(options));
    });
}

export async function reportMain(o: ReportOptions): Promise<number> {
  const [
    { readHistory },
    { damagedLineMessages },
    { renderHtmlReport, reportTargets },
    { baseTitle, historyOverview },
    { readChartAssets },
    { info, outputPlace, writeOutput },
    { EXIT },
    { TOOL_VERSION },
  ] = await Promise.all([
    import('../history/history-file.js'),
    import('../reporters/history-report.js'),
    import('../reporters/html-report.js'),
    import('../reporters/target-outcome.js'),
    import('./chart-assets.js'),
    import('./output.js'),
    import('../metrics/exit-codes.js'),
    import('../version.js'),
  ]);
  const { records, damaged } = readHistory(o.historyPath);
  for (const line of damagedLineMessages(o.historyPath, damaged)) process.stderr.write(`tcpprobe: ${line}\n`);
  const targets = reportTargets(records);
  const generatedAt = new Date().toISOString();
  // Every series judged by its latest run: the page's overview and outcome; the command itself answered.
  const title = `Capacity report: ${baseTitle(o.historyPath)}`;
  const overview = historyOverview(title, targets.map((t) => t.outcome), generatedAt);
  const html = renderHtmlReport({ title, generatedAt, version: TOOL_VERSION, overview, targets }, readChartAssets());
  writeOutput(o.htmlPath, html);
  info(o, `html: wrote ${outputPlace(o.htmlPath)} (${records.length} ${records.length === 1 ? 'run' : 'runs'})`);
  return EXIT.ok;
}
