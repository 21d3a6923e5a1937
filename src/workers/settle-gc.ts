/**
 * One full garbage collection once a ramp has settled, in worker processes only.
 *
 * Why: a ramp allocates fast, V8 grows its heap to match and keeps the pages after the garbage is gone, so a
 * process that just opened 15,000 connections holds several MB more than its live sockets need, for as long as it
 * holds them (V8's memory reducer does not start in a process that then sits idle). A full collection once the
 * engine is quiet lets V8 hand those pages back, provided it compacts (compactOnFullGc). Measured in
 * README ("Performance"). `global.gc` exists only with --expose-gc, which src/workers/worker-group.ts gives its worker
 * processes; anywhere else (the CLI process, a fleet agent started by hand) this does nothing.
 */
import v8 from 'node:v8';
import type { PoolCounters } from '../engine/connection-pool.js';

/** Nothing started, finished or failed for this long: the ramp (or a step of it) has settled. */
export const SETTLE_GC_QUIET_MS = 500;
/** At most one collection per this long, so a slow trickle of reconnects does not turn into a GC loop. */
export const SETTLE_GC_MIN_INTERVAL_MS = 5000;

/**
 * Make every full collection of this process compact its old generation. V8's own heuristics rarely compact a heap
 * this full of live sockets, so the pages a ramp's garbage took stay resident; compacting (during the ramp and in
 * the settle collection) is what lets them go. Set at run time rather than as a command-line flag: should a future
 * V8 drop the flag, this prints a warning instead of stopping the worker from starting. Worker processes only.
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
