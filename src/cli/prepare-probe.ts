/**
 * What every probing command does before connecting: resolve the target once, choose source addresses, run the
 * client-limits preflight and print it, and assemble the engine configuration.
 */
import type { EngineConfig } from '../engine/connection-pool.js';
import { resolveTarget, type ResolvedTarget } from '../engine/resolve.js';
import type { EngineOptions, TargetOptions } from '../config/probe-options.js';
import type { RunTarget } from '../controller/run-context.js';
import type { CapacityAssessment } from '../preflight/capacity.js';
import { checkMachine } from '../preflight/machine-check.js';
import type { ProbeDriver, PoolEventListener } from '../controller/driver.js';
import { LocalDriver } from '../controller/local-driver.js';
import { startWorkerGroup } from '../workers/worker-group.js';
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
  const { limits, sources, workers, assessment } = await checkMachine(
    resolved.addresses,
    plannedConnections,
    target.sources,
    workersFlag,
  );
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
