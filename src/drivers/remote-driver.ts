/**
 * A ProbeDriver over participants that live elsewhere (worker processes, fleet agents). It splits asks across
 * them, merges their telemetry (counters summed, histograms merged, never percentiles averaged), and tracks the
 * peak of the merged held count. The transport (IPC, Redis) is behind `ParticipantLink`.
 */
import { performance } from 'node:perf_hooks';
import { emptyCounters, type FailureRecord, type PoolCounters } from '../types/pool-counters.js';
import { participantClientLimit } from '../metrics/verdict.js';
import type { Histogram } from '../metrics/histogram.js';
import type { DriverParticipant, DriverResources, ProbeDriver } from '../controller/driver.js';
import type {
  HandshakeAuditFindings,
  HandshakeAuditReport,
  ParticipantCommand,
  ProcessUse,
  TelemetryReport,
} from '../types/participant-protocol.js';
import type { HandshakeAudit } from '../metrics/result.js';
import { combineUse } from './process-use.js';
import { mergeFirstFailures, mergeHandshakeAudits, MergedHistogram, PeakHeld, ReportedHistogram, sumCounters } from './telemetry-merge.js';

/** How the driver reaches one participant. */
export interface ParticipantLink {
  readonly name: string;
  send(cmd: ParticipantCommand): void;
  /** Release the transport (kill the process, unsubscribe); called after close. */
  dispose(): Promise<void>;
}

/** Gauges that describe open sockets: a lost participant's last values no longer exist. */
const GAUGES = ['queued', 'connecting', 'established', 'held'] as const;

interface ParticipantState {
  link: ParticipantLink;
  last: TelemetryReport | null;
  /** Connections asked of it by commands its telemetry does not include yet, by seq. */
  pendingOpens: { seq: number; count: number }[];
  maxHeld: number;
  connect: ReportedHistogram;
  tls: ReportedHistogram;
  lostAtMs: number | null;
  finalSeen: boolean;
  /** The first `open` asked of it: its seq and when it was sent (performance.now(), ms); null: none yet. */
  firstOpen: { seq: number; sentAt: number } | null;
  /** From that ask until a report showed it applied, in ms; null: not yet. */
  startLagMs: number | null;
  /** Its processes' use as it last said (reports carry it with the histograms); null: not said (an older agent). */
  use: ProcessUse | null;
  /** The answer to the latest `audit-handshakes` command, and that command's seq. */
  audit: { seq: number; findings: HandshakeAuditFindings | null } | null;
}

/** Beyond the audit's own bound: time for the command and the answer to travel (and a loaded participant). */
const AUDIT_ANSWER_MARGIN_MS = 3000;
/** The longest a participant's audit takes (young connections, a confirming retransmission, keepalive answers). */
const AUDIT_LONGEST_MS = 13_000;

/** Connections asked of a participant: what it reported plus asks its reports do not include yet. */
function askedOf(p: ParticipantState): number {
  return (p.last?.counters.requested ?? 0) + p.pendingOpens.reduce((sum, o) => sum + o.count, 0);
}

export class RemoteDriver implements ProbeDriver {
  private readonly parts: ParticipantState[];
  private seq = 0;
  private readonly peak = new PeakHeld();
  private readonly started = Date.now();
  private finalWaiters: (() => void)[] = [];
  private auditWaiters: (() => void)[] = [];
  private readonly mergedConnect = new MergedHistogram();
  private readonly mergedTls = new MergedHistogram();

  /** `sourceAddresses`: the addresses the participants connect from, for the result (empty: their kernels chose). */
  constructor(
    links: readonly ParticipantLink[],
    private sources: readonly string[] = [],
  ) {
    this.parts = links.map((link) => ({
      link,
      last: null,
      pendingOpens: [],
      maxHeld: 0,
      connect: new ReportedHistogram(),
      tls: new ReportedHistogram(),
      lostAtMs: null,
      finalSeen: false,
      firstOpen: null,
      startLagMs: null,
      use: null,
      audit: null,
    }));
  }

