/**
 * One full garbage collection once a ramp has settled, in every process that holds connections.
 *
 * Why: a ramp allocates fast, V8 grows its heap to match and keeps the pages after the garbage is gone, so a
 * process that just opened 15,000 connections holds several MB more than its live sockets need, for as long as it
 * holds them (V8's memory reducer does not start in a process that then sits idle). A full collection once the
 * engine is quiet lets V8 hand those pages back, provided it compacts (compactOnFullGc). Measured in
 * docs/performance.md. `global.gc` exists only with --expose-gc, which src/drivers/worker-group.ts gives its worker
 * processes; the CLI process, started by the user's `node`, gets the same at run time when it holds connections
 * itself (tuneHoldingProcess); a fleet agent started by hand has none, and there this does nothing.
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { PoolCounters } from '../types/pool-counters.js';
import { TELEMETRY_INTERVAL_MS } from '../types/participant-protocol.js';

/** Nothing started, finished or failed for this long: the ramp (or a step of it) has settled. */
export const SETTLE_GC_QUIET_MS = 500;
/** At most one collection per this long, so a slow trickle of reconnects does not turn into a GC loop. */
export const SETTLE_GC_MIN_INTERVAL_MS = 5000;

/**
 * Make every full collection of this process compact its old generation. V8's own heuristics rarely compact a heap
 * this full of live sockets, so the pages a ramp's garbage took stay resident; compacting (during the ramp and in
 * the settle collection) is what lets them go. Set at run time rather than as a command-line flag: should a future
 * V8 drop the flag, this prints a warning instead of stopping the worker from starting. Processes that hold
 * connections only (worker-main.ts, tuneHoldingProcess).
 */
export function compactOnFullGc(): void {
  v8.setFlagsFromString('--compact-on-every-full-gc');
}

/**
 * Returns a function to call with the pool's counters on every telemetry tick; it runs `gc` (default: the exposed
 * global one, if any) once per settled ramp phase, and says whether it did.
 * @param now milliseconds, monotonic
 */
export function createSettleCollector(
  gc: (() => void) | null = (globalThis as { gc?: () => void }).gc ?? null,
  now: () => number = () => performance.now(),
): (c: PoolCounters) => boolean {
  let signature = '';
  let changedAt = now();
  let collectedSignature = '';
  let lastCollectedAt = -Infinity;
  return (c: PoolCounters): boolean => {
    if (gc === null) return false;
    const t = now();
    const current = `${c.attempted}/${c.failed}/${c.held}`;
    if (current !== signature) {
      signature = current;
      changedAt = t;
      return false;
    }
    const busy = c.queued > 0 || c.connecting > 0 || c.established > 0;
    // Only after new connects: losses alone leave little garbage and would otherwise trigger collections forever.
    const opened = c.attempted > 0 && !collectedSignature.startsWith(`${c.attempted}/`);
    if (busy || !opened || t - changedAt < SETTLE_GC_QUIET_MS || t - lastCollectedAt < SETTLE_GC_MIN_INTERVAL_MS) {
      return false;
    }
    collectedSignature = current;
    lastCollectedAt = t;
    gc();
    return true;
  };
}

/**
 * This process's full-collection function: the global one under --expose-gc, else one exposed now (V8 installs
 * `gc` in contexts made after the flag is set, so a new vm context has it); null if neither works, and then the
 * settle collection is skipped, nothing else changes.
 */
export function exposeGc(): (() => void) | null {
  const global = (globalThis as { gc?: unknown }).gc;
  if (typeof global === 'function') return global as () => void;
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}

/**
 * Memory settings for the CLI process when it holds connections itself (ramp, hold and demo without worker
 * processes, and the first ~20,000 of a growing ramp): what worker processes get from WORKER_EXEC_ARGV, as far as
 * V8 takes it once running. `--max-semi-space-size` is read only when the heap is set up, so set here it changes
 * nothing (measured); `--semi-space-growth-factor=1` keeps the young generation at its start size instead, which is
 * what the workers' flag achieves. With compaction and the settle collection (startSettleTimer) RSS per held
 * connection went from 4.9 KB to 1.9 KB in one process (docs/performance.md). Call before the first connect.
 * @returns the function for startSettleTimer, or null when no collection can be run here
 */
export function tuneHoldingProcess(): (() => void) | null {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  compactOnFullGc();
  return exposeGc();
}

/**
 * Feed a settle collector (createSettleCollector) with `counters()` every `intervalMs`, as a worker's telemetry
 * tick does; the timer never keeps the process alive. Returns the function that stops it.
 */
export function startSettleTimer(
  counters: () => PoolCounters,
  gc: (() => void) | null,
  intervalMs: number = TELEMETRY_INTERVAL_MS,
): () => void {
  if (gc === null) return () => undefined;
  const collectIfSettled = createSettleCollector(gc);
  const timer = setInterval(() => collectIfSettled(counters()), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
