/**
 * The preflight's plans, shared by every run and by `tcpprobe doctor`: the source addresses and the worker
 * processes for a fixed count, and how far this machine reaches toward the target. Pure.
 */
import type { TargetAddress } from '../types/pool-config.js';
import { MAX_WORKERS } from '../config/probe-options.js';
import { assessCapacity, DEFAULT_FD_RESERVE_PER_PROCESS, type CapacityAssessment } from './capacity.js';
import { planSourceAddresses, type SourcePlan } from './source-plan.js';
import type { SystemLimits } from './system-limits.js';
import type { GrowthPolicy, GrowthReach } from './growth-plan.js';
import type { EngineRecord } from '../metrics/result.js';

export interface MachineCheck {
  limits: SystemLimits;
  sources: SourcePlan;
  /** Processes that will hold connections (1: the probe itself). */
  workers: number;
  assessment: CapacityAssessment;
}

/** What a run's preflight says, as data; src/reporters/preflight.ts words it. */
export interface RunPreflight {
  assessment: CapacityAssessment;
  limits: SystemLimits;
  /** Addresses connections will be bound to (empty: the kernel picks). */
  sources: readonly string[];
  /** Processes that will hold connections. */
  workers: number;
  /** Resources follow the held count (see growth-plan.ts), and how far they reach; null: fixed resources. */
  growth: GrowthPolicy | null;
  reach: GrowthReach | null;
  /** The socket layer the run uses, and why js when it is not native. */
  engine: EngineRecord;
}

/** Connections one process holds under its open-files limit (null: unknown, taken as 1024), the fd reserve kept. */
export function processCapacity(openFilesSoft: number | null): number {
  return Math.max(1, (openFilesSoft ?? 1024) - DEFAULT_FD_RESERVE_PER_PROCESS);
}

/** Enough processes for the planned connections under each process's open-files limit (at most MAX_WORKERS). */
export function defaultWorkers(plannedConnections: number, openFilesSoft: number | null): number {
  return Math.max(1, Math.min(MAX_WORKERS, Math.ceil(plannedConnections / processCapacity(openFilesSoft))));
}

/**
 * The fixed resources for a planned count (--source, --workers, or a count to hold): the source addresses, the
 * processes, and how far they reach. Pure: the limits are read by the caller.
 * @param targets resolved target addresses; empty to assess this machine alone
 * @param explicitSources --source addresses, or null to let the plan choose
 * @param workersFlag --workers, or null for defaultWorkers()
 * @param requested connections the user asked for (null: none, the plan is only an upper bound, as for an agent)
 * @param portAtConnect bound sockets get their port at connect() (the native core; capacity.ts, CapacityPlan)
 */
export function planFixed(
  limits: SystemLimits,
  targets: readonly TargetAddress[],
  plannedConnections: number,
  explicitSources: readonly string[] | null,
  workersFlag: number | null,
  requested: number | null = plannedConnections,
  portAtConnect = false,
): MachineCheck {
  const first = targets[0];
  const sources: SourcePlan =
    first !== undefined
      ? planSourceAddresses(first, plannedConnections, explicitSources)
      : explicitSources !== null
        ? { addresses: [...explicitSources], reason: `${explicitSources.length} source address(es) given with --source` }
        : { addresses: [], reason: 'no target given: the kernel chooses the source address' };
  const workers = workersFlag ?? defaultWorkers(plannedConnections, limits.openFilesSoft);
  const assessment = assessPlan(limits, targets, sources.addresses, workers, requested, plannedConnections, portAtConnect);
  return { limits, sources, workers, assessment };
}

/**
 * How far this machine reaches toward `targets` with these sources and processes.
 * @param requested connections the user asked for (null: none, `planned` is only an upper bound, as for an agent)
 */
export function assessPlan(
  limits: SystemLimits,
  targets: readonly TargetAddress[],
  sourceAddresses: readonly string[],
  processes: number,
  requested: number | null,
  planned: number,
  portAtConnect = false,
): CapacityAssessment {
  return assessCapacity(limits, {
    requestedConnections: requested,
    plannedUpperBound: planned,
    targets: targets.map((a) => ({ address: a.address, port: a.port })),
    sourceAddresses,
    processes,
    portAtConnect,
  });
}
