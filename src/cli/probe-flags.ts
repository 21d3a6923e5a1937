/**
 * The flags the probing commands register, in one place: those every probing command shares (ramp, hold), the
 * post-run audit's (ramp) and the fleet controller's (ramp). Only registering (in --help groups, config/help-groups.ts): each command reads its flags into
 * options in config/ (ramp-options.ts, hold-options.ts), config/fleet-options.ts and post-run-audit.ts.
 */
import type { Command } from 'commander';
import { ENGINE_DEFAULTS } from '../config/probe-options.js';
import { ENGINE_HELP } from '../config/engine-choice.js';
import { HELP_GROUPS } from '../config/help-groups.js';
import { FLEET_DEFAULTS, REDIS_PASSWORD_FILE_HELP, REDIS_URL_ENV } from '../config/fleet-options.js';
import { EXIT } from '../metrics/exit-codes.js';
import { AUDIT_DEFAULTS } from './post-run-audit.js';

/** Flags shared by every probing command that say what to connect to and how (added first, shown first). */
export function addProbeFlags(cmd: Command): Command {
  return cmd
    .optionsGroup(HELP_GROUPS.target)
    .option('--host <host>', `target host name or address (default ${ENGINE_DEFAULTS.host})`)
    .option('--port <port>', 'target TCP port (required)')
    .option('--name <name>', "the target's name in the result, the history, OpenMetrics, JUnit and Markdown (default: host:port)")
    .option('--spread-addresses', 'spread over every address the host resolves to (default: pin the first)')
    .optionsGroup(HELP_GROUPS.connections)
    .option('--connect-timeout <dur>', `a connect not finished by then fails as "timeout" (default ${ENGINE_DEFAULTS.connectTimeoutMs / 1000}s)`)
    .option('--keepalive <dur>', `TCP keepalive idle time, in whole seconds ("30s"); 0 = off (default ${ENGINE_DEFAULTS.keepAliveSec}s)`)
    .option('--max-inflight <n>', `connects in flight at most (default ${ENGINE_DEFAULTS.maxInflight})`)
    .option('--settle <dur>', `an established connection counts as held after this long open (default ${ENGINE_DEFAULTS.settleMs}ms)`)
    .option('--source <addrs>', 'local source addresses: A,B or a range 127.0.0.2-127.0.0.40 (default: chosen by tcpprobe)')
    .option('--workers <n>', 'processes holding connections (default: enough for the run under the open-files limit)')
    .option('--engine <native|js>', ENGINE_HELP)
    .optionsGroup(HELP_GROUPS.service)
    .option('--send <data>', 'send this after connecting (escapes \\r\\n, or @FILE)')
    .option('--expect <text|/re/>', 'held only after a reply containing TEXT or matching /re/')
    .option('--reject <text|/re/>', 'a reply matching this means the server refused us (class "rejected")')
    .option('--expect-timeout <dur>', `no expected reply by then: "unserved" (default ${ENGINE_DEFAULTS.expectTimeoutMs / 1000}s)`)
    .optionsGroup(HELP_GROUPS.tls)
    .option('--tls', 'connect with TLS; held after the handshake')
    .option('--servername <name>', 'TLS SNI name (default: the host name)')
    .option('--insecure', 'TLS: accept any certificate')
    .option('--ca <file>', 'TLS: trust this CA certificate (PEM)');
}

/** The output flags every probing command shares; a command adds its own to the group after these. */
export function addOutputFlags(cmd: Command): Command {
  return cmd
    .optionsGroup(HELP_GROUPS.output)
    .option('--json', 'print the result document as JSON on stdout (summary goes to stderr)')
    .option('--out <file>', 'also write the result document to FILE')
    .option('--junit <file>', 'write JUnit XML for CI: one test case named after the target, its failure the verdict (- for stdout)')
    .option('--markdown <file>', 'write a Markdown summary for CI; appends when FILE is $GITHUB_STEP_SUMMARY (- for stdout)')
    .option('-q, --quiet', 'no live status, no preflight');
}

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
