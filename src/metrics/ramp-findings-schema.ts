/**
 * What a ramp found besides its number, as its result records it (result-schema.ts): rate limits, the held
 * connections the server closed, the resources added as the count grew, the schedule as run and why it changed,
 * the handshake audit, eviction, and the confirmation stage (--confirm).
 *
 * Loaded only by the schema build and tests: the CLI imports the types (`import type`), never TypeBox itself.
 */
import { Type } from 'typebox';
import { FailureClassSchema } from './failure-schema.js';
import { closed, count, described, figure, flag, nullable, text, wholeMs } from './schema-kit.js';

/** A rate limit found while ramping: failures that stopped when the rate dropped. */
export const RateFindingSchema = closed(
  {
    failedAtPerSec: figure('the rate at which failures appeared, in connections/s'),
    continuedAtPerSec: figure('the rate the ramp went on at, in connections/s'),
    heldAtMs: figure('when the failures appeared, in ms since the start'),
    failureClass: described(FailureClassSchema, 'the class of those failures'),
  },
  'a rate limit found while ramping: failures that stopped when the rate dropped',
);

/**
 * A new-connection rate limit, measured: a steady stream of connects faster than it, and how many of them the
 * limiter let through per second once it had turned the first one away (controller/rate-phase.ts).
 */
export const NewConnectionLimitSchema = closed(
  {
    perSec: figure('new connections let through per second once the limiter was turning connects away, in connections/s'),
    turnedAwayBy: Type.Enum(['dropped-syn', 'refused'], {
      description:
        "how it turns connects beyond its rate away: 'dropped-syn', SYNs unanswered (connects complete only after the kernel resends the SYN, 1 s later, or time out); 'refused', RST to the SYN",
    }),
    offeredPerSec: figure('the steady rate of the connects measured, in connections/s'),
    connects: count('connects in the measured stream'),
    overMs: figure('how long the stream went on after the first connect was turned away, in ms: the time the rate is counted over'),
    passed: count('connects started in that time whose first SYN was answered'),
    dropped: count('connects of the stream whose first SYN went unanswered: completed only after a resend, or timed out'),
    refused: count('connects of the stream refused'),
    atMs: figure('when the stream started, in ms since the start'),
  },
  'a new-connection rate limit, measured: connects let through per second by a limiter turning the rest away',
);

/** Held connections the server closed during a ramp, and (with --reconnect) what replaced them. */
export const HeldClosesSchema = closed(
  {
    closed: count('held connections the server closed or reset'),
    failedNewConnects: count('failures that were not closes of held connections: connects that failed, connections closed before held'),
    reconnect: flag('true when closed connections were replaced (--reconnect)'),
    replacements: count('replacements started for closed connections (--reconnect)'),
    replacementsHeld: count('of those, replacements that became held'),
    duringHold: count('closes of held connections during the hold'),
    sustained: figure('connections held on average over the hold (its samples)'),
    heldAtEnd: count('connections held at the end of the hold'),
    churnPerSec: figure('closes of held connections during the hold, in connections/s'),
  },
  'held connections the server closed during the ramp, and (with --reconnect) what replaced them',
);

/** A source address or a worker process added during the run, as the held count grew. */
export const ResourceChangeSchema = closed(
  {
    atMs: figure('when it was added, in ms since the start'),
    kind: Type.Enum(['source-address', 'process'], { description: 'what was added: a source address or a worker process' }),
    name: text('the source address, or the process name'),
    atConnections: count('connections asked for when it was added'),
    reason: text('why it was added'),
  },
  'a source address or a worker process added during the run, as the held count grew',
);

/**
 * Why an adaptive schedule changed its rate (src/controller/adaptive-plan.ts decides; reporters word them).
 * 'resume': going on after a pause to check for eviction.
 */
export const ScheduleChangeReasonSchema = Type.Enum(
  ['start', 'all-held', 'quiet', 'held-lags', 'latency-rose', 'opener-full', 'rate-limit', 'resume'],
  { description: "why an adaptive schedule changed its rate ('resume': going on after a pause to check for eviction)" },
);

