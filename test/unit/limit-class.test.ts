/** The failure that marks a ramp's limit, against literal failure tables. */
import { describe, expect, it } from 'vitest';
import { limitFailure, limitFailureClass, type LimitFailureInput } from '../../src/metrics/limit-class.js';
import type { FailureClass } from '../../src/types/failure-class.js';
import type { ResultFailureRecord } from '../../src/metrics/result.js';

function record(cls: FailureClass, code: string | null, atMs: number): ResultFailureRecord {
  return { class: cls, code, message: `${cls}`, phase: 'connect', atMs, afterConnectMs: null, serverSaid: null, connId: atMs, sourceAddress: null };
}

function input(rows: [FailureClass, string | null, number, number][], rateLimited: FailureClass[] = []): LimitFailureInput {
  const failures = rows.map(([cls, code, count, atMs]) => ({ class: cls, count, first: record(cls, code, atMs) }));
  const firstFailure = [...failures].sort((a, b) => a.first.atMs - b.first.atMs)[0]?.first ?? null;
  return {
    failures,
    firstFailure,
    rate: { rateLimits: rateLimited.map((c) => ({ failedAtPerSec: 8000, continuedAtPerSec: 4000, heldAtMs: 100, failureClass: c })) },
  };
}

describe('limitFailure', () => {
  it.each([
    // A listener closed at the cap: the queued connects are reset first, then every later one is refused.
    ['the most frequent class, not the first', [['reset', 'ECONNRESET', 15, 178], ['refused', 'ECONNREFUSED', 125, 179]], [], 'refused', 'ECONNREFUSED'],
    ['the earlier class on a tie', [['refused', 'ECONNREFUSED', 10, 200], ['reset', 'ECONNRESET', 10, 150]], [], 'reset', 'ECONNRESET'],
    ['not a class that only stopped when the rate dropped', [['timeout', null, 5000, 100], ['reset', 'ECONNRESET', 40, 9000]], ['timeout'], 'reset', 'ECONNRESET'],
    ['a rate-limit class when nothing else is left', [['timeout', null, 50, 100]], ['timeout'], 'timeout', null],
    ['the first failure when every failure is this machine\'s', [['ports', 'EADDRNOTAVAIL', 12, 300]], [], 'ports', 'EADDRNOTAVAIL'],
  ] as const)('%s', (_name, rows, rateLimited, cls, code) => {
    const found = limitFailure(input(rows.map((r) => [...r]), [...rateLimited]));
    expect(found?.class).toBe(cls);
    expect(found?.code).toBe(code);
  });

  it('is null without failures', () => {
    expect(limitFailure(input([]))).toBeNull();
    expect(limitFailureClass(input([]))).toBeNull();
  });
});
