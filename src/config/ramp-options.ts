/**
 * `tcpprobe ramp` flags -> one frozen, validated RampOptions, or one UsageError naming every bad flag.
 */
import { ADAPTIVE_DEFAULTS, type AdaptiveSchedule, type Stage } from './schedule.js';
import { parseCount, parseDurationMs, parseRate } from './units.js';
import { optional, Validator } from './validator.js';
import { readOutFile, readReportFiles, type ReportFiles } from './output-path.js';
import {
  readConnectionOptions,
  readTargetOptions,
  type ConnectionOptions,
  type RawFlags,
  type Reconnect,
  type TargetOptions,
} from './probe-options.js';

/**
 * What an adaptive ramp plans for when --source or --workers fixes its resources (otherwise they follow the held
 * count and the machine's reach bounds the run); doctor plans the same without --connections.
 */
export const ADAPTIVE_FIXED_RESOURCES_PLAN = 30_000;

export const RAMP_DEFAULTS = {
  maxDurationMs: 60_000,
  plateauMs: 3000,
  holdMs: 2000,
  until: 'confirm',
  reconnectDelayMs: 100,
} as const;

/** The hold when --hold is not given: RAMP_DEFAULTS.holdMs, or a quarter of a --max-duration shorter than 4 times that. */
export function defaultHoldMs(maxDurationMs: number): number {
  return Math.min(RAMP_DEFAULTS.holdMs, Math.floor(maxDurationMs / 4));
}

export interface RampOptions {
  target: TargetOptions;
  connection: ConnectionOptions;
  /** The first stage; with `adaptive`, the adaptive schedule's first rate. */
  stage: Stage;
  /** The default: slow start, then care near the edge (controller/adaptive-plan.ts). Null with --rate or --step. */
  adaptive: AdaptiveSchedule | null;
  max: number | null;
  maxDurationMs: number;
  /** False when --max-duration was not given: an adaptive ramp then sizes it to the machine (defaultDurationMs). */
  maxDurationGiven: boolean;
  plateauMs: number;
  holdMs: number;
  until: 'confirm' | 'first-failure';
  /**
   * --confirm: after a found limit, re-run its edge (close everything, cool down, open the found count again at a
   * slow rate, hold it, one more must fail): controller/confirm-stage.ts. Off by default; on in `audit` targets.
   */
  confirm: boolean;
  /** --reconnect: reopen held connections the server closes (only those: a failed new connect is not retried). */
  reconnect: Reconnect;
  /** --assert-capacity N: the run fails (EXIT.assertCapacity) unless at least N connections were held; null: no assertion. */
  assertCapacity: number | null;
  json: boolean;
  outFile: string | null;
  /** --junit and --markdown. */
  reports: ReportFiles;
  quiet: boolean;
  chart: boolean;
}

export function readRampOptions(raw: RawFlags): Readonly<RampOptions> {
  const v = new Validator();
  const target = readTargetOptions(raw, v);
  const connection = readConnectionOptions(raw, v);
  const rate = v.field(() => optional(raw.rate, (s) => parseRate('--rate', s)), null);
  const stepSize = v.field(() => optional(raw.step, (s) => parseCount('--step', s)), null);
  const stepIntervalMs = v.field(() => optional(raw.stepInterval, (s) => parseDurationMs('--step-interval', s)), null);
  let stage: Stage = { kind: 'rate', ratePerSec: rate ?? ADAPTIVE_DEFAULTS.initialRatePerSec };
  if (stepSize !== null || stepIntervalMs !== null) {
    if (rate !== null) v.problem('--rate and --step are alternatives: give one');
    if (stepSize === null || stepIntervalMs === null) v.problem('--step and --step-interval go together');
    else if (stepSize < 1) v.problem('--step: must be at least 1');
    else if (stepIntervalMs < 1) v.problem('--step-interval: must be above 0');
    else stage = { kind: 'step', size: stepSize, intervalMs: stepIntervalMs };
  }
  const max = v.field(() => optional(raw.max, (s) => parseCount('--max', s)), null);
  if (max !== null && max < 1) v.problem('--max: must be at least 1');
  const maxDurationMs =
    v.field(() => optional(raw.maxDuration, (s) => parseDurationMs('--max-duration', s)), null) ??
    RAMP_DEFAULTS.maxDurationMs;
  const plateauMs =
    v.field(() => optional(raw.plateau, (s) => parseDurationMs('--plateau', s)), null) ?? RAMP_DEFAULTS.plateauMs;
  const holdGiven = v.field(() => optional(raw.hold, (s) => parseDurationMs('--hold', s)), null);
  // The default hold shrinks to fit a short --max-duration (so "--max-duration 2s" alone is valid); a given one must fit.
  const holdMs = holdGiven ?? defaultHoldMs(maxDurationMs);
  if (maxDurationMs < 100) v.problem('--max-duration: must be at least 100ms');
  if (holdMs >= maxDurationMs) v.problem('--hold: must be shorter than --max-duration (the hold is part of the run)');
  if (plateauMs < 100) v.problem('--plateau: must be at least 100ms');
  const reconnectDelayMs =
    v.field(() => optional(raw.reconnectDelay, (s) => parseDurationMs('--reconnect-delay', s)), null) ??
    RAMP_DEFAULTS.reconnectDelayMs;
  if (raw.reconnectDelay !== undefined && raw.reconnect !== true) v.problem('--reconnect-delay: only with --reconnect');
  const untilRaw = raw.until === undefined ? RAMP_DEFAULTS.until : String(raw.until);
  if (untilRaw !== 'confirm' && untilRaw !== 'first-failure') {
    v.problem(`--until: "${untilRaw}" is not one of confirm, first-failure`);
  }
  const assertCapacity = v.field(() => optional(raw.assertCapacity, (s) => parseCount('--assert-capacity', s)), null);
  if (assertCapacity !== null && assertCapacity < 1) v.problem('--assert-capacity: must be at least 1');
  if (assertCapacity !== null && max !== null && assertCapacity > max) {
    v.problem(`--assert-capacity: ${assertCapacity.toLocaleString('en-US')} is more than --max ${max.toLocaleString('en-US')} (the ramp never asks for more)`);
  }
  const outFile = readOutFile(raw.out, v);
  const reports = readReportFiles(raw, v);
  v.done();
  return Object.freeze({
    target,
    connection,
    stage,
    adaptive: rate === null && stepSize === null && stepIntervalMs === null ? ADAPTIVE_DEFAULTS : null,
    max,
    maxDurationMs,
    maxDurationGiven: raw.maxDuration !== undefined,
    plateauMs,
    holdMs,
    until: untilRaw === 'first-failure' ? 'first-failure' : 'confirm',
    confirm: raw.confirm === true,
    reconnect: { enabled: raw.reconnect === true, delayMs: reconnectDelayMs, heldOnly: true },
    assertCapacity,
    json: raw.json === true,
    outFile,
    reports,
    quiet: raw.quiet === true,
    chart: raw.chart !== false,
  });
}