export const ScheduleRecordSchema = closed(
  {
    fromMs: figure('when the stage began, in ms since the start'),
    toMs: nullable(figure('ms'), 'when it ended, in ms since the start; null: it lasted to the end of the ramp'),
    description: text('the stage in words'),
    ratePerSec: Type.Optional(figure("the stage's rate, in connections/s (rate stages)")),
    reason: Type.Optional(described(ScheduleChangeReasonSchema, 'adaptive schedules: why this stage began')),
  },
  'one stage of the schedule as run',
);

/** The check for handshakes the server never completed, run once the ramp has held its population. */
export const HandshakeAuditSchema = closed(
  {
    ran: flag('true when the check ran'),
    checked: count('held connections looked at'),
    suspects: count('connections that looked like handshakes the server never completed (more than one segment in, no data)'),
    neverCompleted: count('confirmed (the server kept retransmitting its SYN-ACK) and taken out of the held count and the peak'),
    reopened: Type.Optional(
      count(
        'of those, reopened one at a time after the burst and held (a server that accepts slowly completes them once its queue drains); absent when none were taken back',
      ),
    ),
    note: nullable(text('why'), 'why it did not run; null when it ran'),
  },
  'the check for handshakes the server never completed, run once the ramp has held its population',
);

/** A server that closes its oldest idle connections to make room for new ones (nginx's "reusing connections"). */
export const EvictionFindingSchema = closed(
  {
    maxOpen: count('the most connections open at once: the number it holds'),
    evicted: count('held connections the server closed while new connects were held'),
    largestBatch: count('the most held connections closed within one sample tick (nginx closes up to 32 per accept)'),
    firstAtMs: figure('when the first held connection was evicted, in ms since the start'),
  },
  "a server that closes its oldest idle connections to make room for new ones (nginx's \"reusing connections\")",
);

/** Why the confirmation stage did not run, or did not run to its end. */
export const ConfirmationStopSchema = Type.Enum(['not-a-found-limit', 'does-not-fit', 'out-of-time', 'interrupted'], {
  description:
    "why the confirmation did not run ('not-a-found-limit': the verdict was no limit-by-failure or limit-by-plateau; " +
    "'does-not-fit': its expected time was more than --max-duration left) or stopped before its end ('out-of-time', 'interrupted')",
});

/** The confirmation stage (--confirm): the found count opened again from nothing at a slow rate, held, and one more. */
export const ConfirmationSchema = closed(
  {
    ran: flag('true when it started: every connection closed, the cool-down waited, the found count opened again'),
    stoppedBy: nullable(ConfirmationStopSchema, 'why it did not run or did not finish; null: it ran to its end'),
    confirmed: flag('true when all the asked connections held through the hold and one more failed'),
    asked: count('connections asked for again: the count the search found (maxConcurrency)'),
    held: nullable(count('connections'), 'held at the end of the hold, opened at the slow rate; null: it did not get that far'),
    oneMore: nullable(
      closed(
        {
          failed: flag('true when the connection beyond the found count failed (or one held before it was closed)'),
          failureClass: nullable(FailureClassSchema, 'the class of that failure; null: it did not fail'),
        },
        'the connection asked for beyond the found count',
      ),
      'the connection beyond the found count; null: not tried (fewer held than asked, or the stage stopped first)',
    ),
    ratePerSec: figure('the slow steady rate the found count was opened at, in connections/s'),
    coolDownMs: wholeMs('the wait after closing every connection, before opening again, in ms'),
    holdMs: wholeMs('how long the found count was held before one more was tried, in ms (--hold)'),
    neededMs: wholeMs('the time the stage was expected to take, in ms: what must be left of --max-duration for it to run'),
    durationMs: wholeMs('the time it took, in ms (0: it did not run)'),
  },
  'the confirmation stage (--confirm): after the search, every connection closed, the found count opened again at a slow rate and held, then one more',
);
