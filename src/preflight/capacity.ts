/**
 * How many connections this machine itself can hold to the planned targets, and every limit that says so. Pure:
 * limits come in as data (see system-limits.ts), so tests feed literal values.
 *
 * Every finding is reported, not only the first (as tcpkali's syslimits does): the smallest `reach` is the binding
 * one, but a user lifting it needs to know what binds next. A server result above `maxConnections` can never be
 * trusted as the server's capacity; the verdict becomes "limited by this machine".
 */
import { isLoopback, isIpv4Loopback } from './address.js';
import { CONNECTIONS_PER_LOOPBACK_SOURCE, MAX_AUTO_LOOPBACK_SOURCES } from './source-plan.js';
import { MAX_WORKERS } from '../config/probe-options.js';
import { conntrackScope } from './conntrack-scope.js';
import { formatCountEnUs } from '../config/units.js';
import type { Static } from 'typebox';
import type { FindingIdSchema, FindingSchema } from './doctor-schema.js';

/** Connection counts as every reporter writes them ("19,872"); limits stay as typed into sysctl and ulimit. */
const n = formatCountEnUs;
import type { SystemLimits } from './system-limits.js';

/**
 * File descriptors kept out of the fd reach per process: Node's own (event loop, pipes, stdio) and room for `ss`
 * and the history file, 64; and the channel to each worker process the first process may lead, one per worker.
 * Without the second part, the first process of a run with 40 worker processes ran out of fds at 771,340 held.
 */
export const DEFAULT_FD_RESERVE_PER_PROCESS = 64 + MAX_WORKERS;

/** Ports per (source address, destination) when the port range cannot be read: Linux's default 32768-60999. */
const DEFAULT_PORTS_PER_ADDRESS = 28_232;

/** Which limit a finding is about; the ids are listed, each with its meaning, in doctor-schema.ts. */
export type FindingId = Static<typeof FindingIdSchema>;

/** ok: fine for this plan; info: worth knowing; warn: skews the measurement; limit: the plan cannot be reached. */
export type FindingSeverity = Finding['severity'];

/** One limit of this machine: what was measured, how far it reaches, what to do (declared in doctor-schema.ts). */
export type Finding = Static<typeof FindingSchema>;

/** A resolved destination. */
export interface CapacityTarget {
  address: string;
  port: number;
}

export interface CapacityPlan {
  /** Connections asked for (--connections); null for an unbounded ramp, which uses `plannedUpperBound`. */
  requestedConnections: number | null;
  /** The most an unbounded ramp may try. */
  plannedUpperBound: number;
  /** Resolved destinations; connections are spread over all of them. */
  targets: readonly CapacityTarget[];
  /** Local addresses each connection is bound to, round-robin; empty: the kernel picks one, unbound. */
  sourceAddresses: readonly string[];
  /** Worker processes holding connections; each has its own open-files limit. */
  processes: number;
  /** File descriptors per process not available for connections. Default 64. */
  fdReservePerProcess?: number;
  /**
   * Bound sockets get their port at connect() (IP_BIND_ADDRESS_NO_PORT: the native core's way), whose search slows
   * past half the range, not at bind() (libuv's), past a quarter. Default false.
   */
  portAtConnect?: boolean;
}

/** The limit that would bind once the binding one is lifted, and where. */
export interface NextLimit {
  /** Id of the cap with the next smallest reach. */
  limitedBy: FindingId;
  /** Connections it allows (all processes together). */
  connections: number;
  /** What that reach is spread over, in a few words: "over 250 source addresses", "over 64 processes". */
  basis: string;
}

export interface CapacityAssessment {
  /** Most connections this machine can hold to these targets; `Infinity` when no limit could be read. */
  maxConnections: number;
  /** Id of the binding finding (smallest reach); null when no limit could be read. */
  limitedBy: FindingId | null;
  /** The cap that binds next if the binding one is lifted; null when no other cap could be read. */
  next: NextLimit | null;
  /** Connections the plan may try: `requestedConnections`, or `plannedUpperBound` for an unbounded ramp. */
  plannedConnections: number;
  targets: readonly CapacityTarget[];
  /** Every finding, caps first, in a fixed order. */
  findings: Finding[];
}

