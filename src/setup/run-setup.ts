/**
 * The run setup, once for every command that probes or assesses (ramp, hold, doctor, the fleet agent): resolve
 * the target, read this machine's limits, plan its resources once (fixed, or following the held count), choose
 * the socket layer's settings and start the driver. The preflight comes back as data; src/reporters/preflight.ts
 * words it.
 */
import type { PoolConfig, PoolSettings, TargetAddress } from '../types/pool-config.js';
import { resolveTarget, type ResolvedTarget } from '../engine/resolve.js';
import { readyForManySockets } from '../engine/process-readiness.js';
import { poolSettings, MAX_WORKERS, type ConnectionOptions, type Reconnect, type TargetOptions } from '../config/probe-options.js';
import { chooseEngine, fallbackLine, nativeBindNoPort, portAtConnect } from '../config/engine-choice.js';
import { nativeCoreProblem } from '../engine/native-addon.js';
import { planFixed, processCapacity, type RunPreflight } from '../preflight/machine-check.js';
import type { SourcePlan } from '../preflight/source-plan.js';
import { readSystemLimits, type SystemLimits } from '../preflight/system-limits.js';
import { assessGrowth, type GrowthPolicy } from '../preflight/growth-plan.js';
import { isIpv4Loopback } from '../preflight/address.js';
import type { EngineRecord } from '../metrics/result.js';
import type { ProbeDriver, PoolEventListener } from '../controller/driver.js';
import { LocalDriver } from '../drivers/local-driver.js';
import { startSettleTimer } from '../drivers/settle-gc.js';

/** A run ready to start: where it connects, the pool's settings, and this machine's preflight for it. */
export interface PreparedRun {
  resolved: ResolvedTarget;
  /** The settings of each process's pool, with the targets and the planned source addresses. */
  pool: PoolConfig;
  /** The plan (processes, growth and reach, the socket layer) and what the preflight says, as data. */
  preflight: RunPreflight;
}

/** How a run's resources are planned: following the held count (a ramp's default), or fixed for a count. */
export type ResourcePlan =
  | { kind: 'grow' }
  | { kind: 'fixed'; connections: number; sources: readonly string[] | null; workers: number | null };

/** What doctor and every run start with: the target resolved once (or none) and this machine's limits. */
export interface AssessedMachine {
  resolved: ResolvedTarget | null;
  limits: SystemLimits;
}

/** The preflight of a plan, and for a fixed one the source plan with its reason (doctor prints it). */
export interface PlannedResources {
  preflight: RunPreflight;
  sources: SourcePlan | null;
}

/**
 * The line to say on stderr, once, when the run falls back to js for a reason other than TLS (null: nothing to
 * say). The caller writes it: the setup writes nothing.
 */
export function engineFallbackLine(prepared: PreparedRun): string | null {
  return fallbackLine(prepared.preflight.engine);
}

/** The pool of one process from the run's settings and this machine's targets and sources. */
export function poolConfig(
  settings: PoolSettings,
  targets: readonly TargetAddress[],
  sourceAddresses: readonly string[],
): PoolConfig {
  return { ...settings, targets, sourceAddresses };
}

/**
 * Resolve the target (null: this machine alone) and read this machine's limits; never connects. Throws
 * ProbeError for a host that does not resolve.
 */
export async function assessMachine(target: TargetOptions | null, tls: boolean): Promise<AssessedMachine> {
  const [resolved, limits] = await Promise.all([
    target === null ? null : resolveTarget(target.host, target.port, { spread: target.spreadAddresses, tls }),
    readSystemLimits(),
  ]);
  return { resolved, limits };
}

/**
 * The preflight of a plan on the assessed machine, assessed once: growing, what the run may grow to (every process
 * and address it may add: the figure a ramp without --max stops at); fixed, the sources and processes for the
 * count. Doctor and every run read their figure here, so the two always agree.
 */
export function planResources(assessed: AssessedMachine, plan: ResourcePlan, engine: EngineRecord): PlannedResources {
  const { limits } = assessed;
  const targets = assessed.resolved?.addresses ?? [];
  if (plan.kind === 'grow') {
    const first = targets[0];
    const growth: GrowthPolicy = {
      perProcess: processCapacity(limits.openFilesSoft),
      maxProcesses: MAX_WORKERS,
      loopbackSources: first !== undefined && first.family === 4 && isIpv4Loopback(first.address),
    };
    const grown = assessGrowth(limits, targets, growth);
    return {
      preflight: { assessment: grown.assessment, limits, sources: [], workers: 1, growth, reach: grown.reach, engine },
      sources: null,
    };
  }
  const fixed = planFixed(limits, targets, plan.connections, plan.sources, plan.workers, plan.connections, portAtConnect(engine.name));
  return {
    preflight: { assessment: fixed.assessment, limits, sources: fixed.sources.addresses, workers: fixed.workers, growth: null, reach: null, engine },
    sources: fixed.sources,
  };
}

