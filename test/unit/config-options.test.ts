/**
 * config/*-options.ts: flags (as commander hands them over) -> frozen options, the defaults when a flag is not
 * given, and every refusal, each naming its flag, all of them in one UsageError.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { readDoctorOptions } from '../../src/config/doctor-options.js';
import { HOLD_DEFAULTS, readHoldOptions } from '../../src/config/hold-options.js';
import {
  ENGINE_DEFAULTS,
  poolSettings,
  MAX_WORKERS,
  readConnectionOptions,
  readTargetOptions,
  readWorkers,
  type RawFlags,
} from '../../src/config/probe-options.js';
import { defaultHoldMs, RAMP_DEFAULTS, readRampOptions } from '../../src/config/ramp-options.js';
import { ADAPTIVE_DEFAULTS } from '../../src/config/schedule.js';
import { nativeBindNoPort, portAtConnect } from '../../src/config/engine-choice.js';
import { Validator } from '../../src/config/validator.js';

const dir = mkdtempSync(join(tmpdir(), 'tcpprobe-config-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The problems `read` refuses `raw` with (an empty list: accepted). */
function problemsOf(read: () => unknown): readonly string[] {
  try {
    read();
    return [];
  } catch (e) {
    if (e instanceof UsageError) return e.problems;
    throw e;
  }
}

/** Read target and engine options through one validator, as the commands do. */
function readProbe(raw: RawFlags) {
  const v = new Validator();
  const target = readTargetOptions(raw, v);
  const engine = readConnectionOptions(raw, v);
  v.done();
  return { target, engine };
}

