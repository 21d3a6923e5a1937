/**
 * Options in camelCase (the library's input, an audit file's targets) as the CLI's raw flags, so the CLI's own
 * validation reads them: one meaning for `--max-duration 10s`, `{ maxDuration: '10s' }` and `maxDuration: 10s`.
 */
import { UsageError } from '../errors.js';
import type { RawFlags } from './probe-options.js';

export const PROBE_KEYS = ['host', 'port', 'connectTimeout', 'keepalive', 'maxInflight', 'settle', 'source', 'spreadAddresses', 'send', 'expect', 'reject', 'expectTimeout', 'tls', 'servername', 'insecure', 'ca', 'workers', 'engine'];
export const RAMP_KEYS = new Set([...PROBE_KEYS, 'rate', 'step', 'stepInterval', 'max', 'maxDuration', 'plateau', 'hold', 'until', 'reconnect', 'reconnectDelay']);
export const HOLD_KEYS = new Set([...PROBE_KEYS, 'connections', 'delay', 'duration', 'maxDuration', 'reconnect', 'reconnectDelay', 'assertEstablished', 'assertHeld']);
export const DURATION_KEYS = new Set(['connectTimeout', 'keepalive', 'settle', 'expectTimeout', 'stepInterval', 'maxDuration', 'plateau', 'hold', 'delay', 'duration', 'reconnectDelay']);

/** A duration as the library and audit files take it: milliseconds as a number, or text ("10s"). */
type Duration = number | string;

const durationText = (d: Duration): string => (typeof d === 'number' ? `${d}ms` : d);

/**
 * The input as the CLI's raw flags: numbers become text (durations in ms), so the CLI's validation applies as is.
 * An unknown option (a typo) is a UsageError rather than silently ignored.
 */
export function toFlags(input: object, known: ReadonlySet<string>): RawFlags {
  const unknown = Object.keys(input).filter((k) => !known.has(k));
  if (unknown.length > 0) throw new UsageError(unknown.map((k) => `${k}: not an option`));
  const raw: RawFlags = {};
  for (const [key, value] of Object.entries(input) as [string, unknown][]) {
    if (value === undefined || value === false) continue;
    if (key === 'assertEstablished') {
      const a = value as { count: number | string; within: Duration };
      raw.assertEstablished = String(a.count);
      raw.within = durationText(a.within);
    } else if (typeof value === 'number') {
      raw[key] = DURATION_KEYS.has(key) ? durationText(value) : String(value);
    } else {
      raw[key] = value;
    }
  }
  raw.quiet = true;
  return raw;
}

