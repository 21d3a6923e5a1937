/**
 * Pure functions of `npm run bench`: runs -> summaries (median and min-max per figure), goals checked against
 * them, and the text table. No I/O here.
 */

/** Median of numbers (mean of the middle two for an even count); null for none. */
export function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

function spread(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x));
  if (v.length === 0) return null;
  return { median: median(v), min: Math.min(...v), max: Math.max(...v) };
}

/** The figures of one successful run, derived from what scripts/bench-run.mjs measured. */
export function runFigures(raw) {
  if (raw.startupMs !== undefined) {
    return {
      connections: null,
      timeS: raw.startupMs / 1000,
      nodeS: raw.nodeMs == null ? null : raw.nodeMs / 1000,
      connectsPerSec: null,
      peakRssMb: null,
      settledRssMb: null,
      rssPerConnKb: null,
      peakRssPerConnKb: null,
      cpuS: null,
      targetCpuS: null,
      exact: null,
    };
  }
  if (raw.verdictMs !== undefined) {
    const above = raw.baselineRss == null ? null : raw.peakRss - raw.baselineRss;
    return {
      connections: raw.found,
      timeS: raw.verdictMs / 1000,
      connectsPerSec: null,
      peakRssMb: raw.peakRss / 2 ** 20,
      peakAboveStartMb: above === null ? null : above / 2 ** 20,
      peakRssSumMb: raw.peakRssSum == null ? null : raw.peakRssSum / 2 ** 20,
      settledRssMb: null,
      rssPerConnKb: null,
      peakRssPerConnKb: above === null || !raw.found ? null : above / raw.found / 1024,
      cpuS: raw.cpuSec,
      targetCpuS: raw.targetCpuSec ?? null,
      exact: raw.exact,
    };
  }
  // A hold run (nginx10k) has no settled reading: it closes and exits once held.
  const grown = (bytes) => (bytes == null || raw.baselineRss == null ? null : (bytes - raw.baselineRss) / raw.connections / 1024);
  return {
    connections: raw.connections,
    timeS: raw.establishMs / 1000,
    startupS: raw.readyMs == null ? null : raw.readyMs / 1000,
    connectsPerSec: raw.connections / (raw.establishMs / 1000),
    peakRssMb: raw.peakRss / 2 ** 20,
    settledRssMb: raw.settledRss == null ? null : raw.settledRss / 2 ** 20,
    rssPerConnKb: grown(raw.settledRss),
    peakRssPerConnKb: grown(raw.peakRss),
    cpuS: raw.cpuSec,
    targetCpuS: raw.targetCpuSec ?? null,
    exact: null,
    // The namespace's kernel counters over the connect phase (scripts/bench-run.mjs): handshakes the target's
    // listen queue dropped, and SYNs the client resent (each a 1 s wait), the first suspects of a slow run.
    listenDrops: raw.tcp?.TcpExtListenDrops ?? null,
    synRetrans: raw.tcp?.TcpExtTCPSynRetrans ?? null,
  };
}

const FIGURES = [
  'connections',
  'timeS',
  'startupS',
  'nodeS',
  'connectsPerSec',
  'peakRssMb',
  'peakAboveStartMb',
  'peakRssSumMb',
  'settledRssMb',
  'rssPerConnKb',
  'peakRssPerConnKb',
  'cpuS',
  'targetCpuS',
  'listenDrops',
  'synRetrans',
];

/** Summaries of every case: median and min-max of each figure over its successful runs, and the reference ratio. */
export function summarize(cases, runsByCase) {
  const out = cases.map((c) => {
    const runs = runsByCase.get(c.id) ?? [];
    const ok = runs.filter((r) => r.ok).map(runFigures);
    const figures = {};
    for (const f of FIGURES) figures[f] = spread(ok.map((x) => x[f]));
    return {
      id: c.id,
      title: c.title,
      kind: c.kind,
      reference: c.reference ?? null,
      goals: c.goals ?? null,
      runs: runs.length,
      failedRuns: runs.filter((r) => !r.ok).map((r) => r.error ?? 'no figures'),
      exactRuns: c.kind === 'ramp' ? ok.filter((x) => x.exact).length : null,
      figures,
      raw: runs,
      ratio: null,
    };
  });
  for (const [i, s] of out.entries()) {
    const baseline = out.find((r) => r.id === cases[i].baseline);
    const mine = s.figures.timeS?.median;
    const theirs = baseline?.figures.timeS?.median;
    if (baseline !== undefined && mine != null && theirs != null) s.ratio = mine / theirs;
  }
  return out;
}

