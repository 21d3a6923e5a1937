/**
 * Reading what arrives over the store: agent registrations, telemetry and failures, commands. Anything that does
 * not have the expected shape is dropped (null) rather than trusted, since anyone who can write to the store can
 * write these. Pure.
 */
import { AGENT_NAME_PATTERN } from '../config/fleet-options.js';
import type { FailureRecord, PoolCounters } from '../types/pool-counters.js';
import type { HandshakeAuditReport, ParticipantCommand, ParticipantMessage, ProcessUse } from '../types/participant-protocol.js';
import type { AgentRecord } from './coordinator.js';

/** Agent names: safe inside key names and log lines. */

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function parse(json: string | null | undefined): unknown {
  if (json === null || json === undefined) return null;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return null;
  }
}
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStrOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';

export function readAgentRecord(json: string | null | undefined): AgentRecord | null {
  const o = parse(json);
  if (!isObj(o)) return null;
  if (typeof o.name !== 'string' || !AGENT_NAME_PATTERN.test(o.name) || typeof o.instance !== 'string') return null;
  if (!isStrOrNull(o.runId) || !Array.isArray(o.allow)) return null;
  return {
    name: o.name,
    instance: o.instance,
    host: typeof o.host === 'string' ? o.host : '?',
    pid: isNum(o.pid) ? o.pid : 0,
    version: typeof o.version === 'string' ? o.version : '?',
    runId: o.runId,
    allow: o.allow.filter((a): a is string => typeof a === 'string'),
    fdLimit: isNum(o.fdLimit) ? o.fdLimit : null,
    sources: Array.isArray(o.sources) ? o.sources.filter((a): a is string => typeof a === 'string') : [],
  };
}

const COUNTER_KEYS: readonly (keyof PoolCounters)[] = [
  'requested',
  'attempted',
  'queued',
  'connecting',
  'established',
  'held',
  'peakHeld',
  'everHeld',
  'connected',
  'lost',
  'failed',
  'reconnects',
];

function isCounters(v: unknown): v is PoolCounters {
  return isObj(v) && COUNTER_KEYS.every((k) => isNum(v[k])) && isObj(v.failuresByClass);
}

function isFailureRecord(v: unknown): v is FailureRecord {
  return isObj(v) && typeof v.class === 'string' && isNum(v.atMs) && typeof v.message === 'string';
}

/** A telemetry report or failure from an agent, or null if it is neither. */
export function readParticipantMessage(json: string | null | undefined): ParticipantMessage | null {
  const o = parse(json);
  if (!isObj(o) || typeof o.name !== 'string') return null;
  if (o.kind === 'failure') return typeof o.reason === 'string' ? { kind: 'failure', name: o.name, reason: o.reason } : null;
  if (o.kind === 'handshake-audit') return readAuditReport(o.name, o);
  if (o.kind !== 'telemetry') return null;
  if (!isNum(o.appliedSeq) || !isCounters(o.counters) || typeof o.final !== 'boolean') return null;
  if (!Array.isArray(o.firstFailures) || !o.firstFailures.every(isFailureRecord)) return null;
  if (!isStrOrNull(o.connectUs) || !isStrOrNull(o.tlsUs)) return null;
  return {
    kind: 'telemetry',
    name: o.name,
    appliedSeq: o.appliedSeq,
    counters: o.counters,
    firstFailures: o.firstFailures,
    connectUs: o.connectUs,
    tlsUs: o.tlsUs,
    fdLimit: isNum(o.fdLimit) ? o.fdLimit : null,
    // Anything else (an agent older than the field, or a name this version does not know) is left unsaid.
    ...(o.engine === 'native' || o.engine === 'js' ? { engine: o.engine } : {}),
    ...withUse(o.use),
    final: o.final,
  };
}

const isCount = (v: unknown): v is number => isNum(v) && Number.isInteger(v) && v >= 0;

/** A participant's resource use, when every field is there and sane; else nothing (unknown, as from an older agent). */
function withUse(u: unknown): { use?: ProcessUse } {
  if (!isObj(u)) return {};
  const counts = [u.processes, u.cpuMs, u.wallMs, u.startRssBytes, u.peakRssBytes];
  if (!counts.every(isCount) || !isNum(u.busiestCpu) || u.busiestCpu < 0) return {};
  if (u.peakOpenFds !== null && !isCount(u.peakOpenFds)) return {};
  const demand = isNum(u.busiestDemand) && u.busiestDemand >= 0 ? u.busiestDemand : null;
  return {
    use: {
      processes: u.processes as number,
      cpuMs: u.cpuMs as number,
      wallMs: u.wallMs as number,
      busiestCpu: u.busiestCpu,
      busiestDemand: demand,
      startRssBytes: u.startRssBytes as number,
      peakRssBytes: u.peakRssBytes as number,
      peakOpenFds: u.peakOpenFds,
    },
  };
}

/** A participant's handshake audit findings, or null when a field is missing or of the wrong type. */
function readAuditReport(name: string, o: Obj): HandshakeAuditReport | null {
  const a = o.audit;
  if (!isNum(o.seq) || !isObj(a) || typeof a.ran !== 'boolean' || !isStrOrNull(a.note)) return null;
  if (!isNum(a.checked) || !isNum(a.suspects) || !isNum(a.neverCompleted)) return null;
  const audit = { ran: a.ran, checked: a.checked, suspects: a.suspects, neverCompleted: a.neverCompleted, note: a.note };
  return { kind: 'handshake-audit', name, seq: o.seq, audit };
}

/** The longest audit a controller may ask of an agent: a bad write cannot keep one busy for hours. */
const MAX_AUDIT_WAIT_MS = 60_000;

/** A command from the controller, or null. `open` counts are bounded so a bad write cannot ask for billions. */
export function readParticipantCommand(json: string | null | undefined): ParticipantCommand | null {
  const o = parse(json);
  if (!isObj(o) || !isNum(o.seq)) return null;
  switch (o.kind) {
    case 'open':
      return isNum(o.count) && o.count >= 0 && o.count <= 10_000_000 ? { kind: 'open', seq: o.seq, count: Math.floor(o.count) } : null;
    case 'pause-reconnects':
      return typeof o.paused === 'boolean' ? { kind: 'pause-reconnects', seq: o.seq, paused: o.paused } : null;
    case 'audit-handshakes':
      return isNum(o.maxWaitMs) && o.maxWaitMs >= 0
        ? { kind: 'audit-handshakes', seq: o.seq, maxWaitMs: Math.min(o.maxWaitMs, MAX_AUDIT_WAIT_MS) }
        : null;
    case 'drop-queued':
    case 'stop-opening':
    case 'release':
    case 'close':
      return { kind: o.kind, seq: o.seq };
    default:
      return null;
  }
}
