/**
 * The regression gate of `ramp --baseline`, as the result records it (result-schema.ts, `gate`) and the history
 * and audit documents name its outcome: what this run was compared with, and what the gate decided.
 *
 * Loaded only by the schema build and tests: the CLI imports the types (`import type`), never TypeBox itself.
 */
import { Type } from 'typebox';
import { closed, count, described, figure, nullable, text, timestamp } from './schema-kit.js';
import { RampVerdictKindSchema } from './verdict-schema.js';

export const GateOutcomeSchema = Type.Enum(['pass', 'regression', 'not-compared', 'no-baseline'], {
  description:
    'pass: within the allowed drop; regression: exit 7, and this run never becomes a baseline; not-compared: one side is not a measurement; no-baseline: --baseline last found no passing run of this target',
});

/** What `ramp --baseline ...` compared this run with, and what it decided. */
export const GateRecordSchema = closed(
  {
    baselineSource: Type.Enum(['file', 'history'], {
      description: '"file": --baseline FILE (pinned); "history": the best of the recent passing runs of this target',
    }),
    path: text('the baseline file or the history file'),
    window: nullable(count('runs'), 'history only: at most this many recent passing runs were looked at (--baseline-runs); null for a file'),
    consideredRuns: nullable(count('runs'), 'history only: how many were found (0 to window); null for a file'),
    baseline: nullable(
      closed(
        {
          maxConcurrency: count('its max concurrency (connections)'),
          verdict: described(RampVerdictKindSchema, 'its verdict'),
          startedAt: timestamp('when it started'),
          target: Type.Optional(text('its target as "host:port" (IPv6 in brackets); absent in records written before it was recorded')),
        },
        'the run this one was compared with',
      ),
      'the run compared with; null when none was found',
    ),
    allowedDropShare: nullable(figure('a share'), '--max-regression as a share (0.1 = 10%); null: the change is reported, never gated'),
    dropShare: nullable(figure('a share'), '(baseline - this max) / baseline: negative when the max went up; null when not compared'),
    outcome: GateOutcomeSchema,
    message: text('the line printed about it'),
  },
  'what ramp --baseline compared this run with, and what it decided',
);
