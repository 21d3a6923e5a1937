/**
 * What every probing command does before connecting: resolve the target once, choose source addresses, run the
 * client-limits preflight and print it, and assemble the engine configuration.
 */
import type { EngineConfig } from '../engine/connection-pool.js';
import { resolveTarget, type ResolvedTarget } from '../engine/resolve.js';
import type { EngineOptions, TargetOptions } from '../config/probe-options.js';
import type { RunTarget } from '../controller/run-context.js';
import { readSystemLimits } from '../preflight/system-limits.js';
import { assessCapacity, DEFAULT_FD_RESERVE_PER_PROCESS, type CapacityAssessment } from '../preflight/capacity.js';
import type { ProbeDriver, PoolEventListener } from '../controller/driver.js';
import { LocalDriver } from '../controller/local-driver.js';
import { startWorkerGroup } from '../workers/worker-group.js';
import { planSourceAddresses } from '../preflight/source-plan.js';
import { formatPreflight } from '../preflight/format.js';

export interface PreparedProbe {
  resolved: ResolvedTarget;
  runTarget: RunTarget;
  engine: EngineConfig;
  assessment: CapacityAssessment;
  preflightText: string;
  /** Processes that will hold connections (1: this one). */
  workers: number;
}

/** Enough processes for the planned connections under each process's open-files limit. */
export function defaultWorkers(plannedConnections: number, openFilesSoft: number | null): number {
  const perProcess = Math.max(1, (openFilesSoft ?? 1024) - DEFAULT_FD_RESERVE_PER_PROCESS);
  return Math.max(1, Math.min(64, Math.ceil(plannedConnections / perProcess)));
}

/** One process: a local pool (with per-connection events if asked); more: worker processes. */
export async function createDriver(prepared: PreparedProbe, onEvent: PoolEventListener | null): Promise<ProbeDriver> {
  if (prepared.workers <= 1) return new LocalDriver(prepared.engine, onEvent);
  return startWorkerGroup(prepared.engine, prepared.workers);
}

export async function prepareProbe(
  target: TargetOptions,
  engine: EngineOptions,
  plannedConnections: number,
  reconnect: { enabled: boolean; delayMs: number },
  workersFlag: number | null,
): Promise<PreparedProbe> {
  const resolved = await resolveTarget(target.host, target.port, {
    spread: target.spreadAddresses,
    tls: engine.tls !== null,
  });
  const first = resolved.addresses[0];
  if (first === undefined) throw new Error('resolveTarget returned no address');
  const sources = planSourceAddresses(first, plannedConnections, target.sources);
  const limits = await readSystemLimits();
  const workers = workersFlag ?? defaultWorkers(plannedConnections, limits.openFilesSoft);
  const assessment = assessCapacity(limits, {
    requestedConnections: plannedConnections,
    plannedUpperBound: plannedConnections,
    targets: resolved.addresses.map((a) => ({ address: a.address, port: a.port })),
    sourceAddresses: sources.addresses,
    processes: workers,
  });
  const preflightText = formatPreflight(assessment, limits, sources.addresses);
  return {
    resolved,
    runTarget: { info: resolved.info, sourceAddresses: sources.addresses },
    engine: {
      targets: resolved.addresses,
      sourceAddresses: sources.addresses,
      maxInflight: engine.maxInflight,
      connectTimeoutMs: engine.connectTimeoutMs,
      keepAliveMs: engine.keepAliveMs,
      settleMs: engine.settleMs,
      reconnect: reconnect.enabled,
      reconnectDelayMs: reconnect.delayMs,
      service: engine.service,
      tls: engine.tls,
    },
    assessment,
    preflightText: workers > 1 ? `${preflightText}\n  workers          ${workers} processes` : preflightText,
    workers,
  };
}
