/**
 * `tcpprobe agent`: a long-running fleet agent. It registers with Redis, waits for runs from a controller
 * (`tcpprobe ramp --redis ...`), holds its share of the connections and reports back. See docs/fleet.md.
 */
import os from 'node:os';
import type { Command } from 'commander';
import { defaultAgentName, readAgentOptions, REDIS_PASSWORD_FILE_HELP, REDIS_URL_ENV, type AgentOptions } from '../config/fleet-options.js';
import { readSystemLimits } from '../preflight/system-limits.js';
import { TOOL_VERSION } from '../version.js';
import { EXIT } from '../metrics/exit-codes.js';
import { info } from './output.js';
import { ENGINE_HELP } from '../config/engine-choice.js';
import type { StopSignal } from './signals.js';
import { HELP_GROUPS } from '../config/help-groups.js';

/** Repeated flags: collect every value. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerAgentCommand(program: Command, run: (fn: (stop: StopSignal) => Promise<number>) => Promise<void>): void {
  program
    .command('agent')
    .summary('serve fleet runs: register with Redis, hold connections for a controller (ramp --redis), report back')
    .description(
      'serve fleet runs: register with Redis, hold connections for a controller (ramp --redis), report back; ' +
        "the Redis URL, password file, ACL and key layout: docs/fleet.md (in the package)",
    )
    .optionsGroup(HELP_GROUPS.fleet)
    .option('--redis <url>', `the fleet's Redis: redis://[user@]host:port/db, or rediss:// for TLS (default $${REDIS_URL_ENV}; one of the two is required)`)
    .option('--redis-password-file <file>', REDIS_PASSWORD_FILE_HELP)
    .option('--name <name>', `this agent's name in the fleet (default: the host name, here "${defaultAgentName()}")`)
    .optionsGroup(HELP_GROUPS.allow)
    .option(
      '--allow-target <rule>',
      'what this agent may connect to: HOST:PORT, a CIDR range (any port) or CIDR:PORT; repeat or comma-separate ' +
        '(default: nothing, so every run is refused)',
      collect,
    )
    .optionsGroup(HELP_GROUPS.connections)
    .option('--source <addrs>', 'local source addresses of this machine: A,B or a range 127.0.0.2-127.0.0.40 (default: chosen per run)')
    .option('--engine <native|js>', ENGINE_HELP)
    .option('--workers <n>', 'processes holding this agent\'s connections (default: enough for its share of a run under the open-files limit)')
    .optionsGroup(HELP_GROUPS.output)
    .option('-q, --quiet', 'no log lines (errors still go to stderr)')
    .action(async (flags: Record<string, unknown>) => {
      await run((stop) => agentMain(readAgentOptions(flags), stop));
    });
}

export async function agentMain(o: Readonly<AgentOptions>, stop: StopSignal): Promise<number> {
  // The agent and the Redis client (about 70 ms to load) only for this command, not for every start of the CLI.
  const [{ runAgent }, { openRedisAgentEndpoint }] = await Promise.all([
    import('../fleet/agent.js'),
    import('../fleet/redis-client.js'),
  ]);
  const limits = await readSystemLimits();
  const endpoint = await openRedisAgentEndpoint(o.redis, {
    name: o.name,
    host: os.hostname(),
    pid: process.pid,
    version: TOOL_VERSION,
    allow: o.allowTexts,
    fdLimit: limits.openFilesSoft !== null && Number.isFinite(limits.openFilesSoft) ? limits.openFilesSoft : null,
  });
  await runAgent(endpoint, o, stop.controller.signal, (line) => info(o, line));
  // Being stopped is how an agent ends: not an error.
  return EXIT.ok;
}
