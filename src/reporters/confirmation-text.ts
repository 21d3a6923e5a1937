/**
 * The confirmation stage in words (--confirm): one sentence from the result's `confirmation` facts. Pure.
 */
import { formatCount, formatDurationMs } from '../config/units.js';
import type { Confirmation, RampVerdictKind } from '../metrics/result.js';
import { formatRate } from './format.js';

/** 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 1,001st. */
export function ordinal(n: number): string {
  const tens = n % 100;
  const ones = n % 10;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ones === 1 ? 'st' : ones === 2 ? 'nd' : ones === 3 ? 'rd' : 'th';
  return `${formatCount(n)}${suffix}`;
}

/** The confirmation's sentence; `verdict`: the search's, named when there was no limit to confirm. */
export function confirmationLine(c: Confirmation, verdict: RampVerdictKind): string {
  const took = `the stage took ${formatDurationMs(c.durationMs)}`;
  const how = `at ${formatRate(c.ratePerSec)} for ${formatDurationMs(c.holdMs)}`;
  switch (c.stoppedBy) {
    case 'not-a-found-limit':
      return `Confirmation not run: only a found limit is confirmed (this run ended ${verdict}).`;
    case 'does-not-fit':
      return `Confirmation not run: it needs about ${formatDurationMs(c.neededMs)}, more than --max-duration left; give a longer --max-duration.`;
    case 'out-of-time':
      return `Not confirmed: --max-duration ran out during the confirmation${c.held === null ? '' : ` (${formatCount(c.held)} of ${formatCount(c.asked)} held)`}; ${took}.`;
    case 'interrupted':
      return `Not confirmed: interrupted during the confirmation; ${took}.`;
    case null:
      break;
  }
  const held = c.held ?? 0;
  if (held < c.asked) {
    return `Not confirmed: only ${formatCount(held)} of ${formatCount(c.asked)} held again ${how}: the server holds fewer than the search found; ${took}.`;
  }
  const next = ordinal(c.asked + 1);
  if (c.oneMore !== null && !c.oneMore.failed) {
    return `Not confirmed: ${formatCount(c.asked)} held again ${how}, and the ${next} held too: the limit is above the found count; ${took}.`;
  }
  const cls = c.oneMore?.failureClass ?? 'no failure class';
  return `Confirmed: ${formatCount(c.asked)} held again ${how}, and the ${next} failed (${cls}); ${took}.`;
}
