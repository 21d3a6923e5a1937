/**
 * The words for how two runs differ: the settings that differ (by the flag that sets them, with their units) and a
 * one-line warning when the runs are of different targets. Pure functions of the comparison's data
 * (compare/settings-diff.ts), used by the compare report and by `ramp --baseline`.
 */
import type { RAMP_SETTING_NAMES, SettingChange, SettingsComparison, SettingValue } from '../compare/settings-diff.js';
import { formatCount } from '../config/units.js';
import type { GateRecord } from '../metrics/result.js';
import { cleanText, formatMs, formatRate, formatTable } from './format.js';

type SettingName = (typeof RAMP_SETTING_NAMES)[number];

/** Each setting by the flag that sets it, and how its numbers read. */
const SETTING_WORDS: Record<SettingName, { label: string; unit: 'ms' | 'count' | 'none' }> = {
  schedule: { label: 'schedule (--rate, --step)', unit: 'none' },
  max: { label: '--max', unit: 'count' },
  maxDurationMs: { label: '--max-duration', unit: 'ms' },
  maxDurationGiven: { label: '--max-duration given', unit: 'none' },
  holdMs: { label: '--hold', unit: 'ms' },
  plateauMs: { label: '--plateau', unit: 'ms' },
  until: { label: '--until', unit: 'none' },
  confirm: { label: '--confirm', unit: 'none' },
  connectTimeoutMs: { label: '--connect-timeout', unit: 'ms' },
  settleMs: { label: '--settle', unit: 'ms' },
  keepAliveMs: { label: '--keepalive', unit: 'ms' },
  maxInflight: { label: '--max-inflight', unit: 'count' },
  reconnect: { label: '--reconnect', unit: 'none' },
  reconnectDelayMs: { label: '--reconnect-delay', unit: 'ms' },
  send: { label: '--send', unit: 'none' },
  expect: { label: '--expect', unit: 'none' },
  reject: { label: '--reject', unit: 'none' },
  expectTimeoutMs: { label: '--expect-timeout', unit: 'ms' },
  tls: { label: '--tls', unit: 'none' },
  spreadAddresses: { label: '--spread-addresses', unit: 'none' },
  sources: { label: '--source', unit: 'none' },
  workers: { label: '--workers', unit: 'count' },
  engine: { label: '--engine', unit: 'none' },
};

const WORDS_BY_NAME = new Map<string, { label: string; unit: 'ms' | 'count' | 'none' }>(Object.entries(SETTING_WORDS));

function wordsOf(name: string): { label: string; unit: 'ms' | 'count' | 'none' } {
  // A setting this tcpprobe does not know (a newer result): shown by its name, its value as written.
  return WORDS_BY_NAME.get(name) ?? { label: cleanText(name, 40), unit: 'none' };
}

/** One setting's value for people: "2s", "1,000", "rate 500/s", "text \"PONG\"", "on (insecure)", "not set". */
export function formatSettingValue(name: string, value: SettingValue): string {
  if (value === null) return 'not set';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') {
    const unit = wordsOf(name).unit;
    return unit === 'ms' ? formatMs(value) : unit === 'count' ? formatCount(value) : String(value);
  }
  if (typeof value === 'string') return cleanText(value, 40);
  if (Array.isArray(value)) return value.length === 0 ? 'none' : cleanText(value.join(', '), 80);
  if ('bytes' in value) return `${formatCount(value.bytes)} bytes (sha256 ${cleanText(value.sha256.slice(0, 12), 12)})`;
  if ('insecure' in value) {
    const parts = [value.servername === null ? null : `servername ${cleanText(value.servername, 40)}`, value.insecure ? 'insecure' : null, value.ca ? 'own CA' : null];
    const shown = parts.filter((p) => p !== null);
    return shown.length === 0 ? 'on' : `on (${shown.join(', ')})`;
  }
  switch (value.kind) {
    case 'adaptive':
      return `adaptive from ${formatRate(value.initialRatePerSec)}`;
    case 'rate':
      return `rate ${formatRate(value.ratePerSec)}`;
    case 'step':
      return `step ${formatCount(value.size)} every ${formatMs(value.intervalMs)}`;
    case 'text':
      return `text "${cleanText(value.text, 40)}"`;
    case 'regex':
      return `regex /${cleanText(value.source, 40)}/${cleanText(value.flags, 8)}`;
  }
}

/** The table of the settings that differ: flag, before, after. */
function changeRows(changed: readonly SettingChange[]): string[][] {
  return changed.map((c) => [wordsOf(c.name).label, formatSettingValue(c.name, c.before), formatSettingValue(c.name, c.after)]);
}

/**
 * The settings block of the compare report: the settings that differ, or that none do, or which result does not
 * record them ("settings not recorded": written before tcpprobe recorded them).
 */
export function formatSettingsComparison(s: SettingsComparison): string[] {
  const missing = [s.recorded.before ? null : 'before', s.recorded.after ? null : 'after'].filter((m) => m !== null);
  if (missing.length > 0) {
    return [`Settings: not recorded in ${missing.join(' and ')} (written before tcpprobe recorded them): cannot tell which differ`];
  }
  if (s.changed.length === 0) return ['Settings: the same'];
  return ['Settings that differ:', ...formatTable(['', 'before', 'after'], changeRows(s.changed), ['left', 'left', 'left'])];
}

/** The one line of the compare report when the runs are of different targets: two servers' figures side by side. */
export function targetChangedWarning(before: string, after: string): string {
  return `Warning: different targets: before ran against ${cleanText(before, 80)}, after against ${cleanText(after, 80)}`;
}

/** The one line `ramp --baseline` prints when its baseline is a run of another target. */
export function baselineTargetWarning(baseline: string, run: string): string {
  return `baseline: warning: the baseline is a run of ${cleanText(baseline, 80)}, this run is of ${cleanText(run, 80)}`;
}

/**
 * The gate's warning for a run (`run`: its "host:port") judged against a baseline of another target, else null:
 * no baseline, the same target, or a record written before the baseline's target was kept.
 */
export function gateTargetWarning(gate: Pick<GateRecord, 'baseline'>, run: string): string | null {
  const baseline = gate.baseline?.target;
  return baseline === undefined || baseline === run ? null : baselineTargetWarning(baseline, run);
}
