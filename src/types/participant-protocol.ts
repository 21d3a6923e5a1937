/**
 * The messages between a controller and the participants that hold connections for it: worker processes on this
 * machine (over IPC) and agents on other machines (over Redis) speak the same small, explicit protocol.
 * Commands carry a sequence number so the controller knows which of its asks a telemetry report already includes.
 */
import type { PoolConfig, EngineName } from './pool-config.js';
import type { FailureRecord, PoolCounters } from './pool-counters.js';

export type ParticipantCommand =
  | { kind: 'open'; seq: number; count: number }
  | { kind: 'drop-queued'; seq: number }
  | { kind: 'pause-reconnects'; seq: number; paused: boolean }
  | { kind: 'stop-opening'; seq: number }
  /** Close every open connection (RST, no failure counted) and go on: the ramp's confirmation stage. */
  | { kind: 'release'; seq: number }
  /** Run the handshake audit on this participant's held connections, waiting at most `maxWaitMs` (ms). */
  | { kind: 'audit-handshakes'; seq: number; maxWaitMs: number }
  | { kind: 'close'; seq: number };

/** What a participant reports, every TELEMETRY_INTERVAL_MS and once more, final, after closing. */
export interface TelemetryReport {
  kind: 'telemetry';
  name: string;
  /** The highest command seq applied before these counters were read. */
  appliedSeq: number;
  counters: PoolCounters;
  /** First failure of each class, as seen by this participant. */
  firstFailures: FailureRecord[];
  /** Encoded connect/TLS latency histograms (microseconds); sent every HISTOGRAM_INTERVAL_MS and when final. */
  connectUs: string | null;
  tlsUs: string | null;
  /** The open-files limit the participant runs under (so the controller can blame the right machine). */
  fdLimit: number | null;
  /** The socket layer its pools run on (an agent chooses its own); absent from an agent older than this field. */
  engine?: EngineName;
  /**
   * What its processes used so far (it and the worker processes holding its connections); sent with the
   * histograms. Absent from a participant older than this field: unknown, never zero.
   */
  use?: ProcessUse;
  final: boolean;
}

/** The machine resources a participant's processes used: what tells whether the load side was the bottleneck. */
export interface ProcessUse {
  /** Processes counted (the participant and its workers). */
  processes: number;
  /** CPU time (user + system) of all of them since they began this run, in ms. */
  cpuMs: number;
  /** Wall time the busiest process has run, in ms: `cpuMs` of one process over this is its share of a core. */
  wallMs: number;
  /** The busiest single process's CPU time over its wall time: 1 is one core kept busy throughout. */
  busiestCpu: number;
  /**
   * The busiest process's demand for a core: its main thread's time on a CPU plus its time runnable but waiting
   * for one, over its wall time (1: it wanted a core throughout). On a machine too loaded to give it a whole core
   * this exceeds `busiestCpu`. Null: unknown (no /proc/self/schedstat).
   */
  busiestDemand: number | null;
  /** Resident memory of each process when it began this run, summed, in bytes. */
  startRssBytes: number;
  /** The highest resident memory of each process (sampled), summed, in bytes: less the start, what the connections cost. */
  peakRssBytes: number;
  /** The most file descriptors open at once (sampled), summed over the processes; null where /proc cannot tell. */
  peakOpenFds: number | null;
}

/** A participant that cannot run reports why (e.g. an agent refusing a target not on its allowlist). */
export interface ParticipantFailure {
  kind: 'failure';
  name: string;
  reason: string;
}

/**
 * What the handshake audit found among one participant's held connections (the result's `handshakeAudit` has this
 * shape). Sent once per `audit-handshakes` command, right after a telemetry report whose counters already have the
 * connections it took back out of `held`.
 */
export interface HandshakeAuditFindings {
  ran: boolean;
  checked: number;
  suspects: number;
  neverCompleted: number;
  note: string | null;
}

export interface HandshakeAuditReport {
  kind: 'handshake-audit';
  name: string;
  /** The seq of the `audit-handshakes` command this answers. */
  seq: number;
  audit: HandshakeAuditFindings;
}

export type ParticipantMessage = TelemetryReport | ParticipantFailure | HandshakeAuditReport;

/** Sent to a worker process once, before any command. */
export interface WorkerStart {
  kind: 'start';
  name: string;
  engine: PoolConfig;
}

export const TELEMETRY_INTERVAL_MS = 50;
export const HISTOGRAM_INTERVAL_MS = 1000;
