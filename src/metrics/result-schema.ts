/**
 * The `tcpprobe/result` document as a JSON Schema (TypeBox): the one definition of what `--json` prints, `--out`
 * writes, `compare` reads and each history line holds. metrics/result.ts derives its TypeScript types from these
 * schemas (Static<>), and `npm run build` writes them to schema/*.schema.json (scripts/write-schemas.mjs), so the
 * types the code uses and the published schema cannot drift apart.
 *
 * The document declares its own types, counters included: the engine's live counters are mapped onto
 * `ResultCountersSchema` field by field where the result is built (controller/run-context.ts), so a new engine
 * counter is a type error there until the document names it, never a silent change of the schema.
 *
 * Loaded only by the schema build and tests: the CLI imports the types (`import type`), never TypeBox itself.
 */
import { Type, type TInteger, type TOptional, type TProperties, type TSchema } from 'typebox';
import { ALL_FAILURE_CLASSES, type FailureClass } from '../types/failure-class.js';

/** Where the schema files are published, relative to the package root: `$id` of each. */
export const SCHEMA_ID_BASE = 'tcpprobe/schema/';

/** A closed object: a field the schema does not name is a drift, and the schema tests fail on it. */
export function closed<P extends TProperties>(properties: P, description?: string) {
  return Type.Object(properties, { additionalProperties: false, ...(description === undefined ? {} : { description }) });
}

export function nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

/** A count, a duration in ms or an offset: a whole number at or above zero. */
const Count = Type.Integer({ minimum: 0 });
/** A figure that may have a fraction (rates, percentiles, shares). */
const Figure = Type.Number();

export const FailureClassSchema = Type.Enum([...ALL_FAILURE_CLASSES], { description: 'the class of a failed or lost connection' });

export const RampVerdictKindSchema = Type.Enum(
  [
    'limit-by-failure', // failures at the edge that persisted at a low rate: the server's concurrency limit
    'limit-by-plateau', // held count stopped growing while attempts went on
    'max-reached', // --max reached without failure: the server holds at least that many
    'timed-out', // --max-duration ran out first: the server holds at least the max
    'unreachable', // not one connection could be established
    'rejected', // the server accepted connections but closed or rejected every one, from the first: no capacity
    'evicting', // the server closes old idle connections to take new ones: the max is the most open at once
    'client-limited', // this machine ran out first (fds, ports, memory): a lower bound, not the server's number
    'interrupted', // SIGINT/SIGTERM
  ],
  { description: 'why a ramp ended, and so what its number means' },
);

export const HoldVerdictKindSchema = Type.Enum(
  [
    'held', // held for --duration
    'all-closed', // no --duration: the server closed every connection
    'timed-out', // --max-duration ran out
    'unreachable',
    'client-limited',
    'interrupted',
  ],
  { description: 'how a hold ended' },
);

function verdictSchema<K extends TSchema>(kind: K) {
  return closed({
    kind,
    /** One sentence for people: the number and what it means. */
    summary: Type.String(),
    /** True when the number is only a lower bound of the server's capacity. */
    lowerBound: Type.Boolean(),
    /** For client-limited: which limit and how to lift it. */
    clientLimit: nullable(closed({ class: FailureClassSchema, advice: Type.String() })),
  });
}

export const RampVerdictSchema = verdictSchema(RampVerdictKindSchema);
export const HoldVerdictSchema = verdictSchema(HoldVerdictKindSchema);

/** One sample of the run, every `sampleIntervalMs`. Counts are cumulative except held/established/connecting. */
export const TimelineSampleSchema = closed({
  tMs: Count,
  attempted: Count,
  held: Count,
  established: Count,
  connecting: Count,
  failed: Count,
});

/** One failure, as reported for the first of each class. */
export const FailureRecordSchema = closed({
  class: FailureClassSchema,
  /** errno or Node error code, if there was one. */
  code: nullable(Type.String()),
  message: Type.String(),
  phase: Type.Enum(['connect', 'established', 'held']),
  /** Milliseconds since the pool started. */
  atMs: Figure,
  /** For lost connections: how long after connect. */
  afterConnectMs: nullable(Figure),
  /** The first bytes the server sent (escaped), if any. */
  serverSaid: nullable(Type.String()),
  connId: Count,
  sourceAddress: nullable(Type.String()),
});

export const FailureSummarySchema = closed({
  class: FailureClassSchema,
  count: Count,
  /** The first failure of this class. */
  first: FailureRecordSchema,
});

