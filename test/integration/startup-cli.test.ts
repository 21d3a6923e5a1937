/**
 * What a start of the CLI loads (issue 11): commands that do no work (--version, --help) and `serve` must not load
 * the histogram, Redis, live-redraw or chart libraries, which cost tens of milliseconds each. The CLI's ES module
 * entry (what the bin's bundle is built from, and what it falls back to) runs as a real child process with a
 * preload (test/fixtures/trace-loads.mjs) that lists every module it loaded. The bin itself, one bundled script
 * with its code cache (src/cli/bin.cts), is checked last.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, ESM_CLI, collect, type CliRun } from '../helpers/cli.js';
import { EXIT } from '../../src/metrics/exit-codes.js';
import { freePort } from '../helpers/ports.js';
import { startTarget } from '../helpers/target.js';

const TRACE = fileURLToPath(new URL('../fixtures/trace-loads.mjs', import.meta.url));
/** The URL of the built dist/ folder, with its slash: what tcpprobe's own modules start with. */
const DIST = new URL('../', pathToFileURL(ESM_CLI)).href;
const HEAVY = ['hdr-histogram-js', 'ioredis', 'log-update', 'asciichart'];
const dir = mkdtempSync(join(tmpdir(), 'tcpprobe-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let traces = 0;
/**
 * Run the CLI with the trace preload; `packages` are the node_modules packages it loaded, `own` tcpprobe's modules
 * (paths under dist/, as "cli/main.js").
 */
async function traced(args: string[], entry = ESM_CLI): Promise<CliRun & { packages: Set<string>; own: Set<string>; builtins: Set<string> }> {
  const file = join(dir, `trace-${++traces}.txt`);
  const child = spawn(process.execPath, ['--import', TRACE, entry, ...args], {
    env: { ...process.env, TCPPROBE_TRACE_LOADS: file },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run = await collect(child, 30_000);
  const loaded = readFileSync(file, 'utf8');
  const packages = new Set([...loaded.matchAll(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].map((m) => m[1] ?? ''));
  const own = new Set(loaded.split('\n').filter((u) => u.startsWith(DIST)).map((u) => u.slice(DIST.length)));
  const builtins = new Set(loaded.split('\n').filter((u) => u.startsWith('node:')));
  return { ...run, packages, own, builtins };
}

describe('start-up', () => {
  it.each([[['--version']], [['-V']]])('%j prints the version from the entry alone: no commander, no command, no library', async (args) => {
    const run = await traced(args);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect([...run.packages], `${args[0]} loaded packages`).toEqual([]);
    // The entry, the version and what the version reads it with (src/cli/main.ts).
    expect([...run.own].sort()).toEqual(['cli/main.js', 'single-file.js', 'version.js']);
  });

  it('--version after a command still goes through commander, and prints the same', async () => {
    const run = await traced(['hold', '--version']);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(run.packages.has('commander')).toBe(true);
    for (const p of HEAVY) expect(run.packages.has(p), `hold --version loaded ${p}`).toBe(false);
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

  it.each([[['hold', '--help']], [['hold', '--port', 'nope']], [['serve', '--help']]])(
    '%j loads the module of the command it names and of no other command',
    async (args) => {
      const run = await traced(args);
      const commands = [...run.own].filter((m) => /^cli\/[\w-]+-command\.js$/.test(m));
      expect(commands).toEqual([`cli/${args[0]}-command.js`]);
    },
  );

  it('the program\'s help loads the module of every command it lists', async () => {
    const run = await traced(['--help']);
    const section = run.stdout.slice(run.stdout.indexOf('\nCommands:\n')).split('\n\n')[0] ?? '';
    const listed = [...section.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]).filter((name) => name !== 'help');
    expect(listed.length).toBeGreaterThan(5);
    const commands = [...run.own].filter((m) => /^cli\/[\w-]+-command\.js$/.test(m));
    expect(commands.sort()).toEqual(listed.map((name) => `cli/${name}-command.js`).sort());
  });

  it('a usage error is still one line and exit 2, without loading the heavy libraries', async () => {
    const run = await traced(['ramp', '--port', 'nope']);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^tcpprobe: .*--port/);
    for (const p of HEAVY) expect(run.packages.has(p), `loaded ${p}`).toBe(false);
  });

  it('a piped hold of one connection loads what it runs, not the live redraw, the fleet, the audit, worker processes or pako', async () => {
    const target = await startTarget();
    const run = await traced(['hold', '--host', '127.0.0.1', '--port', String(target.port), '-c', '1', '--duration', '100ms']);
    expect(run.code).toBe(EXIT.ok);
    // Piped stderr gets plain status lines: log-update is for a terminal's redrawn block (src/cli/live-view.ts).
    for (const p of ['log-update', 'ioredis']) expect(run.packages.has(p), `loaded ${p}`).toBe(false);
    // The result's histograms are encoded without hdr's encoding module, which brings pako (src/metrics/histogram.ts).
    expect(run.packages.has('pako'), 'loaded pako').toBe(false);
    // The run's own: the pool's histograms, the summary's chart, the native core.
    for (const p of ['hdr-histogram-js', 'asciichart', 'node-gyp-build']) expect(run.packages.has(p), `did not load ${p}`).toBe(true);
    // ramp's flags and its post-run audit, worker processes and the elastic driver (one process, a fixed count).
    for (const m of ['cli/ramp-flags.js', 'cli/post-run-audit.js', 'config/fleet-options.js', 'drivers/worker-group.js', 'drivers/elastic-driver.js']) {
      expect(run.own.has(m), `loaded ${m}`).toBe(false);
    }
    // node:crypto loads a dozen modules (about 3 ms); only --send's hash in the recorded settings needs it. The
    // trace does see Node's own: the connection needs node:net.
    expect(run.builtins.has('node:net'), `Node's modules seen: ${[...run.builtins].join(' ')}`).toBe(true);
    expect(run.builtins.has('node:crypto'), 'loaded node:crypto').toBe(false);
    // Nothing reads the result's histograms when it is printed as text: nothing compresses them (node:zlib).
    expect(run.builtins.has('node:zlib'), 'loaded node:zlib').toBe(false);
    // The preflight reads its /proc files at once, without fs/promises' module and thread-pool trips.
    expect(run.builtins.has('node:fs/promises'), 'loaded node:fs/promises').toBe(false);
  });

  it('a ramp loads the histograms when it runs (the trace sees libraries loaded on first use), and not Redis', async () => {
    // Nothing listens on a port that was free a moment ago: the ramp ends at once as unreachable.
    const run = await traced(['ramp', '--host', '127.0.0.1', '--port', String(await freePort()), '-q', '--json']);
    expect(run.code).toBe(EXIT.unreachable);
    expect(run.packages.has('hdr-histogram-js')).toBe(true);
    expect(run.packages.has('ioredis')).toBe(false);
  });
});

describe('the bin', () => {
  it('runs the CLI from its bundle, with the code cache this Node accepts, and no ES module of dist/', async () => {
    const run = await traced(['hold', '--help'], CLI);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toMatch(/^Usage: tcpprobe hold/);
    // Only the bin itself: a bin that fell back to main.js would load it and its ES modules.
    expect([...run.own].sort()).toEqual(['cli/bin.cjs']);
    const cache = spawnSync(process.execPath, ['-e', `process.stdout.write(String(require(${JSON.stringify(CLI)}).compileBundle().cachedDataRejected))`], {
      encoding: 'utf8',
    });
    expect(cache.stdout, cache.stderr).toBe('false');
  });

  it.each([[['--version']], [['serve', '--bogus']]])('%j says the same as the ES module entry, with the same exit code', async (args) => {
    const [bin, esm] = await Promise.all([traced(args, CLI), traced(args)]);
    expect({ code: bin.code, stdout: bin.stdout, stderr: bin.stderr }).toEqual({ code: esm.code, stdout: esm.stdout, stderr: esm.stderr });
  });
});
