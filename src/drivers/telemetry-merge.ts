/**
 * The one merge of participants' telemetry, for every driver over several pools (worker processes, fleet agents,
 * an elastic driver's processes): counters summed, first failures by class, histograms merged (never
 * percentiles averaged), handshake audits summed, and the peak of the merged held count.
 */
import { emptyCounters, type FailureRecord, type PoolCounters } from '../types/pool-counters.js';
import type { FailureClass } from '../types/failure-class.js';
import type { HandshakeAuditFindings } from '../types/participant-protocol.js';
import { createHistogram, decodeHistogram, type Histogram } from '../metrics/histogram.js';
import type { HandshakeAudit } from '../metrics/result.js';

/** Sum counters; `peakHeld` is left to PeakHeld (a sum of peaks is not the peak of the sum). */
export function sumCounters(parts: readonly PoolCounters[]): PoolCounters {
  const out = emptyCounters();
  for (const p of parts) {
    for (const key of Object.keys(out) as (keyof PoolCounters)[]) {
      if (key === 'failuresByClass' || key === 'peakHeld') continue;
      out[key] += p[key] ?? 0; // an agent of an older version may not send every counter
    }
    for (const [cls, n] of Object.entries(p.failuresByClass) as [FailureClass, number][]) {
      out.failuresByClass[cls] = (out.failuresByClass[cls] ?? 0) + n;
    }
  }
  return out;
}

/** The earliest failure of each class over every participant's firsts, earliest first. */
export function mergeFirstFailures(lists: Iterable<readonly FailureRecord[]>): FailureRecord[] {
  const first = new Map<FailureClass, FailureRecord>();
  for (const list of lists) {
    for (const f of list) {
      const known = first.get(f.class);
      if (known === undefined || f.atMs < known.atMs) first.set(f.class, f);
    }
  }
  return [...first.values()].sort((a, b) => a.atMs - b.atMs);
}

/**
 * One audit for a run whose held connections are in several processes: each process's findings summed. It ran
 * if it ran anywhere; the note names the processes where it did not (their connections were not checked). Pure.
 */
export function mergeHandshakeAudits(parts: readonly { name: string; audit: HandshakeAuditFindings | null }[]): HandshakeAudit {
  const ran = parts.filter((p) => p.audit?.ran === true);
  const notRun = parts.filter((p) => p.audit?.ran !== true);
  const sum = (pick: (a: HandshakeAuditFindings) => number): number => ran.reduce((n, p) => n + pick(p.audit as HandshakeAuditFindings), 0);
  const why = (p: { name: string; audit: HandshakeAuditFindings | null }): string =>
    `${p.name}: ${p.audit === null ? 'no answer' : (p.audit.note ?? 'did not run')}`;
  const notes = [...ran.filter((p) => p.audit?.note != null).map((p) => `${p.name}: ${p.audit?.note ?? ''}`)];
  if (ran.length > 0 && notRun.length > 0) notes.push(`not checked in ${notRun.map(why).join('; ')}`);
  if (ran.length === 0) notes.push(notRun.length === 0 ? 'no participant' : notRun.map(why).join('; '));
  return {
    ran: ran.length > 0,
    checked: sum((a) => a.checked),
    suspects: sum((a) => a.suspects),
    neverCompleted: sum((a) => a.neverCompleted),
    note: notes.length === 0 ? null : notes.join('; '),
  };
}

/**
 * The peak of a merged held count, kept in one place. Connections a handshake audit takes back never were held:
 * they come out of the peak too, which never falls below what is held now.
 */
export class PeakHeld {
  private peak = 0;

  observe(heldNow: number): number {
    if (heldNow > this.peak) this.peak = heldNow;
    return this.peak;
  }

  takeBack(neverCompleted: number, heldNow: number): void {
    this.peak = Math.max(heldNow, this.peak - neverCompleted);
  }

  get value(): number {
    return this.peak;
  }
}

/**
 * The histogram a participant last sent, decoded on the first read after it came: reports come every second from
 * each of up to dozens of processes, and a run reads them only for a status line and its result.
 */
export class ReportedHistogram {
  private encoded: string | null = null;
  private decoded: Histogram | null = null;

  /** A report carried a new encoding: the next read decodes it. */
  update(encoded: string): void {
    this.encoded = encoded;
    this.decoded?.destroy();
    this.decoded = null;
  }

  /** The latest histogram, or null before any came. */
  read(): Histogram | null {
    if (this.decoded === null && this.encoded !== null) {
      this.decoded = decodeHistogram(this.encoded);
      this.encoded = null;
    }
    return this.decoded;
  }
}

/**
 * A merged histogram, one per driver and reused: rebuilt from its parts only when one changed since the last read
 * (status lines ask every second). Owned here: callers read it, never keep or destroy it.
 */
export class MergedHistogram {
  private merged: Histogram | null = null;
  private stale = true;

  /** A part changed: the next read merges again. */
  invalidate(): void {
    this.stale = true;
  }

  /** The merge of `parts` (a single part is returned as it is). */
  read(parts: readonly Histogram[]): Histogram {
    if (parts.length === 1) return parts[0] as Histogram;
    if (this.merged === null) this.merged = createHistogram();
    else if (this.stale) this.merged.reset();
    if (this.stale) {
      for (const h of parts) this.merged.add(h);
      this.stale = false;
    }
    return this.merged;
  }
}
