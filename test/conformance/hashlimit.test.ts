/**
 * A new-connection rate limit in front of a connection limit: iptables hashlimit (100 new connections/s once a
 * burst of 20 is spent; SYNs beyond it dropped with -j DROP, or refused with -j REJECT --reject-with tcp-reset)
 * before `tcpprobe serve --max-conns 300`, inside a fresh network namespace (root only). Two truths, measured in
 * the same run, each in a namespace of its own: the connection limit by the reference prober, one connection at a
 * time (slower than the limiter lets through); the rate by the rate reference at a few fixed rates
 * (reference-rate-prober.ts). tcpprobe, with default flags, must find the connection limit exactly and name the
 * rate limit apart from it, within ±50% of the truth, turned away the way the rule does it.
 */
import { expect, it } from 'vitest';
import { RUNS, caseTimeout, describeFailures, record, type ProbeDoc } from '../helpers/conformance.js';
import { describeNeeding } from '../helpers/needs.js';
import { parseResult } from '../helpers/cli.js';
import {
  NEEDS_FIREWALL,
  hashlimitRateReference,
  hashlimitReference,
  hashlimitTcpprobe,
  type ConnlimitTarget,
  type HashlimitCase,
} from '../helpers/real-servers.js';

const RATE = 100;
const BURST = 20;
const CAP = 300;
/** The fixed rates of the rate reference: one under the limit (nothing turned away), two over it. */
const REFERENCE_RATES = [50, 200, 400];
const RATE_TOLERANCE = 0.5;

const TURNED_AWAY: Record<ConnlimitTarget, { reference: 'resent' | 'refused'; tcpprobe: string }> = {
  DROP: { reference: 'resent', tcpprobe: 'dropped-syn' },
  REJECT: { reference: 'refused', tcpprobe: 'refused' },
};

describeNeeding(NEEDS_FIREWALL, `conformance: iptables hashlimit ${RATE}/s (burst ${BURST}) before a cap of ${CAP}`, () => {
  for (const target of ['DROP', 'REJECT'] as const) {
    const c: HashlimitCase = { ratePerSec: RATE, burst: BURST, target, cap: CAP };
    it(`-j ${target}: the connection limit exactly, and the rate limit named apart from it within ±50%`, async () => {
      for (let run = 1; run <= RUNS; run++) {
        const ref = await hashlimitReference(c, { protocol: 'none', maxConnections: CAP + 100 });
        const rateRef = await hashlimitRateReference(c, { ratesPerSec: REFERENCE_RATES });
        const cli = await hashlimitTcpprobe(c, ['ramp', '--host', '127.0.0.1', '--json']);
        const doc = parseResult<ProbeDoc>(cli);
        const named = doc.rate.newConnectionLimit ?? null;
        const common = { run, verdict: doc.verdict.kind, exitCode: cli.code, failures: describeFailures(doc), reference: ref };
        record({ ...common, case: `hashlimit ${target} ${RATE}/s, cap ${CAP}`, truthKind: 'tcpOpen', truth: ref.tcpOpen, tcpprobe: doc.maxConcurrency });
        record({
          ...common,
          case: `hashlimit ${target} ${RATE}/s: rate`,
          truthKind: 'ratePerSec',
          truth: rateRef.limitPerSec ?? 0,
          tcpprobe: named?.perSec ?? null,
          within: RATE_TOLERANCE,
          rateReference: rateRef,
        });
        // The references saw what the rule does: the cap held one at a time; over the rate, connects turned away.
        expect(ref.stoppedBy).toBe('failures');
        expect(ref.tcpOpen).toBe(CAP);
        expect(rateRef.limitPerSec, JSON.stringify(rateRef.steps)).not.toBeNull();
        expect(rateRef.steps.some((s) => s.outcomes[TURNED_AWAY[target].reference] > 0)).toBe(true);
        expect.soft(doc.maxConcurrency, 'tcpprobe maxConcurrency vs reference tcpOpen').toBe(ref.tcpOpen);
        expect.soft(doc.verdict.kind).toBe('limit-by-failure');
        expect.soft(named, 'rate.newConnectionLimit').not.toBeNull();
        expect.soft(named?.turnedAwayBy).toBe(TURNED_AWAY[target].tcpprobe);
        // Faster than the limit went only its burst: no faster rate counts as absorbed (the confirmation stage opens at half of it).
        expect.soft(doc.rate.absorbedPerSec, 'rate.absorbedPerSec').toBeLessThanOrEqual(named?.perSec ?? 0);
        const truth = rateRef.limitPerSec ?? 0;
        expect.soft(Math.abs((named?.perSec ?? 0) - truth), `rate ${named?.perSec}/s vs reference ${truth}/s`).toBeLessThanOrEqual(
          RATE_TOLERANCE * truth,
        );
      }
    }, caseTimeout(150_000));
  }
});

// Below the cap, --max counts connections, not connects: the burst's refusals are asked for again once the
// confirmation has called them the rate's doing.
describeNeeding(NEEDS_FIREWALL, `conformance: iptables hashlimit ${RATE}/s (burst ${BURST}), --max below the cap`, () => {
  const MAX = 200;
  it(`-j REJECT, --max ${MAX}: max-reached with exactly what the reference held up to ${MAX}`, async () => {
    const c: HashlimitCase = { ratePerSec: RATE, burst: BURST, target: 'REJECT', cap: CAP };
    for (let run = 1; run <= RUNS; run++) {
      const ref = await hashlimitReference(c, { protocol: 'none', maxConnections: MAX });
      const cli = await hashlimitTcpprobe(c, ['ramp', '--host', '127.0.0.1', '--max', String(MAX), '--json']);
      const doc = parseResult<ProbeDoc>(cli);
      const common = { run, verdict: doc.verdict.kind, exitCode: cli.code, failures: describeFailures(doc), reference: ref };
      record({ ...common, case: `hashlimit REJECT ${RATE}/s, --max ${MAX}`, truthKind: 'tcpOpen', truth: ref.tcpOpen, tcpprobe: doc.maxConcurrency });
      expect(ref.tcpOpen).toBe(MAX);
      // The limiter turned some of the fast start away: the case is about those.
      expect(doc.failures.find((f) => f.class === 'refused')?.count ?? 0, describeFailures(doc)).toBeGreaterThan(0);
      expect.soft(doc.maxConcurrency, 'tcpprobe maxConcurrency vs the reference').toBe(ref.tcpOpen);
      expect.soft(doc.verdict.kind).toBe('max-reached');
    }
  }, caseTimeout(90_000));
});