/** Resolve, assess and plan a run on this machine; the pool's settings from the options. */
export async function prepareRun(
  target: TargetOptions,
  connection: ConnectionOptions,
  reconnect: Reconnect,
  plan: ResourcePlan,
): Promise<PreparedRun> {
  const assessed = await assessMachine(target, connection.tls !== null);
  const resolved = assessed.resolved as ResolvedTarget;
  const { preflight } = planResources(assessed, plan, connection.engine);
  return {
    resolved,
    pool: {
      ...poolConfig(poolSettings(connection, reconnect), resolved.addresses, preflight.sources),
      engine: connection.engine.name,
      nativeBindNoPort: nativeBindNoPort(),
    },
    preflight,
  };
}

/**
 * Growing resources: an elastic driver; one process: a local pool (with per-connection events if asked); more:
 * worker processes. When this process holds connections itself it readies itself for them (the fd table, room for
 * the result's histogram encoding, the memory settings worker processes have: src/engine/process-readiness.ts) and
 * runs the settle collection (src/drivers/settle-gc.ts), for as long as it lives. The worker processes' and the
 * elastic driver's modules (with the telemetry merge) load here, for the runs that use them: still before the
 * first connect, where every module must be loaded (at the open-files limit none can be).
 */
export async function createDriver(prepared: PreparedRun, onEvent: PoolEventListener | null): Promise<ProbeDriver> {
  const { growth, workers } = prepared.preflight;
  if (growth === null && workers > 1) return (await import('../drivers/worker-group.js')).startWorkerGroup(prepared.pool, workers);
  const makeDriver: () => ProbeDriver =
    growth === null
      ? () => new LocalDriver(prepared.pool, onEvent)
      : await import('../drivers/elastic-driver.js').then(({ ElasticDriver }) => () => new ElasticDriver(prepared.pool, growth, onEvent));
  // This process holds connections itself: ready it for them (src/engine/process-readiness.ts).
  const gc = readyForManySockets('run');
  const driver = makeDriver();
  startSettleTimer(() => driver.counters(), gc);
  return driver;
}

/** One fleet agent's share of a run, planned on the agent's own machine, its driver started. */
export interface AgentShare {
  driver: ProbeDriver;
  sources: SourcePlan;
  limits: SystemLimits;
  /** The open-files limit when it is a number (null: unknown or unlimited). */
  fdLimit: number | null;
  workers: number;
  /** For the preflight: planned as an upper bound, with no count asked for. */
  preflight: RunPreflight;
  /** The line saying why this agent falls back to js (null: nothing to say). */
  fallback: string | null;
}

/**
 * Source addresses, limits and the socket layer are this machine's: plan them here, for the agent's share of
 * `planned` connections to the addresses it resolved, with its own --source, --workers and --engine, and start the
 * share's driver. Throws with one line when the engine asked for cannot run here.
 */
export async function prepareAgentShare(
  settings: PoolSettings,
  targets: readonly TargetAddress[],
  planned: number,
  flags: { sources: readonly string[] | null; workers: number | null; engine: Parameters<typeof chooseEngine>[0] },
): Promise<AgentShare> {
  const limits = await readSystemLimits();
  const choice = chooseEngine(flags.engine, settings.tls !== null, nativeCoreProblem);
  const fixed = planFixed(limits, targets, planned, flags.sources, flags.workers, null, portAtConnect(choice.name));
  const preflight: RunPreflight = {
    assessment: fixed.assessment,
    limits,
    sources: fixed.sources.addresses,
    workers: fixed.workers,
    growth: null,
    reach: null,
    engine: choice,
  };
  const pool: PoolConfig = { ...poolConfig(settings, targets, fixed.sources.addresses), engine: choice.name, nativeBindNoPort: nativeBindNoPort() };
  let driver: ProbeDriver;
  try {
    driver = fixed.workers > 1 ? await (await import('../drivers/worker-group.js')).startWorkerGroup(pool, fixed.workers) : new LocalDriver(pool);
  } catch (e) {
    throw new Error(`cannot start ${fixed.workers} worker processes: ${(e as Error).message}`, { cause: e });
  }
  const fdLimit = limits.openFilesSoft !== null && Number.isFinite(limits.openFilesSoft) ? limits.openFilesSoft : null;
  return { driver, sources: fixed.sources, limits, fdLimit, workers: fixed.workers, preflight, fallback: fallbackLine(choice) };
}
