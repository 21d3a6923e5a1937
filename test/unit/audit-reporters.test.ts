/**
 * The audit's reporters: the textfile with a target label per target, the summary table, and the HTML report
 * rendered from data (escaping of server text above all).
 */
import { describe, expect, it } from 'vitest';
import type { AuditDocument, AuditTargetReport } from '../../src/metrics/audit-document.js';
import { changeText, formatAuditSummary } from '../../src/reporters/audit-summary.js';
import { auditReportTargets, escapeHtml, headline, renderHtmlReport, reportTargets, scriptJson, type ReportTarget } from '../../src/reporters/html-report.js';
import { heldData, trendData } from '../../src/reporters/html-report-data.js';
import { auditOverview, historyOverview } from '../../src/reporters/target-outcome.js';
import { formatAuditOpenMetrics, formatOpenMetrics } from '../../src/reporters/openmetrics.js';
import { UsageError } from '../../src/errors.js';
import type { RampResult } from '../../src/metrics/result.js';
import { family, parseOpenMetrics } from '../helpers/openmetrics-parser.js';
import { climb, rampResult } from '../helpers/ramp-result.js';

function audited(name: string, over: Parameters<typeof rampResult>[0] = {}, regression = false): RampResult {
  const r = rampResult(over);
  r.audit = { name, labels: { env: 'ci' }, settings: { port: r.target.port, max: 300 }, minConnections: null, belowMinimum: false };
  if (regression) {
    r.gate = {
      baselineSource: 'history', path: 'h', window: 5, consideredRuns: 1, baseline: null,
      allowedDropShare: 0.1, dropShare: 0.3, outcome: 'regression', message: 'regression: ...',
    };
  }
  return r;
}

