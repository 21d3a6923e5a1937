/**
 * The `tcpprobe/compare` document as a JSON Schema (TypeBox): compare-results.ts derives its types from it and
 * `npm run build` publishes it as schema/compare.schema.json. Loaded only by the schema build and tests.
 */
import { Type } from 'typebox';
import { closed, FailureClassSchema, nullable, RampVerdictKindSchema } from '../metrics/result-schema.js';

/** One figure before and after. */
export const ChangeSchema = closed({
  before: nullable(Type.Number()),
  after: nullable(Type.Number()),
  /** after - before, in the figure's unit; null when either side is missing. */
  delta: nullable(Type.Number()),
  /** delta / before as a fraction (-0.333 is 33.3% less); null when either side is missing or before is 0. */
  relative: nullable(Type.Number()),
});

/** What the comparison says about one of the two runs. */
export const RunSummarySchema = closed({
  /** How the user named it (a file path), for the legend and headings. */
  label: Type.String(),
  startedAt: Type.String(),
  /** "host:port" as given to ramp (IPv6 in brackets). */
  target: Type.String(),
  maxConcurrency: Type.Integer({ minimum: 0 }),
  verdict: RampVerdictKindSchema,
  /** True when the max is only a lower bound (max reached, timed out, client-limited, interrupted). */
  lowerBound: Type.Boolean(),
  /** The failure class that marks the limit (or the client limit); null without failures. */
  failureClass: nullable(FailureClassSchema),
  /** Where the latency percentiles come from: the encoded histogram (exact) or the stored summary. */
  latencySource: Type.Enum(['histogram', 'summary']),
});

/** Both held curves on one time axis: point i is at `i * stepMs`; null after a run's last sample. */
export const HeldCurvesSchema = closed({
  stepMs: Type.Number(),
  before: Type.Array(nullable(Type.Integer({ minimum: 0 }))),
  after: Type.Array(nullable(Type.Integer({ minimum: 0 }))),
});

export const ComparisonSchema = closed(
  {
    /** "tcpprobe/compare": names this document and its schema file (schema/compare.schema.json). */
    schema: Type.Literal('tcpprobe/compare'),
    schemaVersion: Type.Literal(1),
    tool: closed({ name: Type.Literal('tcpprobe'), version: Type.String() }),
    before: RunSummarySchema,
    after: RunSummarySchema,
    /** Connections. */
    maxConcurrency: ChangeSchema,
    verdictChanged: Type.Boolean(),
    failureClassChanged: Type.Boolean(),
    /** Highest connect rate absorbed without any failure, connections/s. */
    absorbedPerSec: ChangeSchema,
    /** Connect latency percentiles, milliseconds. */
    connectLatencyMs: closed({ p50: ChangeSchema, p90: ChangeSchema, p99: ChangeSchema }),
    /** Milliseconds from start until the max was first reached. */
    timeToMaxMs: ChangeSchema,
    held: HeldCurvesSchema,
    /** Caveats for people: different targets, lower bounds, missing histograms. */
    notes: Type.Array(Type.String()),
  },
  'the document of tcpprobe compare --json: what changed between two ramp results',
);
