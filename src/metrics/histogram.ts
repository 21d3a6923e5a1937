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
 * `build()` gives for our settings) is 5 ms. Encoding is written here (encodeHistogram: hdr's format, byte for
 * byte, with Node's own zlib), so no module loads for it; hdr's encoding module (12-20 ms: pako, which Node never
 * uses, and every histogram flavour) loads only to decode, where a process merges what others encoded: with an
 * fd kept for it from the start where that process may also hold connections (keepRoomForEncoding); the pool
 * itself never encodes. Which process does which is decided by its role (engine/process-readiness.ts). Plain
 * requires: the package is CommonJS, and the callers here are synchronous. The package has no `exports` map, so
 * these paths are public; histogram.test.ts checks they are what `build()` and the index's encoding give.
 */

/** hdr's 32-bit histogram class (dist/Int32Histogram.js: a CommonJS module with a default export). */
type Int32HistogramClass = new (lowest: number, highest: number, significantDigits: number) => Histogram;
let int32Histogram: Int32HistogramClass | null = null;
/**
 * hdr's encoding for its JS histograms (dist/JsHistogram.encoding.js): it exports the decoder (and gives every JS
 * histogram `encodeIntoCompressedBase64`, which encodeHistogram does without it). What its index's decoding does
 * for them, without the WebAssembly build that index also loads.
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
 * For a process that may decode while it holds connections (a run whose elastic driver merges its worker
 * processes' telemetry): keep one fd open now instead of loading hdr's encoding module on the way to the first
 * connect, and give it back just before the module loads. At the open-files limit (a client-limited run) no module
 * file can be opened any more (client-limits.test.ts). From that close to the end of the load everything is
 * synchronous (require reads one file at a time), so no socket can take the slot in between. Where no fd can be
 * kept, the module loads now.
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

/** Record one latency given in milliseconds (fractional); returns the value recorded, in microseconds. */
export function recordMs(h: Histogram, ms: number): number {
  const us = Math.max(1, Math.min(HIGHEST_US, Math.round(ms * 1000)));
  h.recordValue(us);
  return us;
}

/** What encodeHistogram reads of a histogram: hdr's JS histograms have it all (JsHistogram). */
interface CountsView {
  readonly maxValue: number;
  readonly numberOfSignificantValueDigits: number;
  readonly lowestDiscernibleValue: number;
  readonly highestTrackableValue: number;
  countsArrayIndex(value: number): number;
  getCountAtIndex(index: number): number;
  valueFromIndex(index: number): number;
  medianEquivalentValue(value: number): number;
}

/** hdr's V2 cookies, with 0x10 in the word-size byte: the counts are ZigZag LEB128 words of up to 9 bytes. */
const V2_ENCODING_COOKIE = 0x1c849303 | 0x10;
const V2_COMPRESSED_COOKIE = 0x1c849304 | 0x10;

/** One count, or a run of n zero counts as -n, as hdr writes it (ZigZagEncoding.encode): LEB128-64b9B. */
function putZigZag(out: number[], signed: number): void {
  let v = signed >= 0 ? signed * 2 : -signed * 2 - 1;
  for (let i = 0; i < 8; i++) {
    if (v < 0x80) {
      out.push(v);
      return;
    }
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  // A ninth byte would take all eight bits: never reached, a count of a 32-bit histogram or a run of zeros being
  // far below 2^56 (where hdr's eighth byte also differs).
  out.push(v & 0xff);
}

function putInt32(out: number[], value: number): void {
  const u = value >>> 0;
  out.push(u >>> 24, (u >>> 16) & 0xff, (u >>> 8) & 0xff, u & 0xff);
}

function putInt64(out: number[], value: number): void {
  putInt32(out, Math.floor(value / 2 ** 32));
  putInt32(out, value);
}

/**
 * `h` in hdr's compressed V2 format, base64: the same text as hdr's `encodeIntoCompressedBase64` (histogram.test.ts
 * compares them), without loading its encoding module. The counts up to the max, a run of zeros as one negative
 * word; the header and the deflated counts, as hdr lays them out (its buffer starts at 16 bytes, so a shorter
 * stream would be padded with zeros: never the case, as the header alone deflates to more).
 */
export function encodeHistogram(h: Histogram): string {
  return encoderOf(h)();
}

/**
 * The result document's histograms, each encoded when first read: the counts are taken now, the compression waits
 * for a reader (node:zlib costs 3-4 ms the first time in a process), and a run printed for a terminal has none.
 */
export function histogramsOnRead(connect: Histogram, tls: Histogram | null): { connectUs: string; tlsHandshakeUs: string | null } {
  const encodeConnect = encoderOf(connect);
  const encodeTls = tls === null ? null : encoderOf(tls);
  let connectUs: string | undefined;
  let tlsUs: string | undefined;
  return {
    get connectUs(): string {
      return (connectUs ??= encodeConnect());
    },
    get tlsHandshakeUs(): string | null {
      return encodeTls === null ? null : (tlsUs ??= encodeTls());
    },
  };
}

/** `h`'s counts as hdr lays them out, read now; the function compresses and encodes them. */
function encoderOf(h: Histogram): () => string {
  const view = h as Histogram & CountsView;
  const payload: number[] = [];
  const countsLimit = view.countsArrayIndex(view.maxValue) + 1;
  let index = 0;
  while (index < countsLimit) {
    const count = view.getCountAtIndex(index++);
    if (count < 0) throw new Error(`cannot encode a histogram with a negative count (${count}) at index ${index}`);
    let zeros = 0;
    if (count === 0) {
      zeros = 1;
      while (index < countsLimit && view.getCountAtIndex(index) === 0) {
        zeros++;
        index++;
      }
    }
    putZigZag(payload, zeros > 1 ? -zeros : count);
  }
  const header: number[] = [];
  putInt32(header, V2_ENCODING_COOKIE);
  putInt32(header, payload.length);
  putInt32(header, 1); // normalizing index offset, as hdr writes it
  putInt32(header, view.numberOfSignificantValueDigits);
  putInt64(header, view.lowestDiscernibleValue);
  putInt64(header, view.highestTrackableValue);
  putInt64(header, 1); // integer to double conversion ratio
  const bytes = Uint8Array.from([...header, ...payload]);
  return () => {
    const { deflateSync } = require('node:zlib') as typeof import('node:zlib');
    const compressed = deflateSync(bytes);
    const out = Buffer.alloc(Math.max(16, 8 + compressed.byteLength));
    out.writeUInt32BE(V2_COMPRESSED_COOKIE >>> 0, 0);
    out.writeUInt32BE(compressed.byteLength, 4);
    out.set(compressed, 8);
    return out.toString('base64');
  };
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
    mean: ms(meanOf(h)),
  };
}

/**
 * hdr's `mean`: each recorded bucket's median value times its count, summed in index order, over the total. Read
 * here from the counts; hdr's iterator took 13 ms for a 10,000-connection ramp's histogram, on the way to the
 * result (histogram.test.ts checks the two agree).
 */
export function meanOf(h: Histogram): number {
  const view = h as Histogram & CountsView;
  const limit = view.countsArrayIndex(view.maxValue) + 1;
  let total = 0;
  for (let i = 0; i < limit; i++) {
    const count = view.getCountAtIndex(i);
    if (count !== 0) total += view.medianEquivalentValue(view.valueFromIndex(i)) * count;
  }
  return h.totalCount === 0 ? 0 : total / h.totalCount;
}