/**
 * What a ratio goal compares, in words: a probe case's time to establish, a ramp's time to its verdict, a hold's
 * time from its process start to the last established, each against the plain loop's time to establish as many
 * connections.
 */
export function ratioGoalText(kind, ratioMax) {
  if (kind === 'hold') return `process start to all established <= ${ratioMax}x the plain loop's`;
  const what = kind === 'ramp' ? 'time to the verdict' : 'time to establish';
  return `${what} <= ${ratioMax}x the plain loop${kind === 'ramp' ? "'s time to open as many" : ''}`;
}

/**
 * Goals of issues 5 and 11 (thresholds in the case definitions; `goals.issue`, 5 unless given), each with the
 * figure it was judged on.
 */
/** Time per 1,000 connections, in ms (median run): the cost curve of 10k, 100k and 1M. Null without both. */
function msPer1k(f) {
  const t = f.timeS?.median ?? null;
  const n = f.connections?.median ?? null;
  return t === null || n === null || n === 0 ? null : (t * 1e6) / n;
}

/** The client's CPU time per connection, in microseconds (median run), or null. */
function cpuUsPerConn(f) {
  const cpu = f.cpuS?.median ?? null;
  const n = f.connections?.median ?? null;
  return cpu === null || n === null || n === 0 ? null : (cpu * 1e6) / n;
}

export function checkGoals(summaries) {
  const goals = [];
  for (const s of summaries) {
    const g = s.goals;
    if (g === null) continue;
    const add = (caseId, goal, figure, met, issue = g.issue ?? 5) => goals.push({ case: caseId, issue, goal, figure, met });
    const f = s.figures;
    if (g.ratioMax !== undefined) {
      add(s.id, ratioGoalText(s.kind, g.ratioMax), s.ratio === null ? 'n/a' : `${s.ratio.toFixed(2)}x`, s.ratio !== null && s.ratio <= g.ratioMax);
    }
    if (g.rss) {
      // `rss: true` is issue 5's bound (the JS engine); an object gives others (issue 14: the native engine).
      const bound = g.rss === true ? { settledKb: 2.2, peakKb: 3.5 } : g.rss;
      const settled = f.rssPerConnKb?.median ?? null;
      const peak = f.peakRssPerConnKb?.median ?? null;
      add(s.id, `RSS per held connection settled <= ${bound.settledKb} KB`, settled === null ? 'n/a' : `${settled.toFixed(2)} KB`, settled !== null && settled <= bound.settledKb);
      add(s.id, `RSS per connection at the peak <= ${bound.peakKb} KB`, peak === null ? 'n/a' : `${peak.toFixed(2)} KB`, peak !== null && peak <= bound.peakKb);
    }
    if (g.cpuUsPerConnMax !== undefined) {
      const us = cpuUsPerConn(f);
      add(s.id, `CPU per connection <= ${g.cpuUsPerConnMax} us`, us === null ? 'n/a' : `${us.toFixed(0)} us`, us !== null && us <= g.cpuUsPerConnMax);
    }
    if (g.aboveBaselineMb !== undefined) {
      // Issue 14: what holding them costs the machine, every process summed, above what they used before connecting.
      const kb = f.rssPerConnKb?.median ?? null;
      const n = f.connections?.median ?? null;
      const mb = kb === null || n === null ? null : (kb * n) / 1024;
      add(s.id, `RSS of all processes above their baseline, settled, <= ${g.aboveBaselineMb} MB`, mb === null ? 'n/a' : `${mb.toFixed(0)} MB`, mb !== null && mb <= g.aboveBaselineMb, 14);
    }
    if (g.peakAboveStartMbMax !== undefined) {
      // Issue 25: every tcpprobe process together at the peak, above the client process's own start.
      const mb = f.peakAboveStartMb?.median ?? null;
      add(s.id, `memory of all tcpprobe processes at the peak, above the first one's start, <= ${g.peakAboveStartMbMax} MB`, mb === null ? 'n/a' : `${mb.toFixed(0)} MB`, mb !== null && mb <= g.peakAboveStartMbMax);
    }
    if (g.heldMin !== undefined) {
      const held = f.connections?.min ?? null;
      add(s.id, `at least ${g.heldMin.toLocaleString('en-US')} held at once`, held === null ? 'n/a' : held.toLocaleString('en-US'), held !== null && held >= g.heldMin && s.failedRuns.length === 0);
    }
    if (g.wallMaxMs !== undefined) {
      const t = f.timeS?.median ?? null;
      add(s.id, `wall time to exit <= ${g.wallMaxMs / 1000} s`, t === null ? 'n/a' : `${t.toFixed(3)} s`, t !== null && t * 1000 <= g.wallMaxMs);
    }
    if (g.verdictMaxMs !== undefined) {
      const t = f.timeS?.median ?? null;
      add(s.id, `exact cap found in <= ${g.verdictMaxMs / 1000} s`, t === null ? 'n/a' : `${t.toFixed(2)} s`, t !== null && t * 1000 <= g.verdictMaxMs && s.exactRuns === s.runs);
    }
    if (g.exact) {
      add(s.id, 'the cap found exactly, every run', `${s.exactRuns ?? 0}/${s.runs} exact`, s.exactRuns === s.runs && s.runs > 0);
    }
  }
  return goals;
}

