/**
 * The ramp executor in-process: executeRamp with a LocalDriver against the built-in target on loopback, to cover each
 * way a ramp ends (failure of each class, plateau, --max, --max-duration, unreachable, abort) fast and without
 * spawning processes. Assertions are on counts, classes and ordering; time bounds are generous.
 */
import { describe, expect, it } from 'vitest';
import { executeRamp, type RampSettings } from '../../src/controller/ramp.js';
import { rampResult } from '../../src/run/result.js';
import { LocalDriver } from '../../src/drivers/local-driver.js';
import type { PoolConfig } from '../../src/types/pool-config.js';
import type { RampResult } from '../../src/metrics/result.js';
import type { TargetServer, TargetServerOptions } from '../../src/server/target-server.js';
import { startTarget } from '../helpers/target.js';
import { startServe } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { engineFor, targetInfoFor } from '../helpers/engine.js';
import { NEEDS_SS, peakOf, sampleServerCount } from '../helpers/kernel-count.js';
import { itNeeding } from '../helpers/needs.js';

const CAP = 200;
const OVER_LIMIT_MESSAGE = '-ERR max number of clients reached\r\n';

const SETTINGS: RampSettings = {
  stage: { kind: 'rate', ratePerSec: 1000 },
  adaptive: null,
  clientReach: null,
  reconnect: false,
  max: null,
  maxDurationMs: 15_000,
  plateauMs: 3000,
  holdMs: 200,
  until: 'confirm',
  confirm: false,
  connectTimeoutMs: 2000,
  // Longer than the default 100 ms: on a loaded machine the event loop can stall past 100 ms between a connect
  // and the server's close of an over-limit connection, and that connection would count as held (cap + 1).
  settleMs: 300,
  expectTimeoutMs: null,
  assertCapacity: null,
};

async function ramp(
  port: number,
  settings: Partial<RampSettings> = {},
  engine: Partial<PoolConfig> = {},
  signal?: AbortSignal,
): Promise<RampResult> {
  const s = { ...SETTINGS, ...settings };
  const driver = new LocalDriver(engineFor(port, { connectTimeoutMs: s.connectTimeoutMs, settleMs: s.settleMs, ...engine }));
  try {
    return rampResult(await executeRamp(s, driver, signal === undefined ? {} : { signal }), { target: targetInfoFor(port), driver });
  } finally {
    await driver.close();
  }
}