describe('formatAuditOpenMetrics', () => {
  const text = formatAuditOpenMetrics([
    { result: audited('big', { max: 300, port: 1001, timeToMaxMs: 900 }), labels: [{ name: 'env', value: 'ci' }], judged: { passed: true, minConnections: null } },
    { result: audited('down', { max: 0, verdict: 'unreachable', port: 1002, timeToMaxMs: null }), labels: [], judged: { passed: false, minConnections: 50 } },
  ]);
  const families = parseOpenMetrics(text);

  it('is one valid exposition: each family once, a sample set per target labelled target=NAME and address', () => {
    expect(family(families, 'tcpprobe_max_concurrency').samples).toEqual([
      { name: 'tcpprobe_max_concurrency', labels: { env: 'ci', target: 'big', address: '127.0.0.1:1001' }, value: 300 },
      { name: 'tcpprobe_max_concurrency', labels: { target: 'down', address: '127.0.0.1:1002' }, value: 0 },
    ]);
    expect(text.match(/^# TYPE tcpprobe_verdict gauge$/gm)).toHaveLength(1);
    const unreachable = family(families, 'tcpprobe_verdict').samples.filter((s) => s.labels.verdict === 'unreachable');
    expect(unreachable.map((s) => [s.labels.target, s.value])).toEqual([['big', 0], ['down', 1]]);
    // A family one target lacks is only written for the others.
    expect(family(families, 'tcpprobe_time_to_max_seconds').samples.map((s) => s.labels.target)).toEqual(['big']);
    expect(family(families, 'tcpprobe_min_connections').samples.map((s) => [s.labels.target, s.value])).toEqual([['down', 50]]);
    // Passed is the audit's judgement (its floor included), not the ramp's own exit code.
    expect(family(families, 'tcpprobe_passed').samples.map((s) => [s.labels.target, s.value])).toEqual([['big', 1], ['down', 0]]);
  });

  it('labels a ramp with its one name: target is --name (else host:port), address is host:port', () => {
    const unnamed = formatOpenMetrics(rampResult({ max: 5, port: 9 }), [{ name: 'env', value: 'x' }]);
    expect(unnamed).toContain('tcpprobe_max_concurrency{env="x",target="127.0.0.1:9",address="127.0.0.1:9"} 5\n');
    const r = rampResult({ max: 5, port: 9 });
    r.target.name = 'cache';
    expect(formatOpenMetrics(r)).toContain('tcpprobe_max_concurrency{target="cache",address="127.0.0.1:9"} 5\n');
    // An audit's run of the same name is labelled alike: one series in Prometheus too.
    const a = formatAuditOpenMetrics([{ result: audited('cache', { max: 5, port: 9 }), labels: [], judged: { passed: true, minConnections: null } }]);
    expect(a).toContain('tcpprobe_max_concurrency{target="cache",address="127.0.0.1:9"} 5\n');
  });

  it('refuses a label that would clash with target or address', () => {
    const r = rampResult();
    const judged = { passed: true, minConnections: null };
    expect(() => formatAuditOpenMetrics([{ result: r, labels: [{ name: 'address', value: 'x' }], judged }])).toThrow(UsageError);
    expect(() => formatAuditOpenMetrics([{ result: r, labels: [{ name: 'target', value: 'x' }], judged }])).toThrow(UsageError);
  });
});

function report(over: Partial<AuditTargetReport>): AuditTargetReport {
  return {
    name: 'x', address: '127.0.0.1:1', labels: {}, outcome: 'answered', exitCode: 0, maxConcurrency: 300,
    verdict: 'limit-by-failure', baselineMax: null, dropShare: null, gate: 'no-baseline', allowedDropShare: null,
    minConnections: null, belowMinimum: false, error: null, result: rampResult(), ...over,
  };
}

describe('formatAuditSummary', () => {
  it('ends with a table of target, max, change and verdict, and the worst outcome with its exit code', () => {
    const doc: AuditDocument = {
      schema: 'tcpprobe/audit', schemaVersion: 1, file: 'nightly.yaml', historyPath: 'h', startedAt: '', finishedAt: '',
      outcome: 'unreachable', exitCode: 3,
      targets: [
        report({ name: 'big', maxConcurrency: 300, gate: 'pass', baselineMax: 300, dropShare: 0 }),
        report({ name: 'small', address: '127.0.0.1:2', maxConcurrency: 200, gate: 'regression', baselineMax: 300,
          dropShare: 1 / 3, allowedDropShare: 0.1, outcome: 'regression', exitCode: 7 }),
        report({ name: 'down', address: '127.0.0.1:3', maxConcurrency: 0, verdict: 'unreachable', gate: 'not-compared',
          outcome: 'unreachable', exitCode: 3 }),
        report({ name: 'gone', address: 'nowhere.invalid:4', result: null, maxConcurrency: null, verdict: null, gate: null,
          outcome: 'unreachable', exitCode: 3, error: 'cannot resolve "nowhere.invalid"' }),
      ],
    };
    expect(formatAuditSummary(doc).split('\n')).toEqual([
      'Audit of 4 targets from nightly.yaml',
      '',
      '  target  address            max  change         verdict',
      '  big     127.0.0.1:1        300  +0.0% vs 300   limit-by-failure',
      '  small   127.0.0.1:2        200  -33.3% vs 300  limit-by-failure, REGRESSION (allowed 10.0%)',
      '  down    127.0.0.1:3          0  not compared   unreachable',
      '  gone    nowhere.invalid:4    -                 error: cannot resolve "nowhere.invalid"',
      '',
      '3 of 4 targets did not pass; the worst outcome is unreachable (exit 3).',
    ]);
  });

  it.each([
    [[130, 130], '1 of 2 targets did not pass (stopped after 1 of 2 targets); the worst outcome is interrupted (exit 130).'],
    [[0, 130], 'The audit was stopped after 1 of 2 targets; the worst outcome is interrupted (exit 130).'],
  ])('a stopped audit counts every target of the file, the ones it never reached too (%j)', ([firstCode], last) => {
    const doc: AuditDocument = {
      schema: 'tcpprobe/audit', schemaVersion: 1, file: 'nightly.yaml', historyPath: 'h', startedAt: '', finishedAt: '',
      outcome: 'interrupted', exitCode: 130,
      targets: [
        firstCode === 0
          ? report({ name: 'slow', maxConcurrency: 300 })
          : report({ name: 'slow', maxConcurrency: 40, verdict: 'interrupted', outcome: 'interrupted', exitCode: 130 }),
        report({ name: 'never', address: '127.0.0.1:2', result: null, maxConcurrency: null, verdict: null, gate: null,
          outcome: 'interrupted', exitCode: 130, error: 'not run: the audit was stopped before this target' }),
      ],
    };
    const text = formatAuditSummary(doc).split('\n');
    expect(text[0]).toBe('Audit of 2 targets from nightly.yaml');
    expect(text.find((l) => l.startsWith('  never'))).toMatch(/^ {2}never +127\.0\.0\.1:2 +- +not run \(the audit was stopped\)$/);
    expect(text.at(-1)).toBe(last);
  });

  it('says a first run has no baseline yet and a rise with a plus', () => {
    expect(changeText(report({ gate: 'no-baseline' }))).toBe('no baseline yet');
    expect(changeText(report({ gate: 'pass', baselineMax: 200, dropShare: -0.5, maxConcurrency: 300 }))).toBe('+50.0% vs 200');
  });
});

describe('HTML report', () => {
  const assets = { script: 'window.uPlot = function () {}; // </script> inside a library', css: '.u{}' };
  const nasty = '</script><script>alert(1)</script> & "quotes" \u2028';
  /** A history's page, as `tcpprobe report` makes it. */
  function page(records: Array<{ line: number; result: RampResult }>): string {
    const targets = reportTargets(records);
    return renderHtmlReport(
      { title: `Report ${nasty}`, generatedAt: '2026-12-02T03:20:00.000Z', version: '0.1.0', overview: historyOverview('t', targets.map((t) => t.outcome), 'now'), targets },
      assets,
    );
  }
  const at = (iso: string, r: RampResult): RampResult => ({ ...r, startedAt: iso });

  it('groups the history by series, latest run last, and finds the run the latest was compared with', () => {
    const first = at('2026-12-01T03:15:00.000Z', audited('redis', { max: 300 }));
    const second = at('2026-12-02T03:15:00.000Z', audited('redis', { max: 200 }, true));
    second.gate = { ...(second.gate as NonNullable<RampResult['gate']>), baseline: { maxConcurrency: 300, verdict: 'limit-by-failure', startedAt: first.startedAt } };
    const targets = reportTargets([{ line: 1, result: first }, { line: 2, result: rampResult({ max: 50, port: 7 }) }, { line: 3, result: second }]);
    expect(targets.map((t) => t.name)).toEqual(['redis', '127.0.0.1:7']);
    expect(targets[0]?.runs.map((r) => r.maxConcurrency)).toEqual([300, 200]);
    expect(targets[0]?.latest?.maxConcurrency).toBe(200);
    expect(targets[0]?.baselineRun).toBe(first);
    const trend = trendData(targets[0] as ReportTarget);
    expect(trend.x).toEqual([Date.parse(first.startedAt) / 1000, Date.parse(second.startedAt) / 1000]);
    expect(trend.regression).toEqual([null, 200]);
    expect([trend.baseline, trend.allowedFloor]).toEqual([300, 270]);
    // From 0, to a little above the highest: a third less reads as a third less.
    expect(trend.yMax).toBe(350);
  });

  it('puts the baseline run\'s held curve beside the latest on one axis of seconds', () => {
    const a = rampResult({ timeline: climb(100, 3, 50, 100) });
    const b = rampResult({ timeline: climb(100, 2, 50, 150) });
    expect(heldData(a, b)).toEqual({ x: [0, 0.1, 0.15, 0.2], latest: [0, 50, null, 100], baseline: [0, null, 50, null], yMax: 120 });
  });

  it('escapes every text from results and keeps the data block and the library from closing their script', () => {
    const r = audited('redis', { max: 10, timeline: climb(10, 7) });
    r.verdict.summary = nasty;
    r.failures = [{
      class: 'rejected', count: 3,
      first: { class: 'rejected', code: null, message: 'refused <b>', phase: 'established', atMs: 1, afterConnectMs: 1, serverSaid: nasty, connId: 1, sourceAddress: null },
    }];
    const html = page([{ line: 1, result: r }]);
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain(escapeHtml(nasty));
    expect(html).toContain('refused &lt;b&gt;');
    expect(html).toContain('window.uPlot = function () {}; // <\\/script> inside a library');
    // Only the page's own three script elements open, and each closes.
    expect(html.match(/<script/g)).toHaveLength(3);
    expect(html.match(/<\/script>/g)).toHaveLength(3);
    expect(html).toContain(`data-expected-points="7"`);
    expect(html).toContain("default-src 'none'");
    expect(scriptJson({ s: nasty })).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(scriptJson({ s: nasty }))).toEqual({ s: nasty });
  });

  it('badges a floor as below the minimum, never as a regression, and says it in words', () => {
    const r = audited('pool', { max: 80 });
    r.audit = { name: 'pool', labels: {}, settings: {}, minConnections: 100, belowMinimum: true };
    r.gate = { baselineSource: 'history', path: 'h', window: 5, consideredRuns: 1, baseline: { maxConcurrency: 80, verdict: 'limit-by-failure', startedAt: '2026-12-01T03:15:00.000Z' },
      allowedDropShare: 0.1, dropShare: 0, outcome: 'pass', message: 'baseline: max concurrency 80 equals the baseline 80 (allowed 10%)' };
    const html = page([{ line: 1, result: r }]);
    expect(html).toContain('<span class="badge below-minimum" title="max concurrency 80 is below minConnections 100">below the minimum</span>');
    expect(html).not.toContain('badge regression');
    expect(html).toContain('<li><strong>below the minimum</strong>: max concurrency 80 is below minConnections 100</li>');
    expect(html).toContain('Baseline 80 (the run of 1 Dec 2026, 03:15 UTC), allowed drop 10%: this run holds as many.');
  });

  it('words the first night calmly, without the history\'s path', () => {
    const r = audited('pool', { max: 80 });
    r.gate = { baselineSource: 'history', path: '/var/lib/tcpprobe/history.jsonl', window: 5, consideredRuns: 0, baseline: null,
      allowedDropShare: 0.1, dropShare: null, outcome: 'no-baseline', message: 'baseline: no baseline yet, the gate was not applied: no earlier measured run of "pool" that passed in /var/lib/tcpprobe/history.jsonl' };
    const html = page([{ line: 1, result: r }]);
    expect(html).toContain('First run of this target: nothing to compare with yet. This run is the baseline for the next.');
    expect(html).toContain('badge first-run');
    expect(html).not.toContain('/var/lib/tcpprobe');
  });

  it('shows a target that could not run without a chart', () => {
    const gone = report({ name: 'gone', result: null, maxConcurrency: null, verdict: null, gate: null, outcome: 'unreachable', exitCode: 3, error: 'cannot <resolve>' });
    const doc: AuditDocument = { schema: 'tcpprobe/audit', schemaVersion: 1, file: 'a.yaml', historyPath: 'h', startedAt: '', finishedAt: '', outcome: 'unreachable', exitCode: 3, targets: [gone] };
    const html = renderHtmlReport({ title: 't', generatedAt: 'now', version: '0.1.0', overview: auditOverview(doc), targets: auditReportTargets([gone], []) }, assets);
    expect(html).toContain('Could not run this time: cannot &lt;resolve&gt;');
    expect(html).toContain('<span class="badge unreachable"');
    expect(html).not.toContain('class="chart');
  });
});

describe('the report headline says what the number is', () => {
  const verdict = (kind: RampResult['verdict']['kind'], lowerBound: boolean): RampResult['verdict'] => ({ kind, summary: '', lowerBound, clientLimit: null });
  it('a cap, a lower bound, the most open at once, or nothing held', () => {
    expect(headline({ maxConcurrency: 1200, verdict: verdict('limit-by-failure', false) })).toBe('<strong>1,200</strong> held at most');
    expect(headline({ maxConcurrency: 300, verdict: verdict('timed-out', true) })).toBe('at least <strong>300</strong> held');
    expect(headline({ maxConcurrency: 187, verdict: verdict('evicting', false) })).toBe('<strong>187</strong> open at once at most');
    expect(headline({ maxConcurrency: 0, verdict: verdict('unreachable', false) })).toBe('<strong>none</strong> held');
  });
});
