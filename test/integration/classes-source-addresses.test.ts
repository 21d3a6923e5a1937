/**
 * A loopback run past 30,000 connections: more than one source address has ports for (28,232) and more than one
 * process has descriptors for (about 19,900 under the 20,000 open-files limit), so it needs source addresses and
 * two ramp workers, and a target that holds more than one `serve` process can.
 *
 * Each case runs in a fresh network namespace (root; CI runs as root), so the 31,000 sockets, their ports and any
 * TIME_WAIT stay out of the other tests' way.
 */
import { describe, expect } from 'vitest';
import type { RampResult } from '../../src/metrics/result.js';
import { parseResult } from '../helpers/cli.js';
import { runInNetns } from '../helpers/netns.js';
import { itNeeding, need } from '../helpers/needs.js';

const MAX = 31_000;
/** --max-duration bounds each ramp; the script's own timeout is above it. Measured: about 10 s per case. */
const RAMP = `--max ${MAX} --rate 5000 --workers 2 --hold 1s --max-duration 50s --json`;

function expectPast30k(result: RampResult): void {
  expect(result.verdict.kind).toBe('max-reached');
  expect(result.maxConcurrency).toBe(MAX);
  expect(result.failures).toEqual([]);
  // Spread over several 127.x source addresses, which is what lets one machine get here.
  expect(result.sourceAddresses.length).toBeGreaterThan(1);
  expect(result.participants?.length).toBe(2);
}

describe('past 30,000 connections on loopback', () => {
  itNeeding([need.netns], 'two serve processes behind one name (private /etc/hosts), source addresses, two workers', { timeout: 90_000 }, async () => {
    // One serve process holds at most ~19,900 (its open-files limit), so two share the 31,000: big.test resolves
    // to both, and --spread-addresses alternates between them (15,500 each).
    const run = await runInNetns(
      String.raw`
      printf '127.0.0.1 localhost\n127.0.0.1 big.test\n127.0.0.3 big.test\n' | use_hosts
      start_bg a tcpprobe serve --host 127.0.0.1 --port 5555 -q
      start_bg b tcpprobe serve --host 127.0.0.3 --port 5555 -q
      wait_listening a
      wait_listening b
      tcpprobe ramp --host big.test --port 5555 --spread-addresses ${RAMP}
    `,
      { mountNamespace: true, timeoutMs: 80_000 },
    );
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    const result = parseResult<RampResult>(run);
    expectPast30k(result);
    expect(result.target.used.sort()).toEqual(['127.0.0.1', '127.0.0.3']);
  });

  // needs serve --workers: skipped until `tcpprobe serve --workers N` exists (src/cli/serve-command.ts).
  itNeeding([need.netns], 'one `serve --workers 2` target, source addresses, two workers', { timeout: 90_000 }, async () => {
    const run = await runInNetns(
      String.raw`
      start_bg serve tcpprobe serve --host 127.0.0.1 --port 5555 --workers 2 -q
      wait_listening serve
      tcpprobe ramp --host 127.0.0.1 --port 5555 ${RAMP}
    `,
      { timeoutMs: 80_000 },
    );
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    expectPast30k(parseResult<RampResult>(run));
  });
});
