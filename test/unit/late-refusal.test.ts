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
    expect(lostToLateRefusal({ heldAt, establishedAt: heldAt - 100, firstBytesAt, segsInAtClose: null }, now)).toBe(expected);
  });

  // Silent, with what the native core read at the close: SYN-ACK and FIN are two segments, each more a resent
  // SYN-ACK (1, 3, 7 s after the first). Established at 0, held at 100.
  const late: [string, number | null, number, boolean][] = [
    ['closed 1.05 s after established, one SYN-ACK resent (completed late at its first resend, then refused)', 3, 1050, true],
    ['closed 1.05 s after established, none resent (the server held it, then closed it)', 2, 1050, false],
    ['closed 1.05 s after established, the kernel could not say', null, 1050, false],
    ['closed 3.2 s after established, two resent (completed at the second)', 4, 3200, true],
    ['closed 0.65 s after established, one resent: before the resend could be heard', 3, 650, false],
    ['closed 2.6 s after established, one resent: long after it completed (an idle timeout)', 3, 2600, false],
    ['closed 2.4 s after established, one resent: a lagging event loop, still the refusal', 3, 2400, true],
    ['closed 20 s after established with many segments (keepalive replies)', 9, 20_000, false],
  ];
  it.each(late)('%s', (_, segsInAtClose, now, expected) => {
    expect(lostToLateRefusal({ heldAt: 100, establishedAt: 0, firstBytesAt: null, segsInAtClose }, now)).toBe(expected);
  });
});
