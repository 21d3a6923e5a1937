/**
 * The `tcpprobe/result` document as a JSON Schema (TypeBox): the one definition of what `--json` prints, `--out`
 * writes, `compare` reads and each history line holds. metrics/result.ts derives its TypeScript types from these
 * schemas (Static<>), and `npm run build` writes them to schema/*.schema.json (scripts/write-schemas.mjs), so the
 * types the code uses and the published schema cannot drift apart. Every field carries its description, with its
 * unit: those are the words a reader of the published schema gets (docs/schema.md).
 *
 * The document declares its own types, counters included: the engine's live counters are mapped onto
 * `ResultCountersSchema` field by field where the result is built (controller/run-context.ts), so a new engine
 * counter is a type error there until the document names it, never a silent change of the schema.
 *
 * Loaded only by the schema build and tests: the CLI imports the types (`import type`), never TypeBox itself.
 */
import { Type, type TInteger, type TOptional, type TSchema } from 'typebox';
import { ALL_FAILURE_CLASSES, type FailureClass } from '../types/failure-class.js';
import { closed, count, described, figure, flag, nullable, text, timestamp, ToolSchema, wholeMs } from './schema-kit.js';
import { EngineNameSchema, HoldRunSettingsSchema, RampRunSettingsSchema } from './settings-schema.js';

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

export const ClientLimitSchema = closed(
  {
    class: described(FailureClassSchema, "the client-side failure class: which of this machine's limits ran out"),
    advice: text('how to lift that limit'),
  },
  "the limit of this machine that ended the run, and how to lift it",
);

function verdictSchema<K extends TSchema>(kind: K, description: string) {
  return closed(
    {
      kind,
      summary: text('one sentence for people: the number and what it means'),
      lowerBound: flag("true when the number is only a lower bound of the server's capacity"),
      clientLimit: nullable(ClientLimitSchema, "for client-limited: which limit of this machine and how to lift it; else null"),
    },
    description,
  );
}

export const RampVerdictSchema = verdictSchema(RampVerdictKindSchema, 'how the ramp ended, as data and in one sentence');
export const HoldVerdictSchema = verdictSchema(HoldVerdictKindSchema, 'how the hold ended, as data and in one sentence');

/** One sample of the run, every `sampleIntervalMs`. Counts are cumulative except held/established/connecting. */
export const TimelineSampleSchema = closed(
  {
    tMs: wholeMs('when the sample was taken, in ms since the run started'),
    attempted: count('connects started so far, reconnects included (cumulative, connections)'),
    held: count('connections held at that moment'),
    established: count('connections open but not yet held at that moment (settling or awaiting the reply)'),
    connecting: count('connects in flight at that moment'),
    failed: count('failures so far: failed connects plus lost connections (cumulative)'),
  },
  'one sample of the run, every sampleIntervalMs',
);

/** One failure, as reported for the first of each class. */
export const FailureRecordSchema = closed(
  {
    class: FailureClassSchema,
    code: nullable(text('the code'), 'the errno or Node error code (e.g. "ECONNREFUSED"); null when there was none'),
    message: text('the error message'),
    phase: Type.Enum(['connect', 'established', 'held'], {
      description: 'where the connection was when it failed: connecting, open but not held, or held',
    }),
    atMs: figure('when it failed, in ms since the pool started'),
    afterConnectMs: nullable(figure('ms'), 'for lost connections: how long after connecting it was lost, in ms; else null'),
    serverSaid: nullable(text('escaped bytes'), 'the first bytes the server sent (escaped), if any; else null'),
    connId: count('the connection\'s number within its pool'),
    sourceAddress: nullable(text('an IP address'), 'the source address the connection was bound to; null: chosen by the kernel'),
  },
  'one failure: the first of its class',
);

export const FailureSummarySchema = closed(
  {
    class: FailureClassSchema,
    count: count('failures of this class (connections)'),
    first: described(FailureRecordSchema, 'the first failure of this class'),
  },
  'the failures of one class: how many, and the first',
);

/** Failures of each class that occurred (a class with none is absent). */
function countsByClass() {
  const properties = {} as { [K in FailureClass]: TOptional<TInteger> };
  for (const cls of ALL_FAILURE_CLASSES) properties[cls] = Type.Optional(count(`failures of class ${cls} (connections)`));
  return closed(properties, 'failures of each class that occurred (a class with none is absent)');
}

