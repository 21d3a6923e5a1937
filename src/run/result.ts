/**
 * The one author of the result document: from an executor's findings (data), the driver's figures and the run's
 * target, in the field order readers of `--json` know. The sentences come from reporters/verdict-text.ts; the
 * exit code and `passed` from metrics/exit-codes.ts.
 */
import { histogramsOnRead, summarizeLatency } from '../metrics/histogram.js';
import { RESULT_SCHEMA, RESULT_SCHEMA_VERSION, type AuditTargetRecord, type EngineRecord, type GateRecord, type HoldResult, type HoldRunSettings, type ParticipantSummary, type RampResult, type RampRunSettings, type TargetInfo } from '../metrics/result.js';
import { resultCounters, resultFailure, summarizeFailures } from '../metrics/result-mapping.js';
import { withExitCode } from '../metrics/exit-codes.js';
import type { DriverParticipant, ProbeDriver } from '../controller/driver.js';
import type { RunOutcome } from '../controller/run-context.js';
import type { RampFindings } from '../controller/ramp.js';
import type { HoldFindings } from '../controller/hold.js';
import { holdAssertion, holdVerdict, rampAssertion, rampVerdict } from '../reporters/verdict-text.js';
import { TOOL_VERSION } from '../version.js';

/** What the result reads besides the findings: where the run was aimed, with what, and the driver that ran it. */
export interface RunFacts<S> {
  target: TargetInfo;
  /** The socket layer the run's pools used (absent: not recorded, as for a fleet, whose agents choose). */
  engine?: EngineRecord;
  driver: ProbeDriver;
  /** The settings the run was made with (absent: not recorded). */
  settings?: S;
  /** The signal that stopped the run (SIGTERM: exit 143), if one did. */
  stopSignal?: () => string | null;
}

/** The part of every result that does not depend on the mode. */
function resultBase(outcome: RunOutcome, maxConcurrency: number, facts: RunFacts<unknown>) {
  const { record, counters, firstFailures } = outcome;
  const { driver } = facts;
  const first = firstFailures[0];
  const connect = driver.connectLatency();
  const tls = driver.tlsLatency();
  const participants = driver.participants();
  return {
    schema: RESULT_SCHEMA,
    schemaVersion: RESULT_SCHEMA_VERSION,
    tool: { name: 'tcpprobe' as const, version: TOOL_VERSION },
    startedAt: record.startedAt.toISOString(),
    finishedAt: record.finishedAt.toISOString(),
    durationMs: record.durationMs,
    target: facts.target,
    maxConcurrency,
    firstFailure: first === undefined ? null : resultFailure(first),
    failures: summarizeFailures(counters, firstFailures),
    connectLatencyMs: summarizeLatency(connect),
    tlsHandshakeMs: tls === null ? null : summarizeLatency(tls),
    histograms: histogramsOnRead(connect, tls),
    counters: resultCounters(counters),
    timeline: record.timeline,
    sampleIntervalMs: record.sampleIntervalMs,
    phases: record.phases,
    startedAfterMs: record.startedAfterMs,
    sourceAddresses: driver.resources().sourceAddresses,
    ...(participants.length > 0 ? { participants: participantSummaries(participants) } : {}),
    ...(facts.engine === undefined ? {} : { engine: facts.engine }),
  };
}

/** The participants as the result lists them: each one's share of the connections asked, from their counters. */
export function participantSummaries(participants: readonly DriverParticipant[]): ParticipantSummary[] {
  const asked = participants.reduce((sum, p) => sum + p.counters.requested, 0);
  return participants.map((p) => ({
    ...p,
    counters: resultCounters(p.counters),
    share: asked === 0 ? 0 : Math.round((p.counters.requested / asked) * 1000) / 1000,
  }));
}

/** A result as the run core returns it: its exit code and `passed` always set. */
export type JudgedResult<T> = T & { exitCode: number; passed: boolean };

/** What judges a ramp's result besides its verdict: each reads the document as it stands. */
export interface RampJudging {
  /** The audit file's target the run belongs to, with its floor judged. */
  audit?: (r: RampResult) => AuditTargetRecord;
  /** The regression gate against a baseline (null: no baseline asked for). */
  gate?: (r: RampResult) => GateRecord | null;
}

/** A ramp's result document, judged by `judging` and by the signal that stopped the run, if one did. */
export function rampResult(f: RampFindings, facts: RunFacts<RampRunSettings>, judging: RampJudging = {}): JudgedResult<RampResult> {
  const found = rampFindingsDocument(f, facts);
  const audit = judging.audit?.(found);
  const placed = audit === undefined ? found : { ...found, audit };
  const gate = judging.gate?.(placed) ?? null;
  return withExitCode(gate === null ? placed : { ...placed, gate }, facts.stopSignal?.() ?? null);
}

function rampFindingsDocument(f: RampFindings, facts: RunFacts<RampRunSettings>): RampResult {
  const changes = facts.driver.resources().changes;
  return withExitCode({
    ...resultBase(f, f.maxConcurrency, facts),
    kind: 'ramp',
    verdict: rampVerdict(f.stop),
    heldAtFirstFailure: f.heldAtFirstFailure,
    rate: f.rate,
    schedule: f.schedule,
    timeToMaxMs: f.timeToMaxMs,
    ...(f.eviction === undefined ? {} : { eviction: f.eviction }),
    ...(f.confirmation === undefined ? {} : { confirmation: f.confirmation }),
    ...(f.heldCloses === undefined ? {} : { heldCloses: f.heldCloses }),
    ...(f.handshakeAudit === undefined ? {} : { handshakeAudit: f.handshakeAudit }),
    ...(facts.settings === undefined ? {} : { settings: facts.settings }),
    assertions: f.assertions.map(rampAssertion),
    ...(changes.length === 0 ? {} : { resources: changes }),
  });
}

/** A hold's result document. */
export function holdResult(f: HoldFindings, facts: RunFacts<HoldRunSettings>): JudgedResult<HoldResult> {
  return withExitCode({
    ...resultBase(f, f.counters.peakHeld, facts),
    kind: 'hold',
    verdict: holdVerdict(f.stop),
    requestedConnections: f.requestedConnections,
    allEstablishedAtMs: f.allEstablishedAtMs,
    establishedWithinMs: f.establishedWithinMs,
    lostDuringHold: f.lostDuringHold,
    assertions: f.assertions.map(holdAssertion),
    ...(facts.settings === undefined ? {} : { settings: facts.settings }),
  }, facts.stopSignal?.() ?? null);
}
