/**
 * The `tcpprobe/audit` document: what `tcpprobe audit --json` prints, one for the whole audit. Versioned like the
 * result document; a new field is added, never renamed.
 */
import type { GateRecord, RampResult, RampVerdictKind } from './result.js';

export const AUDIT_SCHEMA = 'tcpprobe/audit' as const;
export const AUDIT_SCHEMA_VERSION = 1 as const;

/** One target of the audit, as it ended. */
export interface AuditTargetReport {
  /** The target's name in the audit file. */
  name: string;
  /** host:port as given. */
  address: string;
  labels: Record<string, string>;
  /**
   * The outcome of the exit-code table (src/cli/exit-codes.ts, README "Exit codes"): answered, unreachable,
   * client-limited, regression (a drop beyond maxRegression or a max under minConnections), timed-out,
   * interrupted, usage (its history record could not be written), internal.
   */
  outcome: string;
  /** The exit code `tcpprobe ramp` with the same flags and gate would have exited with. */
  exitCode: number;
  /** Null when the target could not be run at all (see error). */
  maxConcurrency: number | null;
  verdict: RampVerdictKind | null;
  /** The max of the baseline (the best recent passing run of this target), or null when there is none. */
  baselineMax: number | null;
  /** (baseline - max) / baseline: 0.2 is 20% fewer; null without a baseline. */
  dropShare: number | null;
  /** The gate's decision: pass, regression, not-compared, no-baseline (the first run of a target). */
  gate: GateRecord['outcome'] | null;
  allowedDropShare: number | null;
  minConnections: number | null;
  belowMinimum: boolean;
  /** Why the target could not be run, or its record not saved; null when all went well. */
  error: string | null;
  /** The full result document, as `ramp --json` prints it; null when the target could not be run. */
  result: RampResult | null;
}

export interface AuditDocument {
  schema: typeof AUDIT_SCHEMA;
  schemaVersion: typeof AUDIT_SCHEMA_VERSION;
  /** The audit file. */
  file: string;
  historyPath: string;
  startedAt: string;
  finishedAt: string;
  /** The worst outcome of the targets, and the audit's exit code. */
  outcome: string;
  exitCode: number;
  /** In the file's order. */
  targets: AuditTargetReport[];
}
