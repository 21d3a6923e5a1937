/**
 * `tcpprobe history`: the runs saved by `ramp --save`, as a table with the trend of the max, or with --json the
 * `tcpprobe/history` document. Damaged lines are reported on stderr with their line numbers and skipped.
 */
import type { Command } from 'commander';
import { parseCount, parseHostPort, parseTargetName } from '../config/units.js';
import { optional, Validator } from '../config/validator.js';
import { defaultHistoryPath, matchesTarget, readHistory } from '../history/history-file.js';
import { formatHostPort } from '../reporters/format.js';
import { damagedLineMessages, formatHistoryReport, historyDocument } from '../reporters/history-report.js';
import { EXIT } from '../metrics/exit-codes.js';
import type { StopSignal } from './signals.js';

export interface HistoryOptions {
  path: string;
  /** --target: a name (its series), or host:port (every run against that address); null: every run. */
  target: { name: string } | { host: string; port: number } | null;
  /** Show only the newest N runs (after the target filter). */
  last: number | null;
  json: boolean;
  chart: boolean;
}

export function readHistoryOptions(raw: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): HistoryOptions {
  const v = new Validator();
  // A name has no ":" (config/units.ts), host:port always has one.
  const target = v.field(
    () => optional(raw.target, (s) => (s.includes(':') ? parseHostPort('--target', s) : { name: parseTargetName('--target', s) })),
    null,
  );
  const last = v.field(() => optional(raw.last, (s) => parseCount('--last', s)), null);
  if (last !== null && last < 1) v.problem('--last: must be at least 1');
  const path = raw.history === undefined ? defaultHistoryPath(env) : String(raw.history);
  if (path === '') v.problem('--history: empty path');
  v.done();
  return { path, target, last, json: raw.json === true, chart: raw.chart !== false };
}

export function registerHistoryCommand(program: Command, run: (fn: (stop: StopSignal) => Promise<number>) => Promise<void>): void {
  program
    .command('history')
    .description('list the runs saved by ramp --save (date, target, max, verdict) and chart the trend of the max')
    .option('--history <path>', 'the history file (default $XDG_DATA_HOME/tcpprobe/history.jsonl, else ~/.local/share/tcpprobe/history.jsonl)')
    .option('--target <name|host:port>', 'only the runs of this target: its name (ramp --name, an audit target), or host:port (every run against it)')
    .option('--last <n>', 'only the newest N runs')
    .option('--json', 'print the tcpprobe/history document on stdout')
    .option('--no-chart', 'no trend chart')
    .action(async (flags: Record<string, unknown>) => {
      const options = readHistoryOptions(flags);
      await run(async () => historyMain(options));
    });
}

export async function historyMain(o: HistoryOptions): Promise<number> {
  const { records, damaged } = readHistory(o.path);
  // Damaged lines never stop the listing: each is reported once, with its line number.
  for (const line of damagedLineMessages(o.path, damaged)) process.stderr.write(`tcpprobe: ${line}\n`);
  const target = o.target;
  let shown = target === null ? records : records.filter((r) => matchesTarget(r.result, target));
  if (o.last !== null) shown = shown.slice(-o.last);
  if (o.json) {
    process.stdout.write(`${JSON.stringify(historyDocument(o.path, shown, damaged), null, 2)}\n`);
  } else {
    const label = target === null ? null : 'name' in target ? target.name : formatHostPort(target.host, target.port);
    process.stdout.write(`${formatHistoryReport(o.path, shown, { target: label, chart: o.chart })}\n`);
  }
  return EXIT.ok;
}
