import { describe, expect, it } from 'vitest';
import { conntrackScope, type ConntrackApplies, type ConntrackEvidence } from '../../src/preflight/conntrack-scope.js';

describe('conntrackScope: whether the table bounds this namespace', () => {
  // [conntrackMax, conntrackCount, conntrackTracksHere, applies, why contains]
  const table: [number | null, number | null, boolean | null | undefined, ConntrackApplies, string][] = [
    [null, null, undefined, 'no', 'not loaded'],
    [null, null, null, 'no', 'not loaded'],
    // Entries in use: this namespace tracks, whatever a test would say.
    [262_144, 3703, undefined, 'yes', 'entries in use'],
    [262_144, 1, false, 'yes', 'entries in use'],
    // An empty table: the loopback connection decides.
    [262_144, 0, true, 'yes', 'got an entry'],
    [262_144, 0, false, 'no', 'tracks nothing'],
    // Nothing decides: the table stays a cap, and the reason says why.
    [262_144, 0, null, 'unknown', 'could not be tested'],
    [262_144, 0, undefined, 'unknown', 'could not be tested'],
    [262_144, null, null, 'unknown', 'not readable'],
    [262_144, null, true, 'yes', 'got an entry'],
    [262_144, null, false, 'no', 'tracks nothing'],
  ];
  it.each(table)('max %s, count %s, loopback test %s -> %s', (conntrackMax, conntrackCount, tracks, applies, why) => {
    const e: ConntrackEvidence = { conntrackMax, conntrackCount };
    if (tracks !== undefined) e.conntrackTracksHere = tracks;
    const scope = conntrackScope(e);
    expect(scope.applies).toBe(applies);
    expect(scope.why).toContain(why);
  });
});
