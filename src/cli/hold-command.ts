/**
 * `tcpprobe hold`: open N connections with a delay between each, keep them, show live stats, judge CI assertions.
 */
import type { Command } from 'commander';
import { readHoldOptions, HOLD_DEFAULTS, type HoldOptions } from '../config/hold-options.js';
import type { Progress } from '../controller/run-context.js';
import type { LiveSnapshot } from '../reporters/live-status.js';
import type { HoldResult } from '../metrics/result.js';
import type { PoolEventListener, ProbeDriver } from '../controller/driver.js';
import { withExitCode } from '../metrics/exit-codes.js';
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

/** What a hold tells its caller while it runs. */
export interface HoldRunHooks {
  /** This machine's preflight, before the first connect. */
  onPreflight?: (text: string) => void;
  /** Progress samples; `driver` gives the connect latency when the caller wants it (reading it costs). */
  onProgress?: (p: Progress, driver: ProbeDriver) => void;
  /** One call per connection event (in-process only: it keeps one process unless --workers says otherwise). */
  onEvent?: PoolEventListener;
  /** The one line saying why the run falls back to the JS engine (the result records it either way). */
  onEngineFallback?: (line: string) => void;
}

/**
 * The core of a hold: set up, run the executor, resolve to the result (assertions judged, nothing printed). The
 * CLI (holdMain) and the library entry (src/index.ts) both call this.
 */
export async function executeHold(o: Readonly<HoldOptions>, signal: AbortSignal, hooks: HoldRunHooks = {}): Promise<HoldResult> {
  // Loaded when a hold runs, not with the CLI (as in ramp-command.ts).
  const [{ runHold }, { holdResultOf }, { createDriver, engineFallbackLine, prepareProbe }, { formatRunPreflight }, { holdRunSettings }] = await Promise.all([
    import('../controller/hold.js'),
    import('../reporters/verdict-text.js'),
    import('../setup/run-setup.js'),
    import('../reporters/preflight.js'),
    import('../config/run-settings.js'),
  ]);
  const prepared = await prepareProbe(
    o.target,
    o.engine,
    o.connections,
    { enabled: o.reconnect, delayMs: o.reconnectDelayMs, heldOnly: false },
    o.engine.workers ?? (hooks.onEvent !== undefined ? 1 : null),
  );
  const fallback = engineFallbackLine(prepared);
  if (fallback !== null) hooks.onEngineFallback?.(fallback);
  hooks.onPreflight?.(formatRunPreflight(prepared.preflight));
  const driver = await createDriver(prepared, hooks.onEvent ?? null);
  const onProgress = hooks.onProgress;
  const findings = await runHold(
    {
      connections: o.connections,
      delayMs: o.delayMs,
      durationMs: o.durationMs,
      maxDurationMs: o.maxDurationMs,
      assertEstablished: o.assertEstablished,
      settleMs: o.engine.settleMs,
      assertHeld: o.assertHeld,
      recordedSettings: holdRunSettings(o),
    },
    driver,
    prepared.runTarget,
    { signal, onProgress: onProgress === undefined ? undefined : (p) => onProgress(p, driver) },
  );
  // The controller returns the verdict and the assertions as data; the reporters word them for the document.
  return holdResultOf(findings);
}

export async function holdMain(o: Readonly<HoldOptions>, stop: StopSignal): Promise<number> {
  const [{ summarizeLatency }, { formatHoldSummary }, { formatAssertion }, { formatConnEvent }, { createLiveView }, { loadChartLibrary }] =
    await Promise.all([
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
  const view = createLiveView(o.quiet);
  const snapshot = (p: Progress, driver: ProbeDriver): LiveSnapshot => {
    const lat = summarizeLatency(driver.connectLatency());
    return { elapsedMs: p.elapsedMs, counters: p.counters, target: o.connections, connectP50Ms: lat.p50, connectP99Ms: lat.p99, phase: p.phase };
  };
  const show = throttle(o.intervalMs, (p: Progress, driver: ProbeDriver) => view.show(snapshot(p, driver)));
  const found = await executeHold(o, stop.controller.signal, {
    onPreflight: (text) => info(o, text),
    onProgress: o.quiet ? undefined : show,
    // Said even with --quiet, as ramp does.
    onEngineFallback: (line) => process.stderr.write(`${line}\n`),
    // Per-connection events exist only in-process: --verbose keeps one process unless --workers says otherwise.
    ...(o.verbose ? { onEvent: (e) => process.stderr.write(`${formatConnEvent(e)}\n`) } : {}),
  });
  view.done();
  // The signal that stopped the run (SIGTERM: 143) is known here: the exit code is judged again with it.
  const result = withExitCode(found, stop.received);
  let written = emitResult(result, (paint) => formatHoldSummary(result, { chart: o.chart, paint }), o);
  if (!(await runReportFiles(result, result.exitCode, o.reports, o))) written = false;
  const failed = result.verdict.kind === 'interrupted' ? undefined : result.assertions.find((a) => !a.passed);
  // Always printed, even with --quiet: it is why the exit code is not 0.
  if (failed !== undefined) process.stderr.write(`tcpprobe: assertion failed: ${formatAssertion(failed).replace(/^FAIL /, '')}\n`);
  else explainExit(o, result.verdict.summary, result.exitCode);
  return finalExitCode(result.exitCode, written);
}
