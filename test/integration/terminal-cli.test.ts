/**
 * Live status on real pseudo-terminals (`script`): the block fits the terminal's width for ramp and hold, ramp
 * gets the same redrawn block as hold, and TERM=dumb or NO_COLOR get plain lines with no escape codes at all.
 * Piped output (no terminal) is covered in hold-cli.test.ts and ramp-cli.test.ts.
 */
import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { CLI, collect, startServe } from '../helpers/cli.js';
import { describeNeeding, need } from '../helpers/needs.js';


const ESC = '\x1b';

/** Run tcpprobe ARGS in a pseudo-terminal of `cols` columns; returns what the terminal received. */
async function onTerminal(args: string, cols: number, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string }> {
  const command = `stty rows 40 cols ${cols}; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} ${args}`;
  const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const run = await collect(child, 40_000);
  return { code: run.code, out: run.stdout };
}

/** The lines of the live block (what the terminal shows after cursor movement is taken out). */
function blockLines(out: string): string[] {
  // eslint-disable-next-line no-control-regex
  const plain = out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
  return plain
    .split(/\r\n|\r|\n/)
    .filter((l) => /^(ramp |opening|holding|confirming|running|\[[#+.]*\]|not started |closed by peer |connect p50 )/.test(l));
}

describeNeeding([need.command('script', 'bsdutils')], 'live status on a terminal', () => {
  it('ramp on a 60-column terminal: a redrawn block with a bar toward --max, every line within 60 columns', async () => {
    const serve = await startServe([]);
    const { code, out } = await onTerminal(`ramp --host 127.0.0.1 --port ${serve.port} --max 300 --rate 200 --max-duration 10s --hold 300ms`, 60);
    expect(code, out).toBe(0);
    expect(out).toContain(`${ESC}[2K`); // erased and redrawn in place
    expect(out).toMatch(/\[[#+.]+\] *\d+\/300/);
    const lines = blockLines(out);
    expect(lines.length).toBeGreaterThan(3);
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(60);
  });

  it('hold on a 60-column terminal: the block does not wrap', async () => {
    const serve = await startServe([]);
    const { code, out } = await onTerminal(`hold --host 127.0.0.1 --port ${serve.port} -c 20 --delay 50ms --duration 1500ms --interval 200ms`, 60);
    expect(code, out).toBe(0);
    expect(out).toContain(`${ESC}[2K`);
    const lines = blockLines(out);
    expect(lines.some((l) => l.startsWith('not started'))).toBe(true);
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(60);
  });

  it.each([
    ['TERM=dumb', { TERM: 'dumb' }],
    ['NO_COLOR=1', { NO_COLOR: '1' }],
  ])('%s: plain status lines cut to the width, and not one escape code', async (_name, env) => {
    const serve = await startServe([]);
    const { code, out } = await onTerminal(`ramp --host 127.0.0.1 --port ${serve.port} --max 300 --rate 200 --max-duration 10s --hold 300ms`, 60, env);
    expect(code, out).toBe(0);
    expect(out).not.toContain(ESC);
    const status = out.split(/\r\n|\n/).filter((l) => /^\[ *\d+\.\ds\] /.test(l));
    expect(status.length).toBeGreaterThan(0);
    for (const l of status) expect(l.length, l).toBeLessThanOrEqual(60);
    expect(out).toMatch(/Max concurrency: at least 300 connections/);
  });
});
