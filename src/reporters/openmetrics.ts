/**
 * A ramp result as an OpenMetrics text exposition, for node_exporter's textfile collector (`ramp --openmetrics`).
 *
 * The output is valid both as OpenMetrics 1.0 and as the Prometheus text format 0.0.4 that node_exporter's
 * textfile collector actually parses, so it only uses what both accept:
 * - types gauge and summary (the Prometheus parser rejects OpenMetrics' info and stateset types, so the verdict
 *   is a stateset written as gauges: one sample per verdict kind, 1 for this run's, 0 for the others);
 * - `# UNIT` lines (a comment to the Prometheus parser) and the closing `# EOF` (also a comment there);
 * - no sample timestamps (the textfile collector refuses them): the run's time is a gauge of its own,
 *   `tcpprobe_last_run_timestamp_seconds`, the usual way for batch jobs.
 * Units are base units (seconds), as both formats recommend. Pure: no I/O.
 */
import { UsageError } from '../errors.js';
import type { GateRecord, RampResult, RampVerdictKind } from '../metrics/result.js';
import { seriesName, targetAddress } from '../metrics/series.js';

/** One `name="value"` pair added to every sample. */
export interface MetricLabel {
  name: string;
  value: string;
}

/** Label names as both formats define them. */
export const LABEL_NAME_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Labels tcpprobe sets itself, or that the formats reserve; a user label of these names would clash. */
export const RESERVED_LABEL_NAMES: readonly string[] = ['target', 'address', 'verdict', 'gate', 'quantile', 'le'];

/** Every outcome of the regression gate, in a fixed order: the gate stateset lists them all. */
export const GATE_OUTCOMES: readonly GateRecord['outcome'][] = ['pass', 'regression', 'not-compared', 'no-baseline'];

/** Every ramp verdict kind, in a fixed order: the verdict stateset lists them all. */
export const VERDICT_KINDS: readonly RampVerdictKind[] = [
  'limit-by-failure',
  'limit-by-plateau',
  'max-reached',
  'timed-out',
  'unreachable',
  'client-limited',
  'interrupted',
  'rejected',
  'evicting',
];

/** Why a label name cannot be used, or null when it can. */
export function labelNameProblem(name: string): string | null {
  if (!LABEL_NAME_PATTERN.test(name)) return `"${name}" is not a label name ([a-zA-Z_][a-zA-Z0-9_]*)`;
  if (name.startsWith('__')) return `"${name}": names starting with "__" are reserved`;
  if (RESERVED_LABEL_NAMES.includes(name)) return `"${name}" is set by tcpprobe itself`;
  return null;
}

/** Escape a label value: backslash, double quote and line feed, as both formats require. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A sample value: integers as written, NaN and infinities in the formats' spelling. */
export function formatSampleValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

/** Milliseconds to seconds through whole microseconds, so 0.822ms prints as 0.000822, not 0.0008219999999999999. */
function msToSeconds(ms: number): number {
  return Math.round(ms * 1000) / 1_000_000;
}

function labelSet(labels: readonly MetricLabel[]): string {
  return labels.length === 0 ? '' : `{${labels.map((l) => `${l.name}="${escapeLabelValue(l.value)}"`).join(',')}}`;
}

interface Family {
  name: string;
  type: 'gauge' | 'summary';
  help: string;
  unit?: 'seconds';
  samples: Array<{ suffix?: string; labels?: MetricLabel[]; value: number }>;
}

function headerLines(f: Family): string[] {
  const lines = [`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`];
  if (f.unit !== undefined) lines.push(`# UNIT ${f.name} ${f.unit}`);
  return lines;
}

function sampleLines(f: Family, common: readonly MetricLabel[]): string[] {
  return f.samples.map((s) => `${f.name}${s.suffix ?? ''}${labelSet([...common, ...(s.labels ?? [])])} ${formatSampleValue(s.value)}`);
}

function checkLabels(labels: readonly MetricLabel[], what: string): void {
  const problems = labels.map((l) => labelNameProblem(l.name)).filter((p): p is string => p !== null);
  const names = labels.map((l) => l.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) problems.push(`"${dup}" is given twice`);
  if (problems.length > 0) throw new UsageError(problems.map((p) => `${what}: ${p}`));
}

