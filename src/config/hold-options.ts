/**
 * `tcpprobe hold` flags -> one frozen, validated HoldOptions, or one UsageError naming every bad flag.
 */
import { parseCount, parseDurationMs } from './units.js';
import { optional, Validator } from './validator.js';
import { readOutFile, readReportFiles, reportFileClaims, STDOUT_PATH, stdoutProblem, type ReportFiles } from './output-path.js';
import {
  readConnectionOptions,
  readTargetOptions,
  type ConnectionOptions,
  type RawFlags,
  type TargetOptions,
} from './probe-options.js';

export const HOLD_DEFAULTS = {
  connections: 100,
  delayMs: 10,
  reconnectDelayMs: 100,
  maxDurationMs: 3_600_000,
  intervalMs: 1000,
} as const;

export interface HoldOptions {
  target: TargetOptions;
  connection: ConnectionOptions;
  connections: number;
  delayMs: number;
  durationMs: number | null;
  maxDurationMs: number;
  reconnect: boolean;
  reconnectDelayMs: number;
  intervalMs: number;
  assertEstablished: { count: number; withinMs: number } | null;
  assertHeld: boolean;
  verbose: boolean;
  json: boolean;
  outFile: string | null;
  /** --junit and --markdown. */
  reports: ReportFiles;
  quiet: boolean;
  /** Draw the chart of held connections in the summary (--no-chart: false). */
  chart: boolean;
}

export function readHoldOptions(raw: RawFlags): Readonly<HoldOptions> {
  const v = new Validator();
  const target = readTargetOptions(raw, v);
  const connection = readConnectionOptions(raw, v);
  const connections =
    v.field(() => optional(raw.connections, (s) => parseCount('--connections', s)), null) ?? HOLD_DEFAULTS.connections;
  if (connections < 1) v.problem('--connections: must be at least 1');
  const delayMs =
    v.field(() => optional(raw.delay, (s) => parseDurationMs('--delay', s)), null) ?? HOLD_DEFAULTS.delayMs;
  const durationMs = v.field(() => optional(raw.duration, (s) => parseDurationMs('--duration', s)), null);
  if (durationMs !== null && durationMs < 1) v.problem('--duration: must be above 0');
  const maxDurationMs =
    v.field(() => optional(raw.maxDuration, (s) => parseDurationMs('--max-duration', s)), null) ??
    HOLD_DEFAULTS.maxDurationMs;
  if (maxDurationMs < 1) v.problem('--max-duration: must be above 0');
  const reconnectDelayMs =
    v.field(() => optional(raw.reconnectDelay, (s) => parseDurationMs('--reconnect-delay', s)), null) ??
    HOLD_DEFAULTS.reconnectDelayMs;
  const intervalMs =
    v.field(() => optional(raw.interval, (s) => parseDurationMs('--interval', s)), null) ?? HOLD_DEFAULTS.intervalMs;
  if (intervalMs < 50) v.problem('--interval: must be at least 50ms');

  const assertCount = v.field(() => optional(raw.assertEstablished, (s) => parseCount('--assert-established', s)), null);
  const withinMs = v.field(() => optional(raw.within, (s) => parseDurationMs('--within', s)), null);
  let assertEstablished: HoldOptions['assertEstablished'] = null;
  if (assertCount !== null || withinMs !== null) {
    if (assertCount === null || withinMs === null) v.problem('--assert-established and --within go together');
    else if (assertCount > connections) v.problem(`--assert-established: ${assertCount.toLocaleString('en-US')} is more than --connections ${connections.toLocaleString('en-US')}`);
    else assertEstablished = { count: assertCount, withinMs };
  }
  const assertHeld = raw.assertHeld === true;
  if (assertHeld && durationMs === null) v.problem('--assert-held needs --duration (the time the connections must be held)');
  if (raw.quiet === true && raw.verbose === true) v.problem('--quiet and --verbose contradict each other');
  const outFile = readOutFile(raw.out, v);
  const reports = readReportFiles(raw, v);
  const document = raw.json === true ? '--json' : outFile === STDOUT_PATH ? '--out -' : null;
  const stdout = stdoutProblem([document, ...reportFileClaims(reports)]);
  if (stdout !== null) v.problem(stdout);
  v.done();
  return Object.freeze({
    target,
    connection,
    connections,
    delayMs,
    durationMs,
    maxDurationMs,
    reconnect: raw.reconnect === true,
    reconnectDelayMs,
    intervalMs,
    assertEstablished,
    assertHeld,
    verbose: raw.verbose === true,
    json: raw.json === true,
    outFile,
    reports,
    quiet: raw.quiet === true,
    chart: raw.chart !== false,
  });
}
