/**
 * The ramp's run core: set up (this machine, or a fleet with --redis), run the executor, write the result. The
 * CLI, the library and the audit call runRamp; it prints nothing and knows nothing about terminals.
 */
import { ADAPTIVE_FIXED_RESOURCES_PLAN, type RampOptions } from '../config/ramp-options.js';
import type { FleetOptions } from '../config/fleet-options.js';
import type { Progress } from '../controller/run-context.js';
import type { ProbeDriver } from '../controller/driver.js';
import type { RampResult } from '../metrics/result.js';
import type { ResourcePlan } from '../setup/run-setup.js';
import { namedTarget } from '../metrics/series.js';
import type { JudgedResult, RampJudging } from './result.js';

/** What a ramp tells its caller while it runs. */
export interface RampRunHooks {
  /** The preflight as data's words (this machine's limits, or the fleet's lines), before the first connect. */
  onPreflight?: (text: string) => void;
  /** Progress samples; `driver` gives the connect latency when the caller wants it (reading it costs). */
  onProgress?: (p: Progress, driver: ProbeDriver) => void;
  /** The one line saying why the run falls back to the JS engine (the result records it either way). */
  onEngineFallback?: (line: string) => void;
  /** The signal that stopped the run, if one did: the result's exit code says so (SIGTERM: 143). */
  stopSignal?: () => string | null;
  /** The audit's and the regression gate's judgements, made on the result before it is returned. */
  judging?: RampJudging;
}

/** A finished ramp: its result, and what its caller does once the verdict is out. */
export interface RampRun {
  result: JudgedResult<RampResult>;
  /** Reset every connection (after the verdict is out: it takes some 300 ms for 10,000). */
  close: () => Promise<void>;
  /** Release a fleet, which may turn `code` into a fleet error; locally, `code` itself. */
  finish: (code: number) => Promise<number>;
}

/**
 * How a ramp's resources are planned: following the held count unless --source or --workers fixes them; then for
 * --max, or what the fixed schedule can ask for in --max-duration, or (adaptive) ADAPTIVE_FIXED_RESOURCES_PLAN.
 */
export function rampResourcePlan(o: Readonly<RampOptions>): ResourcePlan {
  const fixed = o.target.sources !== null || o.connection.workers !== null;
  if (!fixed) return { kind: 'grow' };
  return { kind: 'fixed', connections: plannedRampConnections(o), sources: o.target.sources, workers: o.connection.workers };
}

/** Upper bound of connections a ramp with fixed resources, or a fleet agent's share, plans for. */
export function plannedRampConnections(o: Readonly<RampOptions>): number {
  if (o.max !== null) return o.max;
  if (o.adaptive !== null) return ADAPTIVE_FIXED_RESOURCES_PLAN;
  const perSec = o.stage.kind === 'rate' ? o.stage.ratePerSec : (o.stage.size * 1000) / o.stage.intervalMs;
  return Math.min(10_000_000, Math.ceil((perSec * o.maxDurationMs) / 1000));
}

/** This machine holds the connections: one process, a worker group, or resources that follow the count. */
async function localSetup(o: Readonly<RampOptions>, signal: AbortSignal, hooks: RampRunHooks) {
  const [{ createDriver, engineFallbackLine, prepareRun }, { formatRunPreflight }] = await Promise.all([
    import('../setup/run-setup.js'),
    import('../reporters/preflight.js'),
  ]);
  const prepared = await prepareRun(o.target, o.connection, o.reconnect, rampResourcePlan(o));
  const fallback = engineFallbackLine(prepared);
  if (fallback !== null) hooks.onEngineFallback?.(fallback);
  const driver = await createDriver(prepared, null);
  return {
    driver,
    target: namedTarget(prepared.resolved.info, o.target.name),
    engine: prepared.preflight.engine,
    reach: prepared.preflight.reach,
    preflightText: formatRunPreflight(prepared.preflight),
    signal,
    finish: async (code: number) => code,
  };
}

/** Agents on other machines hold the connections: the fleet code and the Redis client (~70 ms to load) only then. */
async function fleetSetup(fleet: FleetOptions, o: Readonly<RampOptions>, signal: AbortSignal, log: (line: string) => void) {
  const { startFleet } = await import('../fleet/fleet-run.js');
  const setup = await startFleet(fleet, o, plannedRampConnections(o), signal, log, o.reconnect);
  return { ...setup, engine: undefined, reach: null };
}

/**
 * Run a ramp, on this machine or on a fleet, to its result. The driver stays open until the caller's `close`.
 */
export async function runRamp(
  o: Readonly<RampOptions>,
  signal: AbortSignal,
  hooks: RampRunHooks = {},
  fleet: FleetOptions | null = null,
  log: (line: string) => void = () => undefined,
): Promise<RampRun> {
  // The executor and the engine load when a ramp runs, not with the CLI: --help, --version and the other commands
  // start without them (docs/performance.md, "Start-up").
  const [{ executeRamp }, { rampResult }, { defaultDurationMs }, { clientClassAt }, { rampRunSettings }] = await Promise.all([
    import('../controller/ramp.js'),
    import('./result.js'),
    import('../controller/adaptive-plan.js'),
    import('../preflight/growth-plan.js'),
    import('../config/run-settings.js'),
  ]);
  const setup = fleet === null ? await localSetup(o, signal, hooks) : await fleetSetup(fleet, o, signal, log);
  hooks.onPreflight?.(setup.preflightText);
  const { driver } = setup;
  const onProgress = hooks.onProgress;
  // Without --max, this machine's own figure bounds the ramp (and, adaptive without --max-duration, its duration).
  const reach = o.max === null ? setup.reach : null;
  const maxDurationMs =
    o.adaptive !== null && !o.maxDurationGiven ? Math.max(o.maxDurationMs, defaultDurationMs(reach?.connections ?? null)) : o.maxDurationMs;
  const findings = await executeRamp(
    {
      // The schedule and stop settings as the options hold them (RampSettings picks them from RampOptions).
      ...o,
      clientReach: reach === null ? null : { connections: reach.connections, limitedBy: clientClassAt(reach.limitedBy) },
      maxDurationMs,
      reconnect: o.reconnect.enabled,
      connectTimeoutMs: o.connection.connectTimeoutMs,
      settleMs: o.connection.settleMs,
      expectTimeoutMs: o.connection.service?.expect ? o.connection.service.expectTimeoutMs : null,
    },
    driver,
    { signal: setup.signal, onProgress: onProgress === undefined ? undefined : (p) => onProgress(p, driver) },
  );
  const result = rampResult(
    findings,
    {
      target: setup.target,
      ...(setup.engine === undefined ? {} : { engine: setup.engine }),
      driver,
      settings: rampRunSettings(o),
      ...(hooks.stopSignal === undefined ? {} : { stopSignal: hooks.stopSignal }),
    },
    hooks.judging,
  );
  return { result, close: () => driver.close(), finish: setup.finish };
}
