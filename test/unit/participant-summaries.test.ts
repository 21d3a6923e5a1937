/**
 * The participants as the result lists them: each one's share of the connections the run asked for, derived from
 * every participant's counters, and what the summary says of them (share, start drift).
 */
import { describe, expect, it } from 'vitest';
import { emptyCounters } from '../../src/types/pool-counters.js';
import { participantSummaries } from '../../src/run/result.js';
import type { DriverParticipant } from '../../src/controller/driver.js';
import { participantLines } from '../../src/reporters/result-sections.js';
import type { ProbeResult } from '../../src/metrics/result.js';

function part(name: string, requested: number, startLagMs: number | null = null): DriverParticipant {
  return { name, maxHeld: requested, counters: { ...emptyCounters(), requested, attempted: requested }, clientLimit: null, lostAtMs: null, startLagMs };
}

describe('participant shares', () => {
  it.each([
    [[1000, 1000, 1000], [0.333, 0.333, 0.333]],
    [[1500, 1500, 316], [0.452, 0.452, 0.095]],
    [[0, 0], [0, 0]],
  ])('asked %o: shares %o', (asked, shares) => {
    expect(participantSummaries(asked.map((n, i) => part(`a${i}`, n))).map((p) => p.share)).toEqual(shares);
  });
});

describe('the participants table', () => {
  it('states each share and the start drift between the first and the last to apply the first ask', () => {
    const participants = participantSummaries([part('a1', 1000, 12), part('a2', 1000, 53), part('a3', 1000, 30)]);
    const text = participantLines({ participants } as unknown as ProbeResult).join('\n');
    expect(text).toContain('Start drift: 41ms (the first ask applied 12ms (a1) to 53ms (a2) after it was sent)');
    expect(text).toMatch(/name\s+max held\s+share\s+attempted/);
    expect(text).toMatch(/a3\s+1,000\s+33%\s+1,000/);
  });

  it('says no drift when fewer than two participants applied an ask', () => {
    const participants = participantSummaries([part('a1', 1000, 12), part('a2', 0, null)]);
    expect(participantLines({ participants } as unknown as ProbeResult).join('\n')).not.toContain('Start drift');
  });
});
