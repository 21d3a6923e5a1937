/**
 * The HTML capacity report (`audit --html`, `report --html`): one self-contained page, no network needed to open
 * it. Per target: the latest verdict, the held connections of the latest run, the trend of the max over the
 * saved runs with regressions marked, the failure classes with the server's words, and the settings.
 *
 * Pure: the caller reads the charting library (uPlot) and hands its script and stylesheet in. Everything that
 * comes from a result (server text above all) reaches the page either HTML-escaped or inside a JSON data block
 * with `<`, `>`, `&` and the JavaScript line separators escaped, and the page's script sets only textContent.
 * A Content-Security-Policy forbids every fetch: the page cannot reach the network even if it tried.
 */
import type { HistoryRecord } from '../history/history-file.js';
import type { RampResult, RampVerdictKind } from '../metrics/result.js';
import { formatHostPort } from './format.js';
import { seriesName } from '../metrics/series.js';
import { formatCount } from '../config/units.js';

/** One run in a target's trend. */
export interface TrendPoint {
  startedAt: string;
  maxConcurrency: number;
  verdict: RampVerdictKind;
  /** Failed its gate (a drop beyond the allowed share) or its floor (minConnections). */
  regression: boolean;
}

/** One target of the report: its series in the history. */
export interface ReportTarget {
  /** The audit target's name, or host:port for a plain `ramp --save`. */
  name: string;
  /** The newest run; null for an audit target that could not run this time. */
  latest: RampResult | null;
  /** Oldest first. */
  trend: TrendPoint[];
  /** Why the target has no run (from the audit), or null. */
  error: string | null;
}

export interface ChartAssets {
  /** uPlot's IIFE build (defines the global `uPlot`). */
  script: string;
  css: string;
}


function isRegression(r: RampResult): boolean {
  return r.gate?.outcome === 'regression' || r.audit?.belowMinimum === true;
}

/** Group history records into report targets, in order of first appearance. */
export function reportTargets(records: readonly HistoryRecord[]): ReportTarget[] {
  const byName = new Map<string, RampResult[]>();
  for (const r of records) {
    const name = seriesName(r.result);
    const list = byName.get(name) ?? [];
    list.push(r.result);
    byName.set(name, list);
  }
  return [...byName.entries()].map(([name, runs]) => ({
    name,
    latest: runs[runs.length - 1] ?? null,
    trend: runs.map((r) => ({
      startedAt: r.startedAt,
      maxConcurrency: r.maxConcurrency,
      verdict: r.verdict.kind,
      regression: isRegression(r),
    })),
    error: null,
  }));
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

/** What the page's script draws, per target. */
interface ChartData {
  id: string;
  /** Held connections of the latest run: seconds since start, count. */
  held: [number[], number[]];
  /** Max per run: the run's number (1 = oldest saved), max, and the max again where the run regressed (null elsewhere). */
  trend: [number[], number[], Array<number | null>];
}

function chartData(t: ReportTarget, id: string): ChartData {
  const timeline = t.latest?.timeline ?? [];
  return {
    id,
    held: [timeline.map((s) => s.tMs / 1000), timeline.map((s) => s.held)],
    trend: [
      t.trend.map((_, i) => i + 1),
      t.trend.map((p) => p.maxConcurrency),
      t.trend.map((p) => (p.regression ? p.maxConcurrency : null)),
    ],
  };
}

function verdictClass(t: ReportTarget): string {
  if (t.latest === null) return 'bad';
  if (isRegression(t.latest)) return 'bad';
  const k = t.latest.verdict.kind;
  if (k === 'unreachable' || k === 'rejected') return 'bad';
  return t.latest.verdict.lowerBound ? 'warn' : 'ok';
}

function row(cells: readonly string[], head = false): string {
  const tag = head ? 'th' : 'td';
  return `<tr>${cells.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join('')}</tr>`;
}

/** The number and what it is: a cap, a lower bound, the most open at once, or nothing held at all. */
export function headline(r: Pick<RampResult, 'maxConcurrency' | 'verdict'>): string {
  const n = `<strong>${escapeHtml(formatCount(r.maxConcurrency))}</strong>`;
  if (r.verdict.kind === 'unreachable' || r.verdict.kind === 'rejected') return '<strong>none</strong> held';
  if (r.verdict.kind === 'evicting') return `${n} open at once at most`;
  return r.verdict.lowerBound ? `at least ${n} held` : `${n} held at most`;
}

function targetSection(t: ReportTarget, id: string): string {
  const r = t.latest;
  const parts: string[] = [`<section class="target ${verdictClass(t)}" data-target="${escapeHtml(t.name)}">`];
  parts.push(`<h2>${escapeHtml(t.name)}</h2>`);
  if (r === null) {
    parts.push(`<p class="verdict">No run this time: ${escapeHtml(t.error ?? 'not run')}</p></section>`);
    return parts.join('\n');
  }
  const regressed = isRegression(r);
  parts.push(
    `<p class="verdict">${headline(r)}, ` +
      `${escapeHtml(r.verdict.kind)}${regressed ? ' <span class="flag">regression</span>' : ''}</p>`,
    `<p class="summary">${escapeHtml(r.verdict.summary)}</p>`,
  );
  if (r.gate !== undefined) parts.push(`<p class="gate">${escapeHtml(r.gate.message)}</p>`);
  if (r.audit?.belowMinimum === true && r.audit.minConnections !== null) {
    parts.push(`<p class="gate">below the floor: minConnections is ${escapeHtml(formatCount(r.audit.minConnections))}</p>`);
  }
  parts.push(
    `<p class="meta">${escapeHtml(formatHostPort(r.target.host, r.target.port))}, ${escapeHtml(r.startedAt)}, ` +
      `${escapeHtml((r.durationMs / 1000).toFixed(1))} s</p>`,
  );
  parts.push(
    '<div class="charts">',
    `<figure><figcaption>Held connections, latest run</figcaption><div class="chart held" id="${id}-held" data-expected-points="${r.timeline.length}"></div></figure>`,
    `<figure><figcaption>Max per run (${t.trend.length} saved, ${escapeHtml(t.trend[0]?.startedAt ?? '')} to ${escapeHtml(t.trend[t.trend.length - 1]?.startedAt ?? '')}; regressions in red)</figcaption><div class="chart trend" id="${id}-trend" data-expected-points="${t.trend.length}"></div></figure>`,
    '</div>',
  );
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
    ...Object.entries(r.audit?.labels ?? {}).map(([k, v]) => row([`label ${k}`, v])),
    '</table></details>',
    '</section>',
  );
  return parts.join('\n');
}

