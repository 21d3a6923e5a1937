/**
 * --junit and --markdown from the shared overview (reporters/target-outcome.ts): the JUnit document validated by
 * xmllint against test/fixtures/junit.xsd and read back with XPath, one test case per target with the verdict
 * sentence as the failure message; the Markdown rendered by marked (the parser GitHub-flavoured tables need) and
 * read back from its tokens, server words staying text.
 */
import { marked, type Tokens } from 'marked';
import { describe, expect } from 'vitest';
import type { AuditDocument, AuditTargetReport } from '../../src/metrics/audit-document.js';
import { formatJUnit, xmlText } from '../../src/reporters/junit.js';
import { formatMarkdown, markdownText } from '../../src/reporters/markdown.js';
import { auditOverview, runOverview } from '../../src/reporters/target-outcome.js';
import type { RampResult } from '../../src/metrics/result.js';
import { itNeeding } from '../helpers/needs.js';
import { validateJUnit, XMLLINT, xpath } from '../helpers/junit.js';
import { rampResult } from '../helpers/ramp-result.js';
import { it } from 'vitest';

/** What a server may say: markup, Markdown, XML specials and a control byte. */
const NASTY = '-ERR <b>max</b> | *clients* & "reached" `x` [a](http://x) \u0001';

function report(over: Partial<AuditTargetReport>): AuditTargetReport {
  return {
    name: 'x', address: '127.0.0.1:1', labels: {}, outcome: 'answered', exitCode: 0, maxConcurrency: 300,
    verdict: 'limit-by-failure', baselineMax: null, dropShare: null, gate: 'no-baseline', allowedDropShare: null,
    minConnections: null, belowMinimum: false, error: null, result: rampResult(), ...over,
  };
}

function regressed(): RampResult {
  const r = rampResult({ max: 200, port: 2 });
  r.gate = {
    baselineSource: 'history', path: 'h', window: 5, consideredRuns: 1,
    baseline: { maxConcurrency: 300, verdict: 'limit-by-failure', startedAt: '2026-12-01T03:15:00.000Z' },
    allowedDropShare: 0.1, dropShare: 1 / 3, outcome: 'regression',
    message: 'regression: max concurrency 200 is 33.3% below the baseline 300 (allowed 10%) (the best of 1 recent passing run)',
  };
  return r;
}

function unreachable(): RampResult {
  const r = rampResult({ max: 0, port: 4, verdict: 'unreachable' });
  r.verdict.summary = `Nothing held: the server said ${NASTY}`;
  return r;
}

const doc: AuditDocument = {
  schema: 'tcpprobe/audit', schemaVersion: 1, file: '/etc/tcpprobe/nightly.yaml', historyPath: 'h',
  startedAt: '2026-12-02T03:15:00.123Z', finishedAt: '2026-12-02T03:16:00.000Z', outcome: 'unreachable', exitCode: 3,
  targets: [
    report({ name: 'cache', address: '127.0.0.1:2', maxConcurrency: 200, gate: 'regression', baselineMax: 300, dropShare: 1 / 3,
      allowedDropShare: 0.1, outcome: 'regression', exitCode: 7, result: regressed(), labels: { env: 'ci' } }),
    report({ name: 'greeter', address: '127.0.0.1:3', maxConcurrency: 120, minConnections: 150, belowMinimum: true,
      outcome: 'regression', exitCode: 7, result: rampResult({ max: 120, port: 3 }) }),
    report({ name: 'down', address: '127.0.0.1:4', maxConcurrency: 0, verdict: 'unreachable', gate: 'not-compared',
      outcome: 'unreachable', exitCode: 3, result: unreachable() }),
    report({ name: 'edge', address: '127.0.0.1:5', maxConcurrency: 400, verdict: 'client-limited', outcome: 'client-limited', exitCode: 4,
      result: rampResult({ max: 400, port: 5, verdict: 'client-limited' }) }),
    report({ name: 'resetter', address: '127.0.0.1:6', gate: 'pass', baselineMax: 250, dropShare: 0, maxConcurrency: 250 }),
    report({ name: 'never', address: '127.0.0.1:7', result: null, maxConcurrency: null, verdict: null, gate: null,
      outcome: 'interrupted', exitCode: 130, error: 'not run: the audit was stopped before this target' }),
  ],
};

