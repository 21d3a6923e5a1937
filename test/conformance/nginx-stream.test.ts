/**
 * nginx stream proxy (dynamic module) with worker_connections 200 in front of a Node upstream that holds every
 * connection: each client takes two worker connections (its own and the upstream one).
 */
import { expect, it } from 'vitest';
import { RUNS, caseTimeout, describeFailures, record, referenceOf, tcpprobeRamp, withServer } from '../helpers/conformance.js';
import { describeNeeding, need } from '../helpers/needs.js';
import { NGINX_STREAM_MODULE, startBackend, startNginxStream } from '../helpers/real-servers.js';

const WORKER_CONNECTIONS = 200;
const needs = [need.command('nginx', 'nginx-light'), need.file(NGINX_STREAM_MODULE, 'libnginx-mod-stream')];

describeNeeding(needs, `conformance: nginx stream proxy, worker_connections ${WORKER_CONNECTIONS}`, () => {
  it('tcpprobe holds what the reference holds', async () => {
    const backend = await startBackend();
    try {
      const start = () => startNginxStream({ workerConnections: WORKER_CONNECTIONS, upstreamPort: backend.port });
      for (let run = 1; run <= RUNS; run++) {
        const ref = await referenceOf(start, { protocol: 'http', maxConnections: WORKER_CONNECTIONS + 100 });
        const { run: cli, doc } = await withServer(start, (s) => tcpprobeRamp(s.port));
        record({
          case: `nginx stream worker_connections ${WORKER_CONNECTIONS}`, run, truthKind: 'tcpOpen', truth: ref.tcpOpen,
          tcpprobe: doc.maxConcurrency, verdict: doc.verdict.kind, exitCode: cli.code, failures: describeFailures(doc), reference: ref,
        });
        expect(ref.stoppedBy).toBe('failures');
        expect(ref.served).toBe(ref.tcpOpen);
        expect.soft(doc.maxConcurrency, 'tcpprobe maxConcurrency vs reference tcpOpen').toBe(ref.tcpOpen);
        expect.soft(doc.verdict.kind).toBe('limit-by-failure');
      }
    } finally {
      await backend.stop();
    }
  }, caseTimeout());
});
