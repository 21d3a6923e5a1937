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

  it('ramp --tls --ca finds the cap, with handshake latency apart from connect latency', async () => {
    const server = await startFixture('tls-capped-server.mjs', [cert.certPath, cert.keyPath, String(CAP)]);
    const run = await runCli(tlsRampArgs(server.port, '--ca', cert.certPath, '--servername', 'localhost'));
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const result = parseResult<RampResult>(run);
    expect(result.target.tls).toBe(true);
    expect(result.maxConcurrency).toBe(CAP);
    expect(result.verdict.kind).toBe('limit-by-failure');
    expect(result.firstFailure?.class).toBe('closed-by-peer');
    expect(result.tlsHandshakeMs?.count).toBeGreaterThan(0);
    expect(result.connectLatencyMs.count).toBeGreaterThan(0);
    expect(result.histograms.tlsHandshakeUs).not.toBeNull();
    expect(result.histograms.tlsHandshakeUs).not.toBe(result.histograms.connectUs);
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
