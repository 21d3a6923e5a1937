/**
 * The agent's side of the fleet over Redis (layout in src/fleet/redis-store.ts): register and heartbeat, read the
 * inbox for runs addressed to this process, and per run read commands and write reports.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ProbeError } from '../errors.js';
import type { ParticipantCommand, ParticipantMessage } from '../types/participant-protocol.js';
import {
  AGENT_TTL_MS,
  HEARTBEAT_INTERVAL_MS,
  type AgentEndpoint,
  type AgentRecord,
  type RunAssignment,
} from './coordinator.js';
import {
  appendEntry,
  followStream,
  delKeys,
  getKey,
  keyExists,
  keys,
  Outlet,
  RUN_ID_PATTERN,
  setKey,
  STREAM_MAXLEN,
  type Store,
  type StoreClient,
} from './redis-store.js';
import { readAgentRecord, readParticipantCommand } from './wire.js';

/** What an agent says about itself when it registers. */
export type AgentRegistration = Omit<AgentRecord, 'instance' | 'runId' | 'sources'>;

export class RedisAgentEndpoint implements AgentEndpoint {
  readonly where: string;
  private readonly record: AgentRecord;
  private closed = false;
  private readonly assignments = new Outlet<[RunAssignment]>();
  private readonly fatal = new Outlet<[Error]>();
  private fatalSent = false;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private readonly active = new Set<RedisAssignment>();

  constructor(
    private readonly store: Store,
    private readonly cmd: StoreClient,
    private readonly reader: StoreClient,
    registration: AgentRegistration,
    instance: string,
  ) {
    this.where = store.loc.display;
    this.record = { ...registration, instance, runId: null, sources: [] };
    store.onLost((e) => this.fail(e));
  }

  get name(): string {
    return this.record.name;
  }

  /** Register, waiting out the registration of a previous process of ours that died (its key expires). */
  async register(): Promise<void> {
    const key = keys.agent(this.record.name);
    const until = Date.now() + AGENT_TTL_MS + 500;
    while (!(await setKey(this.cmd, key, JSON.stringify(this.record), AGENT_TTL_MS, true))) {
      if (Date.now() >= until) {
        const other = readAgentRecord(await getKey(this.cmd, key));
        const who = other === null ? 'another process' : `pid ${other.pid} on ${other.host}`;
        throw new ProbeError('redis', `fleet: an agent named "${this.record.name}" is already registered at ${this.where} (${who}); give this one another --name`);
      }
      await sleep(250);
    }
    let busy = false;
    this.heartbeatTimer = setInterval(() => {
      if (busy || this.closed) return;
      busy = true;
      this.writeRecord()
        .catch((e: unknown) => this.fail(e))
        .finally(() => (busy = false));
    }, HEARTBEAT_INTERVAL_MS);
    void this.readInbox();
  }

  private writeRecord(): Promise<boolean> {
    return setKey(this.cmd, keys.agent(this.record.name), JSON.stringify(this.record), AGENT_TTL_MS);
  }

  private fail(e: unknown): void {
    if (this.closed || this.fatalSent) return;
    this.fatalSent = true;
    this.fatal.emit(this.store.describe(e));
  }

  onAssignment(fn: (a: RunAssignment) => void): void {
    this.assignments.set(fn);
  }
  onFatal(fn: (e: Error) => void): void {
    this.fatal.set(fn);
  }

  async setRun(runId: string | null, sources: readonly string[] = []): Promise<void> {
    this.record.runId = runId;
    this.record.sources = [...sources];
    if (!this.closed) await this.writeRecord().catch((e: unknown) => this.fail(e));
  }

  /** Runs addressed to this process (by instance); older entries of the inbox belong to earlier processes. */
  private async readInbox(): Promise<void> {
    await followStream(
      this.reader,
      keys.inbox(this.record.name),
      100,
      () => this.closed,
      (entry) => {
        const runId = entry.fields.get('run') ?? '';
        if (entry.fields.get('instance') !== this.record.instance || !RUN_ID_PATTERN.test(runId) || this.closed) return;
        let spec: unknown;
        try {
          spec = JSON.parse(entry.fields.get('spec') ?? 'null') as unknown;
        } catch {
          spec = null;
        }
        const a = new RedisAssignment(this.store, this.cmd, runId, this.record.name, spec, (e) => this.fail(e), () => this.active.delete(a));
        this.active.add(a);
        this.assignments.emit(a);
      },
      (e) => this.fail(e),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    await Promise.all([...this.active].map((a) => a.end()));
    this.store.hangUp(this.reader);
    try {
      // Only our own registration: a new process of the same name may have taken the key over.
      const now = readAgentRecord(await getKey(this.cmd, keys.agent(this.record.name)));
      if (now?.instance === this.record.instance) await delKeys(this.cmd, [keys.agent(this.record.name)]);
    } catch {
      // The store is gone: the key expires by itself.
    }
    this.store.hangUp(this.cmd);
  }
}

class RedisAssignment implements RunAssignment {
  private ended = false;
  private reader: StoreClient | null = null;
  private lastWrite: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly cmd: StoreClient,
    readonly runId: string,
    private readonly agentName: string,
    readonly spec: unknown,
    private readonly fail: (e: unknown) => void,
    private readonly onEnd: () => void,
  ) {}

  send(msg: ParticipantMessage): void {
    if (this.ended) return;
    this.lastWrite = appendEntry(this.cmd, keys.reports(this.runId), STREAM_MAXLEN, { m: JSON.stringify(msg) }).catch((e: unknown) =>
      this.fail(e),
    );
  }

  onCommand(fn: (cmd: ParticipantCommand) => void): void {
    void this.readCommands(fn);
  }

  /** Commands come on a connection of their own: a blocking read per run keeps delivery prompt. */
  private async readCommands(fn: (cmd: ParticipantCommand) => void): Promise<void> {
    try {
      this.reader = await this.store.connect(true);
    } catch (e) {
      this.fail(e);
      return;
    }
    if (this.ended) {
      this.store.hangUp(this.reader);
      return;
    }
    await followStream(
      this.reader,
      keys.commands(this.runId, this.agentName),
      1000,
      () => this.ended,
      (entry) => {
        const c = readParticipantCommand(entry.fields.get('c'));
        if (c !== null && !this.ended) fn(c);
      },
      (e) => this.fail(e),
    );
  }

  controllerAlive(): Promise<boolean> {
    return keyExists(this.cmd, keys.controller(this.runId));
  }

  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.store.hangUp(this.reader);
    await this.lastWrite;
    this.onEnd();
  }
}