interface Context {
  limits: SystemLimits;
  planned: number;
  processes: number;
  reserve: number;
  /** Distinct destinations (address and port): unbound connects get a port range for each. */
  targetCount: number;
  /** Distinct source addresses; 0 when unbound. */
  sourceCount: number;
  portAtConnect: boolean;
  allLoopback: boolean;
  anyLoopback: boolean;
  allIpv4Loopback: boolean;
  /** True when /proc/sys could be read at all, so a missing conntrack file means "not loaded". */
  procSysReadable: boolean;
}

function capSeverity(reach: number | null, planned: number): FindingSeverity {
  return reach !== null && planned > reach ? 'limit' : 'ok';
}

function unknown(id: FindingId, title: string, what: string): Finding {
  return { id, title, value: `unknown (${what} not readable)`, reach: null, severity: 'info', advice: null };
}

/** The suggestion for more source addresses: a concrete 127.x range on IPv4 loopback, a request elsewhere. */
function moreSourcesAdvice(ctx: Context): string {
  if (ctx.allIpv4Loopback) {
    const count = Math.min(MAX_AUTO_LOOPBACK_SOURCES, Math.ceil(ctx.planned / CONNECTIONS_PER_LOOPBACK_SOURCE));
    return `spread over more source addresses (--source 127.0.0.2-127.0.0.${1 + Math.max(1, count)})`;
  }
  return 'give more local addresses of this machine with --source ADDR,ADDR';
}

function fdFinding(ctx: Context): Finding {
  const { openFilesSoft: soft, openFilesHard: hard, nrOpen, openFds } = ctx.limits;
  const title = 'open files';
  if (soft === null) return unknown('fd-limit', title, '/proc/self/limits');
  if (soft === Number.POSITIVE_INFINITY) {
    return { id: 'fd-limit', title, value: 'unlimited', reach: null, severity: 'ok', advice: null };
  }
  // The larger of the reserve and what is open now: a process already holding many fds has fewer left.
  const used = Math.max(ctx.reserve, openFds ?? 0);
  const perProcess = Math.max(0, soft - used);
  const reach = perProcess * ctx.processes;
  const hardText = hard === null ? 'hard unknown' : `hard ${hard === Number.POSITIVE_INFINITY ? 'unlimited' : hard}`;
  const times = ctx.processes > 1 ? ` x ${ctx.processes} processes = ${n(reach)}` : '';
  const advice: string[] = [];
  if (hard !== null && hard > soft) advice.push(`raise the soft limit (ulimit -n ${hard})`);
  if (perProcess > 0) {
    const workers = Math.ceil(ctx.planned / perProcess);
    if (workers > ctx.processes && workers <= MAX_WORKERS) {
      advice.push(`spread over ${workers} processes (--workers ${workers})`);
    }
  }
  const ceiling = nrOpen === null ? '' : `, at most fs.nr_open = ${nrOpen}`;
  advice.push(`raise the hard limit as root (ulimit -Hn, LimitNOFILE= in systemd, nofile in limits.conf${ceiling})`);
  advice.push('or add agents on other machines');
  return {
    id: 'fd-limit',
    title,
    value: `${soft} (${hardText}) -> ${n(perProcess)} connections per process${times}`,
    reach,
    severity: capSeverity(reach, ctx.planned),
    advice: advice.join('; '),
  };
}

/** Ports one source address offers, or null when the range is unknown. */
function portsPerAddress(limits: SystemLimits): number | null {
  if (limits.localPortRange === null) return null;
  const { low, high } = limits.localPortRange;
  // An unreadable reserved list is taken as empty: it is empty on almost every machine.
  return Math.max(0, high - low + 1 - (limits.reservedPortsInRange ?? 0));
}

