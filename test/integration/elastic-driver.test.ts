/**
 * The elastic driver places each connection by its number in the run (growth-plan.ts): what a dropped queue never
 * made must not push later connections on to a process or a source address the run does not need yet.
 */
import { describe, expect, it } from 'vitest';
import { ElasticDriver, type SpawnWorker } from '../../src/drivers/elastic-driver.js';
import { LocalDriver } from '../../src/drivers/local-driver.js';
import type { ProbeDriver } from '../../src/controller/driver.js';
import { startServe } from '../helpers/cli.js';
import { engineFor } from '../helpers/engine.js';

describe('the elastic driver', () => {
  it('gives the numbers of dropped connections back: the next ones stay in this process', async () => {
    const serve = await startServe(['--backlog', '4096']);
    // A second process's share starts at 100; one connect in flight at a time, so the rest of what is asked waits.
    const policy = { perProcess: 100, maxProcesses: 2, loopbackSources: false };
    const spawned: number[] = [];
    const workers: ProbeDriver[] = [];
    // In place of a worker process (what is under test is where connections go), a pool in this process.
    const spawn: SpawnWorker = (engine, index) => {
      spawned.push(index);
      const d = new LocalDriver(engine, null);
      workers.push(d);
      return Promise.resolve(d);
    };
    const driver = new ElasticDriver(engineFor(serve.port, { maxInflight: 1 }), policy, null, spawn);
    try {
      driver.open(80);
      driver.dropQueued();
      const kept = driver.counters().requested;
      expect(kept).toBeLessThan(80);
      // 80 more: without the numbers given back, 60 of them would be the run's 100th to 159th, a new process's.
      driver.open(80);
      expect(spawned).toEqual([]);
      expect(driver.counters().requested).toBe(kept + 80);
    } finally {
      await driver.close();
      await Promise.all(workers.map((w) => w.close()));
    }
  });
});
