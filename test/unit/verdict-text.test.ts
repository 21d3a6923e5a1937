/** Verdicts as data worded by the reporters: the sentences against literals. */
import { describe, expect, it } from 'vitest';
import { holdAssertion, holdVerdict, rampVerdict } from '../../src/reporters/verdict-text.js';
import type { HoldStop } from '../../src/metrics/verdict.js';

const HOLD: Omit<HoldStop, 'kind'> = {
  connections: 2100,
  peakHeld: 2052,
  held: 169,
  settling: 12,
  connected: 2060,
  lost: 3,
  turnedAway: 0,
  reconnects: 0,
  durationMs: 10_000,
  maxDurationMs: 60_000,
};

describe('rampVerdict', () => {
  const base = { connections: 1000, failure: { class: 'refused' as const, code: 'ECONNREFUSED' } };

  it('words a confirmed and an unconfirmed limit by failure', () => {
    expect(rampVerdict({ ...base, kind: 'limit-by-failure', confirmed: true })).toEqual({
      kind: 'limit-by-failure',
      summary:
        'The server holds at most 1,000 concurrent connections: past that, connects failed with refused (ECONNREFUSED), and went on failing at a low rate.',
      lowerBound: false,
      clientLimit: null,
    });
    expect(rampVerdict({ ...base, kind: 'limit-by-failure', confirmed: false }).summary).toBe(
      'Stopped when connects began to fail with refused (ECONNREFUSED), with 1,000 connections held (not confirmed at a low rate).',
    );
  });

  it('says a timed-out or client-limited number is a lower bound, with the advice for the limit', () => {
    expect(rampVerdict({ ...base, kind: 'timed-out' })).toEqual({
      kind: 'timed-out',
      summary: '--max-duration ran out with 1,000 connections held and no failure: the server holds at least 1,000.',
      lowerBound: true,
      clientLimit: null,
    });
    const limited = rampVerdict({ ...base, kind: 'client-limited', limitedBy: 'ports' });
    expect(limited.lowerBound).toBe(true);
    expect(limited.summary).toBe('Inconclusive: limited by this machine (ports), not by the server; the server holds at least 1,000.');
    expect(limited.clientLimit?.class).toBe('ports');
    expect(limited.clientLimit?.advice).toMatch(/--source/);
  });

  it('a time-out with nothing held says no answer came, not "at least 0"', () => {
    expect(rampVerdict({ connections: 0, failure: null, kind: 'timed-out' }).summary).toBe(
      '--max-duration ran out before any connection was held, and none failed: timed out without an answer.',
    );
  });

  it('names the plateau by its length, and no failure as "no answer"', () => {
    expect(rampVerdict({ ...base, kind: 'limit-by-plateau', plateauMs: 3000 }).summary).toBe(
      'Held connections stopped growing at 1,000 for 3s while attempts went on.',
    );
    expect(rampVerdict({ ...base, failure: null, kind: 'unreachable' }).summary).toBe('No connection could be established: no answer.');
  });
});

describe('holdVerdict and holdAssertion', () => {
  it('words how a hold ended', () => {
    expect(holdVerdict({ ...HOLD, kind: 'held', settling: 0 }).summary).toBe(
      'Held 2,052 of 2,100 connections at the peak for 10s; 3 lost, 0 reconnects.',
    );
    // A --duration shorter than --settle: the open connections are named, not left out of "held 0".
    expect(holdVerdict({ ...HOLD, kind: 'held', connections: 1, peakHeld: 0, held: 0, settling: 1, lost: 0, durationMs: 100 }).summary).toBe(
      'Held 0 of 1 connections at the peak for 100ms (1 more open at the end, not yet held); 0 lost, 0 reconnects.',
    );
    expect(holdVerdict({ ...HOLD, kind: 'timed-out' }).summary).toBe(
      '--max-duration (1m) ran out with 169 held (12 more open, not yet held) of 2,100.',
    );
    // Closed by the server before they were held: turned away, not lost.
    expect(holdVerdict({ ...HOLD, kind: 'held', connections: 600, peakHeld: 500, settling: 0, connected: 600, lost: 0, turnedAway: 100 }).summary).toBe(
      'Held 500 of 600 connections at the peak for 10s; 100 turned away by the server, 0 lost, 0 reconnects.',
    );
    const limited = holdVerdict({ ...HOLD, kind: 'client-limited', limitedBy: 'fd-limit' });
    expect(limited.summary).toBe('Inconclusive: limited by this machine (fd-limit) at 2,052 held connections, not by the server.');
    expect(limited.lowerBound).toBe(true);
  });

  it('words the assertions: expected, and actual with what was short', () => {
    expect(holdAssertion({ name: 'established-within', passed: false, count: 2100, withinMs: 1000, established: 2052 })).toEqual({
      name: 'established-within',
      passed: false,
      expected: '2,100 established within 1s and open for --settle',
      actual: '2,052 of 2,100 established within 1s (48 short)',
    });
    expect(
      holdAssertion({ name: 'held', passed: false, connections: 100, durationMs: null, lost: 2, failedToConnect: 1 }).actual,
    ).toBe('2 lost, 1 failed to connect, of 100 to hold for the run');
  });
});
