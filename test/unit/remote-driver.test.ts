/**
 * RemoteDriver with synthetic telemetry: what the fleet and the worker group both rely on. Merged latency equals
 * the latency of all samples taken together (histograms merged, never percentiles averaged); counters are summed,
 * the peak is the peak of the sum; asks are split evenly and counted until a report includes them; a lost
 * participant's open connections stop counting and it gets no more asks.
 */
import { describe, expect, it } from 'vitest';
import { emptyCounters, type FailureRecord, type PoolCounters } from '../../src/types/pool-counters.js';
import { createHistogram, encodeHistogram, recordMs, summarizeLatency, type Histogram } from '../../src/metrics/histogram.js';
import type { ParticipantCommand, TelemetryReport } from '../../src/types/participant-protocol.js';
import { RemoteDriver, type ParticipantLink } from '../../src/drivers/remote-driver.js';

class FakeLink implements ParticipantLink {
  readonly sent: ParticipantCommand[] = [];
  disposed = false;
  constructor(readonly name: string) {}
  send(cmd: ParticipantCommand): void {
    this.sent.push(cmd);
  }
  async dispose(): Promise<void> {
    this.disposed = true;
  }
  opened(): number {
    return this.sent.reduce((n, c) => n + (c.kind === 'open' ? c.count : 0), 0);
  }
  lastSeq(): number {
    return this.sent.at(-1)?.seq ?? 0;
  }
}

function histogramOf(samplesMs: readonly number[]): Histogram {
  const h = createHistogram();
  for (const ms of samplesMs) recordMs(h, ms);
  return h;
}

function report(name: string, counters: Partial<PoolCounters>, extra: Partial<TelemetryReport> = {}): TelemetryReport {
  return {
    kind: 'telemetry',
    name,
    appliedSeq: 0,
    counters: { ...emptyCounters(), ...counters },
    firstFailures: [],
    connectUs: null,
    tlsUs: null,
    fdLimit: 20_000,
    final: false,
    ...extra,
  };
}

/** A deterministic spread of latencies, different per participant. */
function samples(seed: number, n: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return 0.05 + (x % 100_000) / 997; // 0.05 ms .. ~100 ms
  });
}

