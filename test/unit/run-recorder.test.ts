import { afterAll, describe, expect, it } from 'vitest';
import { RunRecorder } from '../../src/controller/run-context.js';
import { LocalDriver } from '../../src/drivers/local-driver.js';
import { engineFor } from '../helpers/engine.js';

describe('the run recorder', () => {
  // A driver that never opens: the recorder only reads its counters.
  const driver = new LocalDriver(engineFor(1));
  afterAll(async () => {
    await driver.close();
  });

  it('waits until the time given, not to the end of the tick that passes it', async () => {
    // Ticks of 200 ms and a wait of 50: a hold of 2 s used to end up to a tick late.
    const recorder = new RunRecorder(driver, 100, {}, 200);
    const from = recorder.elapsed();
    await recorder.waitUntil(() => false, from + 50);
    const waited = recorder.elapsed() - from;
    expect(waited).toBeGreaterThanOrEqual(49);
    expect(waited).toBeLessThan(150);
  });

  it('looks as often as asked, and stops once what it waits for is done', async () => {
    const recorder = new RunRecorder(driver, 100, {}, 200);
    const from = recorder.elapsed();
    let looks = 0;
    await recorder.waitUntil(() => ++looks >= 4, from + 5000, 5);
    expect(looks).toBe(4);
    expect(recorder.elapsed() - from).toBeLessThan(150);
  });
});
