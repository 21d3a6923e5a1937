/**
 * Latency histograms: HdrHistograms in microseconds, encoded compactly (compressed base64) so workers and agents
 * can ship them, and merged by adding counts. Percentiles are always read from a merged histogram, never averaged.
 */
import { closeSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as HdrModule from 'hdr-histogram-js';

/** Highest trackable latency: 10 minutes, in microseconds; values above are clamped. */
const HIGHEST_US = 600_000_000;

export type Histogram = HdrModule.Histogram;

const require = createRequire(import.meta.url);

/*
 * hdr-histogram-js is loaded in two parts, each on first use. Its index loads every histogram flavour, the
 * WebAssembly build, pako and its log writer, whose module-level number formatter is the process's first Intl
 * call: 56 ms measured, all of it on the way to a ramp's first connect. The 32-bit histogram alone (what
 * `build()` gives for our settings) is 5 ms; its encoding, 12 ms, only where something will be encoded: a
 * participant's telemetry loads it before its first connect (loadHistogramEncoding), a run's result document when
 * it is written, with an fd kept for it from the start (keepRoomForEncoding); the pool itself never encodes. Which
 * process does which is decided by its role (engine/process-readiness.ts). Plain
 * requires: the package is CommonJS, and the callers here are synchronous. The package has no `exports` map, so
 * these paths are public; histogram.test.ts checks they are what `build()` and the index's encoding give.
 */

/** hdr's 32-bit histogram class (dist/Int32Histogram.js: a CommonJS module with a default export). */
type Int32HistogramClass = new (lowest: number, highest: number, significantDigits: number) => Histogram;
let int32Histogram: Int32HistogramClass | null = null;
/**
 * hdr's encoding for its JS histograms (dist/JsHistogram.encoding.js): loading it gives every JS histogram
 * `encodeIntoCompressedBase64`, and it exports the decoder. What its index's encoding does for them, without the
 * WebAssembly build that index also loads.
 */
interface JsHistogramEncoding {
  decompress(data: Uint8Array): Uint8Array;
  doDecode(data: Uint8Array, bitBucketSize?: 32): Histogram;
}
let encoding: JsHistogramEncoding | null = null;

function histogramClass(): Int32HistogramClass {
  int32Histogram ??= (require('hdr-histogram-js/dist/Int32Histogram.js') as { default: Int32HistogramClass }).default;
  return int32Histogram;
}

/** An fd kept open by keepRoomForEncoding, given back just before the encoding loads. */
let spareFd: number | null = null;

function hdrEncoding(): JsHistogramEncoding {
  if (encoding === null) {
    if (spareFd !== null) {
      closeSync(spareFd);
      spareFd = null;
    }
    encoding = require('hdr-histogram-js/dist/JsHistogram.encoding.js') as JsHistogramEncoding;
  }
  return encoding;
}

/**
 * Load the encoding now: a process that will encode a histogram while holding connections does this (or
 * keepRoomForEncoding) before the first connect. At the open-files limit (a client-limited run) no module file can
 * be opened any more, and encoding failed with EMFILE (client-limits.test.ts).
 */
export function loadHistogramEncoding(): void {
  hdrEncoding();
}

/**
 * For whoever will encode once, at the end (a run's result document): keep one fd open now instead of loading the
 * encoding on the way to the first connect, and give it back just before the encoding loads. From that close to
 * the end of the load everything is synchronous (require reads one file at a time), so no socket can take the slot
 * in between. Where no fd can be kept, the encoding loads now.
 */
export function keepRoomForEncoding(): void {
  if (encoding !== null || spareFd !== null) return;
  try {
    spareFd = openSync('/dev/null', 'r');
  } catch {
    hdrEncoding();
  }
}

export function createHistogram(): Histogram {
  const Int32Histogram = histogramClass();
  // As hdr's build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3 }).
  return new Int32Histogram(1, HIGHEST_US, 3);
}

/** Record one latency given in milliseconds (fractional). */
export function recordMs(h: Histogram, ms: number): void {
  const us = Math.max(1, Math.min(HIGHEST_US, Math.round(ms * 1000)));
  h.recordValue(us);
}

export function encodeHistogram(h: Histogram): string {
  hdrEncoding();
  return (h as Histogram & { encodeIntoCompressedBase64(): string }).encodeIntoCompressedBase64();
}

export function decodeHistogram(encoded: string): Histogram {
  const e = hdrEncoding();
  const decoded = e.doDecode(e.decompress(new Uint8Array(Buffer.from(encoded.trim(), 'base64'))), 32);
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
