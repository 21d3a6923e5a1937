/**
 * What every probing command does before connecting: resolve the target once, choose source addresses, run the
 * client-limits preflight and print it, and assemble the engine configuration.
 */
import type { EngineConfig } from '../engine/connection-pool.js';
import { resolveTarget, type ResolvedTarget } from '../engine/resolve.js';
import type { EngineOptions, TargetOptions } from '../config/probe-options.js';
import type { RunTarget } from '../controller/run-context.js';
import { readSystemLimits } from '../preflight/system-limits.js';
import { assessCapacity, type CapacityAssessment } from '../preflight/capacity.js';
import { planSourceAddresses } from '../preflight/source-plan.js';
import { formatPreflight } from '../preflight/format.js';

export interface PreparedProbe {
  resolved: ResolvedTarget;
  runTarget: RunTarget;
  engine: EngineConfig;
  assessment: CapacityAssessment;
  preflightText: string;
}

export async function prepareProbe(
  target: TargetOptions,
  engine: EngineOptions,
  plannedConnections: number,
  reconnect: { enabled: boolean; delayMs: number },
): Promise<PreparedProbe> {
  const resolved = await resolveTarget(target.host, target.port, {
    spread: target.spreadAddresses,
    tls: engine.tls !== null,
  });
  const first = resolved.addresses[0];
  if (first === undefined) throw new Error('resolveTarget returned no address');
  const sources = planSourceAddresses(first, plannedConnections, target.sources);
  const limits = await readSystemLimits();
  const assessment = assessCapacity(limits, {
    requestedConnections: plannedConnections,
    plannedUpperBound: plannedConnections,
    targets: resolved.addresses.map((a) => ({ address: a.address, port: a.port })),
    sourceAddresses: sources.addresses,
    processes: 1,
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
    preflightText,
  };
}