describe('probe-options: target and engine flags', () => {
  it('defaults: localhost, the engine defaults, no service check, no TLS, workers chosen by the run', () => {
    const { target, engine } = readProbe({ port: '8080' });
    expect(target).toEqual({ host: ENGINE_DEFAULTS.host, port: 8080, spreadAddresses: false, sources: null });
    expect(engine).toEqual({
      workers: null,
      maxInflight: ENGINE_DEFAULTS.maxInflight,
      connectTimeoutMs: ENGINE_DEFAULTS.connectTimeoutMs,
      keepAliveMs: ENGINE_DEFAULTS.keepAliveSec * 1000,
      settleMs: ENGINE_DEFAULTS.settleMs,
      service: null,
      tls: null,
      // Native where the addon loads, else js (engine-choice.ts decides; its own tests cover which).
      engine: expect.objectContaining({ name: expect.stringMatching(/^(native|js)$/) }),
    });
  });

  it('flags -> options: units, matchers, send data, TLS with a CA file, sources, workers', () => {
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, 'PEM');
    const { target, engine } = readProbe({
      host: '127.0.0.1',
      port: '6379',
      source: '127.0.0.2-127.0.0.4',
      spreadAddresses: true,
      maxInflight: '16',
      connectTimeout: '1.5s',
      keepalive: '5s',
      settle: '250ms',
      send: 'PING\\r\\n',
      expect: '/^\\+PONG/i',
      reject: 'ERR',
      expectTimeout: '3s',
      tls: true,
      servername: 'example.test',
      insecure: true,
      ca,
      workers: '4',
    });
    expect(target).toEqual({ host: '127.0.0.1', port: 6379, spreadAddresses: true, sources: ['127.0.0.2', '127.0.0.3', '127.0.0.4'] });
    expect(engine.maxInflight).toBe(16);
    expect(engine.connectTimeoutMs).toBe(1500);
    expect(engine.keepAliveMs).toBe(5000);
    expect(engine.settleMs).toBe(250);
    expect(Buffer.from(engine.service?.send ?? []).toString('latin1')).toBe('PING\r\n');
    expect(engine.service?.expect).toEqual({ kind: 'regex', source: '^\\+PONG', flags: 'i' });
    expect(engine.service?.reject).toEqual({ kind: 'text', text: 'ERR' });
    expect(engine.service?.expectTimeoutMs).toBe(3000);
    expect(engine.tls).toEqual({ servername: 'example.test', insecure: true, ca: 'PEM' });
    expect(engine.workers).toBe(4);
  });

  it('refuses each bad flag by name, all in one error', () => {
    const problems = problemsOf(() =>
      readProbe({
        maxInflight: '0',
        connectTimeout: '0s',
        servername: 'x',
        workers: String(MAX_WORKERS + 1),
        expect: '/(/',
      }),
    );
    expect(problems).toEqual([
      '--port: required (the TCP port of the server to probe)',
      '--max-inflight: must be at least 1',
      '--connect-timeout: must be above 0',
      expect.stringMatching(/^--expect: /),
      '--servername, --insecure and --ca need --tls',
      `--workers: must be 1 to ${MAX_WORKERS}`,
    ]);
    expect(problemsOf(() => readProbe({ port: '70000' }))).toEqual([expect.stringMatching(/^--port: /)]);
    expect(problemsOf(() => readProbe({ port: '1', tls: true, ca: join(dir, 'missing.pem') }))).toEqual([
      expect.stringMatching(/^--ca: cannot read file /),
    ]);
    expect(problemsOf(() => readProbe({ port: '1', send: '' }))).toEqual(['--send: empty data']);
  });

  it('--workers: 1 to MAX_WORKERS, or null when not given', () => {
    const read = (workers: string | undefined): number | null => {
      const v = new Validator();
      const w = readWorkers({ workers }, v);
      v.done();
      return w;
    };
    expect(read(undefined)).toBeNull();
    expect(read('1')).toBe(1);
    expect(read(String(MAX_WORKERS))).toBe(MAX_WORKERS);
    expect(problemsOf(() => read('0'))).toEqual([`--workers: must be 1 to ${MAX_WORKERS}`]);
  });

  it('poolSettings: the options and the reconnect policy, field for field', () => {
    const { engine } = readProbe({ port: '1', expect: 'OK' });
    expect(poolSettings(engine, { enabled: true, delayMs: 50, heldOnly: true })).toEqual({
      maxInflight: engine.maxInflight,
      connectTimeoutMs: engine.connectTimeoutMs,
      keepAliveMs: engine.keepAliveMs,
      settleMs: engine.settleMs,
      reconnect: true,
      reconnectDelayMs: 50,
      reconnectHeldOnly: true,
      service: engine.service,
      tls: null,
    });
  });
});

describe('engine-choice: how the native core binds', () => {
  it('IP_BIND_ADDRESS_NO_PORT unless $TCPPROBE_NATIVE_BIND=reuseaddr', () => {
    expect(nativeBindNoPort({ TCPPROBE_NATIVE_BIND: 'noport' })).toBe(true);
    expect(nativeBindNoPort({})).toBe(true);
    expect(nativeBindNoPort({ TCPPROBE_NATIVE_BIND: 'reuseaddr' })).toBe(false);
    // Where a bound socket's port is chosen: at connect() only on the native core binding that way.
    expect(portAtConnect('native', {})).toBe(true);
    expect(portAtConnect('native', { TCPPROBE_NATIVE_BIND: 'reuseaddr' })).toBe(false);
    expect(portAtConnect('js', {})).toBe(false);
  });
});

