/** Which losses of held connections are late refusals (pool-tally.ts): a literal table. */
import { describe, expect, it } from 'vitest';
import { lostToLateRefusal } from '../../src/engine/pool-tally.js';

describe('lostToLateRefusal', () => {
  const cases: [string, number, number | null, number, boolean][] = [
    ['closed 300 ms after held, silent', 1000, null, 1300, true],
    ['closed 2 s after held, silent (an idle timeout, an eviction)', 1000, null, 3000, false],
    ['closed 2 s after held, 20 ms after its first words (a refusal from the accept queue)', 1000, 2980, 3000, true],
    ['closed 2 s after held, its first words 1.5 s before (a greeting, then an idle timeout)', 1000, 1500, 3000, false],
    ['closed 199 ms after its first words', 1000, 2801, 3000, true],
    ['closed 200 ms after its first words', 1000, 2800, 3000, false],
  ];
  it.each(cases)('%s', (_, heldAt, firstBytesAt, now, expected) => {
    expect(lostToLateRefusal(heldAt, firstBytesAt, now)).toBe(expected);
  });
});
