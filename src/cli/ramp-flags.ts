/**
 * The flags only ramp registers: the post-run audit's and the fleet controller's (the shared ones are in
 * probe-flags.ts). Apart, because their defaults come with the audit's and the fleet's option readers, which a hold
 * need not load. Only registering: ramp reads them in post-run-audit.ts and config/fleet-options.ts.
 */
import type { Command } from 'commander';
import { HELP_GROUPS } from '../config/help-groups.js';
import { FLEET_DEFAULTS, REDIS_PASSWORD_FILE_HELP, REDIS_URL_ENV } from '../config/fleet-options.js';
import { EXIT } from '../metrics/exit-codes.js';
import { AUDIT_DEFAULTS } from './post-run-audit.js';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Register the audit flags on a command (ramp). */
export function addAuditFlags(cmd: Command): Command {
  return cmd
    .optionsGroup(HELP_GROUPS.gate)
    .option('--save', 'append the result to the history file')
    .option('--history <path>', 'the history file (default $XDG_DATA_HOME/tcpprobe/history.jsonl, else ~/.local/share/tcpprobe/history.jsonl)')
    .option(
      '--baseline <last|file>',
      `"last" (the best of the recent saved runs of this host:port that passed) or a result file to compare the max with`,
    )
    .option('--baseline-runs <n>', `with --baseline last: how many recent passing runs to take the best of (default ${AUDIT_DEFAULTS.baselineRuns})`)
    .option('--max-regression <pct>', `with --baseline: exit ${EXIT.regression} when the max dropped by more than this percentage ("10%" or "10")`)
    .optionsGroup(HELP_GROUPS.output)
    .option('--openmetrics <file>', "write the result as an OpenMetrics textfile (for node_exporter's textfile collector)")
    .option('--label <key=value>', 'with --openmetrics: add this label to every sample (repeatable)', collect);
}

/** Register the controller's fleet flags on a probing command (ramp). */
export function addFleetFlags(cmd: Command): Command {
  return cmd
    .optionsGroup(HELP_GROUPS.fleet)
    .option(
      '--redis <url>',
      `run on a fleet of agents coordinated through this Redis: redis://[user@]host:port/db or rediss:// (default $${REDIS_URL_ENV} when --agents or --agent-names is given; see docs/fleet.md)`,
    )
    .option('--redis-password-file <file>', `with --redis: ${REDIS_PASSWORD_FILE_HELP}`)
    .option('--agents <n>', 'with --redis: run on N registered agents (the first N idle ones by name)')
    .option('--agent-names <a,b>', 'with --redis: run on these agents')
    .option('--agent-wait <dur>', `with --redis: wait this long for the agents to register (default ${FLEET_DEFAULTS.agentWaitMs / 1000}s)`)
    .option('--on-agent-loss <mode>', `with --redis: continue | abort the run when an agent is lost (default ${FLEET_DEFAULTS.onAgentLoss})`);
}
