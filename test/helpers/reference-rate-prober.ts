/**
 * The reference for a new-connection rate limit, as slow and plain as the concurrency reference
 * (reference-prober.ts) and independent of tcpprobe's own measure: at each of a few FIXED rates it starts connects
 * on a steady schedule for a while, each on its own (no in-flight cap: the stream never waits on the server), and
 * notes when each connect started and when it completed, or how it failed.
 *
 * What a limiter lets through at a rate above its own, it lets through at its own: a token bucket is empty from
 * the first connect it turns away on, and every SYN it lets through after that, first or resent, is one token.
 * So each rate's figure is the connects that COMPLETED (any SYN, counted by completion time) after the start of
 * the first connect turned away, up to the last start, per second of that time. A rate at which nothing was turned
 * away says only that the limit is above it. The truth is the mean over the rates that were turned away.
 *
 * Imports only node: built-ins (real-servers.ts transpiles it to run inside a network namespace). Bounded: at most
 * `ratesPerSec` x `durationMs` connects, each given up after `connectTimeoutMs`; only 127.0.0.0/8 targets; every
 * socket is closed with RST after its rate, before the pause that lets the limiter's bucket fill again.
 */
import net from 'node:net';

export interface RateReferenceOptions {
  /** Target address; must be in 127.0.0.0/8. Default 127.0.0.1. */
  host?: string;
  port: number;
  /** The fixed rates, connects per second, each run on its own. */
  ratesPerSec: number[];
  /** How long each rate's connects are started for, ms. Default 2000. */
  durationMs?: number;
  /** A connect not done by then is a timeout (long enough for the kernel's resent SYNs at 1 s and 2 s), ms. Default 2500. */
  connectTimeoutMs?: number;
  /** Pause between rates, ms: the limiter's bucket fills again. Default 1500. */
  pauseMs?: number;
}

/** How one connect ended: completed at its first SYN, completed after the kernel resent it, refused, timed out. */
export type RateAttemptOutcome = 'first-syn' | 'resent' | 'refused' | 'timeout' | 'error';

export interface RateReferenceStep {
  offeredPerSec: number;
  connects: number;
  outcomes: Record<RateAttemptOutcome, number>;
  /** Connects completed per second after the first was turned away; null: none was turned away. */
  passedPerSec: number | null;
  /** The time that figure is counted over, ms (0 when none was turned away). */
  overMs: number;
}

export interface RateReferenceResult {
  steps: RateReferenceStep[];
  /** The mean of the steps' figures: the rate the limiter lets through; null when no step was turned away. */
  limitPerSec: number | null;
  /** The highest rate at which nothing was turned away (0: none). */
  passedAllAtPerSec: number;
  durationMs: number;
}

/** A connect that took this long waited for a resent SYN (the first resend comes after 1 s). */
const RESENT_MS = 900;

interface Attempt {
  startMs: number;
  endMs: number | null;
  outcome: RateAttemptOutcome | null;
  socket: net.Socket;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function assertLoopback(host: string): void {
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) throw new Error(`reference rate prober only connects to 127.0.0.0/8, not ${host}`);
}

/** One fixed rate: start connects on schedule for `durationMs`, wait until each ended, reset them all. */
async function oneRate(host: string, port: number, ratePerSec: number, durationMs: number, connectTimeoutMs: number): Promise<RateReferenceStep> {
  const attempts: Attempt[] = [];
  const total = Math.floor((ratePerSec * durationMs) / 1000);
  const t0 = performance.now();
  const now = (): number => performance.now() - t0;
  const startOne = (): void => {
    const socket = net.connect({ host, port });
    const a: Attempt = { startMs: now(), endMs: null, outcome: null, socket };
    attempts.push(a);
    const end = (outcome: RateAttemptOutcome): void => {
      if (a.outcome !== null) return;
      a.outcome = outcome;
      a.endMs = now();
      clearTimeout(timer);
    };
    const timer = setTimeout(() => {
      end('timeout');
      socket.resetAndDestroy();
    }, connectTimeoutMs);
    socket.once('connect', () => end(now() - a.startMs >= RESENT_MS ? 'resent' : 'first-syn'));
    socket.on('error', (e: NodeJS.ErrnoException) => end(e.code === 'ECONNREFUSED' ? 'refused' : 'error'));
  };
  while (attempts.length < total) {
    const due = Math.min(total, Math.floor((now() * ratePerSec) / 1000) + 1);
    while (attempts.length < due) startOne();
    await sleep(2);
  }
  while (attempts.some((a) => a.outcome === null) && now() < durationMs + connectTimeoutMs + 1000) await sleep(20);
  for (const a of attempts) {
    if (!a.socket.destroyed) a.socket.resetAndDestroy();
  }
  const outcomes: Record<RateAttemptOutcome, number> = { 'first-syn': 0, resent: 0, refused: 0, timeout: 0, error: 0 };
  for (const a of attempts) outcomes[a.outcome ?? 'timeout'] += 1;
  const turnedAway = attempts.filter((a) => a.outcome !== 'first-syn' && a.outcome !== 'error');
  const lastStart = Math.max(...attempts.map((a) => a.startMs));
  if (turnedAway.length === 0) return { offeredPerSec: ratePerSec, connects: attempts.length, outcomes, passedPerSec: null, overMs: 0 };
  const from = Math.min(...turnedAway.map((a) => a.startMs));
  const passed = attempts.filter(
    (a) => (a.outcome === 'first-syn' || a.outcome === 'resent') && a.endMs !== null && a.endMs > from && a.endMs <= lastStart,
  ).length;
  const overMs = lastStart - from;
  return {
    offeredPerSec: ratePerSec,
    connects: attempts.length,
    outcomes,
    passedPerSec: overMs > 0 ? Math.round((passed * 1000) / overMs) : null,
    overMs: Math.round(overMs),
  };
}

/** Measure the rate limit at each fixed rate in turn; resolves with each step and the truth. */
export async function referenceRateProbe(opts: RateReferenceOptions): Promise<RateReferenceResult> {
  const host = opts.host ?? '127.0.0.1';
  assertLoopback(host);
  const started = Date.now();
  const steps: RateReferenceStep[] = [];
  for (const [i, rate] of opts.ratesPerSec.entries()) {
    if (i > 0) await sleep(opts.pauseMs ?? 1500);
    steps.push(await oneRate(host, opts.port, rate, opts.durationMs ?? 2000, opts.connectTimeoutMs ?? 2500));
  }
  const measured = steps.flatMap((s) => (s.passedPerSec === null ? [] : [s.passedPerSec]));
  return {
    steps,
    limitPerSec: measured.length === 0 ? null : Math.round(measured.reduce((a, b) => a + b, 0) / measured.length),
    passedAllAtPerSec: Math.max(0, ...steps.filter((s) => s.passedPerSec === null).map((s) => s.offeredPerSec)),
    durationMs: Date.now() - started,
  };
}
