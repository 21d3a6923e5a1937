/**
 * A failure as the result document records it (`tcpprobe/result`, result-schema.ts): its class, the record of the
 * first of a class, and the failures of one class. Shared by the verdicts, the ramp's findings, the counters and
 * the comparison.
 *
 * Loaded only by the schema build and tests: the CLI imports the types (`import type`), never TypeBox itself.
 */
import { Type } from 'typebox';
import { ALL_FAILURE_CLASSES } from '../types/failure-class.js';
import { closed, count, described, figure, nullable, text } from './schema-kit.js';

export const FailureClassSchema = Type.Enum([...ALL_FAILURE_CLASSES], { description: 'the class of a failed or lost connection' });

/**
 * A limit of the load side: a client-side failure class, or `cpu` (a process of a worker or agent kept a core busy
 * through the run: metrics/verdict.ts CPU_BOUND). Every failure class stays in it: the field it types once took
 * only failure classes, and an enum of a schema version never loses a value.
 */
export const ClientLimitClassSchema = Type.Enum([...ALL_FAILURE_CLASSES, 'cpu'], {
  description: "a limit of the load side: a client-side failure class (fd-limit, ports, memory, conntrack) or cpu (a process kept a core busy)",
});

/** One failure, as reported for the first of each class. */
export const FailureRecordSchema = closed(
  {
    class: FailureClassSchema,
    code: nullable(text('the code'), 'the errno or Node error code (e.g. "ECONNREFUSED"); null when there was none'),
    message: text('the error message'),
    phase: Type.Enum(['connect', 'established', 'held'], {
      description: 'where the connection was when it failed: connecting, open but not held, or held',
    }),
    atMs: figure('when it failed, in ms since the pool started'),
    afterConnectMs: nullable(figure('ms'), 'for lost connections: how long after connecting it was lost, in ms; else null'),
    serverSaid: nullable(text('escaped bytes'), 'the first bytes the server sent (escaped), if any; else null'),
    connId: count('the connection\'s number within its pool'),
    sourceAddress: nullable(text('an IP address'), 'the source address the connection was bound to; null: chosen by the kernel'),
  },
  'one failure: the first of its class',
);

export const FailureSummarySchema = closed(
  {
    class: FailureClassSchema,
    count: count('failures of this class (connections)'),
    first: described(FailureRecordSchema, 'the first failure of this class'),
  },
  'the failures of one class: how many, and the first',
);
