/**
 * The `tcpprobe/audit` document as a JSON Schema (TypeBox): audit-document.ts derives its types from it and
 * `npm run build` publishes it as schema/audit.schema.json. Loaded only by the schema build and tests.
 */
import { Type } from 'typebox';
import { GateOutcomeSchema } from './gate-schema.js';
import { RampResultSchema } from './result-schema.js';
import { RampVerdictKindSchema } from './verdict-schema.js';
import { closed, count, described, figure, flag, nullable, text, timestamp } from './schema-kit.js';

/** The outcome of the exit-code table (src/metrics/exit-codes.ts). */
const OutcomeText = text(
  'the outcome of the exit-code table (src/metrics/exit-codes.ts, README "Exit codes"): answered, unreachable, client-limited, ' +
    'regression (a drop beyond maxRegression or a max under minConnections), timed-out, interrupted (also a target not run ' +
    'because the audit was stopped first), usage (its history record could not be written), internal',
);

/** One target of the audit, as it ended. */
export const AuditTargetReportSchema = closed(
  {
    name: text("the target's name in the audit file"),
    address: text('host:port as given'),
    labels: Type.Record(Type.String(), Type.String(), { description: 'its labels (defaults merged with its own)' }),
    outcome: OutcomeText,
    exitCode: Type.Integer({ minimum: 0, description: 'the exit code `tcpprobe ramp` with the same flags and gate would have exited with' }),
    maxConcurrency: nullable(count('connections'), 'its max concurrency, in connections; null when the target could not be run at all (see error)'),
    verdict: nullable(RampVerdictKindSchema, 'its verdict; null when the target could not be run'),
    baselineMax: nullable(count('connections'), 'the max of the baseline (the best recent passing run of this target), in connections; null when there is none'),
    dropShare: nullable(figure('a share'), '(baseline - max) / baseline: 0.2 is 20% fewer; null without a baseline'),
    gate: nullable(GateOutcomeSchema, "the gate's decision: pass, regression, not-compared, no-baseline (the first run of a target); null when not run"),
    allowedDropShare: nullable(figure('a share'), 'maxRegression as a share (0.1 = 10%); null: not gated'),
    minConnections: nullable(count('connections'), 'minConnections, in connections; null: none'),
    belowMinimum: flag('true when the max was below minConnections'),
    error: nullable(text('why'), 'why the target could not be run, or its record not saved; null when all went well'),
    result: nullable(
      described(RampResultSchema, 'the full result document'),
      'the full result document, as `ramp --json` prints it; null when the target could not be run',
    ),
  },
  'one target of the audit, as it ended',
);

export const AuditDocumentSchema = closed(
  {
    schema: Type.Literal('tcpprobe/audit', { description: 'names this document and its schema file (schema/audit.schema.json)' }),
    schemaVersion: Type.Literal(1, { description: 'the version of the document\'s shape (docs/schema.md, "Closed objects, and versions")' }),
    file: text('the audit file'),
    historyPath: text('the history file the runs were saved to'),
    startedAt: timestamp('when the audit started'),
    finishedAt: timestamp('when the audit finished'),
    outcome: described(OutcomeText, 'the worst outcome of the targets, which sets the exit code'),
    exitCode: Type.Integer({ minimum: 0, description: "the audit's exit code" }),
    targets: Type.Array(AuditTargetReportSchema, { description: 'every target, in the file\'s order' }),
  },
  'the document of tcpprobe audit --json: every target of the audit file, one after another',
);
