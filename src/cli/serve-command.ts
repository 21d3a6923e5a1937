/**
 * `tcpprobe serve`: the built-in capped target, for demos, tests and rehearsing a capacity audit. With
 * `--workers N` (N > 1) N processes accept and hold the connections while a primary admits them against one global
 * count (src/server/multi-process.ts), so it holds more than one process's open-files limit, with an exact cap.
 */
import type { Command } from 'commander';
import { formatCount, parseCount, parseDurationMs, parseHost, parsePort } from '../config/units.js';
import { optional, Validator } from '../config/validator.js';
import { unescapeText } from '../engine/matcher.js';
import {
  OVER_LIMIT_MODES,
  startTargetServer,
  TARGET_SERVER_DEFAULTS,
  type OverLimitMode,
  type TargetServerOptions,
} from '../server/target-server.js';
import { checkMultiProcessOptions, MAX_SERVE_WORKERS, startMultiProcessTarget } from '../server/multi-process.js';
import { info } from './output.js';
import { exitCodeForVerdict } from '../metrics/exit-codes.js';
import type { StopSignal } from './signals.js';
import { HELP_GROUPS } from '../config/help-groups.js';

export interface ServeOptions {
  server: TargetServerOptions;
  /** Processes holding connections: 1 keeps everything in this process; more run beside a primary that admits. */
  workers: number;
  quiet: boolean;
}

export function readServeOptions(raw: Record<string, unknown>): ServeOptions {
  const v = new Validator();
  const host = v.field(() => parseHost('--host', String(raw.host ?? TARGET_SERVER_DEFAULTS.host)), '127.0.0.1');
  const port = v.field(() => optional(raw.port, (s) => parsePort('--port', s, true)), null) ?? 0;
  const maxConns = v.field(() => optional(raw.maxConns, (s) => parseCount('--max-conns', s)), null);
  if (maxConns !== null && maxConns < 1) v.problem('--max-conns: must be at least 1');
  const mode = String(raw.overLimit ?? TARGET_SERVER_DEFAULTS.overLimit);
  if (!(OVER_LIMIT_MODES as readonly string[]).includes(mode)) {
    v.problem(`--over-limit: "${mode}" is not one of ${OVER_LIMIT_MODES.join(', ')}`);
  }
  const backlog = v.field(() => optional(raw.backlog, (s) => parseCount('--backlog', s)), null);
  // Node reads a backlog of 0 as "the default" (511), so 0 would silently mean the opposite of what was asked.
  if (backlog !== null && backlog < 1) v.problem('--backlog: must be at least 1');
  const closeAfterMs = v.field(() => optional(raw.closeAfter, (s) => parseDurationMs('--close-after', s)), null);
  const workers = v.field(() => optional(raw.workers, (s) => parseCount('--workers', s)), null) ?? 1;
  const server: TargetServerOptions = {
    host,
    port,
    maxConns,
    overLimit: mode as OverLimitMode,
    greeting: raw.greeting === undefined ? null : unescapeText(String(raw.greeting)),
    overLimitMessage: raw.overLimitMessage === undefined ? null : unescapeText(String(raw.overLimitMessage)),
    echo: raw.echo === true,
    backlog: backlog ?? TARGET_SERVER_DEFAULTS.backlog,
    closeAfterMs,
  };
  for (const problem of checkMultiProcessOptions(server, workers)) v.problem(problem);
  v.done();
  return { server, workers, quiet: raw.quiet === true };
}

export function registerServeCommand(program: Command, run: (fn: (stop: StopSignal) => Promise<number>) => Promise<void>): void {
  program
    .command('serve')
    .description('run the built-in target server: a TCP server with a connection cap and a chosen behaviour at the cap')
    .optionsGroup(HELP_GROUPS.listen)
    .option('--host <addr>', `listen address (default ${TARGET_SERVER_DEFAULTS.host})`)
    .option('--port <port>', 'listen port; 0 picks a free one (default 0)')
    .optionsGroup(HELP_GROUPS.behaviour)
    .option('--max-conns <n>', 'connection cap (default: none)')
    .option('--over-limit <mode>', `at the cap: ${OVER_LIMIT_MODES.join('|')} (default ${TARGET_SERVER_DEFAULTS.overLimit})`)
    .option('--greeting <text>', 'send this to each served connection (escapes \\r\\n)')
    .option('--over-limit-message <text>', 'close mode: send this before closing an over-limit connection')
    .option('--echo', 'echo what clients send')
    .option('--backlog <n>', `listen backlog (default ${TARGET_SERVER_DEFAULTS.backlog})`)
    .option('--close-after <dur>', 'close every connection this long after accepting it')
    .optionsGroup(HELP_GROUPS.processes)
    .option(
      '--workers <n>',
      `processes holding connections, 1-${MAX_SERVE_WORKERS}; above 1 they accept, a primary admits against one global count so the cap stays exact (default 1)`,
    )
    .optionsGroup(HELP_GROUPS.output)
    .option('-q, --quiet', 'no status lines')
    .action(async (flags: Record<string, unknown>) => {
      await run((stop) => serveMain(readServeOptions(flags), stop));
    });
}

export async function serveMain(o: ServeOptions, stop: StopSignal): Promise<number> {
  const server =
    o.workers > 1
      ? await startMultiProcessTarget(o.server, o.workers, (name, lost) =>
          process.stderr.write(`tcpprobe serve: ${name} died; the ${formatCount(lost)} connections it held are gone\n`),
        )
      : await startTargetServer(o.server);
  // The first line on stdout is the bound address: scripts and tests read the port from it.
  process.stdout.write(`listening on ${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}\n`);
  const status = setInterval(() => {
    const s = server.stats();
    info(o, `open ${formatCount(s.open)}  peak ${formatCount(s.peakOpen)}  accepted ${formatCount(s.accepted)}  over-limit ${formatCount(s.overLimit)}  closed-by-client ${formatCount(s.closedByClient)}  accepting ${s.accepting ? 'yes' : 'no'}`);
  }, 1000);
  await new Promise<void>((resolve) => stop.controller.signal.addEventListener('abort', () => resolve(), { once: true }));
  clearInterval(status);
  await server.close();
  return exitCodeForVerdict('interrupted', stop.received);
}
