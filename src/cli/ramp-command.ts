/**
 * `tcpprobe ramp`: flags -> options -> preflight -> the ramp executor -> summary, chart, JSON, exit code.
 */
import type { Command } from 'commander';
import { ADAPTIVE_FIXED_RESOURCES_PLAN, readRampOptions, RAMP_DEFAULTS, type RampOptions } from '../config/ramp-options.js';
import { STDOUT_PATH } from '../config/output-path.js';
import { HELP_GROUPS } from '../config/help-groups.js';
import type { Progress } from '../controller/run-context.js';
import type { ProbeDriver } from '../controller/driver.js';
import type { RampResult } from '../metrics/result.js';
import { documentOnStdout, emitResult, explainExit, finalExitCode, info, keepDocument, resultDocument, runReportFiles, throttle } from './output.js';
import { EXIT, withExitCode } from '../metrics/exit-codes.js';
import type { StopSignal } from './signals.js';
import { readWithFleetOptions, type FleetOptions } from '../config/fleet-options.js';
import { applyAudit, judgeGate, readAuditOptions, type AuditOptions } from './post-run-audit.js';
import { addAuditFlags, addFleetFlags, addOutputFlags, addProbeFlags } from './probe-flags.js';

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

/** Upper bound of connections a ramp may ask for, for source planning and the preflight. */
export function plannedRampConnections(o: RampOptions): number {
  if (o.max !== null) return o.max;
  // Adaptive: resources follow the count (growth-plan.ts); this figure sizes only runs whose --source or --workers
  // fixes them, and fleet agents' shares.
  if (o.adaptive !== null) return ADAPTIVE_FIXED_RESOURCES_PLAN;
  const perSec = o.stage.kind === 'rate' ? o.stage.ratePerSec : (o.stage.size * 1000) / o.stage.intervalMs;
  return Math.min(10_000_000, Math.ceil((perSec * o.maxDurationMs) / 1000));
}

/** This machine holds the connections: one process or a worker group. */
async function localSetup(o: Readonly<RampOptions>, signal: AbortSignal, hooks: RampRunHooks) {
  const [{ createDriver, engineFallbackLine, prepareProbe }, { formatRunPreflight }] = await Promise.all([
    import('../setup/run-setup.js'),
    import('../reporters/preflight.js'),
  ]);
  // Resources follow the held count: the server sees an ordinary client until the run needs more.
  const prepared = await prepareProbe(o.target, o.engine, plannedRampConnections(o), o.reconnect, o.engine.workers, true);
  const fallback = engineFallbackLine(prepared);
  if (fallback !== null) hooks.onEngineFallback?.(fallback);
  const driver = await createDriver(prepared, null);
  return { ...prepared, preflightText: formatRunPreflight(prepared.preflight), driver, signal, finish: async (code: number) => code };
}

/** Agents on other machines hold the connections: the fleet code and the Redis client (~70 ms to load) only then. */
async function fleetSetup(fleet: FleetOptions, o: Readonly<RampOptions>, signal: AbortSignal, log: (line: string) => void) {
  const { startFleet } = await import('../fleet/fleet-run.js');
  return startFleet(fleet, o, plannedRampConnections(o), signal, log, o.reconnect);
}

/** What a ramp tells its caller while it runs. */
export interface RampRunHooks {
  /** The preflight (this machine's limits, or the fleet's lines), before the first connect. */
  onPreflight?: (text: string) => void;
  /** Progress samples; `driver` gives the connect latency when the caller wants it (reading it costs). */
  onProgress?: (p: Progress, driver: ProbeDriver) => void;
  /** The one line saying why the run falls back to the JS engine (the result records it either way). */
  onEngineFallback?: (line: string) => void;
}

/**
 * The core of a ramp, on this machine or on a fleet: set up, run the executor, resolve to the result. The CLI
 * (rampMain) and the library entry (src/index.ts) both call this; neither prints anything here.
 * @returns the result; `close`, which resets every connection (after the verdict is out: it takes some 300 ms for
 *   10,000); and the setup's finish, which releases a fleet and may turn `code` into a fleet error
 */
