/**
 * An agent whose share needs more than one process (its open-files limit): the share is held by worker processes
 * (src/workers/worker-group.ts), each running the same participant loop, and this adapter makes the group look
 * like one participant to the controller: commands go to the group's driver, telemetry is the group's merged
 * counters and histograms, in the same TelemetryReport shape and at the same intervals.
 */
import type { EngineConfig } from '../engine/connection-pool.js';
import { encodeHistogram } from '../metrics/histogram.js';
import type { Participant, ParticipantTransport } from '../workers/participant.js';
import { HISTOGRAM_INTERVAL_MS, TELEMETRY_INTERVAL_MS, type ParticipantCommand } from '../workers/protocol.js';
import { startWorkerGroup } from '../workers/worker-group.js';

/**
 * Start `workers` worker processes for this share and report for them as `name`.
 * @param fdLimit the open-files limit of each worker (they all run under this process's limit)
 */
export async function startGroupParticipant(
  name: string,
  engine: EngineConfig,
  workers: number,
  transport: ParticipantTransport,
  fdLimit: number | null,
): Promise<Participant> {
  const driver = await startWorkerGroup(engine, workers);
  let appliedSeq = 0;
  let lastHistogramAt = 0;
  let closed = false;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));

  const encoded = (pick: () => ReturnType<typeof driver.connectLatency> | null): string | null => {
    const h = pick();
    if (h === null) return null;
    const text = encodeHistogram(h);
    // The driver builds a fresh merged histogram per call: release it.
    h.destroy();
    return text;
  };
  const report = (final: boolean): void => {
    const now = Date.now();
    const withHistograms = final || now - lastHistogramAt >= HISTOGRAM_INTERVAL_MS;
    if (withHistograms) lastHistogramAt = now;
    transport.send({
      kind: 'telemetry',
      name,
      appliedSeq,
      // The group's driver counts asks its workers have not confirmed yet, so every applied command is included.
      counters: driver.counters(),
      firstFailures: driver.firstFailures(),
      connectUs: withHistograms ? encoded(() => driver.connectLatency()) : null,
      tlsUs: withHistograms ? encoded(() => driver.tlsLatency()) : null,
      fdLimit,
      final,
    });
  };
  const timer = setInterval(() => report(false), TELEMETRY_INTERVAL_MS);

  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    // The workers' final reports carry their counters from before the teardown; report once they are in.
    void driver.close().then(() => {
      report(true);
      resolveDone();
    });
  };

  return {
    done,
    close,
    handle(cmd: ParticipantCommand): void {
      if (closed) return;
      switch (cmd.kind) {
        case 'open':
          driver.open(cmd.count);
          break;
        case 'drop-queued':
          driver.dropQueued();
          break;
        case 'stop-opening':
          driver.stopOpening();
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