describe('JUnit', () => {
  const xml = formatJUnit(auditOverview(doc), 'ci-runner-1', '0.1.0');

  itNeeding([XMLLINT], 'validates against the JUnit schema with xmllint', () => {
    const v = validateJUnit(xml);
    expect(v.code, `${v.output}\n${xml}`).toBe(0);
    expect(v.output.trim()).toBe('- validates');
  });

  itNeeding([XMLLINT], 'is one test case per target, each failure carrying the reason\'s sentence as its message', () => {
    expect(xpath(xml, 'count(//testcase)')).toBe('6');
    expect(xpath(xml, 'string(//testsuite/@name)')).toBe('tcpprobe audit: nightly');
    expect(xpath(xml, 'concat(//testsuite/@tests, " ", //testsuite/@failures, " ", //testsuite/@errors, " ", //testsuite/@skipped)')).toBe('6 3 1 1');
    expect(xpath(xml, 'string(//testcase[@name="cache"]/failure/@message)')).toBe(
      'max concurrency 200 is 33.3% below the baseline 300 (allowed 10%) (the best of 1 recent passing run)',
    );
    expect(xpath(xml, 'string(//testcase[@name="cache"]/failure/@type)')).toBe('regression');
    expect(xpath(xml, 'string(//testcase[@name="greeter"]/failure/@message)')).toBe('max concurrency 120 is below minConnections 150');
    expect(xpath(xml, 'string(//testcase[@name="greeter"]/failure/@type)')).toBe('below-minimum');
    // Server words arrive as text: markup and all, the control byte spelled out.
    expect(xpath(xml, 'string(//testcase[@name="down"]/failure/@message)')).toBe(`Nothing held: the server said ${NASTY.replace('\u0001', '\\x01')}`);
    expect(xpath(xml, 'string(//testcase[@name="edge"]/error/@type)')).toBe('client-limited');
    expect(xpath(xml, 'string(//testcase[@name="never"]/skipped/@type)')).toBe('not-run');
    expect(xpath(xml, 'count(//testcase[@name="resetter"]/*[self::failure or self::error or self::skipped])')).toBe('0');
    expect(xpath(xml, 'string(//testcase[@name="cache"]/system-out)')).toContain('against the baseline: -33.3% vs 300');
    expect(xpath(xml, 'string(//property[@name="exitCode"]/@value)')).toBe('3');
    expect(xpath(xml, 'string(//testsuite/@timestamp)')).toBe('2026-12-02T03:15:00Z');
  });

  itNeeding([XMLLINT], 'a single ramp is one test case named after the target, classname tcpprobe.ramp', () => {
    const r = regressed();
    r.target.name = 'cache';
    const one = formatJUnit(runOverview(r, 7), 'h', '0.1.0');
    expect(validateJUnit(one).code).toBe(0);
    expect(xpath(one, 'string(//testcase/@name)')).toBe('cache');
    expect(xpath(one, 'string(//testcase/@classname)')).toBe('tcpprobe.ramp');
    expect(xpath(one, 'string(//property[@name="summary"]/@value)')).toBe('cache did not pass: regression (exit 7).');
  });

  it('escapes what XML cannot carry', () => {
    expect(xmlText('a<b>&"\'\u0000\u001f\ud800')).toBe('a&lt;b&gt;&amp;&quot;&apos;\\x00\\x1f\\xd800');
  });
});

describe('Markdown', () => {
  const md = formatMarkdown(auditOverview(doc), '0.1.0');
  const tokens = marked.lexer(md);
  const table = tokens.find((t): t is Tokens.Table => t.type === 'table');

  it('renders to the overview table: one row per target with name, address, max, change and verdict', () => {
    expect(table?.header.map((h) => h.text)).toEqual(['', 'target', 'address', 'max', 'change', 'verdict']);
    const rows = (table?.rows ?? []).map((r) => r.map((c) => marked.parseInline(c.text) as string));
    expect(rows.map((r) => r.slice(1, 5))).toEqual([
      ['<strong>cache</strong>', '127.0.0.1:2', '200', '-33.3% vs 300'],
      ['<strong>greeter</strong>', '127.0.0.1:3', '120', 'no baseline yet'],
      ['<strong>down</strong>', '127.0.0.1:4', '0', 'not compared'],
      ['<strong>edge</strong>', '127.0.0.1:5', '≥ 400', 'no baseline yet'],
      ['<strong>resetter</strong>', '127.0.0.1:6', '250', '+0.0% vs 250'],
      ['<strong>never</strong>', '127.0.0.1:7', '-', ''],
    ]);
    expect(rows.map((r) => r[0])).toEqual(['❌', '❌', '❌', '⚠️', '✅', '⏭️']);
    expect(rows[0]?.[5]).toBe('limit-by-failure, REGRESSION (allowed 10.0%)');
    expect(rows[1]?.[5]).toBe('limit-by-failure, BELOW MINIMUM 150');
  });

  it('says the overall outcome first and every reason after the table; server words stay text', () => {
    const html = marked.parse(md) as string;
    expect(html).toContain('<strong>4 of 6 targets did not pass (stopped after 5 of 6 targets); the worst outcome is unreachable (exit 3).</strong>');
    expect(html).toContain('<li><strong>down</strong>, unreachable: Nothing held: the server said -ERR &lt;b&gt;max&lt;/b&gt; | *clients* &amp; ');
    expect(html).not.toContain('<b>');
    expect(html).not.toContain('<em>');
    expect(html).not.toContain('<a ');
    expect(html).toContain('<sub>tcpprobe 0.1.0, 2 Dec 2026, 03:15 UTC</sub>');
    expect(md.endsWith('\n')).toBe(true);
  });

  it('escapes Markdown and HTML in text', () => {
    expect(markdownText('a|b *c* <d> & [e]')).toBe('a\\|b \\*c\\* &lt;d&gt; &amp; \\[e\\]');
  });
});
