/**
 * nginx HTTP, and HTTPS (TLS 1.3, a throwaway self-signed certificate), with worker_connections 200: it never
 * refuses idle clients at the cap; it closes its oldest idle ("reusable") connections instead, so the truth is the
 * most open at once, which the reference measures one connection at a time.
 */
import { expect, it } from 'vitest';
import { RUNS, caseTimeout, describeFailures, record, referenceOf, tcpprobeRamp, withServer } from '../helpers/conformance.js';
import { describeNeeding, need } from '../helpers/needs.js';
import { startNginxHttp } from '../helpers/real-servers.js';
import { makeSelfSignedCert } from '../helpers/tls-cert.js';

const WORKER_CONNECTIONS = 200;

for (const useTls of [false, true]) {
  const name = useTls ? 'nginx-https' : 'nginx-http';
  const needs = useTls ? [need.command('nginx', 'nginx-light'), need.command('openssl')] : [need.command('nginx', 'nginx-light')];

  describeNeeding(needs, `conformance: ${name}, worker_connections ${WORKER_CONNECTIONS}`, () => {
    it('tcpprobe calls it evicting, records no rate limit, and finds the most open at once that the reference found', async () => {
      const cert = useTls ? makeSelfSignedCert() : undefined;
      const start = () => startNginxHttp({ workerConnections: WORKER_CONNECTIONS, ...(cert ? { tls: cert } : {}) });
      for (let run = 1; run <= RUNS; run++) {
        const ref = await referenceOf(start, { protocol: 'http', tls: useTls, maxConnections: WORKER_CONNECTIONS + 50 });
        const { run: cli, doc } = await withServer(start, (s) => tcpprobeRamp(s.port, useTls ? ['--tls', '--insecure'] : []));
        record({
          case: `${name} worker_connections ${WORKER_CONNECTIONS}`, run, truthKind: 'maxOpen', truth: ref.maxOpen,
          tcpprobe: doc.maxConcurrency, verdict: doc.verdict.kind, exitCode: cli.code, failures: describeFailures(doc),
          reference: ref, eviction: doc.eviction,
        });
        // The reference saw evictions (no new connection failed) and ran to its bound.
        expect(ref.evictions).toBeGreaterThan(0);
        expect(ref.outcomes.open).toBe(ref.attempts);
        expect.soft(doc.maxConcurrency, 'tcpprobe maxConcurrency vs reference maxOpen').toBe(ref.maxOpen);
        expect.soft(doc.verdict.kind).toBe('evicting');
        expect.soft(doc.eviction?.maxOpen, 'eviction.maxOpen').toBe(ref.maxOpen);
        // Its evictions are never also a rate limit.
        expect.soft(doc.rate.rateLimits, 'rate.rateLimits of an evicting server').toEqual([]);
        expect.soft(doc.rate.newConnectionLimit, 'rate.newConnectionLimit of an evicting server').toBeUndefined();
      }
    }, caseTimeout());
  });
}