function portsFinding(ctx: Context): Finding {
  const range = ctx.limits.localPortRange;
  const perAddress = portsPerAddress(ctx.limits);
  const title = 'ports';
  if (range === null || perAddress === null) return unknown('ports', title, 'net.ipv4.ip_local_port_range');
  const reserved = ctx.limits.reservedPortsInRange ?? 0;
  const reservedText = reserved > 0 ? ` (${reserved} reserved)` : '';
  let value: string;
  let reach: number;
  if (ctx.sourceCount > 0) {
    // A socket bound with localAddress takes its port at bind(), before the kernel knows the destination, so a
    // port is used up on every target at once: the range counts per source address only (checked on Linux 6.x:
    // 100 ports, two targets, bound sockets stop at 100; unbound ones at 200).
    reach = perAddress * ctx.sourceCount;
    const times = ctx.sourceCount > 1 ? ` x ${ctx.sourceCount} addresses = ${n(reach)}` : '';
    value = `${range.low}-${range.high} = ${n(perAddress)} per source address${reservedText}${times}`;
  } else {
    // Unbound connects pick the port knowing the destination, so each destination has a whole range.
    reach = perAddress * ctx.targetCount;
    const times = ctx.targetCount > 1 ? ` x ${ctx.targetCount} targets = ${n(reach)}` : '';
    value = `${range.low}-${range.high} = ${n(perAddress)} per source address and target${reservedText}${times}`;
  }
  return {
    id: 'ports',
    title,
    value,
    reach,
    severity: capSeverity(reach, ctx.planned),
    advice:
      `${moreSourcesAdvice(ctx)}; widen the range (sysctl -w net.ipv4.ip_local_port_range="1024 65535"); ` +
      'or add agents on other machines',
  };
}

function conntrackFinding(ctx: Context): Finding {
  const { conntrackMax: max, conntrackCount: count } = ctx.limits;
  const title = 'conntrack';
  if (max === null) {
    if (!ctx.procSysReadable) return unknown('conntrack', title, 'nf_conntrack_max');
    return { id: 'conntrack', title, value: 'not loaded', reach: null, severity: 'ok', advice: null };
  }
  const used = count === null ? 'use unknown' : `${count} in use`;
  const scope = conntrackScope(ctx.limits);
  if (scope.applies === 'no') {
    // The table is machine-wide, but a namespace whose rules never ask for conntrack puts nothing in it.
    return { id: 'conntrack', title, value: `${max} entries, ${used}; not a cap: ${scope.why}`, reach: null, severity: 'ok', advice: null };
  }
  // Every connection, loopback included, takes one entry while open and for a while after it closes.
  const inUse = count ?? 0;
  const reach = Math.max(0, max - inUse);
  // Said when the count alone does not show why the table is a cap.
  const counted =
    scope.applies === 'unknown' ? ` (counted as a cap: ${scope.why})` : inUse === 0 ? ` (${scope.why})` : '';
  return {
    id: 'conntrack',
    title,
    value: `${max} entries, ${used} -> ${n(reach)} connections${counted}`,
    reach,
    severity: capSeverity(reach, ctx.planned),
    advice:
      `raise the table above ${inUse + ctx.planned} entries (sysctl -w net.netfilter.nf_conntrack_max=N), ` +
      'or exempt the probe traffic from tracking (iptables -t raw ... -j NOTRACK)',
  };
}

function fileMaxFinding(ctx: Context): Finding {
  const { fileMax, filesAllocated } = ctx.limits;
  const title = 'file-max';
  if (fileMax === null) return unknown('file-max', title, 'fs.file-max');
  // A server on this machine holds the other end of each loopback connection: two fds from the same pool.
  const fdsPerConnection = ctx.anyLoopback ? 2 : 1;
  const headroom = Math.max(0, fileMax - (filesAllocated ?? 0));
  const reach = Math.floor(headroom / fdsPerConnection);
  const inUse = filesAllocated === null ? 'use unknown' : `${filesAllocated} in use`;
  const needed = (filesAllocated ?? 0) + ctx.planned * fdsPerConnection;
  const each = fdsPerConnection === 2 ? ' (2 fds each: a local server holds the other end)' : '';
  return {
    id: 'file-max',
    title,
    value: `${fileMax}, ${inUse} -> ${n(reach)} connections${each}`,
    reach,
    severity: capSeverity(reach, ctx.planned),
    advice: `raise fs.file-max above ${needed} (sysctl -w fs.file-max=N)`,
  };
}