/**
 * The counters a result reports: the engine's totals when the run ended, as named by this document. Gauges
 * (connecting, established, held, queued) go up and down; the rest only grow.
 */
export const ResultCountersSchema = closed(
  {
    requested: count('connections asked for'),
    attempted: count('connects started, reconnects included'),
    queued: count('connections asked for but not started: waiting for an in-flight slot or a reconnect delay (at the end)'),
    connecting: count('connects in flight (connect and TLS handshake not finished) at the end'),
    established: count('connections open but not yet held (settling, or waiting for the expected reply) at the end'),
    held: count('connections open and counted as held at the end'),
    peakHeld: count('the most connections held at once'),
    everHeld: count('connections that ever became held'),
    connected: count('connects that succeeded: TCP connected and, with TLS, the handshake done'),
    lost: count('open connections later closed or reset by the server'),
    heldLost: count('of lost: connections that had been held'),
    heldLostSincePause: count('of heldLost: connections started since opening last paused'),
    heldLostEarly: count('of heldLost: connections closed within half a second of becoming held'),
    servedThenClosed: count('of heldLost: connections that got the expected reply (--expect) and were then closed by the server'),
    neverCompleted: count('held connections taken back because the server never completed their handshake'),
    tlsUnproven: count('TLS 1.3 connections counted held by --settle alone: the server showed no proof'),
    synRetransmitted: Type.Optional(
      count('of connected: connects that completed only after their SYN was resent (the first went unanswered); absent in older documents'),
    ),
    failed: count('all failures: failed connects plus lost connections'),
    reconnects: count('reconnects started (--reconnect)'),
    replacementsHeld: count('of reconnects: replacements that became held'),
    failuresByClass: countsByClass(),
  },
  "the engine's totals when the run ended, in connections; gauges (queued, connecting, established, held) are the values at the end",
);

export const LatencySummarySchema = closed(
  {
    count: count('latencies recorded (connections)'),
    min: nullable(figure('ms'), 'the smallest, in ms; null when nothing was recorded'),
    p50: nullable(figure('ms'), 'the median, in ms; null when nothing was recorded'),
    p90: nullable(figure('ms'), 'the 90th percentile, in ms; null when nothing was recorded'),
    p99: nullable(figure('ms'), 'the 99th percentile, in ms; null when nothing was recorded'),
    max: nullable(figure('ms'), 'the largest, in ms; null when nothing was recorded'),
    mean: nullable(figure('ms'), 'the mean, in ms; null when nothing was recorded'),
  },
  'latency in milliseconds; all null when nothing was recorded',
);

export const TargetInfoSchema = closed(
  {
    host: text('the host as given (--host): a name or an IP address'),
    port: Type.Integer({ minimum: 0, maximum: 65535, description: 'the TCP port (--port)' }),
    resolved: Type.Array(text('an IP address'), { description: 'every address the host resolved to' }),
    used: Type.Array(text('an IP address'), { description: 'the addresses used: one when pinned, all with --spread-addresses' }),
    addressMode: Type.Enum(['pinned', 'spread'], { description: 'pinned: the first address only; spread: all of them (--spread-addresses)' }),
    tls: flag('true when connections were TLS (--tls)'),
  },
  'the server probed: host, port and the addresses used',
);

/** A rate limit found while ramping: failures that stopped when the rate dropped. */
export const RateFindingSchema = closed(
  {
    failedAtPerSec: figure('the rate at which failures appeared, in connections/s'),
    continuedAtPerSec: figure('the rate the ramp went on at, in connections/s'),
    heldAtMs: figure('when the failures appeared, in ms since the start'),
    failureClass: described(FailureClassSchema, 'the class of those failures'),
  },
  'a rate limit found while ramping: failures that stopped when the rate dropped',
);

/**
 * A new-connection rate limit, measured: a steady stream of connects faster than it, and how many of them the
 * limiter let through per second once it had turned the first one away (controller/rate-phase.ts).
 */
