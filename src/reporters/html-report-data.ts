/**
 * What the HTML report shows per target, as data: the targets from a history (and an audit's reports), and the
 * three charts' series (the trend of the max over dates with the baseline and its allowed band; the latest run's
 * held curve over the baseline run's; connect latency p50/p99 per run). Pure: the page's script only draws these.
 */
import type { HistoryRecord } from '../history/history-file.js';
import type { AuditTargetReport } from '../metrics/audit-document.js';
import type { RampResult } from '../metrics/result.js';
import { seriesName } from '../metrics/series.js';
import { auditTargetOutcome, resultOutcome, type TargetOutcome } from './target-outcome.js';

/** One target of the report: its outcome, its runs and the run its latest was compared with. */
export interface ReportTarget {
  /** Its one name. */
  name: string;
  /** How it ended this time (an audit's report), or how its latest saved run ended. */
  outcome: TargetOutcome;
  /** The newest run; null for an audit target that could not run this time. */
  latest: RampResult | null;
  /** Every saved run of its series, oldest first (the latest included). */
  runs: RampResult[];
  /** The run the latest was compared with (its gate's baseline, found in the history), or null. */
  baselineRun: RampResult | null;
}

/** The saved run a gate's baseline names: same series, same start. */
function findBaselineRun(latest: RampResult, runs: readonly RampResult[]): RampResult | null {
  const at = latest.gate?.baseline?.startedAt;
  if (at === undefined) return null;
  return runs.find((r) => r !== latest && r.startedAt === at) ?? null;
}

function target(name: string, outcome: TargetOutcome, latest: RampResult | null, runs: RampResult[]): ReportTarget {
  return { name, outcome, latest, runs, baselineRun: latest === null ? null : findBaselineRun(latest, runs) };
}

/** Group history records into series, in order of first appearance; each judged by its latest run. */
export function reportTargets(records: readonly HistoryRecord[]): ReportTarget[] {
  const byName = new Map<string, RampResult[]>();
  for (const r of records) {
    const name = seriesName(r.result);
    const list = byName.get(name) ?? [];
    list.push(r.result);
    byName.set(name, list);
  }
  return [...byName.entries()].map(([name, runs]) => {
    const latest = runs[runs.length - 1] as RampResult;
    return target(name, resultOutcome(latest), latest, runs);
  });
}

/**
 * The report's targets for an audit, in the file's order: each judged as the audit judged it (its floor
 * included), with its saved runs from the history; a target that could not run this time shows why.
 */
export function auditReportTargets(reports: readonly AuditTargetReport[], history: readonly ReportTarget[]): ReportTarget[] {
  return reports.map((r) => {
    const runs = history.find((h) => h.name === r.name)?.runs ?? [];
    const latest = r.result;
    // The run just made is in the history (it was saved); if saving failed, it is added here.
    const all = latest === null || runs.some((x) => x.startedAt === latest.startedAt) ? runs : [...runs, latest];
    return target(r.name, auditTargetOutcome(r), latest, all);
  });
}

/** Seconds since the epoch, for uPlot's time axis. */
function unixSeconds(iso: string): number {
  return Date.parse(iso) / 1000;
}

/** A y range from 0 to a little above the highest value: a 16% drop reads as 16%, never as a cliff. */
export function yTop(values: ReadonlyArray<number | null>): number {
  const top = Math.max(1, ...values.filter((v): v is number => v !== null));
  const padded = top * 1.15;
  const step = 10 ** Math.floor(Math.log10(padded));
  return Number((Math.ceil(padded / (step / 10)) * (step / 10)).toPrecision(12));
}

