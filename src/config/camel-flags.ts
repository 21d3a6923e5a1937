/**
 * Options in camelCase (the library's input, an audit file's targets) as the CLI's raw flags, so the CLI's own
 * validation reads them: one meaning for `--max-duration 10s`, `{ maxDuration: '10s' }` and `maxDuration: 10s`.
 */
import { UsageError } from '../errors.js';
import type { RawFlags } from './probe-options.js';

export const PROBE_KEYS = ['host', 'port', 'name', 'connectTimeout', 'keepalive', 'maxInflight', 'settle', 'source', 'spreadAddresses', 'send', 'expect', 'reject', 'expectTimeout', 'tls', 'servername', 'insecure', 'ca', 'workers', 'engine'];
export const RAMP_KEYS = new Set([...PROBE_KEYS, 'rate', 'step', 'stepInterval', 'max', 'maxDuration', 'plateau', 'hold', 'until', 'confirm', 'reconnect', 'reconnectDelay']);
/** The library's ramp takes the assertion too; an audit file says minConnections for it (docs/audits.md). */
export const LIBRARY_RAMP_KEYS = new Set([...RAMP_KEYS, 'assertCapacity']);
export const HOLD_KEYS = new Set([...PROBE_KEYS, 'connections', 'delay', 'duration', 'maxDuration', 'reconnect', 'reconnectDelay', 'assertEstablished', 'assertHeld']);

/**
 * The input as the CLI's raw flags: every value becomes the text a flag would carry, so the CLI's validation applies
 * as is (a duration needs its unit there too: `{ maxDuration: 120 }` is refused like `--max-duration 120`).
 * An unknown option (a typo) is a UsageError rather than silently ignored.
 */
export function toFlags(input: object, known: ReadonlySet<string>): RawFlags {
  const unknown = Object.keys(input).filter((k) => !known.has(k));
  if (unknown.length > 0) throw new UsageError(unknown.map((k) => `${k}: not an option`));
  const raw: RawFlags = {};
  for (const [key, value] of Object.entries(input) as [string, unknown][]) {
    if (value === undefined || value === false) continue;
    if (key === 'assertEstablished') {
      const a = value as { count: number | string; within: number | string };
      raw.assertEstablished = String(a.count);
      raw.within = String(a.within);
    } else if (typeof value === 'number') {
      raw[key] = String(value);
    } else {
      raw[key] = value;
    }
  }
  raw.quiet = true;
  return raw;
}


/** A flag's option name: "--max-duration" -> "maxDuration". */
export function flagToKey(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Read options given in camelCase with a reader of flags: its UsageError names the options as they were given
 * ("maxDuration: 120 needs a unit"), not as flags.
 */
export function readCamel<T>(input: object, known: ReadonlySet<string>, reader: (raw: RawFlags) => T): T {
  const raw = toFlags(input, known);
  try {
    return reader(raw);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    throw new UsageError(e.problems.map((p) => p.replace(/--[a-z][a-z-]*/g, flagToKey)));
  }
}
