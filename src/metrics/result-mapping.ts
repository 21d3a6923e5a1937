/**
 * The engine's counters and failures as the result document names them, field by field: the document declares
 * its own (result-schema.ts), so a counter the engine adds appears in results only once the schema names it. Pure.
 */
import type { FailureRecord, PoolCounters } from '../types/pool-counters.js';
import type { FailureClass } from '../types/failure-class.js';
import type { FailureSummary, ResultCounters, ResultFailureRecord } from './result.js';

/**
 * Failures by class, each with its first example, most frequent first. `firstFailures`: the driver's as they were
 * when `counters` were read (a later stage may have added classes since).
 */
export function summarizeFailures(counters: PoolCounters, firstFailures: readonly FailureRecord[]): FailureSummary[] {
  const firsts = new Map(firstFailures.map((f) => [f.class, f]));
  const out: FailureSummary[] = [];
  for (const [cls, count] of Object.entries(counters.failuresByClass) as [FailureClass, number][]) {
    const first = firsts.get(cls);
    if (count > 0 && first !== undefined) out.push({ class: cls, count, first: resultFailure(first) });
  }
  return out.sort((a, b) => b.count - a.count || a.first.atMs - b.first.atMs);
}

/** The engine's counters as the result document names them. */
export function resultCounters(c: PoolCounters): ResultCounters {
  return {
    requested: c.requested,
    attempted: c.attempted,
    queued: c.queued,
    connecting: c.connecting,
    established: c.established,
    held: c.held,
    peakHeld: c.peakHeld,
    everHeld: c.everHeld,
    connected: c.connected,
    lost: c.lost,
    heldLost: c.heldLost,
    heldLostSincePause: c.heldLostSincePause,
    heldLostEarly: c.heldLostEarly,
    servedThenClosed: c.servedThenClosed,
    neverCompleted: c.neverCompleted,
    tlsUnproven: c.tlsUnproven,
    synRetransmitted: c.synRetransmitted,
    failed: c.failed,
    reconnects: c.reconnects,
    replacementsHeld: c.replacementsHeld,
    failuresByClass: { ...c.failuresByClass },
  };
}

/**
 * A type error names any engine counter the mapping above does not carry: add it to ResultCountersSchema (an
 * optional addition to the document) and to resultCounters, or say here why the document leaves it out.
 */
type UnmappedEngineCounter = Exclude<keyof PoolCounters, keyof ResultCounters | LeftOut>;
/** The connect-time totals are for the ramp's windows: the document's `connectLatencyMs` has their count and mean. */
type LeftOut = 'connectsTimed' | 'connectTimeSumUs';
const everyEngineCounterMapped: [UnmappedEngineCounter] extends [never] ? true : UnmappedEngineCounter = true;
void everyEngineCounterMapped;

/** An engine failure as the result document names it, field by field (like resultCounters). */
export function resultFailure(f: FailureRecord): ResultFailureRecord {
  return {
    class: f.class,
    code: f.code,
    message: f.message,
    phase: f.phase,
    atMs: f.atMs,
    afterConnectMs: f.afterConnectMs,
    serverSaid: f.serverSaid,
    connId: f.connId,
    sourceAddress: f.sourceAddress,
  };
}

type UnmappedFailureField = Exclude<keyof FailureRecord, keyof ResultFailureRecord>;
const everyFailureFieldMapped: [UnmappedFailureField] extends [never] ? true : UnmappedFailureField = true;
void everyFailureFieldMapped;

