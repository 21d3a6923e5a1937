import { describe, expect, it } from 'vitest';
import type { ScheduleRecord } from '../../src/metrics/result.js';
import { adaptiveScheduleLines, heldClosesLines } from '../../src/reporters/ramp-summary.js';

const stage = (fromMs: number, ratePerSec: number, reason: ScheduleRecord['reason']): ScheduleRecord => ({
  fromMs,
  toMs: null,
  description: `${ratePerSec} connections/s`,
  ratePerSec,
  reason,
});

describe('adaptive schedule in the report', () => {
  it('gives the slow start one line and each later change its reason', () => {
    const lines = adaptiveScheduleLines([
      stage(0, 2000, 'start'),
      stage(50, 4000, 'all-held'),
      stage(100, 8000, 'all-held'),
      stage(150, 16_000, 'all-held'),
      stage(210, 10_400, 'opener-full'),
      stage(1300, 5200, 'latency-rose'),
      stage(2500, 6500, 'quiet'),
    ]);
    expect(lines).toEqual([
      'Schedule: slow start 2,000/s, up to 16,000/s by 150ms',
      "  at 210ms: 10,400/s (the opener's in-flight slots were full: no faster)",
      '  at 1.3s: 5,200/s (connect latency rose far above its baseline)',
      '  at 2.5s: 6,500/s (quiet near the edge)',
    ]);
  });

  it('a run that never left its first rate says so', () => {
    expect(adaptiveScheduleLines([stage(0, 2000, 'start')])).toEqual(['Schedule: slow start at 2,000/s']);
  });

  it('lists six changes at most and counts the rest', () => {
    const many = [stage(0, 2000, 'start'), ...Array.from({ length: 9 }, (_, i) => stage(100 * (i + 1), 1000 + i, 'quiet'))];
    const lines = adaptiveScheduleLines(many);
    expect(lines).toHaveLength(1 + 6 + 1);
    expect(lines.at(-1)).toBe("  and 3 more changes (the JSON document's schedule)");
  });
});

describe('closes of held connections in the report', () => {
  const base = { closed: 400, failedNewConnects: 25, reconnect: false, replacements: 0, replacementsHeld: 0, duringHold: 200, sustained: 0, heldAtEnd: 0, churnPerSec: 100 };

  it('tells them apart from failed new connects', () => {
    expect(heldClosesLines({ heldCloses: base })).toEqual([
      'Held connections closed by the server: 400, 200 of them during the hold; failed new connects: 25.',
    ]);
  });

  it('with --reconnect: the replacements, how many were held, what the hold sustained and the churn', () => {
    expect(heldClosesLines({ heldCloses: { ...base, reconnect: true, replacements: 400, replacementsHeld: 390, sustained: 195, heldAtEnd: 180 } })).toEqual([
      'Held connections closed by the server: 400, 200 of them during the hold; failed new connects: 25.',
      'Reconnect: 400 replacements opened, 390 held; sustained 195 on average over the hold (180 at its end), churn 100/s.',
    ]);
  });

  it('says nothing when there is nothing to say', () => {
    expect(heldClosesLines({})).toEqual([]);
  });
});