describe('ramp-options', () => {
  it('defaults: the adaptive schedule from its first rate, the ramp defaults, frozen', () => {
    const o = readRampOptions({ port: '80' });
    expect(Object.isFrozen(o)).toBe(true);
    expect(o.adaptive).toEqual(ADAPTIVE_DEFAULTS);
    expect(o.stage).toEqual({ kind: 'rate', ratePerSec: ADAPTIVE_DEFAULTS.initialRatePerSec });
    expect(o.max).toBeNull();
    expect(o.maxDurationMs).toBe(RAMP_DEFAULTS.maxDurationMs);
    expect(o.maxDurationGiven).toBe(false);
    expect(o.plateauMs).toBe(RAMP_DEFAULTS.plateauMs);
    expect(o.holdMs).toBe(RAMP_DEFAULTS.holdMs);
    expect(o.until).toBe(RAMP_DEFAULTS.until);
    expect(o.reconnect).toEqual({ enabled: false, delayMs: RAMP_DEFAULTS.reconnectDelayMs, heldOnly: true });
    expect([o.json, o.quiet, o.chart, o.outFile]).toEqual([false, false, true, null]);
  });

  it('flags -> options: a fixed rate, steps, bounds, the hold, --until, --reconnect', () => {
    const rate = readRampOptions({ port: '80', rate: '500', max: '1k', maxDuration: '30s', plateau: '2s', hold: '1s', until: 'first-failure', reconnect: true, reconnectDelay: '20ms', json: true, quiet: true, chart: false });
    expect(rate.adaptive).toBeNull();
    expect(rate.stage).toEqual({ kind: 'rate', ratePerSec: 500 });
    expect([rate.max, rate.maxDurationMs, rate.maxDurationGiven, rate.plateauMs, rate.holdMs]).toEqual([1000, 30_000, true, 2000, 1000]);
    expect(rate.until).toBe('first-failure');
    expect(rate.reconnect).toEqual({ enabled: true, delayMs: 20, heldOnly: true });
    expect([rate.json, rate.quiet, rate.chart]).toEqual([true, true, false]);
    const step = readRampOptions({ port: '80', step: '100', stepInterval: '500ms' });
    expect(step.adaptive).toBeNull();
    expect(step.stage).toEqual({ kind: 'step', size: 100, intervalMs: 500 });
  });

  it('a short --max-duration shrinks the default hold to a quarter of it', () => {
    expect(readRampOptions({ port: '80', maxDuration: '2s' }).holdMs).toBe(500);
    expect(defaultHoldMs(2000)).toBe(500);
    expect(defaultHoldMs(60_000)).toBe(RAMP_DEFAULTS.holdMs);
  });

  it('refuses each bad flag by name, all in one error', () => {
    expect(problemsOf(() => readRampOptions({ port: '80', rate: '10', step: '5', stepInterval: '1s' }))).toEqual([
      '--rate and --step are alternatives: give one',
    ]);
    expect(problemsOf(() => readRampOptions({ port: '80', step: '5' }))).toEqual(['--step and --step-interval go together']);
    expect(problemsOf(() => readRampOptions({ port: '80', step: '0', stepInterval: '1s' }))).toEqual(['--step: must be at least 1']);
    expect(problemsOf(() => readRampOptions({ port: '80', step: '1', stepInterval: '0ms' }))).toEqual(['--step-interval: must be above 0']);
    expect(
      problemsOf(() =>
        readRampOptions({ max: '0', maxDuration: '50ms', plateau: '10ms', reconnectDelay: '5ms', until: 'never' }),
      ),
    ).toEqual([
      '--port: required (the TCP port of the server to probe)',
      '--max: must be at least 1',
      '--max-duration: must be at least 100ms',
      '--plateau: must be at least 100ms',
      '--reconnect-delay: only with --reconnect',
      '--until: "never" is not one of confirm, first-failure',
    ]);
    expect(problemsOf(() => readRampOptions({ port: '80', maxDuration: '2s', hold: '2s' }))).toEqual([
      '--hold: must be shorter than --max-duration (the hold is part of the run)',
    ]);
    expect(problemsOf(() => readRampOptions({ port: '80', rate: 'fast' }))).toEqual([expect.stringMatching(/^--rate: /)]);
    expect(problemsOf(() => readRampOptions({ port: '80', out: dir }))).toEqual([expect.stringMatching(/^--out: /)]);
  });
});

