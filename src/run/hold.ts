/**
 * The hold's run core: set up, run the executor, write the result (assertions judged, nothing printed). The CLI
 * and the library call runHold.
 */
import type { HoldOptions } from '../config/hold-options.js';
import type { Progress } from '../controller/run-context.js';
import type { PoolEventListener, ProbeDriver } from '../controller/driver.js';
import type { HoldResult } from '../metrics/result.js';
import type { JudgedResult } from './result.js';
import { namedTarget } from '../metrics/series.js';

/** What a hold tells its caller while it runs. */
export interface HoldRunHooks {
  /** This machine's preflight, before the first connect. */
  onPreflight?: (text: string) => void;
  /** Progress samples; `driver` gives the connect latency when the caller wants it (reading it costs). */
  onProgress?: (p: Progress, driver: ProbeDriver) => void;
  /** One call per connection event (in-process only: it keeps one process unless --workers says otherwise). */
  onEvent?: PoolEventListener;
  /** The one line saying why the run falls back to the JS engine (the result records it either way). */
  onEngineFallback?: (line: string) => void;
  /** The signal that stopped the run, if one did: the result's exit code says so (SIGTERM: 143). */
  stopSignal?: () => string | null;
}

export async function runHold(o: Readonly<HoldOptions>, signal: AbortSignal, hooks: HoldRunHooks = {}): Promise<JudgedResult<HoldResult>> {
  // Loaded when a hold runs, not with the CLI (as in ramp.ts).
  const [{ executeHold }, { holdResult }, { createDriver, engineFallbackLine, prepareRun }, { formatRunPreflight }, { holdRunSettings }] =
    await Promise.all([
      import('../controller/hold.js'),
      import('./result.js'),
      import('../setup/run-setup.js'),
      import('../reporters/preflight.js'),
      import('../config/run-settings.js'),
    ]);
  const prepared = await prepareRun(o.target, o.connection, { enabled: o.reconnect, delayMs: o.reconnectDelayMs, heldOnly: false }, {
    kind: 'fixed',
    connections: o.connections,
    sources: o.target.sources,
    // Per-connection events exist only in-process: --verbose keeps one process unless --workers says otherwise.
    workers: o.connection.workers ?? (hooks.onEvent !== undefined ? 1 : null),
  });
  const fallback = engineFallbackLine(prepared);
  if (fallback !== null) hooks.onEngineFallback?.(fallback);
  hooks.onPreflight?.(formatRunPreflight(prepared.preflight));
  const driver = await createDriver(prepared, hooks.onEvent ?? null);
  const onProgress = hooks.onProgress;
  const findings = await executeHold(
    {
      connections: o.connections,
      delayMs: o.delayMs,
      durationMs: o.durationMs,
      maxDurationMs: o.maxDurationMs,
      assertEstablished: o.assertEstablished,
      settleMs: o.connection.settleMs,
      assertHeld: o.assertHeld,
    },
    driver,
    { signal, onProgress: onProgress === undefined ? undefined : (p) => onProgress(p, driver) },
  );
  return holdResult(findings, {
    target: namedTarget(prepared.resolved.info, o.target.name),
    engine: prepared.preflight.engine,
    driver,
    settings: holdRunSettings(o),
    ...(hooks.stopSignal === undefined ? {} : { stopSignal: hooks.stopSignal }),
  });
}
