/**
 * The single-file executable (`npm run sea`, scripts/build-sea.mjs), built once for this file into a temporary
 * folder and run as a real binary: --version, the demo (its target in a worker thread whose code is an asset of the
 * binary), and a ramp with worker processes against `serve --workers 2`, both started by the binary (each child
 * re-enters the binary in its role), saved to a history the binary then renders as the HTML report (uPlot is an
 * asset too), and an agent (the bundled Redis client). Skipped, with the reason, only when this node binary has
 * no single-executable fuse.
 */
import { execFile, spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/metrics/exit-codes.js';
import { collect, type CliRun } from '../helpers/cli.js';
import { expectValidDocument } from '../helpers/schema-validator.js';
import { freePort } from '../helpers/ports.js';
import { missingOf, need, skipUnless } from '../helpers/needs.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tcpprobe-sea-'));
const binary = join(dir, 'tcpprobe');
/** scripts/build-sea.mjs exits 3 when the node binary cannot host a single executable. */
const NO_SEA_FUSE_EXIT = 3;
let skipReason: string | null = null;
let buildMs = 0;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  const started = Date.now();
  const build = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, [join(ROOT, 'scripts', 'build-sea.mjs'), '--out', binary], { timeout: 90_000 }, () => undefined);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
  buildMs = Date.now() - started;
  if (build.code === NO_SEA_FUSE_EXIT) skipReason = build.stderr.trim();
  else expect(build.code, build.stderr).toBe(0);
}, 120_000);

/** Run the binary itself (not node) with a hard timeout. */
function runBinary(args: readonly string[], timeoutMs = 30_000, extraEnv: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  // The binary chooses its engine itself (js unless TCPPROBE_NATIVE_ADDON names a core): not the engine the test
  // run may name.
  const env = { ...process.env, TCPPROBE_ENGINE: '', ...extraEnv };
  return collect(spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir, env }), timeoutMs);
}

/** The port `serve` (started by the binary) says it listens on. */
function listeningPort(serve: ChildProcessByStdio<null, Readable, Readable>): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 15_000);
    serve.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening on [^:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    serve.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
}

describe('the single-file executable', () => {
  it('prints the package version, without node or package.json beside it', async (ctx) => {
    skipUnless(ctx, skipReason);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const started = Date.now();
    const run = await runBinary(['--version']);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    expect(run.stdout.trim()).toBe(pkg.version);
    expect(run.stderr).toBe('');
    process.stdout.write(`single-file executable: built in ${buildMs} ms, --version in ${Date.now() - started} ms\n`);
  });

  it('runs the demo: the built-in target in a worker thread, 1,000 found, exit 0, a document the schema accepts', async (ctx) => {
    skipUnless(ctx, skipReason);
    const started = Date.now();
    const run = await runBinary(['demo', '--json', '-q'], 60_000);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    const doc = JSON.parse(run.stdout) as { maxConcurrency: number; verdict: { kind: string } };
    expect(doc.maxConcurrency).toBe(1000);
    expect(doc.verdict.kind).toBe('limit-by-failure');
    // Nothing the bundle left out was asked for at run time (the SEA's require warns for any non-built-in).
    expect(run.stderr).not.toMatch(/Warning/);
    expectValidDocument('result.schema.json', doc);
    process.stdout.write(`single-file executable: demo in ${Date.now() - started} ms\n`);
  }, 60_000);

  it('ramps with 2 worker processes against `serve --workers 2`, all re-entering the binary; saves and reports', async (ctx) => {
    skipUnless(ctx, skipReason);
    const serve = spawn(binary, ['serve', '--host', '127.0.0.1', '--port', '0', '--max-conns', '300', '--over-limit', 'refuse', '--workers', '2', '-q'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const port = await listeningPort(serve);
      const history = join(dir, 'history.jsonl');
      const args = ['ramp', '--host', '127.0.0.1', '--port', String(port), '--max', '600', '--rate', '1000', '--max-duration', '10s', '--hold', '300ms'];
      const run = await runBinary([...args, '--workers', '2', '--json', '-q', '--save', '--history', history], 60_000);
      expect(run.code, run.stderr).toBe(EXIT.ok);
      const doc = JSON.parse(run.stdout) as { maxConcurrency: number; participants?: { name: string; maxHeld: number }[]; engine?: { name: string } };
      expect(doc.maxConcurrency).toBe(300);
      // A native addon cannot load from inside the binary: the JS engine runs, and says why in one line.
      expect(doc.engine?.name).toBe('js');
      expect(run.stderr).toMatch(/^tcpprobe: using the JS engine: the single-file executable runs the JS engine/m);
      expect(doc.participants?.map((p) => p.name)).toEqual(['worker-1', 'worker-2']);
      expect(doc.participants?.reduce((sum, p) => sum + p.maxHeld, 0)).toBe(300);
      const html = join(dir, 'report.html');
      const report = await runBinary(['report', '--history', history, '--html', html, '-q']);
      expect(report.code, report.stderr).toBe(EXIT.ok);
      expect(readFileSync(html, 'utf8')).toContain('uPlot');
    } finally {
      serve.kill('SIGTERM');
    }
  }, 90_000);

  it('loads the native core from the file TCPPROBE_NATIVE_ADDON names, in every process (as the container image does)', async (ctx) => {
    skipUnless(ctx, skipReason ?? missingOf([need.nativeCore]));
    const addon = createRequire(import.meta.url)('node-gyp-build').resolve(ROOT) as string;
    const serve = spawn(binary, ['serve', '--host', '127.0.0.1', '--port', '0', '--max-conns', '300', '--over-limit', 'refuse', '-q'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const port = await listeningPort(serve);
      const args = ['ramp', '--host', '127.0.0.1', '--port', String(port), '--max', '600', '--rate', '1000', '--max-duration', '10s', '--hold', '300ms'];
      const run = await runBinary([...args, '--workers', '2', '--json', '-q'], 60_000, { TCPPROBE_NATIVE_ADDON: addon });
      expect(run.code, run.stderr).toBe(EXIT.ok);
      const doc = JSON.parse(run.stdout) as { maxConcurrency: number; participants?: { engine?: string }[]; engine?: { name: string } };
      expect(doc.maxConcurrency).toBe(300);
      expect(doc.engine?.name).toBe('native');
      expect(doc.participants?.map((p) => p.engine)).toEqual(['native', 'native']);
      expect(run.stderr).toBe('');
    } finally {
      serve.kill('SIGTERM');
    }
  }, 90_000);

  it('runs an agent (the Redis client is bundled): an unreachable Redis is one line and the fleet code, no warning', async (ctx) => {
    skipUnless(ctx, skipReason);
    const port = await freePort();
    const run = await runBinary(['agent', '--redis', `redis://127.0.0.1:${port}/0`, '--allow-target', '127.0.0.1:1', '-q'], 30_000);
    expect(run.code, run.stderr).toBe(EXIT.fleet);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^tcpprobe: redis: cannot connect/)]);
  }, 40_000);
});