  /** Feed one telemetry report (the transport calls this). */
  handleTelemetry(report: TelemetryReport): void {
    const p = this.parts.find((x) => x.link.name === report.name);
    if (p === undefined || p.lostAtMs !== null) return;
    p.last = report;
    p.pendingOpens = p.pendingOpens.filter((o) => o.seq > report.appliedSeq);
    p.maxHeld = Math.max(p.maxHeld, report.counters.held);
    if (report.connectUs !== null) {
      p.connect.update(report.connectUs);
      this.mergedConnect.invalidate();
    }
    if (report.tlsUs !== null) {
      p.tls.update(report.tlsUs);
      this.mergedTls.invalidate();
    }
    if (report.use !== undefined) p.use = report.use;
    if (p.firstOpen !== null && p.startLagMs === null && report.appliedSeq >= p.firstOpen.seq) {
      p.startLagMs = Math.round(performance.now() - p.firstOpen.sentAt);
    }
    if (report.final) p.finalSeen = true;
    this.peak.observe(this.heldNow());
    if (this.parts.every((x) => x.finalSeen || x.lostAtMs !== null)) this.wakeFinalWaiters();
  }

  /** Feed one participant's handshake audit (the transport calls this, after the telemetry that preceded it). */
  handleAudit(report: HandshakeAuditReport): void {
    const p = this.parts.find((x) => x.link.name === report.name);
    if (p === undefined || p.audit === null || p.audit.seq !== report.seq) return;
    p.audit = { seq: report.seq, findings: report.audit };
    this.wakeAuditWaiters();
  }

