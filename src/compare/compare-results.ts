/**
 * Before/after comparison of two ramp results, as data: the `tcpprobe/compare` document that `compare --json`
 * prints and the compare report renders. Pure: no I/O, the same two results always give the same document.
 *
 * Latency percentiles are recomputed from the encoded histograms when a result carries them (exact, and the same
 * way a merge would read them), and only otherwise taken from the stored summary. Held curves are put on one
 * time axis so both runs can be drawn in one chart and read point by point.
 */
import type { FailureClass } from '../types/failure-class.js';
import { decodeHistogram, summarizeLatency, type LatencySummaryMs } from '../metrics/histogram.js';
import type { RampResult, TimelineSample } from '../metrics/result.js';
import { limitFailureClass } from '../metrics/limit-class.js';
import { TOOL_VERSION } from '../version.js';
import type { Static } from 'typebox';
import type { ChangeSchema, ComparisonSchema, HeldCurvesSchema, RunSummarySchema } from './compare-schema.js';
import { compareSettings } from './settings-diff.js';

export const COMPARE_SCHEMA = 'tcpprobe/compare' as const;
/** Bump on any change a reader of an older comparison would misread; optional additions need no bump. */
export const COMPARE_SCHEMA_VERSION = 1 as const;

/** At most this many points per held curve in the document: a 1-hour run sampled every 100ms stays small. */
export const MAX_CURVE_POINTS = 1000;

/** One figure before and after (the document's types are derived from its schema, compare-schema.ts). */
export type Change = Static<typeof ChangeSchema>;
/** What the comparison says about one of the two runs. */
export type RunSummary = Static<typeof RunSummarySchema>;
/** Both held curves on one time axis: point i is at `i * stepMs`; null after a run's last sample. */
export type HeldCurves = Static<typeof HeldCurvesSchema>;
/** The `tcpprobe/compare` document. */
export type Comparison = Static<typeof ComparisonSchema>;

/** Before and after of one figure; relative change against `before`. */
export function change(before: number | null, after: number | null): Change {
  if (before === null || after === null) return { before, after, delta: null, relative: null };
  // Figures carry at most microsecond precision (latencies are ms with 3 decimals): drop float noise such as
  // 0.79 - 0.634 = 0.15600000000000003.
  const delta = Math.round((after - before) * 1e6) / 1e6;
  return { before, after, delta, relative: before === 0 ? null : delta / before };
}

/** The failure class a run is known by: the client limit if the machine ran out, else the server-side limit class. */
export function runFailureClass(result: RampResult): FailureClass | 'cpu' | null {
  return result.verdict.clientLimit?.class ?? limitFailureClass(result);
}

/**
 * Connect latency of a run: from the encoded histogram when present and decodable, else the stored summary.
 * A histogram that does not decode is not fatal: the summary was written from it by the same run.
 */
export function connectLatency(result: RampResult): { latency: LatencySummaryMs; source: 'histogram' | 'summary' } {
  const encoded = result.histograms?.connectUs;
  if (typeof encoded === 'string' && encoded !== '') {
    try {
      const h = decodeHistogram(encoded);
      try {
        return { latency: summarizeLatency(h), source: 'histogram' };
      } finally {
        h.destroy();
      }
    } catch {
      // fall through to the summary
    }
  }
  return { latency: result.connectLatencyMs, source: 'summary' };
}

/**
 * Held connections of one timeline on a grid of `points` points `stepMs` apart, starting at 0. Each point takes the
 * highest held count sampled in the step that ends there, so a peak is never averaged away; a step without a
 * sample repeats the last measured count (a staircase, never invented values). Before the first sample nothing
 * was held yet. Points after the run's last sample are null: the run had ended.
 */
