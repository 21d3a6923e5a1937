/**
 * Summary words that must agree with each other and with the counters, from real runs of the built binary against
 * `tcpprobe serve` children on loopback (every run bounded): the limit's class in the headline and in the verdict
 * sentence, the rate line beside a run with no failure, a hold's counts at a server's cap, an interrupted audit.
 */
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/metrics/exit-codes.js';
import type { RampResult } from '../../src/metrics/result.js';
import { runCli, startServe } from '../helpers/cli.js';

function ramp(port: number, args: readonly string[]) {
  return runCli(['ramp', '--host', '127.0.0.1', '--port', String(port), '--json', ...args], { timeoutMs: 60_000 });
}

describe('ramp summary words', () => {
  it('a listener closed at its cap (reset, then refused): the headline and the verdict sentence name one class, the most frequent', async () => {
    const serve = await startServe(['--max-conns', '1000', '--over-limit', 'refuse']);
    const run = await ramp(serve.port, ['--max-duration', '20s']);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    const result = JSON.parse(run.stdout) as RampResult;
    expect(result.verdict.kind).toBe('limit-by-failure');
    const headline = /^Max concurrency: [\d,]+ connections \(limit found: ([a-z-]+) after/m.exec(run.stderr)?.[1];
    const sentence = /^Stopped: .*(?:failed with|fail with) ([a-z-]+)/m.exec(run.stderr)?.[1];
    expect(headline, run.stderr).toBeDefined();
    expect(sentence, run.stderr).toBe(headline);
    // The class named is the one the failures table has most of.
    const top = [...result.failures].sort((a, b) => b.count - a.count)[0]?.class;
    expect(headline).toBe(top);
  });

  it('a run with no failure: the rate line says so, and the document absorbed what it achieved, not 0/s', async () => {
    const serve = await startServe([]);
    const run = await ramp(serve.port, ['--max', '100', '--max-duration', '10s']);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    const result = JSON.parse(run.stdout) as RampResult;
    expect(result.verdict.kind).toBe('max-reached');
    expect(result.counters.failed).toBe(0);
    expect(result.rate.achievedPerSec).toBeGreaterThan(0);
    expect(result.rate.absorbedPerSec).toBe(result.rate.achievedPerSec);
    expect(run.stderr).toMatch(/^Rate: .*, no failure at any rate$/m);
    expect(run.stderr).not.toMatch(/absorbed without failure 0\/s/);
  });
});
