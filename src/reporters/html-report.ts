/**
 * The HTML capacity report (`audit --html`, `report --html`): one self-contained page, no network needed to open
 * it. First the overall outcome and an overview table of every target (name, max, change against its baseline,
 * why it did not pass); then per target its reasons as badges and sentences, its figures (address, labels, when,
 * connect latency, absorbed rate, time to the max, the tcpprobe that measured it), and three charts: the max over
 * dates with its baseline and the allowed band, the latest held curve over the baseline run's, and connect latency
 * p50/p99 per run. Times are UTC, in words.
 *
 * Pure: the caller reads the charting library (uPlot) and hands its script and stylesheet in. Everything that
 * comes from a result (server text above all) reaches the page either HTML-escaped or inside a JSON data block
 * with `<`, `>`, `&` and the JavaScript line separators escaped, and the page's script sets only attributes.
 * A Content-Security-Policy forbids every fetch: the page cannot reach the network even if it tried.
 */
import type { RampResult } from '../metrics/result.js';
import { formatCount } from '../config/units.js';
import { formatMs, formatRate } from './format.js';
import { PAGE_CSS, PAGE_SCRIPT } from './html-page.js';
import { heldData, latencyData, trendData, type ReportTarget } from './html-report-data.js';
import { isNotRun, overallSentence, REASON_WORDS, type Overview, type TargetOutcome } from './target-outcome.js';
import { formatShortWhen, formatWhen } from './when.js';

export { auditReportTargets, reportTargets, type ReportTarget } from './html-report-data.js';

export interface ChartAssets {
  /** uPlot's IIFE build (defines the global `uPlot`). */
  script: string;
  css: string;
}

/** What the page is about. */
export interface ReportPage {
  /** The heading and the page's title: "Capacity audit: nightly". */
  title: string;
  /** ISO time the page was made. */
  generatedAt: string;
  /** The tcpprobe that made it. */
  version: string;
  /** The overall outcome and one row per target, in the targets' order. */
  overview: Overview;
  targets: readonly ReportTarget[];
}

/** Escape text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** JSON safe inside a <script> element: no "</script>", no "<!--", no line separators that end a JS string. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A library's source inside an inline <script>: a literal "</script" in it would end the element early. */
function inlineScript(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1');
}

/** The number and what it is: a cap, a lower bound, the most open at once, or nothing held at all. */
export function headline(r: Pick<RampResult, 'maxConcurrency' | 'verdict'>): string {
  const n = `<strong>${escapeHtml(formatCount(r.maxConcurrency))}</strong>`;
  if (r.verdict.kind === 'unreachable' || r.verdict.kind === 'rejected') return '<strong>none</strong> held';
  if (r.verdict.kind === 'evicting') return `${n} open at once at most`;
  return r.verdict.lowerBound ? `at least ${n} held` : `${n} held at most`;
}

/** ok, warn or bad: the colour of a target's row and card. */
function tone(t: TargetOutcome): 'ok' | 'warn' | 'bad' {
  if (t.passed) return 'ok';
  return t.reasons.some((r) => r.kind === 'regression' || r.kind === 'below-minimum' || r.kind === 'unreachable' || r.kind === 'assertion' || r.kind === 'error')
    ? 'bad'
    : 'warn';
}

/** One badge per reason (each its own kind: a floor is never called a regression); "pass" when it passed. */
export function badges(t: TargetOutcome): string {
  const items = t.passed ? ['<span class="badge pass">pass</span>'] : [];
  const seen = new Set<string>();
  for (const r of t.reasons) {
    if (seen.has(r.kind)) continue;
    seen.add(r.kind);
    items.push(`<span class="badge ${r.kind}" title="${escapeHtml(r.sentence)}">${escapeHtml(REASON_WORDS[r.kind])}</span>`);
  }
  if (t.gate === 'no-baseline') items.push('<span class="badge first-run" title="no earlier run to compare with">first run</span>');
  return items.join('');
}

function anchor(id: string): string {
  return `target-${id}`;
}

function overviewTable(page: ReportPage, ids: readonly string[]): string {
  const rows = page.overview.targets.map((t, i) => {
    const max = t.maxConcurrency === null ? '-' : `${t.lowerBound ? '≥ ' : ''}${formatCount(t.maxConcurrency)}`;
    return (
      `<tr class="${tone(t)}" data-target="${escapeHtml(t.name)}">` +
      `<td><a href="#${anchor(ids[i] as string)}">${escapeHtml(t.name)}</a></td>` +
      `<td class="num">${escapeHtml(max)}</td>` +
      `<td>${escapeHtml(t.change === '' ? '-' : t.change)}</td>` +
      `<td>${escapeHtml(t.verdict ?? '-')}</td>` +
      `<td>${badges(t)}</td>` +
      `<td>${escapeHtml(t.startedAt === null ? '-' : formatShortWhen(t.startedAt))}</td>` +
      `<td class="muted">${escapeHtml(t.address)}</td></tr>`
    );
  });
  return [
    '<table class="overview">',
    '<tr><th>target</th><th>max</th><th>change vs baseline</th><th>verdict</th><th>result</th><th>last run (UTC)</th><th>address</th></tr>',
    ...rows,
    '</table>',
  ].join('\n');
}

