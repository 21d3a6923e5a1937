/** Engine and run-target fixtures for tests that drive the executors directly against a loopback port. */
import type { EngineConfig } from '../../src/types/engine-config.js';
import type { RunTarget } from '../../src/controller/run-context.js';
import { engineSettings, readEngineOptions } from '../../src/config/probe-options.js';
import { RAMP_DEFAULTS } from '../../src/config/ramp-options.js';
import { Validator } from '../../src/config/validator.js';

/**
 * The engine as the CLI builds it by default (no flags: the defaults of config/, read the way a command reads
 * them), aimed at 127.0.0.1:port; `over` changes single fields.
 */
export function engineFor(port: number, over: Partial<EngineConfig> = {}): EngineConfig {
  const v = new Validator();
  const defaults = readEngineOptions({}, v);
  v.done();
  return {
    targets: [{ address: '127.0.0.1', family: 4, port }],
    sourceAddresses: [],
    ...engineSettings(defaults, { enabled: false, delayMs: RAMP_DEFAULTS.reconnectDelayMs, heldOnly: false }),
    ...over,
  };
}

export function runTargetFor(port: number): RunTarget {
  return {
    info: { host: '127.0.0.1', port, resolved: ['127.0.0.1'], used: ['127.0.0.1'], addressMode: 'pinned', tls: false },
    sourceAddresses: [],
  };
}
