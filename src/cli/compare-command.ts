/**
 * `tcpprobe compare BEFORE.json AFTER.json`: what changed between two ramps. The report goes to stdout, or with
 * --json the `tcpprobe/compare` document goes to stdout and the report to stderr (unless --quiet).
 */
import type { Command } from 'commander';
import { readResultFile } from '../compare/read-result.js';
import { InputError } from '../errors.js';
import type { RampResult } from '../metrics/result.js';
import { EXIT } from '../metrics/exit-codes.js';
import { info } from './output.js';
import type { StopSignal } from './signals.js';

export interface CompareOptions {
  beforePath: string;
  afterPath: string;
  json: boolean;
  chart: boolean;
  quiet: boolean;
}

export function registerCompareCommand(program: Command, run: (fn: (stop: StopSignal) => Promise<number>) => Promise<void>): void {
  program
    .command('compare')
    .description('compare two ramp results: max, verdict, absorbed rate, connect latency, time to max, held curves')
    .argument('<before>', 'result of the earlier run (written by ramp --json or --out)')
    .argument('<after>', 'result of the later run')
    .option('--json', 'print the tcpprobe/compare document on stdout (the report goes to stderr)')
    .option('--no-chart', 'no chart in the report')
    .option('-q, --quiet', 'with --json: no report on stderr')
    .action(async (beforePath: string, afterPath: string, flags: Record<string, unknown>) => {
      const options: CompareOptions = {
        beforePath,
        afterPath,
        json: flags.json === true,
        chart: flags.chart !== false,
        quiet: flags.quiet === true,
      };
      await run(async () => compareMain(options));
    });
}

/** Read both files, reporting the problems of both in one line if both are bad. */
function readBoth(beforePath: string, afterPath: string): [RampResult, RampResult] {
  const problems: string[] = [];
  const read = (path: string): RampResult | null => {
    try {
      return readResultFile(path);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      problems.push(e.message);
      return null;
    }
  };
  const before = read(beforePath);
  const after = read(afterPath);
  if (before === null || after === null) throw new InputError(problems.join('; '));
  return [before, after];
}

export async function compareMain(o: CompareOptions): Promise<number> {
  const [before, after] = readBoth(o.beforePath, o.afterPath);
  // The comparison and its report (histograms, charts) only when there are two results to compare.
  const [{ compareResults }, { compareTargetWarning, formatCompareReport }] = await Promise.all([
    import('../compare/compare-results.js'),
    import('../reporters/compare-report.js'),
  ]);
  const comparison = compareResults(before, after, { before: o.beforePath, after: o.afterPath });
  const report = formatCompareReport(comparison, { chart: o.chart });
  if (o.json) {
    process.stdout.write(`${JSON.stringify(comparison, null, 2)}\n`);
    // --quiet drops the report, never the warning that the figures are of two servers.
    const warning = compareTargetWarning(comparison);
    if (o.quiet && warning !== null) process.stderr.write(`tcpprobe: ${warning}\n`);
    info(o, report);
  } else {
    process.stdout.write(`${report}\n`);
  }
  return EXIT.ok;
}
