/**
 * The versioned result document: what `--json` prints, `--out` writes, `compare` reads and history stores.
 * Bump RESULT_SCHEMA_VERSION on any change that a reader of an older document would misread; additions of
 * optional fields do not need a bump.
 */
import type { FailureClass } from '../types/failure-class.js';
import type { FailureRecord, PoolCounters } from '../types/pool-counters.js';
import type { LatencySummaryMs } from './histogram.js';

export const RESULT_SCHEMA = 'tcpprobe/result' as const;
export const RESULT_SCHEMA_VERSION = 1 as const;

/** Why a ramp ended, and so what its number means. */
export type RampVerdictKind =
  | 'limit-by-failure' // failures at the edge that persisted at a low rate: the server's concurrency limit
  | 'limit-by-plateau' // held count stopped growing while attempts went on
  | 'max-reached' // --max reached without failure: the server holds at least that many
  | 'timed-out' // --max-duration ran out first: the server holds at least the max
  | 'unreachable' // not one connection could be established
  | 'rejected' // the server accepted connections but closed or rejected every one, from the first: no capacity
  | 'evicting' // the server closes old idle connections to take new ones: the max is the most open at once
  | 'client-limited' // this machine ran out first (fds, ports, memory): a lower bound, not the server's number
  | 'interrupted'; // SIGINT/SIGTERM

export type HoldVerdictKind =
  | 'held' // held for --duration
  | 'all-closed' // no --duration: the server closed every connection
  | 'timed-out' // --max-duration ran out
  | 'unreachable'
  | 'client-limited'
  | 'interrupted';

export interface Verdict<K extends string = string> {
  kind: K;
  /** One sentence for people: the number and what it means. */
  summary: string;
  /** True when the number is only a lower bound of the server's capacity. */
  lowerBound: boolean;
  /** For client-limited: which limit and how to lift it. */
  clientLimit: { class: FailureClass; advice: string } | null;
}

/** One sample of the run, every `sampleIntervalMs`. Counts are cumulative except held/established/connecting. */
export interface TimelineSample {
  tMs: number;
  attempted: number;
  held: number;
  established: number;
  connecting: number;
  failed: number;
}

export interface FailureSummary {
  class: FailureClass;
  count: number;
  /** The first failure of this class. */
  first: FailureRecord;
}

export interface TargetInfo {
  host: string;
  port: number;
  /** Every address the host resolved to. */
  resolved: string[];
  /** The addresses used: one when pinned, all with --spread-addresses. */
  used: string[];
  addressMode: 'pinned' | 'spread';
  tls: boolean;
}

/** A rate limit found while ramping: failures that stopped when the rate dropped. */
export interface RateFinding {
  /** The rate (connections/s) at which failures appeared. */
  failedAtPerSec: number;
  /** The rate the ramp went on at. */
  continuedAtPerSec: number;
  heldAtMs: number;
  failureClass: FailureClass;
}

/** The socket layer that ran: the native core or Node's net/tls. */
export interface EngineRecord {
  name: 'native' | 'js';
  /** Why the JS engine ran (TLS, asked for, or the native core did not load); null for native. */
  why: string | null;
}

interface ResultBase {
  schema: typeof RESULT_SCHEMA;
  schemaVersion: typeof RESULT_SCHEMA_VERSION;
  tool: { name: 'tcpprobe'; version: string };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  target: TargetInfo;
  /** The peak of held connections: the discovered maximum concurrency. */
  maxConcurrency: number;
  firstFailure: FailureRecord | null;
  failures: FailureSummary[];
  connectLatencyMs: LatencySummaryMs;
  tlsHandshakeMs: LatencySummaryMs | null;
  /** Encoded HdrHistograms (microseconds), for exact merging and comparison. */
  histograms: { connectUs: string; tlsHandshakeUs: string | null };
  counters: PoolCounters;
  timeline: TimelineSample[];
  sampleIntervalMs: number;
  /** Source addresses the connections were bound to (empty: chosen by the kernel). */
  sourceAddresses: string[];
  /** Processes (workers) or agents that held connections; absent for a single process. */
  participants?: ParticipantSummary[];
  /** The socket layer; absent in results written before it was recorded. */
  engine?: EngineRecord;
}

export interface ParticipantSummary {
  name: string;
  maxHeld: number;
  counters: PoolCounters;
  clientLimit: FailureClass | null;
  lostAtMs: number | null;
}

export interface RampResult extends ResultBase {
  kind: 'ramp';
  verdict: Verdict<RampVerdictKind>;
  heldAtFirstFailure: number | null;
  rate: {
    /** Connections per second asked for at the start. */
    requestedPerSec: number;
    /** Connects actually started per second during the ramp phase. */
    achievedPerSec: number;
    /** The highest rate absorbed without any failure, connections/s. */
    absorbedPerSec: number;
    rateLimits: RateFinding[];
    /** Present (true) when the adaptive default chose the rate: see `schedule` for each stage and why. */
    adaptive?: boolean;
    /** Adaptive: the highest rate the schedule asked for. */
    highestRequestedPerSec?: number;
  };
  /** The schedule as run: phases with their rate or step. */
  schedule: ScheduleRecord[];
  /** Milliseconds from start until the maximum was first reached. */
  timeToMaxMs: number | null;
  /** Present when the server evicted idle connections instead of refusing new ones (verdict 'evicting'). */
  eviction?: EvictionFinding;
  /** Held connections the server closed, told apart from failed new connects (absent: none, reconnect off). */
  heldCloses?: HeldCloses;
  /** Handshakes the server never completed, taken out of the count (absent when the ramp held nothing). */
  handshakeAudit?: HandshakeAudit;
  /** When and why this run added source addresses or processes (absent when it used the kernel's and one). */
  resources?: ResourceChange[];
  /** The regression gate's inputs and outcome (absent without --baseline). */
  gate?: GateRecord;
  /** Present when `tcpprobe audit` ran this: which target of the audit file, and its floor. */
  audit?: AuditTargetRecord;
}

