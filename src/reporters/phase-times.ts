/**
 * Where a run's time went, phase by phase (the result's `phases`), in one line: what a reader checks when the
 * answer took longer than opening the sockets would.
 */
import { formatDurationMs } from '../config/units.js';
import type { PhaseSpan, RunPhase } from '../metrics/result.js';

const PHASE_WORDS: Record<RunPhase, string> = {
  opening: 'opening',
  holding: 'holding',
  ramp: 'ramp',
  'rate-measure': 'rate-limit measure',
  'low-rate-confirm': 'low-rate check',
  'eviction-measure': 'eviction check',
  settle: 'settle',
  hold: 'hold',
  'handshake-audit': 'handshake audit',
  reopen: 'reopen',
  confirm: 'confirmation',
};

/** Time spent in each phase, summed over its spans (a ramp may resume), in the order phases first ran. Pure. */
export function phaseTimes(spans: readonly PhaseSpan[]): { phase: RunPhase; ms: number }[] {
  const byPhase = new Map<RunPhase, number>();
  for (const s of spans) byPhase.set(s.phase, (byPhase.get(s.phase) ?? 0) + (s.toMs - s.fromMs));
  return [...byPhase].map(([phase, ms]) => ({ phase, ms }));
}

/**
 * "Time by phase: ramp 1.2s, hold 2s, handshake audit 40ms; the run began 150ms after the process started", or
 * null for a document without phases (written before they were recorded).
 */
export function phaseLine(result: { phases?: PhaseSpan[]; startedAfterMs?: number }): string | null {
  if (result.phases === undefined || result.phases.length === 0) return null;
  const parts = phaseTimes(result.phases).map((p) => `${PHASE_WORDS[p.phase]} ${formatDurationMs(p.ms)}`);
  const start = result.startedAfterMs === undefined ? '' : `; the run began ${formatDurationMs(result.startedAfterMs)} after the process started`;
  return `Time by phase: ${parts.join(', ')}${start}`;
}
