/**
 * Under a low open-files limit the ramp adds worker processes, and the connections near the server's cap live in
 * them: the handshake audit and the late-denial rule must cover those too. The truth is the server's own: the most
 * connections `serve` kept open at once (its status line's `peak`), and the kernel's count of its ESTABLISHED
 * connections read with `ss` at the end of the hold.
 */
import { afterEach, expect } from 'vitest';
import { parseResult, runCli, startServe, type ServeChild } from '../helpers/cli.js';
import { NEEDS_SS, sampleServerCount } from '../helpers/kernel-count.js';
import { describeNeeding, itNeeding, need } from '../helpers/needs.js';
import type { RampResult } from '../../src/metrics/result.js';

const CAP = 3000;

/** The latest `peak` of serve's status line (printed every second). */
function peakOf(serve: ServeChild): number | null {
  const last = [...serve.stderr().matchAll(/peak ([\d,]+)/g)].at(-1)?.[1];
  return last === undefined ? null : Number(last.replaceAll(',', ''));
}

let serve: ServeChild | null = null;
afterEach(async () => {
  await serve?.stop();
  serve = null;
});

describeNeeding([NEEDS_SS], 'ramp under ulimit -n 600: worker processes hold the connections near the cap', () => {
  const cases: [string, string[]][] = [
    // Silent: a connection the server completes at its first SYN-ACK resend and then denies is closed about 1 s
    // after it was established; the native core reads the resend from TCP_INFO at the close (engine/pool-tally.ts).
    ['closes silently', []],
    // In words, as redis, memcached and PostgreSQL refuse: a held connection closed right after the server's first
    // bytes is a late refusal in whichever process holds it, and the count is the server's.
    ['says why first', ['--over-limit-message', 'ERR max number of clients reached\r\n']],
  ];
  for (const [how, extra] of cases) {
    itNeeding([need.nativeCore], `audits every process's connections against serve --max-conns ${CAP} --over-limit close that ${how}`, { timeout: 120_000 }, async () => {
      serve = await startServe(['--max-conns', String(CAP), '--over-limit', 'close', ...extra], '127.0.0.1', { statusLines: true });
      const port = serve.port;
      // The server's count, sampled while the ramp runs; the last one taken before the probe closes is the end of the hold.
      const sampler = sampleServerCount(port, { intervalMs: 200 });
      const run = await runCli(['ramp', '--host', '127.0.0.1', '--port', String(port), '--max-duration', '60s', '--json', '-q'], {
        shellPrefix: 'ulimit -n 600;',
        timeoutMs: 90_000,
      });
      const seen = (await sampler.stop()).map((s) => s.total);
      // Serve prints its stats every second: let one more line come.
      await new Promise((r) => setTimeout(r, 1200));
      const result = parseResult<RampResult>(run);
      const truth = peakOf(serve) ?? -1;
      const atHold = Math.max(...seen.filter((n) => n <= CAP));
      const said = `held ${result.counters.held}, peak ${result.counters.peakHeld}, heldLost ${result.counters.heldLost}, early ${result.counters.heldLostEarly}, audit ${JSON.stringify(result.handshakeAudit)}`;
      expect(result.participants?.length ?? 0, 'worker processes were added').toBeGreaterThan(1);
      expect(truth).toBe(CAP);
      expect(atHold).toBe(truth);
      expect(result.handshakeAudit?.ran).toBe(true);
      // Every process's held connections were checked, not only the main process's share (the ones it took back
      // as never completed were held when it checked).
      expect(result.handshakeAudit?.checked).toBe(result.counters.held + (result.handshakeAudit?.neverCompleted ?? 0));
      expect(result.maxConcurrency, said).toBe(truth);
      expect(result.verdict.kind).toBe('limit-by-failure');
      expect(run.code, run.stderr.slice(-2000)).toBe(0);
    });
  }
});
