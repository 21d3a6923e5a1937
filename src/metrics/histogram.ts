/**
 * Latency histograms: HdrHistograms in microseconds, encoded compactly (compressed base64) so workers and agents
 * can ship them, and merged by adding counts. Percentiles are always read from a merged histogram, never averaged.
 */
import { createRequire } from 'node:module';
import type * as HdrModule from 'hdr-histogram-js';

/** Highest trackable latency: 10 minutes, in microseconds; values above are clamped. */
const HIGHEST_US = 600_000_000;

export type Histogram = HdrModule.Histogram;

const require = createRequire(import.meta.url);
let loaded: typeof HdrModule | null = null;

/**
 * hdr-histogram-js, loaded on first use rather than with this module: its index loads the WebAssembly build and
 * every histogram flavour (about 40 ms), which `tcpprobe --version`, `--help` and `serve` never need, yet import
 * this module through the commands they register. A plain require: the package is CommonJS, and the callers here
 * are synchronous.
 */
function hdr(): typeof HdrModule {
  loaded ??= require('hdr-histogram-js') as typeof HdrModule;
  return loaded;
}

export function createHistogram(): Histogram {
  return hdr().build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3 });
}

/** Record one latency given in milliseconds (fractional). */
export function recordMs(h: Histogram, ms: number): void {
  const us = Math.max(1, Math.min(HIGHEST_US, Math.round(ms * 1000)));
  h.recordValue(us);
}

export function encodeHistogram(h: Histogram): string {
  return hdr().encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): Histogram {
  const decoded = hdr().decodeFromCompressedBase64(encoded);
  // Decoded histograms may be of another bit depth; copy into our standard shape so merges never overflow.
  const h = createHistogram();
  h.add(decoded);
  decoded.destroy();
  return h;
}

/** Latency figures in milliseconds, as written in results. All null when nothing was recorded. */
export interface LatencySummaryMs {
  count: number;
  min: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

export function summarizeLatency(h: Histogram): LatencySummaryMs {
  const count = h.totalCount;
  if (count === 0) return { count: 0, min: null, p50: null, p90: null, p99: null, max: null, mean: null };
  const ms = (us: number): number => Math.round(us) / 1000;
  return {
    count,
    min: ms(h.minNonZeroValue),
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    max: ms(h.maxValue),
    mean: ms(h.mean),
  };
}