describe('RemoteDriver merging', () => {
  it('merged connect latency equals the histogram of all samples together', () => {
    const links = ['a', 'b', 'c'].map((n) => new FakeLink(n));
    const driver = new RemoteDriver(links);
    const perAgent = [samples(1, 5000), samples(7, 300), samples(42, 12_000)];
    perAgent.forEach((s, i) => {
      const h = histogramOf(s);
      driver.handleTelemetry(report(links[i]!.name, { connected: s.length }, { connectUs: encodeHistogram(h) }));
      h.destroy();
    });
    const all = histogramOf(perAgent.flat());
    const merged = driver.connectLatency();
    expect(merged.totalCount).toBe(all.totalCount);
    // The whole distribution, tick by tick (value, percentile and cumulative count at each), is the same. Only the
    // footer's exact max differs: a histogram rebuilt from buckets knows its max to the bucket (3 significant
    // digits), not the exact sample.
    const distribution = (h: Histogram): string =>
      h
        .outputPercentileDistribution(20)
        .split('\n')
        .filter((l) => !/Max/.test(l))
        .join('\n');
    expect(distribution(merged)).toBe(distribution(all));
    for (let p = 0.5; p <= 100; p += 0.5) expect(merged.getValueAtPercentile(p), `p${p}`).toBe(all.getValueAtPercentile(p));
    const { max: mergedMax, ...mergedRest } = summarizeLatency(merged);
    const { max: allMax, ...allRest } = summarizeLatency(all);
    expect(mergedRest).toEqual(allRest);
    expect(Math.abs((mergedMax ?? 0) - (allMax ?? 0))).toBeLessThanOrEqual((allMax ?? 0) / 1000);
    // Averaging the participants' p99s would not give this: the merge is not a mean of percentiles.
    const meanOfP99s = perAgent.map((s) => histogramOf(s).getValueAtPercentile(99)).reduce((a, b) => a + b, 0) / 3;
    expect(merged.getValueAtPercentile(99)).not.toBe(meanOfP99s);
    expect(driver.tlsLatency()).toBeNull();
  });

  it('a later histogram replaces the earlier one of the same participant (each is cumulative)', () => {
    const link = new FakeLink('a');
    const driver = new RemoteDriver([link]);
    const first = samples(3, 100);
    const later = [...first, ...samples(5, 50)];
    driver.handleTelemetry(report('a', {}, { connectUs: encodeHistogram(histogramOf(first)) }));
    driver.handleTelemetry(report('a', {}, { connectUs: encodeHistogram(histogramOf(later)) }));
    // Reports without a histogram keep the last one.
    driver.handleTelemetry(report('a', {}, { connectUs: null }));
    expect(driver.connectLatency().totalCount).toBe(150);
  });

  it('sums counters and classes; the peak is the peak of the sum, not the sum of peaks', () => {
    const driver = new RemoteDriver([new FakeLink('a'), new FakeLink('b')]);
    driver.handleTelemetry(report('a', { held: 100, peakHeld: 100, attempted: 110, failed: 3, failuresByClass: { refused: 3 } }));
    driver.handleTelemetry(report('b', { held: 10, peakHeld: 10, attempted: 10 }));
    driver.handleTelemetry(report('a', { held: 20, peakHeld: 100, attempted: 110, failed: 3, failuresByClass: { refused: 3 } }));
    driver.handleTelemetry(report('b', { held: 90, peakHeld: 90, attempted: 95, failed: 1, failuresByClass: { refused: 1, timeout: 0 } }));
    const c = driver.counters();
    expect(c.held).toBe(110);
    expect(c.attempted).toBe(205);
    expect(c.failed).toBe(4);
    expect(c.failuresByClass).toEqual({ refused: 4, timeout: 0 });
    // Held went 100+0, 100+10, 20+10, 20+90: the merged peak is 110, not 100 + 90.
    expect(c.peakHeld).toBe(110);
    expect(driver.participants().map((p) => [p.name, p.maxHeld])).toEqual([
      ['a', 100],
      ['b', 90],
    ]);
  });

  it('reports the earliest first failure of each class across participants', () => {
    const driver = new RemoteDriver([new FakeLink('a'), new FakeLink('b')]);
    const failure = (cls: FailureRecord['class'], atMs: number, connId: number): FailureRecord => ({
      class: cls,
      code: null,
      message: cls,
      phase: 'connect',
      atMs,
      afterConnectMs: null,
      serverSaid: null,
      connId,
      sourceAddress: null,
    });
    driver.handleTelemetry(report('a', {}, { firstFailures: [failure('refused', 500, 1), failure('timeout', 900, 2)] }));
    driver.handleTelemetry(report('b', {}, { firstFailures: [failure('refused', 300, 3)] }));
    expect(driver.firstFailures().map((f) => [f.class, f.connId])).toEqual([
      ['refused', 3],
      ['timeout', 2],
    ]);
  });
});

describe('RemoteDriver asks and losses', () => {
  it('splits asks evenly and counts them as queued until a report includes them', () => {
    const links = ['a', 'b', 'c'].map((n) => new FakeLink(n));
    const driver = new RemoteDriver(links);
    driver.open(10);
    // Nobody gets more than an even share, rounded up; together they get exactly the ask.
    expect(links.map((l) => l.opened()).reduce((a, b) => a + b, 0)).toBe(10);
    expect(Math.max(...links.map((l) => l.opened()))).toBe(4);
    expect(driver.counters().requested).toBe(10);
    expect(driver.counters().queued).toBe(10);
    const a = links[0]!;
    driver.handleTelemetry(report('a', { requested: a.opened(), held: a.opened() }, { appliedSeq: a.lastSeq() }));
    expect(driver.counters().requested).toBe(10);
    expect(driver.counters().queued).toBe(10 - a.opened());
  });

  it('a lost participant stops counting its open connections and gets no more asks', () => {
    const links = ['a', 'b'].map((n) => new FakeLink(n));
    const driver = new RemoteDriver(links);
    driver.open(100);
    for (const l of links) {
      driver.handleTelemetry(report(l.name, { requested: 50, attempted: 52, held: 50, failed: 2, failuresByClass: { refused: 2 } }, { appliedSeq: l.lastSeq() }));
    }
    expect(driver.counters().held).toBe(100);
    driver.markLost('b');
    const c = driver.counters();
    expect(c.held).toBe(50);
    expect(c.attempted).toBe(104); // what happened stays counted
    expect(c.failed).toBe(4);
    expect(c.peakHeld).toBe(100);
    const before = links[1]!.sent.length;
    driver.open(20);
    expect(links[1]!.sent.length).toBe(before);
    expect(links[0]!.opened()).toBe(70);
    // Late telemetry from a lost participant is ignored.
    driver.handleTelemetry(report('b', { held: 999 }));
    expect(driver.counters().held).toBe(50);
    expect(driver.lostParticipants()).toEqual(['b']);
    expect(driver.participants().find((p) => p.name === 'b')?.lostAtMs).toEqual(expect.any(Number));
  });

  it('close() waits for final reports (or losses) and disposes every link', async () => {
    const links = ['a', 'b'].map((n) => new FakeLink(n));
    const driver = new RemoteDriver(links);
    const closing = driver.close(5000);
    expect(links.every((l) => l.sent.at(-1)?.kind === 'close')).toBe(true);
    driver.handleTelemetry(report('a', { held: 5 }, { final: true }));
    driver.markLost('b');
    await closing;
    expect(links.every((l) => l.disposed)).toBe(true);
    // A participant that finished is not lost afterwards.
    driver.markLost('a');
    expect(driver.lostParticipants()).toEqual(['b']);
  });
});

