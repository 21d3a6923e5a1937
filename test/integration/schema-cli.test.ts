/**
 * The published JSON Schemas against real documents: ramp, hold, compare, doctor, history lines, the history
 * listing and audit, each written by the built CLI against `tcpprobe serve` targets on loopback, validate against
 * the files the package ships (schema/*.schema.json) with ajv, formats (date-time) checked. The schema files are the ones the code's TypeBox schemas give, and the
 * schemas are closed, so a document that grows a field its schema does not name fails here.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_FILES, schemaFileText } from '../../src/schema-files.js';
import { EXIT } from '../../src/metrics/exit-codes.js';
import { parseResult, runCli, startServe, type ServeChild } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { expectValidDocument, SCHEMA_DIR, schemaProblems } from '../helpers/schema-validator.js';
import type { PhaseSpan } from '../../src/metrics/result.js';

const dir = mkdtempSync(join(tmpdir(), 'tcpprobe-schema-'));
const file = (name: string): string => join(dir, name);
const history = file('history.jsonl');
let capped: ServeChild;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  capped = await startServe(['--max-conns', '150', '--over-limit', 'refuse']);
});

/** A short ramp to the capped target: a cap found in a second or two. */
function rampArgs(...extra: string[]): string[] {
  return ['ramp', '--host', '127.0.0.1', '--port', String(capped.port), '--max', '400', '--rate', '1000', '--max-duration', '8s', '--hold', '300ms', '-q', ...extra];
}

describe('the shipped schema files', () => {
  it('are what the code schemas give (npm run build wrote them from these sources)', () => {
    for (const f of SCHEMA_FILES) expect(readFileSync(join(SCHEMA_DIR, f.file), 'utf8'), f.file).toBe(schemaFileText(f));
  });

  it('name the document they describe: $id is the absolute URL of the file, schema its const', () => {
    for (const f of SCHEMA_FILES) {
      const s = JSON.parse(readFileSync(join(SCHEMA_DIR, f.file), 'utf8')) as { $id: string; title: string };
      expect(s.$id).toBe(`https://tcpprobe.dev/schema/${f.file}`);
      expect(s.title).toMatch(/^tcpprobe\/(result|compare|doctor|audit|history)/);
    }
  });
});

