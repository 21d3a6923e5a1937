/**
 * `tcpprobe ramp`, the command: flags -> options -> the run core (src/run/ramp.ts) -> summary, chart, JSON, exit code.
 */
import type { Command } from 'commander';
import { readRampOptions, RAMP_DEFAULTS, type RampOptions } from '../config/ramp-options.js';
import { STDOUT_PATH } from '../config/output-path.js';
import { HELP_GROUPS } from '../config/help-groups.js';
import type { Progress } from '../controller/run-context.js';
import type { ProbeDriver } from '../controller/driver.js';
import { documentOnStdout, emitResult, explainExit, finalExitCode, info, keepDocument, resultDocument, runReportFiles, throttle } from './output.js';
import { EXIT } from '../metrics/exit-codes.js';
import type { StopSignal } from './signals.js';
import { readWithFleetOptions, type FleetOptions } from '../config/fleet-options.js';
import { applyAudit, judgeGate, readAuditOptions, type AuditOptions } from './post-run-audit.js';
import { addOutputFlags, addProbeFlags } from './probe-flags.js';
import { addAuditFlags, addFleetFlags } from './ramp-flags.js';

export function registerRampCommand(program: Command, run: (fn: (stop: StopSignal) => Promise<number>) => Promise<void>): void {
  const cmd = addProbeFlags(
    program.command('ramp').description('add connections at a rate until the server stops taking them; print the maximum it held'),
  )
    .optionsGroup(HELP_GROUPS.schedule)
    .option('--rate <n>', 'connections added per second, a fixed schedule (default: adaptive, slow start from 2,000/s then care near the edge)')
    .option('--step <n>', 'add N connections every --step-interval instead of a rate')
    .option('--step-interval <dur>', 'time between steps')
    .option('--until <mode>', 'confirm (back off, tell rate from concurrency limits) | first-failure (default confirm)')
    .optionsGroup(HELP_GROUPS.stop)
    .option('--max <n>', 'stop adding at N connections (verdict: holds at least N)')
    .option('--max-duration <dur>', `hard bound on the whole run, hold included (default ${RAMP_DEFAULTS.maxDurationMs / 1000}s; adaptive: long enough for this machine's figure at 4,000/s, at most 3m)`)
    .option('--plateau <dur>', `stop when held has not grown for this long while attempts go on (default ${RAMP_DEFAULTS.plateauMs / 1000}s)`)
    .optionsGroup(HELP_GROUPS.hold)
    .option('--hold <dur>', `hold the population this long at the end, within --max-duration (default ${RAMP_DEFAULTS.holdMs / 1000}s, or a quarter of a --max-duration under ${(4 * RAMP_DEFAULTS.holdMs) / 1000}s)`)
    .option('--confirm', 'after a found limit, close everything, open the found count again slowly, hold it and check one more fails (default off; on in audit targets)')
    .option('--reconnect', 'reopen held connections the server closes, during the ramp and the hold (default off: a close is reported, not hidden)')
    .option('--reconnect-delay <dur>', `wait before reopening (default ${RAMP_DEFAULTS.reconnectDelayMs}ms)`)
    .optionsGroup(HELP_GROUPS.assertions)
    .option('--assert-capacity <n>', `fail (exit ${EXIT.assertCapacity}) unless at least N connections were held: "does it hold at least N?" in CI`);
  addOutputFlags(cmd).option('--no-chart', 'no chart in the summary');
  addFleetFlags(addAuditFlags(cmd)).action(async (flags: Record<string, unknown>) => {
    // Both are checked before connecting: a bad audit flag never wastes a run.
    const { base: options, fleet } = readWithFleetOptions(flags, readRampOptions);
    const audit = readAuditOptions(flags);
    await run((stop) => rampMain(options, stop, audit, fleet));
  });
}

export async function rampMain(
  o: Readonly<RampOptions>,
  stop: StopSignal,
  audit: Readonly<AuditOptions> | null = null,
  fleet: FleetOptions | null = null,
): Promise<number> {
  const [{ runRamp }, { formatRampSummary }, { summarizeLatency }, { createLiveView }, { loadChartLibrary }, { formatAssertion }] = await Promise.all([
    import('../run/ramp.js'),
    import('../reporters/ramp-summary.js'),
    import('../metrics/histogram.js'),
    import('./live-view.js'),
    import('../reporters/chart.js'),
    import('../reporters/result-sections.js'),
  ]);
  // Everything the summary needs is loaded before the first connect: at the open-files limit nothing loads.
  if (o.chart) loadChartLibrary();
  // A redrawn block on a terminal (a fleet run logs lines of its own, so it keeps plain lines), else plain lines.
  // Latency percentiles are read only when a status line is due, not on every sample.
  const view = await createLiveView(o.quiet, { allowBlock: fleet === null });
  const printStatus = throttle(1000, (p: Progress, driver: ProbeDriver) => {
    const lat = summarizeLatency(driver.connectLatency());
    view.show({
      elapsedMs: p.elapsedMs,
      counters: p.counters,
      ...(o.max === null ? {} : { target: o.max }),
      connectP50Ms: lat.p50,
      connectP99Ms: lat.p99,
      phase: p.phase,
    });
  });
  const { result, close, finish } = await runRamp(
    o,
    stop.controller.signal,
    {
      onPreflight: (text) => info(o, text),
      onProgress: o.quiet ? undefined : printStatus,
      // Said even with --quiet: the run measures with the slower engine, and a CI log should show why.
      onEngineFallback: (line) => process.stderr.write(`${line}\n`),
      // The signal that stopped the run (SIGTERM: 143) and the gate judge the result before anything is printed.
      stopSignal: () => stop.received,
      ...(audit === null ? {} : { judging: { gate: (r) => judgeGate(r, audit) } }),
    },
    fleet,
    (line) => info(o, line),
  );
  view.done();
  const outWritten = emitResult(result, (paint) => formatRampSummary(result, { chart: o.chart, paint }), o, audit?.openMetricsPath === STDOUT_PATH);
  await close();
  let written = outWritten;
  const onWriteFailure = (what: string, reason: string): void => {
    written = false;
    const keptAt = documentOnStdout(o) ? 'stdout' : o.outFile !== null && outWritten ? `"${o.outFile}"` : null;
    keepDocument(resultDocument(result), what, reason, keptAt);
  };
  const override = audit === null ? null : await applyAudit(result, audit, onWriteFailure);
  if (!(await runReportFiles(result, result.exitCode, o.reports, o))) written = false;
  const failed = result.verdict.kind === 'interrupted' ? undefined : result.assertions?.find((a) => !a.passed);
  if (failed !== undefined) {
    // Always printed, even with --quiet: it is why the exit code is not 0.
    process.stderr.write(`tcpprobe: assertion failed: ${formatAssertion(failed).replace(/^FAIL /, '')}\n`);
  } else if (override === null) {
    explainExit(o, result.verdict.summary, result.exitCode);
  }
  return finish(finalExitCode(result.exitCode, written));
}
