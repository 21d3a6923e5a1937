/**
 * `tcpprobe hold`, the command: open N connections with a delay between each, keep them, show live stats, judge
 * CI assertions; the run core is src/run/hold.ts.
 */
import type { Command } from 'commander';
import { readHoldOptions, HOLD_DEFAULTS, type HoldOptions } from '../config/hold-options.js';
import type { Progress } from '../controller/run-context.js';
import type { LiveSnapshot } from '../reporters/live-status.js';
import type { ProbeDriver } from '../controller/driver.js';
import { emitResult, explainExit, finalExitCode, info, runReportFiles, throttle } from './output.js';
import { addOutputFlags, addProbeFlags } from './probe-flags.js';
import { HELP_GROUPS } from '../config/help-groups.js';
import type { StopSignal } from './signals.js';

export function registerHoldCommand(program: Command, run: (fn: (stop: StopSignal) => Promise<number>) => Promise<void>): void {
  const cmd = addProbeFlags(
    program.command('hold').description('open N connections with a delay between each and keep them open; live stats and CI assertions'),
  )
    .optionsGroup(HELP_GROUPS.hold)
    .option('-c, --connections <n>', `connections to open (default ${HOLD_DEFAULTS.connections})`)
    .option('--delay <dur>', `wait between the creation of each connection (default ${HOLD_DEFAULTS.delayMs}ms)`)
    .option('--duration <dur>', 'hold for this long, then close all (default: until the server has closed them all)')
    .option('--max-duration <dur>', `hard bound on the whole run (default ${HOLD_DEFAULTS.maxDurationMs / 60_000}m)`)
    .option('--reconnect', 'reopen connections the server closes')
    .option('--reconnect-delay <dur>', `wait before reopening (default ${HOLD_DEFAULTS.reconnectDelayMs}ms)`)
    .optionsGroup(HELP_GROUPS.assertions)
    .option('--assert-established <n>', 'fail (exit 5) unless N connections were established within --within and stayed open for --settle')
    .option('--within <dur>', 'the window for --assert-established')
    .option('--assert-held', 'fail (exit 6) if any connection was lost or never established during --duration');
  addOutputFlags(cmd)
    .option('--interval <dur>', `live stats every (default ${HOLD_DEFAULTS.intervalMs / 1000}s)`)
    .option('-v, --verbose', 'one line per connection event')
    .option('--no-chart', 'no chart in the summary')
    .action(async (flags: Record<string, unknown>) => {
      await run((stop) => holdMain(readHoldOptions(flags), stop));
    });
}

export async function holdMain(o: Readonly<HoldOptions>, stop: StopSignal): Promise<number> {
  const [{ runHold }, { summarizeLatency }, { formatHoldSummary }, { formatAssertion }, { formatConnEvent }, { createLiveView }, { loadChartLibrary }] =
    await Promise.all([
      import('../run/hold.js'),
      import('../metrics/histogram.js'),
      import('../reporters/hold-summary.js'),
      import('../reporters/result-sections.js'),
      import('../reporters/live-status.js'),
      import('./live-view.js'),
      import('../reporters/chart.js'),
    ]);
  // Everything the summary needs is loaded before the first connect: at the open-files limit nothing loads.
  if (o.chart) loadChartLibrary();
  // A redrawn block on a terminal, plain lines when piped, TERM=dumb, NO_COLOR or a terminal without a size.
  const view = await createLiveView(o.quiet);
  const snapshot = (p: Progress, driver: ProbeDriver): LiveSnapshot => {
    const lat = summarizeLatency(driver.connectLatency());
    return { elapsedMs: p.elapsedMs, counters: p.counters, target: o.connections, connectP50Ms: lat.p50, connectP99Ms: lat.p99, phase: p.phase };
  };
  const show = throttle(o.intervalMs, (p: Progress, driver: ProbeDriver) => view.show(snapshot(p, driver)));
  const result = await runHold(o, stop.controller.signal, {
    onPreflight: (text) => info(o, text),
    onProgress: o.quiet ? undefined : show,
    // Said even with --quiet, as ramp does.
    onEngineFallback: (line) => process.stderr.write(`${line}\n`),
    // The signal that stopped the run (SIGTERM: 143) is in the result's exit code.
    stopSignal: () => stop.received,
    // Per-connection events exist only in-process: --verbose keeps one process unless --workers says otherwise.
    ...(o.verbose ? { onEvent: (e) => process.stderr.write(`${formatConnEvent(e)}\n`) } : {}),
  });
  view.done();
  let written = emitResult(result, (paint) => formatHoldSummary(result, { chart: o.chart, paint }), o);
  if (!(await runReportFiles(result, result.exitCode, o.reports, o))) written = false;
  const failed = result.verdict.kind === 'interrupted' ? undefined : result.assertions.find((a) => !a.passed);
  // Always printed, even with --quiet: it is why the exit code is not 0.
  if (failed !== undefined) process.stderr.write(`tcpprobe: assertion failed: ${formatAssertion(failed).replace(/^FAIL /, '')}\n`);
  else explainExit(o, result.verdict.summary, result.exitCode);
  return finalExitCode(result.exitCode, written);
}
