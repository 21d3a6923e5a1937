/**
 * What a fleet controller and a fleet agent need from the store that connects them, as interfaces. The controller
 * (src/fleet/fleet-run.ts) and the agent loop (src/fleet/agent.ts) are written against these; Redis lives behind
 * them in src/fleet/redis-client.ts, the only file that imports the Redis client.
 *
 * Liveness is by heartbeat on both sides, because either side can vanish without a word (SIGKILL, a pulled cable):
 * an agent refreshes its registration every HEARTBEAT_INTERVAL_MS and counts as lost once it is AGENT_TTL_MS old;
 * a controller refreshes its run's key likewise, and agents close a run whose key is CONTROLLER_TTL_MS old.
 */
import type { AgentWant } from '../config/fleet-options.js';
import type { ParticipantLink } from '../drivers/remote-driver.js';
import type { ParticipantCommand, ParticipantMessage } from '../types/participant-protocol.js';
import type { FleetRunSpec } from './run-spec.js';

/** How often both sides refresh their heartbeat, in milliseconds. */
export const HEARTBEAT_INTERVAL_MS = 1000;
/** An agent whose heartbeat is this old is lost: three missed heartbeats. */
export const AGENT_TTL_MS = 3000;
/** An agent closes a run whose controller heartbeat is this old. */
export const CONTROLLER_TTL_MS = 5000;

/** An agent as it registers itself. */
export interface AgentRecord {
  name: string;
  /** Random per process: a restarted agent with the same name is a different agent (its old sockets are gone). */
  instance: string;
  host: string;
  pid: number;
  version: string;
  /** The run it is busy with, or null when it waits for one. */
  runId: string | null;
  /** Its --allow-target rules, as typed (for messages and `agent` listings). */
  allow: string[];
  /** Its open-files limit (soft), if known. */
  fdLimit: number | null;
  /** Source addresses of its current run (empty: idle, or the kernel chooses). */
  sources: string[];
}

/** Which agents a controller waits for: any `count` idle ones, or these names. */

/** Controller side. */
export interface FleetCoordinator {
  /** Human-readable location of the store, without credentials (for messages). */
  readonly where: string;
  /**
   * Resolve with the agents to use once enough idle agents are registered; throw ProbeError('redis') naming who
   * is missing when `timeoutMs` passes. Resolves with [] if `signal` aborts.
   */
  waitForAgents(want: AgentWant, timeoutMs: number, signal: AbortSignal): Promise<AgentRecord[]>;
  /** Publish the spec to these agents and start the run's heartbeat, report reading and loss watch. */
  startRun(spec: FleetRunSpec, agents: readonly AgentRecord[]): Promise<FleetRun>;
  /** Release the store connection (after every run was stopped). */
  close(): Promise<void>;
}

/** One run, controller side. Callbacks may be set once each, before or after messages start arriving. */
export interface FleetRun {
  readonly runId: string;
  /** One link per agent, in the order the agents were given. */
  readonly links: readonly ParticipantLink[];
  /** Telemetry and failures from the agents, in the order each agent sent them. */
  onMessage(fn: (msg: ParticipantMessage) => void): void;
  /** An agent stopped heartbeating (or restarted): its connections are gone. Called once per agent. */
  onLost(fn: (name: string, why: string) => void): void;
  /** The store itself was lost or refused a command: the run cannot be coordinated any more. */
  onFatal(fn: (e: Error) => void): void;
  /** The agents' registrations as they are now (lost agents are missing). */
  currentAgents(): Promise<AgentRecord[]>;
  /** Stop the heartbeat (agents close within CONTROLLER_TTL_MS if they have not) and delete the run's keys. */
  stop(): Promise<void>;
}

/** Agent side: the registration and the runs addressed to it. */
export interface AgentEndpoint {
  readonly name: string;
  readonly where: string;
  /** Called for each run addressed to this agent, also while it is busy with another (so it can refuse). */
  onAssignment(fn: (a: RunAssignment) => void): void;
  /** The store was lost: the agent cannot be reached any more. */
  onFatal(fn: (e: Error) => void): void;
  /** Show the agent busy with a run and its source addresses (or idle), at once and in every heartbeat. */
  setRun(runId: string | null, sources?: readonly string[]): Promise<void>;
  /** Deregister and release the connection. */
  close(): Promise<void>;
}

/** One run, agent side. */
export interface RunAssignment {
  readonly runId: string;
  /** The spec as JSON (read it with readRunSpec). */
  readonly spec: unknown;
  /** Send telemetry or a failure to the controller; delivered in order. */
  send(msg: ParticipantMessage): void;
  /** Commands from the controller, in order; delivery starts when this is set. */
  onCommand(fn: (cmd: ParticipantCommand) => void): void;
  /** Whether the controller's heartbeat is fresh. */
  controllerAlive(): Promise<boolean>;
  /** Stop command delivery and wait until everything sent has reached the store. */
  end(): Promise<void>;
}

/**
 * Choose the agents for a run from those registered: with names, exactly those (each idle); with a count, the
 * first `count` idle agents by name, so repeated runs over the same fleet use the same agents. Pure.
 * @returns the agents, or why there are not enough yet (one phrase, for the timeout message)
 */
export function pickAgents(
  want: AgentWant,
  registered: readonly AgentRecord[],
): { ok: true; agents: AgentRecord[] } | { ok: false; problem: string } {
  const byName = new Map(registered.map((a) => [a.name, a]));
  const busy = (a: AgentRecord): string => `${a.name} (busy with run ${a.runId ?? '?'})`;
  if (want.kind === 'names') {
    const problems: string[] = [];
    for (const n of want.names) {
      const a = byName.get(n);
      if (a === undefined) problems.push(`${n} (not registered)`);
      else if (a.runId !== null) problems.push(busy(a));
    }
    if (problems.length === 0) return { ok: true, agents: want.names.map((n) => byName.get(n) as AgentRecord) };
    return { ok: false, problem: `agents not ready: ${problems.join(', ')}` };
  }
  const idle = registered.filter((a) => a.runId === null).sort((a, b) => a.name.localeCompare(b.name));
  if (idle.length >= want.count) return { ok: true, agents: idle.slice(0, want.count) };
  const busyOnes = registered.filter((a) => a.runId !== null);
  const seen = idle.length === 0 ? 'none idle' : `idle: ${idle.map((a) => a.name).join(', ')}`;
  const busyText = busyOnes.length === 0 ? '' : `; ${busyOnes.map(busy).join(', ')}`;
  return { ok: false, problem: `${idle.length} of ${want.count} agents ready (${seen}${busyText})` };
}
