/**
 * Prometheus' own tool on what tcpprobe writes for it: `promtool check rules` on the alert rules of
 * docs/audits.md, `promtool check metrics` on a textfile, and `promtool test rules` with a textfile's samples
 * as the input series. From Debian's `prometheus` package (.ci/run installs it); tests declare need.promtool.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { need } from './needs.js';
import type { Family } from './openmetrics-parser.js';

export const PROMTOOL = need.command('promtool', 'prometheus');

const AUDITS_MD = fileURLToPath(new URL('../../docs/audits.md', import.meta.url));
const MARKER = '<!-- alert-rules:';

/** The one yaml block after the alert-rules marker in docs/audits.md. */
export function docsAlertRules(): string {
  const text = readFileSync(AUDITS_MD, 'utf8');
  const at = text.indexOf(MARKER);
  if (at < 0) throw new Error(`docs/audits.md has no "${MARKER}" marker`);
  const m = /```yaml\n([\s\S]*?)```/.exec(text.slice(at));
  if (m === null || m[1] === undefined) throw new Error('no yaml block after the alert-rules marker');
  return m[1];
}

export interface ToolRun {
  code: number | null;
  output: string;
}

export function promtool(args: readonly string[], input?: string): ToolRun {
  const r = spawnSync('promtool', args, { input, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

/** promtool's series notation for a sample: name{a="b",...}. */
function seriesOf(name: string, labels: Record<string, string>): string {
  const set = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return set.length === 0 ? name : `${name}{${set.join(',')}}`;
}

export interface ExpectedAlert {
  alertname: string;
  /** Each alert: its labels (the rule's and the series') and its annotations, as promtool compares them. */
  alerts: Array<{ labels: Record<string, string>; annotations: Record<string, string> }>;
}

/**
 * Run `promtool test rules`: every gauge sample of `families` is an input series holding its value for 10 minutes;
 * at 5m each of `expected` must fire exactly with the alerts listed (an empty list: must not fire).
 */
export function testRules(dir: string, rules: string, families: readonly Family[], expected: readonly ExpectedAlert[]): ToolRun {
  writeFileSync(join(dir, 'rules.yml'), rules);
  const series = families
    .filter((f) => f.type === 'gauge')
    .flatMap((f) => f.samples)
    .filter((s) => Number.isFinite(s.value))
    .map((s) => ({ series: seriesOf(s.name, s.labels), values: `${s.value}x10` }));
  const test = {
    rule_files: ['rules.yml'],
    evaluation_interval: '1m',
    tests: [
      {
        interval: '1m',
        input_series: series,
        alert_rule_test: expected.map((e) => ({ eval_time: '5m', alertname: e.alertname, exp_alerts: e.alerts.map((a) => ({ exp_labels: a.labels, exp_annotations: a.annotations })) })),
      },
    ],
  };
  // JSON is YAML: promtool reads it as is.
  writeFileSync(join(dir, 'rules.test.yml'), JSON.stringify(test, null, 2));
  return promtool(['test', 'rules', join(dir, 'rules.test.yml')]);
}
