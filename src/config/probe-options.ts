/**
 * Options every probing command shares (ramp, hold, agent): where to connect and how the engine behaves.
 * Defaults live here, once; units are in the names.
 */
import { readFileSync } from 'node:fs';
import type { PoolSettings, ServiceCheck, TlsSettings } from '../types/pool-config.js';
import { parseMatcher, unescapeText } from '../engine/matcher.js';
import { UsageError } from '../errors.js';
import { formatDurationMs, parseCount, parseDurationMs, parseHost, parsePort, parseTargetName } from './units.js';
import { readSourceAddresses } from './local-address.js';
import { optional, type Validator } from './validator.js';
import type { EngineRecord } from '../metrics/result.js';
import { chooseEngine, parseEngineFlag } from './engine-choice.js';

export const ENGINE_DEFAULTS = {
  host: 'localhost',
  maxInflight: 256,
  connectTimeoutMs: 2000,
  keepAliveSec: 30,
  settleMs: 100,
  expectTimeoutMs: 2000,
} as const;

/** Worker processes one probe (or one agent) starts at most (--workers); beyond that, raise the limit or add agents. */
export const MAX_WORKERS = 64;

/** --workers N (1 to MAX_WORKERS), or null for as many as the open-files limit needs. */
export function readWorkers(raw: Record<string, unknown>, v: Validator): number | null {
  const workers = v.field(() => optional(raw.workers, (s) => parseCount('--workers', s)), null);
  if (workers !== null && (workers < 1 || workers > MAX_WORKERS)) v.problem(`--workers: must be 1 to ${MAX_WORKERS}`);
  return workers;
}

export interface TargetOptions {
  host: string;
  port: number;
  /** Spread over every resolved address instead of pinning the first. */
  spreadAddresses: boolean;
  /** Source addresses given with --source; null lets tcpprobe choose. */
  sources: string[] | null;
  /**
   * --name (or an audit target's name): the target's name in the result (`target.name`), the history, the
   * OpenMetrics `target` label, JUnit and Markdown. Absent: the target is known by its host:port.
   */
  name?: string;
}

/** Reopening connections the server closes: hold reopens every failure, a ramp only held connections. */
export interface Reconnect {
  enabled: boolean;
  delayMs: number;
  heldOnly: boolean;
}

/**
 * How each connection is made and judged (the shared probe flags): in-flight cap, timeouts, keepalive, settle,
 * proof of service, TLS, the socket layer (`engine`) and the worker processes. `poolSettings` turns it into a
 * pool's settings (types/pool-config.ts).
 */
export interface ConnectionOptions {
  maxInflight: number;
  connectTimeoutMs: number;
  keepAliveMs: number;
  settleMs: number;
  service: ServiceCheck | null;
  tls: TlsSettings | null;
  /** The socket layer (--engine), decided here: see engine-choice.ts. */
  engine: EngineRecord;
  /** Worker processes; null: enough for the planned connections under the open-files limit. */
  workers: number | null;
}

/** Raw flag values as commander hands them over: strings for valued flags, booleans for switches. */
export type RawFlags = Record<string, unknown>;

function str(raw: unknown): string | undefined {
  return raw === undefined || raw === null ? undefined : String(raw);
}

