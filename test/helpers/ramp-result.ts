/**
 * Ramp result documents for unit tests of the modules that read results (compare, gate, history, OpenMetrics):
 * a complete, valid document with a real encoded latency histogram, and overrides for what a test is about.
 */
import { emptyCounters, type PoolCounters } from '../../src/types/pool-counters.js';
import { createHistogram, encodeHistogram, recordMs, summarizeLatency } from '../../src/metrics/histogram.js';
import {
  RESULT_SCHEMA,
  RESULT_SCHEMA_VERSION,
  type RampResult,
  type RampVerdictKind,
  type TimelineSample,
} from '../../src/metrics/result.js';

export function counters(over: Partial<PoolCounters> = {}): PoolCounters {
  return { ...emptyCounters(), ...over };
}

/** Held climbs by `perSample` every `intervalMs` up to `peak`, then stays there, for `samples` samples. */
export function climb(peak: number, samples: number, perSample = 50, intervalMs = 100): TimelineSample[] {
  return Array.from({ length: samples }, (_, i) => {
    const held = Math.min(peak, i * perSample);
    return { tMs: i * intervalMs, attempted: held, held, established: 0, connecting: 0, failed: 0 };
  });
}

/** An encoded connect histogram holding these latencies (ms). */
export function encodedLatencies(ms: readonly number[]): string {
  const h = createHistogram();
  for (const v of ms) recordMs(h, v);
  const out = encodeHistogram(h);
  h.destroy();
  return out;
}

const LOWER_BOUND: ReadonlySet<RampVerdictKind> = new Set(['max-reached', 'timed-out', 'client-limited', 'interrupted']);

export interface RampFixture {
  max?: number;
  verdict?: RampVerdictKind;
  port?: number;
  host?: string;
  absorbedPerSec?: number;
  timeToMaxMs?: number | null;
  /**
   * Connect latencies recorded into the histogram, ms. Default: 1ms x 90, 1.5ms x 9, 2ms x 1 (values below 2.048ms
   * are exact at 3 significant digits, so percentiles read back as written).
   */
  latenciesMs?: readonly number[];
  timeline?: TimelineSample[];
  startedAt?: string;
}

/** A complete ramp result; the stored latency summary matches the histogram unless a test changes it. */
export function rampResult(f: RampFixture = {}): RampResult {
  const max = f.max ?? 300;
  const verdict = f.verdict ?? 'limit-by-failure';
  const lat = f.latenciesMs ?? [...Array<number>(90).fill(1), ...Array<number>(9).fill(1.5), 2];
  const h = createHistogram();
  for (const v of lat) recordMs(h, v);
  const summary = summarizeLatency(h);
  const encoded = encodeHistogram(h);
  h.destroy();
  const timeline = f.timeline ?? climb(max, 30);
  const first = {
    class: 'closed-by-peer' as const,
    code: null,
    message: 'the server closed the connection',
    phase: 'established' as const,
    atMs: 1000,
    afterConnectMs: 1,
    serverSaid: null,
    connId: max + 1,
    sourceAddress: null,
  };
  const failed = verdict === 'limit-by-failure';
  return {
    schema: RESULT_SCHEMA,
    schemaVersion: RESULT_SCHEMA_VERSION,
    tool: { name: 'tcpprobe', version: '0.1.0' },
    startedAt: f.startedAt ?? '2026-01-02T03:04:05.000Z',
    finishedAt: '2026-01-02T03:04:08.500Z',
    durationMs: 3500,
    target: {
      host: f.host ?? '127.0.0.1',
      port: f.port ?? 6379,
      resolved: ['127.0.0.1'],
      used: ['127.0.0.1'],
      addressMode: 'pinned',
      tls: false,
    },
    maxConcurrency: max,
    firstFailure: failed ? first : null,
    failures: failed ? [{ class: 'closed-by-peer', count: 15, first }] : [],
    connectLatencyMs: summary,
    tlsHandshakeMs: null,
    histograms: { connectUs: encoded, tlsHandshakeUs: null },
    counters: counters({ held: max, peakHeld: max, attempted: max + 15, failed: failed ? 15 : 0 }),
    timeline,
    sampleIntervalMs: 100,
    sourceAddresses: [],
    kind: 'ramp',
    verdict: {
      kind: verdict,
      summary: `verdict ${verdict}`,
      lowerBound: LOWER_BOUND.has(verdict),
      clientLimit: verdict === 'client-limited' ? { class: 'fd-limit', advice: 'raise ulimit -n' } : null,
    },
    heldAtFirstFailure: failed ? max - 40 : null,
    rate: { requestedPerSec: 500, achievedPerSec: 480, absorbedPerSec: f.absorbedPerSec ?? 480, rateLimits: [] },
    schedule: [{ fromMs: 0, toMs: 3000, description: '500 connections/s' }],
    timeToMaxMs: f.timeToMaxMs === undefined ? 800 : f.timeToMaxMs,
  };
}
