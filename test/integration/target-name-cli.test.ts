/**
 * One name for a target across `ramp --name`, an audit, the history and OpenMetrics, with the built CLI against a
 * `tcpprobe serve` capped at 200: a ramp named like an audit target is judged against the audit's runs, the
 * history lists both under the name, and the textfile labels both `target="cache"`. Unnamed runs keep their
 * host:port series, as history files written before names have them.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResult, runCli, startServe, type ServeChild } from '../helpers/cli.js';
import { family, parseOpenMetrics } from '../helpers/openmetrics-parser.js';
import { expectValidDocument } from '../helpers/schema-validator.js';

const dir = mkdtempSync(join(tmpdir(), 'tcpprobe-name-'));
const file = (name: string): string => join(dir, name);
const history = file('history.jsonl');
let server: ServeChild;

beforeAll(async () => {
  server = await startServe(['--max-conns', '200']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Doc {
  target: { name?: string };
  gate: { outcome: string; consideredRuns: number; baseline: { maxConcurrency: number } | null };
}

describe('one name for a target', () => {
  it('ramp --name joins the series an audit target of that name saved, and labels the textfile with it', async () => {
    writeFileSync(file('a.yaml'), `targets:\n  - name: cache\n    host: 127.0.0.1\n    port: ${server.port}\n    maxDuration: 8s\n    confirm: false\n`);
    const audit = await runCli(['audit', file('a.yaml'), '--history', history, '-q'], { timeoutMs: 30_000 });
    expect(audit.code, audit.stderr).toBe(0);

    const ramp = await runCli(
      ['ramp', '--host', '127.0.0.1', '--port', String(server.port), '--name', 'cache', '--max-duration', '8s', '-q', '--json',
        '--save', '--history', history, '--baseline', 'last', '--max-regression', '10%', '--openmetrics', file('ramp.prom')],
      { timeoutMs: 30_000 },
    );
    expect(ramp.code, ramp.stderr).toBe(0);
    const doc = parseResult<Doc>(ramp);
    expectValidDocument('result.schema.json', doc);
    expect(doc.target.name).toBe('cache');
    // Its baseline is the audit's run: one series for both commands.
    expect(doc.gate).toMatchObject({ outcome: 'pass', consideredRuns: 1, baseline: { maxConcurrency: 200 } });
    const max = family(parseOpenMetrics(readFileSync(file('ramp.prom'), 'utf8')), 'tcpprobe_max_concurrency').samples[0];
    expect(max?.labels).toEqual({ target: 'cache', address: `127.0.0.1:${server.port}` });
    expect(family(parseOpenMetrics(readFileSync(file('ramp.prom'), 'utf8')), 'tcpprobe_passed').samples[0]?.value).toBe(1);
  });

  it('an unnamed ramp of the same address stays in its host:port series; history --target takes either', async () => {
    const plain = await runCli(
      ['ramp', '--host', '127.0.0.1', '--port', String(server.port), '--max-duration', '8s', '-q', '--json',
        '--save', '--history', history, '--baseline', 'last'],
      { timeoutMs: 30_000 },
    );
    expect(plain.code, plain.stderr).toBe(0);
    expect(parseResult<Doc>(plain).gate.outcome).toBe('no-baseline');
    expect(parseResult<Doc>(plain).target.name).toBeUndefined();

    const byName = await runCli(['history', '--history', history, '--target', 'cache', '--json']);
    expect(byName.code, byName.stderr).toBe(0);
    const named = parseResult<{ runs: Array<{ line: number; name?: string }> }>(byName);
    expectValidDocument('history.schema.json', named);
    expect(named.runs.map((r) => [r.line, r.name])).toEqual([[1, 'cache'], [2, 'cache']]);
    const byAddress = await runCli(['history', '--history', history, '--target', `127.0.0.1:${server.port}`, '--json']);
    expect(parseResult<{ runs: unknown[] }>(byAddress).runs).toHaveLength(3);
    const table = await runCli(['history', '--history', history, '--no-chart']);
    expect(table.stdout).toMatch(new RegExp(`^ +1 +\\S+ \\S+ +cache +127\\.0\\.0\\.1:${server.port} +200 +limit-by-failure +no-baseline$`, 'm'));
    expect(table.stdout).toMatch(new RegExp(`^ +3 +\\S+ \\S+ +127\\.0\\.0\\.1:${server.port} +127\\.0\\.0\\.1:${server.port} +200 `, 'm'));
  });

  it('refuses a name that could read as host:port, before anything connects', async () => {
    const run = await runCli(['ramp', '--port', String(server.port), '--name', 'db:5432']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('tcpprobe: --name: "db:5432" is not a name (letters, digits, ".", "_", "-"; at most 64)');
  });
});
