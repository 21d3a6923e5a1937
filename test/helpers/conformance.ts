/**
 * The shape every conformance case shares: for each run, a FRESH server is measured by the slow reference prober
 * and stopped, then another fresh one is measured by tcpprobe with default flags and stopped; the two are compared.
 * The expected value is always what the reference measured in the same run, never a typed-in number.
 *
 * Runs per case: TCPPROBE_CONFORMANCE_RUNS (default 1; `npm run conformance -- --runs 10` sets it). Each run is
 * appended as one JSON line to TCPPROBE_CONFORMANCE_OUT when set, for scripts/conformance.mjs's table, and printed.
 */
import { appendFileSync } from 'node:fs';
import { parseResult, runCli, type CliRun } from './cli.js';
import { referenceProbe, type ReferenceOptions, type ReferenceResult } from './reference-prober.js';
import type { RealServer } from './real-servers.js';
import type { RateReferenceResult } from './reference-rate-prober.js';

/** Runs per case for this process. */
export const RUNS = Math.max(1, Number(process.env.TCPPROBE_CONFORMANCE_RUNS ?? '1') || 1);

/** A generous per-test bound for `RUNS` runs of a case whose one run takes at most `perRunMs`. */
export function caseTimeout(perRunMs = 90_000): number {
  return RUNS * perRunMs;
}

/** The parts of tcpprobe's JSON result document the suite reads. */
export interface ProbeDoc {
  kind: string;
  maxConcurrency: number;
  verdict: { kind: string; summary?: string; lowerBound?: boolean };
  failures: { class: string; count: number; first?: { class?: string; serverSaid?: string; sourceAddress?: string } }[];
  sourceAddresses?: string[];
  eviction?: { maxOpen: number; evictions: number; largestBatch: number; firstAtMs: number } | null;
  rate: {
    absorbedPerSec: number;
    rateLimits: { failedAtPerSec: number; continuedAtPerSec: number; failureClass: string }[];
    newConnectionLimit?: { perSec: number; turnedAwayBy: string; offeredPerSec: number; passed: number; overMs: number };
  };
  counters?: { synRetransmitted?: number };
}

export interface ProbeRun {
  run: CliRun;
  doc: ProbeDoc;
}

/** `tcpprobe ramp --host 127.0.0.1 --port P --json [extra]`, parsed. Default flags otherwise. */
export async function tcpprobeRamp(port: number, extra: readonly string[] = []): Promise<ProbeRun> {
  const run = await runCli(['ramp', '--host', '127.0.0.1', '--port', String(port), '--json', ...extra], { timeoutMs: 120_000 });
  return { run, doc: parseResult<ProbeDoc>(run) };
}

/** Start a fresh server, do `body` with it, always stop it. */
export async function withServer<T>(start: () => Promise<RealServer>, body: (s: RealServer) => Promise<T>): Promise<T> {
  const server = await start();
  try {
    return await body(server);
  } finally {
    await server.stop();
  }
}

/** Reference-probe a fresh server from `start`. */
export function referenceOf(start: () => Promise<RealServer>, opts: Omit<ReferenceOptions, 'port'>): Promise<ReferenceResult> {
  return withServer(start, (s) => referenceProbe({ ...opts, port: s.port }));
}

/** One line per failure class: "closed-by-peer x12 (127.0.0.1: -ERR max...)". */
export function describeFailures(doc: ProbeDoc): string {
  return (doc.failures ?? [])
    .map((f) => `${f.class} x${f.count}${f.first?.serverSaid ? ` (${f.first.sourceAddress ?? '?'}: ${JSON.stringify(f.first.serverSaid.slice(0, 60))})` : ''}`)
    .join('; ');
}

export interface RunRecord {
  case: string;
  run: number;
  /**
   * Which reference number is the truth for this server: still open at the end, or most open at once; or, for a
   * new-connection rate limit, the rate it lets through (reference-rate-prober.ts).
   */
  truthKind: 'tcpOpen' | 'maxOpen' | 'ratePerSec';
  truth: number;
  /** tcpprobe's figure; null when it named none. */
  tcpprobe: number | null;
  /** Equal to the truth, or within this fraction of it when set (a rate: 0.5 for ±50%). */
  within?: number;
  exact: boolean;
  verdict: string;
  exitCode: number | null;
  failures: string;
  reference: ReferenceResult;
  /** The rate reference of the same run, for a rate record. */
  rateReference?: RateReferenceResult;
  eviction?: ProbeDoc['eviction'];
}

/** The figure agrees with the truth: equal, or within `within` of it. Pure. */
export function agrees(truth: number, figure: number | null, within?: number): boolean {
  if (figure === null) return false;
  return within === undefined ? figure === truth : Math.abs(figure - truth) <= within * truth;
}

/** Print and (with TCPPROBE_CONFORMANCE_OUT) record one run. */
export function record(r: Omit<RunRecord, 'exact'>): RunRecord {
  const full: RunRecord = { ...r, exact: agrees(r.truth, r.tcpprobe, r.within) };
  const ref = r.reference;
  const rate = r.rateReference;
  console.log(
    `[conformance] ${r.case} run ${r.run}: reference ${r.truthKind}=${r.truth} (tcpOpen ${ref.tcpOpen}, maxOpen ${ref.maxOpen}, ` +
      `served ${ref.served}, evictions ${ref.evictions}, largest batch ${ref.largestBatch}, attempts ${ref.attempts}, ` +
      `stopped by ${ref.stoppedBy}, first failure ${ref.firstFailure ? `${ref.firstFailure.outcome} ${JSON.stringify(ref.firstFailure.serverSaid.slice(0, 60))}` : 'none'}, ` +
      `${ref.durationMs} ms) | tcpprobe ${r.tcpprobe} ${r.verdict} exit ${r.exitCode} [${r.failures}]` +
      `${r.eviction ? ` eviction ${JSON.stringify(r.eviction)}` : ''}` +
      `${rate ? ` | rate reference ${rate.limitPerSec ?? 'none'}/s from ${rate.steps.map((s) => `${s.offeredPerSec}/s: ${s.passedPerSec ?? 'all passed'} ${JSON.stringify(s.outcomes)}`).join('; ')}` : ''}`,
  );
  const out = process.env.TCPPROBE_CONFORMANCE_OUT;
  if (out) appendFileSync(out, `${JSON.stringify(full)}\n`);
  return full;
}