export async function executeRamp(
  o: Readonly<RampOptions>,
  signal: AbortSignal,
  hooks: RampRunHooks = {},
  fleet: FleetOptions | null = null,
  log: (line: string) => void = () => undefined,
): Promise<{ result: RampResult; close: () => Promise<void>; finish: (code: number) => Promise<number> }> {
  // The executor and the engine are loaded when a ramp runs, not with the CLI: --help, --version and the other
  // commands start without them (docs/performance.md, "Start-up").
  const [{ runRamp }, { rampResultOf }, { defaultDurationMs }, { clientClassAt }, { ElasticDriver }, { rampRunSettings }] = await Promise.all([
    import('../controller/ramp.js'),
    import('../reporters/verdict-text.js'),
    import('../controller/adaptive-plan.js'),
    import('../preflight/growth-plan.js'),
    import('../workers/elastic-driver.js'),
    import('../config/run-settings.js'),
  ]);
  // With --redis, agents on other machines hold the connections (src/fleet/); the executor is the same.
  const local = fleet === null ? await localSetup(o, signal, hooks) : null;
  const setup = local ?? (await fleetSetup(fleet as FleetOptions, o, signal, log));
  hooks.onPreflight?.(setup.preflightText);
  const driver = setup.driver;
  const onProgress = hooks.onProgress;
  // Without --max, the machine's own figure bounds the ramp (and, adaptive without --max-duration, its duration).
  const reach = o.max === null ? (local?.reach ?? null) : null;
  const maxDurationMs =
    o.adaptive !== null && !o.maxDurationGiven
      ? Math.max(o.maxDurationMs, defaultDurationMs(reach?.connections ?? null))
      : o.maxDurationMs;
  const findings = await runRamp(
    {
      // The schedule and stop settings as the options hold them (RampSettings picks them from RampOptions).
      ...o,
      clientReach: reach === null ? null : { connections: reach.connections, limitedBy: clientClassAt(reach.limitedBy) },
      maxDurationMs,
      reconnect: o.reconnect.enabled,
      connectTimeoutMs: o.engine.connectTimeoutMs,
      settleMs: o.engine.settleMs,
      expectTimeoutMs: o.engine.service?.expect ? o.engine.service.expectTimeoutMs : null,
      recordedSettings: rampRunSettings(o),
    },
    driver,
    setup.runTarget,
    {
      signal: setup.signal,
      onProgress: onProgress === undefined ? undefined : (p) => onProgress(p, driver),
    },
  );
  // The controller returns the verdict as data; the reporters word it for the document.
  const result: RampResult = rampResultOf(findings);
  if (driver instanceof ElasticDriver) {
    result.sourceAddresses = driver.sourceAddresses();
    const changes = driver.resourceChanges();
    if (changes.length > 0) result.resources = changes;
  }
  return { result, close: () => driver.close(), finish: setup.finish };
}

export async function rampMain(
  o: Readonly<RampOptions>,
  stop: StopSignal,
  audit: Readonly<AuditOptions> | null = null,
  fleet: FleetOptions | null = null,
): Promise<number> {
  const [{ formatRampSummary }, { summarizeLatency }, { createLiveView }, { loadChartLibrary }, { formatAssertion }] = await Promise.all([
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
  const view = createLiveView(o.quiet, { allowBlock: fleet === null });
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
  const { result: found, close, finish } = await executeRamp(
    o,
    stop.controller.signal,
    {
      onPreflight: (text) => info(o, text),
      onProgress: o.quiet ? undefined : printStatus,
      // Said even with --quiet: the run measures with the slower engine, and a CI log should show why.
      onEngineFallback: (line) => process.stderr.write(`${line}\n`),
    },
    fleet,
    (line) => info(o, line),
  );
  view.done();
  // The gate decides before anything is printed, so the document carries its inputs and outcome.
  const gate = audit === null ? null : judgeGate(found, audit);
  // The gate and the signal that stopped the run (SIGTERM: 143) are known here: the exit code is judged again with them.
  const result = withExitCode(gate === null ? found : { ...found, gate }, stop.received);
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
