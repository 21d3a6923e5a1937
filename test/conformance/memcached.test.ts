/**
 * memcached -c 200: over its cap it accepts, writes an error line and closes. The cap it really enforces is below
 * -c (it reserves descriptors for itself); the reference measures it.
 */
import { expect, it } from 'vitest';
import { RUNS, caseTimeout, describeFailures, record, referenceOf, tcpprobeRamp, withServer } from '../helpers/conformance.js';
import { describeNeeding, need } from '../helpers/needs.js';
import { startMemcached } from '../helpers/real-servers.js';

const CONNECTIONS = 200;
const needs = [need.command('memcached')];

describeNeeding(needs, `conformance: memcached -c ${CONNECTIONS}`, () => {
  it('tcpprobe holds what the reference holds, and reports the error line', async () => {
    const start = () => startMemcached({ connections: CONNECTIONS });
    for (let run = 1; run <= RUNS; run++) {
      const ref = await referenceOf(start, { protocol: 'memcached', maxConnections: CONNECTIONS + 100 });
      const { run: cli, doc } = await withServer(start, (s) => tcpprobeRamp(s.port));
      record({
        case: `memcached -c ${CONNECTIONS}`, run, truthKind: 'tcpOpen', truth: ref.tcpOpen, tcpprobe: doc.maxConcurrency,
        verdict: doc.verdict.kind, exitCode: cli.code, failures: describeFailures(doc), reference: ref,
      });
      expect(ref.stoppedBy).toBe('failures');
      expect(ref.served).toBe(ref.tcpOpen);
      expect(ref.firstFailure?.outcome).toBe('closed');
      expect.soft(doc.maxConcurrency, 'tcpprobe maxConcurrency vs reference tcpOpen').toBe(ref.tcpOpen);
      expect.soft(doc.verdict.kind).toBe('limit-by-failure');
      const closed = doc.failures.find((f) => f.class === 'closed-by-peer');
      expect.soft(closed?.first?.serverSaid ?? '', "closed-by-peer carries the server's error line").toContain(ref.firstFailure?.serverSaid.trim() ?? '');
    }
  }, caseTimeout());
});
