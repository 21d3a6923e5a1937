/**
 * Verdicts as data: why a ramp or a hold ended, with the figures that say what its number means. The controller
 * returns these; reporters (src/reporters/verdict-text.ts) word them into the result document's `verdict`.
 */
import { isClientSide, type ClientFailureClass, type FailureClass } from '../types/failure-class.js';
import type { ProcessUse } from '../types/participant-protocol.js';
import type { HoldVerdictKind, RampVerdictKind } from './result.js';

/** A limit of the load side: a client-side failure class, or a process that kept a core busy (`cpu`). */
export type ClientLimit = ClientFailureClass | 'cpu';

/**
 * A participant whose busiest process wanted at least this share of a core over the run (on it, or waiting for
 * it: ProcessUse.busiestDemand; its CPU time where that is unknown) was bound by its CPU: it could not have opened
 * or served its share faster, so what the server seemed to do may be the load side's doing.
 */
export const CPU_BOUND = 0.9;

/**
 * The limit a participant (worker or agent) ran into: its first client-side failure class, else `cpu` when its
 * busiest process wanted a core nearly throughout (CPU_BOUND); null: none, or its use unknown (an older agent).
 */
export function participantClientLimit(failuresByClass: Partial<Record<FailureClass, number>>, use: ProcessUse | undefined): ClientLimit | null {
  for (const [cls, n] of Object.entries(failuresByClass) as [FailureClass, number][]) {
    if (n > 0 && isClientSide(cls)) return cls;
  }
  return use !== undefined && Math.max(use.busiestCpu, use.busiestDemand ?? 0) >= CPU_BOUND ? 'cpu' : null;
}

/** A participant that bound its share, and by what. */
export interface BoundParticipant {
  name: string;
  limit: ClientLimit;
}

/** The failure a verdict names: its class and, when the system gave one, its error code. */
export interface NamedFailure {
  class: FailureClass;
  code: string | null;
}

/** Why a ramp stopped, without its figures (what the stop decision and the phases hand on). */
export type RampStopReason =
  /** Failures at the edge; `confirmed`: they went on at a low rate (else: --until first-failure). */
  | { kind: 'limit-by-failure'; confirmed: boolean }
  | { kind: 'limit-by-plateau' }
  | { kind: 'max-reached' }
  | { kind: 'timed-out' }
  | { kind: 'unreachable' }
  | { kind: 'rejected' }
  | { kind: 'evicting' }
  /** `participants`: in a run over workers or agents, those whose machine bound their share (absent: one process). */
  | { kind: 'client-limited'; limitedBy: ClientLimit; participants?: BoundParticipant[] }
  | { kind: 'interrupted' };

/**
 * Why a ramp stopped and its figures: `connections` is the number the verdict reports (the result's
 * maxConcurrency), `failure` the failure it names (for a limit by failure the one that marks the limit,
 * metrics/limit-class.ts; else the first failure); a plateau also says how long the held count stood still.
 */
export type RampStop = (
  | Exclude<RampStopReason, { kind: 'limit-by-plateau' }>
  | { kind: 'limit-by-plateau'; plateauMs: number }
) & {
  connections: number;
  failure: NamedFailure | null;
};

/** Kinds whose number is only a lower bound of the server's capacity. */
const RAMP_LOWER_BOUND: ReadonlySet<RampVerdictKind> = new Set(['max-reached', 'timed-out', 'client-limited', 'interrupted']);

export function rampIsLowerBound(kind: RampVerdictKind): boolean {
  return RAMP_LOWER_BOUND.has(kind);
}

/** The counts at the end of a hold that its verdict reports. */
export interface HoldFigures {
  /** Connections asked for. */
  connections: number;
  peakHeld: number;
  /** Held at the end. */
  held: number;
  /** Open at the end but not yet held (within --settle). */
  settling: number;
  /** Connections that ever connected. */
  connected: number;
  /** Held, then closed by the server. */
  lost: number;
  /** Connected, then closed by the server before they were held (turned away at its cap). */
  turnedAway: number;
  reconnects: number;
  /** --duration (null: until the server closed them all) and --max-duration. */
  durationMs: number | null;
  maxDurationMs: number;
}

/** Why a hold ended, with its figures. */
export type HoldStop = (
  | { kind: Exclude<HoldVerdictKind, 'client-limited'> }
  | { kind: 'client-limited'; limitedBy: ClientFailureClass }
) &
  HoldFigures;

/** A ramp assertion as data: --assert-capacity N against the connections held (the run's maximum). */
export interface RampAssertionFacts {
  name: 'capacity';
  passed: boolean;
  count: number;
  held: number;
}

/** A hold assertion as data: what was asked and what was seen; reporters word `expected` and `actual`. */
export type HoldAssertionFacts =
  | { name: 'established-within'; passed: boolean; count: number; withinMs: number; established: number }
  | {
      name: 'held';
      passed: boolean;
      connections: number;
      durationMs: number | null;
      lost: number;
      failedToConnect: number;
    };
