/**
 * The `tcpprobe/doctor` document (`tcpprobe doctor --json`) as a JSON Schema (TypeBox): cli/doctor-command.ts
 * derives its type from it and `npm run build` publishes it as schema/doctor.schema.json. JSON has no Infinity:
 * an unlimited open-files limit is "unlimited", and a machine whose limits could not be read has a null
 * `maxConnections` (with `limitedBy: null`). Loaded only by the schema build and tests.
 */
import { Type } from 'typebox';
import { closed, nullable, TargetInfoSchema } from '../metrics/result-schema.js';

const Count = Type.Integer({ minimum: 0 });
const CountOrUnlimited = nullable(Type.Union([Count, Type.Literal('unlimited')]));

export const FindingIdSchema = Type.Enum(['fd-limit', 'ports', 'conntrack', 'file-max', 'slow-zone', 'tw-reuse', 'time-wait', 'somaxconn']);

/** What the kernel lets this process and machine hold (src/preflight/system-limits.ts); null: could not be read. */
export const DoctorLimitsSchema = closed({
  openFilesSoft: CountOrUnlimited,
  openFilesHard: CountOrUnlimited,
  nrOpen: nullable(Count),
  fileMax: nullable(Count),
  filesAllocated: nullable(Count),
  localPortRange: nullable(closed({ low: Count, high: Count })),
  reservedPortsInRange: nullable(Count),
  tcpTwReuse: nullable(Count),
  somaxconn: nullable(Count),
  tcpMaxSynBacklog: nullable(Count),
  conntrackMax: nullable(Count),
  conntrackCount: nullable(Count),
  timeWaitSockets: nullable(Count),
  openFds: nullable(Count),
});

export const FindingSchema = closed({
  id: FindingIdSchema,
  /** Short label, e.g. "open files". */
  title: Type.String(),
  /** What was measured, in words and numbers. */
  value: Type.String(),
  /** Connections this limit allows on this machine (all processes together); null when it is not a cap. */
  reach: nullable(Count),
  /** ok: fine for this plan; info: worth knowing; warn: skews the measurement; limit: the plan cannot be reached. */
  severity: Type.Enum(['ok', 'info', 'warn', 'limit']),
  /** How to lift or avoid it; null when there is nothing to do. */
  advice: nullable(Type.String()),
});

export const DoctorDocumentSchema = closed(
  {
    /** "tcpprobe/doctor": names this document and its schema file (schema/doctor.schema.json). */
    schema: Type.Literal('tcpprobe/doctor'),
    schemaVersion: Type.Literal(1),
    limits: DoctorLimitsSchema,
    assessment: closed({
      /** Most connections this machine can hold to these targets; null when no limit could be read. */
      maxConnections: nullable(Count),
      /** Id of the binding finding (smallest reach); null when no limit could be read. */
      limitedBy: nullable(FindingIdSchema),
      plannedConnections: Count,
      targets: Type.Array(closed({ address: Type.String(), port: Count })),
      /** Every finding, caps first, in a fixed order. */
      findings: Type.Array(FindingSchema),
    }),
    /** The resolved target; null without --port. */
    target: nullable(TargetInfoSchema),
    /** Source addresses a run would bind (empty: the kernel chooses), and why. */
    sources: closed({ addresses: Type.Array(Type.String()), reason: Type.String() }),
    workers: Type.Integer({ minimum: 1 }),
    /** Connections the assessment was made for, and whether the user gave that number. */
    connections: closed({ planned: Count, given: Type.Boolean() }),
  },
  "the document of tcpprobe doctor --json: this machine's limits and how far they reach",
);
