/**
 * One full garbage collection once a ramp has settled, in every process that holds connections.
 *
 * Why: a ramp allocates fast, V8 grows its heap to match and keeps the pages after the garbage is gone, so a
 * process that just opened 15,000 connections holds several MB more than its live sockets need, for as long as it
 * holds them (V8's memory reducer does not start in a process that then sits idle). A full collection once the
 * engine is quiet lets V8 hand those pages back, provided it compacts: the process readied itself for that
 * (src/engine/process-readiness.ts), which also says how this process can collect. `global.gc` exists only with
 * --expose-gc, which src/drivers/worker-group.ts gives its worker processes; the CLI process, started by the user's
 * `node`, gets the same at run time when it holds connections itself (readyForManySockets('run')); a fleet agent
 * started by hand has none, and there this does nothing. Measured in docs/performance.md.
 */
import type { PoolCounters } from '../types/pool-counters.js';
import { TELEMETRY_INTERVAL_MS } from '../types/participant-protocol.js';

/** Nothing started, finished or failed for this long: the ramp (or a step of it) has settled. */
export const SETTLE_GC_QUIET_MS = 500;
/** At most one collection per this long, so a slow trickle of reconnects does not turn into a GC loop. */
export const SETTLE_GC_MIN_INTERVAL_MS = 5000;

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