/** The baseline in calm words: what the latest run was compared with, and how it came out. */
function baselineLine(t: TargetOutcome, r: RampResult): string | null {
  const gate = r.gate;
  if (gate === undefined) return null;
  const allowed = gate.allowedDropShare === null ? '' : `, allowed drop ${(gate.allowedDropShare * 100).toFixed(0)}%`;
  switch (gate.outcome) {
    case 'no-baseline':
      return 'First run of this target: nothing to compare with yet. This run is the baseline for the next.';
    case 'not-compared':
      return `Not compared with a baseline: this run's verdict is ${r.verdict.kind}.`;
    case 'pass':
    case 'regression': {
      const b = gate.baseline;
      const from = b === null ? '' : ` (the run of ${formatWhen(b.startedAt)})`;
      const share = t.dropShare;
      const how =
        share === null ? 'was compared with it' : share === 0 ? 'holds as many' : `is ${(Math.abs(share) * 100).toFixed(1)}% ${share > 0 ? 'below' : 'above'} it`;
      return `Baseline ${b === null ? '-' : formatCount(b.maxConcurrency)}${from}${allowed}: this run ${how}.`;
    }
  }
}

function facts(t: TargetOutcome, r: RampResult | null): string {
  const items: Array<[string, string]> = [['address', escapeHtml(t.address)]];
  const labels = Object.entries(t.labels);
  if (labels.length > 0) items.push(['labels', labels.map(([k, v]) => `<span class="chip">${escapeHtml(k)}=${escapeHtml(v)}</span>`).join('')]);
  if (r !== null) {
    items.push(['last run', `${escapeHtml(formatWhen(r.startedAt))}, ${escapeHtml((r.durationMs / 1000).toFixed(1))} s`]);
    const lat = r.connectLatencyMs;
    items.push(['connect latency', lat.count === 0 ? 'no samples' : `p50 ${escapeHtml(formatMs(lat.p50))}, p99 ${escapeHtml(formatMs(lat.p99))}`]);
    if (r.maxConcurrency > 0) {
      items.push(['absorbed rate', r.failures.length === 0 ? 'no failure at any rate' : `${escapeHtml(formatRate(r.rate.absorbedPerSec))} without failure`]);
    }
    items.push(['time to the max', r.timeToMaxMs === null ? '-' : escapeHtml(formatMs(r.timeToMaxMs))]);
  }
  if (t.minConnections !== null) items.push(['minConnections', escapeHtml(formatCount(t.minConnections))]);
  if (t.allowedDropShare !== null) items.push(['maxRegression', `${escapeHtml((t.allowedDropShare * 100).toFixed(1))}%`]);
  if (r !== null) items.push(['measured by', `tcpprobe ${escapeHtml(r.tool.version)}`]);
  return `<dl class="facts">${items.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

function legend(items: ReadonlyArray<[string, string]>): string {
  return `<ul class="legend">${items.map(([cls, words]) => `<li><span class="swatch ${cls}"></span>${escapeHtml(words)}</li>`).join('')}</ul>`;
}

function chartFigures(t: ReportTarget, id: string, r: RampResult): string {
  const trend = trendData(t);
  const trendLegend: Array<[string, string]> = [['sw-max', 'max per run']];
  if (trend.regression.some((v) => v !== null)) trendLegend.push(['dot sw-regression', 'regression']);
  if (trend.belowMinimum.some((v) => v !== null)) trendLegend.push(['dot sw-below', 'below the minimum']);
  if (trend.baseline !== null) trendLegend.push(['dash sw-baseline', `baseline ${formatCount(trend.baseline)}`]);
  if (trend.allowedFloor !== null) trendLegend.push(['area sw-band', `allowed drop, down to ${formatCount(Math.ceil(trend.allowedFloor))}`]);
  if (trend.minConnections !== null) trendLegend.push(['dash sw-min', `minConnections ${formatCount(trend.minConnections)}`]);
  const heldLegend: Array<[string, string]> = [['sw-held', `this run, ${formatShortWhen(r.startedAt)}`]];
  if (t.baselineRun !== null) heldLegend.push(['dash sw-held-baseline', `baseline run, ${formatShortWhen(t.baselineRun.startedAt)}`]);
  const band = trend.allowedFloor === null || trend.baseline === null ? '' : ` data-band="${Math.ceil(trend.allowedFloor)}-${trend.baseline}"`;
  const figures = [
    `<figure><figcaption>Max concurrency per run (${t.runs.length} saved, UTC dates)</figcaption>` +
      `<div class="chart trend" id="${id}-trend" data-expected-points="${t.runs.length}"${band}></div>${legend(trendLegend)}</figure>`,
  ];
  // A run that held nothing has no curve and no latency worth a chart: its trend says it.
  if (r.maxConcurrency > 0) {
    figures.push(
      `<figure><figcaption>Held connections: this run${t.baselineRun === null ? '' : ' and the baseline run'}</figcaption>` +
        `<div class="chart held" id="${id}-held" data-expected-points="${r.timeline.length}"></div>${legend(heldLegend)}</figure>`,
    );
  }
  if (t.runs.some((x) => x.connectLatencyMs.p50 !== null)) {
    figures.push(
      `<figure><figcaption>Connect latency per run</figcaption>` +
        `<div class="chart latency" id="${id}-latency" data-expected-points="${t.runs.length}"></div>${legend([['sw-p50', 'p50'], ['sw-p99', 'p99']])}</figure>`,
    );
  }
  return ['<div class="charts">', ...figures, '</div>'].join('\n');
}

function row(cells: readonly string[], head = false): string {
  const tag = head ? 'th' : 'td';
  return `<tr>${cells.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join('')}</tr>`;
}

function targetSection(t: ReportTarget, id: string): string {
  const o = t.outcome;
  const r = t.latest;
  const parts: string[] = [
    `<section class="target ${tone(o)}" id="${anchor(id)}" data-target="${escapeHtml(t.name)}">`,
    `<h2>${escapeHtml(t.name)} ${badges(o)}</h2>`,
  ];
  if (r === null) {
    const why = o.reasons[0]?.sentence ?? 'not run';
    parts.push(`<p class="summary">${isNotRun(o) ? 'Not run this time' : 'Could not run this time'}: ${escapeHtml(why)}</p>`, facts(o, null), '</section>');
    return parts.join('\n');
  }
  parts.push(`<p class="headline">${headline(r)} · ${escapeHtml(r.verdict.kind)}</p>`, `<p class="summary">${escapeHtml(r.verdict.summary)}</p>`);
  if (o.reasons.length > 0) {
    parts.push(`<ul class="reasons">${o.reasons.map((x) => `<li><strong>${escapeHtml(REASON_WORDS[x.kind])}</strong>: ${escapeHtml(x.sentence)}</li>`).join('')}</ul>`);
  }
  const baseline = baselineLine(o, r);
  if (baseline !== null) parts.push(`<p class="gate">${escapeHtml(baseline)}</p>`);
  parts.push(facts(o, r), chartFigures(t, id, r));
  if (r.failures.length > 0) {
    parts.push(
      '<table class="failures">',
      row(['failure class', 'count', 'first: what happened', 'the server said'], true),
      ...r.failures.map((f) => row([f.class, formatCount(f.count), f.first.message, f.first.serverSaid ?? ''])),
      '</table>',
    );
  }
  const settings = r.audit?.settings ?? { host: r.target.host, port: r.target.port, tls: r.target.tls };
  parts.push(
    '<details><summary>Settings</summary><table class="settings">',
    ...Object.entries(settings).map(([k, v]) => row([k, String(v)])),
    '</table></details>',
    '</section>',
  );
  return parts.join('\n');
}

/** What the page's script draws, per target that ran. */
function chartData(t: ReportTarget, id: string): unknown {
  const r = t.latest as RampResult;
  const trend = trendData(t);
  return { id, trend, held: heldData(r, t.baselineRun), latency: latencyData(t, trend.xRange) };
}

/** The whole page. */
export function renderHtmlReport(page: ReportPage, assets: ChartAssets): string {
  const ids = page.targets.map((_, i) => `t${i}`);
  const data = page.targets.flatMap((t, i) => (t.latest === null ? [] : [chartData(t, ids[i] as string)]));
  const o = page.overview;
  const outcomeTone = o.targets.every((t) => t.passed) ? 'ok' : o.targets.some((t) => tone(t) === 'bad') ? 'bad' : 'warn';
  const count = `${o.targets.length} ${o.targets.length === 1 ? 'target' : 'targets'}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>${escapeHtml(page.title)}</title>`,
    `<style>${assets.css}</style>`,
    `<style>${PAGE_CSS}</style>`,
    '</head><body>',
    `<h1>${escapeHtml(page.title)}</h1>`,
    `<p class="meta">${escapeHtml(count)} · ${escapeHtml(formatWhen(page.generatedAt))} · tcpprobe ${escapeHtml(page.version)}</p>`,
    `<p class="outcome ${outcomeTone}">${escapeHtml(overallSentence(o))}</p>`,
    overviewTable(page, ids),
    ...page.targets.map((t, i) => targetSection(t, ids[i] as string)),
    `<script type="application/json" id="tcpprobe-data">${scriptJson(data)}</script>`,
    `<script>${inlineScript(assets.script)}</script>`,
    `<script>${PAGE_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
