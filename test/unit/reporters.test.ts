import { describe, expect, it } from 'vitest';
import { emptyCounters, type FailureRecord, type PoolCounters } from '../../src/types/pool-counters.js';
import type { FailureClass } from '../../src/types/failure-class.js';
import type { LatencySummaryMs } from '../../src/metrics/histogram.js';
import {
  RESULT_SCHEMA,
  RESULT_SCHEMA_VERSION,
  type HoldResult,
  type HoldVerdictKind,
  type RampResult,
  type RampVerdictKind,
  type TimelineSample,
} from '../../src/metrics/result.js';
import { renderChart, resampleSeries, yScale } from '../../src/reporters/chart.js';
import { compactAddresses, formatMs, formatTable, quoteServerText, sanitizeText, truncateText } from '../../src/reporters/format.js';
import { formatCount, formatCountEnUs } from '../../src/config/units.js';
import { formatHoldSummary } from '../../src/reporters/hold-summary.js';
import { formatAssertion } from '../../src/reporters/result-sections.js';
import {
  formatConnEvent,
  formatStatusBlock,
  formatStatusLine,
  progressBar,
  type LiveSnapshot,
} from '../../src/reporters/live-status.js';
import { formatRampSummary, rateLines } from '../../src/reporters/ramp-summary.js';

// ---- fixture builders ------------------------------------------------------------------------------------------

function counters(over: Partial<PoolCounters> = {}): PoolCounters {
  return { ...emptyCounters(), ...over };
}

function failure(cls: FailureClass, over: Partial<FailureRecord> = {}): FailureRecord {
  return {
    class: cls,
    code: null,
    message: `${cls} happened`,
    phase: 'connect',
    atMs: 1000,
    afterConnectMs: null,
    serverSaid: null,
    connId: 1,
    sourceAddress: null,
    ...over,
  };
}

const LATENCY: LatencySummaryMs = { count: 1000, min: 0.05, p50: 0.21, p90: 0.5, p99: 1.1, max: 3.2, mean: 0.3 };
const NO_LATENCY: LatencySummaryMs = { count: 0, min: null, p50: null, p90: null, p99: null, max: null, mean: null };

/** A ramp up to `peak` held over `samples` samples 100ms apart, then flat. */
function timeline(peak: number, samples = 126): TimelineSample[] {
  return Array.from({ length: samples }, (_, i) => {
    const held = Math.min(peak, i * 10);
    return { tMs: i * 100, attempted: held, held, established: 0, connecting: 0, failed: 0 };
  });
}

function base(peak: number) {
  return {
    schema: RESULT_SCHEMA,
    schemaVersion: RESULT_SCHEMA_VERSION,
    tool: { name: 'tcpprobe' as const, version: '0.1.0' },
    startedAt: '2024-01-01T00:00:00.000Z',
    finishedAt: '2024-01-01T00:00:12.500Z',
    durationMs: 12_500,
    target: {
      host: 'localhost',
      port: 8080,
      resolved: ['127.0.0.1', '::1'],
      used: ['127.0.0.1'],
      addressMode: 'pinned' as const,
      tls: false,
    },
    maxConcurrency: peak,
    firstFailure: null,
    failures: [],
    connectLatencyMs: LATENCY,
    tlsHandshakeMs: null,
    histograms: { connectUs: '', tlsHandshakeUs: null },
    counters: counters({ held: peak, peakHeld: peak, connected: peak, attempted: peak, requested: peak }),
    timeline: timeline(peak),
    sampleIntervalMs: 100,
    sourceAddresses: [],
  };
}

function ramp(kind: RampVerdictKind, over: Partial<RampResult> = {}): RampResult {
  const peak = over.maxConcurrency ?? 1000;
  return {
    ...base(peak),
    kind: 'ramp',
    verdict: { kind, summary: `summary for ${kind}`, lowerBound: kind !== 'limit-by-failure', clientLimit: null },
    heldAtFirstFailure: null,
    rate: { requestedPerSec: 500, achievedPerSec: 498.4, absorbedPerSec: 500, rateLimits: [] },
    schedule: [{ fromMs: 0, toMs: null, description: 'ramp 500/s' }],
    timeToMaxMs: 10_000,
    ...over,
  };
}

