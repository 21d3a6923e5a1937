/**
 * The `tcpprobe/history` document (`tcpprobe history --json`) as a JSON Schema (TypeBox): the runs of a history
 * file as listed, one entry per run with the figures people track (the full result stays on its line of the
 * file). reporters/history-report.ts derives its types from it and `npm run build` publishes it as
 * schema/history.schema.json. Loaded only by the schema build and tests.
 */
import { Type } from 'typebox';
import { GateOutcomeSchema } from '../metrics/gate-schema.js';
import { RampVerdictKindSchema } from '../metrics/verdict-schema.js';
import { closed, count, described, flag, nullable, text, timestamp } from '../metrics/schema-kit.js';

/** One run as listed: the figures people track, not the whole result. */
export const HistoryEntrySchema = closed(
  {
    line: Type.Integer({ minimum: 1, description: 'its line in the history file (1-based): where the full result is' }),
    startedAt: timestamp('when the run started'),
    target: text('"host:port" of the run (IPv6 in brackets)'),
    name: Type.Optional(
      text("the run's name (ramp --name, or the audit target's): its series; absent for an unnamed run, whose series is its host:port"),
    ),
    maxConcurrency: count('its max concurrency (connections)'),
    verdict: described(RampVerdictKindSchema, 'its verdict'),
    lowerBound: flag('true when the max is only a lower bound'),
    gate: nullable(
      GateOutcomeSchema,
      "the regression gate's outcome when the run had --baseline (\"regression\": never a baseline); null without one",
    ),
  },
  'one saved run, as listed',
);

/** A line of the history file that could not be read. */
export const DamagedLineSchema = closed(
  {
    line: Type.Integer({ minimum: 1, description: 'its line in the history file (1-based)' }),
    reason: text('why it could not be read'),
  },
  'a line of the history file that could not be read (skipped)',
);

export const HistoryDocumentSchema = closed(
  {
    schema: Type.Literal('tcpprobe/history', { description: 'names this document and its schema file (schema/history.schema.json)' }),
    schemaVersion: Type.Literal(1, { description: 'the version of the document\'s shape (docs/schema.md, "Closed objects, and versions")' }),
    path: text('the history file'),
    runs: Type.Array(HistoryEntrySchema, { description: 'the runs listed (after --target and --last), oldest first' }),
    damaged: Type.Array(DamagedLineSchema, { description: 'lines that could not be read (skipped)' }),
  },
  'the document of tcpprobe history --json: the runs saved by ramp --save and audit, oldest first',
);
