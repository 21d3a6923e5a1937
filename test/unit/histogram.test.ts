import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type * as HdrModule from 'hdr-histogram-js';
import { createHistogram, decodeHistogram, encodeHistogram, recordMs, summarizeLatency } from '../../src/metrics/histogram.js';

// The index, as a user of the package loads it: the reference our two subpath requires must agree with.
const hdr = createRequire(import.meta.url)('hdr-histogram-js') as typeof HdrModule;
const reference = (): HdrModule.Histogram =>
  hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });

describe('latency histograms loaded from the package subpaths', () => {
  it('are the histogram build() gives for the same settings', () => {
    const ours = createHistogram();
    const theirs = reference();
    expect(ours.constructor.name).toBe(theirs.constructor.name);
    expect(ours.estimatedFootprintInBytes).toBe(theirs.estimatedFootprintInBytes);
    for (const ms of [0.05, 0.3, 1.7, 12, 950, 61_000]) {
      recordMs(ours, ms);
      recordMs(theirs, ms);
    }
    expect(summarizeLatency(ours)).toEqual(summarizeLatency(theirs));
  });

  it('encode as the index does, and decode what the index encoded', () => {
    const ours = createHistogram();
    const theirs = reference();
    for (let i = 1; i <= 500; i++) {
      recordMs(ours, i / 7);
      recordMs(theirs, i / 7);
    }
    const encoded = encodeHistogram(ours);
    expect(encoded).toBe(hdr.encodeIntoCompressedBase64(theirs));
    const decoded = decodeHistogram(hdr.encodeIntoCompressedBase64(theirs));
    expect(decoded.totalCount).toBe(500);
    // A decoded max is its bucket's top (the encoding keeps counts, not the exact max): as the index decodes it.
    expect(summarizeLatency(decoded)).toEqual(summarizeLatency(hdr.decodeFromCompressedBase64(encoded)));
    expect(summarizeLatency(decoded).p99).toBe(summarizeLatency(theirs).p99);
  });
});
