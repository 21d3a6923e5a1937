/**
 * The hold executor in-process: executeHold with a LocalDriver against the built-in target on loopback. Covers each
 * way a hold ends (held for --duration, all closed by the server, --max-duration, unreachable, abort), reconnects
 * and the CI assertions, on counts and classes; time bounds are generous lower or upper bounds only.
 */
import { describe, expect, it } from 'vitest';
import { executeHold, type HoldSettings } from '../../src/controller/hold.js';
import { holdResult } from '../../src/run/result.js';
import { LocalDriver } from '../../src/drivers/local-driver.js';
import type { PoolConfig } from '../../src/types/pool-config.js';
import type { HoldResult } from '../../src/metrics/result.js';
import type { TargetServer } from '../../src/server/target-server.js';
import { startTarget } from '../helpers/target.js';
import { freePort } from '../helpers/ports.js';
import { engineFor, targetInfoFor } from '../helpers/engine.js';

const SETTINGS: HoldSettings = {
  connections: 30,
  delayMs: 0,
  durationMs: 1000,
  maxDurationMs: 20_000,
  assertEstablished: null,
  settleMs: 100,
  assertHeld: false,
};

async function hold(
  port: number,
  settings: Partial<HoldSettings> = {},
  engine: Partial<PoolConfig> = {},
  opts: { signal?: AbortSignal } = {},
): Promise<HoldResult> {
  const driver = new LocalDriver(engineFor(port, engine));
  const findings = await executeHold({ ...SETTINGS, ...settings }, driver, opts.signal === undefined ? {} : { signal: opts.signal });
  return holdResult(findings, { target: targetInfoFor(port), driver });
}

/** A LocalDriver that notes when each connection was started (performance.now()), in order. */
class StartRecordingDriver extends LocalDriver {
  readonly starts: number[] = [];
  override open(count: number): void {
    super.open(count);
    // The pool starts what fits under its in-flight cap at once, in this call.
    const now = performance.now();
    while (this.starts.length < this.pool.counters().attempted) this.starts.push(now);
  }
}

