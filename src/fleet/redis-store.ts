/**
 * The fleet's Redis layout and the narrow view of a connection the controller and agent sides use. The client
 * library stays in src/fleet/redis-client.ts, which hands out connections as `StoreClient`s.
 *
 * Key layout (all under "tcpprobe:", so an ACL user can be limited to ~tcpprobe:*):
 *
 *   tcpprobe:agents:NAME            string  JSON AgentRecord; PX AGENT_TTL_MS, rewritten every HEARTBEAT_INTERVAL_MS
 *   tcpprobe:inbox:NAME             stream  runs addressed to agent NAME: fields run, instance, spec (JSON)
 *   tcpprobe:run:RUN:controller     string  the controller's heartbeat; PX CONTROLLER_TTL_MS, rewritten every second
 *   tcpprobe:run:RUN:cmd:NAME       stream  controller -> agent NAME: field c, a ParticipantCommand (JSON)
 *   tcpprobe:run:RUN:reports        stream  agents -> controller: field m, a TelemetryReport or ParticipantFailure
 *
 * Streams keep order per writer and let a reader that starts late read from the beginning, which pub/sub does not.
 * Heartbeats are keys with a TTL, so liveness is judged by the Redis server's clock alone. The controller deletes
 * a run's keys when it stops; every stream also carries a TTL, so a crashed controller leaves nothing behind.
 */
import type { ProbeError } from '../errors.js';
import type { RedisLocation } from '../config/redis-url.js';

const PREFIX = 'tcpprobe:';
export const keys = {
  agent: (name: string) => `${PREFIX}agents:${name}`,
  agentPattern: `${PREFIX}agents:*`,
  inbox: (name: string) => `${PREFIX}inbox:${name}`,
  controller: (run: string) => `${PREFIX}run:${run}:controller`,
  commands: (run: string, name: string) => `${PREFIX}run:${run}:cmd:${name}`,
  reports: (run: string) => `${PREFIX}run:${run}:reports`,
};

/** How long a blocking XREAD waits for news before looping (and noticing it should stop), in milliseconds. */
export const BLOCK_MS = 1000;
/** Streams are trimmed to about this many entries; readers are never this far behind. */
export const STREAM_MAXLEN = 10_000;
/** Run keys outlive the run's deadline by this much (ms), in case the controller never deletes them. */
export const RUN_KEY_GRACE_MS = 60_000;
/** An inbox nobody writes to disappears after a day (ms). */
export const INBOX_TTL_MS = 86_400_000;
/** Run ids: safe inside key names. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** One connection, as the fleet uses it: any command by name, the reply as Redis sent it (RESP2). */
export interface StoreClient {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
}

/** Where the controller and agent sides get their connections. */
export interface Store {
  readonly loc: RedisLocation;
  /**
   * A new connection, authenticated, or a ProbeError with one line.
   * @param blocking it serves blocking XREADs (its command timeout allows for the block)
   */
  connect(blocking: boolean): Promise<StoreClient>;
  /** Close a connection on purpose (its end is not reported as a loss). */
  hangUp(client: StoreClient | null): void;
  /** `fn` is called once if any connection of this store is lost. */
  onLost(fn: (e: ProbeError) => void): void;
  /** One line for a failed command. */
  describe(e: unknown): ProbeError;
}

/** A callback slot that keeps what was emitted before the callback was set. */
export class Outlet<A extends unknown[]> {
  private fn: ((...args: A) => void) | null = null;
  private queued: A[] = [];
  set(fn: (...args: A) => void): void {
    this.fn = fn;
    const queued = this.queued;
    this.queued = [];
    for (const args of queued) fn(...args);
  }
  emit(...args: A): void {
    if (this.fn === null) this.queued.push(args);
    else this.fn(...args);
  }
}

/** One stream entry of an XREAD reply. */
export interface StreamEntry {
  stream: string;
  id: string;
  fields: Map<string, string>;
}

