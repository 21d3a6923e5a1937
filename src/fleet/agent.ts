/**
 * The agent loop: wait for runs, check each against this agent's allowlist, run its share through the same
 * participant loop a worker process runs (src/drivers/participant.ts), and stream telemetry back. All I/O goes
 * through an AgentEndpoint (src/fleet/coordinator.ts), so this file knows nothing about Redis.
 *
 * Three things end a run on the agent without the controller's say: the run's own deadline (no run outlives its
 * --max-duration, counted from the controller's first command, by more than the grace in the spec), the
 * controller's heartbeat going stale (it crashed or lost its network), and the agent being stopped. Each closes
 * every socket and sends the final report.
 */
import { lookup } from 'node:dns/promises';
import { formatDurationMs } from '../config/units.js';
import { resolveTarget, type ResolvedTarget } from '../engine/resolve.js';
import { formatEndpoint } from '../preflight/address.js';
import { formatPreflight } from '../reporters/preflight.js';
import { prepareAgentShare, type AgentShare } from '../setup/run-setup.js';
import { readyForManySockets } from '../engine/process-readiness.js';
import { startParticipant, type Participant, type ParticipantTransport } from '../drivers/participant.js';
import { disallowedTargets, resolveAllowRules, type HostLookup } from './allowlist.js';
import { CONTROLLER_TTL_MS, HEARTBEAT_INTERVAL_MS, type AgentEndpoint, type RunAssignment } from './coordinator.js';
import type { AgentOptions } from '../config/fleet-options.js';
import { readRunSpec, RunSpecError, type FleetRunSpec } from './run-spec.js';

export type AgentLog = (line: string) => void;

const lookupAll: HostLookup = (host) => lookup(host, { all: true });

/** One run on this agent, from assignment to final report. */
interface ActiveRun {
  runId: string;
  /** Leave the run now (agent stopping, store lost): the controller hears why and counts this agent lost. */
  stop(why: string): void;
  done: Promise<void>;
}

/**
 * Serve runs until `signal` aborts (then close the current run, deregister and resolve) or the store is lost
 * (then close the current run and throw the store's error).
 */
export async function runAgent(endpoint: AgentEndpoint, o: AgentOptions, signal: AbortSignal, log: AgentLog): Promise<void> {
  // Once, before any run: this process reports its runs' telemetry while it (or its workers) holds connections.
  readyForManySockets('agent');
  // Mutated from callbacks: held in an object so the compiler does not narrow them to their initial null.
  const state: { current: ActiveRun | null; fatal: Error | null } = { current: null, fatal: null };
  const stopped = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
    endpoint.onFatal((e) => {
      state.fatal = e;
      resolve();
    });
  });
  endpoint.onAssignment((a) => {
    if (state.current !== null) {
      const reason = `busy with run ${state.current.runId}`;
      log(`run ${a.runId}: refused: ${reason}`);
      a.send({ kind: 'failure', name: o.name, reason });
      void a.end();
      return;
    }
    const run = serveRun(a, endpoint, o, log);
    state.current = run;
    void run.done.finally(() => {
      if (state.current === run) state.current = null;
    });
  });
  log(
    `agent ${o.name}: registered at ${endpoint.where}; ` +
      (o.allowTexts.length === 0
        ? 'no --allow-target given, so every run will be refused'
        : `allowed targets: ${o.allowTexts.join(', ')}`),
  );
  await stopped;
  const active = state.current;
  if (active !== null) {
    active.stop(state.fatal === null ? 'agent stopping' : 'coordination store lost');
    await active.done;
  }
  await endpoint.close();
  if (state.fatal !== null) throw state.fatal;
}

/** Check a run against the allowlist; the reason it is refused, or null. */
async function refusal(o: AgentOptions, spec: FleetRunSpec, resolved: ResolvedTarget): Promise<string | null> {
  const host = spec.target.host;
  if (o.allow.length === 0) {
    const first = resolved.addresses[0];
    const example = first === undefined ? `${host}:${spec.target.port}` : formatEndpoint(first.address, first.port);
    return `it allows no targets (start it with --allow-target ${example})`;
  }
  const { rules, unresolved } = await resolveAllowRules(o.allow, lookupAll);
  const denied = disallowedTargets(rules, resolved.addresses);
  if (denied.length === 0) return null;
  const what = denied.map((d) => formatEndpoint(d.address, d.port)).join(', ');
  const named = denied.some((d) => d.address !== host) ? ` (${host})` : '';
  const unres = unresolved.length === 0 ? '' : `; could not resolve: ${unresolved.join(', ')}`;
  return `${what}${named} is not on its --allow-target list (${o.allowTexts.join(', ')})${unres}`;
}