async function serverDrained(server: TargetServer, timeoutMs = 5000): Promise<number> {
  const until = Date.now() + timeoutMs;
  while (server.stats().open > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  return server.stats().open;
}

function expectMonotonic(r: HoldResult): void {
  for (let i = 1; i < r.timeline.length; i++) {
    const [prev, cur] = [r.timeline[i - 1]!, r.timeline[i]!];
    expect(cur.tMs).toBeGreaterThanOrEqual(prev.tMs);
    expect(cur.attempted).toBeGreaterThanOrEqual(prev.attempted);
    expect(cur.failed).toBeGreaterThanOrEqual(prev.failed);
  }
}

describe('executeHold: how a hold ends', () => {
  it('--duration: held, all N held, nothing lost, the server empty after close', async () => {
    const server = await startTarget({});
    const r = await hold(server.port, { connections: 30, durationMs: 800 });
    expect(r.kind).toBe('hold');
    expect(r.verdict.kind).toBe('held');
    expect(r.requestedConnections).toBe(30);
    expect(r.maxConcurrency).toBe(30);
    expect(r.counters.attempted).toBe(30);
    expect(r.lostDuringHold).toBe(0);
    expect(r.firstFailure).toBeNull();
    expect(r.allEstablishedAtMs).not.toBeNull();
    expect(r.durationMs).toBeGreaterThanOrEqual(800);
    expectMonotonic(r);
    expect(server.stats().peakOpen).toBe(30);
    expect(await serverDrained(server)).toBe(0);
  });

  it('--duration ends the hold when it is up, not at the tick after (a 20 ms tick here)', async () => {
    const server = await startTarget({});
    // --delay 1000 makes the tick 20 ms: ended at the first tick at or past 45 ms, a hold would take 60 ms or more.
    const r = await hold(server.port, { connections: 1, delayMs: 1000, durationMs: 45 });
    expect(r.verdict.kind).toBe('held');
    expect(r.durationMs).toBeGreaterThanOrEqual(45);
    expect(r.durationMs).toBeLessThan(58);
  });

  it('delay pacing: connection k starts no sooner than k x delay into the run, so the last >= (N-1) x delay in', async () => {
    const server = await startTarget({});
    const driver = new StartRecordingDriver(engineFor(server.port));
    const before = performance.now();
    const r = holdResult(await executeHold({ ...SETTINGS, connections: 20, delayMs: 50, durationMs: 1500 }, driver), {
      target: targetInfoFor(server.port),
      driver,
    });
    expect(r.verdict.kind).toBe('held');
    expect(r.maxConcurrency).toBe(20);
    expect(driver.starts).toHaveLength(20);
    // The run's clock starts after `before`; connection k falls due at k x 50 ms on it and is started when due (a
    // late tick starts it later, never sooner). Start times, not connect times: a connect seen late says nothing.
    const late = driver.starts.map((t, k) => t - before - k * 50);
    expect(late.every((ms) => ms >= 0), `ms past k x 50 at which each started: ${late.map(Math.round).join(' ')}`).toBe(true);
  });

  it('no --duration and a server that closes every connection: all-closed, every connection lost', async () => {
    const server = await startTarget({ closeAfterMs: 300, greeting: 'hello\r\n' });
    const r = await hold(server.port, { connections: 20, durationMs: null, maxDurationMs: 15_000 });
    expect(r.verdict.kind).toBe('all-closed');
    expect(r.maxConcurrency).toBe(20);
    expect(r.lostDuringHold).toBe(20);
    expect(r.counters.failuresByClass['closed-by-peer']).toBe(20);
    expect(r.firstFailure?.class).toBe('closed-by-peer');
    expect(r.firstFailure?.serverSaid).toContain('hello');
    expect(r.durationMs).toBeLessThan(10_000);
  });

  it('no --duration and a server that never closes: timed-out at --max-duration', async () => {
    const server = await startTarget({});
    const r = await hold(server.port, { connections: 10, durationMs: null, maxDurationMs: 700 });
    expect(r.verdict.kind).toBe('timed-out');
    expect(r.maxConcurrency).toBe(10);
    expect(r.durationMs).toBeGreaterThanOrEqual(700);
    expect(r.durationMs).toBeLessThan(700 + 3000);
    expect(await serverDrained(server)).toBe(0);
  });

  it('nothing listening: unreachable', async () => {
    const port = await freePort();
    const r = await hold(port, { connections: 5, durationMs: 2000 });
    expect(r.verdict.kind).toBe('unreachable');
    expect(r.maxConcurrency).toBe(0);
    expect(r.firstFailure?.class).toBe('refused');
  });

  it('an abort mid-hold: interrupted, what was open is closed', async () => {
    const server = await startTarget({});
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 500);
    const r = await hold(server.port, { connections: 20, durationMs: 20_000 }, {}, { signal: ac.signal });
    expect(r.verdict.kind).toBe('interrupted');
    expect(r.maxConcurrency).toBe(20);
    expect(r.durationMs).toBeLessThan(10_000);
    expect(await serverDrained(server)).toBe(0);
  });
});

describe('executeHold: reconnect', () => {
  it('reopens what the server closes: reconnects counted, most of N open through the late part of the run', async () => {
    const N = 50;
    const server = await startTarget({ closeAfterMs: 300 });
    const r = await hold(server.port, { connections: N, durationMs: 2000 }, { reconnect: true, reconnectDelayMs: 20 });
    const trace = r.timeline.map((s) => `${s.tMs}:${s.held}/${s.established}/${s.connecting}`).join(' ');
    expect(r.verdict.kind, trace).toBe('held');
    expect(r.counters.reconnects, trace).toBeGreaterThan(N);
    expect(r.lostDuringHold, trace).toBeGreaterThan(N);
    const late = r.timeline.filter((s) => s.tMs >= 1000 && s.tMs <= 1900);
    expect(late.length).toBeGreaterThan(3);
    // Open = held + established (settling): each connection is down only for the reconnect delay and a connect.
    // All N were opened together, so they close together every ~330 ms: a sample that lands in that gap (the
    // delay plus a sweep, longer on a loaded machine) sees few open. Most samples, not nearly all, must see N;
    // without reconnect none does (the next test).
    const nearN = late.filter((s) => s.held + s.established >= 0.8 * N);
    const summary = late.map((s) => s.held + s.established).join(' ');
    expect(nearN.length / late.length, `open in late samples: ${summary}`).toBeGreaterThan(0.5);
    // The engine never opens more than N at once.
    for (const s of r.timeline) expect(s.held + s.established + s.connecting, trace).toBeLessThanOrEqual(N);
  });

  it('without reconnect the same server leaves nothing open late in the run', async () => {
    const server = await startTarget({ closeAfterMs: 300 });
    const r = await hold(server.port, { connections: 20, durationMs: 1000 });
    expect(r.verdict.kind).toBe('held');
    expect(r.counters.reconnects).toBe(0);
    expect(r.lostDuringHold).toBe(20);
    const last = r.timeline.at(-1)!;
    expect(last.held + last.established).toBe(0);
  });
});

