/**
 * Which settings differ between two ramps: each result's `settings` (config/run-settings.ts wrote them), compared
 * setting by setting in a fixed order. Pure, and data only: the compare report words it. A result written before
 * settings were recorded has none, and then nothing can be listed: the comparison says which side is not
 * recorded instead of guessing.
 */
import type { Static } from 'typebox';
import type { RampRunSettings } from '../metrics/result.js';
import type { SettingChangeSchema, SettingsComparisonSchema, SettingValueSchema } from './compare-schema.js';

/** A setting's value, as the result's `settings` holds it (null: not set). */
export type SettingValue = Static<typeof SettingValueSchema>;
/** One setting that differs between the two runs. */
export type SettingChange = Static<typeof SettingChangeSchema>;
/** Whether each run records its settings, and which differ. */
export type SettingsComparison = Static<typeof SettingsComparisonSchema>;

/** Every setting of a ramp, in the order a comparison lists them: what is probed and how first, then the bounds. */
export const RAMP_SETTING_NAMES = [
  'schedule',
  'max',
  'maxDurationMs',
  'maxDurationGiven',
  'holdMs',
  'plateauMs',
  'until',
  'confirm',
  'connectTimeoutMs',
  'settleMs',
  'keepAliveMs',
  'maxInflight',
  'reconnect',
  'reconnectDelayMs',
  'send',
  'expect',
  'reject',
  'expectTimeoutMs',
  'tls',
  'spreadAddresses',
  'sources',
  'workers',
  'engine',
] as const satisfies readonly (keyof RampRunSettings)[];

/** A type error names any setting the list above leaves out: add it there (and its words in the report). */
type UnlistedSetting = Exclude<keyof RampRunSettings, (typeof RAMP_SETTING_NAMES)[number]>;
const everySettingListed: [UnlistedSetting] extends [never] ? true : UnlistedSetting = true;
void everySettingListed;

/** Equal as JSON: the settings are plain data, each written by the same function (config/run-settings.ts), keys in one order. */
function sameValue(a: SettingValue, b: SettingValue): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The settings of two ramps compared; `changed` is empty when either side is not recorded. */
export function compareSettings(before: RampRunSettings | undefined, after: RampRunSettings | undefined): SettingsComparison {
  const recorded = { before: before !== undefined, after: after !== undefined };
  if (before === undefined || after === undefined) return { recorded, changed: [] };
  const changed: SettingChange[] = [];
  for (const name of RAMP_SETTING_NAMES) {
    // A setting added after a result was written is absent from it: null, "not set".
    const was: SettingValue = before[name] ?? null;
    const now: SettingValue = after[name] ?? null;
    if (!sameValue(was, now)) changed.push({ name, before: was, after: now });
  }
  return { recorded, changed };
}
