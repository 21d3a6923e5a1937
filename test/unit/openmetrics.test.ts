/**
 * The OpenMetrics textfile: parsed back with a strict parser (test/helpers/openmetrics-parser.ts) that accepts only
 * what OpenMetrics and node_exporter's Prometheus text parser both accept.
 */
import { describe, expect, it } from 'vitest';
import { parseLabel } from '../../src/cli/post-run-audit.js';
import { UsageError } from '../../src/errors.js';
import {
  escapeLabelValue,
  formatOpenMetrics,
  formatSampleValue,
  labelNameProblem,
  VERDICT_KINDS,
} from '../../src/reporters/openmetrics.js';
import { family, parseOpenMetrics, ParseError } from '../helpers/openmetrics-parser.js';
import { rampResult } from '../helpers/ramp-result.js';
import type { GateRecord, RampResult } from '../../src/metrics/result.js';

const labels = [
  { name: 'env', value: 'prod' },
  { name: 'note', value: 'a "quoted" \\ back\nslash' },
];

describe('formatOpenMetrics', () => {
  const result = rampResult({ max: 1000, port: 6379, host: 'db.internal', absorbedPerSec: 494, timeToMaxMs: 2227 });
  const text = formatOpenMetrics(result, labels);
  const families = parseOpenMetrics(text);

  it('ends with # EOF and a newline, every family typed and described', () => {
    expect(text.endsWith('\n# EOF\n')).toBe(true);
    for (const f of families) {
      expect(f.help).not.toBeNull();
      expect(['gauge', 'summary']).toContain(f.type);
    }
    expect(families.map((f) => f.name)).toEqual([
      'tcpprobe_max_concurrency',
      'tcpprobe_max_concurrency_lower_bound',
      'tcpprobe_verdict',
      'tcpprobe_absorbed_connect_rate',
      'tcpprobe_connect_latency_seconds',
      'tcpprobe_time_to_max_seconds',
      'tcpprobe_run_duration_seconds',
      'tcpprobe_last_run_timestamp_seconds',
      'tcpprobe_passed',
    ]);
  });

  it('labels every sample with the given labels (escaped, read back exactly) and the target', () => {
    for (const f of families) {
      for (const s of f.samples) {
        expect(s.labels.env).toBe('prod');
        expect(s.labels.note).toBe('a "quoted" \\ back\nslash');
        expect(s.labels.target).toBe('db.internal:6379');
        expect(s.labels.address).toBe('db.internal:6379');
      }
    }
  });

  it('writes the max, lower bound, absorbed rate, time to max and timestamp', () => {
    expect(family(families, 'tcpprobe_max_concurrency').samples[0]?.value).toBe(1000);
    expect(family(families, 'tcpprobe_max_concurrency_lower_bound').samples[0]?.value).toBe(0);
    expect(family(families, 'tcpprobe_absorbed_connect_rate').samples[0]?.value).toBe(494);
    expect(family(families, 'tcpprobe_time_to_max_seconds').samples[0]?.value).toBe(2.227);
    expect(family(families, 'tcpprobe_time_to_max_seconds').unit).toBe('seconds');
    expect(family(families, 'tcpprobe_last_run_timestamp_seconds').samples[0]?.value).toBe(
      Date.parse(result.finishedAt) / 1000,
    );
  });

  it('writes the verdict as a stateset of gauges: 1 for this run, 0 for every other kind', () => {
    const samples = family(families, 'tcpprobe_verdict').samples;
    expect(samples.map((s) => s.labels.verdict)).toEqual(VERDICT_KINDS);
    expect(samples.filter((s) => s.value === 1).map((s) => s.labels.verdict)).toEqual(['limit-by-failure']);
  });

  it('writes connect latency as a summary in seconds: p50, p90, p99, sum and count', () => {
    const f = family(families, 'tcpprobe_connect_latency_seconds');
    expect(f.type).toBe('summary');
    const q = Object.fromEntries(f.samples.filter((s) => s.labels.quantile !== undefined).map((s) => [s.labels.quantile, s.value]));
    expect(q).toEqual({ '0.5': 0.001, '0.9': 0.001, '0.99': 0.0015 });
    expect(f.samples.find((s) => s.name.endsWith('_count'))?.value).toBe(100);
    expect(f.samples.find((s) => s.name.endsWith('_sum'))?.value).toBeCloseTo(0.1055, 4);
    expect(text).toContain('quantile="0.99"} 0.0015\n');
  });

  it('stays valid without latency samples or time to max', () => {
    const empty = formatOpenMetrics(rampResult({ max: 0, verdict: 'unreachable', latenciesMs: [], timeToMaxMs: null }));
    const f = parseOpenMetrics(empty);
    expect(f.map((x) => x.name)).not.toContain('tcpprobe_time_to_max_seconds');
    expect(family(f, 'tcpprobe_connect_latency_seconds').samples[0]?.value).toBeNaN();
    expect(empty).toContain('tcpprobe_max_concurrency_lower_bound{target="127.0.0.1:6379",address="127.0.0.1:6379"} 0\n');
  });

  it('brackets IPv6 targets', () => {
    const v6 = parseOpenMetrics(formatOpenMetrics(rampResult({ host: '::1', port: 80 })));
    expect(family(v6, 'tcpprobe_max_concurrency').samples[0]?.labels.target).toBe('[::1]:80');
  });

  it('refuses bad, reserved and repeated label names', () => {
    const r = rampResult();
    expect(() => formatOpenMetrics(r, [{ name: '1x', value: '' }])).toThrow(UsageError);
    expect(() => formatOpenMetrics(r, [{ name: 'target', value: 'x' }])).toThrow(/set by tcpprobe/);
    expect(() => formatOpenMetrics(r, [{ name: 'address', value: 'x' }])).toThrow(/set by tcpprobe/);
    expect(() => formatOpenMetrics(r, [{ name: 'gate', value: 'x' }])).toThrow(/set by tcpprobe/);
    expect(() => formatOpenMetrics(r, [{ name: 'a', value: '1' }, { name: 'a', value: '2' }])).toThrow(/given twice/);
  });
});