describe('executeHold: assertions', () => {
  it('established-within passes when all connect in time', async () => {
    const server = await startTarget({});
    const r = await hold(server.port, { connections: 30, durationMs: 600, assertEstablished: { count: 30, withinMs: 2000 } });
    expect(r.assertions).toHaveLength(1);
    expect(r.assertions[0]).toMatchObject({ name: 'established-within', passed: true });
    expect(r.establishedWithinMs).toEqual({ withinMs: 2000, established: 30 });
  });

  it('established-within fails by the shortfall when the server refuses past its cap', async () => {
    const server = await startTarget({ maxConns: 10, overLimit: 'refuse' });
    // With a delay between connects the listener is usually closed when the 11th arrives, so it is refused; one a
    // late tick started in the same turn as the 10th is in the accept queue when the listener closes, and reset.
    // Neither stays open for --settle. The window is wide: 10 connections need about 0.1 s and --settle, and a
    // loaded machine must not make them miss it; past the cap nothing ever gets in, however long it is.
    const r = await hold(server.port, {
      connections: 30,
      delayMs: 10,
      durationMs: 3000,
      assertEstablished: { count: 30, withinMs: 2500 },
    });
    const a = r.assertions.find((x) => x.name === 'established-within')!;
    expect(a.passed).toBe(false);
    // What the server held is the truth: it never went past its cap, and every one of those was counted.
    expect(server.stats().peakOpen).toBe(10);
    expect(r.establishedWithinMs!.established).toBe(server.stats().peakOpen);
    expect(a.actual).toContain('20 short');
  });

  it('established-within counts only connections that stayed open for --settle, not ones closed at once', async () => {
    // The server accepts all 200 and closes every one past its 100th at once: only 100 were ever open in the sense
    // a CI job means. It shares this process's event loop, so "at once" is an event-loop turn or two after the
    // connect: --settle 300 ms (as in ramp-engine.test.ts), so a loaded machine's stall of more than the default
    // 100 ms between the two does not count a closed connection as held. A wide window, for the 100 to be held in.
    const server = await startTarget({ maxConns: 100, overLimit: 'close' });
    const r = await hold(
      server.port,
      { connections: 200, delayMs: 0, durationMs: 2500, settleMs: 300, assertEstablished: { count: 200, withinMs: 2000 } },
      { settleMs: 300 },
    );
    const a = r.assertions.find((x) => x.name === 'established-within')!;
    expect(a.passed).toBe(false);
    expect(r.establishedWithinMs!.established).toBe(100);
    expect(a.actual).toContain('100 short');
  });

  it('held passes on a quiet server and fails when the server closes connections', async () => {
    const quiet = await startTarget({});
    const ok = await hold(quiet.port, { connections: 20, durationMs: 600, assertHeld: true });
    expect(ok.assertions).toEqual([expect.objectContaining({ name: 'held', passed: true })]);

    const closing = await startTarget({ closeAfterMs: 200 });
    const bad = await hold(closing.port, { connections: 20, durationMs: 800, assertHeld: true });
    const a = bad.assertions.find((x) => x.name === 'held')!;
    expect(a.passed).toBe(false);
    expect(a.actual).toMatch(/^20 lost/);
  });
});