/** Failures of each class that occurred (a class with none is absent). */
function countsByClass() {
  const properties = {} as { [K in FailureClass]: TOptional<TInteger> };
  for (const cls of ALL_FAILURE_CLASSES) properties[cls] = Type.Optional(Count);
  return closed(properties);
}

/**
 * The counters a result reports: the engine's totals when the run ended, as named by this document. Gauges
 * (connecting, established, held, queued) go up and down; the rest only grow.
 */
export const ResultCountersSchema = closed(
  {
    /** Connections asked for. */
    requested: Count,
    /** Connects started, reconnects included. */
    attempted: Count,
    /** Asked for but not started: waiting for an in-flight slot or a reconnect delay. */
    queued: Count,
    /** In flight: connect (and TLS handshake) not finished. */
    connecting: Count,
    /** Open but not yet held: settling, or waiting for the expected reply. */
    established: Count,
    /** Open and counted as held. */
    held: Count,
    peakHeld: Count,
    /** Connections that ever became held. */
    everHeld: Count,
    /** Connects that succeeded: TCP connected and, with TLS, the handshake done. */
    connected: Count,
    /** Open connections later closed or reset by the server. */
    lost: Count,
    /** Of `lost`: connections that had been held. */
    heldLost: Count,
    /** Of `heldLost`: connections started since opening last paused. */
    heldLostSincePause: Count,
    /** Of `heldLost`: connections closed within half a second of becoming held. */
    heldLostEarly: Count,
    /** Of `heldLost`: connections that got the expected reply (--expect) and were then closed by the server. */
    servedThenClosed: Count,
    /** Held connections taken back because the server never completed their handshake. */
    neverCompleted: Count,
    /** TLS 1.3 connections counted held by --settle alone: the server showed no proof. */
    tlsUnproven: Count,
    /** All failures: failed connects plus lost connections. */
    failed: Count,
    reconnects: Count,
    /** Of `reconnects`: replacements that became held. */
    replacementsHeld: Count,
    failuresByClass: countsByClass(),
  },
  "the engine's totals when the run ended",
);

export const LatencySummarySchema = closed(
  {
    count: Count,
    min: nullable(Figure),
    p50: nullable(Figure),
    p90: nullable(Figure),
    p99: nullable(Figure),
    max: nullable(Figure),
    mean: nullable(Figure),
  },
  'latency in milliseconds; all null when nothing was recorded',
);

export const TargetInfoSchema = closed({
  host: Type.String(),
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  /** Every address the host resolved to. */
  resolved: Type.Array(Type.String()),
  /** The addresses used: one when pinned, all with --spread-addresses. */
  used: Type.Array(Type.String()),
  addressMode: Type.Enum(['pinned', 'spread']),
  tls: Type.Boolean(),
});

/** A rate limit found while ramping: failures that stopped when the rate dropped. */
export const RateFindingSchema = closed({
  /** The rate (connections/s) at which failures appeared. */
  failedAtPerSec: Figure,
  /** The rate the ramp went on at. */
  continuedAtPerSec: Figure,
  heldAtMs: Figure,
  failureClass: FailureClassSchema,
});

/** A socket layer: the native core or Node's net/tls. */
const EngineNameSchema = Type.Enum(['native', 'js']);

export const ParticipantSummarySchema = closed({
  name: Type.String(),
  maxHeld: Count,
  counters: ResultCountersSchema,
  clientLimit: nullable(FailureClassSchema),
  lostAtMs: nullable(Figure),
  /** The socket layer this participant's pools ran on (each agent chooses its own); absent if it did not say. */
  engine: Type.Optional(EngineNameSchema),
});

/** The socket layer that ran: the native core or Node's net/tls. */
export const EngineRecordSchema = closed({
  name: EngineNameSchema,
  /** Why the JS engine ran (TLS, asked for, or the native core did not load); null for native. */
  why: nullable(Type.String()),
});

