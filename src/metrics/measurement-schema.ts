/**
 * What the engine measured, as the result document names it (result-schema.ts): the counters, the timeline's
 * samples, latency summaries and the encoded histograms, each participant's share, and the socket layer that ran.
 *
 * The document declares its own counters: the engine's live counters are mapped onto `ResultCountersSchema` field
 * by field where the result is built (controller/run-context.ts), so a new engine counter is a type error there
 * until the document names it, never a silent change of the schema.
 *
 * Loaded only by the schema build and tests: the CLI imports the types (`import type`), never TypeBox itself.
 */
import { Type, type TInteger, type TOptional } from 'typebox';
import { ALL_FAILURE_CLASSES, type FailureClass } from '../types/failure-class.js';
import { ClientLimitClassSchema } from './failure-schema.js';
import { closed, count, described, figure, nullable, text, wholeMs } from './schema-kit.js';
import { EngineNameSchema } from './settings-schema.js';

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

/** One phase of the run: from when to when it ran (controller/run-context.ts RunRecorder.enter; reporters word them). */
export const PhaseSpanSchema = closed(
  {
    phase: Type.Enum(
      ['opening', 'holding', 'ramp', 'rate-measure', 'low-rate-confirm', 'eviction-measure', 'settle', 'hold', 'handshake-audit', 'reopen', 'confirm'],
      { description: "what the run was doing: a hold's opening and holding, or a ramp's phases" },
    ),
    fromMs: wholeMs('when the phase began, in ms since the run started'),
    toMs: wholeMs('when it ended, in ms since the run started'),
  },
  'one phase of the run, in the order they ran',
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
    heldLostEarly: count(
      'of heldLost: connections the server turned away late: closed within half a second of becoming held, or within 0.2 s of the first bytes the server sent on them (its refusal)',
    ),
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

/** What a participant's processes used of their machine (src/drivers/process-use.ts). */
export const ProcessUseSchema = closed(
  {
    processes: count('the processes counted: the agent (or worker) and the worker processes holding its connections'),
    cpuMs: count('their CPU time (user + system) during the run, in ms'),
    wallMs: wholeMs('the run as the busiest process saw it, in ms (wall time)'),
    busiestCpu: figure('the busiest process: its CPU time over its wall time (1: one core busy throughout)'),
    busiestDemand: nullable(
      figure('a share of a core'),
      "the busiest process's demand for a core: its main thread's time on a CPU plus waiting for one, over its wall time (more than busiestCpu on a machine too loaded to give it a core); null: unknown",
    ),
    startRssBytes: count('resident memory of the processes when they began the run, summed (bytes)'),
    peakRssBytes: count('the highest resident memory of each process, sampled every second, summed (bytes)'),
    peakOpenFds: nullable(count('file descriptors'), 'the most file descriptors open at once, sampled every second, summed; null: unknown (no /proc)'),
  },
  "what a participant's processes used of their machine: CPU, memory, open files",
);

export const ParticipantSummarySchema = closed(
  {
    name: text('the worker process or agent'),
    maxHeld: count('the most connections it held at once'),
    counters: described(ResultCountersSchema, "its engine's totals when the run ended"),
    clientLimit: nullable(
      ClientLimitClassSchema,
      'the limit of its machine it ran into: a client-side failure class, or cpu when a process of it kept a core busy through the run; null: none',
    ),
    lostAtMs: nullable(figure('ms'), 'when it was lost, in ms since the start; null: it stayed to the end'),
    engine: Type.Optional(
      described(EngineNameSchema, "the socket layer its pools ran on (each agent chooses its own); absent if it did not say"),
    ),
    share: Type.Optional(
      figure("its share of the connections the run asked for (0 to 1): what the controller gave it, against which its max held reads"),
    ),
    startLagMs: Type.Optional(
      nullable(
        wholeMs('ms'),
        "from the controller's first ask to it until a report showed it applied, in ms on the controller's clock (within the 50 ms report interval); the spread over participants is the start drift; null: it never applied one",
      ),
    ),
    use: Type.Optional(described(ProcessUseSchema, 'what its processes used of their machine; absent: it did not say (an older agent)')),
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