/** Wait until the server has seen every connection go (the client closes with RST, which arrives asynchronously). */
async function serverDrained(server: TargetServer, timeoutMs = 5000): Promise<number> {
  const until = Date.now() + timeoutMs;
  while (server.stats().open > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  return server.stats().open;
}

/**
 * What every finished ramp must satisfy, whatever the verdict. The server's own count is the check on the
 * client's: every connection held at once was open on the server at once, so the ramp's max is at most the
 * server's peak, plus what the kernel alone held for a deaf server (`kernelHeld`: accept queue, 'ignore' mode).
 */
function expectConsistent(r: RampResult, server: TargetServer, kernelHeld = 0): void {
  expect(r.schema).toBe('tcpprobe/result');
  expect(r.schemaVersion).toBe(1);
  expect(r.kind).toBe('ramp');
  expect(r.timeline.length).toBeGreaterThan(1);
  for (let i = 1; i < r.timeline.length; i++) {
    const [prev, cur] = [r.timeline[i - 1]!, r.timeline[i]!];
    expect(cur.tMs).toBeGreaterThanOrEqual(prev.tMs);
    // Cumulative counts never go down.
    expect(cur.attempted).toBeGreaterThanOrEqual(prev.attempted);
    expect(cur.failed).toBeGreaterThanOrEqual(prev.failed);
  }
  for (const s of r.timeline) expect(s.held).toBeLessThanOrEqual(r.maxConcurrency);
  if (r.heldAtFirstFailure !== null) expect(r.heldAtFirstFailure).toBeLessThanOrEqual(r.maxConcurrency);
  expect(r.maxConcurrency).toBeGreaterThan(0);
  expect(r.maxConcurrency).toBeLessThanOrEqual(server.stats().peakOpen + kernelHeld);
  // The counters are the last sample before closing: what was held at the end of the hold.
  expect(r.counters.held).toBeLessThanOrEqual(r.maxConcurrency);
}

describe('executeRamp against the built-in target: each over-limit mode ends the run with the right verdict', () => {
  const cases: { mode: TargetServerOptions['overLimit']; classes: string[] }[] = [
    { mode: 'close', classes: ['closed-by-peer'] },
    { mode: 'reset', classes: ['reset'] },
    { mode: 'refuse', classes: ['refused', 'reset'] },
  ];
  for (const { mode, classes } of cases) {
    it(`${mode}: limit-by-failure at exactly the cap, class ${classes.join(' or ')}, server left empty`, async () => {
      const server = await startTarget({
        maxConns: CAP,
        overLimit: mode,
        overLimitMessage: mode === 'close' ? OVER_LIMIT_MESSAGE : null,
      });
      const r = await ramp(server.port);
      expectConsistent(r, server);
      expect(r.verdict.kind).toBe('limit-by-failure');
      expect(r.verdict.lowerBound).toBe(false);
      expect(r.maxConcurrency).toBe(CAP);
      expect(r.firstFailure).not.toBeNull();
      expect(classes).toContain(r.firstFailure!.class);
      expect(r.heldAtFirstFailure).not.toBeNull();
      if (mode === 'close') expect(r.firstFailure!.serverSaid).toContain('-ERR max number of clients reached');
      // The default (--until confirm) tried again at a low rate and says so.
      expect(r.verdict.summary).toMatch(/went on failing at a low rate/);
      // Failures come after the first successes: connections were open (settling or held) before any failed.
      const firstFailed = r.timeline.find((s) => s.failed > 0);
      expect(firstFailed).toBeDefined();
      expect(r.timeline.some((s) => s.held + s.established > 0 && s.tMs <= firstFailed!.tMs)).toBe(true);
      expect(await serverDrained(server)).toBe(0);
      expect(server.stats().peakOpen).toBe(CAP);
    });
  }

  it('evict: the low-rate confirmation sees held connections closed as new ones come: evicting, at most the cap open', async () => {
    const server = await startTarget({ maxConns: CAP, overLimit: 'evict' });
    const r = await ramp(server.port);
    expectConsistent(r, server);
    expect(r.verdict.kind).toBe('evicting');
    expect(r.maxConcurrency).toBe(CAP);
    expect(r.eviction?.maxOpen).toBe(CAP);
    expect(r.firstFailure?.class).toBe('closed-by-peer');
    expect(await serverDrained(server)).toBe(0);
    expect(server.stats().peakOpen).toBe(CAP);
  });

  itNeeding([NEEDS_SS], 'ignore with a connect timeout longer than the plateau: limit-by-plateau at what the server\'s kernel holds', async () => {
    const server = await startTarget({ maxConns: CAP, overLimit: 'ignore', backlog: 10 });
    const kernel = sampleServerCount(server.port);
    // Connects past the accept queue hang (SYNs dropped); a large in-flight cap lets attempts go on meanwhile,
    // which is what a plateau needs (with the default 256 the opener saturates and attempts stop growing).
    const r = await ramp(
      server.port,
      { stage: { kind: 'rate', ratePerSec: 500 }, connectTimeoutMs: 2500, plateauMs: 500, maxDurationMs: 12_000 },
      { maxInflight: 5000 },
    );
    // The server accepted its cap and stopped; the kernel completed more into its accept queue (on Linux
    // backlog + 1). Nothing server-side closes before the probe does: the most the samples saw is what it held.
    const truth = peakOf(await kernel.stop()).total;
    expect(truth).toBeGreaterThan(server.stats().peakOpen);
    expectConsistent(r, server, truth - server.stats().peakOpen);
    expect(r.verdict.kind).toBe('limit-by-plateau');
    expect(r.maxConcurrency).toBe(truth);
    // A plateau is not a failure: nothing had failed when the run stopped growing.
    expect(r.heldAtFirstFailure).toBeNull();
  });
});

describe('executeRamp: the other ways a ramp ends', () => {
  it('max below the cap: max-reached, exactly max held, no failure, a lower bound', async () => {
    const server = await startTarget({ maxConns: 500, overLimit: 'close' });
    const r = await ramp(server.port, { max: 150 });
    expectConsistent(r, server);
    expect(r.verdict.kind).toBe('max-reached');
    expect(r.verdict.lowerBound).toBe(true);
    expect(r.maxConcurrency).toBe(150);
    expect(r.counters.attempted).toBe(150);
    expect(r.firstFailure).toBeNull();
    expect(r.heldAtFirstFailure).toBeNull();
    expect(await serverDrained(server)).toBe(0);
  });

  it('no cap and a slow rate: timed-out within max-duration (plus a margin), a lower bound', async () => {
    const server = await startTarget({});
    const started = Date.now();
    const r = await ramp(server.port, { stage: { kind: 'rate', ratePerSec: 20 }, maxDurationMs: 1000, holdMs: 200 });
    expect(Date.now() - started).toBeLessThan(1000 + 3000);
    expectConsistent(r, server);
    expect(r.verdict.kind).toBe('timed-out');
    expect(r.verdict.lowerBound).toBe(true);
    expect(r.maxConcurrency).toBeGreaterThan(0);
    expect(r.maxConcurrency).toBeLessThanOrEqual(20 + 1);
    expect(r.firstFailure).toBeNull();
    // The executor keeps the bound itself (hold included); the margin is for a late last tick.
    expect(r.durationMs).toBeLessThan(1000 + 1000);
  });

  it('nothing listening: unreachable, class refused', async () => {
    const port = await freePort();
    const r = await ramp(port, { maxDurationMs: 5000 });
    expect(r.verdict.kind).toBe('unreachable');
    expect(r.maxConcurrency).toBe(0);
    expect(r.firstFailure?.class).toBe('refused');
    expect(r.counters.connected).toBe(0);
  });

  it('until first-failure: stops at the first failure without the low-rate confirmation', async () => {
    const server = await startTarget({ maxConns: CAP, overLimit: 'close' });
    const r = await ramp(server.port, { until: 'first-failure' });
    expectConsistent(r, server);
    expect(r.verdict.kind).toBe('limit-by-failure');
    expect(r.verdict.summary).toMatch(/^Stopped when connects began to fail with /);
    expect(r.verdict.summary).toMatch(/\(not confirmed at a low rate\)\.$/);
    expect(r.maxConcurrency).toBe(CAP);
    // (The default confirms and says "went on failing at a low rate": see the mode tests above.)
  });

  it('stops starting connects at the first failure, not at its next tick: after it, only what was in flight', async () => {
    const serve = await startServe(['--max-conns', String(CAP), '--over-limit', 'close']);
    // 100,000/s asked, 16 in flight: a 20 ms tick queues 2,000, and the opener starts them as fast as they complete.
    let startedAtFirstFailure: number | null = null;
    const driver: LocalDriver = new LocalDriver(engineFor(serve.port, { settleMs: SETTINGS.settleMs, maxInflight: 16 }), (e) => {
      if (e.kind === 'failed' && startedAtFirstFailure === null) startedAtFirstFailure = driver.counters().attempted;
    });
    try {
      const settings = { ...SETTINGS, stage: { kind: 'rate', ratePerSec: 100_000 }, until: 'first-failure' } as const;
      const r = rampResult(await executeRamp(settings, driver), { target: targetInfoFor(serve.port), driver });
      expect(r.maxConcurrency).toBe(CAP);
      expect(startedAtFirstFailure).not.toBeNull();
      // The ones in flight when it came, and what a batch of completions under way had already started.
      expect(r.counters.attempted - (startedAtFirstFailure ?? 0)).toBeLessThanOrEqual(2 * 16);
    } finally {
      await driver.close();
      await serve.stop();
    }
  });

  it('an abort mid-ramp: interrupted, a lower bound, everything closed', async () => {
    const server = await startTarget({});
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 600);
    const r = await ramp(server.port, { stage: { kind: 'rate', ratePerSec: 200 }, maxDurationMs: 20_000 }, {}, ac.signal);
    expect(r.verdict.kind).toBe('interrupted');
    expect(r.verdict.lowerBound).toBe(true);
    expect(r.durationMs).toBeLessThan(10_000);
    expect(await serverDrained(server)).toBe(0);
  });
});

