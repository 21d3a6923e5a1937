/**
 * The participant loop: one engine (ConnectionPool) driven by commands, reporting telemetry. A worker process and
 * a fleet agent both run exactly this; only their transport differs.
 */
import { ConnectionPool, type EngineConfig } from '../engine/connection-pool.js';
import { encodeHistogram } from '../metrics/histogram.js';
import {
  HISTOGRAM_INTERVAL_MS,
  TELEMETRY_INTERVAL_MS,
  type ParticipantCommand,
  type TelemetryReport,
} from './protocol.js';
import { createSettleCollector } from './settle-gc.js';

export interface ParticipantTransport {
  send(report: TelemetryReport): void;
}

export interface Participant {
  /** Apply one command from the controller. */
  handle(cmd: ParticipantCommand): void;
  /** Resolves after the final report was sent (on a close command, or close()). */
  readonly done: Promise<void>;
  /** Close everything now (e.g. the controller vanished) and send the final report. */
  close(): void;
}

export function startParticipant(
  name: string,
  engine: EngineConfig,
  transport: ParticipantTransport,
  fdLimit: number | null,
): Participant {
  const pool = new ConnectionPool(engine);
  let appliedSeq = 0;
  let lastHistogramAt = 0;
  let closed = false;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));

  const report = (final: boolean): void => {
    const now = pool.now();
    const withHistograms = final || now - lastHistogramAt >= HISTOGRAM_INTERVAL_MS;
    if (withHistograms) lastHistogramAt = now;
    transport.send({
      kind: 'telemetry',
      name,
      appliedSeq,
      counters: pool.counters(),
      firstFailures: [...pool.firstFailures.values()],
      connectUs: withHistograms ? encodeHistogram(pool.connectLatency) : null,
      tlsUs: withHistograms && engine.tls !== null ? encodeHistogram(pool.tlsLatency) : null,
      fdLimit,
      final,
    });
  };
  const collectIfSettled = createSettleCollector();
  const timer = setInterval(() => {
    report(false);
    collectIfSettled(pool.counters());
  }, TELEMETRY_INTERVAL_MS);

  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    // The final report carries the counters as they were before the teardown zeroes the gauges.
    const before = pool.counters();
    pool.close();
    transport.send({
      kind: 'telemetry',
      name,
      appliedSeq,
      counters: before,
      firstFailures: [...pool.firstFailures.values()],
      connectUs: encodeHistogram(pool.connectLatency),
      tlsUs: engine.tls !== null ? encodeHistogram(pool.tlsLatency) : null,
      fdLimit,
      final: true,
    });
    resolveDone();
  };

  return {
    done,
    close,
    handle(cmd: ParticipantCommand): void {
      if (closed) return;
      switch (cmd.kind) {
        case 'open':
          pool.open(cmd.count);
          break;
        case 'drop-queued':
          pool.dropQueued();
          break;
        case 'stop-opening':
          pool.stopOpening();
          break;
        case 'close':
          appliedSeq = cmd.seq;
          close();
          return;
      }
      appliedSeq = cmd.seq;
    },
  };
}
