/**
 * The `tcpprobe/doctor` document (`tcpprobe doctor --json`) as a JSON Schema (TypeBox): cli/doctor-command.ts
 * derives its type from it and `npm run build` publishes it as schema/doctor.schema.json. JSON has no Infinity:
 * an unlimited open-files limit is "unlimited", and a machine whose limits could not be read has a null
 * `maxConnections` (with `limitedBy: null`). Loaded only by the schema build and tests.
 */
import { Type } from 'typebox';
import { closed, EngineRecordSchema, nullable, TargetInfoSchema } from '../metrics/result-schema.js';

const Count = Type.Integer({ minimum: 0 });
const CountOrUnlimited = nullable(Type.Union([Count, Type.Literal('unlimited')]));

export const FindingIdSchema = Type.Enum([
  'fd-limit', // open files per process
  'ports', // ephemeral ports per source address (and destination, when unbound)
  'conntrack', // the netfilter connection-tracking table
  'file-max', // open files for the whole machine
  'slow-zone', // connect() slows sharply long before the port range runs out
  'tw-reuse', // whether ports in TIME_WAIT can be reused by new connects
  'time-wait', // sockets in TIME_WAIT now, each holding a port
  'somaxconn', // accept-queue cap of a server on this machine
]);

/** What the kernel lets this process and machine hold (src/preflight/system-limits.ts); null: could not be read. */
export const DoctorLimitsSchema = closed({
  /** Soft open-files limit of this process (fds); "unlimited" when there is none. Node raises it to the hard one. */
  openFilesSoft: CountOrUnlimited,
  /** Hard open-files limit of this process (fds); only root can raise it, up to `nrOpen`. */
  openFilesHard: CountOrUnlimited,
  /** fs.nr_open: the most any process's open-files limit can be raised to (fds). */
  nrOpen: nullable(Count),
  /** fs.file-max: open files for the whole machine (fds). */
  fileMax: nullable(Count),
  /** First field of fs.file-nr: file handles allocated machine-wide right now. */
  filesAllocated: nullable(Count),
  /** net.ipv4.ip_local_port_range: ports the kernel picks from for outgoing connections (this namespace). */
  localPortRange: nullable(closed({ low: Count, high: Count })),
  /** Ports of `localPortRange` held back by net.ipv4.ip_local_reserved_ports; null if unknown. */
  reservedPortsInRange: nullable(Count),
  /** net.ipv4.tcp_tw_reuse: 0 off, 1 on, 2 loopback only. */
  tcpTwReuse: nullable(Count),
  /** net.core.somaxconn: cap on any listener's accept queue (connections). */
  somaxconn: nullable(Count),
  /** net.ipv4.tcp_max_syn_backlog: half-open connections a listener may queue. */
  tcpMaxSynBacklog: nullable(Count),
  /** nf_conntrack_max: connection-tracking table size (entries); null when conntrack is not loaded. */
  conntrackMax: nullable(Count),
  /** nf_conntrack_count: entries in use now; null when conntrack is not loaded. */
  conntrackCount: nullable(Count),
  /** TCP sockets in TIME_WAIT in this network namespace now (/proc/net/sockstat); each holds a port for 60 s. */
  timeWaitSockets: nullable(Count),
  /** File descriptors this process has open now. */
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
    /** The socket layer a run without --engine would use here (TCP; TLS runs on js), and why js. */
    engine: EngineRecordSchema,
  },
  "the document of tcpprobe doctor --json: this machine's limits and how far they reach",
);
