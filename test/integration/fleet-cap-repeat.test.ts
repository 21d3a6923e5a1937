/**
 * The exact cap, repeated: three agents against `serve --workers 3 --max-conns C --over-limit close`, several
 * runs in a row, each checked on both sides. The target's own count (its primary's admitted peak) must be C, the
 * fleet's merged maximum must be C, and no connection may have been counted held by an agent and then closed by
 * the server (the sum of every agent's everHeld is C): that last one is what a 30,021 against a 30,000 cap was,
 * connections the target turned away after the client's --settle had passed. A fresh target per run, so each
 * run's peak is its own; the agents and Redis are shared. Bounded in runs and time; no timing is asserted.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EXIT } from '../../src/metrics/exit-codes.js';
import type { RampResult } from '../../src/metrics/result.js';
import { startMultiProcessTarget } from '../../src/server/multi-process.js';
import { collect, parseResult, runCli, startCli } from '../helpers/cli.js';
import { waitForOutput } from '../helpers/child-output.js';
import { NEEDS_REDIS, startRedis, type RedisServer } from '../helpers/redis.js';
import { describeNeeding } from '../helpers/needs.js';


const CAP = 3000;
const RUNS = 4;
const AGENTS = ['rep-1', 'rep-2', 'rep-3'];

const agents: ChildProcess[] = [];

afterAll(async () => {
  await Promise.all(
    agents.splice(0).map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      const exited = once(child, 'exit');
      process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }),
  );
});

describeNeeding(NEEDS_REDIS, 'the exact cap of a multi-process target, run after run, over three agents', () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedis();
    await Promise.all(
      AGENTS.map(async (name, i) => {
        // One process per agent, each with its own loopback source addresses; any port on 127.0.0.1 is allowed,
        // since every run has a fresh target on a fresh port.
        const source = `127.0.${70 + i}.1-127.0.${70 + i}.3`;
        const child = startCli(['agent', '--redis', redis.url(), '--name', name, '--allow-target', '127.0.0.1/32', '--workers', '1', '--source', source]);
        agents.push(child);
        void collect(child, 120_000);
        await waitForOutput(child, /registered at/, { timeoutMs: 15_000 });
      }),
    );
  });

  it(`${RUNS} runs at ${CAP} with --workers 3: the target admits ${CAP} at most and the fleet reports exactly ${CAP}`, async () => {
    const seen: string[] = [];
    for (let run = 1; run <= RUNS; run++) {
      const target = await startMultiProcessTarget({ host: '127.0.0.1', port: 0, maxConns: CAP, overLimit: 'close' }, 3);
      try {
        // A fast ramp, so connections keep arriving past the cap while the workers turn them away. --settle 500ms:
        // seven processes and a Redis share two cores here, and a turn-away must reach the client before it.
        const ramp = await runCli(
          [
            'ramp', '--redis', redis.url(), '--agent-names', AGENTS.join(','), '--host', '127.0.0.1', '--port', String(target.port),
            '--rate', '6000', '--settle', '500ms', '--hold', '500ms', '--max-duration', '20s', '--agent-wait', '10s', '--json',
          ],
          { timeoutMs: 40_000 },
        );
        expect(ramp.code, ramp.stderr).toBe(EXIT.ok);
        const r = parseResult<RampResult>(ramp);
        const s = target.stats();
        const parts = r.participants ?? [];
        const everHeld = parts.reduce((sum, p) => sum + p.counters.everHeld, 0);
        const what =
          `run ${run}: reported ${r.maxConcurrency}, target peak ${s.peakOpen}, over-limit ${s.overLimit}, ` +
          `everHeld ${everHeld} (${parts.map((p) => `${p.name} ${p.counters.everHeld}/${p.maxHeld}`).join(', ')})`;
        seen.push(what);
        expect(s.peakOpen, what).toBe(CAP);
        expect(s.overLimit, what).toBeGreaterThan(0);
        expect(r.maxConcurrency, what).toBe(CAP);
        expect(everHeld, what).toBe(CAP);
        expect(r.verdict.kind, what).toBe('limit-by-failure');
        expect(parts.map((p) => p.name)).toEqual(AGENTS);
      } finally {
        await target.close();
      }
    }
    expect(seen).toHaveLength(RUNS);
  }, 150_000);
});