function readFileFlag(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`${flag}: cannot read file "${path}": ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

export function readTargetOptions(raw: RawFlags, v: Validator, requirePort = true): TargetOptions {
  const host = v.field(() => parseHost('--host', str(raw.host) ?? ENGINE_DEFAULTS.host), 'localhost');
  const portText = str(raw.port);
  let port = 0;
  if (portText === undefined) {
    if (requirePort) v.problem('--port: required (the TCP port of the server to probe)');
  } else {
    port = v.field(() => parsePort('--port', portText), 0);
  }
  const sources = readSourceAddresses(raw.source, v);
  const name = v.field(() => optional(raw.name, (s) => parseTargetName('--name', s)), null);
  return { host, port, spreadAddresses: raw.spreadAddresses === true, sources, ...(name === null ? {} : { name }) };
}

export function readConnectionOptions(raw: RawFlags, v: Validator): ConnectionOptions {
  const maxInflight = v.field(() => optional(raw.maxInflight, (s) => parseCount('--max-inflight', s)), null);
  if (maxInflight !== null && maxInflight < 1) v.problem('--max-inflight: must be at least 1');
  const connectTimeoutMs =
    v.field(() => optional(raw.connectTimeout, (s) => parseDurationMs('--connect-timeout', s)), null) ??
    ENGINE_DEFAULTS.connectTimeoutMs;
  if (connectTimeoutMs < 1) v.problem('--connect-timeout: must be above 0');
  const keepAliveMs =
    v.field(() => optional(raw.keepalive, (s) => parseDurationMs('--keepalive', s)), null) ??
    ENGINE_DEFAULTS.keepAliveSec * 1000;
  // The kernel's keepalive timers (TCP_KEEPIDLE, TCP_KEEPINTVL) count whole seconds: 500ms cannot be honoured.
  if (keepAliveMs % 1000 !== 0) v.problem(`--keepalive: TCP keepalive counts whole seconds (1s, 30s, 2m), not ${formatDurationMs(keepAliveMs)}`);
  const settleMs =
    v.field(() => optional(raw.settle, (s) => parseDurationMs('--settle', s)), null) ?? ENGINE_DEFAULTS.settleMs;

  const send = v.field(() => optional(raw.send, (s) => parseSendData(s)), null);
  const expect = v.field(() => optional(raw.expect, (s) => parseMatcher('--expect', s)), null);
  const reject = v.field(() => optional(raw.reject, (s) => parseMatcher('--reject', s)), null);
  const expectTimeoutMs =
    v.field(() => optional(raw.expectTimeout, (s) => parseDurationMs('--expect-timeout', s)), null) ??
    ENGINE_DEFAULTS.expectTimeoutMs;
  const service: ServiceCheck | null =
    send === null && expect === null && reject === null ? null : { send, expect, reject, expectTimeoutMs };

  let tls: TlsSettings | null = null;
  if (raw.tls === true) {
    const caPath = str(raw.ca);
    tls = {
      servername: str(raw.servername) ?? null,
      insecure: raw.insecure === true,
      ca: caPath === undefined ? null : v.field(() => readFileFlag('--ca', caPath).toString('utf8'), null),
    };
  } else if (raw.servername !== undefined || raw.insecure === true || raw.ca !== undefined) {
    v.problem('--servername, --insecure and --ca need --tls');
  }
  const requested = v.field(() => parseEngineFlag(raw.engine), null);
  const engine = v.field(() => chooseEngine(requested, tls !== null), { name: 'js', why: null });
  const workers = readWorkers(raw, v);
  return {
    workers,
    maxInflight: maxInflight ?? ENGINE_DEFAULTS.maxInflight,
    connectTimeoutMs,
    keepAliveMs,
    settleMs,
    service,
    tls,
    engine,
  };
}

/** --send DATA: escapes such as \r\n, or @FILE for the bytes of a file. */
export function parseSendData(text: string): Uint8Array {
  if (text.startsWith('@')) return readFileFlag('--send', text.slice(1));
  if (text === '') throw new UsageError('--send: empty data');
  return Buffer.from(unescapeText(text), 'latin1');
}

/** The engine settings of a run from its options: what ramp, hold and every fleet agent's pool share. */
export function poolSettings(connection: ConnectionOptions, reconnect: Reconnect): PoolSettings {
  return {
    maxInflight: connection.maxInflight,
    connectTimeoutMs: connection.connectTimeoutMs,
    keepAliveMs: connection.keepAliveMs,
    settleMs: connection.settleMs,
    reconnect: reconnect.enabled,
    reconnectDelayMs: reconnect.delayMs,
    reconnectHeldOnly: reconnect.heldOnly,
    service: connection.service,
    tls: connection.tls,
  };
}