describe('executeRamp: settle is wall time, not event order', () => {
  // Regression: promotion to "held" runs in a timer; after the prober's event loop stalled past --settle, the timer
  // ran before the I/O already waiting, so a connection the server had closed (its FIN in the socket) was counted
  // as held first and the ramp reported cap + 1. The engine now promotes at the sweep after a connection came due,
  // with an I/O poll in between. A 250 ms busy stall right after the first over-limit connect made it deterministic.
  it('a prober stall right after an over-limit connect does not make it count as held', async () => {
    const serve = await startServe(['--max-conns', '50', '--over-limit', 'close']);
    let established = 0;
    const driver = new LocalDriver(engineFor(serve.port, { settleMs: 100 }), (e) => {
      if (e.kind !== 'established' || ++established !== 51) return;
      const until = Date.now() + 250;
      while (Date.now() < until) {
        // a busy stall, as a loaded machine or a GC pause would cause
      }
    });
    const r = rampResult(
      await executeRamp({ ...SETTINGS, settleMs: 100, until: 'first-failure', stage: { kind: 'rate', ratePerSec: 200 } }, driver),
      { target: targetInfoFor(serve.port), driver },
    );
    await driver.close();
    expect(r.verdict.kind).toBe('limit-by-failure');
    expect(r.maxConcurrency).toBe(50);
  });
});

/** A loopback port with nothing listening: bind port 0, read it, close. */