/**
 * connect() gets slow long before the range runs out. Unbound, or bound with the port chosen at connect(), the
 * kernel tries ports of one parity first and then scans (measured: slow past ~14,100 of 28,232 ports from one
 * address to one destination); bound with localAddress (libuv sets SO_REUSEADDR, and bind() picks the port), past
 * ~7,000 per address: bind() tries the other parity in half the range first. Scaled with the range, so a widened
 * range moves the zone too.
 */
function slowZoneFinding(ctx: Context): Finding {
  const perAddress = portsPerAddress(ctx.limits) ?? DEFAULT_PORTS_PER_ADDRESS;
  const bound = ctx.sourceCount > 0;
  const threshold = Math.floor(perAddress / (bound && !ctx.portAtConnect ? 4 : 2));
  const share = Math.ceil(ctx.planned / (bound ? ctx.sourceCount : ctx.targetCount));
  const per = bound ? 'per source address' : 'per source address and target';
  const past = share > threshold;
  return {
    id: 'slow-zone',
    title: 'slow zone',
    value: `about ${n(share)} connections ${per}, ${past ? 'past' : 'below'} the ~${n(threshold)} where connect() slows`,
    reach: null,
    severity: past ? 'warn' : 'ok',
    advice: past
      ? `${moreSourcesAdvice(ctx)}: past ~${n(threshold)} the connect rate measures this machine, not the server`
      : null,
  };
}

function twReuseFinding(ctx: Context): Finding {
  const v = ctx.limits.tcpTwReuse;
  const title = 'tcp_tw_reuse';
  if (v === null) return unknown('tw-reuse', title, 'net.ipv4.tcp_tw_reuse');
  const meaning = v === 0 ? 'off' : v === 1 ? 'on' : v === 2 ? 'loopback only' : 'unknown mode';
  const covered = v === 1 || (v === 2 && ctx.allLoopback);
  return {
    id: 'tw-reuse',
    title,
    value: `${v} (${meaning})`,
    reach: null,
    severity: covered ? 'ok' : 'info',
    advice: covered
      ? null
      : 'sysctl -w net.ipv4.tcp_tw_reuse=1 lets unbound connects reuse ports still in TIME_WAIT from earlier runs',
  };
}

function timeWaitFinding(ctx: Context, portsReach: number | null): Finding {
  const tw = ctx.limits.timeWaitSockets;
  const title = 'TIME_WAIT';
  if (tw === null) return unknown('time-wait', title, '/proc/net/sockstat');
  if (tw === 0) return { id: 'time-wait', title, value: 'none', reach: null, severity: 'ok', advice: null };
  // Leftovers may belong to other destinations; they matter when they alone could tip the plan over the ports.
  const tips = portsReach !== null && ctx.planned <= portsReach && ctx.planned + tw > portsReach;
  return {
    id: 'time-wait',
    title,
    value: `${tw} sockets, each holding a port for up to 60 s`,
    reach: null,
    severity: tips ? 'warn' : 'info',
    advice: 'wait a minute between runs, or run in a fresh network namespace (unshare -n, then ip link set lo up)',
  };
}

function somaxconnFinding(ctx: Context): Finding {
  const { somaxconn, tcpMaxSynBacklog } = ctx.limits;
  const title = 'somaxconn';
  if (somaxconn === null) return unknown('somaxconn', title, 'net.core.somaxconn');
  // Only a server on this machine is capped by it; a queue that small overflows under a connect burst and its
  // timeouts would look like the server's own cap.
  const small = ctx.anyLoopback && somaxconn < 1024;
  const syn = tcpMaxSynBacklog === null ? '' : ` (tcp_max_syn_backlog ${tcpMaxSynBacklog})`;
  return {
    id: 'somaxconn',
    title,
    value: `${somaxconn}${syn}`,
    reach: null,
    severity: small ? 'info' : 'ok',
    advice: small
      ? 'the accept queue of a local server is capped here; ' +
        'raise it (sysctl -w net.core.somaxconn=4096) or lower the connect rate'
      : null,
  };
}