function hold(kind: HoldVerdictKind, over: Partial<HoldResult> = {}): HoldResult {
  const peak = over.maxConcurrency ?? 100;
  return {
    ...base(peak),
    kind: 'hold',
    verdict: { kind, summary: `summary for ${kind}`, lowerBound: false, clientLimit: null },
    requestedConnections: 100,
    allEstablishedAtMs: 800,
    establishedWithinMs: { withinMs: 1000, established: 100 },
    lostDuringHold: 0,
    assertions: [],
    ...over,
  };
}

const ESC = '\x1b';

// ---- format helpers --------------------------------------------------------------------------------------------

describe('format helpers', () => {
  it('adds thousands separators and rounds', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(14082)).toBe('14,082');
    expect(formatCount(1234567.6)).toBe('1,234,568');
    expect(formatCount(-1500)).toBe('-1,500');
    expect(formatCount(Number.NaN)).toBe('-');
  });

  it('formatCountEnUs writes what toLocaleString(\'en-US\') writes, for whole numbers and the rest', () => {
    const samples = [0, 7, 999, 1000, 14_082, 28_232, 262_144, 1_048_576, -1500, 2 ** 53 - 1, 1234.5678, Infinity, -Infinity, Number.NaN];
    for (const v of samples) expect(formatCountEnUs(v), String(v)).toBe(v.toLocaleString('en-US'));
  });

  it('formats latency milliseconds', () => {
    expect(formatMs(0.214)).toBe('0.21ms');
    expect(formatMs(12.34)).toBe('12.3ms');
    expect(formatMs(250.4)).toBe('250ms');
    expect(formatMs(1500)).toBe('1.5s');
    expect(formatMs(null)).toBe('-');
  });

  it('compacts address runs into ranges', () => {
    const addrs = ['127.0.0.4', '127.0.0.2', '127.0.0.3', '127.0.0.9', '127.0.0.5', '10.0.0.1', '10.0.0.2', '::1'];
    expect(compactAddresses(addrs)).toBe('10.0.0.1, 10.0.0.2, 127.0.0.2-127.0.0.5, 127.0.0.9, ::1');
    const many = Array.from({ length: 30 }, (_, i) => `10.0.${i * 2}.1`);
    expect(compactAddresses(many, 3)).toBe('10.0.0.1, 10.0.2.1, 10.0.4.1 (and 27 more)');
  });

  it('escapes control characters but not existing backslash escapes', () => {
    expect(sanitizeText('a\x1b[31mb\r\n')).toBe('a\\x1b[31mb\\r\\n');
    expect(sanitizeText('already\\r\\n')).toBe('already\\r\\n');
    expect(quoteServerText('say "hi"')).toBe('"say \\"hi\\""');
  });

  it('truncates without splitting an escape', () => {
    expect(truncateText('short', 10)).toBe('short');
    const cut = truncateText('abcdefg\\x0dxyz', 10);
    expect(cut).toBe('abcdefg…');
    expect(cut.length).toBeLessThanOrEqual(10);
  });

  it('aligns table columns', () => {
    expect(formatTable(['a', 'n'], [['long', '1'], ['x', '1,000']], ['left', 'right'])).toEqual([
      '  a         n',
      '  long      1',
      '  x     1,000',
    ]);
  });
});

// ---- chart -----------------------------------------------------------------------------------------------------

