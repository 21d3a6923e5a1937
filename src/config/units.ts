/**
 * Parsers for the units users type: durations ("250ms", "10s", "2m", "1m30s"), counts ("5k", "1.5m"), ports, host:port,
 * and address ranges. Each returns a value or throws UsageError naming the flag, so one bad value is one line.
 */
import net from 'node:net';
import { UsageError } from '../errors.js';

const DURATION_UNITS_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
/** Largest unit first: the order the parts of a compound duration must come in. */
const DURATION_ORDER = ['h', 'm', 's', 'ms'];
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/giy;

/**
 * Parse a duration into milliseconds: "250ms", "1.5s", "2m", or compound, largest unit first, each unit once:
 * "1m30s", "1h5m", "2m0.5s" (the form formatDurationMs prints). A bare number other than 0 is refused with the
 * unit to add: flags, audit files and the library all read durations here, and "120" meant seconds in one and
 * milliseconds in another.
 * @example parseDurationMs('--hold', '1.5s') === 1500
 * @example parseDurationMs('--max-duration', '1m30s') === 90_000
 */
export function parseDurationMs(flag: string, text: string): number {
  const bad = (): UsageError => new UsageError(`${flag}: "${text}" is not a duration (examples: 500ms, 10s, 2m, 1m30s)`);
  const trimmed = text.trim();
  const bare = /^(\d+(?:\.\d+)?)$/.exec(trimmed);
  if (bare) {
    if (Number(bare[1]) === 0) return 0;
    throw new UsageError(`${flag}: ${trimmed} needs a unit: ${trimmed}s or ${trimmed}ms`);
  }
  if (trimmed === '') throw bad();
  let total = 0;
  let lastRank = -1;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < trimmed.length) {
    const m = DURATION_PART.exec(trimmed);
    if (!m || m[1] === undefined || m[2] === undefined) throw bad();
    const unit = m[2].toLowerCase();
    const rank = DURATION_ORDER.indexOf(unit);
    // "30s1m" or "1m1m" is more likely a typo than a sum.
    if (rank <= lastRank) throw new UsageError(`${flag}: "${text}": give each unit once, largest first (e.g. 1h5m, 1m30s)`);
    lastRank = rank;
    total += Number(m[1]) * (DURATION_UNITS_MS[unit] ?? 1);
  }
  return Math.round(total);
}

/** Parse a non-negative count: "1000", "5k", "1.5m" (k = 1,000, m = 1,000,000). */
export function parseCount(flag: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([km])?\s*$/i.exec(text);
  if (!m) throw new UsageError(`${flag}: "${text}" is not a count (examples: 100, 5k, 1.5m)`);
  const mult = m[2] === undefined ? 1 : m[2].toLowerCase() === 'k' ? 1000 : 1_000_000;
  const value = Number(m[1]) * mult;
  if (!Number.isInteger(value)) throw new UsageError(`${flag}: "${text}" is not a whole number`);
  return value;
}

/** Parse a positive rate per second; accepts "500", "2k", "500/s". */
export function parseRate(flag: string, text: string): number {
  const value = parseCount(flag, text.replace(/\/s$/i, ''));
  if (value <= 0) throw new UsageError(`${flag}: must be above 0`);
  return value;
}

/** Parse a TCP port: 1..65535 (0 only where `allowZero`, meaning "any free port"). */
export function parsePort(flag: string, text: string, allowZero = false): number {
  if (!/^\s*\d+\s*$/.test(text)) throw new UsageError(`${flag}: "${text}" is not a port number (1-65535)`);
  const port = Number(text);
  const min = allowZero ? 0 : 1;
  if (port < min || port > 65535) throw new UsageError(`${flag}: ${port} is out of range (${min}-65535)`);
  return port;
}

/**
 * Check a host name or address for shape only (resolution happens once, later). Accepts IPv4, IPv6 (with or
 * without brackets) and RFC 1123 names.
 */
