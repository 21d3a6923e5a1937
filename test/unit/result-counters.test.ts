/**
 * The result document names its own counters and failure fields: the engine's are mapped onto them field by field
 * (controller/run-context.ts), so whatever else an engine object carries never reaches the document, and every
 * field the document's schema names is filled.
 */
import { describe, expect, it } from 'vitest';
import { emptyCounters, type FailureRecord } from '../../src/types/pool-counters.js';
import { resultCounters, resultFailure } from '../../src/metrics/result-mapping.js';
import { FailureRecordSchema } from '../../src/metrics/failure-schema.js';
import { ResultCountersSchema } from '../../src/metrics/measurement-schema.js';

describe('engine figures into the result document', () => {
  it('counters: exactly the fields ResultCountersSchema names, with the engine values', () => {
    const engine = { ...emptyCounters(), held: 7, peakHeld: 9, failuresByClass: { refused: 2 }, internalOnly: 1 };
    const doc = resultCounters(engine);
    expect(Object.keys(doc).sort()).toEqual(Object.keys(ResultCountersSchema.properties).sort());
    expect(doc).toMatchObject({ held: 7, peakHeld: 9, failuresByClass: { refused: 2 } });
    expect(doc).not.toHaveProperty('internalOnly');
    // A copy: the engine's live map going on does not change a result already built.
    engine.failuresByClass.refused = 3;
    expect(doc.failuresByClass.refused).toBe(2);
  });

  it('failures: exactly the fields FailureRecordSchema names', () => {
    const f: FailureRecord & { socket?: unknown } = {
      class: 'reset', code: 'ECONNRESET', message: 'read ECONNRESET', phase: 'held', atMs: 12.5, afterConnectMs: 3,
      serverSaid: null, connId: 4, sourceAddress: '127.0.0.2', socket: {},
    };
    const doc = resultFailure(f);
    expect(Object.keys(doc).sort()).toEqual(Object.keys(FailureRecordSchema.properties).sort());
    expect(doc).toEqual({ class: 'reset', code: 'ECONNRESET', message: 'read ECONNRESET', phase: 'held', atMs: 12.5, afterConnectMs: 3, serverSaid: null, connId: 4, sourceAddress: '127.0.0.2' });
  });
});