/** The fields every result has, ramp or hold. */
const resultBaseProperties = {
  /** "tcpprobe/result": names this document and its schema file (schema/result.schema.json). */
  schema: Type.Literal('tcpprobe/result'),
  schemaVersion: Type.Literal(1),
  tool: closed({ name: Type.Literal('tcpprobe'), version: Type.String() }),
  startedAt: Type.String(),
  finishedAt: Type.String(),
  durationMs: Count,
  target: TargetInfoSchema,
  /** The peak of held connections: the discovered maximum concurrency. */
  maxConcurrency: Count,
  firstFailure: nullable(FailureRecordSchema),
  failures: Type.Array(FailureSummarySchema),
  connectLatencyMs: LatencySummarySchema,
  tlsHandshakeMs: nullable(LatencySummarySchema),
  /** Encoded HdrHistograms (microseconds), for exact merging and comparison. */
  histograms: closed({ connectUs: Type.String(), tlsHandshakeUs: nullable(Type.String()) }),
  counters: ResultCountersSchema,
  timeline: Type.Array(TimelineSampleSchema),
  sampleIntervalMs: Count,
  /** Source addresses the connections were bound to (empty: chosen by the kernel). */
  sourceAddresses: Type.Array(Type.String()),
  /** Processes (workers) or agents that held connections; absent for a single process. */
  participants: Type.Optional(Type.Array(ParticipantSummarySchema)),
  /** The socket layer; absent in results written before it was recorded. */
  engine: Type.Optional(EngineRecordSchema),
};

/** The audit file's target a result belongs to: its history series is its name, not its host:port. */
export const AuditTargetRecordSchema = closed({
  /** The target's `name` in the audit file. */
  name: Type.String(),
  /** Its labels (defaults merged with its own), as written to the OpenMetrics textfile. */
  labels: Type.Record(Type.String(), Type.String()),
  /** The settings it ran with, as written in the file (an inline `send` is shown by its length only). */
  settings: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
  /** `minConnections`, or null. */
  minConnections: nullable(Count),
  /** True when the max was below minConnections. */
  belowMinimum: Type.Boolean(),
});

export const GateOutcomeSchema = Type.Enum(['pass', 'regression', 'not-compared', 'no-baseline'], {
  description:
    'pass: within the allowed drop; regression: exit 7, and this run never becomes a baseline; not-compared: one side is not a measurement; no-baseline: --baseline last found no passing run of this target',
});

/** What `ramp --baseline ...` compared this run with, and what it decided. */
export const GateRecordSchema = closed({
  /** "file": --baseline FILE (pinned); "history": the best of the recent passing runs of this target. */
  baselineSource: Type.Enum(['file', 'history']),
  /** The baseline file or the history file. */
  path: Type.String(),
  /** History only: at most this many recent passing runs were looked at (--baseline-runs); null for a file. */
  window: nullable(Count),
  /** History only: how many were found (0 to window); null for a file. */
  consideredRuns: nullable(Count),
  /** The run compared with; null when none was found. */
  baseline: nullable(closed({ maxConcurrency: Count, verdict: RampVerdictKindSchema, startedAt: Type.String() })),
  /** --max-regression as a share (0.1 = 10%); null: the change is reported, never gated. */
  allowedDropShare: nullable(Figure),
  /** (baseline - this max) / baseline: negative when the max went up; null when not compared. */
  dropShare: nullable(Figure),
  outcome: GateOutcomeSchema,
  /** The line printed about it. */
  message: Type.String(),
});

/** Held connections the server closed during a ramp, and (with --reconnect) what replaced them. */
export const HeldClosesSchema = closed({
  /** Held connections the server closed or reset. */
  closed: Count,
  /** Failures that were not closes of held connections: connects that failed, connections closed before held. */
  failedNewConnects: Count,
  reconnect: Type.Boolean(),
  /** Replacements started for closed connections (--reconnect). */
  replacements: Count,
  /** Of those, replacements that became held. */
  replacementsHeld: Count,
  /** Closes of held connections during the hold. */
  duringHold: Count,
  /** Held on average over the hold (its samples). */
  sustained: Figure,
  /** Held at the end of the hold. */
  heldAtEnd: Count,
  /** Closes of held connections per second during the hold. */
  churnPerSec: Figure,
});

/** A source address or a worker process added during the run, as the held count grew. */
export const ResourceChangeSchema = closed({
  atMs: Figure,
  kind: Type.Enum(['source-address', 'process']),
  /** The source address, or the process name. */
  name: Type.String(),
  /** Connections asked for when it was added. */
  atConnections: Count,
  reason: Type.String(),
});

/**
 * Why an adaptive schedule changed its rate (src/controller/adaptive-plan.ts decides; reporters word them).
 * 'resume': going on after a pause to check for eviction.
 */
export const ScheduleChangeReasonSchema = Type.Enum(['start', 'all-held', 'quiet', 'held-lags', 'latency-rose', 'opener-full', 'rate-limit', 'resume']);

