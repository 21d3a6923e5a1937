/**
 * Resolve the target once, before a run: every connection then goes to a known address, and the result says
 * which. A name that does not resolve is a clear error, not a run full of "dns" failures.
 */
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { ProbeError } from '../errors.js';
import type { TargetInfo } from '../metrics/result.js';
import type { TargetAddress } from '../types/pool-config.js';

export interface ResolvedTarget {
  info: TargetInfo;
  addresses: TargetAddress[];
}

export async function resolveTarget(
  host: string,
  port: number,
  opts: { spread: boolean; tls: boolean },
): Promise<ResolvedTarget> {
  let resolved: { address: string; family: number }[];
  const literal = net.isIP(host);
  if (literal !== 0) {
    resolved = [{ address: host, family: literal }];
  } else {
    try {
      resolved = await lookup(host, { all: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      throw new ProbeError('unresolvable', `cannot resolve host "${host}": ${code}`);
    }
    if (resolved.length === 0) throw new ProbeError('unresolvable', `host "${host}" has no addresses`);
  }
  // Keep each address once: some resolvers list an address for several socket types.
  const unique = [...new Map(resolved.map((r) => [r.address, r])).values()];
  const used = opts.spread ? unique : unique.slice(0, 1);
  return {
    info: {
      host,
      port,
      resolved: unique.map((r) => r.address),
      used: used.map((r) => r.address),
      addressMode: opts.spread ? 'spread' : 'pinned',
      tls: opts.tls,
    },
    addresses: used.map((r) => ({ address: r.address, family: r.family === 6 ? 6 : 4, port })),
  };
}