describe('renderChart', () => {
  it('keeps the peak when downsampling', () => {
    const values = Array.from({ length: 1000 }, (_, i) => (i === 537 ? 9999 : 10));
    const [points] = resampleSeries([values], 70);
    expect(points).toHaveLength(70);
    expect(Math.max(...(points ?? []))).toBe(9999);
    const chart = renderChart([{ name: 'held', values }], { width: 70, height: 10 });
    const topLabel = Number((chart.split('\n')[0] ?? '').split('┤')[0]?.trim().replace(/,/g, ''));
    expect(topLabel).toBeGreaterThanOrEqual(9999);
    // The spike shows as a vertical line reaching the top row.
    expect(chart.split('\n')[0]).toMatch(/╭/);
  });

  it('stretches short series to the width without inventing values', () => {
    const [points] = resampleSeries([[1, 5, 3]], 6);
    expect(points).toEqual([1, 1, 5, 5, 3, 3]);
  });

  it('draws shorter series only as far as their samples go', () => {
    const [a, b] = resampleSeries([[1, 2, 3, 4], [9, 9]], 4);
    expect(a).toEqual([1, 2, 3, 4]);
    expect(b).toEqual([9, 9]);
  });

  it('handles empty, flat and all-zero series without throwing', () => {
    expect(renderChart([])).toContain('no samples');
    expect(renderChart([{ name: 'x', values: [] }], { title: 'T' })).toBe('T\n  (no samples to chart)');
    const zero = renderChart([{ name: 'x', values: [0, 0, 0, 0] }]);
    expect(zero).toMatch(/0 ┤─+/);
    const flat = renderChart([{ name: 'x', values: [7, 7, 7] }]);
    expect(flat.split('\n')[0]).toMatch(/^\s*7 ┤─+$/);
    expect(() => renderChart([{ name: 'x', values: [Number.NaN, 1] }])).not.toThrow();
  });

  it('uses integer y labels at round steps', () => {
    expect(yScale(0, 1000, 12)).toEqual({ min: 0, max: 1000, height: 10 });
    expect(yScale(0, 3, 12)).toEqual({ min: 0, max: 3, height: 3 });
    const chart = renderChart([{ name: 'x', values: [0, 333, 1000] }], { height: 12 });
    for (const line of chart.split('\n')) {
      const label = line.split('┤')[0]?.trim() ?? '';
      if (label !== '') expect(label).toMatch(/^\d{1,3}(,\d{3})*$/);
    }
  });

  it('tells two series apart without color, and adds color only when asked', () => {
    const series = [
      { name: 'before', values: [0, 10, 20, 30] },
      { name: 'after', values: [0, 5, 10, 15] },
    ];
    const plain = renderChart(series, { xLabel: 'time, 0 to 3s', title: 'Held' });
    expect(plain).not.toContain(ESC);
    expect(plain).toContain('─ before   ┄ after');
    expect(plain).toContain('┄');
    expect(plain.split('\n')[0]).toBe('Held');
    expect(plain).toContain('time, 0 to 3s');
    const colored = renderChart(series, { color: true });
    expect(colored).toContain(ESC);
    expect(colored).toContain('before');
  });

  it('respects width and height', () => {
    const values = Array.from({ length: 500 }, (_, i) => i);
    const chart = renderChart([{ name: 'x', values }], { width: 40, height: 5 });
    const rows = chart.split('\n');
    expect(rows.length).toBeLessThanOrEqual(6 + 1);
    for (const row of rows) expect(row.length).toBeLessThanOrEqual(40 + 6);
  });
});

// ---- ramp summary ----------------------------------------------------------------------------------------------

