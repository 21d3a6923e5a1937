/**
 * The outcome table from the built binary: a run that did not answer never exits 0, a run that does not exit 0
 * says why even with --json -q, output paths are checked before the first connect, a write that fails at the end
 * keeps the result and says where, and help is reachable without leaking commander's internals. Targets are
 * `tcpprobe serve` children and small listeners in this process, all on loopback; every run is bounded.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/metrics/exit-codes.js';
import { HELP_EXAMPLES } from '../../src/cli/help-examples.js';
import { formatDurationMs } from '../../src/config/units.js';
import type { HoldResult, RampResult } from '../../src/metrics/result.js';
import { collect, parseResult, runCli, startCli, startServe, type CliRun } from '../helpers/cli.js';
import { waitForOutput } from '../helpers/child-output.js';
import { freePort } from '../helpers/ports.js';

const tmp = mkdtempSync(join(tmpdir(), 'tcpprobe-outcomes-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function nonEmptyLines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** A usage error: exactly one line on stderr, "tcpprobe: ...", the usage code, no stack trace, nothing on stdout. */
function expectOneUsageLine(run: CliRun): string {
  expect(run.code, run.stderr).toBe(EXIT.usage);
  expect(run.stdout).toBe('');
  const lines = nonEmptyLines(run.stderr);
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^tcpprobe: /);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  return lines[0]!;
}