export function parseHost(flag: string, text: string): string {
  const host = text.trim().replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new UsageError(`${flag}: empty host`);
  if (net.isIP(host) !== 0) return host;
  const label = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
  if (host.length > 253 || !host.replace(/\.$/, '').split('.').every((l) => label.test(l))) {
    throw new UsageError(`${flag}: "${text}" is not a valid host name or address`);
  }
  return host;
}

/** Parse "host:port" (IPv6 as "[::1]:8080"). */
export function parseHostPort(flag: string, text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (!m || m[1] === undefined || m[2] === undefined) {
    throw new UsageError(`${flag}: "${text}" is not host:port (IPv6 as [::1]:8080)`);
  }
  return { host: parseHost(flag, m[1]), port: parsePort(flag, m[2]) };
}

/**
 * A target's name (`ramp --name`, `hold --name`, an audit target's `name`): letters, digits, ".", "_", "-", at most
 * 64, starting with a letter or digit. No ":", so a name never reads as host:port (the series of an unnamed run).
 */
export const TARGET_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Parse a target name, or throw a UsageError naming `flag`. */
export function parseTargetName(flag: string, text: string): string {
  if (!TARGET_NAME_PATTERN.test(text)) {
    throw new UsageError(`${flag}: ${JSON.stringify(text)} is not a name (letters, digits, ".", "_", "-"; at most 64)`);
  }
  return text;
}

/** An IPv4 address as a 32-bit unsigned number, for ranges and runs. */
export function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

export function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * Parse a list of local source addresses: "ADDR,ADDR" and IPv4 ranges "127.0.0.2-127.0.0.40", mixed.
 * At most `limit` addresses (a typo like 127.0.0.1-127.9.0.1 should not allocate millions).
 */
export function parseSourceAddresses(flag: string, text: string, limit = 4096): string[] {
  const out: string[] = [];
  for (const raw of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const dash = raw.indexOf('-');
    if (dash > 0 && net.isIPv4(raw.slice(0, dash)) && net.isIPv4(raw.slice(dash + 1))) {
      const from = ipv4ToInt(raw.slice(0, dash));
      const to = ipv4ToInt(raw.slice(dash + 1));
      if (to < from) throw new UsageError(`${flag}: range "${raw}" ends before it starts`);
      if (to - from + 1 + out.length > limit) throw new UsageError(`${flag}: more than ${limit} addresses`);
      for (let n = from; n <= to; n++) out.push(intToIpv4(n));
    } else if (net.isIP(raw) !== 0) {
      out.push(raw);
    } else {
      throw new UsageError(`${flag}: "${raw}" is not an IP address or an IPv4 range A-B`);
    }
  }
  if (out.length === 0) throw new UsageError(`${flag}: no addresses given`);
  if (out.length > limit) throw new UsageError(`${flag}: more than ${limit} addresses`);
  return out;
}

/** Format milliseconds for people: 850ms, 2.5s, 3m10s. */
export function formatDurationMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(ms < 10_000 ? 2 : 1))}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s === 0 ? `${m}m` : `${m}m${s}s`;
}

/**
 * A whole number with thousands separators: 14082 -> "14,082". Rounds fractions; non-finite values print as "-" (reporters' MISSING).
 * Written by hand rather than with `toLocaleString` so output never depends on the machine's locale or ICU data.
 */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const rounded = Math.round(n);
  const digits = String(Math.abs(rounded)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return rounded < 0 ? `-${digits}` : digits;
}

/**
 * What `count.toLocaleString('en-US')` writes, by formatCount for a whole number: a process's first Intl call costs
 * about 12 ms, which the preflight paid on the way to a run's first connect. Anything else (Infinity, a fraction)
 * still goes to Intl.
 */
export function formatCountEnUs(count: number): string {
  return Number.isSafeInteger(count) ? formatCount(count) : count.toLocaleString('en-US');
}