/** The audit file's target a result belongs to: its history series is its name, not its host:port. */
export interface AuditTargetRecord {
  /** The target's `name` in the audit file. */
  name: string;
  /** Its labels (defaults merged with its own), as written to the OpenMetrics textfile. */
  labels: Record<string, string>;
  /** The settings it ran with, as written in the file (an inline `send` is shown by its length only). */
  settings: Record<string, string | number | boolean>;
  /** `minConnections`, or null. */
  minConnections: number | null;
  /** True when the max was below minConnections. */
  belowMinimum: boolean;
}

/** What `ramp --baseline ...` compared this run with, and what it decided. */
export interface GateRecord {
  /** "file": --baseline FILE (pinned); "history": the best of the recent passing runs of this target. */
  baselineSource: 'file' | 'history';
  /** The baseline file or the history file. */
  path: string;
  /** History only: at most this many recent passing runs were looked at (--baseline-runs); null for a file. */
  window: number | null;
  /** History only: how many were found (0 to window); null for a file. */
  consideredRuns: number | null;
  /** The run compared with; null when none was found. */
  baseline: { maxConcurrency: number; verdict: RampVerdictKind; startedAt: string } | null;
  /** --max-regression as a share (0.1 = 10%); null: the change is reported, never gated. */
  allowedDropShare: number | null;
  /** (baseline - this max) / baseline: negative when the max went up; null when not compared. */
  dropShare: number | null;
  /**
   * pass: within the allowed drop; regression: exit 7, and this run never becomes a baseline; not-compared: one
   * side is not a measurement; no-baseline: --baseline last found no passing run of this target.
   */
  outcome: 'pass' | 'regression' | 'not-compared' | 'no-baseline';
  /** The line printed about it. */
  message: string;
}

/** Held connections the server closed during a ramp, and (with --reconnect) what replaced them. */
export interface HeldCloses {
  /** Held connections the server closed or reset. */
  closed: number;
  /** Failures that were not closes of held connections: connects that failed, connections closed before held. */
  failedNewConnects: number;
  reconnect: boolean;
  /** Replacements started for closed connections (--reconnect). */
  replacements: number;
  /** Of those, replacements that became held. */
  replacementsHeld: number;
  /** Closes of held connections during the hold. */
  duringHold: number;
  /** Held on average over the hold (its samples). */
  sustained: number;
  /** Held at the end of the hold. */
  heldAtEnd: number;
  /** Closes of held connections per second during the hold. */
  churnPerSec: number;
}

/** A source address or a worker process added during the run, as the held count grew. */
export interface ResourceChange {
  atMs: number;
  kind: 'source-address' | 'process';
  /** The source address, or the process name. */
  name: string;
  /** Connections asked for when it was added. */
  atConnections: number;
  reason: string;
}

export interface ScheduleRecord {
  fromMs: number;
  toMs: number | null;
  description: string;
  /** The stage's rate in connections per second (rate stages). */
  ratePerSec?: number;
  /** Adaptive schedules: why this stage began. */
  reason?: ScheduleChangeReason;
}

/**
 * Why an adaptive schedule changed its rate (src/controller/adaptive-plan.ts decides; reporters word them).
 * 'resume': going on after a pause to check for eviction.
 */
export type ScheduleChangeReason =
  | 'start'
  | 'all-held'
  | 'quiet'
  | 'held-lags'
  | 'latency-rose'
  | 'opener-full'
  | 'rate-limit'
  | 'resume';

export interface HoldResult extends ResultBase {
  kind: 'hold';
  verdict: Verdict<HoldVerdictKind>;
  requestedConnections: number;
  /** When the requested number was first all established, ms since start; null if never. */
  allEstablishedAtMs: number | null;
  /** Established connections counted within the assertion window, if one was set. */
  establishedWithinMs: { withinMs: number; established: number } | null;
  /** Connections lost (closed or reset by the server) after being established. */
  lostDuringHold: number;
  assertions: AssertionOutcome[];
}

export interface AssertionOutcome {
  name: 'established-within' | 'held';
  passed: boolean;
  expected: string;
  actual: string;
}

/**
 * The check for handshakes the server never completed (src/engine/handshake-audit.ts), run once the ramp has
 * held its population. `ran: false` says why it could not run; nothing is guessed then.
 */
export interface HandshakeAudit {
  ran: boolean;
  /** Held connections looked at. */
  checked: number;
  /** Looked like handshakes the server never completed (more than one segment in, no data). */
  suspects: number;
  /** Confirmed (the server kept retransmitting its SYN-ACK) and taken out of the held count and the peak. */
  neverCompleted: number;
  /** Why it did not run, or null. */
  note: string | null;
}

/** A server that closes its oldest idle connections to make room for new ones (nginx's "reusing connections"). */
export interface EvictionFinding {
  /** The most connections open at once: the number it holds. */
  maxOpen: number;
  /** Held connections the server closed while new connects were held. */
  evicted: number;
  /** The most held connections closed within one sample tick (nginx closes up to 32 per accept). */
  largestBatch: number;
  /** When the first held connection was evicted, ms since start. */
  firstAtMs: number;
}

export type ProbeResult = RampResult | HoldResult;