const plural = (count: number, one: string, many: string): string => `${n(count)} ${count === 1 ? one : many}`;

/** What a cap's reach is spread over, for the "next" line. */
function capBasis(id: FindingId, ctx: Context): string {
  if (id === 'fd-limit') return ctx.processes > 1 ? `over ${plural(ctx.processes, 'process', 'processes')}` : 'in one process';
  if (id === 'ports') {
    return ctx.sourceCount > 0
      ? `over ${plural(ctx.sourceCount, 'source address', 'source addresses')}`
      : `from one source address${ctx.targetCount > 1 ? ` to ${plural(ctx.targetCount, 'target', 'targets')}` : ''}`;
  }
  if (id === 'conntrack') return `in a table of ${n(ctx.limits.conntrackMax ?? 0)} entries`;
  return 'machine-wide';
}

/** The cap with the smallest reach after `binding` (the earlier one on a tie), or null. */
function nextCap(caps: readonly Finding[], binding: FindingId, ctx: Context): NextLimit | null {
  let next: NextLimit | null = null;
  for (const { id, reach } of caps) {
    if (id === binding || reach === null || (next !== null && reach >= next.connections)) continue;
    next = { limitedBy: id, connections: reach, basis: capBasis(id, ctx) };
  }
  return next;
}

/**
 * Assess what this machine can hold for `plan`. Connections planned = `requestedConnections`, or
 * `plannedUpperBound` for an unbounded ramp. Each cap (fd-limit, ports, conntrack, file-max) becomes 'limit'
 * when the plan is above its reach; `maxConnections` is the smallest reach.
 */
export function assessCapacity(limits: SystemLimits, plan: CapacityPlan): CapacityAssessment {
  const planned = Math.max(0, plan.requestedConnections ?? plan.plannedUpperBound);
  const targetKeys = new Set(plan.targets.map((t) => `${t.address}|${t.port}`));
  const addresses = plan.targets.map((t) => t.address);
  const ctx: Context = {
    limits,
    planned,
    processes: Math.max(1, Math.floor(plan.processes)),
    reserve: plan.fdReservePerProcess ?? DEFAULT_FD_RESERVE_PER_PROCESS,
    targetCount: Math.max(1, targetKeys.size),
    sourceCount: new Set(plan.sourceAddresses).size,
    portAtConnect: plan.portAtConnect === true,
    allLoopback: addresses.length > 0 && addresses.every(isLoopback),
    anyLoopback: addresses.some(isLoopback),
    allIpv4Loopback: addresses.length > 0 && addresses.every(isIpv4Loopback),
    procSysReadable: limits.localPortRange !== null || limits.somaxconn !== null || limits.fileMax !== null,
  };
  const caps = [fdFinding(ctx), portsFinding(ctx), conntrackFinding(ctx), fileMaxFinding(ctx)];
  const portsReach = caps[1]?.reach ?? null;
  const findings = [
    ...caps,
    slowZoneFinding(ctx),
    twReuseFinding(ctx),
    timeWaitFinding(ctx, portsReach),
    somaxconnFinding(ctx),
  ];
  let maxConnections = Number.POSITIVE_INFINITY;
  let limitedBy: FindingId | null = null;
  // Strictly smaller wins, so on a tie the earlier (more familiar) limit is named.
  for (const f of caps) {
    if (f.reach !== null && f.reach < maxConnections) {
      maxConnections = f.reach;
      limitedBy = f.id;
    }
  }
  return {
    maxConnections,
    limitedBy,
    next: limitedBy === null ? null : nextCap(caps, limitedBy, ctx),
    plannedConnections: planned,
    targets: plan.targets,
    findings,
  };
}
