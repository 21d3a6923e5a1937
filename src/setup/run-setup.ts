/**
 * The run setup, once for every command that probes or assesses (ramp, hold, doctor, the fleet agent): resolve
 * the target, run the machine check (limits, source addresses, worker processes), and assemble the engine
 * configuration and the driver. The preflight comes back as data; src/reporters/preflight.ts words it.
 *
 * A floor below cli/ and fleet/: neither builds an engine configuration or counts worker processes itself.
 */
import type { EngineConfig, EngineSettings, TargetAddress } from '../types/engine-config.js';
import { resolveTarget, type ResolvedTarget } from '../engine/resolve.js';
import { reserveFdTable } from '../engine/native-addon.js';
import {
  engineSettings,
  MAX_WORKERS,
  type EngineOptions,
  type Reconnect,
  type TargetOptions,
} from '../config/probe-options.js';
import type { RunTarget } from '../controller/run-context.js';
import { namedTarget } from '../metrics/series.js';
import { fallbackLine } from '../config/engine-choice.js';
import type { CapacityAssessment } from '../preflight/capacity.js';
import {
  assessPlan,
  checkMachine,
  defaultWorkers,
  processCapacity,
  type MachineCheck,
  type RunPreflight,
} from '../preflight/machine-check.js';
import type { ProbeDriver, PoolEventListener } from '../controller/driver.js';
import { LocalDriver } from '../controller/local-driver.js';
import { startWorkerGroup } from '../workers/worker-group.js';
import { assessGrowth, type GrowthPolicy, type GrowthReach } from '../preflight/growth-plan.js';
import { isIpv4Loopback } from '../preflight/address.js';
import { planSourceAddresses, type SourcePlan } from '../preflight/source-plan.js';
import { readSystemLimits, type SystemLimits } from '../preflight/system-limits.js';
import { ElasticDriver } from '../workers/elastic-driver.js';
import { startSettleTimer, tuneHoldingProcess } from '../workers/settle-gc.js';

export interface PreparedProbe {
  resolved: ResolvedTarget;
  runTarget: RunTarget;
  engine: EngineConfig;
  assessment: CapacityAssessment;
  /** What the preflight says, as data (src/reporters/preflight.ts words it). */
  preflight: RunPreflight;
  /** Processes that will hold connections (1: this one). */
  workers: number;
  /** Resources follow the held count (ramp without --source and --workers): see src/preflight/growth-plan.ts. */
  growth: GrowthPolicy | null;
  /** With growth: the most this machine can hold with every process and address added (null: no cap known). */
  reach: GrowthReach | null;
}

/**
 * The line to say on stderr, once, when the run falls back to js for a reason other than TLS (null: nothing to
 * say). The caller writes it: the setup writes nothing.
 */
export function engineFallbackLine(prepared: PreparedProbe): string | null {
  return fallbackLine(prepared.preflight.engine);
}

/** The pool of one process from the run's settings and this machine's targets and sources. */
export function engineConfig(
  settings: EngineSettings,
  targets: readonly TargetAddress[],
  sourceAddresses: readonly string[],
): EngineConfig {
  return { ...settings, targets, sourceAddresses };
}

/**
 * Growing resources: an elastic driver; one process: a local pool (with per-connection events if asked); more:
 * worker processes. When this process holds connections itself it gets the memory settings worker processes have
 * (src/workers/settle-gc.ts), for as long as it lives.
 */
export async function createDriver(prepared: PreparedProbe, onEvent: PoolEventListener | null): Promise<ProbeDriver> {
  if (prepared.growth === null && prepared.workers > 1) return startWorkerGroup(prepared.engine, prepared.workers);
  const gc = tuneHoldingProcess();
  const driver =
    prepared.growth !== null
      ? new ElasticDriver(prepared.engine, prepared.growth, onEvent)
      : new LocalDriver(prepared.engine, onEvent);
  startSettleTimer(() => driver.counters(), gc);
  return driver;
}

/** What doctor and every run start with: the target resolved once (or none) and this machine checked for it. */
export interface AssessedMachine {
  resolved: ResolvedTarget | null;
  machine: MachineCheck;
}

/**
 * Resolve the target (null: this machine alone) and run the machine check for `plannedConnections`; never
 * connects. Throws ProbeError for a host that does not resolve.
 */
