/**
 * The alert rules in docs/audits.md, checked by Prometheus' promtool: they parse (`check rules`), and run against a
 * textfile tcpprobe writes for an audit with a regressed target, one under its floor, one unreachable and one that
 * passed (`test rules`), each alert firing for exactly the targets it is about. The textfile itself passes
 * `promtool check metrics`. The two-night audit test (audit-file-cli.test.ts) runs the same rules on a real one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { formatAuditOpenMetrics } from '../../src/reporters/openmetrics.js';
import type { GateRecord, RampResult } from '../../src/metrics/result.js';
import { describeNeeding } from '../helpers/needs.js';
import { parseOpenMetrics } from '../helpers/openmetrics-parser.js';
import { docsAlertRules, promtool, PROMTOOL, testRules, type ExpectedAlert } from '../helpers/promtool.js';
import { rampResult } from '../helpers/ramp-result.js';

const dir = mkdtempSync(join(tmpdir(), 'tcpprobe-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function target(name: string, port: number, max: number, gate: Partial<GateRecord> | null, verdict: RampResult['verdict']['kind'] = 'limit-by-failure'): RampResult {
  const r = rampResult({ max, port, verdict });
  r.target.name = name;
  if (gate !== null) {
    r.gate = {
      baselineSource: 'history', path: 'h', window: 5, consideredRuns: 1,
      baseline: { maxConcurrency: 300, verdict: 'limit-by-failure', startedAt: '2026-12-01T03:15:00.000Z' },
      allowedDropShare: 0.1, dropShare: (300 - max) / 300, outcome: 'pass', message: '', ...gate,
    };
  }
  return r;
}

const textfile = formatAuditOpenMetrics([
  { result: target('cache', 7001, 200, { outcome: 'regression' }), labels: [{ name: 'env', value: 'ci' }], judged: { passed: false, minConnections: null } },
  { result: target('greeter', 7002, 120, { outcome: 'pass', baseline: { maxConcurrency: 120, verdict: 'limit-by-failure', startedAt: '2026-12-01T03:15:00.000Z' }, dropShare: 0 }), labels: [{ name: 'env', value: 'ci' }], judged: { passed: false, minConnections: 150 } },
  { result: target('resetter', 7003, 250, { outcome: 'pass', baseline: { maxConcurrency: 250, verdict: 'limit-by-failure', startedAt: '2026-12-01T03:15:00.000Z' }, dropShare: 0 }), labels: [{ name: 'env', value: 'ci' }], judged: { passed: true, minConnections: null } },
  { result: target('down', 7004, 0, { outcome: 'not-compared', dropShare: null }, 'unreachable'), labels: [{ name: 'env', value: 'ci' }], judged: { passed: false, minConnections: null } },
]);

const labelsOf = (name: string, port: number, severity: string): Record<string, string> => ({
  severity, env: 'ci', target: name, address: `127.0.0.1:${port}`,
});
const failed = (name: string, port: number): ExpectedAlert['alerts'][number] => ({
  labels: labelsOf(name, port, 'info'),
  annotations: { summary: `${name} did not pass its last audit (see tcpprobe_verdict)` },
});

describeNeeding([PROMTOOL], "the docs' alert rules, under promtool", () => {
  it('check rules: the block in docs/audits.md is valid Prometheus rules', () => {
    writeFileSync(join(dir, 'docs-rules.yml'), docsAlertRules());
    const r = promtool(['check', 'rules', join(dir, 'docs-rules.yml')]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('SUCCESS: 4 rules found');
  });

  it('check metrics: the textfile passes promtool\'s own lint', () => {
    const r = promtool(['check', 'metrics'], textfile);
    expect(r.code, r.output).toBe(0);
  });

  it('test rules: each alert fires for exactly the targets it is about', () => {
    const r = testRules(dir, docsAlertRules(), parseOpenMetrics(textfile), [
      {
        alertname: 'TcpprobeCapacityRegressed',
        alerts: [{ labels: labelsOf('cache', 7001, 'warning'), annotations: { summary: 'cache: max concurrency -33.33% against its baseline' } }],
      },
      {
        alertname: 'TcpprobeBelowMinimum',
        alerts: [{ labels: labelsOf('greeter', 7002, 'warning'), annotations: { summary: 'greeter holds 120 connections, below its minConnections' } }],
      },
      { alertname: 'TcpprobeTargetFailed', alerts: [failed('cache', 7001), failed('greeter', 7002), failed('down', 7004)] },
      // The runs finished "now" (in 2026): at the test's time 0 none is two days old.
      { alertname: 'TcpprobeAuditStale', alerts: [] },
    ]);
    expect(r.code, r.output).toBe(0);
  });
});
