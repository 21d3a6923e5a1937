/**
 * redis-server with Debian's stock redis.conf (protected mode on, no password) and maxclients 200: over the cap it
 * accepts, writes "-ERR max number of clients reached" and closes; from 127.0.0.2 and up it answers "-DENIED".
 */
import { expect, it } from 'vitest';
import { RUNS, caseTimeout, describeFailures, record, referenceOf, tcpprobeRamp, withServer } from '../helpers/conformance.js';
import { describeNeeding, need } from '../helpers/needs.js';
import { startRedisServer, STOCK_REDIS_CONF } from '../helpers/real-servers.js';

const MAXCLIENTS = 200;
const needs = [need.command('redis-server'), need.file(STOCK_REDIS_CONF, 'redis-server')];

describeNeeding(needs, `conformance: redis-server, stock redis.conf, maxclients ${MAXCLIENTS}`, () => {
  it('tcpprobe holds what the reference holds, and no failure comes from protected mode', async () => {
    const start = () => startRedisServer({ maxclients: MAXCLIENTS });
    for (let run = 1; run <= RUNS; run++) {
      const ref = await referenceOf(start, { protocol: 'redis', maxConnections: MAXCLIENTS + 100 });
      const { run: cli, doc } = await withServer(start, (s) => tcpprobeRamp(s.port));
      record({
        case: `redis maxclients ${MAXCLIENTS}`, run, truthKind: 'tcpOpen', truth: ref.tcpOpen, tcpprobe: doc.maxConcurrency,
        verdict: doc.verdict.kind, exitCode: cli.code, failures: describeFailures(doc), reference: ref,
      });
      // The reference itself found a cap (it did not run into its bound) and every held connection was served.
      expect(ref.stoppedBy).toBe('failures');
      expect(ref.served).toBe(ref.tcpOpen);
      expect(ref.firstFailure?.outcome).toBe('closed');
      expect.soft(doc.maxConcurrency, 'tcpprobe maxConcurrency vs reference tcpOpen').toBe(ref.tcpOpen);
      expect.soft(doc.verdict.kind).toBe('limit-by-failure');
      expect.soft(doc.failures.filter((f) => /DENIED/.test(f.first?.serverSaid ?? '')), 'failures from protected mode').toEqual([]);
      const closed = doc.failures.find((f) => f.class === 'closed-by-peer');
      expect.soft(closed?.first?.serverSaid ?? '', "closed-by-peer carries the server's error line").toContain(ref.firstFailure?.serverSaid.trim() ?? '');
    }
  }, caseTimeout());
});