/** Flatten an XREAD reply (RESP2: [[stream, [[id, [k, v, ...]], ...]], ...] or null). */
export function readEntries(reply: unknown): StreamEntry[] {
  const out: StreamEntry[] = [];
  if (!Array.isArray(reply)) return out;
  for (const s of reply as unknown[]) {
    if (!Array.isArray(s) || typeof s[0] !== 'string' || !Array.isArray(s[1])) continue;
    for (const e of s[1] as unknown[]) {
      if (!Array.isArray(e) || typeof e[0] !== 'string' || !Array.isArray(e[1])) continue;
      const flat = e[1] as unknown[];
      const fields = new Map<string, string>();
      for (let i = 0; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), String(flat[i + 1]));
      out.push({ stream: s[0], id: e[0], fields });
    }
  }
  return out;
}

// Typed helpers over `call`, one per command the fleet uses (the ACL in docs/fleet.md lists the same ones).

export async function getKey(c: StoreClient, key: string): Promise<string | null> {
  const r = await c.call('GET', key);
  return typeof r === 'string' ? r : null;
}

export async function mgetKeys(c: StoreClient, ks: readonly string[]): Promise<(string | null)[]> {
  if (ks.length === 0) return [];
  const r = await c.call('MGET', ...ks);
  return Array.isArray(r) ? r.map((v) => (typeof v === 'string' ? v : null)) : ks.map(() => null);
}

/** SET with a TTL; with `onlyIfAbsent` (NX), false when the key existed. */
export async function setKey(c: StoreClient, key: string, value: string, ttlMs: number, onlyIfAbsent = false): Promise<boolean> {
  const r = await c.call('SET', key, value, 'PX', ttlMs, ...(onlyIfAbsent ? ['NX'] : []));
  return r === 'OK';
}

export async function delKeys(c: StoreClient, ks: readonly string[]): Promise<void> {
  if (ks.length > 0) await c.call('DEL', ...ks);
}

export async function keyExists(c: StoreClient, key: string): Promise<boolean> {
  return (await c.call('EXISTS', key)) === 1;
}

export async function expireKey(c: StoreClient, key: string, ttlMs: number): Promise<void> {
  await c.call('PEXPIRE', key, ttlMs);
}

/** Every key matching `pattern` (SCAN, never KEYS: it does not block the server). */
export async function scanKeys(c: StoreClient, pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const r = await c.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', 200);
    if (!Array.isArray(r) || typeof r[0] !== 'string' || !Array.isArray(r[1])) break;
    cursor = r[0];
    out.push(...(r[1] as unknown[]).filter((k): k is string => typeof k === 'string'));
  } while (cursor !== '0');
  return out;
}

/** XADD one entry, trimming the stream to about `maxLen` entries. */
export async function appendEntry(c: StoreClient, key: string, maxLen: number, fields: Record<string, string>): Promise<void> {
  await c.call('XADD', key, 'MAXLEN', '~', maxLen, '*', ...Object.entries(fields).flat());
}

/** Blocking XREAD of one stream after `lastId`, BLOCK_MS at most. */
export async function readAfter(c: StoreClient, key: string, lastId: string, count: number): Promise<StreamEntry[]> {
  return readEntries(await c.call('XREAD', 'COUNT', count, 'BLOCK', BLOCK_MS, 'STREAMS', key, lastId));
}

/**
 * Follow a stream from its first entry: each entry goes to `onEntry` in order, read `count` at a time with a
 * blocking read, until `stopped()` says so. A read that fails ends the follow; its error goes to `onError` unless
 * the follower had stopped (its connection hung up on purpose).
 */
export async function followStream(
  c: StoreClient,
  key: string,
  count: number,
  stopped: () => boolean,
  onEntry: (entry: StreamEntry) => void,
  onError: (e: unknown) => void,
): Promise<void> {
  let lastId = '0';
  while (!stopped()) {
    let entries: StreamEntry[];
    try {
      entries = await readAfter(c, key, lastId, count);
    } catch (e) {
      if (!stopped()) onError(e);
      return;
    }
    for (const entry of entries) {
      lastId = entry.id;
      onEntry(entry);
    }
  }
}
