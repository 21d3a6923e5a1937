/**
 * The settings a result records and how two runs' settings differ: the record built from validated flags
 * (config/run-settings.ts), the comparison of two records (compare/settings-diff.ts), and their words in the compare
 * report and for `ramp --baseline` (reporters/run-differences.ts), each against literals.
 */
import { describe, expect, it } from 'vitest';
import { holdRunSettings, rampRunSettings } from '../../src/config/run-settings.js';
import { readHoldOptions } from '../../src/config/hold-options.js';
import { readRampOptions } from '../../src/config/ramp-options.js';
import { compareSettings, type SettingValue } from '../../src/compare/settings-diff.js';
import { compareResults } from '../../src/compare/compare-results.js';
import type { RampRunSettings } from '../../src/metrics/result.js';
import { formatCompareReport } from '../../src/reporters/compare-report.js';
import {
  baselineTargetWarning,
  formatSettingsComparison,
  formatSettingValue,
  gateTargetWarning,
  targetChangedWarning,
} from '../../src/reporters/run-differences.js';
import { rampResult } from '../helpers/ramp-result.js';

/** A ramp's settings as `ramp --port 7000 --rate 1000 --max 400 --engine js` records them. */
const RATE_1000: RampRunSettings = {
  spreadAddresses: false,
  sources: null,
  maxInflight: 256,
  connectTimeoutMs: 2000,
  keepAliveMs: 30_000,
  settleMs: 100,
  send: null,
  expect: null,
  reject: null,
  expectTimeoutMs: null,
  tls: null,
  engine: 'js',
  workers: null,
  schedule: { kind: 'rate', ratePerSec: 1000 },
  max: 400,
  maxDurationMs: 60_000,
  maxDurationGiven: false,
  plateauMs: 3000,
  holdMs: 2000,
  until: 'confirm',
  reconnect: false,
  reconnectDelayMs: null,
};

describe('the settings a result records', () => {
  it('a ramp: the validated flags that shape the measurement, defaults filled in', () => {
    const o = readRampOptions({ port: '7000', rate: '1000', max: '400', engine: 'js' });
    expect(rampRunSettings(o)).toEqual(RATE_1000);
  });

  it('a ramp with every kind of setting: steps, --send by length and hash, --expect, --reconnect, sources', () => {
    const o = readRampOptions({
      port: '7000',
      step: '50',
      stepInterval: '200ms',
      maxDuration: '10s',
      connectTimeout: '500ms',
      send: 'PING\\r\\n',
      expect: 'PONG',
      reconnect: true,
      reconnectDelay: '20ms',
      source: '127.0.0.2,127.0.0.3',
      workers: '2',
      engine: 'js',
    });
    expect(rampRunSettings(o)).toEqual({
      ...RATE_1000,
      schedule: { kind: 'step', size: 50, intervalMs: 200 },
      max: null,
      maxDurationMs: 10_000,
      maxDurationGiven: true,
      connectTimeoutMs: 500,
      send: { bytes: 6, sha256: 'dedee95a5c3354a76fa11ee26963cbe70f4149c9680bfa9c05c4befa372ced97' },
      expect: { kind: 'text', text: 'PONG' },
      expectTimeoutMs: 2000,
      reconnect: true,
      reconnectDelayMs: 20,
      sources: ['127.0.0.2', '127.0.0.3'],
      workers: 2,
    });
  });

  it('the adaptive default by its first rate', () => {
    expect(rampRunSettings(readRampOptions({ port: '7000', engine: 'js' })).schedule).toEqual({ kind: 'adaptive', initialRatePerSec: 2000 });
  });

  it('a hold: connections, pacing, duration and assertions', () => {
    const o = readHoldOptions({ port: '7000', connections: '40', delay: '0', duration: '500ms', assertEstablished: '30', within: '1s', engine: 'js' });
    const { schedule: _s, max: _m, maxDurationGiven: _g, plateauMs: _p, holdMs: _h, until: _u, ...probe } = RATE_1000;
    expect(holdRunSettings(o)).toEqual({
      ...probe,
      connections: 40,
      delayMs: 0,
      durationMs: 500,
      maxDurationMs: 3_600_000,
      reconnect: false,
      reconnectDelayMs: null,
      assertEstablished: { count: 30, withinMs: 1000 },
      assertHeld: false,
    });
  });
});

describe('which settings differ', () => {
  it('lists each setting that differs, in the fixed order, with both values', () => {
    const after: RampRunSettings = { ...RATE_1000, connectTimeoutMs: 500, schedule: { kind: 'adaptive', initialRatePerSec: 2000 }, sources: ['10.0.0.2'] };
    expect(compareSettings(RATE_1000, after)).toEqual({
      recorded: { before: true, after: true },
      changed: [
        { name: 'schedule', before: { kind: 'rate', ratePerSec: 1000 }, after: { kind: 'adaptive', initialRatePerSec: 2000 } },
        { name: 'connectTimeoutMs', before: 2000, after: 500 },
        { name: 'sources', before: null, after: ['10.0.0.2'] },
      ],
    });
  });

  it('lists nothing for the same settings, and nothing but which side lacks them for an older result', () => {
    expect(compareSettings(RATE_1000, { ...RATE_1000 })).toEqual({ recorded: { before: true, after: true }, changed: [] });
    expect(compareSettings(undefined, RATE_1000)).toEqual({ recorded: { before: false, after: true }, changed: [] });
    expect(compareSettings(RATE_1000, undefined)).toEqual({ recorded: { before: true, after: false }, changed: [] });
  });
});