export const NewConnectionLimitSchema = closed(
  {
    perSec: figure('new connections let through per second once the limiter was turning connects away, in connections/s'),
    turnedAwayBy: Type.Enum(['dropped-syn', 'refused'], {
      description:
        "how it turns connects beyond its rate away: 'dropped-syn', SYNs unanswered (connects complete only after the kernel resends the SYN, 1 s later, or time out); 'refused', RST to the SYN",
    }),
    offeredPerSec: figure('the steady rate of the connects measured, in connections/s'),
    connects: count('connects in the measured stream'),
    overMs: figure('how long the stream went on after the first connect was turned away, in ms: the time the rate is counted over'),
    passed: count('connects started in that time whose first SYN was answered'),
    dropped: count('connects of the stream whose first SYN went unanswered: completed only after a resend, or timed out'),
    refused: count('connects of the stream refused'),
    atMs: figure('when the stream started, in ms since the start'),
  },
  'a new-connection rate limit, measured: connects let through per second by a limiter turning the rest away',
);

export const ParticipantSummarySchema = closed(
  {
    name: text('the worker process or agent'),
    maxHeld: count('the most connections it held at once'),
    counters: described(ResultCountersSchema, "its engine's totals when the run ended"),
    clientLimit: nullable(FailureClassSchema, "the limit of its machine it ran into; null: none"),
    lostAtMs: nullable(figure('ms'), 'when it was lost, in ms since the start; null: it stayed to the end'),
    engine: Type.Optional(
      described(EngineNameSchema, "the socket layer its pools ran on (each agent chooses its own); absent if it did not say"),
    ),
  },
  'a process (worker) or agent that held connections',
);

/** The socket layer that ran: the native core or Node's net/tls. */
export const EngineRecordSchema = closed(
  {
    name: described(EngineNameSchema, 'the socket layer that ran'),
    why: nullable(text('why'), 'why the JS engine ran (TLS, asked for, or the native core did not load); null for native'),
  },
  "the socket layer that ran: the native core or Node's net/tls",
);

