/**
 * What a start of the CLI loads (issue 11): commands that do no work (--version, --help) and `serve` must not load
 * the histogram, Redis, live-redraw or chart libraries, which cost tens of milliseconds each. The built CLI runs as
 * a real child process with a preload (test/fixtures/trace-loads.mjs) that lists every module it loaded.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, collect, type CliRun } from '../helpers/cli.js';
import { EXIT } from '../../src/metrics/exit-codes.js';
import { freePort } from '../helpers/ports.js';

const TRACE = fileURLToPath(new URL('../fixtures/trace-loads.mjs', import.meta.url));
const HEAVY = ['hdr-histogram-js', 'ioredis', 'log-update', 'asciichart'];
const dir = mkdtempSync(join(tmpdir(), 'tcpprobe-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let traces = 0;
/** Run the CLI with the trace preload; `packages` are the node_modules packages it loaded. */
async function traced(args: string[]): Promise<CliRun & { packages: Set<string> }> {
  const file = join(dir, `trace-${++traces}.txt`);
  const child = spawn(process.execPath, ['--import', TRACE, CLI, ...args], {
    env: { ...process.env, TCPPROBE_TRACE_LOADS: file },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run = await collect(child, 30_000);
  const packages = new Set([...readFileSync(file, 'utf8').matchAll(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].map((m) => m[1] ?? ''));
  return { ...run, packages };
}

describe('start-up', () => {
  it('--version loads commander and none of the heavy libraries', async () => {
    const run = await traced(['--version']);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(run.packages.has('commander')).toBe(true);
    for (const p of HEAVY) expect(run.packages.has(p), `--version loaded ${p}`).toBe(false);
    // Nor the native core: only socket commands load it at start (src/cli/early-start.ts).
    expect(run.packages.has('node-gyp-build'), '--version loaded the native core').toBe(false);
  });

  it.each([[['--help']], [['ramp', '--help']], [['hold', '--help']], [['serve', '--help']], [['agent', '--help']]])(
    '%j prints help without loading the heavy libraries',
    async (args) => {
      const run = await traced(args);
      expect(run.code).toBe(EXIT.ok);
      expect(run.stdout).toMatch(/^Usage: tcpprobe/);
      for (const p of HEAVY) expect(run.packages.has(p), `${args.join(' ')} loaded ${p}`).toBe(false);
    },
  );

  it('a usage error is still one line and exit 2, without loading the heavy libraries', async () => {
    const run = await traced(['ramp', '--port', 'nope']);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^tcpprobe: .*--port/);
    for (const p of HEAVY) expect(run.packages.has(p), `loaded ${p}`).toBe(false);
  });

  it('a ramp loads the histograms when it runs (the trace sees libraries loaded on first use), and not Redis', async () => {
    // Nothing listens on a port that was free a moment ago: the ramp ends at once as unreachable.
    const run = await traced(['ramp', '--host', '127.0.0.1', '--port', String(await freePort()), '-q', '--json']);
    expect(run.code).toBe(EXIT.unreachable);
    expect(run.packages.has('hdr-histogram-js')).toBe(true);
    expect(run.packages.has('ioredis')).toBe(false);
  });
});