describe('the gate in the textfile', () => {
  function gated(outcome: GateRecord['outcome'], dropShare: number | null, baseline: number | null): RampResult {
    const r = rampResult({ max: 250, port: 6379 });
    r.gate = {
      baselineSource: 'history', path: 'h', window: 5, consideredRuns: baseline === null ? 0 : 1,
      baseline: baseline === null ? null : { maxConcurrency: baseline, verdict: 'limit-by-failure', startedAt: '2026-12-01T03:15:00.000Z' },
      allowedDropShare: 0.1, dropShare, outcome, message: '',
    };
    r.exitCode = outcome === 'regression' ? 7 : 0;
    r.passed = r.exitCode === 0;
    return r;
  }
  const value = (text: string, name: string): number | undefined => family(parseOpenMetrics(text), name).samples[0]?.value;

  it('writes the baseline, the change against it, the allowed drop, the outcome and whether the run passed', () => {
    const text = formatOpenMetrics(gated('regression', 1 / 6, 300));
    expect(value(text, 'tcpprobe_baseline_max_concurrency')).toBe(300);
    expect(value(text, 'tcpprobe_max_concurrency_change_ratio')).toBeCloseTo(-1 / 6, 9);
    expect(value(text, 'tcpprobe_allowed_drop_ratio')).toBe(0.1);
    const gate = family(parseOpenMetrics(text), 'tcpprobe_gate').samples;
    expect(gate.map((s) => [s.labels.gate, s.value])).toEqual([['pass', 0], ['regression', 1], ['not-compared', 0], ['no-baseline', 0]]);
    expect(value(text, 'tcpprobe_passed')).toBe(0);
  });

  it('leaves out what the gate did not have: the first night has no baseline and no change', () => {
    const families = parseOpenMetrics(formatOpenMetrics(gated('no-baseline', null, null))).map((f) => f.name);
    expect(families).not.toContain('tcpprobe_baseline_max_concurrency');
    expect(families).not.toContain('tcpprobe_max_concurrency_change_ratio');
    expect(families).toContain('tcpprobe_allowed_drop_ratio');
    expect(families).toContain('tcpprobe_gate');
    expect(value(formatOpenMetrics(gated('no-baseline', null, null)), 'tcpprobe_passed')).toBe(1);
    // No change is 0, not -0.
    expect(formatOpenMetrics(gated('pass', 0, 250))).toMatch(/^tcpprobe_max_concurrency_change_ratio\{[^}]*\} 0$/m);
  });
});

describe('labels and values', () => {
  it('validates label names', () => {
    expect(labelNameProblem('env')).toBeNull();
    expect(labelNameProblem('_x9')).toBeNull();
    expect(labelNameProblem('9x')).toMatch(/not a label name/);
    expect(labelNameProblem('a-b')).toMatch(/not a label name/);
    expect(labelNameProblem('')).toMatch(/not a label name/);
    expect(labelNameProblem('__meta')).toMatch(/reserved/);
    expect(labelNameProblem('quantile')).toMatch(/set by tcpprobe/);
  });

  it('parses --label key=value, the value keeping any "="', () => {
    expect(parseLabel('--label', 'env=prod')).toEqual({ name: 'env', value: 'prod' });
    expect(parseLabel('--label', 'q=a=b')).toEqual({ name: 'q', value: 'a=b' });
    expect(parseLabel('--label', 'empty=')).toEqual({ name: 'empty', value: '' });
    expect(() => parseLabel('--label', 'novalue')).toThrow(/not key=value/);
    expect(() => parseLabel('--label', 'bad key=1')).toThrow(/not a label name/);
  });

  it('escapes label values and spells special numbers', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(formatSampleValue(NaN)).toBe('NaN');
    expect(formatSampleValue(Infinity)).toBe('+Inf');
    expect(formatSampleValue(-Infinity)).toBe('-Inf');
    expect(formatSampleValue(1e-7)).toBe('1e-7');
  });
});

describe('the strict test parser', () => {
  it('rejects what node_exporter or OpenMetrics would reject', () => {
    const bad = [
      'x 1\n', // no # EOF
      '# TYPE x gauge\nx 1\n# EOF', // no newline after # EOF
      '# TYPE x info\nx 1\n# EOF\n', // info is OpenMetrics only
      '# TYPE x gauge\nx 1 1700000000\n# EOF\n', // timestamp
      '# TYPE x gauge\nx{a="\\t"} 1\n# EOF\n', // bad escape
      '# TYPE x gauge\nx{a="1",a="2"} 1\n# EOF\n', // duplicate label
      '# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\nx 2\n# EOF\n', // not contiguous
      '# TYPE x_ms gauge\n# UNIT x_ms seconds\nx_ms 1\n# EOF\n', // unit suffix
      '# TYPE s summary\ns 1\n# EOF\n', // quantile label missing
      'x 1\n# EOF\n', // no TYPE
    ];
    for (const text of bad) expect(() => parseOpenMetrics(text), text).toThrow(ParseError);
  });
});
