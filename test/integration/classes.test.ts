/**
 * One real-socket test per server-side failure signature: the built CLI ramps against `tcpprobe serve` children
 * (or against nothing), and the result must name the right class and verdict. Each case gets a fresh server: a
 * server at its cap keeps the state the previous run left (an 'ignore' server stays deaf for good).
 */
import net from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { FailureClass } from '../../src/types/failure-class.js';
import type { RampResult } from '../../src/metrics/result.js';
import { parseResult, runCli, startServe } from '../helpers/cli.js';

/** A short, quiet, JSON run: bounded by --max-duration, with a short hold since only the peak matters here. */
function rampArgs(port: number, ...extra: string[]): string[] {
  return ['ramp', '--host', '127.0.0.1', '--port', String(port), '--json', '-q', '--max-duration', '20s', '--hold', '500ms', ...extra];
}

function countsByClass(result: RampResult): Partial<Record<FailureClass, number>> {
  return Object.fromEntries(result.failures.map((f) => [f.class, f.count]));
}

/** A port nobody listens on: bind one, note it, close it. */
async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const ERROR_LINE = '-ERR max number of clients reached';

describe('failure classes against real sockets', () => {
  it('nothing listening: refused, verdict unreachable, exit 3', async () => {
    const run = await runCli(rampArgs(await closedPort()));
    expect(run.code, run.stderr).toBe(3);
    const result = parseResult<RampResult>(run);
    expect(result.verdict.kind).toBe('unreachable');
    expect(result.firstFailure?.class).toBe('refused');
    expect(result.firstFailure?.code).toBe('ECONNREFUSED');
    expect(Object.keys(countsByClass(result))).toEqual(['refused']);
    expect(result.maxConcurrency).toBe(0);
  });

  it('a listener that stops accepting: the kernel queue fills, then connects time out', async () => {
    // One served connection, then the server never calls accept() again: Linux completes backlog + 1 more
    // handshakes into the accept queue (measured: 1 + 5 + 1 = 7 held), then drops SYNs, so connects time out.
    const serve = await startServe(['--max-conns', '1', '--over-limit', 'ignore', '--backlog', '5']);
    const run = await runCli(rampArgs(serve.port, '--connect-timeout', '1s'));
    expect(run.code, run.stderr).toBe(0);
    const result = parseResult<RampResult>(run);
    expect(result.verdict.kind).toBe('limit-by-failure');
    expect(result.firstFailure?.class).toBe('timeout');
    expect(countsByClass(result).timeout).toBeGreaterThan(0);
    // Without proof of service the kernel-completed connections look held: more than the one the server served.
    expect(result.maxConcurrency).toBeGreaterThan(1);
    expect(result.maxConcurrency).toBeLessThanOrEqual(1 + 5 + 1);
  });

  it('with --expect, connections the kernel completed but the server never served are unserved, not held', async () => {
    const serve = await startServe(['--max-conns', '1', '--over-limit', 'ignore', '--backlog', '5', '--greeting', 'HELLO\\r\\n']);
    const run = await runCli(
      rampArgs(serve.port, '--connect-timeout', '1s', '--send', 'PING\\r\\n', '--expect', 'HELLO', '--expect-timeout', '1s'),
    );
    expect(run.code, run.stderr).toBe(0);
    const result = parseResult<RampResult>(run);
    const counts = countsByClass(result);
    // Exactly the served cap: the queued connections never got the greeting.
    expect(result.maxConcurrency).toBe(1);
    expect(result.verdict.kind).toBe('limit-by-failure');
    expect(counts.unserved).toBeGreaterThanOrEqual(1);
    expect(counts.unserved).toBeLessThanOrEqual(5 + 1);
    expect(counts.timeout).toBeGreaterThan(0);
    const unserved = result.failures.find((f) => f.class === 'unserved');
    expect(unserved?.first.phase).toBe('established');
  });

  it('accept, error line, close: closed-by-peer with what the server said', async () => {
    const serve = await startServe(['--max-conns', '50', '--over-limit', 'close', '--over-limit-message', `${ERROR_LINE}\\r\\n`]);
    const run = await runCli(rampArgs(serve.port));
    expect(run.code, run.stderr).toBe(0);
    const result = parseResult<RampResult>(run);
    expect(result.maxConcurrency).toBe(50);
    expect(result.verdict.kind).toBe('limit-by-failure');
    expect(result.firstFailure?.class).toBe('closed-by-peer');
    expect(result.firstFailure?.serverSaid).toContain(ERROR_LINE);
    expect(result.firstFailure?.afterConnectMs).toEqual(expect.any(Number));
    expect(Object.keys(countsByClass(result))).toEqual(['closed-by-peer']);
  });

  it('the same error line with --reject: class rejected', async () => {
    const serve = await startServe(['--max-conns', '50', '--over-limit', 'close', '--over-limit-message', `${ERROR_LINE}\\r\\n`]);
    const run = await runCli(rampArgs(serve.port, '--reject', '/max number of clients/'));
    expect(run.code, run.stderr).toBe(0);
    const result = parseResult<RampResult>(run);
    expect(result.maxConcurrency).toBe(50);
    expect(result.verdict.kind).toBe('limit-by-failure');
    expect(result.firstFailure?.class).toBe('rejected');
    expect(result.firstFailure?.serverSaid).toContain(ERROR_LINE);
    expect(Object.keys(countsByClass(result))).toEqual(['rejected']);
  });

  it('accept, then RST: class reset', async () => {
    const serve = await startServe(['--max-conns', '50', '--over-limit', 'reset']);
    const run = await runCli(rampArgs(serve.port));
    expect(run.code, run.stderr).toBe(0);
    const result = parseResult<RampResult>(run);
    expect(result.maxConcurrency).toBe(50);
    expect(result.verdict.kind).toBe('limit-by-failure');
    expect(result.firstFailure?.class).toBe('reset');
    expect(Object.keys(countsByClass(result))).toEqual(['reset']);
  });
});
