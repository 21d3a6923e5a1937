/**
 * `tcpprobe hold` from the built binary (dist/) against `tcpprobe serve` child processes on loopback: delay pacing,
 * the original wait-until-closed behaviour, reconnect, the CI assertions and their exit codes, signals, plain
 * output when piped, --verbose lines, --json/--out. Assertions are on counts, exit codes and lines; time bounds are
 * generous lower bounds only.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/metrics/exit-codes.js';
import type { HoldResult } from '../../src/metrics/result.js';
import { collect, parseResult, runCli, startCli, startServe, type CliRun } from '../helpers/cli.js';
import { expectValidDocument } from '../helpers/schema-validator.js';
import { waitForOutput } from '../helpers/child-output.js';

const tmp = mkdtempSync(join(tmpdir(), 'tcpprobe-hold-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Every hold here has a hard bound well inside the test timeout. */
async function hold(port: number, args: readonly string[], timeoutMs = 30_000): Promise<CliRun> {
  return runCli(['hold', '--host', '127.0.0.1', '--port', String(port), '--max-duration', '20s', ...args], { timeoutMs });
}

function result(run: CliRun): HoldResult {
  const r = parseResult<HoldResult>(run);
  expect(r.schema).toBe('tcpprobe/result');
  expect(r.schemaVersion).toBe(1);
  expect(r.kind).toBe('hold');
  // Every document these runs print validates against the shipped schema (test/integration/schema-cli.test.ts).
  expectValidDocument('result.schema.json', r);
  return r;
}

/** Lines on stderr that start with "tcpprobe:" (errors and failed assertions). */
function toolLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('tcpprobe:'));
}

