/**
 * Audits end to end with the built CLI: real ramps against two `tcpprobe serve` targets (capped at 300 and 200),
 * then compare (the settings that differ, a warning for different targets), history (two concurrent writers, a
 * damaged line), the regression gate's exit codes (and its warning for a baseline of another target) and the
 * OpenMetrics textfile. Ramps run one at a time so the two targets never compete for this machine.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResult, runCli, startServe, type CliRun, type ServeChild } from '../helpers/cli.js';
import { family, parseOpenMetrics } from '../helpers/openmetrics-parser.js';
import { expectValidDocument } from '../helpers/schema-validator.js';

const HISTORY_MODULE = pathToFileURL(join(import.meta.dirname, '../../dist/history/history-file.js')).href;

interface Result {
  maxConcurrency: number;
  verdict: { kind: string };
  target: { host: string; port: number };
}

const dir = mkdtempSync(join(tmpdir(), 'tcpprobe-audit-'));
const file = (name: string): string => join(dir, name);
let big: ServeChild;
let small: ServeChild;

beforeAll(async () => {
  [big, small] = await Promise.all([startServe(['--max-conns', '300']), startServe(['--max-conns', '200'])]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ramp(target: ServeChild, ...args: string[]): Promise<CliRun> {
  return runCli(['ramp', '--host', '127.0.0.1', '--port', String(target.port), '--max-duration', '10s', '-q', ...args], {
    timeoutMs: 20_000,
  });
}

/** stderr lines, without the empty ones. */
function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

