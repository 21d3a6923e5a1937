/**
 * The HTML report's own stylesheet and script, as text the page inlines. Light and dark follow the reader's
 * `prefers-color-scheme`; the charts take their colours from the same CSS variables, so a canvas is never dark on
 * dark. The script draws each chart with uPlot from the page's JSON data block (legends are the page's own
 * HTML, uPlot's hover legend is off: a static page and paper have no cursor), and marks what it drew in data
 * attributes (points, the x axis's tick labels) for tests and for people reading the DOM.
 */

export const PAGE_CSS = `
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --card: #ffffff; --text: #15181d; --muted: #5b6470; --line: #dde1e6;
  --ok: #15803d; --ok-bg: #dcfce7; --bad: #b91c1c; --bad-bg: #fee2e2; --warn: #a16207; --warn-bg: #fef3c7;
  --info: #1d4ed8; --info-bg: #dbeafe;
  --c-max: #0f766e; --c-regression: #dc2626; --c-below: #ea580c; --c-baseline: #6b7280; --c-band: rgba(107,114,128,0.16);
  --c-min: #ea580c; --c-held: #2563eb; --c-held-fill: rgba(37,99,235,0.10); --c-held-baseline: #9ca3af;
  --c-p50: #7c3aed; --c-p99: #db2777; --c-axis: #374151; --c-grid: rgba(0,0,0,0.07);
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1216; --card: #171b21; --text: #e6e9ee; --muted: #9aa4b1; --line: #2a3038;
    --ok: #4ade80; --ok-bg: #14361f; --bad: #f87171; --bad-bg: #3f1717; --warn: #facc15; --warn-bg: #3a2f0b;
    --info: #93c5fd; --info-bg: #172a4a;
    --c-max: #2dd4bf; --c-regression: #f87171; --c-below: #fb923c; --c-baseline: #9ca3af; --c-band: rgba(156,163,175,0.20);
    --c-min: #fb923c; --c-held: #60a5fa; --c-held-fill: rgba(96,165,250,0.14); --c-held-baseline: #6b7280;
    --c-p50: #a78bfa; --c-p99: #f472b6; --c-axis: #c7cdd6; --c-grid: rgba(255,255,255,0.08);
  }
}
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; padding: 24px 32px; color: var(--text); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 0; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
a { color: inherit; }
.meta, .muted { color: var(--muted); }
.outcome { font-size: 16px; font-weight: 600; padding: 8px 12px; border-radius: 6px; display: inline-block; margin: 8px 0 12px; }
.outcome.ok { color: var(--ok); background: var(--ok-bg); }
.outcome.bad { color: var(--bad); background: var(--bad-bg); }
.outcome.warn { color: var(--warn); background: var(--warn-bg); }
table { border-collapse: collapse; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 10px; text-align: left; vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.overview { background: var(--card); border: 1px solid var(--line); border-radius: 6px; }
table.overview tr.bad td:first-child { box-shadow: inset 4px 0 var(--bad); }
table.overview tr.warn td:first-child { box-shadow: inset 4px 0 var(--warn); }
table.overview tr.ok td:first-child { box-shadow: inset 4px 0 var(--ok); }
.badge { display: inline-block; font-size: 12px; font-weight: 600; padding: 1px 7px; border-radius: 999px; margin: 1px 4px 1px 0; white-space: nowrap; }
.badge.pass { color: var(--ok); background: var(--ok-bg); }
.badge.regression, .badge.below-minimum, .badge.unreachable, .badge.assertion { color: var(--bad); background: var(--bad-bg); }
.badge.client-limited, .badge.timed-out, .badge.interrupted, .badge.error { color: var(--warn); background: var(--warn-bg); }
.badge.not-run, .badge.first-run { color: var(--info); background: var(--info-bg); }
section.target { background: var(--card); border: 1px solid var(--line); border-radius: 6px; border-left: 6px solid var(--ok); padding: 14px 18px; margin: 18px 0; }
section.target.warn { border-left-color: var(--warn); }
section.target.bad { border-left-color: var(--bad); }
.headline { font-size: 15px; margin: 8px 0 2px; }
.headline strong { font-size: 24px; }
ul.reasons { margin: 6px 0; padding-left: 18px; }
ul.reasons li::marker { color: var(--bad); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 10px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.chip { display: inline-block; border: 1px solid var(--line); border-radius: 4px; padding: 0 6px; margin: 0 4px 2px 0; font-size: 12px; }
.charts { display: flex; flex-wrap: wrap; gap: 18px; margin-top: 8px; }
figure { margin: 0; max-width: 380px; }
figcaption { color: var(--muted); font-size: 12px; margin-bottom: 2px; }
ul.legend { list-style: none; padding: 0; margin: 4px 0 0; display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; color: var(--muted); }
.swatch { display: inline-block; width: 14px; height: 3px; vertical-align: middle; margin-right: 5px; background: var(--c); }
.swatch.dot { width: 9px; height: 9px; border-radius: 50%; }
.swatch.area { height: 10px; }
.swatch.dash { background: repeating-linear-gradient(90deg, var(--c) 0 4px, transparent 4px 7px); }
.sw-max { --c: var(--c-max); } .sw-regression { --c: var(--c-regression); } .sw-below { --c: var(--c-below); }
.sw-baseline { --c: var(--c-baseline); } .sw-band { --c: var(--c-band); } .sw-min { --c: var(--c-min); }
.sw-held { --c: var(--c-held); } .sw-held-baseline { --c: var(--c-held-baseline); } .sw-p50 { --c: var(--c-p50); } .sw-p99 { --c: var(--c-p99); }
.uplot { font-family: inherit; }
details { margin-top: 8px; }
@media print { body { background: #fff; } section.target { break-inside: avoid; } }
`;

