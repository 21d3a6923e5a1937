/**
 * The fleet coordinator over Redis: the only file that imports the Redis client. It makes connections and hands
 * them out as narrow `StoreClient`s; the controller side (src/fleet/redis-fleet-coordinator.ts) and the agent side
 * (src/fleet/redis-agent.ts) do the rest, and everything else talks to the interfaces in src/fleet/coordinator.ts.
 * The key layout is in src/fleet/redis-store.ts.
 *
 * Connections fail fast and never reconnect on their own: a controller cannot coordinate a run through a store it
 * lost, and an agent that lost its store exits (its service manager restarts it; see docs/fleet.md).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { ProbeError } from '../errors.js';
import type { AgentEndpoint, FleetCoordinator } from './coordinator.js';
import { RedisAgentEndpoint, type AgentRegistration } from './redis-agent.js';
import { RedisFleetCoordinator } from './redis-fleet-coordinator.js';
import { describeRedisError } from './redis-errors.js';
import { BLOCK_MS, type Store, type StoreClient } from './redis-store.js';
import type { RedisLocation } from '../config/redis-url.js';

export type { AgentRegistration } from './redis-agent.js';

/** TCP connect (and TLS handshake) to Redis, at most, in milliseconds. */
const CONNECT_TIMEOUT_MS = 3000;
/** Any single command, at most (ms); a store slower than this is treated as lost. */
const COMMAND_TIMEOUT_MS = 5000;

/** Connections of one process to one Redis, and the one report of losing it. */
class RedisStore implements Store {
  private readonly clients = new WeakMap<StoreClient, Redis>();
  /** Connections hung up on purpose: their end is not a loss. */
  private readonly hungUp = new WeakSet<Redis>();
  private readonly lostFns: ((e: ProbeError) => void)[] = [];
  private lostWith: ProbeError | null = null;

  constructor(readonly loc: RedisLocation) {}

  describe(e: unknown): ProbeError {
    return describeRedisError(e, this.loc.endpoint, CONNECT_TIMEOUT_MS);
  }

  onLost(fn: (e: ProbeError) => void): void {
    this.lostFns.push(fn);
    if (this.lostWith !== null) fn(this.lostWith);
  }

  private lose(e: ProbeError): void {
    if (this.lostWith !== null) return;
    this.lostWith = e;
    for (const fn of this.lostFns) fn(e);
  }

  hangUp(client: StoreClient | null): void {
    const redis = client === null ? undefined : this.clients.get(client);
    if (redis === undefined) return;
    this.hungUp.add(redis);
    redis.disconnect();
  }

  async connect(blocking: boolean): Promise<StoreClient> {
    const redis = new Redis(this.loc.url, {
      lazyConnect: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      commandTimeout: blocking ? BLOCK_MS + COMMAND_TIMEOUT_MS : COMMAND_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
      // The ready check runs INFO, which a narrow ACL user may not have; AUTH and SELECT are check enough.
      enableReadyCheck: false,
      // RESP2 works with every server version and proxy; nothing here needs RESP3.
      protocol: 2,
    });
    let lastError: unknown = null;
    let ready = false;
    redis.on('error', (e: unknown) => {
      lastError = e;
    });
    redis.on('end', () => {
      if (!ready || this.hungUp.has(redis)) return;
      const why = lastError === null ? '' : ` (${this.describe(lastError).message.replace(/^redis: /, '')})`;
      this.lose(new ProbeError('redis', `redis: lost the connection to ${this.loc.endpoint}${why}`));
    });
    const client: StoreClient = { call: (command, ...args) => redis.call(command, ...args) };
    this.clients.set(client, redis);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })), CONNECT_TIMEOUT_MS + 2000);
    });
    try {
      await Promise.race([redis.connect(), deadline]);
      // PING proves AUTH and SELECT went through before anyone relies on the connection.
      await Promise.race([redis.ping(), deadline]);
    } catch (e) {
      this.hangUp(client);
      throw this.describe(lastError ?? e);
    } finally {
      clearTimeout(timer);
    }
    ready = true;
    return client;
  }
}

/** Connect as a controller. Throws ProbeError('redis') with one clear line when Redis cannot be used. */
export async function openRedisCoordinator(loc: RedisLocation): Promise<FleetCoordinator> {
  const store = new RedisStore(loc);
  return new RedisFleetCoordinator(store, await store.connect(false));
}

/**
 * Connect and register as an agent. Throws ProbeError('redis') with one clear line when Redis cannot be used or
 * the name is taken by a live agent.
 */
export async function openRedisAgentEndpoint(loc: RedisLocation, registration: AgentRegistration): Promise<AgentEndpoint> {
  const store = new RedisStore(loc);
  const cmd = await store.connect(false);
  let reader: StoreClient | null = null;
  try {
    reader = await store.connect(true);
    const endpoint = new RedisAgentEndpoint(store, cmd, reader, registration, randomBytes(8).toString('hex'));
    await endpoint.register();
    return endpoint;
  } catch (e) {
    store.hangUp(cmd);
    store.hangUp(reader);
    throw store.describe(e);
  }
}
