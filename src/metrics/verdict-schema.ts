/**
 * How a run ended, as the result document records it (result-schema.ts): the verdict kinds of a ramp and of a
 * hold with what each means, the verdict as data and in one sentence (metrics/verdict.ts is the data, the
 * sentence is reporters/verdict-text.ts's), the client limit of a client-limited run, and the outcome of each
 * assertion.
 *
 * Loaded only by the schema build and tests: the CLI imports the types (`import type`), never TypeBox itself.
 */
import { Type, type TSchema } from 'typebox';
import { ClientLimitClassSchema } from './failure-schema.js';
import { closed, described, flag, nullable, text } from './schema-kit.js';

export const RampVerdictKindSchema = Type.Enum(
  [
    'limit-by-failure', // failures at the edge that persisted at a low rate: the server's concurrency limit
    'limit-by-plateau', // held count stopped growing while attempts went on
    'max-reached', // --max reached without failure: the server holds at least that many
    'timed-out', // --max-duration ran out first: the server holds at least the max
    'unreachable', // not one connection could be established
    'rejected', // the server accepted connections but closed or rejected every one, from the first: no capacity
    'evicting', // the server closes old idle connections to take new ones: the max is the most open at once
    'client-limited', // this machine ran out first (fds, ports, memory): a lower bound, not the server's number
    'interrupted', // SIGINT/SIGTERM
  ],
  { description: 'why a ramp ended, and so what its number means' },
);

export const HoldVerdictKindSchema = Type.Enum(
  [
    'held', // held for --duration
    'all-closed', // no --duration: the server closed every connection
    'timed-out', // --max-duration ran out
    'unreachable',
    'client-limited',
    'interrupted',
  ],
  { description: 'how a hold ended' },
);

export const ClientLimitSchema = closed(
  {
    class: described(ClientLimitClassSchema, "which of the load side's limits ran out: a client-side failure class, or cpu"),
    advice: text('how to lift that limit'),
    participants: Type.Optional(
      Type.Array(text('a participant name'), {
        description:
          "the workers or agents whose machine bound their share (each one's limit is its participants[].clientLimit); absent: a single process",
      }),
    ),
  },
  "the limit of this machine that ended the run, and how to lift it",
);

function verdictSchema<K extends TSchema>(kind: K, description: string) {
  return closed(
    {
      kind,
      summary: text('one sentence for people: the number and what it means'),
      lowerBound: flag("true when the number is only a lower bound of the server's capacity"),
      clientLimit: nullable(ClientLimitSchema, "for client-limited: which limit of this machine and how to lift it; else null"),
    },
    description,
  );
}

export const RampVerdictSchema = verdictSchema(RampVerdictKindSchema, 'how the ramp ended, as data and in one sentence');
export const HoldVerdictSchema = verdictSchema(HoldVerdictKindSchema, 'how the hold ended, as data and in one sentence');

export const AssertionOutcomeSchema = closed(
  {
    name: Type.Enum(['established-within', 'held', 'capacity'], {
      description: 'the assertion: hold --assert-established/--within, hold --assert-held, or ramp --assert-capacity',
    }),
    passed: flag('true when it held'),
    expected: text('what was asserted, in words'),
    actual: text('what happened, in words'),
  },
  'one assertion of the run and its outcome',
);
