/**
 * A server that forks one process per connection and spends a few ms on each accept (test/fixtures/forking-server.py,
 * as PostgreSQL's postmaster does), with a listen backlog of 100. A fast burst overflows its accept queue for a
 * moment: the kernel drops the final ACK of the late handshakes and completes them only as the queue drains, so
 * some of tcpprobe's connections look never completed when the ramp ends. They are late, not lost: the server holds
 * them when asked one at a time: --max under what it holds is max-reached with exactly --max. With a cap, it writes
 * an error line and closes past it (PostgreSQL's "sorry, too many clients already"), also to the connections that
 * waited in its accept queue, well after they were counted held: those are late refusals, not held connections.
 */
import { expect, it } from 'vitest';
import { RUNS, caseTimeout, describeFailures, record, referenceOf, tcpprobeRamp, withServer } from '../helpers/conformance.js';
import { describeNeeding, need } from '../helpers/needs.js';
import { startForking } from '../helpers/real-servers.js';

const BACKLOG = 100;
const ACCEPT_MS = 3;
const MAX = 400;
const CAP = 400;
const needs = [need.command('python3')];

describeNeeding(needs, `conformance: a forking server that accepts slowly, listen(${BACKLOG})`, () => {
  it(`below what it holds: --max ${MAX} against an uncapped one is max-reached with exactly ${MAX}`, async () => {
    const start = () => startForking({ backlog: BACKLOG, acceptMs: ACCEPT_MS, max: 0 });
    for (let run = 1; run <= RUNS; run++) {
      const ref = await referenceOf(start, { protocol: 'none', maxConnections: MAX });
      const { run: cli, doc } = await withServer(start, (s) => tcpprobeRamp(s.port, ['--max', String(MAX)]));
      const truth = Math.min(MAX, ref.tcpOpen);
      record({
        case: `forking listen(${BACKLOG}) --max ${MAX}`, run, truthKind: 'tcpOpen', truth, tcpprobe: doc.maxConcurrency,
        verdict: doc.verdict.kind, exitCode: cli.code, failures: describeFailures(doc), reference: ref,
      });
      // The reference, one connection at a time, held every one it asked for: the server holds at least MAX.
      expect(ref.tcpOpen).toBe(MAX);
      expect.soft(doc.maxConcurrency, 'tcpprobe maxConcurrency vs the reference').toBe(truth);
      expect.soft(doc.verdict.kind).toBe('max-reached');
    }
  }, caseTimeout(120_000));

  it(`at its cap: a default ramp against one that holds ${CAP} finds what the reference prober finds`, async () => {
    const start = () => startForking({ backlog: BACKLOG, acceptMs: ACCEPT_MS, max: CAP });
    for (let run = 1; run <= RUNS; run++) {
      const ref = await referenceOf(start, { protocol: 'none', maxConnections: CAP + 100 });
      const { run: cli, doc } = await withServer(start, (s) => tcpprobeRamp(s.port, []));
      record({
        case: `forking listen(${BACKLOG}) cap ${CAP}`, run, truthKind: 'tcpOpen', truth: ref.tcpOpen, tcpprobe: doc.maxConcurrency,
        verdict: doc.verdict.kind, exitCode: cli.code, failures: describeFailures(doc), reference: ref,
      });
      // The reference, one connection at a time, measures the cap: the first connection past it is refused in words.
      expect(ref.tcpOpen).toBeGreaterThan(0);
      expect(ref.firstFailure?.outcome).toBe('closed');
      expect.soft(doc.maxConcurrency, 'tcpprobe maxConcurrency vs the reference').toBe(ref.tcpOpen);
      expect.soft(doc.verdict.kind).toBe('limit-by-failure');
    }
  }, caseTimeout(180_000));
});
