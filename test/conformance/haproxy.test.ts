/**
 * haproxy (mode tcp) with maxconn 100 in global and frontend, in front of a Node backend that answers requests:
 * at maxconn it stops accepting, so its listen queue (backlog = the frontend's maxconn) fills at TCP level with
 * connections it never serves, and later SYNs are dropped.
 */
import { expect, it } from 'vitest';
import { RUNS, caseTimeout, describeFailures, record, referenceOf, tcpprobeRamp, withServer } from '../helpers/conformance.js';
import { describeNeeding, need } from '../helpers/needs.js';
import { startBackend, startHaproxy } from '../helpers/real-servers.js';

const MAXCONN = 100;
const needs = [need.command('haproxy')];

describeNeeding(needs, `conformance: haproxy maxconn ${MAXCONN}, mode tcp`, () => {
  it('tcpprobe counts what the reference counts at TCP level (served plus the accept queue)', async () => {
    const backend = await startBackend();
    try {
      const start = () => startHaproxy({ maxconn: MAXCONN, backendPort: backend.port });
      for (let run = 1; run <= RUNS; run++) {
        const ref = await referenceOf(start, { protocol: 'http', maxConnections: 3 * MAXCONN + 100 });
        const { run: cli, doc } = await withServer(start, (s) => tcpprobeRamp(s.port));
        record({
          case: `haproxy maxconn ${MAXCONN}`, run, truthKind: 'tcpOpen', truth: ref.tcpOpen, tcpprobe: doc.maxConcurrency,
          verdict: doc.verdict.kind, exitCode: cli.code, failures: describeFailures(doc), reference: ref,
        });
        expect(ref.stoppedBy).toBe('failures');
        expect(ref.firstFailure?.outcome).toBe('timeout');
        // Served is haproxy's own cap; the rest of tcpOpen sat in the kernel's accept queue.
        expect(ref.served).toBeLessThan(ref.tcpOpen);
        expect.soft(doc.maxConcurrency, 'tcpprobe maxConcurrency vs reference tcpOpen').toBe(ref.tcpOpen);
        expect.soft(doc.failures.map((f) => f.class), 'failure classes').toContain('timeout');
      }
    } finally {
      await backend.stop();
    }
  }, caseTimeout());
});
