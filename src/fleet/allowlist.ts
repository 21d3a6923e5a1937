/**
 * What an agent may connect to (--allow-target). An agent holds thousands of connections for whoever can write to
 * its Redis, so it refuses every target that is not on its own list, checked against the addresses it would
 * actually connect to (after resolution), never against a name a controller sent. Pure: name resolution is passed
 * in, so the matching is tested without DNS.
 *
 * The rules are parsed from --allow-target in src/config/allow-rules.ts.
 *
 * IPv4-mapped IPv6 addresses (`::ffff:10.1.2.3`) match IPv4 rules and the other way round.
 */
import net from 'node:net';
import type { AllowRule } from '../config/allow-rules.js';

/** A rule whose host name has been resolved: only address ranges are left. */
export type ResolvedRule = Extract<AllowRule, { kind: 'net' }>;

/** Resolve a host name to its addresses (dns.lookup with all: true in the agent; a table in tests). */
export type HostLookup = (host: string) => Promise<{ address: string; family: number }[]>;

/**
 * Turn host rules into address rules. Resolved at the moment of a run (not at start-up), so a name that moves is
 * followed. A name that does not resolve allows nothing (and is named in the result, for the refusal message).
 */
export async function resolveAllowRules(
  rules: readonly AllowRule[],
  lookup: HostLookup,
): Promise<{ rules: ResolvedRule[]; unresolved: string[] }> {
  const out: ResolvedRule[] = [];
  const unresolved: string[] = [];
  for (const r of rules) {
    if (r.kind === 'net') {
      out.push(r);
      continue;
    }
    let addrs: { address: string; family: number }[];
    try {
      addrs = await lookup(r.host);
    } catch {
      addrs = [];
    }
    if (addrs.length === 0) unresolved.push(r.text);
    for (const a of addrs) {
      const family = a.family === 6 ? 6 : 4;
      out.push({ kind: 'net', text: r.text, address: a.address, prefix: family === 4 ? 32 : 128, family, port: r.port });
    }
  }
  return { rules: out, unresolved };
}

/**
 * The rule that allows `address:port`, or null. BlockList compares parsed addresses, so spellings of one address
 * ("0:0::1", "::1") match alike, and IPv4 and IPv4-mapped IPv6 ("::ffff:10.1.2.3") match each other's rules (so
 * `::/0` allows every IPv4 address too).
 */
export function findAllowingRule(rules: readonly ResolvedRule[], address: string, port: number): ResolvedRule | null {
  const family = net.isIP(address);
  if (family === 0) return null;
  for (const r of rules) {
    if (r.port !== null && r.port !== port) continue;
    const list = new net.BlockList();
    list.addSubnet(r.address, r.prefix, r.family === 4 ? 'ipv4' : 'ipv6');
    if (list.check(address, family === 4 ? 'ipv4' : 'ipv6')) return r;
  }
  return null;
}

/** Every address:port of a run that no rule allows (empty: the run is allowed). */
export function disallowedTargets(
  rules: readonly ResolvedRule[],
  targets: readonly { address: string; port: number }[],
): { address: string; port: number }[] {
  return targets.filter((t) => findAllowingRule(rules, t.address, t.port) === null);
}