/** The page's own script: draws every chart from the data block with uPlot and marks each with its point count. */
const PAGE_SCRIPT = `
(function () {
  var charts = JSON.parse(document.getElementById('tcpprobe-data').textContent);
  var drawn = [];
  charts.forEach(function (c) {
    var held = document.getElementById(c.id + '-held');
    var trend = document.getElementById(c.id + '-trend');
    if (held) {
      var h = new uPlot({ width: 520, height: 200, scales: { x: { time: false } },
        axes: [{ label: 'seconds' }, { label: 'held' }],
        series: [{ label: 's' }, { label: 'held', stroke: '#2563eb', fill: 'rgba(37,99,235,0.12)' }] }, c.held, held);
      held.setAttribute('data-points', String(h.data[0].length));
      drawn.push(h);
    }
    if (trend) {
      var t = new uPlot({ width: 520, height: 200, scales: { x: { time: false } },
        axes: [{ label: 'run, oldest to newest', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] }, { label: 'max' }],
        series: [{ label: 'run' }, { label: 'max', stroke: '#0f766e', points: { show: true, size: 6 } },
          { label: 'regression', stroke: '#dc2626', paths: function () { return null; },
            points: { show: true, size: 12, fill: '#dc2626' } }] }, c.trend, trend);
      trend.setAttribute('data-points', String(t.data[0].length));
      drawn.push(t);
    }
  });
  document.body.setAttribute('data-charts-drawn', String(drawn.length));
})();
`;

const PAGE_CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #111; background: #fafafa; }
h1 { font-size: 20px; }
section.target { background: #fff; border: 1px solid #ddd; border-left: 6px solid #16a34a; padding: 12px 16px; margin: 16px 0; }
section.target.warn { border-left-color: #d97706; }
section.target.bad { border-left-color: #dc2626; }
.verdict strong { font-size: 22px; }
.flag { color: #fff; background: #dc2626; padding: 1px 6px; border-radius: 3px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; }
figcaption { color: #555; font-size: 12px; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid #e5e5e5; padding: 3px 8px; text-align: left; vertical-align: top; }
.meta, .gate, .summary { color: #444; }
`;

/**
 * The whole page.
 * @param title e.g. "Capacity audit: nightly.yaml"
 * @param generatedAt ISO time shown in the header
 */
export function renderHtmlReport(title: string, generatedAt: string, targets: readonly ReportTarget[], assets: ChartAssets): string {
  const ids = targets.map((_, i) => `t${i}`);
  const data = targets.map((t, i) => chartData(t, ids[i] as string)).filter((_, i) => targets[i]?.latest !== null);
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>${escapeHtml(title)}</title>`,
    `<style>${assets.css}</style>`,
    `<style>${PAGE_CSS}</style>`,
    '</head><body>',
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="meta">${targets.length} ${targets.length === 1 ? 'target' : 'targets'}, generated ${escapeHtml(generatedAt)} by tcpprobe</p>`,
    ...targets.map((t, i) => targetSection(t, ids[i] as string)),
    `<script type="application/json" id="tcpprobe-data">${scriptJson(data)}</script>`,
    `<script>${inlineScript(assets.script)}</script>`,
    `<script>${PAGE_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