describe('real documents validate against the shipped schema', () => {
  let ramp: Record<string, unknown>;

  it('ramp --json (and --out, --save: the history line) against result and history-line', async () => {
    const run = await runCli(rampArgs('--json', '--out', file('before.json'), '--save', '--history', history));
    expect(run.code, run.stderr).toBe(EXIT.ok);
    ramp = parseResult(run);
    expect(ramp.maxConcurrency).toBe(150);
    expectValidDocument('result.schema.json', ramp);
    // Its phases follow each other from the ramp to the end of the run, the hold and the handshake audit among them.
    const phases = ramp.phases as PhaseSpan[];
    expect(phases[0]?.phase).toBe('ramp');
    expect(phases.map((p) => p.phase)).toEqual(expect.arrayContaining(['hold', 'handshake-audit']));
    for (let i = 1; i < phases.length; i++) expect(phases[i]?.fromMs).toBe(phases[i - 1]?.toMs);
    expect(phases.at(-1)?.toMs).toBe(ramp.durationMs);
    expect(ramp.startedAfterMs).toBeGreaterThan(0);
    expectValidDocument('result.schema.json', JSON.parse(readFileSync(file('before.json'), 'utf8')));
    // A second run with the gate: its record carries `gate`, also in the schema.
    const gated = await runCli(rampArgs('--out', file('after.json'), '--save', '--history', history, '--baseline', 'last', '--max-regression', '10%'));
    expect(gated.code, gated.stderr).toBe(EXIT.ok);
    const lines = readFileSync(history, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) expectValidDocument('history-line.schema.json', JSON.parse(line));
    expect((JSON.parse(lines[1]!) as { gate?: { outcome: string } }).gate?.outcome).toBe('pass');
  }, 60_000);

  it('a document that grows a field the schema does not name fails validation (the schemas are closed)', () => {
    expect(ramp).toBeDefined();
    const grown = { ...ramp, counters: { ...(ramp.counters as object), newEngineCounter: 1 } };
    expect(schemaProblems('result.schema.json', grown).join('\n')).toContain('newEngineCounter');
    expect(schemaProblems('result.schema.json', { ...ramp, extra: true }).join('\n')).toContain('extra');
    // And one that loses a field.
    const { verdict: _dropped, ...lost } = ramp;
    expect(schemaProblems('result.schema.json', lost).join('\n')).toContain('verdict');
  });

  it('hold --json against result (a ramp-only history line schema refuses it)', async () => {
    const run = await runCli(['hold', '--host', '127.0.0.1', '--port', String(capped.port), '-c', '40', '--delay', '0', '--duration', '500ms', '--json', '-q']);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    const hold = parseResult(run);
    expect(hold.kind).toBe('hold');
    expectValidDocument('result.schema.json', hold);
    expect((hold.phases as PhaseSpan[]).map((p) => p.phase)).toEqual(['opening', 'holding']);
    expect(schemaProblems('history-line.schema.json', hold)).not.toEqual([]);
  }, 60_000);

  it('history --json against history, with and without --target', async () => {
    for (const extra of [[], ['--target', `127.0.0.1:${capped.port}`, '--last', '1']]) {
      const run = await runCli(['history', '--history', history, '--json', ...extra]);
      expect(run.code, run.stderr).toBe(EXIT.ok);
      const doc = parseResult<{ schema: string; runs: { startedAt: string }[] }>(run);
      expect(doc.schema).toBe('tcpprobe/history');
      expect(doc.runs).toHaveLength(extra.length === 0 ? 2 : 1);
      expectValidDocument('history.schema.json', doc);
    }
    // A timestamp that is not a date-time fails: the format is checked, not only the type.
    const run = await runCli(['history', '--history', history, '--json']);
    const doc = parseResult<{ runs: { startedAt: string }[] }>(run);
    const bent = { ...doc, runs: doc.runs.map((r) => ({ ...r, startedAt: 'yesterday' })) };
    expect(schemaProblems('history.schema.json', bent).join('\n')).toContain('date-time');
  }, 30_000);

  it('compare --json against compare', async () => {
    const run = await runCli(['compare', file('before.json'), file('after.json'), '--json', '-q']);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    const doc = parseResult(run);
    expect(doc.schema).toBe('tcpprobe/compare');
    expectValidDocument('compare.schema.json', doc);
  }, 30_000);

  it('doctor --json, with and without a target, against doctor', async () => {
    for (const args of [['doctor', '--json'], ['doctor', '--json', '--host', '127.0.0.1', '--port', String(capped.port), '--connections', '5k']]) {
      const run = await runCli(args);
      expect(run.code, run.stderr).toBe(EXIT.ok);
      const doc = parseResult(run);
      expect(doc.schema).toBe('tcpprobe/doctor');
      expectValidDocument('doctor.schema.json', doc);
    }
  }, 30_000);

  it('audit --json against audit, a target that could not connect included', async () => {
    const yaml = `defaults:\n  host: 127.0.0.1\n  max: 400\n  rate: 1000\n  maxDuration: 8s\n  hold: 300ms\ntargets:\n  - name: capped\n    port: ${capped.port}\n    labels: { service: cache }\n  - name: down\n    port: ${await freePort()}\n    connectTimeout: 500ms\n`;
    writeFileSync(file('audit.yaml'), yaml);
    const run = await runCli(['audit', file('audit.yaml'), '--history', file('audit-history.jsonl'), '--json', '-q'], { timeoutMs: 60_000 });
    // The worst outcome: the down target's.
    expect(run.code, run.stderr).toBe(EXIT.unreachable);
    const doc = parseResult<{ schema: string; targets: { outcome: string }[] }>(run);
    expect(doc.schema).toBe('tcpprobe/audit');
    expect(doc.targets.map((t) => t.outcome)).toEqual(['answered', 'unreachable']);
    expectValidDocument('audit.schema.json', doc);
    for (const line of readFileSync(file('audit-history.jsonl'), 'utf8').trim().split('\n')) expectValidDocument('history-line.schema.json', JSON.parse(line));
  }, 60_000);
});
