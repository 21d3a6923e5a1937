/**
 * iptables connlimit inside a fresh network namespace (root only): `--syn --dport P -m connlimit --connlimit-above
 * 100` with -j DROP (later connects time out) and with -j REJECT --reject-with tcp-reset (refused), in front of an
 * uncapped `tcpprobe serve`. The reference prober and tcpprobe both run inside their own fresh namespace.
 */
import { expect, it } from 'vitest';
import { RUNS, caseTimeout, describeFailures, record, type ProbeDoc } from '../helpers/conformance.js';
import { describeNeeding } from '../helpers/needs.js';
import { parseResult } from '../helpers/cli.js';
import { NEEDS_CONNLIMIT, connlimitReference, connlimitTcpprobe, type ConnlimitTarget } from '../helpers/real-servers.js';

const LIMIT = 100;

const EXPECTED_CLASS: Record<ConnlimitTarget, { reference: string; tcpprobe: string }> = {
  DROP: { reference: 'timeout', tcpprobe: 'timeout' },
  REJECT: { reference: 'refused', tcpprobe: 'refused' },
};

describeNeeding(NEEDS_CONNLIMIT, `conformance: iptables connlimit-above ${LIMIT}`, () => {
  for (const target of ['DROP', 'REJECT'] as const) {
    it(`-j ${target}: tcpprobe holds what the reference holds`, async () => {
      for (let run = 1; run <= RUNS; run++) {
        const ref = await connlimitReference(LIMIT, target, { protocol: 'none', maxConnections: LIMIT + 100 });
        const cli = await connlimitTcpprobe(LIMIT, target, ['ramp', '--host', '127.0.0.1', '--json']);
        const doc = parseResult<ProbeDoc>(cli);
        record({
          case: `connlimit ${target} ${LIMIT}`, run, truthKind: 'tcpOpen', truth: ref.tcpOpen, tcpprobe: doc.maxConcurrency,
          verdict: doc.verdict.kind, exitCode: cli.code, failures: describeFailures(doc), reference: ref,
        });
        expect(ref.stoppedBy).toBe('failures');
        expect(ref.firstFailure?.outcome).toBe(EXPECTED_CLASS[target].reference);
        expect.soft(doc.maxConcurrency, 'tcpprobe maxConcurrency vs reference tcpOpen').toBe(ref.tcpOpen);
        expect.soft(doc.failures.map((f) => f.class), 'failure classes').toContain(EXPECTED_CLASS[target].tcpprobe);
      }
    }, caseTimeout());
  }
});
