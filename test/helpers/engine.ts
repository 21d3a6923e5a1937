/** Engine and run-target fixtures for tests that drive the executors directly against a loopback port. */
import type { PoolConfig } from '../../src/types/pool-config.js';
import type { TargetInfo } from '../../src/metrics/result.js';
import { poolSettings, readConnectionOptions } from '../../src/config/probe-options.js';
import { RAMP_DEFAULTS } from '../../src/config/ramp-options.js';
import { Validator } from '../../src/config/validator.js';
import type { EngineName } from '../../src/types/pool-config.js';
import { chooseEngine, parseEngineFlag } from '../../src/config/engine-choice.js';

/**
 * The socket layer engine tests run on, as the CLI chooses it: TCPPROBE_ENGINE=native|js, else native where the
 * addon loads. `npm test` runs the engine tests once per engine (vitest.config.ts).
 */
export const testEngine: EngineName = chooseEngine(parseEngineFlag(undefined), false).name;

/**
 * The engine as the CLI builds it by default (no flags: the defaults of config/, read the way a command reads
 * them), aimed at 127.0.0.1:port; `over` changes single fields.
 */
export function engineFor(port: number, over: Partial<PoolConfig> = {}): PoolConfig {
  const v = new Validator();
  const defaults = readConnectionOptions({}, v);
  v.done();
  return {
    targets: [{ address: '127.0.0.1', family: 4, port }],
    sourceAddresses: [],
    ...poolSettings(defaults, { enabled: false, delayMs: RAMP_DEFAULTS.reconnectDelayMs, heldOnly: false }),
    engine: over.tls ? 'js' : testEngine,
    ...over,
  };
}

/** The target as a result records it, for 127.0.0.1:port. */
export function targetInfoFor(port: number): TargetInfo {
  return { host: '127.0.0.1', port, resolved: ['127.0.0.1'], used: ['127.0.0.1'], addressMode: 'pinned', tls: false };
}
