/**
 * `tcpprobe doctor`'s flags -> one validated DoctorOptions: the target (optional), the connections planned and
 * the worker processes.
 */
import { readTargetOptions, readWorkers, type TargetOptions } from './probe-options.js';
import { parseCount } from './units.js';
import { optional, Validator } from './validator.js';

/**
 * Connections planned when --connections is not given: what a default `tcpprobe ramp` may try
 * (its default rate for its default --max-duration), so doctor shows what such a run would meet.
 */
export const DOCTOR_DEFAULT_CONNECTIONS = 30_000;

export interface DoctorOptions {
  /** The target to assess; null: this machine's limits only. */
  target: TargetOptions | null;
  /** Connections the user plans (--connections), or DOCTOR_DEFAULT_CONNECTIONS. */
  connections: number;
  /** True when --connections was given (the report says which). */
  connectionsGiven: boolean;
  /** Worker processes (--workers); null: as many as a run would start for `connections`. */
  workers: number | null;
  json: boolean;
}

/** Flags -> one validated DoctorOptions, or one UsageError naming every bad flag. */
export function readDoctorOptions(raw: Record<string, unknown>): DoctorOptions {
  const v = new Validator();
  const hasTarget = raw.port !== undefined || raw.host !== undefined;
  const target = readTargetOptions(raw, v, hasTarget);
  if (!hasTarget && raw.spreadAddresses === true) v.problem('--spread-addresses: needs --port (and --host)');
  const connections = v.field(() => optional(raw.connections, (s) => parseCount('--connections', s)), null);
  if (connections !== null && connections < 1) v.problem('--connections: must be at least 1');
  const workers = readWorkers(raw, v);
  v.done();
  return {
    target: hasTarget ? target : null,
    connections: connections ?? DOCTOR_DEFAULT_CONNECTIONS,
    connectionsGiven: connections !== null,
    workers,
    json: raw.json === true,
  };
}
