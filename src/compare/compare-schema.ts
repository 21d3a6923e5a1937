/**
 * The `tcpprobe/compare` document as a JSON Schema (TypeBox): compare-results.ts derives its types from it and
 * `npm run build` publishes it as schema/compare.schema.json. Loaded only by the schema build and tests.
 */
import { Type } from 'typebox';
import { ClientLimitClassSchema } from '../metrics/failure-schema.js';
import { RampVerdictKindSchema } from '../metrics/verdict-schema.js';
import { closed, count, described, figure, flag, nullable, text, timestamp, ToolSchema } from '../metrics/schema-kit.js';
import { MatcherSchema, RampScheduleSettingSchema, SendSettingSchema, TlsSettingSchema } from '../metrics/settings-schema.js';

/** One figure before and after, in the unit the property that holds it names. */
export const ChangeSchema = closed(
  {
    before: nullable(figure('the figure'), 'the figure in the earlier run; null when it has none'),
    after: nullable(figure('the figure'), 'the figure in the later run; null when it has none'),
    delta: nullable(figure('the difference'), "after - before, in the figure's unit; null when either side is missing"),
    relative: nullable(
      figure('a fraction'),
      'delta / before as a fraction (-0.333 is 33.3% less); null when either side is missing or before is 0',
    ),
  },
  "one figure before and after, in the unit of the property that holds it",
);

/** What the comparison says about one of the two runs. */
export const RunSummarySchema = closed(
  {
    label: text('how the user named it (a file path), for the legend and headings'),
    startedAt: timestamp('when the run started'),
    target: text('"host:port" as given to ramp (IPv6 in brackets)'),
    maxConcurrency: count('its max concurrency (connections)'),
    verdict: described(RampVerdictKindSchema, 'its verdict'),
    lowerBound: flag('true when the max is only a lower bound (max reached, timed out, client-limited, interrupted)'),
    failureClass: nullable(ClientLimitClassSchema, 'the failure class that marks the limit (or the client limit: a client-side class, or cpu); null without either'),
    latencySource: Type.Enum(['histogram', 'summary'], {
      description: 'where the latency percentiles come from: the encoded histogram (exact) or the stored summary',
    }),
  },
  'what the comparison says about one of the two runs',
);

/** Both held curves on one time axis: point i is at `i * stepMs`; null after a run's last sample. */
export const HeldCurvesSchema = closed(
  {
    stepMs: figure('the time between two points, in ms'),
    before: Type.Array(nullable(count('connections'), 'connections held at that point; null: the run had ended'), {
      description: 'the earlier run: connections held at each point',
    }),
    after: Type.Array(nullable(count('connections'), 'connections held at that point; null: the run had ended'), {
      description: 'the later run: connections held at each point',
    }),
  },
  "both held curves on one time axis: point i is at i * stepMs; null after a run's last sample",
);

/** A setting's value as the comparison lists it: as the result's `settings` holds it. */
export const SettingValueSchema = Type.Union(
  [
    Type.String(),
    Type.Number(),
    Type.Boolean(),
    Type.Null(),
    Type.Array(Type.String()),
    RampScheduleSettingSchema,
    MatcherSchema,
    SendSettingSchema,
    TlsSettingSchema,
  ],
  { description: "a setting's value, as the result's settings holds it (null: not set)" },
);

/** One setting that differs between the two runs. */
export const SettingChangeSchema = closed(
  {
    name: text('the setting, as named in the result\'s `settings` (e.g. "connectTimeoutMs", "schedule")'),
    before: described(SettingValueSchema, 'its value in the earlier run (null: not set there)'),
    after: described(SettingValueSchema, 'its value in the later run (null: not set there)'),
  },
  'one setting that differs between the two runs, in the unit its name says',
);

export const SettingsComparisonSchema = closed(
  {
    recorded: closed(
      {
        before: flag('true when the earlier result records its settings'),
        after: flag('true when the later result records its settings'),
      },
      'which results record their settings (results written before tcpprobe recorded them do not)',
    ),
    changed: Type.Array(SettingChangeSchema, {
      description: 'the settings that differ, in the order of the result\'s settings; empty when either side is not recorded',
    }),
  },
  'the settings of the two runs: whether each records them, and which differ',
);

export const ComparisonSchema = closed(
  {
    schema: Type.Literal('tcpprobe/compare', { description: 'names this document and its schema file (schema/compare.schema.json)' }),
    schemaVersion: Type.Literal(1, { description: 'the version of the document\'s shape (docs/schema.md, "Closed objects, and versions")' }),
    tool: ToolSchema,
    before: described(RunSummarySchema, 'the earlier run'),
    after: described(RunSummarySchema, 'the later run'),
    maxConcurrency: described(ChangeSchema, 'the max concurrency, in connections'),
    verdictChanged: flag('true when the verdicts differ'),
    failureClassChanged: flag('true when the failure classes differ'),
    targetChanged: Type.Optional(flag('true when the runs are of different targets (host:port): the figures are of two servers')),
    absorbedPerSec: described(ChangeSchema, 'the highest connect rate absorbed without any failure, in connections/s'),
    connectLatencyMs: closed(
      {
        p50: described(ChangeSchema, 'the median connect latency, in ms'),
        p90: described(ChangeSchema, 'the 90th percentile of connect latency, in ms'),
        p99: described(ChangeSchema, 'the 99th percentile of connect latency, in ms'),
      },
      'connect latency percentiles, in ms',
    ),
    timeToMaxMs: described(ChangeSchema, 'time from start until the max was first reached, in ms'),
    held: HeldCurvesSchema,
    settings: Type.Optional(described(SettingsComparisonSchema, 'the settings of the two runs and which differ')),
    notes: Type.Array(text('one caveat'), { description: 'caveats for people: lower bounds, missing histograms' }),
  },
  'the document of tcpprobe compare --json: what changed between two ramp results',
);