describe('ramp --save / --openmetrics / --baseline, then compare', () => {
  it('saves the 300 run and writes its textfile; the 200 run fails the gate against it with exit 7', async () => {
    const a = await ramp(big, '--json', '--out', file('a.json'), '--save', '--history', file('h.jsonl'),
      '--openmetrics', file('tcpprobe.prom'), '--label', 'env=ci', '--label', 'team=db');
    expect(a.code, a.stderr).toBe(0);
    expect(parseResult<Result>(a).maxConcurrency).toBe(300);

    const b = await ramp(small, '--json', '--out', file('b.json'), '--save', '--history', file('h.jsonl'),
      '--baseline', file('a.json'), '--max-regression', '10%');
    expect(b.code, b.stderr).toBe(7);
    expect(parseResult<Result>(b).maxConcurrency).toBe(200);
    // The baseline is a run of the other target: said in one line, even with -q, before the gate's own line.
    expect(lines(b.stderr)).toEqual([
      `tcpprobe: baseline: warning: the baseline is a run of 127.0.0.1:${big.port}, this run is of 127.0.0.1:${small.port}`,
      'tcpprobe: regression: max concurrency 200 is 33.3% below the baseline 300 (allowed 10%)',
    ]);
    expect(parseResult<{ gate: { baseline: { target: string } } }>(b).gate.baseline.target).toBe(`127.0.0.1:${big.port}`);
    // The regression is still saved: the history keeps every run.
    expect(lines(readFileSync(file('h.jsonl'), 'utf8'))).toHaveLength(2);
  });

  it('compare shows the deltas: max 300 -> 200, -33.3%, and both curves in one chart', async () => {
    const text = await runCli(['compare', file('a.json'), file('b.json')]);
    expect(text.code, text.stderr).toBe(0);
    const out = text.stdout.split('\n');
    expect(out[0]).toBe('Max concurrency: 300 -> 200 (-100, -33.3%)');
    // Two targets: one line of warning under the headline. The same flags shaped both runs.
    const warning = `Warning: different targets: before ran against 127.0.0.1:${big.port}, after against 127.0.0.1:${small.port}`;
    expect(out[1]).toBe(warning);
    expect(out.filter((l) => l.includes('different targets'))).toHaveLength(1);
    expect(out).toContain('Settings: the same');
    expect(text.stdout).toMatch(/^ {2}max concurrency +300 +200 {2}-100 \(-33\.3%\)$/m);
    expect(text.stdout).toMatch(/^ {2}verdict +limit-by-failure +limit-by-failure {2}same$/m);
    expect(text.stdout).toMatch(/^ {2}connect p99 +\S+ms +\S+ms/m);
    expect(text.stdout).toContain(`─ before (${file('a.json')})   ┄ after (${file('b.json')})`);

    const json = await runCli(['compare', file('a.json'), file('b.json'), '--json', '-q']);
    expect(json.code).toBe(0);
    // -q drops the report, not the warning.
    expect(lines(json.stderr)).toEqual([`tcpprobe: ${warning}`]);
    const doc = parseResult<{
      schema: string;
      schemaVersion: number;
      targetChanged: boolean;
      settings: { recorded: { before: boolean; after: boolean }; changed: unknown[] };
      maxConcurrency: { before: number; after: number; delta: number; relative: number };
      held: { before: (number | null)[]; after: (number | null)[] };
    }>(json);
    expect(doc.schema).toBe('tcpprobe/compare');
    expect(doc.schemaVersion).toBe(1);
    expect(doc.targetChanged).toBe(true);
    expect(doc.settings).toEqual({ recorded: { before: true, after: true }, changed: [] });
    expect(doc.maxConcurrency).toMatchObject({ before: 300, after: 200, delta: -100 });
    expect(doc.maxConcurrency.relative).toBeCloseTo(-1 / 3, 6);
    expect(doc.held.before).toHaveLength(doc.held.after.length);
    expect(Math.max(...doc.held.before.map((v) => v ?? 0))).toBe(300);
    expect(Math.max(...doc.held.after.map((v) => v ?? 0))).toBe(200);
  });

  it('compare lists the settings that differ between two runs of one target, and says when a result has none', async () => {
    const c = await ramp(small, '--out', file('c.json'), '--rate', '2000', '--connect-timeout', '1s');
    expect(c.code, c.stderr).toBe(0);
    const run = await runCli(['compare', file('b.json'), file('c.json'), '--no-chart']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain('Warning');
    const out = run.stdout.split('\n');
    const from = out.indexOf('Settings that differ:');
    expect(from).toBeGreaterThan(0);
    expect(out.slice(from + 2, from + 4).map((l) => l.replace(/ +/g, ' '))).toEqual([
      ' schedule (--rate, --step) adaptive from 2,000/s rate 2,000/s',
      ' --connect-timeout 2s 1s',
    ]);
    const json = await runCli(['compare', file('b.json'), file('c.json'), '--json', '-q']);
    const doc = parseResult<{ settings: { changed: { name: string }[] } }>(json);
    expect(doc.settings.changed.map((c) => c.name)).toEqual(['schedule', 'connectTimeoutMs']);
    expectValidDocument('compare.schema.json', doc);
    // A result written before tcpprobe recorded settings still compares.
    const { settings: _dropped, ...older } = JSON.parse(readFileSync(file('b.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(file('older.json'), JSON.stringify(older));
    const old = await runCli(['compare', file('older.json'), file('c.json'), '--no-chart']);
    expect(old.code, old.stderr).toBe(0);
    expect(old.stdout).toContain('Settings: not recorded in before (written before tcpprobe recorded them): cannot tell which differ');
  });

  it('the OpenMetrics textfile parses strictly, with the labels, and no temp file is left', () => {
    const families = parseOpenMetrics(readFileSync(file('tcpprobe.prom'), 'utf8'));
    const max = family(families, 'tcpprobe_max_concurrency').samples[0];
    expect(max?.value).toBe(300);
    expect(max?.labels).toEqual({ env: 'ci', team: 'db', target: `127.0.0.1:${big.port}`, address: `127.0.0.1:${big.port}` });
    const verdict = family(families, 'tcpprobe_verdict').samples.find((s) => s.value === 1);
    expect(verdict?.labels.verdict).toBe('limit-by-failure');
    const quantiles = family(families, 'tcpprobe_connect_latency_seconds').samples.map((s) => s.labels.quantile);
    expect(quantiles).toEqual(['0.5', '0.9', '0.99', undefined, undefined]);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('the gate exits 0 within the allowed drop (200 against a 210 baseline: 4.8%)', async () => {
    const b = JSON.parse(readFileSync(file('b.json'), 'utf8')) as Result;
    writeFileSync(file('b210.json'), JSON.stringify({ ...b, maxConcurrency: 210 }));
    const run = await runCli(['ramp', '--host', '127.0.0.1', '--port', String(small.port), '--max-duration', '10s',
      '--json', '--baseline', file('b210.json'), '--max-regression', '10'], { timeoutMs: 20_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('baseline: max concurrency 200 is 4.8% below the baseline 210 (allowed 10%)');
  });

  it('--baseline last takes the latest saved run of the same host:port: exit 7 on a drop, 0 on a match', async () => {
    // A history whose latest run of the 200 target says 300: tonight's 200 is a 33% drop.
    const a = JSON.parse(readFileSync(file('a.json'), 'utf8')) as Result;
    const moved = { ...a, target: { ...a.target, port: small.port } };
    writeFileSync(file('last.jsonl'), `${JSON.stringify(moved)}\n`);
    const drop = await ramp(small, '--history', file('last.jsonl'), '--baseline', 'last', '--max-regression', '10%');
    expect(drop.code, drop.stderr).toBe(7);
    expect(lines(drop.stderr)).toEqual([
      'tcpprobe: regression: max concurrency 200 is 33.3% below the baseline 300 (allowed 10%) (the best of 1 recent passing run)',
    ]);

    // h.jsonl's latest run of the 300 target is the 300 run.
    const same = await ramp(big, '--history', file('h.jsonl'), '--baseline', 'last', '--max-regression', '10%');
    expect(same.code, same.stderr).toBe(0);
  });

  it('the first night of the nightly gate: no baseline yet, exit 0, the run saved and the gate recorded as not applied', async () => {
    const history = file('first-night.jsonl');
    const run = await runCli(
      ['ramp', '--host', '127.0.0.1', '--port', String(small.port), '--max-duration', '10s', '--json',
        '--save', '--history', history, '--baseline', 'last', '--max-regression', '10%'],
      { timeoutMs: 20_000 },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('--baseline last: no baseline yet, the gate was not applied');
    expect(run.stderr).toContain('this run was saved and is the baseline next time');
    expect(run.stderr).not.toContain('tcpprobe:');
    expect(parseResult<Result & { gate: { outcome: string } }>(run).gate.outcome).toBe('no-baseline');
    expect(lines(readFileSync(history, 'utf8'))).toHaveLength(1);
    // The second night has its baseline: the same server passes the gate.
    const second = await ramp(small, '--save', '--history', history, '--baseline', 'last', '--max-regression', '10%');
    expect(second.code, second.stderr).toBe(0);
  });

  it('the baseline does not ratchet down: a regressed run is saved marked, and the next identical run fails again', async () => {
    const a = JSON.parse(readFileSync(file('a.json'), 'utf8')) as Result;
    const history = file('ratchet.jsonl');
    writeFileSync(history, `${JSON.stringify({ ...a, target: { ...a.target, port: small.port } })}\n`);
    const gateArgs = ['--json', '--save', '--history', history, '--baseline', 'last', '--max-regression', '10%'];
    const first = await ramp(small, ...gateArgs);
    expect(first.code, first.stderr).toBe(7);
    // The document carries the gate's inputs and outcome; the saved record is the same document.
    const doc = parseResult<Result & { gate: Record<string, unknown> }>(first);
    expect(doc.gate).toMatchObject({
      baselineSource: 'history',
      path: history,
      window: 5,
      consideredRuns: 1,
      baseline: { maxConcurrency: 300, verdict: 'limit-by-failure' },
      allowedDropShare: 0.1,
      outcome: 'regression',
    });
    expect(doc.gate.dropShare).toBeCloseTo(1 / 3, 6);
    const saved = lines(readFileSync(history, 'utf8')).map((l) => JSON.parse(l) as { gate?: { outcome: string } });
    expect(saved).toHaveLength(2);
    expect(saved[1]?.gate?.outcome).toBe('regression');

    // Before, the 200 run had become "last" and this one passed against it.
    const second = await ramp(small, ...gateArgs);
    expect(second.code, second.stderr).toBe(7);
    expect(parseResult<Result & { gate: { baseline: { maxConcurrency: number } } }>(second).gate.baseline.maxConcurrency).toBe(300);
  });

  it('--baseline-runs N takes the best of the last N passing runs', async () => {
    const a = JSON.parse(readFileSync(file('a.json'), 'utf8')) as Result;
    const history = file('window.jsonl');
    const at = (max: number) => JSON.stringify({ ...a, maxConcurrency: max, target: { ...a.target, port: small.port } });
    writeFileSync(history, `${at(300)}\n${at(205)}\n`);
    const best = await ramp(small, '--history', history, '--baseline', 'last', '--max-regression', '10%');
    expect(best.code, best.stderr).toBe(7);
    const recent = await ramp(small, '--history', history, '--baseline', 'last', '--baseline-runs', '1', '--max-regression', '10%', '--json');
    expect(recent.code, recent.stderr).toBe(0);
    expect(parseResult<Result & { gate: { outcome: string; window: number } }>(recent).gate).toMatchObject({ outcome: 'pass', window: 1 });
  });

  it('refuses bad audit flags before connecting, all in one line', async () => {
    const run = await runCli(['ramp', '--port', String(big.port), '--openmetrics', file('x.prom'), '--label', '9bad=1',
      '--max-regression', '10%', '--history', file('h.jsonl')]);
    expect(run.code).toBe(2);
    expect(lines(run.stderr)).toEqual([
      'tcpprobe: --history: only used with --save or --baseline last; --max-regression: needs --baseline last|FILE; ' +
        '--label: "9bad" is not a label name ([a-zA-Z_][a-zA-Z0-9_]*)',
    ]);
  });

  it('a baseline that cannot be found exits 2 with one line', async () => {
    const missing = await runCli(['ramp', '--port', String(big.port), '--baseline', file('nope.json')]);
    expect(missing.code).toBe(2);
    expect(lines(missing.stderr)).toEqual([`tcpprobe: --baseline: "${file('nope.json')}": no such file`]);
  });
});

describe('"-" is stdout for every output flag, and stdout carries one document', () => {
  it('ramp --openmetrics -: the textfile on stdout, the summary on stderr, no file named "-"', async () => {
    const run = await runCli(['ramp', '--host', '127.0.0.1', '--port', String(small.port), '--max-duration', '10s',
      '--openmetrics', '-', '--label', 'env=ci'], { timeoutMs: 20_000, cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const held = family(parseOpenMetrics(run.stdout), 'tcpprobe_max_concurrency');
    expect(held.samples[0]?.value).toBe(200);
    expect(run.stderr).toContain('Max concurrency: 200');
    expect(run.stderr).toContain('openmetrics: wrote stdout');
    expect(readdirSync(dir)).not.toContain('-');
  });

  it.each([
    [['ramp', '--json', '--openmetrics', '-'], '--json and --openmetrics - both write to stdout'],
    [['ramp', '--out', '-', '--openmetrics', '-'], '--out - and --openmetrics - both write to stdout'],
  ])('%j is one usage line, before anything connects', async (args, message) => {
    const run = await runCli([...args, '--host', '127.0.0.1', '--port', String(small.port)], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(lines(run.stderr)).toEqual([`tcpprobe: ${message}: give all but one of them a file`]);
  });

  it('report --html -: the page on stdout, no file named "-"', async () => {
    const run = await runCli(['report', '--history', file('h.jsonl'), '--html', '-'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^<!doctype html>/i);
    expect(run.stdout.trimEnd()).toMatch(/<\/html>$/);
    expect(lines(run.stderr)).toEqual(['html: wrote stdout (2 runs)']);
    expect(readdirSync(dir)).not.toContain('-');
  });
});

describe('compare refuses what is not a readable result, with one line and exit 2', () => {
  it.each([
    ['missing', null, /no such file/],
    ['not JSON', '{"schema": ', /is not JSON/],
    ['not a result', '{"hello": 1}', /is not a tcpprobe result/],
    ['another schema version', '{"schema": "tcpprobe/result", "schemaVersion": 2}', /schema version 2; this tcpprobe \S+ reads version 1/],
  ])('%s', async (name, content, message) => {
    const path = file(`bad-${name.replace(/ /g, '-')}.json`);
    if (content !== null) writeFileSync(path, content);
    const run = await runCli(['compare', path, file('a.json')]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(lines(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(message);
  });
});

describe('tcpprobe history', () => {
  it('survives two concurrent writers appending 200 records each: every line parses', async () => {
    const path = file('concurrent.jsonl');
    // Each writer loads everything, says "ready", and starts appending as fast as it can when told "go" on
    // stdin: the two loops run at the same time. With -e, process.argv[1] is the first argument.
    const script = `
      const [, resultFile, historyFile, tag] = process.argv;
      const { appendHistoryRecord } = await import(${JSON.stringify(HISTORY_MODULE)});
      const { readFileSync } = await import('node:fs');
      const { once } = await import('node:events');
      const result = JSON.parse(readFileSync(resultFile, 'utf8'));
      process.stdout.write('ready\\n');
      await once(process.stdin, 'data');
      for (let i = 0; i < 200; i++) await appendHistoryRecord(historyFile, { ...result, startedAt: tag + i });
    `;
    const writers = ['w1-', 'w2-'].map((tag) =>
      spawn(process.execPath, ['--input-type=module', '-e', script, file('a.json'), path, tag], {
        stdio: ['pipe', 'pipe', 'inherit'],
      }),
    );
    const exits = writers.map(async (w) => (await once(w, 'exit'))[0] as number | null);
    // A writer that fails to start exits instead of saying "ready": do not wait for it forever.
    await Promise.all(writers.map((w, i) => Promise.race([once(w.stdout, 'data'), exits[i]])));
    for (const w of writers) w.stdin.end('go\n');
    const codes = await Promise.all(exits);
    expect(codes).toEqual([0, 0]);

    const text = readFileSync(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const all = lines(text);
    expect(all).toHaveLength(400);
    const tags = all.map((l) => (JSON.parse(l) as { startedAt: string }).startedAt);
    expect(new Set(tags).size).toBe(400);
    // Each writer's records are in its own order: appends were whole and sequential.
    for (const tag of ['w1-', 'w2-']) {
      expect(tags.filter((t) => t.startsWith(tag))).toEqual(Array.from({ length: 200 }, (_, i) => `${tag}${i}`));
    }
    // And the writers did overlap: their records alternate somewhere in the file (each record is over 4 KiB).
    expect(tags.some((t, i) => i > 0 && t.slice(0, 3) !== tags[i - 1]?.slice(0, 3))).toBe(true);
    expect(all.every((l) => l.length > 4096)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.startsWith('concurrent.jsonl.'))).toEqual([]);

    const listed = await runCli(['history', '--history', path, '--json']);
    expect(listed.code).toBe(0);
    expect(listed.stderr).toBe('');
    // The startedAt tags are not dates; the history lists what it read.
    const doc = parseResult<{ runs: unknown[]; damaged: unknown[] }>(listed);
    expect(doc.runs).toHaveLength(400);
    expect(doc.damaged).toEqual([]);
  });

  it('reports a damaged line with its number on stderr and lists the others', async () => {
    const path = file('damaged.jsonl');
    const good = lines(readFileSync(file('h.jsonl'), 'utf8'));
    writeFileSync(path, `${good[0]}\n{"schema":"tcpprobe/res\n${good[1]}\n`);
    const run = await runCli(['history', '--history', path]);
    expect(run.code).toBe(0);
    expect(lines(run.stderr)).toEqual([`tcpprobe: ${path} line 2: skipped: damaged: not JSON`]);
    expect(run.stdout).toMatch(/^History: 2 runs in /);
    expect(run.stdout).toMatch(new RegExp(`^ +1 +\\S+ \\S+ +127\\.0\\.0\\.1:${big.port} +300 +limit-by-failure$`, 'm'));
    // The 200 run failed its gate against the 300 run when it was saved: the history says so.
    expect(run.stdout).toMatch(new RegExp(`^ +3 +\\S+ \\S+ +127\\.0\\.0\\.1:${small.port} +200 +limit-by-failure +regression$`, 'm'));
    expect(run.stdout).toContain('Max concurrency per run, oldest to newest');

    const filtered = await runCli(['history', '--history', path, '--target', `127.0.0.1:${small.port}`, '--last', '5', '--json']);
    const doc = parseResult<{ runs: Array<{ line: number; maxConcurrency: number }>; damaged: Array<{ line: number }> }>(filtered);
    expect(doc.runs.map((r) => [r.line, r.maxConcurrency])).toEqual([[3, 200]]);
    expect(doc.damaged.map((d) => d.line)).toEqual([2]);
  });
});
