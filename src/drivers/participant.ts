/**
 * The participant loop: a driver (one local pool, or a group of worker processes) run by the controller's
 * commands, reporting telemetry. A worker process and a fleet agent both run exactly this; only their transport
 * and their driver differ. Each readied its process first (src/engine/process-readiness.ts): the telemetry encodes
 * histograms while connections are held, perhaps at the open-files limit, so the encoding is loaded by then.
 */
import { performance } from 'node:perf_hooks';
import type { ProbeDriver } from '../controller/driver.js';
import { encodeHistogram } from '../metrics/histogram.js';
import {
  HISTOGRAM_INTERVAL_MS,
  TELEMETRY_INTERVAL_MS,
  type HandshakeAuditFindings,
  type HandshakeAuditReport,
  type ParticipantCommand,
  type ProcessUse,
  type TelemetryReport,
} from '../types/participant-protocol.js';
import type { EngineName } from '../types/pool-config.js';
import { createSettleCollector } from './settle-gc.js';
import { combineUse, createOwnUseSampler } from './process-use.js';

export interface ParticipantTransport {
  send(report: TelemetryReport | HandshakeAuditReport): void;
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
  driver: ProbeDriver,
  transport: ParticipantTransport,
  fdLimit: number | null,
  engine: EngineName,
): Participant {
  let appliedSeq = 0;
  let lastHistogramAt = -Infinity;
  let closed = false;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const ownUse = createOwnUseSampler(fdLimit);
  /** This process's use and its workers', sent with the histograms (reading /proc is too dear for every report). */
  const use = (): ProcessUse | null => {
    const workers = driver.processUse?.() ?? null;
    return combineUse(workers === null ? [ownUse()] : [ownUse(), workers]);
  };

  const report = (final: boolean, counters = driver.counters()): void => {
    const now = performance.now();
    const withHistograms = final || now - lastHistogramAt >= HISTOGRAM_INTERVAL_MS;
    if (withHistograms) lastHistogramAt = now;
    const tls = withHistograms ? driver.tlsLatency() : null;
    const used = withHistograms ? use() : null;
    transport.send({
      kind: 'telemetry',
      name,
      appliedSeq,
      counters,
      firstFailures: driver.firstFailures(),
      connectUs: withHistograms ? encodeHistogram(driver.connectLatency()) : null,
      tlsUs: tls === null ? null : encodeHistogram(tls),
      fdLimit,
      engine,
      ...(used === null ? {} : { use: used }),
      final,
    });
  };
  /** The acknowledgement and counters the last tick reported. */
  let lastTicked = '';
  /**
   * Every TELEMETRY_INTERVAL_MS: a report when something changed, or the histograms are due. A process that only
   * holds has nothing to say 20 times a second, and 50 of them saying it kept the first process busy at a million.
   */
  const tick = (counters: ReturnType<ProbeDriver['counters']>): void => {
    const said = `${appliedSeq} ${JSON.stringify(counters)}`;
    if (said === lastTicked && performance.now() - lastHistogramAt < HISTOGRAM_INTERVAL_MS) return;
    lastTicked = said;
    report(false, counters);
  };
  const collectIfSettled = createSettleCollector();
  const timer = setInterval(() => {
    const counters = driver.counters();
    tick(counters);
    collectIfSettled(counters);
  }, TELEMETRY_INTERVAL_MS);

  /**
   * The handshake audit on this participant's own sockets (only here can their TCP_INFO be read), answered with
   * a telemetry report first, so the controller's counters already lack what the audit took back when it reads
   * the findings.
   */
  const audit = async (seq: number, maxWaitMs: number): Promise<void> => {
    const findings: HandshakeAuditFindings =
      driver.auditHandshakes === undefined
        ? { ran: false, checked: 0, suspects: 0, neverCompleted: 0, note: `${name} cannot read its sockets' TCP_INFO` }
        : await driver.auditHandshakes(maxWaitMs).catch((e: unknown) => ({
            ran: false,
            checked: 0,
            suspects: 0,
            neverCompleted: 0,
            note: `${name}: ${(e as Error).message}`,
          }));
    if (closed) return;
    report(false);
    transport.send({ kind: 'handshake-audit', name, seq, audit: findings });
  };

  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    // The final report carries the counters as they were before the teardown zeroes the gauges.
    const before = driver.counters();
    void driver.close().then(() => {
      report(true, before);
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
        case 'release':
          driver.releaseAll();
          break;
        case 'pause-reconnects':
          driver.pauseReconnects(cmd.paused);
          break;
        case 'audit-handshakes':
          void audit(cmd.seq, cmd.maxWaitMs);
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