describe('hold: opening and waiting', () => {
  it('--delay paces the opening: 20 connections 50 ms apart take >= 0.6 s from first to last; --json and --out agree', async () => {
    const serve = await startServe([]);
    const out = join(tmp, 'paced.json');
    const run = await hold(serve.port, ['-c', '20', '--delay', '50ms', '--duration', '1200ms', '--json', '-q', '--out', out]);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    const r = result(run);
    expect(r.verdict.kind).toBe('held');
    expect(r.maxConcurrency).toBe(20);
    expect(r.allEstablishedAtMs).not.toBeNull();
    // The first sample that saw an open connection is at or after the first connect; 19 delays of 50 ms follow.
    const firstOpen = r.timeline.find((s) => s.held + s.established > 0);
    expect(firstOpen).toBeDefined();
    expect(r.allEstablishedAtMs! - firstOpen!.tMs).toBeGreaterThanOrEqual(600);
    // Held grows step by step, not all at once: some sample saw part of the 20 open.
    expect(r.timeline.some((s) => s.held + s.established > 0 && s.held + s.established < 20)).toBe(true);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(r);
  });

  it('the original behaviour: without --duration, a server that closes every connection ends the run (all-closed) with a summary', async () => {
    const serve = await startServe(['--close-after', '500ms', '--greeting', 'hello from serve\\r\\n']);
    const run = await hold(serve.port, ['-c', '20', '-q']);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    // The summary goes to stdout when there is no --json.
    expect(run.stdout).toMatch(/All closed/);
    expect(run.stdout).toMatch(/^Verdict: The server closed all 20 connections/m);
    expect(run.stdout).toMatch(/server said: "hello from serve/);
  });

  it('--reconnect keeps about N open while the server closes each connection a second after accepting it', async () => {
    const N = 50;
    const serve = await startServe(['--close-after', '1s']);
    // Each connection is down from the server's close to its replacement's connect: the reconnect delay (20 ms) plus
    // the time this side takes to see the close and connect again, longer on a loaded machine. Opened 20 ms apart
    // (--delay), the connections close and come back 20 ms apart too, never all at once, so every sample sees the
    // few that are down at that moment: all of N but about (50/s x the down time). Measured: 1 to 4 down; 10 (the
    // 0.8 N below) would take a down time of 200 ms, ten times the delay.
    const run = await hold(serve.port, ['-c', String(N), '--delay', '20ms', '--duration', '4s', '--reconnect', '--reconnect-delay', '20ms', '--json', '-q']);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    const r = result(run);
    expect(r.verdict.kind).toBe('held');
    // Every connection was closed and replaced at least twice (at about 1 s, 2 s and 3 s after it opened).
    expect(r.counters.reconnects).toBeGreaterThanOrEqual(2 * N);
    const late = r.timeline.filter((s) => s.tMs >= 1500 && s.tMs <= 3900);
    expect(late.length).toBeGreaterThan(10);
    // Open = held + established (still settling): a reopened connection counts as held only after --settle.
    const nearN = late.filter((s) => s.held + s.established >= 0.8 * N);
    const summary = late.map((s) => s.held + s.established).join(' ');
    expect(nearN.length / late.length, `open in late samples: ${summary}`).toBeGreaterThanOrEqual(0.7);
    for (const s of r.timeline) expect(s.held + s.established + s.connecting).toBeLessThanOrEqual(N);
  });

  it('--verbose prints a line per connection event, and closes by the server with what it said', async () => {
    const serve = await startServe(['--close-after', '300ms', '--greeting', 'bye soon']);
    const run = await hold(serve.port, ['-c', '5', '--verbose']);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    expect(run.stderr).toMatch(/^conn 3 established in \d+(\.\d+)?\s?ms$/m);
    expect(run.stderr).toMatch(/^conn \d+ closed by peer after [\d.]+\s?m?s, server said "bye soon"$/m);
    for (let id = 1; id <= 5; id++) expect(run.stderr).toMatch(new RegExp(`^conn ${id} established in `, 'm'));
    expect(run.stderr.match(/closed by peer/g)).toHaveLength(5);
  });
});

describe('hold: the chart', () => {
  it('draws the chart of held connections by default and none with --no-chart', async () => {
    const serve = await startServe([]);
    const charted = await hold(serve.port, ['-c', '20', '--delay', '0', '--duration', '500ms', '-q']);
    expect(charted.code, charted.stderr).toBe(EXIT.ok);
    expect(charted.stdout).toMatch(/^Held connections \(peak 20\)/m);
    const plain = await hold(serve.port, ['-c', '20', '--delay', '0', '--duration', '500ms', '-q', '--no-chart']);
    expect(plain.code, plain.stderr).toBe(EXIT.ok);
    expect(plain.stdout).toMatch(/^Held: 20 of 20 connections held at the end/m);
    expect(plain.stdout).not.toMatch(/Held connections|[│└┤┼─]/);
  });
});

describe('hold: counts at a server cap', () => {
  it('connections the server closes at its cap are turned away, not "established" and then "lost during hold"', async () => {
    const serve = await startServe(['--max-conns', '50', '--over-limit', 'close']);
    const run = await hold(serve.port, ['-c', '60', '--delay', '0', '--duration', '1s', '-q', '--no-chart']);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    expect(run.stdout).toMatch(/^Requested 60 {2}established 50 {2}turned away 10 {2}held at end 50 {2}lost during hold 0 /m);
    expect(run.stdout).toMatch(/^Verdict: Held 50 of 60 connections at the peak for 1s; 10 turned away by the server, 0 lost,/m);
  });
});

describe('hold: CI assertions', () => {
  it('--assert-held passes on a quiet server (exit 0); piped output has no escape codes and one plain status line per interval', async () => {
    const serve = await startServe([]);
    const run = await hold(serve.port, ['-c', '20', '--duration', '1500ms', '--assert-held']);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    expect(toolLines(run.stderr)).toEqual([]);
    expect(run.stdout).toMatch(/^Verdict: Held 20 of 20/m);
    expect(run.stderr).toMatch(/^\[\s*\d+\.\ds\] .*held \d+/m);
    expect(run.stdout).not.toContain('\x1b');
    expect(run.stderr).not.toContain('\x1b');
  });

  it('--assert-held fails with exit 6 when the server closes connections, saying which assertion and by how much', async () => {
    const serve = await startServe(['--close-after', '300ms']);
    const run = await hold(serve.port, ['-c', '20', '--duration', '1s', '--assert-held', '-q']);
    expect(run.code, run.stderr).toBe(EXIT.assertHeld);
    const lines = toolLines(run.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tcpprobe: assertion failed: held: 20 lost, 0 failed to connect, of 20 to hold for 1s$/);
  });

  it('--assert-established N --within T passes (exit 0) when all connect in time', async () => {
    const serve = await startServe([]);
    const run = await hold(serve.port, ['-c', '30', '--delay', '0', '--duration', '500ms', '--assert-established', '30', '--within', '2s', '--json', '-q']);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    const r = result(run);
    expect(r.assertions).toEqual([expect.objectContaining({ name: 'established-within', passed: true })]);
    expect(r.establishedWithinMs).toEqual({ withinMs: 2000, established: 30 });
  });

  it('--assert-established fails with exit 5 against a server that refuses past a smaller cap, saying by how much', async () => {
    const serve = await startServe(['--max-conns', '10', '--over-limit', 'refuse']);
    // The default --delay (10 ms) lets the server close its listener at the cap before the next connect comes.
    const run = await hold(serve.port, ['-c', '30', '--duration', '1s', '--assert-established', '30', '--within', '700ms', '--json', '-q']);
    expect(run.code, run.stderr).toBe(EXIT.assertEstablished);
    const lines = toolLines(run.stderr);
    expect(lines).toHaveLength(1);
    const m = /^tcpprobe: assertion failed: established-within: (\d+) of 30 established within 700ms \((\d+) short\)$/.exec(lines[0]!);
    expect(m, lines[0]).not.toBeNull();
    const [got, short] = [Number(m![1]), Number(m![2])];
    expect(got).toBeGreaterThanOrEqual(10);
    expect(got).toBeLessThan(30);
    expect(got + short).toBe(30);
    const r = result(run);
    expect(r.assertions.find((a) => a.name === 'established-within')?.passed).toBe(false);
  });
});

describe('hold: signals', () => {
  const cases: [NodeJS.Signals, number][] = [
    ['SIGINT', EXIT.sigint],
    ['SIGTERM', EXIT.sigterm],
  ];
  it.each(cases)('%s mid-run: the summary and the partial result, exit %i', async (signal, code) => {
    const serve = await startServe([]);
    const child = startCli(['hold', '--host', '127.0.0.1', '--port', String(serve.port), '-c', '20', '--duration', '30s', '--json']);
    const done = collect(child, 30_000);
    // A status line means the run is under way.
    await waitForOutput(child, /^\[\s*\d+\.\ds\]/m);
    await new Promise((r) => setTimeout(r, 300));
    expect(child.kill(signal)).toBe(true);
    const run = await done;
    expect(run.code, run.stderr).toBe(code);
    const r = result(run);
    expect(r.verdict.kind).toBe('interrupted');
    expect(r.maxConcurrency).toBeGreaterThan(0);
    expect(r.durationMs).toBeLessThan(30_000);
    expect(run.stderr).toContain(`${signal}: stopping`);
    expect(run.stderr).toMatch(/^Verdict: Interrupted/m);
  });
});

describe('hold: the headline and the verdict agree with the counters', () => {
  it('SIGTERM while every connection is still settling: both lines say 0 held and name the open ones', async () => {
    const serve = await startServe([]);
    // A --settle longer than the run: all 20 are established and none is held yet when the signal comes.
    const child = startCli(['hold', '--host', '127.0.0.1', '--port', String(serve.port), '-c', '20', '--delay', '0', '--settle', '60s', '--duration', '30s']);
    const done = collect(child, 30_000);
    await waitForOutput(child, /^\[\s*\d+\.\ds\].*est 20/m);
    expect(child.kill('SIGTERM')).toBe(true);
    const run = await done;
    expect(run.code, run.stderr).toBe(EXIT.sigterm);
    expect(run.stdout).toMatch(/^Interrupted: 0 of 20 connections held \(peak 0\)$/m);
    expect(run.stdout).toMatch(/^Verdict: Interrupted with 0 held \(20 more open, not yet held\) of 20 connections\.$/m);
  });

  it('a low ulimit -n with one worker: client-limited with the connections it held counted, not "0 held"', async () => {
    const serve = await startServe([]);
    const run = await runCli(
      ['hold', '--host', '127.0.0.1', '--port', String(serve.port), '-c', '500', '--workers', '1', '--delay', '0', '--duration', '5s', '--json', '-q'],
      { shellPrefix: 'ulimit -n 300;', timeoutMs: 30_000 },
    );
    expect(run.code, run.stderr).toBe(EXIT.clientLimited);
    const r = result(run);
    expect(r.verdict.kind).toBe('client-limited');
    // Every connection this machine had room for was established; the verdict counts them once they settled.
    expect(r.counters.connected).toBeGreaterThan(100);
    expect(r.counters.held).toBe(r.counters.connected);
    expect(r.maxConcurrency).toBe(r.counters.held);
    expect(r.verdict.summary).toContain(`at ${r.counters.held.toLocaleString('en-US')} held connections`);
  });
});

describe('hold: usage errors are one line and exit 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['--assert-held without --duration', ['--assert-held'], /--assert-held/],
    ['--quiet with --verbose', ['-q', '--verbose'], /--quiet/],
    ['--connections 0', ['-c', '0'], /--connections/],
    ['--assert-established without --within', ['--assert-established', '5'], /--within/],
  ];
  it.each(cases)('%s', async (_name, args, mentions) => {
    const run = await runCli(['hold', '--port', '1', ...args], { timeoutMs: 20_000 });
    expect(run.code, run.stderr).toBe(EXIT.usage);
    expect(run.stdout).toBe('');
    const lines = run.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tcpprobe: /);
    expect(lines[0]).toMatch(mentions);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });
});