export const ScheduleRecordSchema = closed({
  fromMs: Figure,
  toMs: nullable(Figure),
  description: Type.String(),
  /** The stage's rate in connections per second (rate stages). */
  ratePerSec: Type.Optional(Figure),
  /** Adaptive schedules: why this stage began. */
  reason: Type.Optional(ScheduleChangeReasonSchema),
});

/** The check for handshakes the server never completed, run once the ramp has held its population. */
export const HandshakeAuditSchema = closed({
  ran: Type.Boolean(),
  /** Held connections looked at. */
  checked: Count,
  /** Looked like handshakes the server never completed (more than one segment in, no data). */
  suspects: Count,
  /** Confirmed (the server kept retransmitting its SYN-ACK) and taken out of the held count and the peak. */
  neverCompleted: Count,
  /** Why it did not run, or null. */
  note: nullable(Type.String()),
});

/** A server that closes its oldest idle connections to make room for new ones (nginx's "reusing connections"). */
export const EvictionFindingSchema = closed({
  /** The most connections open at once: the number it holds. */
  maxOpen: Count,
  /** Held connections the server closed while new connects were held. */
  evicted: Count,
  /** The most held connections closed within one sample tick (nginx closes up to 32 per accept). */
  largestBatch: Count,
  /** When the first held connection was evicted, ms since start. */
  firstAtMs: Figure,
});

export const RampResultSchema = closed(
  {
    ...resultBaseProperties,
    kind: Type.Literal('ramp'),
    verdict: RampVerdictSchema,
    heldAtFirstFailure: nullable(Count),
    rate: closed({
      /** Connections per second asked for at the start. */
      requestedPerSec: Figure,
      /** Connects actually started per second during the ramp phase. */
      achievedPerSec: Figure,
      /** The highest rate absorbed without any failure, connections/s. */
      absorbedPerSec: Figure,
      rateLimits: Type.Array(RateFindingSchema),
      /** Present (true) when the adaptive default chose the rate: see `schedule` for each stage and why. */
      adaptive: Type.Optional(Type.Boolean()),
      /** Adaptive: the highest rate the schedule asked for. */
      highestRequestedPerSec: Type.Optional(Figure),
    }),
    /** The schedule as run: phases with their rate or step. */
    schedule: Type.Array(ScheduleRecordSchema),
    /** Milliseconds from start until the maximum was first reached. */
    timeToMaxMs: nullable(Figure),
    /** Present when the server evicted idle connections instead of refusing new ones (verdict 'evicting'). */
    eviction: Type.Optional(EvictionFindingSchema),
    /** Held connections the server closed, told apart from failed new connects (absent: none, reconnect off). */
    heldCloses: Type.Optional(HeldClosesSchema),
    /** Handshakes the server never completed, taken out of the count (absent when the ramp held nothing). */
    handshakeAudit: Type.Optional(HandshakeAuditSchema),
    /** When and why this run added source addresses or processes (absent when it used the kernel's and one). */
    resources: Type.Optional(Type.Array(ResourceChangeSchema)),
    /** The regression gate's inputs and outcome (absent without --baseline). */
    gate: Type.Optional(GateRecordSchema),
    /** Present when `tcpprobe audit` ran this: which target of the audit file, and its floor. */
    audit: Type.Optional(AuditTargetRecordSchema),
  },
  'the result of tcpprobe ramp (ramp --json, --out, one line of the history file)',
);

export const AssertionOutcomeSchema = closed({
  name: Type.Enum(['established-within', 'held']),
  passed: Type.Boolean(),
  expected: Type.String(),
  actual: Type.String(),
});

export const HoldResultSchema = closed(
  {
    ...resultBaseProperties,
    kind: Type.Literal('hold'),
    verdict: HoldVerdictSchema,
    requestedConnections: Count,
    /** When the requested number was first all established, ms since start; null if never. */
    allEstablishedAtMs: nullable(Figure),
    /** Established connections counted within the assertion window, if one was set. */
    establishedWithinMs: nullable(closed({ withinMs: Figure, established: Count })),
    /** Connections lost (closed or reset by the server) after being established. */
    lostDuringHold: Count,
    assertions: Type.Array(AssertionOutcomeSchema),
  },
  'the result of tcpprobe hold (hold --json, --out)',
);

export const ProbeResultSchema = Type.Union([RampResultSchema, HoldResultSchema]);
