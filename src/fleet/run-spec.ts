/**
 * The run spec a controller publishes to each agent, and its wire form. Plain JSON crosses Redis, so the one binary
 * field (the bytes to send) travels as base64. The agent reads it defensively: whoever can write to Redis can
 * write a spec, so every field is checked before the engine sees it.
 *
 * Targets and source addresses are not in the spec: each agent resolves the host itself and chooses its own
 * source addresses, because both are facts of the machine it runs on.
 */
import type { PoolSettings, Matcher, ServiceCheck, TlsSettings } from '../types/pool-config.js';

export interface FleetRunSpec {
  /** Where to connect; each agent resolves `host` on its own machine. */
  target: { host: string; port: number; spread: boolean };
  /** Shared by every agent of a run (targets and sources are filled in per agent). */
  /** The pool settings every agent runs with (named `engine` on the wire, which agents of every version read). */
  engine: PoolSettings;
  /** Connections this agent should plan for (sources, preflight): the run's planned total over the agents. */
  plannedPerAgent: number;
  /**
   * How long after the controller's first command the agent closes everything on its own, in milliseconds: the
   * run's --max-duration plus a grace for the final close. Relative to the agent's own clock, so the fleet's
   * clocks need not agree.
   */
  deadlineMs: number;
  /** The agent gives up on a run whose first command has not come this long after the spec, in milliseconds. */
  startWithinMs: number;
  /** The controller's tcpprobe version, for messages about mismatches. */
  controllerVersion: string;
}

export const RUN_SPEC_VERSION = 1;

/** The JSON form of a spec. */
export function writeRunSpec(spec: FleetRunSpec): Record<string, unknown> {
  const service = spec.engine.service;
  return {
    v: RUN_SPEC_VERSION,
    ...spec,
    engine: {
      ...spec.engine,
      service:
        service === null
          ? null
          : { ...service, send: service.send === null ? null : Buffer.from(service.send).toString('base64') },
    },
  };
}

/** A field of the wire form that is missing or has the wrong type. */
export class RunSpecError extends Error {}

type Obj = Record<string, unknown>;

function obj(v: unknown, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new RunSpecError(`${what}: not an object`);
  return v as Obj;
}
function num(o: Obj, key: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new RunSpecError(`${key}: not a number in ${min}..${max}`);
  return v;
}
function str(o: Obj, key: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new RunSpecError(`${key}: not a string`);
  return v;
}
function bool(o: Obj, key: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') throw new RunSpecError(`${key}: not true/false`);
  return v;
}
function nullable<T>(o: Obj, key: string, read: (v: unknown) => T): T | null {
  return o[key] === null || o[key] === undefined ? null : read(o[key]);
}

function readMatcher(v: unknown): Matcher {
  const m = obj(v, 'matcher');
  if (m.kind === 'text') return { kind: 'text', text: str(m, 'text') };
  if (m.kind === 'regex') {
    const source = str(m, 'source');
    const flags = str(m, 'flags');
    try {
      new RegExp(source, flags);
    } catch {
      throw new RunSpecError('matcher: bad regular expression');
    }
    return { kind: 'regex', source, flags };
  }
  throw new RunSpecError('matcher: unknown kind');
}

function readService(v: unknown): ServiceCheck {
  const s = obj(v, 'service');
  return {
    send: nullable(s, 'send', (b) => {
      if (typeof b !== 'string') throw new RunSpecError('send: not base64');
      return new Uint8Array(Buffer.from(b, 'base64'));
    }),
    expect: nullable(s, 'expect', readMatcher),
    reject: nullable(s, 'reject', readMatcher),
    expectTimeoutMs: num(s, 'expectTimeoutMs', 1),
  };
}

function readTls(v: unknown): TlsSettings {
  const t = obj(v, 'tls');
  return {
    servername: nullable(t, 'servername', (x) => String(x)),
    insecure: bool(t, 'insecure'),
    ca: nullable(t, 'ca', (x) => String(x)),
  };
}

/** Read and check a spec from its JSON form; throws RunSpecError naming the bad field. */
export function readRunSpec(raw: unknown): FleetRunSpec {
  const o = obj(raw, 'spec');
  if (o.v !== RUN_SPEC_VERSION) {
    throw new RunSpecError(`spec version ${String(o.v)} is not ${RUN_SPEC_VERSION}: controller and agent run different tcpprobe versions`);
  }
  const t = obj(o.target, 'target');
  const e = obj(o.engine, 'engine');
  return {
    target: { host: str(t, 'host'), port: num(t, 'port', 1, 65535), spread: bool(t, 'spread') },
    engine: {
      maxInflight: num(e, 'maxInflight', 1, 1_000_000),
      connectTimeoutMs: num(e, 'connectTimeoutMs', 1),
      keepAliveMs: num(e, 'keepAliveMs'),
      settleMs: num(e, 'settleMs'),
      reconnect: bool(e, 'reconnect'),
      reconnectDelayMs: num(e, 'reconnectDelayMs'),
      // Absent from an older controller's spec: reconnect everything, as it did.
      reconnectHeldOnly: e.reconnectHeldOnly === true,
      service: nullable(e, 'service', readService),
      tls: nullable(e, 'tls', readTls),
    },
    plannedPerAgent: num(o, 'plannedPerAgent', 0, 100_000_000),
    // A day at most: a spec asking an agent to hold connections longer than that is not one we wrote.
    deadlineMs: num(o, 'deadlineMs', 1, 86_400_000),
    startWithinMs: num(o, 'startWithinMs', 1, 3_600_000),
    controllerVersion: str(o, 'controllerVersion'),
  };
}