export async function assessMachine(
  target: TargetOptions | null,
  tls: boolean,
  plannedConnections: number,
  workersFlag: number | null,
): Promise<AssessedMachine> {
  // The fd table grows on a thread of the native core while we resolve and check (an RCU wait, not work).
  if (target !== null) reserveFdTable();
  const resolved =
    target === null ? null : await resolveTarget(target.host, target.port, { spread: target.spreadAddresses, tls });
  const machine = await checkMachine(resolved?.addresses ?? [], plannedConnections, target?.sources ?? null, workersFlag);
  return { resolved, machine };
}

/** How a run's resources are planned: fixed for a count, or following the held count (a ramp's default). */
export interface PlannedResources {
  preflight: RunPreflight;
  workers: number;
  growth: GrowthPolicy | null;
  reach: GrowthReach | null;
}

/**
 * The preflight of a run on the assessed machine: with `growWithCount` and neither --source nor --workers, what the
 * run may grow to (every process and address it may add: the figure a ramp without --max stops at); else the
 * fixed plan for the planned count. Doctor and every run read their figure here, so the two always agree.
 */
export function planResources(
  assessed: AssessedMachine,
  sourcesGiven: boolean,
  workersFlag: number | null,
  growWithCount: boolean,
  engine: RunPreflight['engine'],
): PlannedResources {
  const { limits, sources, workers, assessment } = assessed.machine;
  const targets = assessed.resolved?.addresses ?? [];
  const first = targets[0];
  if (growWithCount && !sourcesGiven && workersFlag === null) {
    const growth: GrowthPolicy = {
      perProcess: processCapacity(limits.openFilesSoft),
      maxProcesses: MAX_WORKERS,
      loopbackSources: first !== undefined && first.family === 4 && isIpv4Loopback(first.address),
    };
    const grown = assessGrowth(limits, targets, growth);
    return {
      preflight: { assessment: grown.assessment, limits, sources: [], workers: 1, growth, reach: grown.reach, engine },
      workers: 1,
      growth,
      reach: grown.reach,
    };
  }
  return {
    preflight: { assessment, limits, sources: sources.addresses, workers, growth: null, reach: null, engine },
    workers,
    growth: null,
    reach: null,
  };
}

export async function prepareProbe(
  target: TargetOptions,
  engine: EngineOptions,
  plannedConnections: number,
  reconnect: Reconnect,
  workersFlag: number | null,
  growWithCount = false,
): Promise<PreparedProbe> {
  const assessed = await assessMachine(target, engine.tls !== null, plannedConnections, workersFlag);
  const resolved = assessed.resolved as ResolvedTarget;
  const planned = planResources(assessed, target.sources !== null, workersFlag, growWithCount, engine.engine);
  const sources = planned.preflight.sources;
  return {
    resolved,
    runTarget: { info: namedTarget(resolved.info, target.name), sourceAddresses: [...sources], engine: engine.engine },
    engine: { ...engineConfig(engineSettings(engine, reconnect), resolved.addresses, sources), engine: engine.engine.name },
    assessment: planned.preflight.assessment,
    preflight: planned.preflight,
    workers: planned.workers,
    growth: planned.growth,
    reach: planned.reach,
  };
}

/** One fleet agent's share of a run, planned on the agent's own machine. */
export interface AgentShare {
  engine: EngineConfig;
  sources: SourcePlan;
  limits: SystemLimits;
  /** The open-files limit when it is a number (null: unknown or unlimited). */
  fdLimit: number | null;
  workers: number;
  /** For the preflight: planned as an upper bound, with no count asked for. */
  assessment: CapacityAssessment;
}

/**
 * Source addresses and limits are this machine's: plan them here, for the agent's share of `planned` connections
 * to the addresses it resolved, with its own --source and --workers.
 */
export async function prepareAgentShare(
  settings: EngineSettings,
  targets: readonly TargetAddress[],
  planned: number,
  explicitSources: readonly string[] | null,
  workersFlag: number | null,
): Promise<AgentShare> {
  const first = targets[0] as TargetAddress;
  const sources = planSourceAddresses(first, planned, explicitSources);
  const limits = await readSystemLimits();
  const fdLimit = limits.openFilesSoft !== null && Number.isFinite(limits.openFilesSoft) ? limits.openFilesSoft : null;
  const workers = workersFlag ?? defaultWorkers(planned, fdLimit);
  const assessment = assessPlan(limits, targets, sources.addresses, workers, null, planned);
  return { engine: engineConfig(settings, targets, sources.addresses), sources, limits, fdLimit, workers, assessment };
}
