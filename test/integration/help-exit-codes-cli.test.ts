/**
 * Each command's --help lists the exit codes that command can end with (COMMAND_OUTCOMES in src/cli/exit-codes.ts)
 * and no others, and where a code is cheap to bring about from the built binary, the command does end with it:
 * serve stopped by a signal, an agent whose Redis is unreachable or that is stopped, doctor with a name that does
 * not resolve, compare with no files. Targets and Redis are on loopback; every run is bounded.
 */
import { describe, expect, it } from 'vitest';
import { EXIT, OUTCOME_TABLE } from '../../src/metrics/exit-codes.js';
import { COMMAND_NAMES, commandOutcomes } from '../../src/cli/exit-codes.js';
import { collect, runCli, startCli } from '../helpers/cli.js';
import { waitForOutput } from '../helpers/child-output.js';
import { NEEDS_REDIS, startRedis } from '../helpers/redis.js';
import { itNeeding } from '../helpers/needs.js';

/** The codes in the "Exit codes:" section of `tcpprobe COMMAND --help`, as printed ("0", "130 / 143"). */
async function helpCodes(command: string): Promise<string[]> {
  const run = await runCli([command, '--help'], { timeoutMs: 20_000 });
  expect(run.code, run.stderr).toBe(EXIT.ok);
  const section = run.stdout.slice(run.stdout.indexOf('\nExit codes:\n'));
  expect(section.length, run.stdout).toBeGreaterThan(0);
  return [...section.matchAll(/^ {2}(\d+(?: \/ \d+)?) {2,}\S/gm)].map((m) => m[1]!);
}

/** The codes the table gives `command`, printed as --help prints them. */
function tableCodes(command: string): string[] {
  return commandOutcomes(command).map((r) => OUTCOME_TABLE.find((t) => t.outcome === r.outcome)!.codes.join(' / '));
}

describe("each command's --help lists its own exit codes", () => {
  it.each(COMMAND_NAMES.map((c) => [c]))('%s --help: the codes the table gives it, in order', async (command) => {
    expect(await helpCodes(command)).toEqual(tableCodes(command));
  });

  it('the program --help still lists every code', async () => {
    const run = await runCli(['--help'], { timeoutMs: 20_000 });
    const section = run.stdout.slice(run.stdout.indexOf('\nExit codes:\n'));
    const codes = [...section.matchAll(/^ {2}(\d+(?: \/ \d+)?) {2,}\S/gm)].map((m) => m[1]!);
    expect(codes).toEqual(OUTCOME_TABLE.map((r) => r.codes.join(' / ')));
  });
});

describe('the codes a command lists are the ones it ends with', () => {
  it('serve ends with 143 on SIGTERM and 130 on SIGINT, and lists 130 / 143 but no 0', async () => {
    expect(await helpCodes('serve')).toEqual(['1', '2', '130 / 143']);
    for (const [signal, code] of [['SIGTERM', EXIT.sigterm], ['SIGINT', EXIT.sigint]] as const) {
      const child = startCli(['serve', '--host', '127.0.0.1', '--port', '0', '-q']);
      const done = collect(child, 15_000);
      await waitForOutput(child, /listening on/, { stream: 'stdout' });
      child.kill(signal);
      const run = await done;
      expect(run.code, run.stderr).toBe(code);
    }
  });

  it('agent with an unreachable Redis ends with 8, which it lists', async () => {
    expect(await helpCodes('agent')).toContain(String(EXIT.fleet));
    // Port 1 on loopback: nothing listens there.
    const run = await runCli(['agent', '--redis', 'redis://127.0.0.1:1/0', '--name', 'help-codes'], { timeoutMs: 20_000 });
    expect(run.code, run.stderr).toBe(EXIT.fleet);
  });

  itNeeding(NEEDS_REDIS, 'agent stopped by SIGTERM ends with 0, which its --help says is how it ends', async () => {
    const redis = await startRedis();
    try {
      const child = startCli(['agent', '--redis', redis.url(), '--name', 'help-codes-stop']);
      const done = collect(child, 30_000);
      await waitForOutput(child, /registered at/, { timeoutMs: 15_000 });
      child.kill('SIGTERM');
      const run = await done;
      expect(run.code, run.stderr).toBe(EXIT.ok);
    } finally {
      await redis.stop();
    }
  });

  it('doctor with a host name that does not resolve ends with 3, which it lists', async () => {
    expect(await helpCodes('doctor')).toEqual(['0', '1', '2', '3']);
    const run = await runCli(['doctor', '--host', 'no-such-host.invalid', '--port', '80'], { timeoutMs: 20_000 });
    expect(run.code, run.stderr).toBe(EXIT.unreachable);
  });

  it('compare with files that do not exist ends with 2, and lists neither a verdict code nor a signal', async () => {
    expect(await helpCodes('compare')).toEqual(['0', '1', '2']);
    const run = await runCli(['compare', '/nonexistent/a.json', '/nonexistent/b.json'], { timeoutMs: 20_000 });
    expect(run.code, run.stderr).toBe(EXIT.usage);
  });
});
