/**
 * The history file on real files in a temp dir: default path, append and read back, damaged lines with their
 * numbers, the lock (held, stale, timed out) and repair after a cut-off record.
 */
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  appendHistoryRecord,
  defaultHistoryPath,
  isSameSeries,
  matchesTarget,
  parseHistory,
  readHistory,
} from '../../src/history/history-file.js';
import { seriesName } from '../../src/metrics/series.js';
import { InputError } from '../../src/errors.js';
import { formatHistoryReport, historyDocument } from '../../src/reporters/history-report.js';
import type { GateRecord } from '../../src/metrics/result.js';
import { rampResult } from '../helpers/ramp-result.js';

const dir = mkdtempSync(join(tmpdir(), 'tcpprobe-history-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(dir, `h${++n}`, 'history.jsonl');

describe('one name per target: the series of a run', () => {
  const named = (name: string, port = 7001) => {
    const r = rampResult({ port });
    r.target.name = name;
    return r;
  };
  /** A line an audit wrote before runs had `target.name`: its name is in `audit.name` only. */
  const olderAuditLine = (name: string, port = 7001) => {
    const r = rampResult({ port });
    r.audit = { name, labels: {}, settings: {}, minConnections: null, belowMinimum: false };
    return r;
  };

  it('is the name a run was given, by ramp --name or an audit (old lines too), else its host:port', () => {
    expect(seriesName(named('cache'))).toBe('cache');
    expect(seriesName(olderAuditLine('cache'))).toBe('cache');
    expect(seriesName(rampResult({ port: 7001 }))).toBe('127.0.0.1:7001');
    expect(isSameSeries(named('cache'), olderAuditLine('cache'))).toBe(true);
    expect(isSameSeries(named('cache', 7001), named('cache', 7002))).toBe(true);
    expect(isSameSeries(named('cache'), named('db'))).toBe(false);
  });

  it('keeps unnamed runs, as history files have them, in the series of their host:port and apart from named ones', () => {
    expect(isSameSeries(rampResult({ port: 7001 }), rampResult({ port: 7001, host: '127.0.0.1' }))).toBe(true);
    expect(isSameSeries(rampResult({ port: 7001 }), rampResult({ port: 7002 }))).toBe(false);
    expect(isSameSeries(rampResult({ port: 7001 }), named('cache', 7001))).toBe(false);
  });

  it('history --target takes a name (its series) or host:port (every run against the address)', () => {
    expect(matchesTarget(named('cache'), { name: 'cache' })).toBe(true);
    expect(matchesTarget(olderAuditLine('cache'), { name: 'cache' })).toBe(true);
    expect(matchesTarget(rampResult({ port: 7001 }), { name: 'cache' })).toBe(false);
    expect(matchesTarget(named('cache'), { host: '127.0.0.1', port: 7001 })).toBe(true);
    expect(matchesTarget(rampResult({ port: 7001 }), { host: '127.0.0.1', port: 7001 })).toBe(true);
  });

  it('lists a named run by its name, with an address column beside it', () => {
    const text = formatHistoryReport('h', [{ line: 1, result: named('cache') }, { line: 2, result: rampResult({ port: 7002 }) }], { chart: false });
    expect(text.split('\n').slice(2).map((l) => l.replace(/\d{4}-\d\d-\d\d \d\d:\d\dZ/, 'DATE'))).toEqual([
      '  line  date               target          address         max  verdict',
      '     1  DATE  cache           127.0.0.1:7001  300  limit-by-failure',
      '     2  DATE  127.0.0.1:7002  127.0.0.1:7002  300  limit-by-failure',
    ]);
    const doc = historyDocument('h', [{ line: 1, result: named('cache') }, { line: 2, result: rampResult({ port: 7002 }) }], []);
    expect(doc.runs.map((r) => r.name)).toEqual(['cache', undefined]);
  });
});

describe('defaultHistoryPath', () => {
  it('uses an absolute XDG_DATA_HOME, else ~/.local/share', () => {
    expect(defaultHistoryPath({ XDG_DATA_HOME: '/data' }, '/home/u')).toBe('/data/tcpprobe/history.jsonl');
    expect(defaultHistoryPath({}, '/home/u')).toBe('/home/u/.local/share/tcpprobe/history.jsonl');
    expect(defaultHistoryPath({ XDG_DATA_HOME: 'relative' }, '/home/u')).toBe('/home/u/.local/share/tcpprobe/history.jsonl');
  });
});

describe('append and read', () => {
  it('creates the directories, writes one line per run and reads them back in order', async () => {
    const path = fresh();
    await appendHistoryRecord(path, rampResult({ max: 300 }));
    await appendHistoryRecord(path, rampResult({ max: 200 }));
    const text = readFileSync(path, 'utf8');
    expect(text.split('\n')).toHaveLength(3);
    const { records, damaged } = readHistory(path);
    expect(damaged).toEqual([]);
    expect(records.map((r) => [r.line, r.result.maxConcurrency])).toEqual([[1, 300], [2, 200]]);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('reports damaged lines by number and keeps the others', () => {
    const good = JSON.stringify(rampResult({ max: 5 }));
    const text = [good, '{"broken', '', JSON.stringify({ schema: 'tcpprobe/result', schemaVersion: 9 }), good, '{"cut'].join('\n');
    const { records, damaged } = parseHistory(text);
    expect(records.map((r) => r.line)).toEqual([1, 5]);
    expect(damaged.map((d) => d.line)).toEqual([2, 4, 6]);
    expect(damaged[0]?.reason).toBe('damaged: not JSON');
    expect(damaged[1]?.reason).toMatch(/schema version 9/);
    expect(damaged[2]?.reason).toMatch(/incomplete line/);
  });

  it('starts a new line after a record cut off by a crash, so only the fragment is lost', async () => {
    const path = fresh();
    await appendHistoryRecord(path, rampResult({ max: 1 }));
    appendFileSync(path, '{"schema":"tcpprobe/res');
    await appendHistoryRecord(path, rampResult({ max: 2 }));
    const { records, damaged } = readHistory(path);
    expect(records.map((r) => r.result.maxConcurrency)).toEqual([1, 2]);
    expect(damaged).toEqual([{ line: 2, reason: 'damaged: not JSON' }]);
  });

  it('says where the history should be when it does not exist', () => {
    expect(() => readHistory(join(dir, 'none.jsonl'))).toThrow(/no history at .*none\.jsonl.*ramp --save/);
  });
});

describe('the lock', () => {
  it('waits for a held lock and appends once it is released', async () => {
    const path = fresh();
    await appendHistoryRecord(path, rampResult({ max: 1 }));
    writeFileSync(`${path}.lock`, 'held by a test');
    const pending = appendHistoryRecord(path, rampResult({ max: 2 }), { maxBackoffMs: 10 });
    await new Promise((r) => setTimeout(r, 100));
    expect(readHistory(path).records).toHaveLength(1);
    rmSync(`${path}.lock`);
    await pending;
    expect(readHistory(path).records).toHaveLength(2);
  });

  it('breaks a stale lock left by a crashed writer', async () => {
    const path = fresh();
    await appendHistoryRecord(path, rampResult({ max: 1 }));
    writeFileSync(`${path}.lock`, 'left over');
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${path}.lock`, old, old);
    await appendHistoryRecord(path, rampResult({ max: 2 }));
    expect(readHistory(path).records).toHaveLength(2);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('gives up on a lock that stays held, naming the lock file', async () => {
    const path = fresh();
    await appendHistoryRecord(path, rampResult({ max: 1 }));
    writeFileSync(`${path}.lock`, 'held');
    const attempt = appendHistoryRecord(path, rampResult({ max: 2 }), { timeoutMs: 200, staleMs: 10_000, maxBackoffMs: 20 });
    await expect(attempt).rejects.toThrow(InputError);
    await expect(attempt).rejects.toThrow(/history\.jsonl\.lock/);
    rmSync(`${path}.lock`);
  });
});

describe('history report', () => {
  it('lists date, target, max and verdict, and charts the trend', () => {
    const records = [300, 280, 200].map((max, i) => ({
      line: i + 1,
      result: rampResult({ max, startedAt: `2026-01-0${i + 1}T02:00:00.000Z` }),
    }));
    const text = formatHistoryReport('/h.jsonl', records);
    expect(text.split('\n').slice(0, 6)).toEqual([
      'History: 3 runs in /h.jsonl',
      '',
      '  line  date               target          max  verdict',
      '     1  2026-01-01 02:00Z  127.0.0.1:6379  300  limit-by-failure',
      '     2  2026-01-02 02:00Z  127.0.0.1:6379  280  limit-by-failure',
      '     3  2026-01-03 02:00Z  127.0.0.1:6379  200  limit-by-failure',
    ]);
    expect(text).toContain('Max concurrency per run, oldest to newest');
    expect(formatHistoryReport('/h.jsonl', [], { target: 'x:1' })).toBe('No runs for x:1 in /h.jsonl');
  });

  it('a gate column once some run was gated, saying which regressed', () => {
    const gate = (outcome: GateRecord['outcome']) => ({ outcome }) as GateRecord;
    const records = [
      { line: 1, result: rampResult({ max: 300, startedAt: '2026-01-01T02:00:00.000Z' }) },
      { line: 2, result: { ...rampResult({ max: 200, startedAt: '2026-01-02T02:00:00.000Z' }), gate: gate('regression') } },
      { line: 3, result: { ...rampResult({ max: 295, startedAt: '2026-01-03T02:00:00.000Z' }), gate: gate('pass') } },
    ];
    expect(formatHistoryReport('/h.jsonl', records, { chart: false }).split('\n').slice(2)).toEqual([
      '  line  date               target          max  verdict           gate',
      '     1  2026-01-01 02:00Z  127.0.0.1:6379  300  limit-by-failure',
      '     2  2026-01-02 02:00Z  127.0.0.1:6379  200  limit-by-failure  regression',
      '     3  2026-01-03 02:00Z  127.0.0.1:6379  295  limit-by-failure  pass',
    ]);
    expect(historyDocument('/h.jsonl', records, []).runs.map((r) => r.gate)).toEqual([null, 'regression', 'pass']);
  });
});