/** The latency histograms, encoded: what a comparison or a merge reads exactly. */
export const HistogramsSchema = closed(
  {
    connectUs: text('the connect latency histogram, in microseconds (HdrHistogram, compressed and base64)'),
    tlsHandshakeUs: nullable(text('HdrHistogram, base64'), 'the TLS handshake histogram, in microseconds; null without --tls'),
  },
  'encoded HdrHistograms (microseconds), for exact merging and comparison',
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

/** Held connections the server closed during a ramp, and (with --reconnect) what replaced them. */
export const HeldClosesSchema = closed(
  {
    closed: count('held connections the server closed or reset'),
    failedNewConnects: count('failures that were not closes of held connections: connects that failed, connections closed before held'),
    reconnect: flag('true when closed connections were replaced (--reconnect)'),
    replacements: count('replacements started for closed connections (--reconnect)'),
    replacementsHeld: count('of those, replacements that became held'),
    duringHold: count('closes of held connections during the hold'),
    sustained: figure('connections held on average over the hold (its samples)'),
    heldAtEnd: count('connections held at the end of the hold'),
    churnPerSec: figure('closes of held connections during the hold, in connections/s'),
  },
  'held connections the server closed during the ramp, and (with --reconnect) what replaced them',
);

/** A source address or a worker process added during the run, as the held count grew. */
export const ResourceChangeSchema = closed(
  {
    atMs: figure('when it was added, in ms since the start'),
    kind: Type.Enum(['source-address', 'process'], { description: 'what was added: a source address or a worker process' }),
    name: text('the source address, or the process name'),
    atConnections: count('connections asked for when it was added'),
    reason: text('why it was added'),
  },
  'a source address or a worker process added during the run, as the held count grew',
);

/**
 * Why an adaptive schedule changed its rate (src/controller/adaptive-plan.ts decides; reporters word them).
 * 'resume': going on after a pause to check for eviction.
 */
export const ScheduleChangeReasonSchema = Type.Enum(
  ['start', 'all-held', 'quiet', 'held-lags', 'latency-rose', 'opener-full', 'rate-limit', 'resume'],
  { description: "why an adaptive schedule changed its rate ('resume': going on after a pause to check for eviction)" },
);

export const ScheduleRecordSchema = closed(
  {
    fromMs: figure('when the stage began, in ms since the start'),
    toMs: nullable(figure('ms'), 'when it ended, in ms since the start; null: it lasted to the end of the ramp'),
    description: text('the stage in words'),
    ratePerSec: Type.Optional(figure("the stage's rate, in connections/s (rate stages)")),
    reason: Type.Optional(described(ScheduleChangeReasonSchema, 'adaptive schedules: why this stage began')),
  },
  'one stage of the schedule as run',
);

/** The check for handshakes the server never completed, run once the ramp has held its population. */
export const HandshakeAuditSchema = closed(
  {
    ran: flag('true when the check ran'),
    checked: count('held connections looked at'),
    suspects: count('connections that looked like handshakes the server never completed (more than one segment in, no data)'),
    neverCompleted: count('confirmed (the server kept retransmitting its SYN-ACK) and taken out of the held count and the peak'),
    reopened: Type.Optional(
      count(
        'of those, reopened one at a time after the burst and held (a server that accepts slowly completes them once its queue drains); absent when none were taken back',
      ),
    ),
    note: nullable(text('why'), 'why it did not run; null when it ran'),
  },
  'the check for handshakes the server never completed, run once the ramp has held its population',
);

/** A server that closes its oldest idle connections to make room for new ones (nginx's "reusing connections"). */
export const EvictionFindingSchema = closed(
  {
    maxOpen: count('the most connections open at once: the number it holds'),
    evicted: count('held connections the server closed while new connects were held'),
    largestBatch: count('the most held connections closed within one sample tick (nginx closes up to 32 per accept)'),
    firstAtMs: figure('when the first held connection was evicted, in ms since the start'),
  },
  "a server that closes its oldest idle connections to make room for new ones (nginx's \"reusing connections\")",
);

/** Why the confirmation stage did not run, or did not run to its end. */
export const ConfirmationStopSchema = Type.Enum(['not-a-found-limit', 'does-not-fit', 'out-of-time', 'interrupted'], {
  description:
    "why the confirmation did not run ('not-a-found-limit': the verdict was no limit-by-failure or limit-by-plateau; " +
    "'does-not-fit': its expected time was more than --max-duration left) or stopped before its end ('out-of-time', 'interrupted')",
});

/** The confirmation stage (--confirm): the found count opened again from nothing at a slow rate, held, and one more. */
export const ConfirmationSchema = closed(
  {
    ran: flag('true when it started: every connection closed, the cool-down waited, the found count opened again'),
    stoppedBy: nullable(ConfirmationStopSchema, 'why it did not run or did not finish; null: it ran to its end'),
    confirmed: flag('true when all the asked connections held through the hold and one more failed'),
    asked: count('connections asked for again: the count the search found (maxConcurrency)'),
    held: nullable(count('connections'), 'held at the end of the hold, opened at the slow rate; null: it did not get that far'),
    oneMore: nullable(
      closed(
        {
          failed: flag('true when the connection beyond the found count failed (or one held before it was closed)'),
          failureClass: nullable(FailureClassSchema, 'the class of that failure; null: it did not fail'),
        },
        'the connection asked for beyond the found count',
      ),
      'the connection beyond the found count; null: not tried (fewer held than asked, or the stage stopped first)',
    ),
    ratePerSec: figure('the slow steady rate the found count was opened at, in connections/s'),
    coolDownMs: wholeMs('the wait after closing every connection, before opening again, in ms'),
    holdMs: wholeMs('how long the found count was held before one more was tried, in ms (--hold)'),
    neededMs: wholeMs('the time the stage was expected to take, in ms: what must be left of --max-duration for it to run'),
    durationMs: wholeMs('the time it took, in ms (0: it did not run)'),
  },
  'the confirmation stage (--confirm): after the search, every connection closed, the found count opened again at a slow rate and held, then one more',
);

export const AssertionOutcomeSchema = closed(
  {
    name: Type.Enum(['established-within', 'held', 'capacity'], {
      description: 'the assertion: hold --assert-established/--within, hold --assert-held, or ramp --assert-capacity',
    }),
    passed: flag('true when it held'),
    expected: text('what was asserted, in words'),
    actual: text('what happened, in words'),
  },
  'one assertion of the run and its outcome',
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

export { EngineNameSchema };