/** How a run was judged, beyond its verdict: what `tcpprobe_passed` and `tcpprobe_min_connections` say. */
export interface Judgement {
  /** The run passed: exit code 0 (an audit target's with its floor, minConnections). */
  passed: boolean;
  /** The floor, an audit target's minConnections; null: none. */
  minConnections: number | null;
}

/** A ramp's own judgement: its exit code (the verdict, --assert-capacity and the gate). */
function judgementOf(result: RampResult): Judgement {
  return { passed: result.passed ?? result.exitCode === 0, minConnections: null };
}

/**
 * The gate's families: the baseline, the change against it and the allowed drop (when compared), the gate's
 * outcome as a stateset (with a gate), whether the run passed, and an audit target's floor. An alert rule reads
 * them as they are instead of recomputing the gate (docs/audits.md, "Alert rules").
 */
function gateFamilies(gate: GateRecord | undefined, judged: Judgement): Family[] {
  const families: Family[] = [];
  if (gate?.baseline != null) {
    families.push({
      name: 'tcpprobe_baseline_max_concurrency',
      type: 'gauge',
      help: 'Max concurrency of the baseline the last ramp was compared with (the best recent passing run of its target).',
      samples: [{ value: gate.baseline.maxConcurrency }],
    });
  }
  if (gate?.dropShare != null) {
    families.push({
      name: 'tcpprobe_max_concurrency_change_ratio',
      type: 'gauge',
      help: 'Change of the max against the baseline, (max - baseline) / baseline: -0.2 is 20% fewer connections.',
      // 0 - share: a drop of 0 is written 0, not -0.
      samples: [{ value: 0 - gate.dropShare }],
    });
  }
  if (gate?.allowedDropShare != null) {
    families.push({
      name: 'tcpprobe_allowed_drop_ratio',
      type: 'gauge',
      help: 'The drop against the baseline the gate allows (maxRegression as a ratio: 0.1 = 10%).',
      samples: [{ value: gate.allowedDropShare }],
    });
  }
  if (gate !== undefined) {
    families.push({
      name: 'tcpprobe_gate',
      type: 'gauge',
      help: "The regression gate's outcome for the last ramp: 1 for its outcome, 0 for the others.",
      samples: GATE_OUTCOMES.map((g) => ({ labels: [{ name: 'gate', value: g }], value: g === gate.outcome ? 1 : 0 })),
    });
  }
  if (judged.minConnections !== null) {
    families.push({
      name: 'tcpprobe_min_connections',
      type: 'gauge',
      help: "The audit target's floor (minConnections): it fails below this many connections.",
      samples: [{ value: judged.minConnections }],
    });
  }
  families.push({
    name: 'tcpprobe_passed',
    type: 'gauge',
    help: '1 when the last ramp passed (exit code 0: answered, within its gate, assertions and floor), else 0.',
    samples: [{ value: judged.passed ? 1 : 0 }],
  });
  return families;
}

