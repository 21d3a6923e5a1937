/**
 * A listener that never accepts (test/fixtures/never-accept.py, listen(64)): the kernel completes backlog+1
 * handshakes into the accept queue, then drops SYNs, so later connects time out. Nothing is ever served.
 */
import { expect, it } from 'vitest';
import { RUNS, caseTimeout, describeFailures, record, referenceOf, tcpprobeRamp, withServer } from '../helpers/conformance.js';
import { describeNeeding, need } from '../helpers/needs.js';
import { startNeverAccept } from '../helpers/real-servers.js';

const BACKLOG = 64;
const needs = [need.command('python3')];

describeNeeding(needs, `conformance: a listener that never accepts, listen(${BACKLOG})`, () => {
  it('tcpprobe counts the accept queue the reference counts, then times out', async () => {
    const start = () => startNeverAccept({ backlog: BACKLOG });
    for (let run = 1; run <= RUNS; run++) {
      const ref = await referenceOf(start, { protocol: 'none', maxConnections: BACKLOG + 100 });
      const { run: cli, doc } = await withServer(start, (s) => tcpprobeRamp(s.port));
      record({
        case: `never-accept listen(${BACKLOG})`, run, truthKind: 'tcpOpen', truth: ref.tcpOpen, tcpprobe: doc.maxConcurrency,
        verdict: doc.verdict.kind, exitCode: cli.code, failures: describeFailures(doc), reference: ref,
      });
      expect(ref.stoppedBy).toBe('failures');
      expect(ref.firstFailure?.outcome).toBe('timeout');
      expect.soft(doc.maxConcurrency, 'tcpprobe maxConcurrency vs reference tcpOpen').toBe(ref.tcpOpen);
      expect.soft(doc.failures.map((f) => f.class), 'failure classes').toContain('timeout');
    }
  }, caseTimeout());
});
