/**
 * The flags every probing command shares (ramp, hold); those of ramp alone (the post-run audit's, the fleet
 * controller's) are in ramp-flags.ts, so that registering hold does not load their option readers. Only registering
 * (in --help groups, config/help-groups.ts): each command reads its flags into options in config/ (ramp-options.ts,
 * hold-options.ts), config/fleet-options.ts and post-run-audit.ts.
 */
import type { Command } from 'commander';
import { ENGINE_DEFAULTS } from '../config/probe-options.js';
import { ENGINE_HELP } from '../config/engine-choice.js';
import { HELP_GROUPS } from '../config/help-groups.js';

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