/**
 * Draws every chart of the data block. x axes of dates show "2 Dec 03:15" in UTC (the page's times are UTC
 * throughout); y axes start at 0. Each chart's element gets data-points (the runs or samples drawn) and
 * data-x-ticks (the x axis's labels as drawn); the instances are kept on window.tcpprobeCharts by element id.
 */
export const PAGE_SCRIPT = `
(function () {
  var css = getComputedStyle(document.documentElement);
  function v(name) { return css.getPropertyValue(name).trim(); }
  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  function two(n) { return (n < 10 ? '0' : '') + n; }
  function when(s, withTime) {
    var d = new Date(s * 1000);
    var day = d.getUTCDate() + ' ' + MONTHS[d.getUTCMonth()];
    return withTime ? day + ' ' + two(d.getUTCHours()) + ':' + two(d.getUTCMinutes()) : day;
  }
  function axis(label, values) {
    var a = { stroke: v('--c-axis'), grid: { stroke: v('--c-grid'), width: 1 }, ticks: { stroke: v('--c-grid'), width: 1 } };
    if (label) a.label = label;
    if (values) a.values = values;
    return a;
  }
  function dateAxis(el, range) {
    var days = (range[1] - range[0]) / 86400;
    return Object.assign(axis(null, function (u, splits) {
      var labels = splits.map(function (s) { return when(s, days < 4); });
      el.setAttribute('data-x-ticks', JSON.stringify(labels));
      return labels;
    }), { space: days < 4 ? 110 : 60 });
  }
  function fixed(lo, hi) { return function () { return [lo, hi]; }; }
  function utc(ts) { return uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'); }
  function flat(n, value) { var a = []; for (var i = 0; i < n; i++) a.push(value); return a; }
  function inner(values) { return [null].concat(values, [null]); }
  function countOf(values) { return values.filter(function (x) { return x !== null; }).length; }
  var base = { width: 370, height: 210, legend: { show: false }, cursor: { show: false } };
  function make(el, opts, data) {
    var u = new uPlot(Object.assign({}, base, opts), data, el);
    window.tcpprobeCharts[el.id] = u;
    return u;
  }
  window.tcpprobeCharts = {};
  var charts = JSON.parse(document.getElementById('tcpprobe-data').textContent);
  var drawn = 0;
  charts.forEach(function (c) {
    var trendEl = document.getElementById(c.id + '-trend');
    if (trendEl && c.trend) {
      var t = c.trend;
      var n = t.x.length;
      // The baseline and its allowed floor are drawn across the whole range: two points at its edges.
      var xs = [t.xRange[0]].concat(t.x, [t.xRange[1]]);
      var series = [{}, { stroke: v('--c-max'), width: 2, points: { show: true, size: 7, fill: v('--c-max') } },
        { stroke: v('--c-regression'), paths: function () { return null; }, points: { show: true, size: 13, fill: v('--c-regression') } },
        { stroke: v('--c-below'), paths: function () { return null; }, points: { show: true, size: 13, fill: v('--c-below') } }];
      var data = [xs, inner(t.max), inner(t.regression), inner(t.belowMinimum)];
      var bands = [];
      if (t.baseline !== null) {
        series.push({ stroke: v('--c-baseline'), width: 1.5, dash: [6, 4], points: { show: false } });
        data.push(flat(n + 2, t.baseline));
        if (t.allowedFloor !== null) {
          series.push({ stroke: v('--c-band'), width: 0, points: { show: false } });
          data.push(flat(n + 2, t.allowedFloor));
          bands.push({ series: [4, 5], fill: v('--c-band') });
        }
      }
      if (t.minConnections !== null) {
        series.push({ stroke: v('--c-min'), width: 1.5, dash: [2, 3], points: { show: false } });
        data.push(flat(n + 2, t.minConnections));
      }
      make(trendEl, { tzDate: utc, scales: { x: { time: true, range: fixed(t.xRange[0], t.xRange[1]) }, y: { range: fixed(0, t.yMax) } },
        axes: [dateAxis(trendEl, t.xRange), axis('connections')], series: series, bands: bands }, data);
      trendEl.setAttribute('data-points', String(n));
      drawn++;
    }
    var heldEl = document.getElementById(c.id + '-held');
    if (heldEl && c.held) {
      var h = c.held;
      var hs = [{}, { stroke: v('--c-held'), width: 2, fill: v('--c-held-fill'), spanGaps: true, points: { show: false } }];
      var hd = [h.x, h.latest];
      if (h.baseline !== null) {
        hs.push({ stroke: v('--c-held-baseline'), width: 1.5, dash: [5, 4], spanGaps: true, points: { show: false } });
        hd.push(h.baseline);
      }
      make(heldEl, { scales: { x: { time: false }, y: { range: fixed(0, h.yMax) } },
        axes: [axis('seconds from the start'), axis('held')], series: hs }, hd);
      heldEl.setAttribute('data-points', String(countOf(h.latest)));
      drawn++;
    }
    var latEl = document.getElementById(c.id + '-latency');
    if (latEl && c.latency) {
      var l = c.latency;
      make(latEl, { tzDate: utc, scales: { x: { time: true, range: fixed(l.xRange[0], l.xRange[1]) }, y: { range: fixed(0, l.yMax) } },
        axes: [dateAxis(latEl, l.xRange), axis('ms')],
        series: [{}, { stroke: v('--c-p50'), width: 2, points: { show: true, size: 6, fill: v('--c-p50') } },
          { stroke: v('--c-p99'), width: 2, points: { show: true, size: 6, fill: v('--c-p99') } }] }, [l.x, l.p50, l.p99]);
      latEl.setAttribute('data-points', String(l.x.length));
      drawn++;
    }
  });
  document.body.setAttribute('data-charts-drawn', String(drawn));
})();
`;
