/**
 * Addresses with real sockets: an IPv6 target, and a host name with several addresses, pinned to one or spread
 * over all (--spread-addresses). The result must say which addresses were used and how.
 */
import { describe, expect, it } from 'vitest';
import type { RampResult } from '../../src/metrics/result.js';
import { parseResult, runCli, startServe } from '../helpers/cli.js';
import { runInNetns } from '../helpers/netns.js';
import { itNeeding, need } from '../helpers/needs.js';

const CAP = 100;
const QUICK = ['--json', '-q', '--max-duration', '20s', '--hold', '500ms'];

/** Split what a script printed: JSON documents separated by a line "@@@". */
function documents(stdout: string): RampResult[] {
  return stdout
    .split(/^@@@$/m)
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => JSON.parse(s) as RampResult);
}

describe('target addresses', () => {
  it('IPv6: serve on ::1 and ramp --host ::1 find the cap', async () => {
    const serve = await startServe(['--max-conns', String(CAP)], '::1');
    const run = await runCli(['ramp', '--host', '::1', '--port', String(serve.port), ...QUICK]);
    expect(run.code, run.stderr).toBe(0);
    const result = parseResult<RampResult>(run);
    expect(result.maxConcurrency).toBe(CAP);
    expect(result.verdict.kind).toBe('limit-by-failure');
    expect(result.target.used).toEqual(['::1']);
    expect(result.target.addressMode).toBe('pinned');
  });

  itNeeding([need.netns], 'a name with an IPv4 and an IPv6 address (private /etc/hosts): pinned vs spread', async () => {
    // Two capped servers on '::' (dual-stack), one per run, so the second run never meets the first one's leftovers.
    const run = await runInNetns(
      String.raw`
      printf '127.0.0.1 localhost\n127.0.0.1 multi.test\n::1 multi.test\n' | use_hosts
      start_bg spread tcpprobe serve --host :: --port 5555 --max-conns ${CAP} -q
      start_bg pinned tcpprobe serve --host :: --port 5556 --max-conns ${CAP} -q
      wait_listening spread
      wait_listening pinned
      tcpprobe ramp --host multi.test --port 5555 --spread-addresses ${QUICK.join(' ')}
      echo @@@
      tcpprobe ramp --host multi.test --port 5556 ${QUICK.join(' ')}
    `,
      { mountNamespace: true },
    );
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const [spread, pinned] = documents(run.stdout);
    expect(spread?.target.resolved.sort()).toEqual(['127.0.0.1', '::1']);
    expect(spread?.target.used.sort()).toEqual(['127.0.0.1', '::1']);
    expect(spread?.target.addressMode).toBe('spread');
    expect(spread?.maxConcurrency).toBe(CAP);
    expect(pinned?.target.used).toHaveLength(1);
    expect(pinned?.target.addressMode).toBe('pinned');
    expect(pinned?.maxConcurrency).toBe(CAP);
  });
});