  /**
   * The handshake audit in every live participant, each on its own sockets, at once; summed. The peak of the
   * merged count was taken with the connections it takes back in it: they come out of it too.
   */
  async auditHandshakes(maxWaitMs: number, signal?: AbortSignal): Promise<HandshakeAudit> {
    const asked = this.live();
    for (const p of asked) {
      const seq = ++this.seq;
      p.audit = { seq, findings: null };
      p.link.send({ kind: 'audit-handshakes', seq, maxWaitMs });
    }
    const answered = (): boolean => asked.every((p) => p.audit?.findings !== null || p.lostAtMs !== null);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: () => void = () => undefined;
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (answered()) resolve();
        else this.auditWaiters.push(check);
      };
      timer = setTimeout(resolve, Math.min(maxWaitMs, AUDIT_LONGEST_MS) + AUDIT_ANSWER_MARGIN_MS);
      onAbort = resolve;
      signal?.addEventListener('abort', onAbort, { once: true });
      check();
    });
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    this.auditWaiters = [];
    const audit = mergeHandshakeAudits(asked.map((p) => ({ name: p.link.name, audit: p.audit?.findings ?? null })));
    this.peak.takeBack(audit.neverCompleted, this.heldNow());
    return audit;
  }

  private wakeAuditWaiters(): void {
    const waiters = this.auditWaiters;
    this.auditWaiters = [];
    for (const w of waiters) w();
  }

  /** A participant is gone (process died, agent missed heartbeats): its sockets are no longer ours. */
  markLost(name: string): void {
    const p = this.parts.find((x) => x.link.name === name);
    // A participant that exits after its final report has finished, not been lost.
    if (p === undefined || p.lostAtMs !== null || p.finalSeen) return;
    p.lostAtMs = Date.now() - this.started;
    this.wakeAuditWaiters();
    if (this.parts.every((x) => x.finalSeen || x.lostAtMs !== null)) this.wakeFinalWaiters();
  }

  lostParticipants(): string[] {
    return this.parts.filter((p) => p.lostAtMs !== null).map((p) => p.link.name);
  }

  private heldNow(): number {
    return this.live().reduce((sum, x) => sum + (x.last?.counters.held ?? 0), 0);
  }

  private live(): ParticipantState[] {
    return this.parts.filter((p) => p.lostAtMs === null);
  }

  private broadcast(make: (seq: number) => ParticipantCommand): void {
    for (const p of this.live()) p.link.send(make(++this.seq));
  }

  open(count: number): void {
    const live = this.live();
    if (count <= 0 || live.length === 0) return;
    // Even shares by what each was asked so far, so a late joiner or a lost peer's share is made up over time.
    const asked = new Map(live.map((p) => [p, askedOf(p)]));
    const total = [...asked.values()].reduce((sum, n) => sum + n, 0) + count;
    const fair = Math.ceil(total / live.length);
    let left = count;
    for (const [p, already] of [...asked].sort((a, b) => a[1] - b[1])) {
      const give = Math.min(left, Math.max(0, fair - already));
      if (give === 0) continue;
      const seq = ++this.seq;
      p.pendingOpens.push({ seq, count: give });
      p.firstOpen ??= { seq, sentAt: performance.now() };
      p.link.send({ kind: 'open', seq, count: give });
      left -= give;
      if (left === 0) break;
    }
  }

  dropQueued(): void {
    this.broadcast((seq) => ({ kind: 'drop-queued', seq }));
    for (const p of this.live()) p.pendingOpens = [];
  }

  pauseReconnects(paused: boolean): void {
    this.broadcast((seq) => ({ kind: 'pause-reconnects', seq, paused }));
  }

  releaseAll(): void {
    this.dropQueued();
    this.broadcast((seq) => ({ kind: 'release', seq }));
  }

  stopOpening(): void {
    this.broadcast((seq) => ({ kind: 'stop-opening', seq }));
    for (const p of this.live()) p.pendingOpens = [];
  }

  counters(): PoolCounters {
    const parts = this.parts.map((p) => {
      const c = p.last?.counters ?? emptyCounters();
      const pending = askedOf(p) - c.requested;
      const adjusted = { ...c, requested: c.requested + pending, queued: c.queued + pending };
      // A lost participant's sockets are gone: keep what happened, drop what was open, and count as asked only
      // what it started, so its unstarted share is asked of the others rather than counted against --max.
      if (p.lostAtMs !== null) {
        for (const g of GAUGES) adjusted[g] = 0;
        adjusted.requested = c.attempted;
      }
      return adjusted;
    });
    const sum = sumCounters(parts);
    sum.peakHeld = this.peak.value;
    return sum;
  }

  firstFailures(): FailureRecord[] {
    return mergeFirstFailures(this.parts.map((p) => p.last?.firstFailures ?? []));
  }

  connectLatency(): Histogram {
    return this.mergedConnect.read(this.parts.flatMap((p) => p.connect.read() ?? []));
  }

  tlsLatency(): Histogram | null {
    const parts = this.parts.flatMap((p) => p.tls.read() ?? []);
    return parts.length === 0 ? null : this.mergedTls.read(parts);
  }

  resources(): DriverResources {
    return { sourceAddresses: [...this.sources], changes: [] };
  }

  processUse(): ProcessUse | null {
    const said = this.parts.flatMap((p) => (p.use === null ? [] : [p.use]));
    // One participant that did not say makes the sum unknown rather than too small.
    return said.length < this.parts.length ? null : combineUse(said);
  }

  /** The addresses the participants connect from, once they said (fleet agents choose theirs on accepting a run). */
  noteSources(addresses: readonly string[]): void {
    this.sources = [...new Set(addresses)];
  }

  participants(): DriverParticipant[] {
    return this.parts.map((p) => {
      const counters = p.last?.counters ?? emptyCounters();
      const clientLimit = participantClientLimit(counters.failuresByClass, p.use ?? undefined);
      const engine = p.last?.engine;
      return {
        name: p.link.name,
        maxHeld: p.maxHeld,
        counters,
        clientLimit,
        lostAtMs: p.lostAtMs,
        startLagMs: p.startLagMs,
        ...(engine === undefined ? {} : { engine }),
        ...(p.use === null ? {} : { use: p.use }),
      };
    });
  }

  /** Close everywhere and wait (bounded) for every participant's final report. */
  async close(timeoutMs = 5000): Promise<void> {
    const finals = new Promise<void>((resolve) => {
      if (this.parts.every((x) => x.finalSeen || x.lostAtMs !== null)) resolve();
      else this.finalWaiters.push(resolve);
    });
    this.broadcast((seq) => ({ kind: 'close', seq }));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finals, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    await Promise.all(this.parts.map((p) => p.link.dispose()));
  }

  private wakeFinalWaiters(): void {
    const waiters = this.finalWaiters;
    this.finalWaiters = [];
    for (const w of waiters) w();
  }
}
