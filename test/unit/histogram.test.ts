import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type * as HdrModule from 'hdr-histogram-js';
import { createHistogram, decodeHistogram, encodeHistogram, histogramsOnRead, meanOf, recordMs, summarizeLatency } from '../../src/metrics/histogram.js';

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

  it("give hdr's own mean, to the last bit, read from the counts", () => {
    const shapes: number[][] = [
      [],
      [0.001],
      [0.05, 0.3, 1.7, 12, 950, 61_000, 600_001],
      Array.from({ length: 10_000 }, (_, i) => 0.02 + ((i * 7919) % 5000) / 1000),
      Array.from({ length: 2_000 }, (_, i) => (i % 3 === 0 ? 1000 + i : 0.1 + i / 10_000)),
    ];
    for (const values of shapes) {
      const h = createHistogram();
      for (const ms of values) recordMs(h, ms);
      expect(meanOf(h)).toBe(h.mean);
      h.destroy();
    }
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

  it('encode to hdr\'s own text for every shape: empty, one value, the clamp, long zero runs, large counts, merges, decodes', () => {
    // A fixed pseudo-random sequence, so a failure names a case that can be replayed.
    let seed = 25;
    const next = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const shapes: Array<(h: HdrModule.Histogram) => void> = [
      () => undefined,
      (h) => h.recordValue(1),
      (h) => h.recordValue(600_000_000),
      (h) => recordMs(h, 10 * 60_000 + 1),
      (h) => [1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152].forEach((v) => h.recordValue(v)),
      (h) => h.recordValueWithCount(250, 2 ** 31 - 1),
      (h) => h.recordValueWithCount(3, 70_000),
      (h) => { for (let i = 0; i < 2000; i++) recordMs(h, next() ** 4 * 60_000); },
      (h) => { for (let i = 0; i < 300; i++) h.recordValueWithCount(Math.floor(next() * 1e6) + 1, Math.floor(next() * 1e5) + 1); },
      (h) => {
        const other = createHistogram();
        for (let i = 0; i < 100; i++) recordMs(other, next() * 5);
        h.add(other);
        h.add(decodeHistogram(encodeHistogram(other)));
      },
    ];
    for (const [i, shape] of shapes.entries()) {
      const h = createHistogram();
      shape(h);
      expect(encodeHistogram(h), `shape ${i}`).toBe(hdr.encodeIntoCompressedBase64(h));
      expect(summarizeLatency(decodeHistogram(encodeHistogram(h))), `shape ${i}`).toEqual(summarizeLatency(hdr.decodeFromCompressedBase64(encodeHistogram(h))));
    }
  });
});

describe('the result document\'s histograms, encoded when read', () => {
  it('read as the counts were when the result was made, in JSON too, and null without TLS', () => {
    const connect = createHistogram();
    for (const ms of [0.2, 1.5, 1.5, 40]) recordMs(connect, ms);
    const tls = createHistogram();
    recordMs(tls, 3);
    const expected = { connectUs: encodeHistogram(connect), tlsHandshakeUs: encodeHistogram(tls) };
    const doc = histogramsOnRead(connect, tls);
    // Values recorded after the result was made (a pool closing late) are not in it.
    recordMs(connect, 900);
    recordMs(tls, 900);
    expect(encodeHistogram(connect)).not.toBe(expected.connectUs);
    expect(doc.connectUs).toBe(expected.connectUs);
    expect(doc.tlsHandshakeUs).toBe(expected.tlsHandshakeUs);
    expect(JSON.parse(JSON.stringify({ histograms: doc }))).toEqual({ histograms: expected });
    expect({ ...doc }).toEqual(expected);
    expect(histogramsOnRead(connect, null).tlsHandshakeUs).toBeNull();
  });
});
