/**
 * The controller's side of the fleet over Redis (layout in src/fleet/redis-store.ts): find the agents, publish a
 * run to their inboxes, heartbeat, send commands, read the reports, and watch the agents' heartbeats.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProbeError } from '../errors.js';
import type { ParticipantCommand, ParticipantMessage } from '../types/participant-protocol.js';
import type { ParticipantLink } from '../drivers/remote-driver.js';
import type { AgentWant } from '../config/fleet-options.js';
import {
  AGENT_TTL_MS,
  CONTROLLER_TTL_MS,
  HEARTBEAT_INTERVAL_MS,
  pickAgents,
  type AgentRecord,
  type FleetCoordinator,
  type FleetRun,
} from './coordinator.js';
import {
  appendEntry,
  followStream,
  delKeys,
  expireKey,
  INBOX_TTL_MS,
  keys,
  mgetKeys,
  Outlet,
  RUN_KEY_GRACE_MS,
  scanKeys,
  setKey,
  STREAM_MAXLEN,
  type Store,
  type StoreClient,
} from './redis-store.js';
import { writeRunSpec, type FleetRunSpec } from './run-spec.js';
import { readAgentRecord, readParticipantMessage } from './wire.js';

function newRunId(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export class RedisFleetCoordinator implements FleetCoordinator {
  readonly where: string;

  constructor(
    private readonly store: Store,
    private readonly cmd: StoreClient,
  ) {
    this.where = store.loc.display;
  }

  private async listAgents(): Promise<AgentRecord[]> {
    const values = await mgetKeys(this.cmd, await scanKeys(this.cmd, keys.agentPattern));
    return values.map((v) => readAgentRecord(v)).filter((a): a is AgentRecord => a !== null);
  }

  async waitForAgents(want: AgentWant, timeoutMs: number, signal: AbortSignal): Promise<AgentRecord[]> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      let pick: ReturnType<typeof pickAgents>;
      try {
        pick = pickAgents(want, await this.listAgents());
      } catch (e) {
        throw this.store.describe(e);
      }
      if (pick.ok) return pick.agents;
      if (signal.aborted) return [];
      if (Date.now() >= until) {
        throw new ProbeError('redis', `fleet: ${pick.problem} after waiting ${Math.round(timeoutMs / 1000)}s (--agent-wait) at ${this.where}`);
      }
      try {
        await sleep(250, undefined, { signal });
      } catch {
        return [];
      }
    }
  }

  async startRun(spec: FleetRunSpec, agents: readonly AgentRecord[]): Promise<FleetRun> {
    const runId = newRunId();
    const ttlMs = spec.deadlineMs + spec.startWithinMs + RUN_KEY_GRACE_MS;
    const reader = await this.store.connect(true);
    const heartbeat = JSON.stringify({ host: os.hostname(), pid: process.pid, startedAt: new Date().toISOString() });
    try {
      await setKey(this.cmd, keys.controller(runId), heartbeat, CONTROLLER_TTL_MS);
      // The reports stream exists (with its TTL) before any agent writes to it.
      await appendEntry(this.cmd, keys.reports(runId), STREAM_MAXLEN, { m: '{"kind":"start"}' });
      await expireKey(this.cmd, keys.reports(runId), ttlMs);
      const wire = JSON.stringify(writeRunSpec(spec));
      for (const a of agents) {
        await appendEntry(this.cmd, keys.inbox(a.name), 100, { run: runId, instance: a.instance, spec: wire });
        await expireKey(this.cmd, keys.inbox(a.name), INBOX_TTL_MS);
      }
    } catch (e) {
      this.store.hangUp(reader);
      throw this.store.describe(e);
    }
    return new RedisFleetRun(this.store, this.cmd, reader, runId, [...agents], ttlMs, heartbeat);
  }

  async close(): Promise<void> {
    this.store.hangUp(this.cmd);
  }
}

class RedisFleetRun implements FleetRun {
  readonly links: ParticipantLink[];
  private stopped = false;
  private readonly messages = new Outlet<[ParticipantMessage]>();
  private readonly lostOutlet = new Outlet<[string, string]>();
  private readonly fatalOutlet = new Outlet<[Error]>();
  private fatalSent = false;
  private readonly lost = new Set<string>();
  private readonly expiring = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly store: Store,
    private readonly cmd: StoreClient,
    private readonly reader: StoreClient,
    readonly runId: string,
    private readonly agents: AgentRecord[],
    private readonly ttlMs: number,
    private readonly heartbeat: string,
  ) {
    this.links = agents.map((a) => ({
      name: a.name,
      send: (c: ParticipantCommand) => this.sendCommand(a.name, c),
      dispose: async () => undefined,
    }));
    store.onLost((e) => this.fail(e));
    this.every(HEARTBEAT_INTERVAL_MS, () => setKey(this.cmd, keys.controller(runId), this.heartbeat, CONTROLLER_TTL_MS));
    this.every(HEARTBEAT_INTERVAL_MS / 2, () => this.watchAgents());
    void this.readReports();
  }

  onMessage(fn: (msg: ParticipantMessage) => void): void {
    this.messages.set(fn);
  }
  onLost(fn: (name: string, why: string) => void): void {
    this.lostOutlet.set(fn);
  }
  onFatal(fn: (e: Error) => void): void {
    this.fatalOutlet.set(fn);
  }

  /** Run `task` every `ms`, never two at once; a failing task is a lost store. */
  private every(ms: number, task: () => Promise<unknown>): void {
    let busy = false;
    this.timers.push(
      setInterval(() => {
        if (busy || this.stopped) return;
        busy = true;
        task()
          .catch((e: unknown) => this.fail(e))
          .finally(() => (busy = false));
      }, ms),
    );
  }

  private fail(e: unknown): void {
    if (this.stopped || this.fatalSent) return;
    this.fatalSent = true;
    this.fatalOutlet.emit(this.store.describe(e));
  }

  private sendCommand(name: string, c: ParticipantCommand): void {
    if (this.stopped) return;
    const key = keys.commands(this.runId, name);
    // One connection keeps commands in order; nothing waits for the reply.
    appendEntry(this.cmd, key, STREAM_MAXLEN, { c: JSON.stringify(c) }).catch((e: unknown) => this.fail(e));
    if (!this.expiring.has(key)) {
      this.expiring.add(key);
      expireKey(this.cmd, key, this.ttlMs).catch((e: unknown) => this.fail(e));
    }
  }

  async currentAgents(): Promise<AgentRecord[]> {
    const values = await mgetKeys(this.cmd, this.agents.map((a) => keys.agent(a.name)));
    return values.map((v) => readAgentRecord(v)).filter((a): a is AgentRecord => a !== null);
  }

  /** An agent whose registration expired, or was replaced by a new process of the same name, is lost. */
  private async watchAgents(): Promise<void> {
    const values = await mgetKeys(this.cmd, this.agents.map((a) => keys.agent(a.name)));
    this.agents.forEach((a, i) => {
      if (this.lost.has(a.name) || this.stopped) return;
      const now = readAgentRecord(values[i]);
      let why: string | null = null;
      if (now === null) why = `no heartbeat for ${AGENT_TTL_MS / 1000}s`;
      else if (now.instance !== a.instance) why = `restarted (now pid ${now.pid} on ${now.host})`;
      if (why === null) return;
      this.lost.add(a.name);
      this.lostOutlet.emit(a.name, why);
    });
  }

  private async readReports(): Promise<void> {
    await followStream(
      this.reader,
      keys.reports(this.runId),
      1000,
      () => this.stopped,
      (entry) => {
        const msg = readParticipantMessage(entry.fields.get('m'));
        if (msg !== null && !this.stopped) this.messages.emit(msg);
      },
      (e) => this.fail(e),
    );
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.store.hangUp(this.reader);
    // Deleting the controller key tells agents still running that the run is over (they check every second).
    const runKeys = [keys.controller(this.runId), keys.reports(this.runId), ...this.agents.map((a) => keys.commands(this.runId, a.name))];
    await delKeys(this.cmd, runKeys).catch(() => undefined);
  }
}
