/**
 * TLS with real sockets: a local TLS server (test/fixtures/tls-capped-server.mjs) with a certificate this test
 * generates, holding 150 connections and closing the rest right after their handshake.
 *
 * The ramp runs at 300/s with --settle 500ms: an RSA-2048 handshake costs the server a millisecond or two of CPU,
 * and on 2 cores a faster burst queues handshakes for tens of milliseconds, so an over-limit connection's close
 * can arrive well after our side finished the handshake. Settling longer than that queue keeps such a connection
 * from counting as held (measured: handshake p50 5-10 ms at this rate, exactly 150 in 4 of 4 runs).
 */
import { expect, it } from 'vitest';
import type { RampResult } from '../../src/metrics/result.js';
import { decodeHistogram, summarizeLatency, type LatencySummaryMs } from '../../src/metrics/histogram.js';
import { parseResult, runCli } from '../helpers/cli.js';
import { makeSelfSignedCert } from '../helpers/tls-cert.js';
import { startFixture } from '../fixtures/start-fixture.js';
import { describeNeeding, need } from '../helpers/needs.js';

const CAP = 150;

function tlsRampArgs(port: number, ...extra: string[]): string[] {
  return [
    'ramp', '--host', '127.0.0.1', '--port', String(port), '--tls',
    '--rate', '300', '--settle', '500ms', '--max-duration', '30s', '--hold', '500ms', '--json', '-q', ...extra,
  ];
}

describeNeeding([need.command('openssl')], 'TLS', () => {
  const cert = makeSelfSignedCert('localhost');

  it('ramp --tls --ca finds the cap, and times every handshake it completed', async () => {
    const server = await startFixture('tls-capped-server.mjs', [cert.certPath, cert.keyPath, String(CAP)]);
    const run = await runCli(tlsRampArgs(server.port, '--ca', cert.certPath, '--servername', 'localhost'));
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const result = parseResult<RampResult>(run);
    expect(result.target.tls).toBe(true);
    expect(result.maxConcurrency).toBe(CAP);
    expect(result.verdict.kind).toBe('limit-by-failure');
    expect(result.firstFailure?.class).toBe('closed-by-peer');
    // Connected means the handshake was done too: each has its handshake time, and each its TCP connect time.
    expect(result.tlsHandshakeMs?.count).toBe(result.counters.connected);
    expect(result.connectLatencyMs.count).toBeGreaterThanOrEqual(result.counters.connected);
    expect(result.counters.connected).toBeGreaterThan(CAP);
  });

  it('handshake latency apart from connect latency: a server that starts its handshakes 300 ms late shows in the one only', async () => {
    const DELAY_MS = 300;
    // The kernel completes the TCP connect at once; the server begins the TLS handshake DELAY_MS after its accept.
    const server = await startFixture('tls-capped-server.mjs', [cert.certPath, cert.keyPath, String(CAP), String(DELAY_MS)]);
    const run = await runCli(tlsRampArgs(server.port, '--ca', cert.certPath, '--servername', 'localhost', '--max', '20'));
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const result = parseResult<RampResult>(run);
    expect(result.verdict.kind).toBe('max-reached');
    const connect = result.connectLatencyMs;
    const handshake = result.tlsHandshakeMs!;
    expect(connect.count).toBe(20);
    expect(handshake.count).toBe(20);
    // Each series is the document's histogram of its own, not one figure twice (the encoding keeps the buckets;
    // a maximum read back is its bucket's top, a microsecond off).
    const figures = (s: LatencySummaryMs) => ({ count: s.count, p50: s.p50, p90: s.p90 });
    expect(figures(summarizeLatency(decodeHistogram(result.histograms.connectUs)))).toEqual(figures(connect));
    expect(figures(summarizeLatency(decodeHistogram(result.histograms.tlsHandshakeUs!)))).toEqual(figures(handshake));
    // By causality, whatever the load: the server spoke DELAY_MS or more after our connect() began, so each
    // connection's connect time plus its handshake time is at least DELAY_MS (less the histogram's 0.1% precision).
    expect(handshake.min! + connect.max!).toBeGreaterThanOrEqual(DELAY_MS * 0.999);
    // The delay lands in the handshake's figures, not the connect's (half of it either way is a margin for a
    // loaded machine's event-loop lag, which both include; measured under load: connect p50 about 20 ms).
    expect(handshake.p50!).toBeGreaterThan(DELAY_MS / 2);
    expect(connect.p50!).toBeLessThan(DELAY_MS / 2);
  });

  it('an untrusted certificate (no --ca, no --insecure): class tls, verdict unreachable, exit 3', async () => {
    const server = await startFixture('tls-capped-server.mjs', [cert.certPath, cert.keyPath, String(CAP)]);
    const run = await runCli(tlsRampArgs(server.port));
    expect(run.code, run.stderr.slice(-2000)).toBe(3);
    const result = parseResult<RampResult>(run);
    expect(result.verdict.kind).toBe('unreachable');
    expect(result.firstFailure?.class).toBe('tls');
    expect(result.firstFailure?.code).toMatch(/SELF_SIGNED|CERT/);
    expect(result.failures.map((f) => f.class)).toEqual(['tls']);
    expect(result.maxConcurrency).toBe(0);
  });

  it('--insecure accepts the self-signed certificate', async () => {
    const server = await startFixture('tls-capped-server.mjs', [cert.certPath, cert.keyPath, String(CAP)]);
    const run = await runCli(tlsRampArgs(server.port, '--insecure'));
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const result = parseResult<RampResult>(run);
    expect(result.maxConcurrency).toBe(CAP);
    expect(result.failures.map((f) => f.class)).not.toContain('tls');
  });
});