describe('a lost participant and --max', () => {
  it('counts as asked only what the lost participant started, so its share goes to the others', () => {
    const a = new FakeLink('a');
    const b = new FakeLink('b');
    const driver = new RemoteDriver([a, b]);
    driver.open(10);
    expect(a.opened() + b.opened()).toBe(10);
    driver.handleTelemetry(report('a', { requested: 5, attempted: 2, queued: 3 }, { appliedSeq: a.lastSeq() }));
    driver.handleTelemetry(report('b', { requested: 5, attempted: 5, held: 5 }, { appliedSeq: b.lastSeq() }));
    expect(driver.counters().requested).toBe(10);
    driver.markLost('a');
    expect(driver.counters().requested).toBe(7);
    driver.open(3);
    expect(b.opened()).toBe(8);
    expect(a.opened()).toBe(5);
  });
});

describe("participants' resource use", () => {
  const use = { processes: 1, cpuMs: 500, wallMs: 1000, busiestCpu: 0.5, busiestDemand: 0.6, startRssBytes: 100, peakRssBytes: 300, peakOpenFds: 40 };

  it('keeps the last use each said (reports without it leave it as it was) and names none for one that never said', () => {
    const driver = new RemoteDriver([new FakeLink('a'), new FakeLink('old')]);
    driver.handleTelemetry(report('a', { held: 3 }, { use }));
    driver.handleTelemetry(report('a', { held: 4 }));
    driver.handleTelemetry(report('old', { held: 2 }));
    const [a, old] = driver.participants();
    expect(a?.use).toEqual(use);
    expect(old !== undefined && 'use' in old).toBe(false);
    // One participant that never said makes the combined use unknown, not too small.
    expect(driver.processUse()).toBeNull();
    driver.handleTelemetry(report('old', { held: 2 }, { use: { ...use, busiestCpu: 0.9, peakOpenFds: null } }));
    expect(driver.processUse()).toEqual({ ...use, processes: 2, cpuMs: 1000, busiestCpu: 0.9, startRssBytes: 200, peakRssBytes: 600, peakOpenFds: null });
  });
});

describe('start lag', () => {
  it("times each participant's first ask until a report shows it applied, and never again", async () => {
    const a = new FakeLink('a');
    const b = new FakeLink('b');
    const driver = new RemoteDriver([a, b]);
    driver.handleTelemetry(report('a', {}));
    driver.handleTelemetry(report('b', {}));
    driver.open(10);
    const seqA = a.lastSeq();
    const seqB = b.lastSeq();
    // a applies it at once; b's first report after the ask does not include it yet.
    driver.handleTelemetry(report('a', { requested: 5 }, { appliedSeq: seqA }));
    driver.handleTelemetry(report('b', {}, { appliedSeq: seqB - 1 }));
    await new Promise((r) => setTimeout(r, 60));
    driver.open(10);
    driver.handleTelemetry(report('b', { requested: 5 }, { appliedSeq: seqB }));
    driver.handleTelemetry(report('a', { requested: 10 }, { appliedSeq: a.lastSeq() }));
    const [pa, pb] = driver.participants();
    expect(pa?.startLagMs).toBeLessThan(30);
    expect(pb?.startLagMs).toBeGreaterThanOrEqual(55);
  });

  it('is null for a participant that was never asked', () => {
    const driver = new RemoteDriver([new FakeLink('a')]);
    driver.handleTelemetry(report('a', {}));
    expect(driver.participants()[0]?.startLagMs).toBeNull();
  });
});
