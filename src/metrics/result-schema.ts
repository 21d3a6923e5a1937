/**
 * The `tcpprobe/result` document as a JSON Schema (TypeBox): the one definition of what `--json` prints, `--out`
 * writes, `compare` reads and each history line holds. metrics/result.ts derives its TypeScript types from these
 * schemas (Static<>), and `npm run build` writes them to schema/*.schema.json (scripts/write-schemas.mjs), so the
 * types the code uses and the published schema cannot drift apart. Every field carries its description, with its
 * unit: those are the words a reader of the published schema gets (docs/schema.md).
 *
 * This file holds the document itself: the target, the fields every result has, and the ramp's and the hold's.
 * Its parts are defined beside it, each once: a failure (failure-schema.ts), how a run ended and its assertions
 * (verdict-schema.ts), what the engine measured, counters included (measurement-schema.ts), what a ramp found
 * besides its number (ramp-findings-schema.ts), the regression gate (gate-schema.ts) and the settings a run
 * recorded (settings-schema.ts). Which of them the published files write once under `$defs` is src/schema-files.ts.
 *
 * Loaded only by the schema build and tests: the CLI imports the types (`import type`), never TypeBox itself.
 */
import { Type } from 'typebox';
import { closed, count, described, figure, flag, nullable, text, timestamp, ToolSchema, wholeMs } from './schema-kit.js';
import { HoldRunSettingsSchema, RampRunSettingsSchema } from './settings-schema.js';
import { FailureRecordSchema, FailureSummarySchema } from './failure-schema.js';
import { AssertionOutcomeSchema, HoldVerdictSchema, RampVerdictSchema } from './verdict-schema.js';
import {
  EngineRecordSchema,
  HistogramsSchema,
  LatencySummarySchema,
  ParticipantSummarySchema,
  ResultCountersSchema,
  TimelineSampleSchema,
  PhaseSpanSchema,
} from './measurement-schema.js';
import {
  ConfirmationSchema,
  EvictionFindingSchema,
  HandshakeAuditSchema,
  HeldClosesSchema,
  NewConnectionLimitSchema,
  RateFindingSchema,
  ResourceChangeSchema,
  ScheduleRecordSchema,
} from './ramp-findings-schema.js';
import { GateRecordSchema } from './gate-schema.js';

export const TargetInfoSchema = closed(
  {
    host: text('the host as given (--host): a name or an IP address'),
    port: Type.Integer({ minimum: 0, maximum: 65535, description: 'the TCP port (--port)' }),
    resolved: Type.Array(text('an IP address'), { description: 'every address the host resolved to' }),
    used: Type.Array(text('an IP address'), { description: 'the addresses used: one when pinned, all with --spread-addresses' }),
    addressMode: Type.Enum(['pinned', 'spread'], { description: 'pinned: the first address only; spread: all of them (--spread-addresses)' }),
    tls: flag('true when connections were TLS (--tls)'),
    name: Type.Optional(
      text(
        "the target's name (--name, or the audit target's name): its series in the history, its `target` label in OpenMetrics; absent for an unnamed run, which is known by host:port",
      ),
    ),
  },
  'the server probed: host, port and the addresses used',
);

/** The fields every result has, ramp or hold. */
const resultBaseProperties = {
  schema: Type.Literal('tcpprobe/result', { description: 'names this document and its schema file (schema/result.schema.json)' }),
  schemaVersion: Type.Literal(1, { description: 'the version of the document\'s shape (docs/schema.md, "Closed objects, and versions")' }),
  tool: ToolSchema,
  startedAt: timestamp('when the run started'),
  finishedAt: timestamp('when the result was written'),
  durationMs: wholeMs('how long the run took, in ms'),
  target: TargetInfoSchema,
  maxConcurrency: count('the peak of held connections: the discovered maximum concurrency (connections)'),
  firstFailure: nullable(FailureRecordSchema, 'the first failure of the run; null: none'),
  failures: Type.Array(FailureSummarySchema, { description: 'failures by class, most frequent first' }),
  connectLatencyMs: described(LatencySummarySchema, 'connect latency (TCP connect, and TLS handshake with --tls), in ms'),
  tlsHandshakeMs: nullable(LatencySummarySchema, 'TLS handshake latency, in ms; null without --tls'),
  histograms: HistogramsSchema,
  counters: ResultCountersSchema,
  timeline: Type.Array(TimelineSampleSchema, { description: 'the run, sampled every sampleIntervalMs' }),
  sampleIntervalMs: wholeMs('the time between two timeline samples, in ms'),
  phases: Type.Optional(
    Type.Array(PhaseSpanSchema, { description: 'the run phase by phase, in the order they ran (a phase may come back: a ramp that resumes)' }),
  ),
  startedAfterMs: Type.Optional(
    wholeMs('from the start of the process to the start of the run, in ms: the CLI\'s own start-up and preflight when run from the CLI'),
  ),
  sourceAddresses: Type.Array(text('an IP address'), { description: 'source addresses the connections were bound to (empty: chosen by the kernel)' }),
  participants: Type.Optional(
    Type.Array(ParticipantSummarySchema, { description: 'processes (workers) or agents that held connections; absent for a single process' }),
  ),
  engine: Type.Optional(described(EngineRecordSchema, 'the socket layer; absent in results written before it was recorded')),
  exitCode: Type.Optional(
    Type.Integer({
      minimum: 0,
      description:
        'the exit code this result stands for, as the CLI exits (README "Exit codes"): the verdict\'s, a failed assertion\'s, or a regression\'s; absent in results written before it was recorded',
    }),
  ),
  passed: Type.Optional(flag('true when exitCode is 0: the run answered, every assertion held and the gate passed')),
};

