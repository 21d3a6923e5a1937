/**
 * compare: the pure comparison (changes, histogram-based percentiles, common time axis), reading and checking
 * result files, and the report's wording.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  COMPARE_SCHEMA,
  COMPARE_SCHEMA_VERSION,
  MAX_CURVE_POINTS,
  change,
  compareResults,
  heldCurves,
  resampleHeld,
} from '../../src/compare/compare-results.js';
import { parseRampResult, readResultFile } from '../../src/compare/read-result.js';
import { InputError } from '../../src/errors.js';
import { compareHeadline, formatChange, formatCompareReport, formatRelative } from '../../src/reporters/compare-report.js';
import { formatCount } from '../../src/config/units.js';
import { climb, encodedLatencies, rampResult } from '../helpers/ramp-result.js';

const dir = mkdtempSync(join(tmpdir(), 'tcpprobe-compare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sample(tMs: number, held: number) {
  return { tMs, attempted: held, held, established: 0, connecting: 0, failed: 0 };
}

describe('change', () => {
  it('gives the absolute and relative change', () => {
    expect(change(300, 200)).toEqual({ before: 300, after: 200, delta: -100, relative: -100 / 300 });
    expect(change(200, 250)).toEqual({ before: 200, after: 250, delta: 50, relative: 0.25 });
  });

  it('has no relative change from zero, and nothing when a side is missing', () => {
    expect(change(0, 5)).toEqual({ before: 0, after: 5, delta: 5, relative: null });
    expect(change(null, 5)).toEqual({ before: null, after: 5, delta: null, relative: null });
    expect(change(3, null)).toEqual({ before: 3, after: null, delta: null, relative: null });
  });
});

describe('resampleHeld', () => {
  it('puts a timeline on the grid as a staircase and ends where the run ended', () => {
    const tl = [sample(20, 0), sample(120, 50), sample(220, 100)];
    expect(resampleHeld(tl, 100, 5)).toEqual([0, 0, 50, 100, null]);
  });

  it('keeps the peak of a step instead of its last sample', () => {
    const tl = [sample(10, 5), sample(50, 9), sample(90, 7), sample(150, 7)];
    expect(resampleHeld(tl, 100, 3)).toEqual([0, 9, 7]);
  });

  it('repeats the last count over steps without a sample', () => {
    const tl = [sample(0, 4), sample(300, 8)];
    expect(resampleHeld(tl, 100, 4)).toEqual([4, 4, 4, 8]);
  });

  it('gives all nulls for an empty timeline', () => {
    expect(resampleHeld([], 100, 3)).toEqual([null, null, null]);
  });
});

describe('heldCurves', () => {
  it('puts both runs on one axis: the shorter run ends in nulls', () => {
    const a = rampResult({ timeline: climb(300, 31) }); // 0 to 3,000ms
    const b = rampResult({ timeline: climb(200, 21) }); // 0 to 2,000ms
    const curves = heldCurves(a, b);
    expect(curves.stepMs).toBe(100);
    expect(curves.before).toHaveLength(31);
    expect(curves.after).toHaveLength(31);
    expect(curves.before.slice(0, 8)).toEqual([0, 50, 100, 150, 200, 250, 300, 300]);
    expect(curves.after.slice(18)).toEqual([200, 200, 200, null, null, null, null, null, null, null, null, null, null]);
  });

  it('coarsens the step for long runs so the document stays small, keeping the peak', () => {
    const long = climb(1000, 36_001, 1); // one hour at 100ms
    long[20_000] = sample(2_000_000, 5000); // a single spike
    const curves = heldCurves(rampResult({ timeline: long }), rampResult({ timeline: climb(10, 5) }));
    expect(curves.before.length).toBeLessThanOrEqual(MAX_CURVE_POINTS);
    expect(Math.max(...curves.before.map((v) => v ?? 0))).toBe(5000);
  });
});

describe('compareResults', () => {
  const before = rampResult({ max: 300, port: 7000, absorbedPerSec: 500, timeToMaxMs: 800 });
  const after = rampResult({
    max: 200,
    port: 7000,
    absorbedPerSec: 400,
    timeToMaxMs: 600,
    latenciesMs: [...Array<number>(50).fill(1.2), ...Array<number>(50).fill(1.8)],
  });

  it('is a versioned tcpprobe/compare document with the changes of every figure', () => {
    const c = compareResults(before, after, { before: 'a.json', after: 'b.json' });
    expect(c.schema).toBe(COMPARE_SCHEMA);
    expect(c.schemaVersion).toBe(COMPARE_SCHEMA_VERSION);
    expect(c.before.label).toBe('a.json');
    expect(c.maxConcurrency).toEqual({ before: 300, after: 200, delta: -100, relative: -1 / 3 });
    expect(c.absorbedPerSec).toEqual({ before: 500, after: 400, delta: -100, relative: -0.2 });
    expect(c.timeToMaxMs).toEqual({ before: 800, after: 600, delta: -200, relative: -0.25 });
    expect(c.verdictChanged).toBe(false);
    expect(c.failureClassChanged).toBe(false);
    expect(c.before.failureClass).toBe('closed-by-peer');
    expect(c.notes).toEqual([]);
    // JSON round trip: the document is plain data.
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
  });

  it('recomputes percentiles from the encoded histograms, not the stored summaries', () => {
    const stale = { ...after, connectLatencyMs: { ...after.connectLatencyMs, p50: 999, p90: 999, p99: 999 } };
    const c = compareResults(before, stale);
    expect(c.after.latencySource).toBe('histogram');
    expect(c.connectLatencyMs.p50.before).toBe(1);
    expect(c.connectLatencyMs.p50.after).toBe(1.2);
    expect(c.connectLatencyMs.p99.before).toBe(1.5);
    expect(c.connectLatencyMs.p99.after).toBe(1.8);
    expect(c.connectLatencyMs.p50.relative).toBeCloseTo(0.2, 9);
  });

  it('falls back to the stored summary without a usable histogram, and says so', () => {
    const noHist = { ...after, histograms: { connectUs: '', tlsHandshakeUs: null } };
    const broken = { ...after, histograms: { connectUs: 'not-a-histogram', tlsHandshakeUs: null } };
    for (const r of [noHist, broken]) {
      const c = compareResults(before, r);
      expect(c.after.latencySource).toBe('summary');
      expect(c.connectLatencyMs.p50.after).toBe(after.connectLatencyMs.p50);
      expect(c.notes).toContain('after: no usable latency histogram; percentiles from the stored summary');
    }
  });

  it('marks different targets and notes lower bounds, and a changed verdict and failure class', () => {
    const limited = rampResult({ max: 150, port: 7001, verdict: 'client-limited' });
    const c = compareResults(before, limited);
    expect(c.verdictChanged).toBe(true);
    expect(c.failureClassChanged).toBe(true);
    expect(c.targetChanged).toBe(true);
    expect(c.after.failureClass).toBe('fd-limit');
    expect(c.notes).toEqual(['after: the max is only a lower bound (client-limited)']);
    expect(compareResults(before, after).targetChanged).toBe(false);
  });

  it('compares a run with no latency samples without inventing figures', () => {
    const none = rampResult({ max: 0, verdict: 'unreachable', latenciesMs: [], timeToMaxMs: null });
    const c = compareResults(before, none);
    expect(c.connectLatencyMs.p99).toEqual({ before: 1.5, after: null, delta: null, relative: null });
    expect(c.timeToMaxMs.delta).toBeNull();
    expect(c.maxConcurrency.relative).toBe(-1);
  });
});

describe('compare report', () => {
  it('formats changes with sign and percentage', () => {
    expect(formatRelative(-1 / 3)).toBe('-33.3%');
    expect(formatRelative(0.25)).toBe('+25.0%');
    expect(formatRelative(null)).toBe('');
    expect(formatChange(change(300, 200), formatCount)).toBe('-100 (-33.3%)');
    expect(formatChange(change(1000, 1500), formatCount)).toBe('+500 (+50.0%)');
    expect(formatChange(change(0, 5), formatCount)).toBe('+5');
    expect(formatChange(change(7, 7), formatCount)).toBe('no change');
    expect(formatChange(change(null, 7), formatCount)).toBe('-');
  });

  it('leads with the change in max, then the table and one chart with both curves and a legend', () => {
    const c = compareResults(rampResult({ max: 300 }), rampResult({ max: 200 }), { before: 'a.json', after: 'b.json' });
    const text = formatCompareReport(c);
    const lines = text.split('\n');
    expect(lines[0]).toBe('Max concurrency: 300 -> 200 (-100, -33.3%)');
    expect(text).toMatch(/^ {2}max concurrency +300 +200 {2}-100 \(-33\.3%\)$/m);
    expect(text).toMatch(/^ {2}verdict +limit-by-failure +limit-by-failure {2}same$/m);
    expect(text).toMatch(/^ {2}connect p50 +1ms +1ms {2}no change$/m);
    expect(text).toContain('Held connections, before and after');
    expect(text).toContain('─ before (a.json)   ┄ after (b.json)');
    expect(text).not.toContain('\u001b');
  });

  it('marks lower bounds in the headline and table', () => {
    const c = compareResults(rampResult({ max: 500, verdict: 'max-reached' }), rampResult({ max: 500 }));
    expect(compareHeadline(c)).toBe('Max concurrency: at least 500 -> 500 (no change)');
    expect(formatCompareReport(c, { chart: false })).not.toContain('Held connections');
  });
});

describe('reading result files', () => {
  const write = (name: string, content: string): string => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };

  it('reads a valid result back as written', () => {
    const r = rampResult({ max: 321 });
    expect(readResultFile(write('ok.json', JSON.stringify(r)))).toEqual(r);
  });

  it('refuses, in one line each: missing, a directory, not JSON, not a tcpprobe result, damaged', () => {
    const cases: Array<[string, RegExp]> = [
      [join(dir, 'missing.json'), /missing\.json": no such file$/],
      [dir, /is a directory, not a result file$/],
      [write('text.json', 'hello'), /text\.json" is not JSON \(/],
      [write('other.json', '{"name":"x"}'), /other\.json" is not a tcpprobe result/],
      [write('hold.json', JSON.stringify({ ...rampResult(), kind: 'hold' })), /"hold" result; only ramp results/],
      [write('damaged.json', JSON.stringify({ ...rampResult(), timeline: [{ tMs: 'x' }] })), /"timeline\[0\]" is missing or malformed/],
    ];
    for (const [path, message] of cases) {
      let error: unknown;
      try {
        readResultFile(path);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it('names the schema version it cannot read', () => {
    const v2 = { ...rampResult(), schemaVersion: 2 };
    expect(() => parseRampResult(v2, '"new.json"')).toThrow(
      /"new\.json" is a tcpprobe result of schema version 2; this tcpprobe \S+ reads version 1 \(written by a newer tcpprobe/,
    );
  });

  it('checks the encoded histogram only when comparing, where a bad one falls back', () => {
    const r = { ...rampResult(), histograms: { connectUs: encodedLatencies([3]), tlsHandshakeUs: null } };
    expect(parseRampResult(JSON.parse(JSON.stringify(r)), 'x').histograms.connectUs).toBe(r.histograms.connectUs);
  });
});