describe('the words for what differs', () => {
  const words: [string, SettingValue, string][] = [
    ['connectTimeoutMs', 2000, '2s'],
    ['settleMs', 100, '100ms'],
    ['max', 12_000, '12,000'],
    ['max', null, 'not set'],
    ['reconnect', true, 'yes'],
    ['until', 'first-failure', 'first-failure'],
    ['sources', ['10.0.0.2', '10.0.0.3'], '10.0.0.2, 10.0.0.3'],
    ['schedule', { kind: 'rate', ratePerSec: 500 }, 'rate 500/s'],
    ['schedule', { kind: 'adaptive', initialRatePerSec: 2000 }, 'adaptive from 2,000/s'],
    ['schedule', { kind: 'step', size: 50, intervalMs: 200 }, 'step 50 every 200ms'],
    ['expect', { kind: 'text', text: 'PONG' }, 'text "PONG"'],
    ['expect', { kind: 'regex', source: '^\\+OK', flags: 'i' }, 'regex /^\\+OK/i'],
    ['send', { bytes: 6, sha256: 'dedee95a5c3354a76fa11ee2' }, '6 bytes (sha256 dedee95a5c33)'],
    ['tls', { servername: null, insecure: false, ca: false }, 'on'],
    ['tls', { servername: 'db.internal', insecure: true, ca: false }, 'on (servername db.internal, insecure)'],
    ['newSettingFromTheFuture', 3, '3'],
  ];
  it.each(words)('%s = %j reads "%s"', (name, value, text) => {
    expect(formatSettingValue(name, value)).toBe(text);
  });

  it('the compare report block: a table of the settings that differ, by flag', () => {
    const lines = formatSettingsComparison(compareSettings(RATE_1000, { ...RATE_1000, connectTimeoutMs: 500, reconnect: true, reconnectDelayMs: 100 }));
    expect(lines).toEqual([
      'Settings that differ:',
      '                     before   after',
      '  --connect-timeout  2s       500ms',
      '  --reconnect        no       yes',
      '  --reconnect-delay  not set  100ms',
    ]);
  });

  it('the same settings, or a result without them, each in one line', () => {
    expect(formatSettingsComparison(compareSettings(RATE_1000, RATE_1000))).toEqual(['Settings: the same']);
    expect(formatSettingsComparison(compareSettings(undefined, RATE_1000))).toEqual([
      'Settings: not recorded in before (written before tcpprobe recorded them): cannot tell which differ',
    ]);
    expect(formatSettingsComparison(compareSettings(undefined, undefined))).toEqual([
      'Settings: not recorded in before and after (written before tcpprobe recorded them): cannot tell which differ',
    ]);
  });

  it('a different target is one line of warning, in compare and for the gate', () => {
    expect(targetChangedWarning('127.0.0.1:7000', '[::1]:7001')).toBe('Warning: different targets: before ran against 127.0.0.1:7000, after against [::1]:7001');
    expect(baselineTargetWarning('127.0.0.1:7000', '127.0.0.1:7001')).toBe(
      'baseline: warning: the baseline is a run of 127.0.0.1:7000, this run is of 127.0.0.1:7001',
    );
  });

  it('the gate warns only for a baseline of another target', () => {
    const baseline = { maxConcurrency: 150, verdict: 'limit-by-failure' as const, startedAt: '2026-01-01T00:00:00.000Z' };
    expect(gateTargetWarning({ baseline: { ...baseline, target: '127.0.0.1:7000' } }, '127.0.0.1:7001')).toBe(
      'baseline: warning: the baseline is a run of 127.0.0.1:7000, this run is of 127.0.0.1:7001',
    );
    expect(gateTargetWarning({ baseline: { ...baseline, target: '127.0.0.1:7001' } }, '127.0.0.1:7001')).toBeNull();
    // No baseline found, or a record written before the baseline's target was kept: nothing to say.
    expect(gateTargetWarning({ baseline: null }, '127.0.0.1:7001')).toBeNull();
    expect(gateTargetWarning({ baseline }, '127.0.0.1:7001')).toBeNull();
  });
});

describe('the compare report with settings and targets', () => {
  it('warns right under the headline when the targets differ, once, and lists the settings that differ', () => {
    const before = { ...rampResult({ max: 300, port: 7000 }), settings: RATE_1000 };
    const after = { ...rampResult({ max: 200, port: 7001 }), settings: { ...RATE_1000, holdMs: 500 } };
    const lines = formatCompareReport(compareResults(before, after), { chart: false }).split('\n');
    expect(lines[1]).toBe('Warning: different targets: before ran against 127.0.0.1:7000, after against 127.0.0.1:7001');
    expect(lines.filter((l) => l.includes('different targets'))).toHaveLength(1);
    expect(lines).toContain('Settings that differ:');
    expect(lines.find((l) => l.startsWith('  --hold'))).toMatch(/^ {2}--hold +2s +500ms$/);
  });

  it('says nothing of targets for the same one, and "not recorded" for results without settings', () => {
    const text = formatCompareReport(compareResults(rampResult({ max: 300 }), rampResult({ max: 200 })), { chart: false });
    expect(text).not.toContain('Warning');
    expect(text).toContain('Settings: not recorded in before and after');
  });
});