/** The families of one result, without the labels every sample of it carries. */
function resultFamilies(result: RampResult, judged: Judgement): Family[] {
  const lat = result.connectLatencyMs;
  const quantile = (q: string, ms: number | null): Family['samples'][number] => ({
    labels: [{ name: 'quantile', value: q }],
    value: ms === null ? NaN : msToSeconds(ms),
  });
  const finishedMs = Date.parse(result.finishedAt);
  const families: Family[] = [
    {
      name: 'tcpprobe_max_concurrency',
      type: 'gauge',
      help: 'Peak of concurrently held connections found by the last ramp.',
      samples: [{ value: result.maxConcurrency }],
    },
    {
      name: 'tcpprobe_max_concurrency_lower_bound',
      type: 'gauge',
      help: "1 when the max is only a lower bound of the server's capacity (max reached, timed out, client-limited, interrupted), else 0.",
      samples: [{ value: result.verdict.lowerBound ? 1 : 0 }],
    },
    {
      name: 'tcpprobe_verdict',
      type: 'gauge',
      help: "Why the last ramp ended: 1 for its verdict, 0 for the others.",
      samples: VERDICT_KINDS.map((k) => ({ labels: [{ name: 'verdict', value: k }], value: k === result.verdict.kind ? 1 : 0 })),
    },
    {
      name: 'tcpprobe_absorbed_connect_rate',
      type: 'gauge',
      help: 'Highest connect rate absorbed without any failure, connections per second.',
      samples: [{ value: result.rate.absorbedPerSec }],
    },
    {
      name: 'tcpprobe_connect_latency_seconds',
      type: 'summary',
      unit: 'seconds',
      help: 'Connect latency of the last ramp (from its HdrHistogram; the sum is count times the histogram mean).',
      samples: [
        quantile('0.5', lat.p50),
        quantile('0.9', lat.p90),
        quantile('0.99', lat.p99),
        { suffix: '_sum', value: lat.mean === null ? 0 : msToSeconds(lat.mean * lat.count) },
        { suffix: '_count', value: lat.count },
      ],
    },
  ];
  if (result.timeToMaxMs !== null) {
    families.push({
      name: 'tcpprobe_time_to_max_seconds',
      type: 'gauge',
      unit: 'seconds',
      help: 'Time from the start of the last ramp until the max was first reached.',
      samples: [{ value: msToSeconds(result.timeToMaxMs) }],
    });
  }
  families.push(
    {
      name: 'tcpprobe_run_duration_seconds',
      type: 'gauge',
      unit: 'seconds',
      help: 'Duration of the last ramp.',
      samples: [{ value: msToSeconds(result.durationMs) }],
    },
    {
      name: 'tcpprobe_last_run_timestamp_seconds',
      type: 'gauge',
      unit: 'seconds',
      help: 'Unix time at which the last ramp finished.',
      samples: [{ value: Number.isFinite(finishedMs) ? finishedMs / 1000 : NaN }],
    },
    ...gateFamilies(result.gate, judged),
  );
  return families;
}

/**
 * Several results in one exposition: each family's HELP and TYPE once, then one sample set per result, each with
 * its own labels (families in the order of first appearance; a family a result lacks is skipped for it).
 */
function formatSets(sets: ReadonlyArray<{ result: RampResult; common: readonly MetricLabel[]; judged: Judgement }>): string {
  const order: string[] = [];
  const byName = new Map<string, { family: Family; lines: string[] }>();
  for (const { result, common, judged } of sets) {
    for (const f of resultFamilies(result, judged)) {
      let entry = byName.get(f.name);
      if (entry === undefined) {
        entry = { family: f, lines: [] };
        byName.set(f.name, entry);
        order.push(f.name);
      }
      entry.lines.push(...sampleLines(f, common));
    }
  }
  const lines = order.flatMap((name) => {
    const { family, lines: samples } = byName.get(name) as { family: Family; lines: string[] };
    return [...headerLines(family), ...samples];
  });
  return `${[...lines, '# EOF'].join('\n')}\n`;
}

/** The labels tcpprobe sets on every sample of a target: its one name, and its address. */
function targetLabels(result: RampResult): MetricLabel[] {
  return [
    { name: 'target', value: seriesName(result) },
    { name: 'address', value: targetAddress(result) },
  ];
}

/**
 * Format a ramp result as an OpenMetrics exposition ending in `# EOF` and a newline. `labels` are added to every
 * sample, before tcpprobe's own `target="NAME"` (the run's name, else its host:port, as in the history and an
 * audit's textfile) and `address="host:port"`.
 * @throws UsageError when a label name is invalid, reserved or given twice.
 */
export function formatOpenMetrics(result: RampResult, labels: readonly MetricLabel[] = []): string {
  checkLabels(labels, '--label');
  return formatSets([{ result, common: [...labels, ...targetLabels(result)], judged: judgementOf(result) }]);
}

/** One target of an audit in the textfile. */
export interface AuditMetricsTarget {
  result: RampResult;
  labels: readonly MetricLabel[];
  /** How the audit judged it: its exit code with its floor. */
  judged: Judgement;
}

/**
 * An audit's results in one textfile: every sample of a target carries its labels, `target="NAME"` (the audit
 * file's name, so two targets on one host:port stay apart) and `address="host:port"`.
 * @throws UsageError when a label name is invalid, reserved or given twice.
 */
export function formatAuditOpenMetrics(targets: readonly AuditMetricsTarget[]): string {
  for (const t of targets) checkLabels(t.labels, `${seriesName(t.result)} labels`);
  return formatSets(targets.map((t) => ({ result: t.result, common: [...t.labels, ...targetLabels(t.result)], judged: t.judged })));
}
