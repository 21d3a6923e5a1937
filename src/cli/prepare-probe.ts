/**
 * What every probing command does before connecting: resolve the target once, choose source addresses, run the
 * client-limits preflight and print it, and assemble the engine configuration.
 */
import type { EngineConfig } from '../engine/connection-pool.js';
import type { EngineRecord } from '../metrics/result.js';
import { fallbackLine } from '../config/engine-choice.js';
import { resolveTarget, type ResolvedTarget } from '../engine/resolve.js';
import type { EngineOptions, Reconnect, TargetOptions } from '../config/probe-options.js';
import type { RunTarget } from '../controller/run-context.js';
import type { CapacityAssessment } from '../preflight/capacity.js';
import { checkMachine } from '../preflight/machine-check.js';
import type { ProbeDriver, PoolEventListener } from '../controller/driver.js';
import { LocalDriver } from '../controller/local-driver.js';
import { startWorkerGroup } from '../workers/worker-group.js';
import { formatPreflight } from '../preflight/format.js';
import { DEFAULT_FD_RESERVE_PER_PROCESS, MAX_WORKERS } from '../preflight/capacity.js';
import { assessGrowth, type GrowthPolicy, type GrowthReach } from '../preflight/growth-plan.js';
import { isIpv4Loopback } from '../preflight/address.js';
import { UNBOUND_LOOPBACK_MAX_CONNECTIONS } from '../preflight/source-plan.js';
import { ElasticDriver } from '../workers/elastic-driver.js';
import { startSettleTimer, tuneHoldingProcess } from '../workers/settle-gc.js';

export interface PreparedProbe {
  resolved: ResolvedTarget;
  runTarget: RunTarget;
  engine: EngineConfig;
  assessment: CapacityAssessment;
  preflightText: string;
  /** Processes that will hold connections (1: this one). */
  workers: number;
  /** Resources follow the held count (ramp without --source and --workers): see src/preflight/growth-plan.ts. */
  growth: GrowthPolicy | null;
  /** With growth: the most this machine can hold with every process and address added (null: no cap known). */
  reach: GrowthReach | null;
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

export async function prepareProbe(
  target: TargetOptions,
  engine: EngineOptions,
  plannedConnections: number,
  reconnect: Reconnect,
  workersFlag: number | null,
  growWithCount = false,
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
  const first = resolved.addresses[0];
  const growth: GrowthPolicy | null =
    growWithCount && target.sources === null && workersFlag === null
      ? {
          perProcess: Math.max(1, (limits.openFilesSoft ?? 1024) - DEFAULT_FD_RESERVE_PER_PROCESS),
          maxProcesses: MAX_WORKERS,
          loopbackSources: first !== undefined && first.family === 4 && isIpv4Loopback(first.address),
        }
      : null;
  if (growth !== null) {
    // What the run may grow to: every process and address it may add, each only when the count needs it.
    const grown = assessGrowth(limits, resolved.addresses, growth);
    const reach = grown.reach;
    const stops = reach === null ? '' : `; a ramp without --max stops at ${reach.connections.toLocaleString('en-US')} (client-limited)`;
    const text = `${formatPreflight(grown.assessment, limits, [])}\n  ${'grows'.padEnd(16)} ${describeGrowth(growth)}${stops}${engineText(engine.engine)}`;
    return {
      resolved,
      runTarget: { info: resolved.info, sourceAddresses: [], engine: engine.engine },
      engine: engineConfig(resolved, [], engine, reconnect),
      assessment: grown.assessment,
      preflightText: text,
      workers: 1,
      growth,
      reach,
    };
  }
  const preflightText = formatPreflight(assessment, limits, sources.addresses) + engineText(engine.engine);
  return {
    resolved,
    runTarget: { info: resolved.info, sourceAddresses: sources.addresses, engine: engine.engine },
    engine: engineConfig(resolved, sources.addresses, engine, reconnect),
    assessment,
    preflightText: workers > 1 ? `${preflightText}\n  workers          ${workers} processes` : preflightText,
    workers,
    growth: null,
    reach: null,
  };
}

function engineConfig(
  resolved: ResolvedTarget,
  sourceAddresses: string[],
  engine: EngineOptions,
  reconnect: Reconnect,
): EngineConfig {
  return {
    targets: resolved.addresses,
    sourceAddresses,
    maxInflight: engine.maxInflight,
    connectTimeoutMs: engine.connectTimeoutMs,
    keepAliveMs: engine.keepAliveMs,
    settleMs: engine.settleMs,
    reconnect: reconnect.enabled,
    reconnectDelayMs: reconnect.delayMs,
    reconnectHeldOnly: reconnect.heldOnly,
    service: engine.service,
    tls: engine.tls,
    engine: engine.engine.name,
  };
}

/** The preflight's engine line; a fallback for a reason other than TLS is also said on stderr, once. */
function engineText(e: EngineRecord): string {
  const fallback = fallbackLine(e);
  if (fallback !== null) process.stderr.write(`${fallback}\n`);
  return `\n  ${'engine'.padEnd(16)} ${e.name}${e.why === null ? '' : ` (${e.why})`}`;
}

/** One line for the preflight: what the run starts with and when it adds more. */
function describeGrowth(g: GrowthPolicy): string {
  const sources = g.loopbackSources
    ? `, 127.0.0.2 and up past ${UNBOUND_LOOPBACK_MAX_CONNECTIONS.toLocaleString('en-US')} connections`
    : '';
  return `from the kernel's source address and one process${sources}, a worker process per ${g.perProcess.toLocaleString('en-US')}`;
}