/** A listener in this process that counts the connections it accepts (and keeps them until the test ends). */
async function countingListener(): Promise<{ port: number; accepted: () => number; close: () => Promise<void> }> {
  let accepted = 0;
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => {
    accepted++;
    sockets.push(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted: () => accepted,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('a run that did not answer never exits 0', () => {
  it('ramp: --max-duration runs out before the cap or --max: verdict timed-out, exit 9 (not 0 like max-reached)', async () => {
    const serve = await startServe(['--max-conns', '2000']);
    const run = await runCli(
      ['ramp', '--host', '127.0.0.1', '--port', String(serve.port), '--max', '1100', '--rate', '200', '--max-duration', '2s', '--hold', '300ms', '--json'],
      { timeoutMs: 30_000 },
    );
    expect(run.code, run.stderr).toBe(EXIT.timedOut);
    const r = parseResult<RampResult>(run);
    expect(r.verdict.kind).toBe('timed-out');
    expect(r.maxConcurrency).toBeLessThan(1100);
    expect(run.stderr).toMatch(/at least [\d,]+ connections \(timed out/);
  });

  it('ramp: --max reached before --max-duration still exits 0', async () => {
    const serve = await startServe([]);
    const run = await runCli(['ramp', '--host', '127.0.0.1', '--port', String(serve.port), '--max', '50', '--rate', '500', '--max-duration', '10s', '--hold', '200ms', '--json', '-q'], {
      timeoutMs: 30_000,
    });
    expect(run.code, run.stderr).toBe(EXIT.ok);
    expect(parseResult<RampResult>(run).verdict.kind).toBe('max-reached');
    // An answered run with --json -q prints nothing on stderr.
    expect(run.stderr).toBe('');
  });

  it('hold: without --duration, --max-duration runs out while the server keeps everything open: exit 9', async () => {
    const serve = await startServe([]);
    const run = await runCli(['hold', '--host', '127.0.0.1', '--port', String(serve.port), '-c', '10', '--max-duration', '1s', '--json', '-q'], {
      timeoutMs: 30_000,
    });
    expect(run.code, run.stderr).toBe(EXIT.timedOut);
    const r = parseResult<HoldResult>(run);
    expect(r.verdict.kind).toBe('timed-out');
    // With --json -q the one line on stderr says why the code is not 0, with the same count as the counters.
    const lines = nonEmptyLines(run.stderr);
    expect(lines).toEqual([`tcpprobe: --max-duration (1s) ran out with ${r.counters.held} held of 10.`]);
  });

  it('ramp --json -q against a closed port: exit 3 and one line on stderr saying nothing was established', async () => {
    const port = await freePort();
    const run = await runCli(['ramp', '--host', '127.0.0.1', '--port', String(port), '--json', '-q', '--max-duration', '5s', '--hold', '200ms'], {
      timeoutMs: 30_000,
    });
    expect(run.code, run.stderr).toBe(EXIT.unreachable);
    expect(parseResult<RampResult>(run).verdict.kind).toBe('unreachable');
    const lines = nonEmptyLines(run.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tcpprobe: No connection could be established: refused/);
  });
});

describe('help and the exit-code table', () => {
  it('no command: the help on stderr, exit 2, and no "(outputHelp)"', async () => {
    const run = await runCli([], { timeoutMs: 20_000 });
    expect(run.code).toBe(EXIT.usage);
    expect(run.stdout + run.stderr).toMatch(/Usage: tcpprobe/);
    expect(run.stdout + run.stderr).not.toContain('outputHelp');
  });

  // Each command's --help lists only its own exit codes: test/integration/help-exit-codes-cli.test.ts.

  it.each(Object.keys(HELP_EXAMPLES).filter((c) => c !== 'tcpprobe'))('%s --help shows its examples, and each uses only flags the command has', async (command) => {
    const run = await runCli([command, '--help'], { timeoutMs: 20_000 });
    expect(run.code, run.stderr).toBe(EXIT.ok);
    // The flag lines of every group (--help groups them by concern, test/integration/help-groups-cli.test.ts).
    const options = run.stdout
      .slice(0, run.stdout.indexOf('Examples:'))
      .split('\n')
      .filter((line) => /^ {2}-/.test(line))
      .join('\n');
    const flags = new Set([...options.matchAll(/(?:^|[\s,])(--?[a-z][a-z-]*)/gm)].map((m) => m[1]!));
    expect(flags.size).toBeGreaterThan(2);
    for (const example of HELP_EXAMPLES[command]!) {
      expect(run.stdout).toContain(`  ${example.line}\n`);
      expect(example.line).toMatch(new RegExp(`(^|\\s)tcpprobe ${command}( |$)`));
      for (const [flag] of example.line.matchAll(/(?<=\s)--?[a-z][a-z-]*/g)) expect(flags, `${command}: ${flag}`).toContain(flag);
    }
  });

  it('tcpprobe --help has it too, after examples that name real commands; `tcpprobe help` exits 0', async () => {
    const run = await runCli(['--help'], { timeoutMs: 20_000 });
    expect(run.code).toBe(EXIT.ok);
    const commands = [...run.stdout.matchAll(/^ {2}([a-z]+) \[options\]/gm)].map((m) => m[1]);
    for (const example of HELP_EXAMPLES.tcpprobe!) {
      expect(run.stdout).toContain(`  ${example.line}\n`);
      expect(commands).toContain(example.line.split(' ')[1]);
    }
    const help = await runCli(['help'], { timeoutMs: 20_000 });
    expect(help.code).toBe(EXIT.ok);
    expect(help.stdout + help.stderr).not.toContain('outputHelp');
    expect(run.stdout).toMatch(/^Exit codes:\n {2}0 +answered/m);
    expect(run.stdout).toMatch(/^ {2}9 +timed out without an answer/m);
  });
});

describe('--source addresses are checked before the first connect', () => {
  it.each([
    ['ramp', ['--max', '5']],
    ['hold', ['-c', '5']],
  ])('%s --source with an address this machine does not have: one usage line, exit 2, nothing connects', async (command, extra) => {
    const target = await countingListener();
    try {
      const run = await runCli([command, '--host', '127.0.0.1', '--port', String(target.port), '--source', '127.0.0.2,10.9.9.9', ...extra], {
        timeoutMs: 20_000,
      });
      expect(run.code).toBe(EXIT.usage);
      expect(expectOneUsageLine(run)).toBe(
        'tcpprobe: --source: 10.9.9.9 is not an address of this machine (`ip -brief address` lists them; on loopback any of 127.0.0.0/8 works)',
      );
      expect(target.accepted()).toBe(0);
    } finally {
      await target.close();
    }
  });
});

describe('output paths are checked before the first connect', () => {
  const cases: [string, (dir: string) => string[], RegExp][] = [
    ['--out in a directory that does not exist', (d) => ['--out', join(d, 'nope', 'r.json')], /^tcpprobe: --out: directory ".*nope" does not exist$/],
    ['--out naming a directory', (d) => ['--out', d], /^tcpprobe: --out: ".*" is a directory, not a file$/],
    ['--out under a regular file', (d) => ['--out', join(d, 'file', 'r.json')], /^tcpprobe: --out: ".*file" is not a directory/],
    ['--save --history under a regular file', (d) => ['--save', '--history', join(d, 'file', 'h', 'history.jsonl')], /^tcpprobe: --history: ".*file" is not a directory/],
    ['--openmetrics in a directory that does not exist', (d) => ['--openmetrics', join(d, 'nope', 'x.prom')], /^tcpprobe: --openmetrics: directory ".*nope" does not exist$/],
  ];
  it.each(cases)('ramp %s: one usage line, nothing connects', async (_name, flags, message) => {
    const dir = mkdtempSync(join(tmp, 'paths-'));
    writeFileSync(join(dir, 'file'), 'not a directory');
    const target = await countingListener();
    try {
      const run = await runCli(['ramp', '--host', '127.0.0.1', '--port', String(target.port), '--max', '5', '--max-duration', '5s', '--hold', '200ms', ...flags(dir)], {
        timeoutMs: 20_000,
      });
      expect(expectOneUsageLine(run)).toMatch(message);
      expect(target.accepted()).toBe(0);
    } finally {
      await target.close();
    }
  });

  it('hold --out in a directory that does not exist: one usage line, nothing connects', async () => {
    const target = await countingListener();
    try {
      const run = await runCli(['hold', '--host', '127.0.0.1', '--port', String(target.port), '-c', '3', '--duration', '300ms', '--out', join(tmp, 'nope', 'h.json')], {
        timeoutMs: 20_000,
      });
      expect(expectOneUsageLine(run)).toMatch(/--out: directory/);
      expect(target.accepted()).toBe(0);
    } finally {
      await target.close();
    }
  });

  it('--out - is stdout: the document there, the summary on stderr, and no file named "-"', async () => {
    const serve = await startServe([]);
    const cwd = mkdtempSync(join(tmp, 'dash-'));
    const run = await runCli(['ramp', '--host', '127.0.0.1', '--port', String(serve.port), '--max', '20', '--max-duration', '10s', '--hold', '200ms', '--out', '-'], {
      timeoutMs: 30_000,
      cwd,
    });
    expect(run.code, run.stderr).toBe(EXIT.ok);
    expect(parseResult<RampResult>(run).maxConcurrency).toBe(20);
    expect(run.stderr).toMatch(/^Max concurrency: at least 20 connections/m);
    expect(existsSync(join(cwd, '-'))).toBe(false);
  });

  it('--out whose directory goes away during the run: the result kept in a named fallback file, exit 2', async () => {
    const serve = await startServe([]);
    const dir = join(tmp, 'vanishing');
    mkdirSync(dir);
    const out = join(dir, 'r.json');
    const child = startCli(['ramp', '--host', '127.0.0.1', '--port', String(serve.port), '--max', '20', '--rate', '10', '--max-duration', '10s', '--hold', '200ms', '--out', out]);
    const done = collect(child, 30_000);
    await waitForOutput(child, /held \d+/);
    rmSync(dir, { recursive: true, force: true });
    const run = await done;
    expect(run.code, run.stderr).toBe(EXIT.usage);
    // The summary still went to stdout; stderr names the fallback file, which holds the whole document.
    expect(run.stdout).toMatch(/Max concurrency: at least 20 connections/);
    const m = /^tcpprobe: cannot write --out ".*r\.json": ENOENT; the result document was written to (\S+) instead$/m.exec(run.stderr);
    expect(m, run.stderr).not.toBeNull();
    const kept = JSON.parse(readFileSync(m![1]!, 'utf8')) as RampResult;
    rmSync(m![1]!, { force: true });
    expect(kept.kind).toBe('ramp');
    expect(kept.maxConcurrency).toBe(20);
  });
});

describe('durations written as tcpprobe prints them are read back, and a --hold that fits a short --max-duration', () => {
  it('--max-duration 1m30s, the way tcpprobe prints 90 s, is read back as 90 s (the run is bounded by --max)', async () => {
    const serve = await startServe([]);
    const printed = formatDurationMs(90_000);
    expect(printed).toBe('1m30s');
    const run = await runCli(['ramp', '--host', '127.0.0.1', '--port', String(serve.port), '--max', '10', '--max-duration', printed, '--hold', '200ms', '--json', '-q'], {
      timeoutMs: 30_000,
    });
    expect(run.code, run.stderr).toBe(EXIT.ok);
    const r = parseResult<RampResult>(run);
    expect(r.verdict.kind).toBe('max-reached');
    expect(r.settings).toMatchObject({ maxDurationMs: 90_000, maxDurationGiven: true, holdMs: 200 });
  });

  it('--max-duration 2s alone is valid: the default hold shrinks to 500ms', async () => {
    const serve = await startServe([]);
    const run = await runCli(['ramp', '--host', '127.0.0.1', '--port', String(serve.port), '--max', '10', '--max-duration', '2s', '--json', '-q'], {
      timeoutMs: 30_000,
    });
    expect(run.code, run.stderr).toBe(EXIT.ok);
    const r = parseResult<RampResult>(run);
    expect(r.verdict.kind).toBe('max-reached');
    expect(r.settings).toMatchObject({ maxDurationMs: 2000, holdMs: 500 });
    // 10 connections take a moment; the rest is the 500 ms hold, inside the 2 s bound.
    expect(r.durationMs).toBeGreaterThanOrEqual(500);
    expect(r.durationMs).toBeLessThan(2000);
  });

  it('a given --hold that does not fit is still one usage line', async () => {
    const run = await runCli(['ramp', '--port', '1', '--max-duration', '2s', '--hold', '2s'], { timeoutMs: 20_000 });
    expect(expectOneUsageLine(run)).toMatch(/--hold: must be shorter than --max-duration/);
  });

  it('--help says what the default hold shrinks to', async () => {
    const run = await runCli(['ramp', '--help'], { timeoutMs: 20_000 });
    expect(run.stdout.replace(/\s+/g, ' ')).toContain('or a quarter of a --max-duration under 8s');
  });
});
