/**
 * The `tcpprobe/doctor` document (`tcpprobe doctor --json`) as a JSON Schema (TypeBox): cli/doctor-command.ts
 * derives its type from it and `npm run build` publishes it as schema/doctor.schema.json. JSON has no Infinity:
 * an unlimited open-files limit is "unlimited", and a machine whose limits could not be read has a null
 * `maxConnections` (with `limitedBy: null`). Loaded only by the schema build and tests.
 */
import { Type } from 'typebox';
import { EngineRecordSchema } from '../metrics/measurement-schema.js';
import { TargetInfoSchema } from '../metrics/result-schema.js';
import { closed, count, described, flag, nullable, text } from '../metrics/schema-kit.js';

const CountOrUnlimited = (description: string) =>
  nullable(Type.Union([count('fds'), Type.Literal('unlimited', { description: 'no limit' })], { description: 'fds, or "unlimited"' }), description);

export const FindingIdSchema = Type.Enum(
  [
    'fd-limit', // open files per process
    'ports', // ephemeral ports per source address (and destination, when unbound)
    'conntrack', // the netfilter connection-tracking table
    'file-max', // open files for the whole machine
    'slow-zone', // connect() slows sharply long before the port range runs out
    'tw-reuse', // whether ports in TIME_WAIT can be reused by new connects
    'time-wait', // sockets in TIME_WAIT now, each holding a port
    'somaxconn', // accept-queue cap of a server on this machine
  ],
  {
    description:
      'a limit of this machine: fd-limit (open files per process), ports (ephemeral ports), conntrack (the connection-tracking table), ' +
      'file-max (open files machine-wide), slow-zone (connect() slows before the ports run out), tw-reuse (TIME_WAIT reuse), ' +
      'time-wait (sockets in TIME_WAIT now), somaxconn (accept-queue cap)',
  },
);

/** What the kernel lets this process and machine hold (src/preflight/system-limits.ts); null: could not be read. */
export const DoctorLimitsSchema = closed(
  {
    openFilesSoft: CountOrUnlimited('soft open-files limit of this process, in fds; "unlimited" when there is none; null: could not be read. Node raises it to the hard one'),
    openFilesHard: CountOrUnlimited('hard open-files limit of this process, in fds; only root can raise it, up to nrOpen; null: could not be read'),
    nrOpen: nullable(count('fds'), "fs.nr_open: the most any process's open-files limit can be raised to, in fds; null: could not be read"),
    fileMax: nullable(count('fds'), 'fs.file-max: open files for the whole machine, in fds; null: could not be read'),
    filesAllocated: nullable(count('fds'), 'first field of fs.file-nr: file handles allocated machine-wide right now; null: could not be read'),
    localPortRange: nullable(
      closed({ low: count('the lowest port'), high: count('the highest port') }, 'a port range, both ends included'),
      'net.ipv4.ip_local_port_range: ports the kernel picks from for outgoing connections (this namespace); null: could not be read',
    ),
    reservedPortsInRange: nullable(count('ports'), 'ports of localPortRange held back by net.ipv4.ip_local_reserved_ports; null if unknown'),
    tcpTwReuse: nullable(count('a mode'), 'net.ipv4.tcp_tw_reuse: 0 off, 1 on, 2 loopback only; null: could not be read'),
    somaxconn: nullable(count('connections'), "net.core.somaxconn: cap on any listener's accept queue, in connections; null: could not be read"),
    tcpMaxSynBacklog: nullable(count('connections'), 'net.ipv4.tcp_max_syn_backlog: half-open connections a listener may queue; null: could not be read'),
    conntrackMax: nullable(count('entries'), 'nf_conntrack_max: connection-tracking table size, in entries; null when conntrack is not loaded'),
    conntrackCount: nullable(count('entries'), 'nf_conntrack_count: entries in use now, counted per network namespace (this one); null when conntrack is not loaded'),
    conntrackTracksHere: Type.Optional(
      nullable(
        flag('true when it got an entry'),
        'whether one loopback connection made in this network namespace got a conntrack entry (nf_conntrack_count is ' +
          'per namespace; a namespace with no rule that needs conntrack tracks nothing, and nf_conntrack_max does not ' +
          'bound it); tested only when conntrack is loaded and the count was 0; null: not tested, or the test could not run',
      ),
    ),
    timeWaitSockets: nullable(
      count('sockets'),
      'TCP sockets in TIME_WAIT in this network namespace now (/proc/net/sockstat), each holding a port for 60 s; null: could not be read',
    ),
    openFds: nullable(count('fds'), 'file descriptors this process has open now; null: could not be read'),
  },
  'what the kernel lets this process and machine hold; null: could not be read',
);

export const FindingSchema = closed(
  {
    id: FindingIdSchema,
    title: text('short label, e.g. "open files"'),
    value: text('what was measured, in words and numbers'),
    reach: nullable(count('connections'), 'connections this limit allows on this machine (all processes together); null when it is not a cap'),
    severity: Type.Enum(['ok', 'info', 'warn', 'limit'], {
      description: 'ok: fine for this plan; info: worth knowing; warn: skews the measurement; limit: the plan cannot be reached',
    }),
    advice: nullable(text('advice'), 'how to lift or avoid it; null when there is nothing to do'),
  },
  'one limit of this machine, what it allows, and how to lift it',
);

export const DoctorDocumentSchema = closed(
  {
    schema: Type.Literal('tcpprobe/doctor', { description: 'names this document and its schema file (schema/doctor.schema.json)' }),
    schemaVersion: Type.Literal(1, { description: 'the version of the document\'s shape (docs/schema.md, "Closed objects, and versions")' }),
    limits: DoctorLimitsSchema,
    assessment: closed(
      {
        maxConnections: nullable(count('connections'), 'most connections this machine can hold to these targets; null when no limit could be read'),
        limitedBy: nullable(FindingIdSchema, 'id of the binding finding (smallest reach); null when no limit could be read'),
        next: Type.Optional(
          nullable(
            closed(
              {
                limitedBy: FindingIdSchema,
                connections: count('connections that cap allows (all processes together)'),
                basis: text('what that reach is spread over, e.g. "over 250 source addresses", "over 64 processes", "machine-wide"'),
              },
              'the cap with the next smallest reach',
            ),
            'the resource that would bind once the binding one is lifted, and at what count; null when no other cap could be read',
          ),
        ),
        plannedConnections: count('connections the plan was assessed for'),
        targets: Type.Array(
          closed(
            { address: text('an IP address'), port: count('a TCP port') },
            'one destination address and port',
          ),
          { description: 'the destinations the assessment counts ports for' },
        ),
        findings: Type.Array(FindingSchema, { description: 'every finding, caps first, in a fixed order' }),
      },
      'how far this machine reaches, and what binds it',
    ),
    target: nullable(TargetInfoSchema, 'the resolved target; null without --port'),
    sources: closed(
      {
        addresses: Type.Array(text('an IP address'), { description: 'source addresses a run would bind (empty: the kernel chooses)' }),
        reason: text('why these'),
      },
      'source addresses a run would bind, and why',
    ),
    workers: Type.Integer({ minimum: 1, description: 'worker processes a run would start' }),
    connections: closed(
      {
        planned: count('connections the assessment was made for'),
        given: flag('true when the user gave that number (--connections)'),
      },
      'connections the assessment was made for, and whether the user gave that number',
    ),
    engine: described(EngineRecordSchema, 'the socket layer a run without --engine would use here (TCP; TLS runs on js), and why js'),
  },
  "the document of tcpprobe doctor --json: this machine's limits and how far they reach",
);
