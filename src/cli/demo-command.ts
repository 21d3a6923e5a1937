/**
 * `tcpprobe demo`: the embedded default. Starts the built-in target capped at 1,000 connections (it answers
 * over-limit clients with an error line and closes, like redis at maxclients) and ramps against it.
 */
import type { Command } from 'commander';
import { readRampOptions } from '../config/ramp-options.js';
import { formatCount, parseCount } from '../config/units.js';
import { optional, Validator } from '../config/validator.js';
import { OVER_LIMIT_MODES, startTargetServer, type OverLimitMode } from '../server/target-server.js';
import { info } from './output.js';
import { rampMain } from './ramp-command.js';
import type { StopSignal } from './signals.js';

export const DEMO_DEFAULTS = { maxConns: 1000, overLimit: 'close' as OverLimitMode };

export function registerDemoCommand(program: Command, run: (fn: (stop: StopSignal) => Promise<number>) => Promise<void>): void {
  program
    .command('demo')
    .description('start the built-in target (capped at 1,000) and ramp against it: the answer should be 1,000')
    .option('--max-conns <n>', `the built-in target's cap (default ${DEMO_DEFAULTS.maxConns})`)
    .option('--over-limit <mode>', `its behaviour at the cap: ${OVER_LIMIT_MODES.join('|')} (default ${DEMO_DEFAULTS.overLimit})`)
    .option('--rate <n>', 'connections added per second, a fixed schedule (default: adaptive)')
    .option('--json', 'print the result document as JSON on stdout')
    .option('-q, --quiet', 'no live status, no preflight')
    .action(async (flags: Record<string, unknown>) => {
      const v = new Validator();
      const maxConns = v.field(() => optional(flags.maxConns, (s) => parseCount('--max-conns', s)), null) ?? DEMO_DEFAULTS.maxConns;
      if (maxConns < 1) v.problem('--max-conns: must be at least 1');
      const mode = String(flags.overLimit ?? DEMO_DEFAULTS.overLimit);
      if (!(OVER_LIMIT_MODES as readonly string[]).includes(mode)) {
        v.problem(`--over-limit: "${mode}" is not one of ${OVER_LIMIT_MODES.join(', ')}`);
      }
      v.done();
      await run(async (stop) => {
        const server = await startTargetServer({
          host: '127.0.0.1',
          port: 0,
          maxConns,
          overLimit: mode as OverLimitMode,
          overLimitMessage: '-ERR max number of clients reached\r\n',
          // The kernel's own cap (net.core.somaxconn), so that the queue, not a 1 s SYN retransmit, absorbs a
          // burst on a busy machine.
          backlog: 4096,
        }, { ownThread: true });
        try {
          const quiet = flags.quiet === true;
          info({ quiet }, `demo: built-in target on 127.0.0.1:${server.port}, capped at ${formatCount(maxConns)} (${mode} at the cap)`);
          const options = readRampOptions({
            host: '127.0.0.1',
            port: String(server.port),
            rate: flags.rate,
            json: flags.json,
            quiet: flags.quiet,
            maxDuration: '30s',
          });
          return await rampMain(options, stop);
        } finally {
          await server.close();
        }
      });
    });
}
