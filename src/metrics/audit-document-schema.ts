/**
 * The `tcpprobe/audit` document as a JSON Schema (TypeBox): audit-document.ts derives its types from it and
 * `npm run build` publishes it as schema/audit.schema.json. Loaded only by the schema build and tests.
 */
import { Type } from 'typebox';
import { closed, GateOutcomeSchema, nullable, RampResultSchema, RampVerdictKindSchema } from './result-schema.js';

/** One target of the audit, as it ended. */
export const AuditTargetReportSchema = closed({
  /** The target's name in the audit file. */
  name: Type.String(),
  /** host:port as given. */
  address: Type.String(),
  labels: Type.Record(Type.String(), Type.String()),
  /**
   * The outcome of the exit-code table (src/cli/exit-codes.ts, README "Exit codes"): answered, unreachable,
   * client-limited, regression (a drop beyond maxRegression or a max under minConnections), timed-out,
   * interrupted, usage (its history record could not be written), internal.
   */
  outcome: Type.String(),
  /** The exit code `tcpprobe ramp` with the same flags and gate would have exited with. */
  exitCode: Type.Integer({ minimum: 0 }),
  /** Null when the target could not be run at all (see error). */
  maxConcurrency: nullable(Type.Integer({ minimum: 0 })),
  verdict: nullable(RampVerdictKindSchema),
  /** The max of the baseline (the best recent passing run of this target), or null when there is none. */
  baselineMax: nullable(Type.Integer({ minimum: 0 })),
  /** (baseline - max) / baseline: 0.2 is 20% fewer; null without a baseline. */
  dropShare: nullable(Type.Number()),
  /** The gate's decision: pass, regression, not-compared, no-baseline (the first run of a target). */
  gate: nullable(GateOutcomeSchema),
  allowedDropShare: nullable(Type.Number()),
  minConnections: nullable(Type.Integer({ minimum: 0 })),
  belowMinimum: Type.Boolean(),
  /** Why the target could not be run, or its record not saved; null when all went well. */
  error: nullable(Type.String()),
  /** The full result document, as `ramp --json` prints it; null when the target could not be run. */
  result: nullable(RampResultSchema),
});

export const AuditDocumentSchema = closed(
  {
    /** "tcpprobe/audit": names this document and its schema file (schema/audit.schema.json). */
    schema: Type.Literal('tcpprobe/audit'),
    schemaVersion: Type.Literal(1),
    /** The audit file. */
    file: Type.String(),
    historyPath: Type.String(),
    startedAt: Type.String(),
    finishedAt: Type.String(),
    /** The worst outcome of the targets, and the audit's exit code. */
    outcome: Type.String(),
    exitCode: Type.Integer({ minimum: 0 }),
    /** In the file's order. */
    targets: Type.Array(AuditTargetReportSchema),
  },
  'the document of tcpprobe audit --json: every target of the audit file, one after another',
);
