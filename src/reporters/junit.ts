/**
 * JUnit XML (`--junit FILE` of ramp, hold and audit): what GitLab's test report, Jenkins' junit step and GitHub's
 * test-reporter actions read. One test case per target, named by its one name (metrics/series.ts), in one
 * `<testsuite>`: a target is what passes or fails in a capacity audit (one exit code each), and a CI page then
 * lists the services. A target that did not pass has one `<failure>` (the server failed what was asked: a
 * regression, below its minimum, unreachable, a failed assertion) or one `<error>` (the run could not answer:
 * client-limited, timed out, interrupted, an error of ours), its message the main reason's sentence and its text
 * every reason; a target the audit never reached is `<skipped>`. The figures are in `<system-out>`.
 *
 * The layout follows Ant's JUnit format as those readers take it; test/fixtures/junit.xsd is checked by xmllint in
 * the tests. Pure: text in, XML out.
 */
import { formatCount } from '../config/units.js';
import { FAILURE_KINDS, overallSentence, REASON_WORDS, type Overview, type TargetOutcome } from './target-outcome.js';

/**
 * Text for XML: the five special characters escaped, and the characters XML 1.0 cannot carry at all (C0 controls
 * other than tab, LF, CR; lone surrogates; U+FFFE, U+FFFF) written as "\xNN" so server bytes stay readable.
 */
export function xmlText(text: string): string {
  // eslint-disable-next-line no-control-regex -- the characters XML cannot carry are the point
  const unfit = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
  return text
    .replace(unfit, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

/** An attribute value: also line breaks as character references, so a reader gets them back. */
function attr(text: string): string {
  return xmlText(text).replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

/** Seconds with millisecond precision, as `time` attributes take them. */
function seconds(ms: number | null): string {
  return ((ms ?? 0) / 1000).toFixed(3);
}

/** An ISO time without milliseconds: "2026-12-02T03:15:00Z". */
function timestamp(iso: string): string {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z') : new Date(0).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

type Verdict = 'passed' | 'failure' | 'error' | 'skipped';

export function caseVerdict(t: TargetOutcome): Verdict {
  if (t.passed) return 'passed';
  if (t.reasons[0]?.kind === 'not-run') return 'skipped';
  return t.reasons.some((r) => FAILURE_KINDS.has(r.kind)) ? 'failure' : 'error';
}

/** What a case's `<system-out>` says: the figures a reader of the CI page wants without opening the report. */
function caseOutput(t: TargetOutcome): string {
  const lines = [`address: ${t.address}`];
  if (t.maxConcurrency !== null) lines.push(`max concurrency: ${t.lowerBound ? 'at least ' : ''}${formatCount(t.maxConcurrency)} (${t.verdict ?? '?'})`);
  if (t.summary !== null) lines.push(`verdict: ${t.summary}`);
  if (t.change !== '') lines.push(`against the baseline: ${t.change}`);
  if (t.minConnections !== null) lines.push(`minConnections: ${formatCount(t.minConnections)}`);
  const labels = Object.entries(t.labels);
  if (labels.length > 0) lines.push(`labels: ${labels.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  lines.push(`outcome: ${t.outcome} (exit ${t.exitCode})`);
  return lines.join('\n');
}

function testCase(t: TargetOutcome, command: string): string[] {
  const open = `    <testcase name="${attr(t.name)}" classname="tcpprobe.${command}" time="${seconds(t.durationMs)}">`;
  const verdict = caseVerdict(t);
  const inner: string[] = [];
  const main = t.reasons[0];
  if (verdict !== 'passed' && main !== undefined) {
    const body = t.reasons.map((r) => `${REASON_WORDS[r.kind]}: ${r.sentence}`).join('\n');
    const tag = verdict === 'skipped' ? 'skipped' : verdict;
    inner.push(`      <${tag} message="${attr(main.sentence)}" type="${attr(main.kind)}">${xmlText(body)}</${tag}>`);
  }
  inner.push(`      <system-out>${xmlText(caseOutput(t))}</system-out>`);
  return [open, ...inner, '    </testcase>'];
}

/**
 * The whole run as a JUnit document.
 * @param hostname this machine, the client that measured (`hostname` of the suite)
 * @param version the tcpprobe that wrote it
 */
export function formatJUnit(o: Overview, hostname: string, version: string): string {
  const verdicts = o.targets.map(caseVerdict);
  const count = (v: Verdict): number => verdicts.filter((x) => x === v).length;
  const totalMs = o.targets.reduce((sum, t) => sum + (t.durationMs ?? 0), 0);
  const name = `tcpprobe ${o.command}: ${o.title}`;
  const figures = `tests="${o.targets.length}" failures="${count('failure')}" errors="${count('error')}" skipped="${count('skipped')}" time="${seconds(totalMs)}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attr(name)}" ${figures}>`,
    `  <testsuite name="${attr(name)}" ${figures} timestamp="${timestamp(o.startedAt)}" hostname="${attr(hostname)}">`,
    '    <properties>',
    `      <property name="tcpprobe.version" value="${attr(version)}"/>`,
    `      <property name="outcome" value="${attr(o.outcome)}"/>`,
    `      <property name="exitCode" value="${o.exitCode}"/>`,
    `      <property name="summary" value="${attr(overallSentence(o))}"/>`,
    '    </properties>',
    ...o.targets.flatMap((t) => testCase(t, o.command)),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
