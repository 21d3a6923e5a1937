/**
 * `tcpprobe doctor`'s flags -> one validated DoctorOptions: the target (optional), the connections planned and
 * the worker processes.
 */
import { readTargetOptions, readWorkers, type TargetOptions } from './probe-options.js';
import { parseCount } from './units.js';
import { optional, Validator } from './validator.js';


export interface DoctorOptions {
  /** The target to assess; null: this machine's limits only. */
  target: TargetOptions | null;
  /** Connections the user plans (--connections); null: assess what a default ramp may reach. */
  connections: number | null;
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
    connections,
    workers,
    json: raw.json === true,
  };
}