function fmt(x, digits) {
  if (x === null || x === undefined) return '-';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** "median [min-max]", or just the median when every run agreed (or there was one). */
function cell(s, digits) {
  if (s === null || s === undefined) return '-';
  const m = fmt(s.median, digits);
  const lo = fmt(s.min, digits);
  const hi = fmt(s.max, digits);
  return lo === hi ? m : `${m} [${lo}-${hi}]`;
}

const COLUMNS = [
  ['case', (s) => s.id],
  ['connections', (s) => cell(s.figures.connections, 0)],
  // Start-up is a fraction of a second: milliseconds matter there.
  ['time s', (s) => cell(s.figures.timeS, s.kind === 'startup' ? 3 : 2)],
  ['connects/s', (s) => cell(s.figures.connectsPerSec, 0)],
  // After connects/s, so the first columns keep their order (test/integration/bench-smoke.test.ts reads them).
  ['of it start-up s', (s) => cell(s.figures.startupS, 2)],
  ['peak RSS MB', (s) => cell(s.figures.peakRssMb, 1)],
  ['settled RSS MB', (s) => cell(s.figures.settledRssMb, 1)],
  ['KB/conn settled', (s) => cell(s.figures.rssPerConnKb, 2)],
  ['KB/conn peak', (s) => cell(s.figures.peakRssPerConnKb, 2)],
  ['CPU s', (s) => cell(s.figures.cpuS, 2)],
  ['CPU us/conn', (s) => ((s.kind === 'probe' || s.kind === 'hold') && cpuUsPerConn(s.figures) !== null ? cpuUsPerConn(s.figures).toFixed(0) : '')],
  ['target CPU s', (s) => cell(s.figures.targetCpuS, 2)],
  ['listen drops', (s) => cell(s.figures.listenDrops, 0)],
  ['SYN resent', (s) => cell(s.figures.synRetrans, 0)],
  ['vs plain', (s) => (s.ratio === null ? '' : `${s.ratio.toFixed(2)}x`)],
  ['ms/1k conns', (s) => (s.kind === 'startup' || msPer1k(s.figures) === null ? '' : msPer1k(s.figures).toFixed(1))],
];

/** The whole report as text: case titles, the table, notes, and the goals met or not. */
export function formatReport(summaries, goals, context) {
  const lines = [];
  lines.push(`tcpprobe bench: ${context.runs} run(s) per case, medians [min-max]; ${context.isolation}`);
  lines.push(`machine: ${context.cpus} CPUs, Node ${context.node}, load average ${context.loadStart} at start, ${context.loadEnd} at end${context.loaded ? ' (LOADED: timings are noisy)' : ''}`);
  lines.push('');
  for (const s of summaries) lines.push(`  ${s.id.padEnd(7)} ${s.title}`);
  lines.push('');
  const rows = [COLUMNS.map(([h]) => h), ...summaries.map((s) => COLUMNS.map(([, f]) => f(s)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const [k, r] of rows.entries()) {
    lines.push(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
    if (k === 0) lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  lines.push('');
  lines.push('time: from process start to the last connection established (a-c), or from spawning `tcpprobe ramp`');
  lines.push('to its result document on stdout (d, e: run with --hold 0; r1k-r1m: with every default, less the');
  lines.push('default 2 s hold); of it start-up: from process start to ready to connect (Node, modules, engine);');
  lines.push('startup, hold1: from spawning the bin (dist/cli/bin.cjs, as `tcpprobe`) with `--version`, or with');
  lines.push('`hold -c 1 --duration 0.1s` against serve, to its exit, the median of the run\'s samples; Node alone');
  lines.push(`(\`node -e 0\`) in the same runs: ${summaries.filter((s) => s.kind === 'startup').map((s) => `${s.id} ${cell(s.figures.nodeS, 3)} s`).join(', ') || '-'};`);
  lines.push('RSS: resident memory of the client process and its children, what they share (the node binary) once');
  lines.push('(scripts/bench-proc.mjs; the --json output has summed VmRSS too); KB/conn = (RSS - RSS before the first');
  lines.push('connect) / connections; settled = after the hold; CPU = user + system seconds of those processes');
  lines.push('(for ramps and nginx10k: as last sampled before the client exited, nginx10k\'s 3 s hold included);');
  lines.push('target CPU = the same for the target (tcpprobe serve, or nginx for nginx10k and nginx10k-ref);');
  lines.push('listen drops, SYN resent: the run\'s namespace counted while the client connected (TcpExtListenDrops,');
  lines.push('TcpExtTCPSynRetrans); each resent SYN is a connect that waited 1 s. ms/1k conns: time per 1,000');
  lines.push('connections (the cost curve: r10k, r100k, r1m beside the plain loop a-ref and the C floor a-c); for');
  lines.push('ramps, KB/conn peak is every tcpprobe process at the peak above the client process at its start.');
  lines.push('nginx10k: `tcpprobe hold` against nginx, from its process start to the last connection established');
  lines.push('(the result\'s startedAfterMs + allEstablishedAtMs; of it start-up: startedAfterMs), beside the plain');
  lines.push('loop from its process start to as many against the same nginx (nginx10k-ref); its KB/conn peak is');
  lines.push('counted as for ramps.');
  for (const s of summaries) {
    for (const e of s.failedRuns) lines.push(`FAILED RUN ${s.id}: ${e}`);
  }
  for (const x of context.skipped ?? []) lines.push(`SKIPPED ${x.id}: needs ${x.missing}`);
  lines.push('');
  const which = "issue 5 for the JS engine's a-js, b-js and c-e, issue 14 for the native engine's a, b and c's total, issue 11 for r1k, issue 25 for r10k-r1m and nginx10k";
  lines.push(context.quick ? `goals (${which}; a --quick run is far too small to judge them):` : `goals (${which}):`);
  for (const g of goals) lines.push(`  ${g.met ? 'met    ' : 'NOT MET'}  ${g.case.padEnd(5)} ${g.goal}: ${g.figure}`);
  return `${lines.join('\n')}\n`;
}