export function resampleHeld(timeline: readonly TimelineSample[], stepMs: number, points: number): (number | null)[] {
  const out: (number | null)[] = [];
  const last = timeline[timeline.length - 1];
  if (last === undefined) return Array.from({ length: points }, () => null);
  const end = Math.ceil(last.tMs / stepMs);
  let j = 0;
  let current = 0;
  for (let i = 0; i < points; i++) {
    if (i > end) {
      out.push(null);
      continue;
    }
    const until = i * stepMs;
    let peak: number | null = null;
    while (j < timeline.length && (timeline[j]?.tMs ?? Infinity) <= until) {
      const held = timeline[j]?.held ?? 0;
      peak = peak === null ? held : Math.max(peak, held);
      j++;
    }
    if (peak !== null) current = peak;
    out.push(current);
  }
  return out;
}

/** The common axis: the finer of the two sample intervals, coarsened so neither curve exceeds MAX_CURVE_POINTS. */
export function heldCurves(before: RampResult, after: RampResult): HeldCurves {
  const lastT = (r: RampResult): number => r.timeline[r.timeline.length - 1]?.tMs ?? 0;
  const span = Math.max(lastT(before), lastT(after), 0);
  const interval = Math.max(1, Math.min(before.sampleIntervalMs || 100, after.sampleIntervalMs || 100));
  const stepMs = Math.max(interval, Math.ceil(span / (MAX_CURVE_POINTS - 2)));
  const points = Math.floor(span / stepMs) + (span % stepMs === 0 ? 1 : 2);
  return { stepMs, before: resampleHeld(before.timeline, stepMs, points), after: resampleHeld(after.timeline, stepMs, points) };
}

/** "host:port" of a run, IPv6 in brackets. */
export function targetOf(r: Pick<RampResult, 'target'>): string {
  return r.target.host.includes(':') ? `[${r.target.host}]:${r.target.port}` : `${r.target.host}:${r.target.port}`;
}

function summarize(r: RampResult, label: string, source: 'histogram' | 'summary'): RunSummary {
  return {
    label,
    startedAt: r.startedAt,
    target: targetOf(r),
    maxConcurrency: r.maxConcurrency,
    verdict: r.verdict.kind,
    lowerBound: r.verdict.lowerBound,
    failureClass: runFailureClass(r),
    latencySource: source,
  };
}

/**
 * Compare two ramp results. `labels` name them in the document (usually the file paths).
 * @example compareResults(a, b).maxConcurrency // { before: 300, after: 200, delta: -100, relative: -0.333… }
 */
export function compareResults(
  before: RampResult,
  after: RampResult,
  labels: { before: string; after: string } = { before: 'before', after: 'after' },
): Comparison {
  const latB = connectLatency(before);
  const latA = connectLatency(after);
  const b = summarize(before, labels.before, latB.source);
  const a = summarize(after, labels.after, latA.source);
  const notes: string[] = [];
  for (const [name, run] of [['before', b], ['after', a]] as const) {
    if (run.lowerBound) notes.push(`${name}: the max is only a lower bound (${run.verdict})`);
    if (run.latencySource === 'summary') notes.push(`${name}: no usable latency histogram; percentiles from the stored summary`);
  }
  return {
    schema: COMPARE_SCHEMA,
    schemaVersion: COMPARE_SCHEMA_VERSION,
    tool: { name: 'tcpprobe', version: TOOL_VERSION },
    before: b,
    after: a,
    maxConcurrency: change(before.maxConcurrency, after.maxConcurrency),
    verdictChanged: b.verdict !== a.verdict,
    failureClassChanged: b.failureClass !== a.failureClass,
    // Two servers' figures side by side: the report warns about it in one line (reporters/compare-report.ts).
    targetChanged: b.target !== a.target,
    absorbedPerSec: change(before.rate.absorbedPerSec, after.rate.absorbedPerSec),
    connectLatencyMs: {
      p50: change(latB.latency.p50, latA.latency.p50),
      p90: change(latB.latency.p90, latA.latency.p90),
      p99: change(latB.latency.p99, latA.latency.p99),
    },
    timeToMaxMs: change(before.timeToMaxMs ?? null, after.timeToMaxMs ?? null),
    held: heldCurves(before, after),
    settings: compareSettings(before.settings, after.settings),
    notes,
  };
}