/** The trend of the max over dates, the latest baseline as a line and the allowed drop as a band below it. */
export interface TrendData {
  /** Run start times, unix seconds. */
  x: number[];
  max: number[];
  /** The max where the run failed its gate, null elsewhere (a marker). */
  regression: Array<number | null>;
  /** The max where the run was below its minConnections, null elsewhere (a marker). */
  belowMinimum: Array<number | null>;
  /** The latest run's baseline, drawn across the chart; null without one. */
  baseline: number | null;
  /** baseline * (1 - allowed drop): the band's lower edge; null without a gate. */
  allowedFloor: number | null;
  /** The audit's minConnections, drawn as a line; null without one. */
  minConnections: number | null;
  /** The x range drawn, unix seconds (padded, so one run still has a width). */
  xRange: [number, number];
  yMax: number;
}

export function trendData(t: ReportTarget): TrendData {
  const runs = t.runs;
  const x = runs.map((r) => unixSeconds(r.startedAt));
  const gate = t.latest?.gate;
  const baseline = gate?.baseline?.maxConcurrency ?? null;
  const allowed = gate?.allowedDropShare ?? null;
  const min = t.outcome.minConnections;
  const first = x[0] ?? Date.now() / 1000;
  const last = x[x.length - 1] ?? first;
  // A twentieth of the span on each side, at least an hour: a single run sits in the middle of two hours.
  const pad = Math.max(3600, (last - first) / 20);
  const max = runs.map((r) => r.maxConcurrency);
  return {
    x,
    max,
    regression: runs.map((r) => (r.gate?.outcome === 'regression' ? r.maxConcurrency : null)),
    belowMinimum: runs.map((r) => (r.audit?.belowMinimum === true ? r.maxConcurrency : null)),
    baseline,
    allowedFloor: baseline !== null && allowed !== null ? baseline * (1 - allowed) : null,
    minConnections: min,
    xRange: [first - pad, last + pad],
    yMax: yTop([...max, baseline, min]),
  };
}

/** The latest run's held curve over the baseline run's, on one axis of seconds since each run's start. */
export interface HeldData {
  x: number[];
  latest: Array<number | null>;
  /** Null when there is no baseline run to draw. */
  baseline: Array<number | null> | null;
  yMax: number;
}

/**
 * Align two timelines on one axis of their sample times: every sample of each kept (a timeline may hold two
 * samples at one time), each curve null where the other has a sample of its own.
 */
export function heldData(latest: RampResult, baseline: RampResult | null): HeldData {
  type Row = { t: number; a: number | null; b: number | null };
  const rows: Row[] = [];
  const others = baseline?.timeline ?? [];
  let j = 0;
  for (const s of latest.timeline) {
    for (let o = others[j]; o !== undefined && o.tMs < s.tMs; o = others[++j]) rows.push({ t: o.tMs, a: null, b: o.held });
    // A baseline sample at the same time shares the row.
    const o = others[j];
    const same = o !== undefined && o.tMs === s.tMs ? o.held : null;
    if (same !== null) j++;
    rows.push({ t: s.tMs, a: s.held, b: same });
  }
  for (const o of others.slice(j)) rows.push({ t: o.tMs, a: null, b: o.held });
  const latestHeld = rows.map((r) => r.a);
  const baselineHeld = baseline === null ? null : rows.map((r) => r.b);
  return {
    x: rows.map((r) => r.t / 1000),
    latest: latestHeld,
    baseline: baselineHeld,
    yMax: yTop([...latestHeld, ...(baselineHeld ?? [])]),
  };
}

/** Connect latency p50 and p99 per run, ms, over dates. */
export interface LatencyData {
  x: number[];
  p50: Array<number | null>;
  p99: Array<number | null>;
  xRange: [number, number];
  yMax: number;
}

export function latencyData(t: ReportTarget, xRange: [number, number]): LatencyData {
  const p50 = t.runs.map((r) => r.connectLatencyMs.p50);
  const p99 = t.runs.map((r) => r.connectLatencyMs.p99);
  return { x: t.runs.map((r) => unixSeconds(r.startedAt)), p50, p99, xRange, yMax: yTop([...p50, ...p99]) };
}
