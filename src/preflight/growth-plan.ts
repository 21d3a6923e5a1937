/**
 * Resources that follow the held count. A ramp starts from what the server would see from any client: the
 * kernel's choice of source address and one process. Source addresses are added only when the connections come
 * near what one address takes before connect() slows (source-plan.ts), and processes only when one process's
 * open-files limit is near. Binding 127.0.0.2 changes who the server thinks the client is (redis protected mode,
 * pg_hba.conf, MySQL user@host, firewalls counting per address), so it is done only when the run needs it, and the
 * report says when and why. Pure: which process and which source the k-th connection gets.
 */
import type { SourceStep, TargetAddress } from '../types/pool-config.js';
import type { ClientFailureClass } from '../types/failure-class.js';
import { intToIpv4, ipv4ToInt } from './address.js';
import { assessCapacity, type CapacityAssessment, type FindingId } from './capacity.js';
import type { SystemLimits } from './system-limits.js';
import {
  CONNECTIONS_PER_LOOPBACK_SOURCE,
  MAX_AUTO_LOOPBACK_SOURCES,
  UNBOUND_LOOPBACK_MAX_CONNECTIONS,
} from './source-plan.js';

export interface GrowthPolicy {
  /** Connections one process may hold (its open-files limit less a reserve). */
  perProcess: number;
  /** Most processes (this one included). */
  maxProcesses: number;
  /** Add 127.x source addresses past the unbound zone: only for an IPv4 loopback target. */
  loopbackSources: boolean;
}


const FIRST_AUTO_SOURCE = ipv4ToInt('127.0.0.2');

/** How far a run whose resources follow the count can go on this machine, and what stops it. */
export interface GrowthReach {
  connections: number;
  limitedBy: FindingId;
}

/** The client-side failure class a run would meet at a preflight cap (the class of the verdict when it stops there). */
export function clientClassAt(cap: FindingId): ClientFailureClass {
  if (cap === 'ports' || cap === 'slow-zone' || cap === 'time-wait') return 'ports';
  if (cap === 'conntrack') return 'conntrack';
  return 'fd-limit';
}

/** Connections planned when asking how far growth reaches: above any figure a cap could have. */
const UNBOUNDED_PLAN = 100_000_000;

/**
 * The preflight's assessment once every process and source address the policy may add is there, and from it the
 * most connections this machine can hold to `targets` (open files, ports, conntrack, file-max); `reach` is null
 * when no cap could be read. Pure.
 */
export function assessGrowth(
  limits: SystemLimits,
  targets: readonly TargetAddress[],
  policy: GrowthPolicy,
): { assessment: CapacityAssessment; reach: GrowthReach | null } {
  const sources = policy.loopbackSources
    ? Array.from({ length: MAX_AUTO_LOOPBACK_SOURCES }, (_, i) => intToIpv4(FIRST_AUTO_SOURCE + i))
    : [];
  const assess = (planned: number): CapacityAssessment =>
    assessCapacity(limits, {
      requestedConnections: planned,
      plannedUpperBound: planned,
      targets: targets.map((t) => ({ address: t.address, port: t.port })),
      sourceAddresses: sources,
      processes: policy.maxProcesses,
    });
  const unbounded = assess(UNBOUNDED_PLAN);
  if (unbounded.limitedBy === null || !Number.isFinite(unbounded.maxConnections)) return { assessment: unbounded, reach: null };
  // Assessed again for the reach itself, so that each finding reads against what the run may really try.
  return {
    assessment: assess(unbounded.maxConnections),
    reach: { connections: unbounded.maxConnections, limitedBy: unbounded.limitedBy },
  };
}

/** The source of the run's `k`-th connection (0-based). */
export function sourceForConnection(k: number, policy: GrowthPolicy): string | null {
  if (!policy.loopbackSources || k < UNBOUND_LOOPBACK_MAX_CONNECTIONS) return null;
  const i = Math.min(MAX_AUTO_LOOPBACK_SOURCES - 1, Math.floor((k - UNBOUND_LOOPBACK_MAX_CONNECTIONS) / CONNECTIONS_PER_LOOPBACK_SOURCE));
  return intToIpv4(FIRST_AUTO_SOURCE + i);
}

/** Which process (0: this one) the run's `k`-th connection goes to. */
export function processForConnection(k: number, policy: GrowthPolicy): number {
  return Math.min(policy.maxProcesses - 1, Math.floor(k / Math.max(1, policy.perProcess)));
}

/**
 * The source schedule of process `p`, in that process's own connection numbers: it takes the run's connections
 * p*perProcess onwards, so its local connection j is the run's p*perProcess + j. The last process takes the rest.
 */
export function sourceScheduleFor(p: number, policy: GrowthPolicy): SourceStep[] {
  const first = p * policy.perProcess;
  const last = p === policy.maxProcesses - 1 ? Number.POSITIVE_INFINITY : first + policy.perProcess;
  const steps: SourceStep[] = [{ fromConnection: 0, address: sourceForConnection(first, policy) }];
  if (!policy.loopbackSources) return steps;
  for (let i = 0; i < MAX_AUTO_LOOPBACK_SOURCES; i++) {
    const k = UNBOUND_LOOPBACK_MAX_CONNECTIONS + i * CONNECTIONS_PER_LOOPBACK_SOURCE;
    if (k <= first) continue;
    if (k >= last) break;
    steps.push({ fromConnection: k - first, address: sourceForConnection(k, policy) });
  }
  return steps;
}

/** The address a schedule gives the `j`-th connection of its process. */
export function sourceAt(schedule: readonly SourceStep[], j: number): string | null {
  let address: string | null = null;
  for (const step of schedule) {
    if (step.fromConnection > j) break;
    address = step.address;
  }
  return address;
}
