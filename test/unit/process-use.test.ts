/**
 * Participants' resource use: how several processes' use combines (literal tables), what a process samples of
 * itself, and the memory per held connection the participants table shows.
 */
import { describe, expect, it } from 'vitest';
import { combineUse, createOwnUseSampler } from '../../src/drivers/process-use.js';
import { formatBytes, memoryPerConnection } from '../../src/reporters/result-sections.js';
import type { ProcessUse } from '../../src/types/participant-protocol.js';

const use = (u: Partial<ProcessUse>): ProcessUse => ({
  processes: 1,
  cpuMs: 0,
  wallMs: 1000,
  busiestCpu: 0,
  busiestDemand: null,
  startRssBytes: 0,
  peakRssBytes: 0,
  peakOpenFds: 0,
  ...u,
});

describe('combineUse', () => {
  it('sums CPU, memory and files, and keeps the busiest process and the longest wall time', () => {
    expect(
      combineUse([
        use({ cpuMs: 300, wallMs: 1000, busiestCpu: 0.3, busiestDemand: 0.97, startRssBytes: 50, peakRssBytes: 80, peakOpenFds: 10 }),
        use({ processes: 2, cpuMs: 1900, wallMs: 2000, busiestCpu: 0.95, busiestDemand: null, startRssBytes: 100, peakRssBytes: 400, peakOpenFds: 5000 }),
      ]),
    ).toEqual({ processes: 3, cpuMs: 2200, wallMs: 2000, busiestCpu: 0.95, busiestDemand: 0.97, startRssBytes: 150, peakRssBytes: 480, peakOpenFds: 5010 });
  });

  it('says open files are unknown when one process could not tell, and nothing for no process', () => {
    expect(combineUse([use({ peakOpenFds: 10 }), use({ peakOpenFds: null })])?.peakOpenFds).toBeNull();
    expect(combineUse([])).toBeNull();
  });
});

describe('createOwnUseSampler', () => {
  it("counts this process's CPU, memory and open files since it was made", () => {
    const sample = createOwnUseSampler(null);
    const end = Date.now() + 60;
    while (Date.now() < end) Math.sqrt(Math.random()); // keep a core busy for a while
    const u = sample();
    expect(u.processes).toBe(1);
    expect(u.cpuMs).toBeGreaterThan(20);
    expect(u.cpuMs).toBeLessThanOrEqual(u.wallMs + 20);
    expect(u.busiestCpu).toBeGreaterThan(0.3);
    // Its main thread's demand for a core: most of the time it was busy (the CPU time counts every thread).
    expect(u.busiestDemand).toBeGreaterThan(0.3);
    expect(u.busiestDemand).toBeLessThanOrEqual(1.05);
    expect(u.peakRssBytes).toBeGreaterThanOrEqual(u.startRssBytes);
    expect(u.startRssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(u.peakOpenFds).toBeGreaterThan(2);
  });
});

describe('memory per held connection', () => {
  it.each([
    [use({ startRssBytes: 50_000_000, peakRssBytes: 60_240_000 }), 10_000, 1024],
    [use({ startRssBytes: 50_000_000, peakRssBytes: 49_000_000 }), 10, 0],
    [use({ startRssBytes: 50_000_000, peakRssBytes: 60_000_000 }), 0, null],
  ])('%o over %i held: %s bytes', (u, held, expected) => {
    expect(memoryPerConnection(u, held)).toBe(expected);
  });

  it.each([
    [512, '512 B'],
    [3277, '3.2 KiB'],
    [20_480, '20 KiB'],
    [43_000_000, '41 MiB'],
    [5 * 1024 ** 3, '5.0 GiB'],
  ])('formatBytes(%i) is %s', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });
});
