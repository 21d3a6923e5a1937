/**
 * The library entry: `import { ramp, hold } from 'tcpprobe'` resolves through package.json "exports" (a real Node
 * child importing the package by name), runs the same core as the CLI, and returns the same result document.
 * Targets are `tcpprobe serve` children on loopback; every run is bounded.
 */
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXIT, hold, ramp, UsageError } from '../../src/index.js';
import { collect, startServe } from '../helpers/cli.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe("import { ramp, hold } from 'tcpprobe'", () => {
  it('by package name from a Node child: finds the exact cap of a served target, prints nothing itself', async () => {
    const serve = await startServe(['--max-conns', '120', '--over-limit', 'close']);
    const script = `
      import { ramp, EXIT, exitCodeForVerdict } from 'tcpprobe';
      const r = await ramp({ host: '127.0.0.1', port: ${serve.port}, rate: 1000, maxDuration: '15s', hold: '200ms', settle: '300ms', until: 'first-failure' });
      process.stdout.write(JSON.stringify({ max: r.maxConcurrency, kind: r.verdict.kind, code: r.exitCode, passed: r.passed, verdictCode: exitCodeForVerdict(r.verdict.kind, null), ok: EXIT.ok }));
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const run = await collect(child, 40_000);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ max: 120, kind: 'limit-by-failure', code: 0, passed: true, verdictCode: 0, ok: 0 });
  });

  it('hold with an assertion: the outcome is in result.assertions', async () => {
    const serve = await startServe([]);
    const r = await hold({ host: '127.0.0.1', port: serve.port, connections: 20, delay: 0, duration: '500ms', assertEstablished: { count: 20, within: '2s' } });
    expect(r.kind).toBe('hold');
    expect(r.verdict.kind).toBe('held');
    expect(r.assertions).toEqual([expect.objectContaining({ name: 'established-within', passed: true, actual: '20 of 20 established within 2s' })]);
    expect([r.exitCode, r.passed]).toEqual([0, true]);
    // 5 opened 50 ms apart cannot all be established within 100 ms (the fifth starts at 200 ms): the assertion
    // fails, and the result says so with the code the CLI exits with.
    const slow = await hold({ host: '127.0.0.1', port: serve.port, connections: 5, delay: '50ms', duration: '300ms', assertEstablished: { count: 5, within: '100ms' } });
    expect(slow.assertions[0]?.passed).toBe(false);
    expect([slow.exitCode, slow.passed]).toEqual([EXIT.assertEstablished, false]);
  });

  it('an AbortSignal stops the run: interrupted, with what was held', async () => {
    const serve = await startServe([]);
    const controller = new AbortController();
    const seen: number[] = [];
    const done = ramp(
      { host: '127.0.0.1', port: serve.port, rate: 100, maxDuration: '30s' },
      {
        signal: controller.signal,
        onProgress: (p) => {
          seen.push(p.counters.held);
          if (p.counters.held >= 20) controller.abort();
        },
      },
    );
    const r = await done;
    expect(r.verdict.kind).toBe('interrupted');
    expect(r.maxConcurrency).toBeGreaterThanOrEqual(20);
    expect(r.durationMs).toBeLessThan(15_000);
    expect(seen.length).toBeGreaterThan(0);
  });

  it('bad options are one UsageError naming each, before anything connects; a typo is not silently ignored', async () => {
    const err = await ramp({ port: 1, rate: 0, maxDuraton: '5s' } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).problems).toEqual(['maxDuraton: not an option']);
    const bad = await ramp({ port: 1, rate: 0, maxDuration: 'soon' }).catch((e: unknown) => e);
    // The problems name the options as the library takes them, not as flags.
    expect((bad as UsageError).problems).toEqual(['rate: must be above 0', expect.stringMatching(/^maxDuration: "soon" is not a duration/)]);
  });

  it('a duration needs its unit, as on the command line: { connectTimeout: 2 } is refused, not read as 2 ms', async () => {
    const err = await ramp({ port: 1, connectTimeout: 2 as never, keepalive: '500ms' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).problems).toEqual([
      'connectTimeout: 2 needs a unit: 2s or 2ms',
      'keepalive: TCP keepalive counts whole seconds (1s, 30s, 2m), not 500ms',
    ]);
  });
});
