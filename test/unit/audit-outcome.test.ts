/**
 * An audit's pure decisions: each target's outcome (verdict, gate, floor), the worst of them, and which saved runs
 * are a target's series.
 */
import { describe, expect, it } from 'vitest';
import { failedTargetReport, isBelowMinimum, targetOutcome } from '../../src/cli/audit-run.js';
import { readAuditFile } from '../../src/cli/audit-file.js';
import { ProbeError } from '../../src/errors.js';
import { EXIT, exitCodeForOutcome, OUTCOME_SEVERITY, OUTCOME_TABLE, worstOutcome } from '../../src/metrics/exit-codes.js';
import { isSameSeries } from '../../src/history/history-file.js';
import type { RampResult } from '../../src/metrics/result.js';
import { rampResult } from '../helpers/ramp-result.js';

function named(name: string | null, port = 6379): RampResult {
  const r = rampResult({ port });
  if (name !== null) r.audit = { name, labels: {}, settings: {}, minConnections: null, belowMinimum: false };
  return r;
}

describe('targetOutcome', () => {
  it('is the verdict\'s outcome, unless a measured max fails the gate or the floor', () => {
    expect(targetOutcome(rampResult({ verdict: 'limit-by-failure' }), 'pass', false)).toBe('answered');
    expect(targetOutcome(rampResult({ verdict: 'limit-by-failure' }), 'regression', false)).toBe('regression');
    expect(targetOutcome(rampResult({ verdict: 'max-reached' }), null, true)).toBe('regression');
    expect(targetOutcome(rampResult({ verdict: 'timed-out' }), 'regression', false)).toBe('regression');
    expect(targetOutcome(rampResult({ verdict: 'timed-out' }), 'pass', false)).toBe('timed-out');
    // The first run of a target has no baseline: it seeds the history, it does not fail the audit.
    expect(targetOutcome(rampResult({ verdict: 'limit-by-failure' }), 'no-baseline', false)).toBe('answered');
    expect(targetOutcome(rampResult({ verdict: 'unreachable', max: 0 }), 'not-compared', false)).toBe('unreachable');
    expect(targetOutcome(rampResult({ verdict: 'client-limited' }), 'not-compared', true)).toBe('client-limited');
  });

  it('puts a max under minConnections below the floor, but not an unreachable run (that is its own failure)', () => {
    expect(isBelowMinimum(rampResult({ max: 200 }), 250)).toBe(true);
    expect(isBelowMinimum(rampResult({ max: 250 }), 250)).toBe(false);
    expect(isBelowMinimum(rampResult({ max: 200 }), null)).toBe(false);
    expect(isBelowMinimum(rampResult({ max: 0, verdict: 'unreachable' }), 250)).toBe(false);
  });
});

describe('failedTargetReport', () => {
  const target = readAuditFile('targets:\n  - {name: gone, host: nowhere.invalid, port: 5432, labels: {env: ci}}\n', 'f').targets[0]!;

  it('records a target that could not run with its error: a name that does not resolve is unreachable, a bug internal', () => {
    const unresolved = failedTargetReport(target, new ProbeError('unresolvable', 'cannot resolve "nowhere.invalid": ENOTFOUND'));
    expect(unresolved).toMatchObject({
      name: 'gone', address: 'nowhere.invalid:5432', labels: { env: 'ci' }, outcome: 'unreachable', exitCode: EXIT.unreachable,
      maxConcurrency: null, result: null, error: 'cannot resolve "nowhere.invalid": ENOTFOUND',
    });
    expect(failedTargetReport(target, new Error('boom'))).toMatchObject({ outcome: 'internal', exitCode: EXIT.internal, error: 'boom' });
  });
});

describe('worstOutcome', () => {
  it('orders every outcome of the table, stopped first, answered last', () => {
    expect([...OUTCOME_SEVERITY].sort()).toEqual(OUTCOME_TABLE.map((r) => r.outcome).sort());
    expect(OUTCOME_SEVERITY[0]).toBe('interrupted');
    expect(OUTCOME_SEVERITY[OUTCOME_SEVERITY.length - 1]).toBe('answered');
  });

  it('picks the worst: unreachable over a regression over a lower bound over answered', () => {
    expect(worstOutcome([])).toBe('answered');
    expect(worstOutcome(['answered', 'timed-out', 'answered'])).toBe('timed-out');
    expect(worstOutcome(['timed-out', 'client-limited'])).toBe('client-limited');
    expect(worstOutcome(['client-limited', 'regression', 'answered'])).toBe('regression');
    expect(worstOutcome(['regression', 'unreachable'])).toBe('unreachable');
    expect(worstOutcome(['unreachable', 'usage'])).toBe('usage');
    expect(worstOutcome(['usage', 'interrupted', 'internal'])).toBe('interrupted');
    expect(exitCodeForOutcome(worstOutcome(['answered', 'regression', 'timed-out']))).toBe(EXIT.regression);
  });
});

describe('isSameSeries', () => {
  it('groups audit runs by target name and plain ramps by host:port, never one with the other', () => {
    expect(isSameSeries(named('redis', 1), named('redis', 2))).toBe(true);
    expect(isSameSeries(named('redis'), named('redis-tls'))).toBe(false);
    expect(isSameSeries(named(null), named(null))).toBe(true);
    expect(isSameSeries(named(null, 1), named(null, 2))).toBe(false);
    expect(isSameSeries(named('redis'), named(null))).toBe(false);
  });
});
