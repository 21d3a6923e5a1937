/** The confirmation stage's plan and judgements (controller/confirm-plan.ts) and its sentence, against literal tables. */
import { describe, expect, it } from 'vitest';
import { confirmationApplies, dueByNow, judgeOneMore, planConfirmation } from '../../src/controller/confirm-plan.js';
import { confirmationLine, ordinal } from '../../src/reporters/confirmation-text.js';
import type { Confirmation, RampVerdictKind } from '../../src/metrics/result.js';

describe('confirmationApplies', () => {
  const table: [RampVerdictKind, boolean][] = [
    ['limit-by-failure', true],
    ['limit-by-plateau', true],
    ['evicting', false],
    ['max-reached', false],
    ['client-limited', false],
    ['timed-out', false],
    ['unreachable', false],
    ['rejected', false],
    ['interrupted', false],
  ];
  it.each(table)('%s: %s', (kind, applies) => {
    expect(confirmationApplies(kind)).toBe(applies);
  });
});

describe('planConfirmation', () => {
  // found, absorbed/s, hold, settle -> rate/s, expected ms (500 cool-down + opening + settle + hold + settle + 500)
  const table: [number, number, number, number, number, number][] = [
    [1000, 12_000, 2000, 100, 500, 500 + 2000 + 100 + 2000 + 600],
    [1000, 0, 2000, 100, 500, 500 + 2000 + 100 + 2000 + 600],
    [1000, 400, 2000, 100, 200, 500 + 5000 + 100 + 2000 + 600],
    [100, 15, 1000, 300, 10, 500 + 10_000 + 300 + 1000 + 800],
    [5000, 999, 500, 100, 499, 500 + 10_021 + 100 + 500 + 600],
  ];
  it.each(table)('%i found, %i/s absorbed, hold %i, settle %i: %i/s, %i ms', (found, absorbedPerSec, holdMs, settleMs, rate, needed) => {
    expect(planConfirmation({ found, absorbedPerSec, holdMs, settleMs })).toEqual({
      ratePerSec: rate,
      coolDownMs: 500,
      holdMs,
      neededMs: needed,
    });
  });
});

describe('dueByNow', () => {
  // found, rate, ms into the opening -> asked for by then (the first at once)
  const table: [number, number, number, number][] = [
    [1000, 500, 0, 1],
    [1000, 500, 10, 6],
    [1000, 500, 1000, 501],
    [1000, 500, 5000, 1000],
    [3, 10, 150, 2],
  ];
  it.each(table)('%i at %i/s after %i ms: %i', (found, rate, ms, due) => {
    expect(dueByNow(found, rate, ms)).toBe(due);
  });
});

describe('judgeOneMore', () => {
  const table: [string, number, Record<string, number>, number, Record<string, number>, { failed: boolean; failureClass: string | null }][] = [
    ['closed at once', 1000, { 'closed-by-peer': 7 }, 1000, { 'closed-by-peer': 8 }, { failed: true, failureClass: 'closed-by-peer' }],
    ['refused', 1000, {}, 1000, { refused: 1 }, { failed: true, failureClass: 'refused' }],
    ['held, and an old one closed for it', 500, {}, 500, { reset: 1 }, { failed: true, failureClass: 'reset' }],
    ['held too', 1000, { 'closed-by-peer': 7 }, 1001, { 'closed-by-peer': 7 }, { failed: false, failureClass: null }],
  ];
  it.each(table)('%s', (_, heldBefore, before, heldAfter, after, expected) => {
    expect(judgeOneMore({ held: heldBefore, failuresByClass: before }, { held: heldAfter, failuresByClass: after })).toEqual(expected);
  });
});

describe('the confirmation in words', () => {
  it.each([
    [1, '1st'],
    [2, '2nd'],
    [3, '3rd'],
    [4, '4th'],
    [11, '11th'],
    [12, '12th'],
    [13, '13th'],
    [21, '21st'],
    [112, '112th'],
    [1001, '1,001st'],
  ])('ordinal(%i) = %s', (n, text) => {
    expect(ordinal(n)).toBe(text);
  });

  const ran: Confirmation = {
    ran: true,
    stoppedBy: null,
    confirmed: true,
    asked: 1000,
    held: 1000,
    oneMore: { failed: true, failureClass: 'closed-by-peer' },
    ratePerSec: 500,
    coolDownMs: 500,
    holdMs: 2000,
    neededMs: 5200,
    durationMs: 5210,
  };
  const table: [string, Partial<Confirmation>, RampVerdictKind, string][] = [
    ['confirmed', {}, 'limit-by-failure', 'Confirmed: 1,000 held again at 500/s for 2s, and the 1,001st failed (closed-by-peer); the stage took 5.21s.'],
    [
      'fewer held',
      { confirmed: false, held: 980, oneMore: null },
      'limit-by-failure',
      'Not confirmed: only 980 of 1,000 held again at 500/s for 2s: the server holds fewer than the search found; the stage took 5.21s.',
    ],
    [
      'one more held',
      { confirmed: false, oneMore: { failed: false, failureClass: null } },
      'limit-by-plateau',
      'Not confirmed: 1,000 held again at 500/s for 2s, and the 1,001st held too: the limit is above the found count; the stage took 5.21s.',
    ],
    [
      'does not fit',
      { ran: false, confirmed: false, stoppedBy: 'does-not-fit', held: null, oneMore: null, durationMs: 0 },
      'limit-by-failure',
      'Confirmation not run: it needs about 5.2s, more than --max-duration left; give a longer --max-duration.',
    ],
    [
      'no found limit',
      { ran: false, confirmed: false, stoppedBy: 'not-a-found-limit', held: null, oneMore: null, durationMs: 0 },
      'max-reached',
      'Confirmation not run: only a found limit is confirmed (this run ended max-reached).',
    ],
  ];
  it.each(table)('%s', (_, over, verdict, line) => {
    expect(confirmationLine({ ...ran, ...over }, verdict)).toBe(line);
  });
});