function serveRun(a: RunAssignment, endpoint: AgentEndpoint, o: AgentOptions, log: AgentLog): ActiveRun {
  let stopWhy: string | null = null;
  let closeNow: (why: string) => void = (why) => (stopWhy = why);
  /** The agent leaves a run it is part of on its own (stopped, store lost); before it takes part, it refuses. */
  let leave: (why: string) => void = (why) => (stopWhy = why);

  const refuse = async (reason: string): Promise<void> => {
    log(`run ${a.runId}: refused: ${reason}`);
    a.send({ kind: 'failure', name: o.name, reason });
    await a.end();
  };

  const body = async (): Promise<void> => {
    let spec: FleetRunSpec;
    try {
      spec = readRunSpec(a.spec);
    } catch (e) {
      if (!(e instanceof RunSpecError)) throw e;
      return refuse(`unreadable run spec (${e.message})`);
    }
    const receivedAt = Date.now();
    let resolved: ResolvedTarget;
    try {
      resolved = await resolveTarget(spec.target.host, spec.target.port, { spread: spec.target.spread, tls: spec.engine.tls !== null });
    } catch (e) {
      return refuse((e as Error).message);
    }
    const refused = await refusal(o, spec, resolved);
    if (refused !== null) return refuse(refused);
    const first = resolved.addresses[0];
    if (first === undefined) return refuse(`host "${spec.target.host}" has no addresses`);
    if (stopWhy !== null) return refuse(stopWhy);

    let share: AgentShare;
    try {
      share = await prepareAgentShare(spec.engine, resolved.addresses, spec.plannedPerAgent, {
        sources: o.sources,
        workers: o.workers,
        engine: o.engine,
      });
    } catch (e) {
      return refuse((e as Error).message);
    }
    const { sources, limits, fdLimit, workers, preflight } = share;
    const endpoints = resolved.addresses.map((t) => formatEndpoint(t.address, t.port)).join(', ');
    log(`run ${a.runId}: ${endpoints}, up to ${spec.plannedPerAgent} connections here${workers > 1 ? ` in ${workers} processes` : ''}`);
    if (!o.quiet) log(formatPreflight(preflight.assessment, limits, sources.addresses));
    if (share.fallback !== null) log(share.fallback);

    const seen = { maxHeld: 0, failed: 0 };
    const transport: ParticipantTransport = {
      send: (r) => {
        if (r.kind === 'telemetry') {
          seen.maxHeld = Math.max(seen.maxHeld, r.counters.held);
          seen.failed = r.counters.failed;
        }
        a.send(r);
      },
    };
    const participant: Participant = startParticipant(o.name, share.driver, transport, fdLimit, preflight.engine.name);
    await endpoint.setRun(a.runId, sources.addresses);
    let closedWhy: string | null = null;
    closeNow = (why) => {
      if (closedWhy !== null) return;
      closedWhy = why;
      log(`run ${a.runId}: ${why}: closing every connection`);
      participant.close();
    };
    leave = (why) => {
      if (closedWhy !== null) return;
      // Said before the final report, so that the controller counts this agent lost and applies its loss policy:
      // a final report alone would read as a part finished, and the run would go on without its connections.
      a.send({ kind: 'failure', name: o.name, reason: why });
      closeNow(why);
    };
    if (stopWhy !== null) leave(stopWhy);

    // Deadlines run on this machine's clock (the fleet's clocks need not agree): first for the run to start,
    // then, from the first command on, for the run itself.
    let deadline = setTimeout(
      () => closeNow(`no command within ${formatDurationMs(spec.startWithinMs)}`),
      Math.max(0, spec.startWithinMs - (Date.now() - receivedAt)),
    );
    let started = false;
    a.onCommand((cmd) => {
      if (!started) {
        started = true;
        clearTimeout(deadline);
        deadline = setTimeout(() => closeNow(`deadline of ${formatDurationMs(spec.deadlineMs)} reached`), spec.deadlineMs);
      }
      participant.handle(cmd);
    });
    let checking = false;
    const watch = setInterval(() => {
      if (checking) return;
      checking = true;
      a.controllerAlive()
        .then((alive) => {
          if (!alive) closeNow(`controller gone (no heartbeat for ${CONTROLLER_TTL_MS / 1000}s)`);
        })
        // A failing check means the store is gone, which the endpoint reports on its own.
        .catch(() => undefined)
        .finally(() => (checking = false));
    }, HEARTBEAT_INTERVAL_MS);

    await participant.done;
    clearTimeout(deadline);
    clearInterval(watch);
    await a.end();
    await endpoint.setRun(null);
    log(`run ${a.runId}: done: held at most ${seen.maxHeld.toLocaleString('en-US')} here, ${seen.failed.toLocaleString('en-US')} failures${closedWhy === null ? '' : ` (${closedWhy})`}`);
  };

  const done = body().catch(async (e: unknown) => {
    log(`run ${a.runId}: error: ${(e as Error).message}`);
    await a.end();
    await endpoint.setRun(null);
  });
  return { runId: a.runId, stop: (why) => leave(why), done };
}