describe('hold-options', () => {
  it('defaults: the hold defaults, no assertion, frozen', () => {
    const o = readHoldOptions({ port: '80' });
    expect(Object.isFrozen(o)).toBe(true);
    expect(o.connections).toBe(HOLD_DEFAULTS.connections);
    expect(o.delayMs).toBe(HOLD_DEFAULTS.delayMs);
    expect(o.durationMs).toBeNull();
    expect(o.maxDurationMs).toBe(HOLD_DEFAULTS.maxDurationMs);
    expect(o.reconnect).toBe(false);
    expect(o.reconnectDelayMs).toBe(HOLD_DEFAULTS.reconnectDelayMs);
    expect(o.intervalMs).toBe(HOLD_DEFAULTS.intervalMs);
    expect(o.assertEstablished).toBeNull();
    expect([o.assertHeld, o.verbose, o.json, o.quiet, o.outFile]).toEqual([false, false, false, false, null]);
  });

  it('flags -> options: counts, durations, both assertions', () => {
    const o = readHoldOptions({ port: '80', connections: '2k', delay: '5ms', duration: '10s', maxDuration: '1m', reconnect: true, reconnectDelay: '50ms', interval: '200ms', assertEstablished: '1500', within: '5s', assertHeld: true, verbose: true, json: true });
    expect([o.connections, o.delayMs, o.durationMs, o.maxDurationMs, o.reconnectDelayMs, o.intervalMs]).toEqual([2000, 5, 10_000, 60_000, 50, 200]);
    expect(o.reconnect).toBe(true);
    expect(o.assertEstablished).toEqual({ count: 1500, withinMs: 5000 });
    expect([o.assertHeld, o.verbose, o.json]).toEqual([true, true, true]);
  });

  it('refuses each bad flag by name, all in one error', () => {
    expect(
      problemsOf(() => readHoldOptions({ port: '80', connections: '0', duration: '0s', maxDuration: '0s', interval: '10ms' })),
    ).toEqual([
      '--connections: must be at least 1',
      '--duration: must be above 0',
      '--max-duration: must be above 0',
      '--interval: must be at least 50ms',
    ]);
    expect(problemsOf(() => readHoldOptions({ port: '80', assertEstablished: '5' }))).toEqual([
      '--assert-established and --within go together',
    ]);
    expect(problemsOf(() => readHoldOptions({ port: '80', connections: '10', assertEstablished: '11', within: '1s' }))).toEqual([
      '--assert-established: 11 is more than --connections 10',
    ]);
    expect(problemsOf(() => readHoldOptions({ port: '80', assertHeld: true }))).toEqual([
      '--assert-held needs --duration (the time the connections must be held)',
    ]);
    expect(problemsOf(() => readHoldOptions({ port: '80', quiet: true, verbose: true }))).toEqual([
      '--quiet and --verbose contradict each other',
    ]);
  });
});

describe('doctor-options', () => {
  it('defaults: no target, no count (a default ramp\'s reach), workers chosen', () => {
    expect(readDoctorOptions({})).toEqual({
      target: null,
      connections: null,
      workers: null,
      json: false,
    });
  });

  it('flags -> options: a target from --port alone, connections, workers, --json', () => {
    expect(readDoctorOptions({ port: '443', connections: '50k', workers: '2', json: true })).toEqual({
      target: { host: ENGINE_DEFAULTS.host, port: 443, spreadAddresses: false, sources: null },
      connections: 50_000,
      workers: 2,
      json: true,
    });
  });

  it('refuses each bad flag by name, all in one error', () => {
    expect(problemsOf(() => readDoctorOptions({ spreadAddresses: true, connections: '0', workers: '0' }))).toEqual([
      '--spread-addresses: needs --port (and --host)',
      '--connections: must be at least 1',
      `--workers: must be 1 to ${MAX_WORKERS}`,
    ]);
    expect(problemsOf(() => readDoctorOptions({ host: 'localhost' }))).toEqual([
      '--port: required (the TCP port of the server to probe)',
    ]);
  });
});
