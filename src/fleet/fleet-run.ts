/**
 * The controller's side of a fleet run: wait for the agents, publish the run spec, and hand the executor a
 * RemoteDriver over one link per agent, so the ramp runs unchanged (src/controller/ramp.ts). Lost agents are
 * handled here, by the --on-agent-loss policy, through an abort signal this module owns.
 */
import { poolSettings, type ConnectionOptions, type Reconnect, type TargetOptions } from '../config/probe-options.js';
import { formatDurationMs } from '../config/units.js';
import type { ProbeDriver } from '../controller/driver.js';
import type { TargetInfo } from '../metrics/result.js';
import { resolveTarget } from '../engine/resolve.js';
import { ProbeError } from '../errors.js';
import { RemoteDriver } from '../drivers/remote-driver.js';
import type { AgentRecord, FleetCoordinator, FleetRun } from './coordinator.js';
import type { FleetOptions } from '../config/fleet-options.js';
import { openRedisCoordinator } from './redis-client.js';
import type { FleetRunSpec } from './run-spec.js';
import { TOOL_VERSION } from '../version.js';
import { namedTarget } from '../metrics/series.js';

/** How long agents have to accept or refuse a run. */
export const AGENT_READY_TIMEOUT_MS = 15_000;
/** Agents close a run this long after its --max-duration (counted from the first command) on their own. */
export const RUN_DEADLINE_GRACE_MS = 5_000;

/** What the probing command tells the fleet about its run (RampOptions is one). */
export interface FleetProbe {
  target: TargetOptions;
  connection: ConnectionOptions;
  /** The run's --max-duration, in milliseconds. */
  maxDurationMs: number;
}

/** A run's driver and what goes with it. */
export interface FleetSetup {
  driver: ProbeDriver;
  /** The target as the controller resolved it, for the result. */
  target: TargetInfo;
  /** Lines about the fleet, in place of this machine's preflight (its limits do not bound the run). */
  preflightText: string;
  /** Aborted when the user stops the run, or when the fleet must (a lost agent under abort, the store lost). */
  signal: AbortSignal;
  /**
   * After the result was reported: release the fleet, and throw ProbeError('redis') (exit 8) naming the agent
   * or the store if the fleet stopped the run; otherwise return `code`.
   */
  finish(code: number): Promise<number>;
}

/**
 * Connect, wait for the agents, start the run. Throws ProbeError('redis') (exit 8) with one line when Redis cannot
 * be used, the agents do not come within --agent-wait, or an agent refuses the run (its reason included).
 * @param plannedConnections connections the run may ask for in all, split evenly over the agents for their planning
 * @param log where progress lines go (stderr, unless --quiet)
 */
export async function startFleet(
  fleet: FleetOptions,
  probe: FleetProbe,
  plannedConnections: number,
  stop: AbortSignal,
  log: (line: string) => void,
  reconnect: Reconnect = { enabled: false, delayMs: 0, heldOnly: false },
): Promise<FleetSetup> {
  // The controller resolves too, for the result; each agent connects to what it resolves itself.
  const resolved = await resolveTarget(probe.target.host, probe.target.port, {
    spread: probe.target.spreadAddresses,
    tls: probe.connection.tls !== null,
  });
  const coordinator = await openRedisCoordinator(fleet.redis);
  let run: FleetRun | null = null;
  try {
    const wanted = fleet.want.kind === 'count' ? `${fleet.want.count} agent(s)` : `agents ${fleet.want.names.join(', ')}`;
    log(`fleet: waiting up to ${formatDurationMs(fleet.agentWaitMs)} for ${wanted} at ${coordinator.where}`);
    // Stopped while waiting (no agents): the run goes on with none and ends at once as "interrupted", like a local
    // run stopped before its first connection.
    const agents = await coordinator.waitForAgents(fleet.want, fleet.agentWaitMs, stop);
    const plannedPerAgent = Math.ceil(plannedConnections / Math.max(1, agents.length));
    const spec: FleetRunSpec = {
      target: { host: probe.target.host, port: probe.target.port, spread: probe.target.spreadAddresses },
      engine: poolSettings(probe.connection, reconnect),
      plannedPerAgent,
      deadlineMs: probe.maxDurationMs + RUN_DEADLINE_GRACE_MS,
      startWithinMs: AGENT_READY_TIMEOUT_MS * 2,
      controllerVersion: TOOL_VERSION,
    };
    run = await coordinator.startRun(spec, agents);
    const setup = await driveRun(run, coordinator, agents, fleet, stop, log);
    // Each agent shows the sources it chose in its registration once it accepted the run; the result lists them
    // all (empty when every agent left the choice to its kernel).
    setup.driver.noteSources((await run.currentAgents().catch(() => [])).flatMap((a) => a.sources));
    return {
      ...setup,
      target: namedTarget(resolved.info, probe.target.name),
      preflightText: [
        `fleet: run ${run.runId} on ${agents.length} agent(s) at ${coordinator.where}: ${agents.map(describeAgent).join(', ')}`,
        `fleet: each agent plans for up to ${plannedPerAgent} connections, with its own source addresses and limits`,
      ].join('\n'),
    };
  } catch (e) {
    await run?.stop();
    await coordinator.close();
    throw e;
  }
}