describe('formatRampSummary', () => {
  const closed = failure('closed-by-peer', {
    phase: 'held',
    atMs: 10_200,
    afterConnectMs: 1500,
    serverSaid: 'ERR max clients reached\\r\\n',
    connId: 1001,
    message: 'closed by peer',
  });

  it('limit-by-failure: number, class and what the server said', () => {
    const r = ramp('limit-by-failure', {
      firstFailure: closed,
      heldAtFirstFailure: 1000,
      failures: [{ class: 'closed-by-peer', count: 3412, first: closed }],
      counters: counters({ held: 1000, failed: 3412, failuresByClass: { 'closed-by-peer': 3412 } }),
    });
    const text = formatRampSummary(r);
    const lines = text.split('\n');
    expect(lines[0]).toBe('Max concurrency: 1,000 connections (limit found: closed-by-peer after 1,000 held)');
    expect(lines[1]).toBe('Stopped: summary for limit-by-failure');
    expect(lines).toContain('First failure: closed-by-peer (no error code) at 10.2s, with 1,000 held');
    expect(lines).toContain('  1.5s after connect, while held (conn 1001)');
    expect(text).toContain('  server said: "ERR max clients reached\\r\\n"');
    expect(text).toMatch(/closed-by-peer\s+3,412\s+10\.2s\s+held\s+server said "ERR max clients reached\\r\\n"/);
    expect(text).toContain('Rate: requested 500/s, achieved 498/s, highest absorbed without failure 500/s');
    expect(text).toContain('Connect latency: p50 0.21ms  p90 0.5ms  p99 1.1ms  max 3.2ms  (1,000 samples)');
    expect(text).toContain('Duration: 12.5s, max first reached at 10s');
    expect(text).toContain('Target: localhost:8080, resolved to 127.0.0.1, ::1; pinned to 127.0.0.1');
    expect(text).toContain('Held connections (peak 1,000)');
    expect(text).toContain('time, 0 to 12.5s');
    expect(text).not.toContain(ESC);
  });

  it('names the persistent class, not a rate-limit class, as the limit', () => {
    const timeout = failure('timeout', { atMs: 500 });
    const r = ramp('limit-by-failure', {
      firstFailure: timeout,
      failures: [
        { class: 'timeout', count: 5000, first: timeout },
        { class: 'reset', count: 40, first: failure('reset', { atMs: 9000 }) },
      ],
      rate: {
        requestedPerSec: 5000,
        achievedPerSec: 4000,
        absorbedPerSec: 2000,
        rateLimits: [{ failedAtPerSec: 5000, continuedAtPerSec: 2000, heldAtMs: 500, failureClass: 'timeout' }],
      },
    });
    const text = formatRampSummary(r, { chart: false });
    expect(text.split('\n')[0]).toContain('limit found: reset after 1,000 held');
    expect(text).toContain('Rate limit: timeout failures at 5,000/s, continued at 2,000/s (at 500ms)');
    expect(text).not.toContain('Held connections');
  });

  it('client-limited: inconclusive with advice', () => {
    const ports = failure('ports', { code: 'EADDRNOTAVAIL', message: 'connect EADDRNOTAVAIL 127.0.0.1:8080' });
    const r = ramp('client-limited', {
      maxConcurrency: 14082,
      firstFailure: ports,
      failures: [{ class: 'ports', count: 12, first: ports }],
      verdict: {
        kind: 'client-limited',
        summary: 'this machine ran out of ports',
        lowerBound: true,
        clientLimit: { class: 'ports', advice: 'use more source addresses' },
      },
      sourceAddresses: ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7'],
    });
    const lines = formatRampSummary(r).split('\n');
    expect(lines[0]).toBe(
      'Max concurrency: at least 14,082 connections — INCONCLUSIVE: limited by this machine (ports)',
    );
    expect(lines[2]).toBe('Advice: use more source addresses');
    expect(lines).toContain('Source addresses: 127.0.0.2-127.0.0.7 (6)');
    expect(lines.some((l) => /ports \(this machine\)\s+12/.test(l))).toBe(true);
  });

  it('falls back to the built-in advice when the verdict has none', () => {
    const fd = failure('fd-limit', { code: 'EMFILE' });
    const r = ramp('client-limited', { firstFailure: fd, failures: [{ class: 'fd-limit', count: 1, first: fd }] });
    const text = formatRampSummary(r);
    expect(text.split('\n')[0]).toContain('limited by this machine (fd-limit)');
    expect(text).toContain('Advice: raise the open-files limit');
  });

  it.each([
    ['max-reached', 'Max concurrency: at least 1,000 connections (max reached, no failure)'],
    ['timed-out', 'Max concurrency: at least 1,000 connections (timed out: --max-duration ran out before a limit was found)'],
    ['interrupted', 'Max concurrency: at least 1,000 connections (interrupted before a limit was found)'],
    [
      'limit-by-plateau',
      'Max concurrency: 1,000 connections (limit found: plateau, held count stopped growing while attempts went on)',
    ],
  ] as const)('%s first line', (kind, first) => {
    expect(formatRampSummary(ramp(kind)).split('\n')[0]).toBe(first);
  });

  it.each([
    ['no failure: no absorbed figure, whatever the figure says', 0, [], 'Rate: requested 500/s, achieved 498/s, no failure at any rate'],
    ['failures: the highest rate absorbed without one', 400, ['refused'], 'Rate: requested 500/s, achieved 498/s, highest absorbed without failure 400/s'],
    ['failures from the start: 0/s absorbed', 0, ['refused'], 'Rate: requested 500/s, achieved 498/s, highest absorbed without failure 0/s'],
  ] as const)('the rate line agrees with the failures: %s', (_name, absorbedPerSec, classes, line) => {
    const refused = failure('refused', { code: 'ECONNREFUSED' });
    const r = ramp('max-reached', {
      rate: { requestedPerSec: 500, achievedPerSec: 498.4, absorbedPerSec, rateLimits: [] },
      failures: classes.map(() => ({ class: 'refused' as const, count: 3, first: refused })),
    });
    expect(rateLines(r)[0]).toBe(line);
  });

  it.each([
    [
      'dropped SYNs, with the connects that waited for a resend',
      'dropped-syn',
      412,
      'New-connection rate limit: about 100/s (SYNs beyond it dropped: 412 connects completed only after their SYN was resent)',
    ],
    ['dropped SYNs, none resent in the run (an older document says nothing)', 'dropped-syn', undefined, 'New-connection rate limit: about 100/s (SYNs beyond it dropped)'],
    ['refusals', 'refused', 0, 'New-connection rate limit: about 100/s (connects beyond it refused)'],
  ] as const)('a measured new-connection limit is named on its own, apart from the concurrency limit: %s', (_name, by, resent, line) => {
    const timeout = failure('timeout', { atMs: 2040 });
    const r = ramp('limit-by-failure', {
      firstFailure: timeout,
      failures: [{ class: 'timeout', count: 329, first: timeout }],
      counters: { ...ramp('limit-by-failure').counters, ...(resent === undefined ? {} : { synRetransmitted: resent }) },
      rate: {
        requestedPerSec: 2000,
        achievedPerSec: 2709,
        absorbedPerSec: 2709,
        rateLimits: [{ failedAtPerSec: 8000, continuedAtPerSec: 75, heldAtMs: 2050, failureClass: 'timeout' }],
        newConnectionLimit: {
          perSec: 100,
          turnedAwayBy: by,
          offeredPerSec: 500,
          connects: 200,
          overMs: 350,
          passed: 35,
          dropped: by === 'refused' ? 0 : 140,
          refused: by === 'refused' ? 140 : 0,
          atMs: 3437,
        },
      },
    });
    if (resent === undefined) delete (r.counters as { synRetransmitted?: number }).synRetransmitted;
    const text = formatRampSummary(r, { chart: false });
    const lines = text.split('\n');
    expect(lines).toContain(line);
    expect(lines).toContain('  measured: 200 connects at 500/s, 35 let through in 350ms after the first was turned away');
    // The headline is the concurrency limit's.
    expect(lines[0]).toBe('Max concurrency: 1,000 connections (limit found: timeout after 1,000 held)');
  });

  it('timed-out with nothing held: no answer, not "at least 0", and no chart', () => {
    const r = ramp('timed-out', { maxConcurrency: 0, timeline: [] });
    const text = formatRampSummary(r);
    expect(text.split('\n')[0]).toBe(
      'Max concurrency: none held (timed out without an answer: --max-duration ran out before any connection was held)',
    );
    expect(text).not.toContain('at least 0');
    expect(text).not.toContain('Held connections');
  });

  it('unreachable: the error first, no chart', () => {
    const refused = failure('refused', { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:8080' });
    const r = ramp('unreachable', {
      maxConcurrency: 0,
      firstFailure: refused,
      failures: [{ class: 'refused', count: 20, first: refused }],
      timeline: [],
      connectLatencyMs: NO_LATENCY,
    });
    const text = formatRampSummary(r);
    expect(text.split('\n')[0]).toBe(
      'Target unreachable: ECONNREFUSED (refused) connecting to localhost:8080: connect ECONNREFUSED 127.0.0.1:8080',
    );
    expect(text).toContain('Connect latency: no samples');
    expect(text).not.toContain('Held connections');
  });

  it('escapes and truncates hostile server bytes', () => {
    const evil = failure('rejected', {
      phase: 'established',
      afterConnectMs: 3,
      serverSaid: `\x1b[2J\x07${'A'.repeat(300)}`,
      message: 'rejected \x1b]0;title\x07',
    });
    const r = ramp('limit-by-failure', { firstFailure: evil, failures: [{ class: 'rejected', count: 1, first: evil }] });
    const text = formatRampSummary(r);
    expect(text).not.toContain(ESC);
    expect(text).not.toContain('\x07');
    expect(text).toContain('server said: "\\x1b[2J\\x07AAAA');
    const said = text.split('\n').find((l) => l.startsWith('  server said:')) ?? '';
    expect(said.length).toBeLessThan(130);
    expect(said).toMatch(/…"$/);
  });

  it('empty timeline does not throw', () => {
    const text = formatRampSummary(ramp('interrupted', { timeline: [], maxConcurrency: 0 }));
    expect(text).toContain('(no samples to chart)');
  });

  it('lists participants and TLS handshake latency', () => {
    const r = ramp('max-reached', {
      tlsHandshakeMs: { ...LATENCY, p50: 2.5 },
      target: { ...base(1).target, tls: true, addressMode: 'spread', used: ['127.0.0.1', '::1'] },
      participants: [
        { name: 'worker-1', maxHeld: 500, counters: counters({ attempted: 520, failed: 2 }), clientLimit: null, lostAtMs: null },
        { name: 'agent-b', maxHeld: 12000, counters: counters({ attempted: 12000 }), clientLimit: 'ports', lostAtMs: 4000 },
      ],
    });
    const text = formatRampSummary(r);
    expect(text).toContain('TLS handshake:   p50 2.5ms');
    expect(text).toContain('Target: localhost:8080 (TLS), resolved to 127.0.0.1, ::1; spread over 127.0.0.1, ::1');
    expect(text).toContain('Participants: 2');
    expect(text).toMatch(/worker-1\s+500\s+520\s+2\s+0\s+-\s+-/);
    expect(text).toMatch(/agent-b\s+12,000\s+12,000\s+0\s+0\s+ports\s+4s/);
  });

  it("shows each participant's CPU, memory per held connection and open files where it said them", () => {
    const u = { processes: 2, cpuMs: 9000, wallMs: 10_000, busiestCpu: 0.93, busiestDemand: 0.97, startRssBytes: 80_000_000, peakRssBytes: 100_480_000, peakOpenFds: 10_012 };
    const r = ramp('max-reached', {
      participants: [
        { name: 'agent-a', maxHeld: 10_000, counters: counters({ attempted: 10_000 }), clientLimit: null, lostAtMs: null, use: u },
        { name: 'agent-old', maxHeld: 300, counters: counters({ attempted: 300 }), clientLimit: null, lostAtMs: null },
      ],
    });
    const text = formatRampSummary(r);
    expect(text).toMatch(/lost at\s+cpu\s+mem\/conn\s+open files/);
    expect(text).toMatch(/agent-a\s+10,000\s+10,000\s+0\s+0\s+-\s+-\s+93%\s+2\.0 KiB\s+10,012/);
    expect(text).toMatch(/agent-old\s+300\s+300\s+0\s+0\s+-\s+-\s+-\s+-\s+-/);
    // A core wanted but not had is said beside what it got.
    const starved = ramp('client-limited', {
      participants: [{ name: 'agent-s', maxHeld: 100, counters: counters({ attempted: 100 }), clientLimit: 'cpu', lostAtMs: null, use: { ...u, busiestCpu: 0.8, busiestDemand: 0.99 } }],
    });
    expect(formatRampSummary(starved)).toMatch(/agent-s\s+100\s+100\s+0\s+0\s+cpu\s+-\s+80% \(wanted 99%\)/);
  });

  it("names each participant's engine when they said it (agents choose their own)", () => {
    const r = ramp('max-reached', {
      participants: [
        { name: 'agent-a', maxHeld: 500, counters: counters({ attempted: 500 }), clientLimit: null, lostAtMs: null, engine: 'native' },
        { name: 'agent-b', maxHeld: 400, counters: counters({ attempted: 400 }), clientLimit: null, lostAtMs: null, engine: 'js' },
        { name: 'agent-c', maxHeld: 300, counters: counters({ attempted: 300 }), clientLimit: null, lostAtMs: null },
      ],
    });
    const text = formatRampSummary(r);
    expect(text).toMatch(/name\s+engine\s+max held/);
    expect(text).toMatch(/agent-a\s+native\s+500\s+500/);
    expect(text).toMatch(/agent-b\s+js\s+400\s+400/);
    expect(text).toMatch(/agent-c\s+-\s+300\s+300/);
  });
});

// ---- hold summary ----------------------------------------------------------------------------------------------

describe('formatHoldSummary', () => {
  it('reports counts, assertions and the chart', () => {
    const lost = failure('closed-by-peer', { phase: 'held', afterConnectMs: 5000, atMs: 6000, serverSaid: 'bye\\n' });
    const r = hold('held', {
      counters: counters({ held: 97, connected: 100, reconnects: 0, failed: 3 }),
      lostDuringHold: 3,
      firstFailure: lost,
      failures: [{ class: 'closed-by-peer', count: 3, first: lost }],
      assertions: [
        { name: 'established-within', passed: true, expected: '100 established within 1s and open for --settle', actual: '100 of 100 established within 1s' },
        { name: 'held', passed: false, expected: 'all 100 held for 10s, none lost', actual: '3 lost, 0 failed to connect, of 100 to hold for 10s' },
      ],
    });
    const text = formatHoldSummary(r);
    const lines = text.split('\n');
    expect(lines[0]).toBe('Held: 97 of 100 connections held at the end (peak 100)');
    expect(text).toContain('Requested 100  established 100  held at end 97  lost during hold 3  reconnects 0');
    expect(text).toContain('All 100 established at 800ms');
    expect(text).toContain('Established within 1s: 100');
    expect(text).toContain('  PASS established-within: 100 of 100 established within 1s');
    expect(text).toContain('  FAIL held: 3 lost, 0 failed to connect, of 100 to hold for 10s');
    expect(text).toContain('server said: "bye\\n"');
    expect(text).toContain('Held connections (peak 100)');
    expect(text).not.toContain(ESC);
  });

  it.each([
    ['closed before they were held: turned away, not established and lost', { connected: 600, lost: 100, heldLost: 0, held: 500 }, 0,
      'Requested 600  established 500  turned away 100  held at end 500  lost during hold 0  reconnects 0'],
    ['held, then closed: lost during the hold', { connected: 600, lost: 100, heldLost: 100, held: 500 }, 100,
      'Requested 600  established 600  held at end 500  lost during hold 100  reconnects 0'],
    ['both', { connected: 600, lost: 100, heldLost: 40, held: 500 }, 40,
      'Requested 600  established 540  turned away 60  held at end 500  lost during hold 40  reconnects 0'],
  ] as const)('the count line agrees with the counters: %s', (_name, c, lostDuringHold, line) => {
    const r = hold('held', { requestedConnections: 600, counters: counters({ ...c, reconnects: 0 }), lostDuringHold });
    expect(formatHoldSummary(r, { chart: false }).split('\n')).toContain(line);
  });

  it('leaves the chart out when asked', () => {
    const text = formatHoldSummary(hold('held'), { chart: false });
    expect(text.split('\n')[0]).toBe('Held: 100 of 100 connections held at the end (peak 100)');
    expect(text).not.toContain('Held connections');
  });

  it.each([
    ['all-closed', 'All closed: the server closed every connection (peak 100 of 100)'],
    ['timed-out', 'Timed out: 100 of 100 connections held when --max-duration ran out (peak 100)'],
    ['interrupted', 'Interrupted: 100 of 100 connections held (peak 100)'],
  ] as const)('%s first line', (kind, first) => {
    expect(formatHoldSummary(hold(kind)).split('\n')[0]).toBe(first);
  });

  it('client-limited and unreachable', () => {
    const fd = failure('fd-limit', { code: 'EMFILE' });
    const limited = formatHoldSummary(
      hold('client-limited', { failures: [{ class: 'fd-limit', count: 3, first: fd }], firstFailure: fd }),
    );
    expect(limited.split('\n')[0]).toBe('INCONCLUSIVE: limited by this machine (fd-limit): 100 of 100 connections held (peak 100)');
    expect(limited).toContain('Advice: raise the open-files limit');
    const unreachable = formatHoldSummary(hold('unreachable', { maxConcurrency: 0, timeline: [], allEstablishedAtMs: null }));
    expect(unreachable.split('\n')[0]).toBe('Target unreachable: no connection to localhost:8080 could be established');
    expect(unreachable).toContain('All 100 established: never');
  });

  it('an assertion reads forwards: the count, of what was asked, within the window, and how many short', () => {
    const a = {
      name: 'established-within' as const,
      passed: false,
      expected: '2,100 established within 1s and open for --settle',
      actual: '2,052 of 2,100 established within 1s (48 short)',
    };
    expect(formatAssertion(a)).toBe('FAIL established-within: 2,052 of 2,100 established within 1s (48 short)');
  });
});

// ---- live status -----------------------------------------------------------------------------------------------

describe('live status', () => {
  const snap = (over: Partial<LiveSnapshot> = {}): LiveSnapshot => ({
    elapsedMs: 3000,
    counters: counters({
      requested: 700,
      queued: 48,
      connecting: 12,
      established: 40,
      held: 600,
      failed: 2,
      reconnects: 1,
      failuresByClass: { 'closed-by-peer': 2 },
    }),
    connectP50Ms: 0.21,
    connectP99Ms: 1.1,
    phase: 'ramp 500/s',
    ...over,
  });

  it('one status line', () => {
    expect(formatStatusLine(snap())).toBe(
      '[  3.0s] ramp 500/s  held 600  est 40  connecting 12  queued 48  failed 2  closed-by-peer 2  reconnects 1  ' +
        'connect p50 0.21ms p99 1.1ms',
    );
    expect(formatStatusLine(snap({ phase: undefined, connectP50Ms: null, connectP99Ms: null }))).toMatch(
      /^\[ {2}3\.0s\] {2}held 600 .* connect p50 - p99 -$/,
    );
  });

  it('a block with a progress bar that fits the width', () => {
    const block = formatStatusBlock(snap({ target: 1000 }), 60);
    const lines = block.split('\n');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(60);
    expect(lines[0]).toBe('ramp 500/s  elapsed 3.0s');
    expect(lines[1]).toMatch(/^\[#+\++\.+\] 640\/1,000 \(64%\)$/);
    expect(block).toContain('not started 348');
    expect(block).toContain('established 640 (held 600)');
    expect(block).toContain('closed by peer 2');
    expect(block).toContain('connect p50 0.21ms  p99 1.1ms');
    expect(block).not.toContain(ESC);
  });

  it('a block without a target has no bar', () => {
    const block = formatStatusBlock(snap());
    expect(block).not.toContain('[');
    expect(block).toContain('not started 48');
  });

  it('progress bar proportions', () => {
    expect(progressBar(5, 5, 10, 30)).toBe('[########.........] 5/10 (50%)');
    expect(progressBar(5, 5, 10, 30)).toHaveLength(30);
    expect(progressBar(10, 10, 10, 30)).toBe('[###############] 10/10 (100%)');
    expect(progressBar(6, 3, 10, 33)).toBe('[######++++++........] 6/10 (60%)');
    expect(progressBar(0, 0, 0, 5)).toMatch(/^\[\.{10}\] 0\/0 \(0%\)$/);
  });

  it('connection event lines', () => {
    expect(formatConnEvent({ kind: 'established', connId: 3, atMs: 5, connectMs: 0.4 })).toBe(
      'conn 3 established in 0.4ms',
    );
    expect(formatConnEvent({ kind: 'held', connId: 3, atMs: 5 })).toBe('conn 3 held');
    expect(
      formatConnEvent({
        kind: 'failed',
        connId: 2,
        atMs: 12_500,
        failure: failure('closed-by-peer', { phase: 'held', afterConnectMs: 12_100, serverSaid: 'too many\\r\\n' }),
      }),
    ).toBe('conn 2 closed by peer after 12.1s, server said "too many\\r\\n"');
    expect(
      formatConnEvent({
        kind: 'failed',
        connId: 5,
        atMs: 1,
        failure: failure('refused', { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' }),
      }),
    ).toBe('conn 5 failed: refused (ECONNREFUSED)');
    expect(
      formatConnEvent({
        kind: 'failed',
        connId: 6,
        atMs: 1,
        failure: failure('timeout', { message: 'no connect within 5s' }),
      }),
    ).toBe('conn 6 failed: timeout: no connect within 5s');
  });
});
