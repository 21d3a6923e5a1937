/**
 * Resources that follow the held count. A ramp starts from what the server would see from any client: the
 * kernel's choice of source address and one process. Source addresses are added only when the connections come
 * near what one address takes before connect() slows (source-plan.ts), and processes only when one process's
 * open-files limit is near. Binding 127.0.0.2 changes who the server thinks the client is (redis protected mode,
 * pg_hba.conf, MySQL user@host, firewalls counting per address), so it is done only when the run needs it, and the
 * report says when and why. Pure: which process and which source the k-th connection gets.
 */
import type { SourceStep } from '../engine/connection-pool.js';
import { intToIpv4, ipv4ToInt } from './address.js';
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
