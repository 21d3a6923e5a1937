/**
 * Which local addresses the client connects from. Pure.
 *
 * One source address has one ephemeral port range (28,232 ports on these machines), and connect() gets slow well
 * before the range runs out: past about 14,000 unbound connections from one address to one destination, and past
 * about 7,000 sockets bound to one address with `localAddress`. On IPv4 loopback every 127.x address is local, so
 * a large plan is spread over enough of them to stay out of that slow zone; elsewhere only the user knows which
 * addresses this machine owns.
 */
import { intToIpv4, ipv4ToInt, isIpv4Loopback, isLoopback } from './address.js';
import { formatCountEnUs as n } from '../config/units.js';

/** Up to this many connections, unbound connects from the kernel's choice (127.0.0.1) are the fastest. */
export const UNBOUND_LOOPBACK_MAX_CONNECTIONS = 12_000;

/** Connections per bound 127.x source address: below the ~7,000 where bound sockets slow when bind() picks the port. */
export const CONNECTIONS_PER_LOOPBACK_SOURCE = 6_000;

/** Most 127.x source addresses planned automatically (127.0.0.2 .. 127.0.0.251). */
export const MAX_AUTO_LOOPBACK_SOURCES = 250;

const FIRST_AUTO_LOOPBACK_SOURCE = '127.0.0.2';

/** The addresses to bind each connection to (round-robin), and why; empty means the kernel chooses. */
export interface SourcePlan {
  addresses: string[];
  reason: string;
}

/**
 * Choose source addresses for connections to `target`.
 *
 * Automatic 127.x sources start at 127.0.0.2 and may include the target's own address (say 127.0.0.5): that is
 * harmless, because a bound client socket takes an ephemeral port that no listener holds, so the plan stays the
 * same whatever the target is.
 *
 * @param plannedConnections total connections across all worker processes (ports are machine-wide)
 * @param explicit addresses given with --source, or null when none were given
 */
export function planSourceAddresses(
  target: { address: string; family: 4 | 6 },
  plannedConnections: number,
  explicit: readonly string[] | null,
): SourcePlan {
  if (explicit !== null && explicit.length > 0) {
    return { addresses: [...explicit], reason: `${explicit.length} source address(es) given with --source` };
  }
  if (target.family === 4 && isIpv4Loopback(target.address)) {
    if (plannedConnections <= UNBOUND_LOOPBACK_MAX_CONNECTIONS) {
      return {
        addresses: [],
        reason:
          `${plannedConnections} connections fit one source address: the kernel picks 127.0.0.1, ` +
          'and unbound connects are the fastest',
      };
    }
    const wanted = Math.ceil(plannedConnections / CONNECTIONS_PER_LOOPBACK_SOURCE);
    const count = Math.min(MAX_AUTO_LOOPBACK_SOURCES, wanted);
    const first = ipv4ToInt(FIRST_AUTO_LOOPBACK_SOURCE);
    const addresses = Array.from({ length: count }, (_, i) => intToIpv4(first + i));
    const capped =
      wanted > count ? `; capped at ${count}, so about ${n(Math.ceil(plannedConnections / count))} per address` : '';
    const includesTarget = addresses.includes(target.address)
      ? `; includes the target's own ${target.address}, which is harmless (listeners do not take ephemeral ports)`
      : '';
    return {
      addresses,
      reason:
        `${n(plannedConnections)} connections spread over ${count} loopback source addresses ` +
        `(${n(CONNECTIONS_PER_LOOPBACK_SOURCE)} each keeps connect() out of its slow zone)${capped}${includesTarget}`,
    };
  }
  const where = isLoopback(target.address) ? 'this loopback target' : 'this target';
  return {
    addresses: [],
    reason:
      `the kernel chooses the source address for ${where}; one address holds one ephemeral port range per ` +
      'destination, so to go beyond it give more local addresses with --source',
  };
}
