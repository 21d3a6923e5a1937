/**
 * The versioned result document: what `--json` prints, `--out` writes, `compare` reads and history stores.
 * Its shape is defined once, as a JSON Schema in result-schema.ts and the parts it is built from (failure-schema.ts,
 * verdict-schema.ts, measurement-schema.ts, ramp-findings-schema.ts, gate-schema.ts, settings-schema.ts); the types
 * here are derived from it (Static<>), and `npm run build` publishes it as schema/result.schema.json.
 * Bump RESULT_SCHEMA_VERSION on any change that a reader of an older document would misread; additions of
 * optional fields do not need a bump.
 */
import type { Static } from 'typebox';
import type { FailureRecordSchema, FailureSummarySchema } from './failure-schema.js';
import type { GateRecordSchema } from './gate-schema.js';
import type { EngineRecordSchema, ParticipantSummarySchema, PhaseSpanSchema, ResultCountersSchema, TimelineSampleSchema } from './measurement-schema.js';
import type {
  ConfirmationSchema,
  ConfirmationStopSchema,
  EvictionFindingSchema,
  HandshakeAuditSchema,
  HeldClosesSchema,
  NewConnectionLimitSchema,
  RateFindingSchema,
  ResourceChangeSchema,
  ScheduleChangeReasonSchema,
  ScheduleRecordSchema,
} from './ramp-findings-schema.js';
import type { AuditTargetRecordSchema, HoldResultSchema, RampResultSchema, TargetInfoSchema } from './result-schema.js';
import type { AssertionOutcomeSchema, HoldVerdictKindSchema, RampVerdictKindSchema, RampVerdictSchema } from './verdict-schema.js';
import type { HoldRunSettingsSchema, RampRunSettingsSchema } from './settings-schema.js';

export const RESULT_SCHEMA = 'tcpprobe/result' as const;
export const RESULT_SCHEMA_VERSION = 1 as const;

/** Why a ramp ended, and so what its number means (the kinds are listed with their meaning in verdict-schema.ts). */
export type RampVerdictKind = Static<typeof RampVerdictKindSchema>;
export type HoldVerdictKind = Static<typeof HoldVerdictKindSchema>;

export type Verdict<K extends string = string> = Omit<Static<typeof RampVerdictSchema>, 'kind'> & { kind: K };

/** One sample of the run, every `sampleIntervalMs`. Counts are cumulative except held/established/connecting. */
export type TimelineSample = Static<typeof TimelineSampleSchema>;
export type PhaseSpan = Static<typeof PhaseSpanSchema>;
export type RunPhase = PhaseSpan['phase'];
/** One failure, as the document reports the first of each class. */
export type ResultFailureRecord = Static<typeof FailureRecordSchema>;
export type FailureSummary = Static<typeof FailureSummarySchema>;
/** The counters the document reports (mapped from the engine's by `resultCounters`, metrics/result-mapping.ts). */
export type ResultCounters = Static<typeof ResultCountersSchema>;
export type TargetInfo = Static<typeof TargetInfoSchema>;
/** A rate limit found while ramping: failures that stopped when the rate dropped. */
export type RateFinding = Static<typeof RateFindingSchema>;
/** A new-connection rate limit, measured (controller/rate-phase.ts). */
export type NewConnectionLimit = Static<typeof NewConnectionLimitSchema>;
export type ParticipantSummary = Static<typeof ParticipantSummarySchema>;
/** The socket layer that ran: the native core or Node's net/tls. */
export type EngineRecord = Static<typeof EngineRecordSchema>;
export type RampResult = Static<typeof RampResultSchema>;
/** The audit file's target a result belongs to: its history series is its name, not its host:port. */
export type AuditTargetRecord = Static<typeof AuditTargetRecordSchema>;
/** What `ramp --baseline ...` compared this run with, and what it decided. */
export type GateRecord = Static<typeof GateRecordSchema>;
/** Held connections the server closed during a ramp, and (with --reconnect) what replaced them. */
export type HeldCloses = Static<typeof HeldClosesSchema>;
/** A source address or a worker process added during the run, as the held count grew. */
export type ResourceChange = Static<typeof ResourceChangeSchema>;
export type ScheduleRecord = Static<typeof ScheduleRecordSchema>;
/** Why an adaptive schedule changed its rate (src/controller/adaptive-plan.ts decides; reporters word them). */
export type ScheduleChangeReason = Static<typeof ScheduleChangeReasonSchema>;
export type HoldResult = Static<typeof HoldResultSchema>;
export type AssertionOutcome = Static<typeof AssertionOutcomeSchema>;
/** The check for handshakes the server never completed (src/engine/handshake-audit.ts). */
export type HandshakeAudit = Static<typeof HandshakeAuditSchema>;
/** A server that closes its oldest idle connections to make room for new ones (nginx's "reusing connections"). */
export type EvictionFinding = Static<typeof EvictionFindingSchema>;
export type Confirmation = Static<typeof ConfirmationSchema>;
export type ConfirmationStop = Static<typeof ConfirmationStopSchema>;

export type ProbeResult = RampResult | HoldResult;

/** The settings a ramp ran with, as its result records them (built from the options by config/run-settings.ts). */
export type RampRunSettings = Static<typeof RampRunSettingsSchema>;
/** The settings a hold ran with, as its result records them. */
export type HoldRunSettings = Static<typeof HoldRunSettingsSchema>;
