/**
 * --allow-target rules as the agent reads them from its flags (src/fleet/allowlist.ts resolves and matches them).
 *
 * Rule forms:
 * - `HOST:PORT` (`[v6]:PORT`): that port on that host; a name is resolved on the agent, and every address it
 *   resolves to is allowed on that port.
 * - `CIDR` (`10.0.0.0/8`, `fd00::/8`) or a bare address (`10.1.2.3`, `::1`): any port on those addresses.
 * - `CIDR:PORT` (`[fd00::/8]:PORT` for IPv6): that port on those addresses.
 */
import net from 'node:net';
import { UsageError } from '../errors.js';
import { parseHost, parsePort } from './units.js';

/** One parsed --allow-target rule. `port` null allows every port. */
export type AllowRule =
  | { kind: 'net'; text: string; address: string; prefix: number; family: 4 | 6; port: number | null }
  | { kind: 'host'; text: string; host: string; port: number };

const FLAG = '--allow-target';

/** Split "A:PORT" / "[A]:PORT" into address part and port text; no port yields null. */
function splitPort(text: string): { head: string; port: string | null } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed !== null) return { head: bracketed[1] ?? '', port: bracketed[2] ?? null };
  // More than one colon and no brackets: a bare IPv6 address or CIDR, never with a port.
  if (text.split(':').length > 2) return { head: text, port: null };
  const colon = text.lastIndexOf(':');
  return colon < 0 ? { head: text, port: null } : { head: text.slice(0, colon), port: text.slice(colon + 1) };
}

/** Parse one --allow-target value; throws UsageError naming the flag. */
export function parseAllowRule(text: string): AllowRule {
  const raw = text.trim();
  if (raw === '') throw new UsageError(`${FLAG}: empty rule`);
  const { head, port: portText } = splitPort(raw);
  const port = portText === null ? null : parsePort(FLAG, portText);
  const slash = head.indexOf('/');
  const addressPart = slash < 0 ? head : head.slice(0, slash);
  const family = net.isIP(addressPart);
  if (family === 4 || family === 6) {
    const max = family === 4 ? 32 : 128;
    const prefixText = slash < 0 ? String(max) : head.slice(slash + 1);
    if (family === 6 && prefixText.includes(':')) {
      throw new UsageError(`${FLAG}: "${raw}": an IPv6 range with a port goes in brackets, like [fd00::/8]:443`);
    }
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) {
      throw new UsageError(`${FLAG}: "${raw}": prefix length must be 0-${max}`);
    }
    return { kind: 'net', text: raw, address: addressPart, prefix: Number(prefixText), family, port };
  }
  if (slash >= 0) throw new UsageError(`${FLAG}: "${raw}" is not a CIDR range (examples: 10.0.0.0/8, [fd00::/8]:443)`);
  if (port === null) {
    throw new UsageError(`${FLAG}: "${raw}": a host name needs a port (HOST:PORT); allow every port with a CIDR range`);
  }
  return { kind: 'host', text: raw, host: parseHost(FLAG, head), port };
}

/** Parse every rule, collecting all problems into one UsageError. */
export function parseAllowRules(texts: readonly string[]): AllowRule[] {
  const rules: AllowRule[] = [];
  const problems: string[] = [];
  for (const t of texts) {
    try {
      rules.push(parseAllowRule(t));
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      problems.push(...e.problems);
    }
  }
  if (problems.length > 0) throw new UsageError(problems);
  return rules;
}
