import { describe, expect, it } from 'vitest';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Opener } from '../../src/engine/opener.js';

describe('Opener', () => {
  it('starts at most maxInflight at once and the rest as slots free up, one refill per turn', async () => {
    let started = 0;
    const opener = new Opener(3, () => started++);
    opener.add(10);
    expect(started).toBe(3);
    expect(opener.queued).toBe(7);
    opener.finished();
    opener.finished();
    expect(started).toBe(3); // refills wait for the next turn, then start in a batch
    await nextTurn();
    expect(started).toBe(5);
    expect(opener.active).toBe(3);
  });

  it('never exceeds the cap however often it is asked', async () => {
    let active = 0;
    let peak = 0;
    const opener = new Opener(4, () => {
      active++;
      peak = Math.max(peak, active);
    });
    for (let i = 0; i < 50; i++) opener.add(3);
    for (let round = 0; round < 60; round++) {
      if (active > 0) {
        active--;
        opener.finished();
      }
      await nextTurn();
    }
    expect(peak).toBe(4);
  });

  it('drops what has not started', () => {
    let started = 0;
    const opener = new Opener(2, () => started++);
    opener.add(5);
    expect(opener.clear()).toBe(3);
    expect(opener.queued).toBe(0);
    expect(started).toBe(2);
  });
});