/** The audit file's target a result belongs to: its history series is its name, not its host:port. */
export const AuditTargetRecordSchema = closed(
  {
    name: text("the target's `name` in the audit file"),
    labels: Type.Record(Type.String(), Type.String(), {
      description: 'its labels (defaults merged with its own), as written to the OpenMetrics textfile',
    }),
    settings: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
      description: 'the settings it ran with, as written in the file (an inline `send` is shown by its length only)',
    }),
    minConnections: nullable(count('connections'), 'minConnections from the audit file, in connections; null: none'),
    belowMinimum: flag('true when the max was below minConnections'),
  },
  'the audit file\'s target this result belongs to: its history series is its name, not its host:port',
);

export const RampResultSchema = closed(
  {
    ...resultBaseProperties,
    kind: Type.Literal('ramp', { description: 'a ramp: connections added until the server stopped taking more' }),
    verdict: RampVerdictSchema,
    heldAtFirstFailure: nullable(count('connections'), 'connections held when the first failure came; null: no failure'),
    rate: closed(
      {
        requestedPerSec: figure('the rate asked for at the start, in connections/s'),
        achievedPerSec: figure('connects actually started per second during the ramp phase, in connections/s'),
        absorbedPerSec: figure('the highest rate absorbed without any failure, in connections/s'),
        rateLimits: Type.Array(RateFindingSchema, { description: 'rate limits found: failures that stopped when the rate dropped' }),
        newConnectionLimit: Type.Optional(
          described(
            NewConnectionLimitSchema,
            'the new-connection rate limit measured after failures stopped at a low rate (absent: none found, or it could not be measured)',
          ),
        ),
        adaptive: Type.Optional(flag('present (true) when the adaptive default chose the rate: see `schedule` for each stage and why')),
        highestRequestedPerSec: Type.Optional(figure('adaptive: the highest rate the schedule asked for, in connections/s')),
      },
      'the rates of the ramp, in connections/s',
    ),
    schedule: Type.Array(ScheduleRecordSchema, { description: 'the schedule as run: phases with their rate or step' }),
    timeToMaxMs: nullable(figure('ms'), 'when the maximum was first reached, in ms since the start; null: nothing was held'),
    eviction: Type.Optional(
      described(EvictionFindingSchema, "present when the server evicted idle connections instead of refusing new ones (verdict 'evicting')"),
    ),
    heldCloses: Type.Optional(
      described(HeldClosesSchema, 'held connections the server closed, told apart from failed new connects (absent: none, reconnect off)'),
    ),
    confirmation: Type.Optional(
      described(ConfirmationSchema, 'the confirmation stage and what it found (absent without --confirm)'),
    ),
    handshakeAudit: Type.Optional(
      described(HandshakeAuditSchema, 'handshakes the server never completed, taken out of the count (absent when the ramp held nothing)'),
    ),
    resources: Type.Optional(
      Type.Array(ResourceChangeSchema, {
        description: 'when and why this run added source addresses or processes (absent when it used the kernel\'s and one)',
      }),
    ),
    gate: Type.Optional(described(GateRecordSchema, "the regression gate's inputs and outcome (absent without --baseline)")),
    audit: Type.Optional(
      described(AuditTargetRecordSchema, 'present when `tcpprobe audit` ran this: which target of the audit file, and its floor'),
    ),
    assertions: Type.Optional(
      Type.Array(AssertionOutcomeSchema, { description: 'the assertions asked for (--assert-capacity), with their outcomes; absent in results written before ramps had them' }),
    ),
    settings: Type.Optional(
      described(RampRunSettingsSchema, 'the settings the ramp ran with; absent in results written before they were recorded'),
    ),
  },
  'the result of tcpprobe ramp (ramp --json, --out, one line of the history file)',
);

export const HoldResultSchema = closed(
  {
    ...resultBaseProperties,
    kind: Type.Literal('hold', { description: 'a hold: a fixed number of connections opened and held' }),
    verdict: HoldVerdictSchema,
    requestedConnections: count('--connections: connections asked for'),
    allEstablishedAtMs: nullable(figure('ms'), 'when the requested number was first all established, in ms since the start; null if never'),
    establishedWithinMs: nullable(
      closed(
        {
          withinMs: figure('the assertion window, in ms'),
          established: count('connections established within it'),
        },
        'connections established within the assertion window',
      ),
      'established connections counted within the assertion window; null: no window was set',
    ),
    lostDuringHold: count('connections lost (closed or reset by the server) after being held'),
    assertions: Type.Array(AssertionOutcomeSchema, { description: 'the assertions asked for, with their outcomes' }),
    settings: Type.Optional(
      described(HoldRunSettingsSchema, 'the settings the hold ran with; absent in results written before they were recorded'),
    ),
  },
  'the result of tcpprobe hold (hold --json, --out)',
);

export const ProbeResultSchema = Type.Union([RampResultSchema, HoldResultSchema], {
  description: 'a tcpprobe result: a ramp or a hold',
});