function describeAgent(a: AgentRecord): string {
  return `${a.name} (pid ${a.pid} on ${a.host}${a.fdLimit === null ? '' : `, ${a.fdLimit} open files`})`;
}

/** Wire the run to a RemoteDriver, wait until every agent accepted it, and apply the loss policy. */
async function driveRun(
  run: FleetRun,
  coordinator: FleetCoordinator,
  agents: readonly AgentRecord[],
  fleet: FleetOptions,
  stop: AbortSignal,
  log: (line: string) => void,
): Promise<Omit<FleetSetup, 'target' | 'preflightText'> & { driver: RemoteDriver }> {
  const driver = new RemoteDriver(run.links);
  const own = new AbortController();
  const onStop = (): void => own.abort();
  stop.addEventListener('abort', onStop, { once: true });
  const startedAt = Date.now();
  /** Each agent's answer to the run, as one phrase for the error line; null: it accepted. */
  const answers = new Map<string, string | null>();
  let wakeReady: () => void = () => undefined;
  let fleetStopped: string | null = null;
  let fatal: Error | null = null;

  const loseAgent = (name: string, why: string): void => {
    driver.markLost(name);
    // An agent that finished its part (final report in) is not lost; nor is one lost twice.
    if (!driver.lostParticipants().includes(name) || !answers.has(name) || fleetStopped !== null) {
      if (!answers.has(name)) {
        answers.set(name, `agent ${name} was lost before it answered (${why})`);
        wakeReady();
      }
      return;
    }
    const at = formatDurationMs(Date.now() - startedAt);
    const left = agents.length - driver.lostParticipants().length;
    if (fleet.onAgentLoss === 'abort' || left === 0) {
      fleetStopped =
        left === 0
          ? `every agent was lost (the last, ${name}, at ${at}: ${why})`
          : `agent ${name} was lost at ${at} (${why}); the run was stopped (--on-agent-loss abort)`;
      log(`fleet: agent ${name} lost (${why}): stopping the run`);
      own.abort();
    } else {
      log(`fleet: agent ${name} lost at ${at} (${why}); going on with ${left} agent(s) (--on-agent-loss continue)`);
    }
  };

  run.onMessage((m) => {
    if (!answers.has(m.name)) {
      answers.set(m.name, m.kind === 'failure' ? `agent ${m.name} refused the run: ${m.reason}` : null);
      wakeReady();
    } else if (m.kind === 'failure') {
      loseAgent(m.name, m.reason);
    }
    if (m.kind === 'telemetry') driver.handleTelemetry(m);
    else if (m.kind === 'handshake-audit') driver.handleAudit(m);
  });
  run.onLost((name, why) => loseAgent(name, why));
  run.onFatal((e) => {
    fatal ??= e;
    // No report can arrive any more: count every agent out now rather than wait for finals that cannot come.
    for (const a of agents) driver.markLost(a.name);
    wakeReady();
    own.abort();
  });

  // Every agent accepts (first telemetry) or refuses before the first connection is asked for.
  let timer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    wakeReady = () => {
      if (answers.size >= agents.length || fatal !== null) resolve();
    };
    timer = setTimeout(resolve, AGENT_READY_TIMEOUT_MS);
    stop.addEventListener('abort', () => resolve(), { once: true });
    wakeReady();
  });
  clearTimeout(timer);

  const release = async (): Promise<void> => {
    stop.removeEventListener('abort', onStop);
    await run.stop();
    await coordinator.close();
  };
  const refusals = agents.filter((a) => typeof answers.get(a.name) === 'string');
  // Stopped by the user while agents were answering: the run ends at once as "interrupted" instead.
  const silent = stop.aborted ? [] : agents.filter((a) => !answers.has(a.name));
  if (fatal !== null || refusals.length > 0 || silent.length > 0) {
    await driver.close(1000);
    await release();
    if (fatal !== null) throw fatal;
    const lines = refusals.map((a) => answers.get(a.name) ?? '');
    if (silent.length > 0) {
      lines.push(`${silent.map((a) => a.name).join(', ')} did not answer within ${formatDurationMs(AGENT_READY_TIMEOUT_MS)}`);
    }
    throw new ProbeError('redis', `fleet: ${lines.join('; ')}`);
  }

  return {
    driver,
    signal: own.signal,
    async finish(code: number): Promise<number> {
      await release();
      if (fatal !== null) throw fatal;
      if (fleetStopped !== null && !stop.aborted) throw new ProbeError('redis', `fleet: ${fleetStopped}`);
      const lost = driver.lostParticipants();
      if (lost.length > 0) log(`fleet: lost during the run: ${lost.join(', ')} (their connections count only until they were lost)`);
      return code;
    },
  };
}
