/**
 * `tcpprobe ramp --confirm` from the built binary against `tcpprobe serve` with a cap on loopback: the found edge
 * confirmed at the cap (close and refuse modes), not confirmed when a second client takes slots between the search
 * and the confirmation (its truth: the slots that client holds), and skipped when it does not fit --max-duration.
 * Caps are small; every run is bounded by --max-duration; assertions are on counts and classes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import type { RampResult } from '../../src/metrics/result.js';
import { parseResult, runCli, startServe, type CliRun } from '../helpers/cli.js';
import { expectValidDocument } from '../helpers/schema-validator.js';
import { connect, type Client } from '../helpers/test-clients.js';

const CAP = 300;
/** --settle above the default: on a loaded two-core machine serve can stall before closing an over-limit connection. */
const BOUNDS = ['--max-duration', '20s', '--hold', '500ms', '--settle', '300ms'];

const tmp = mkdtempSync(join(tmpdir(), 'tcpprobe-confirm-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function ramp(port: number, args: readonly string[]): Promise<CliRun> {
  return runCli(['ramp', '--host', '127.0.0.1', '--port', String(port), '-q', '--confirm', ...args], { timeoutMs: 40_000 });
}

function result(run: CliRun): RampResult {
  const r = parseResult<RampResult>(run);
  expectValidDocument('result.schema.json', r);
  return r;
}

/**
 * A second client that takes `slots` of the server once they come free after it was full: it probes every 20 ms
 * and lets each probe go (RST) until it has seen the server turn one away; from then on, the first probe the
 * server keeps means our ramp released its connections, and it takes the rest at once, then stops trying.
 */
function slotTaker(port: number, slots: number, untilMs: number) {
  const kept: Client[] = [];
  let full = false;
  let done = false;
  const run = (async () => {
    const deadline = Date.now() + untilMs;
    while (!done && Date.now() < deadline) {
      const probe = connect(port);
      await sleep(60);
      const turnedAway = probe.ended || probe.errorCode !== null || !probe.connected;
      if (turnedAway) {
        full = true;
        probe.socket.destroy();
      } else if (!full) {
        probe.socket.resetAndDestroy();
      } else {
        kept.push(probe, ...Array.from({ length: slots - 1 }, () => connect(port)));
        done = true;
      }
      await sleep(20);
    }
  })();
  return {
    run,
    stop: () => (done = true),
    /** Its connections the server still holds. */
    held: () => kept.filter((c) => c.connected && !c.ended && c.errorCode === null && !c.socket.destroyed).length,
  };
}

/** Connections this machine has established to `port` (the clients' side, from /proc/net/tcp: state 01). */
function establishedTo(port: number): number {
  const remote = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .filter((line) => {
      const f = line.trim().split(/\s+/);
      return f[2]?.endsWith(remote) === true && f[3] === '01';
    }).length;
}

/** Poll `done` every 10 ms until it holds or `timeoutMs` passed. */
async function until(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await sleep(10);
}

describe('ramp --confirm', () => {
  it.each(['close', 'refuse'])('confirms the cap of serve --over-limit %s: the found count held again, one more failed', async (mode) => {
    const serve = await startServe(['--max-conns', String(CAP), '--over-limit', mode]);
    const out = join(tmp, `confirmed-${mode}.json`);
    const run = await ramp(serve.port, [...BOUNDS, '--out', out]);
    const r = parseResult<RampResult>({ ...run, stdout: readFileSync(out, 'utf8') });
    expectValidDocument('result.schema.json', r);
    expect(r.verdict.kind).toBe('limit-by-failure');
    expect(r.maxConcurrency).toBeGreaterThanOrEqual(CAP - 3);
    expect(r.durationMs).toBeLessThanOrEqual(20_000 + 1000);
    const c = r.confirmation!;
    expect(c.durationMs).toBeGreaterThan(0);
    if (r.maxConcurrency > CAP) {
      // The search counted one too many (seen 1 run in 5 with refuse on 2026-12-06, open: docs/accuracy.md): the
      // confirmation is what catches it: the found count is not held again, and what is held is the server's.
      expect(r.maxConcurrency).toBe(CAP + 1);
      expect(c).toMatchObject({ ran: true, confirmed: false, asked: r.maxConcurrency });
      expect(c.held).toBeLessThanOrEqual(CAP);
      return;
    }
    expect(c).toMatchObject({ ran: true, stoppedBy: null, confirmed: true, asked: r.maxConcurrency, held: r.maxConcurrency });
    expect(c.oneMore?.failed).toBe(true);
    expect(['closed-by-peer', 'refused', 'timeout', 'reset']).toContain(c.oneMore?.failureClass);
    // The human summary (stdout without --json) says it in one sentence.
    expect(run.stdout).toMatch(new RegExp(`^Confirmed: ${r.maxConcurrency} held again at [\\d,]+/s for 500ms, and the ${r.maxConcurrency + 1}(st|nd|rd|th) failed \\(`, 'm'));
  }, 60_000);

  it('does not confirm when a second client took slots between the search and the confirmation', async () => {
    const serve = await startServe(['--max-conns', String(CAP), '--over-limit', 'close']);
    const running = ramp(serve.port, [...BOUNDS, '--json']);
    // Once the search holds the cap: a probe of the taker's held while the ramp filled the server would leave the
    // ramp one short and the taker one free slot, seen free for good (the ramp fills 300 in about 20 ms now).
    await until(() => establishedTo(serve.port) >= CAP, 15_000);
    const taker = slotTaker(serve.port, 30, 30_000);
    const run = await running;
    taker.stop();
    await taker.run;
    const r = result(run);
    const c = r.confirmation!;
    const takenByOther = taker.held();
    expect(takenByOther, 'the second client took slots').toBeGreaterThan(0);
    expect(c.ran).toBe(true);
    expect(c.confirmed).toBe(false);
    expect(c.held).toBeLessThan(c.asked);
    // The truth: the cap less what the other client holds (measured), within a few.
    expect(c.held! + takenByOther).toBeGreaterThanOrEqual(CAP - 3);
    expect(c.held! + takenByOther).toBeLessThanOrEqual(CAP);
    expect(c.oneMore).toBeNull();
  }, 60_000);

  it('skips the confirmation, with its reason, when it does not fit --max-duration', async () => {
    const serve = await startServe(['--max-conns', String(CAP), '--over-limit', 'close']);
    const run = await ramp(serve.port, ['--max-duration', '4s', '--hold', '1s', '--settle', '300ms', '--json']);
    const r = result(run);
    expect(r.verdict.kind).toBe('limit-by-failure');
    expect(r.confirmation).toMatchObject({ ran: false, stoppedBy: 'does-not-fit', confirmed: false, held: null, durationMs: 0 });
    expect(r.confirmation!.neededMs).toBeGreaterThan(4000 - r.durationMs);
    expect(r.durationMs).toBeLessThanOrEqual(4000 + 500);
  }, 60_000);

  it('says why it did not run after a verdict that found no limit (max-reached)', async () => {
    const serve = await startServe(['--max-conns', String(CAP), '--over-limit', 'close']);
    const r = result(await ramp(serve.port, [...BOUNDS, '--max', '50', '--json']));
    expect(r.verdict.kind).toBe('max-reached');
    expect(r.confirmation).toMatchObject({ ran: false, stoppedBy: 'not-a-found-limit', held: null });
  }, 60_000);
});
