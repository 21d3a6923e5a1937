/**
 * hold on a terminal: one redrawn status block with a progress bar, through a real pseudo-terminal (`script`).
 * Piped output (no escape codes) is covered in hold-cli.test.ts.
 */
import { expect, it } from 'vitest';
import { CLI, collect, startServe } from '../helpers/cli.js';
import { spawn } from 'node:child_process';
import { describeNeeding, need } from '../helpers/needs.js';


/** Run `hold` in a pseudo-terminal of the given size; returns what the terminal received. */
async function holdOnTerminal(rows: number, cols: number): Promise<{ code: number | null; out: string; err: string }> {
  const serve = await startServe([]);
  const command =
    `stty rows ${rows} cols ${cols}; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} hold ` +
    `--host 127.0.0.1 --port ${serve.port} -c 20 --delay 50ms --duration 2s --interval 200ms`;
  const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const run = await collect(child, 30_000);
  return { code: run.code, out: run.stdout, err: run.stderr };
}

describeNeeding([need.command('script', 'bsdutils')], 'hold on a terminal', () => {
  it('a terminal that reports no size gets plain status lines instead of a block clipped to nothing', async () => {
    const { code, out, err } = await holdOnTerminal(0, 0);
    expect(code, err).toBe(0);
    expect(out).toMatch(/\[ +\d+\.\ds\] (opening|holding) +held \d+/);
    expect(out).toMatch(/Held: 20 of 20 connections held at the end/);
  });

  it('redraws one status block with a progress bar toward N, then prints the summary', async () => {
    const { code, out, err } = await holdOnTerminal(40, 120);
    expect(code, err).toBe(0);
    // A progress bar toward 20 and the per-state counts, drawn more than once and erased in between.
    expect(out).toMatch(/\[[#+.]+\] *\d+\/20/);
    expect(out).toMatch(/not started \d+ {2}connecting \d+/);
    expect(out).toContain('\x1b[2K'); // erase line: the block is redrawn in place
    expect(out).toMatch(/Held: 20 of 20 connections held at the end/);
  });
});
