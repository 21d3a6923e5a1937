/** Engine and run-target fixtures for tests that drive the executors directly against a loopback port. */
import type { EngineConfig } from '../../src/engine/connection-pool.js';
import type { RunTarget } from '../../src/controller/run-context.js';
import type { EngineName } from '../../src/engine/transport.js';
import { chooseEngine, parseEngineFlag } from '../../src/config/engine-choice.js';

/**
 * The socket layer engine tests run on, as the CLI chooses it: TCPPROBE_ENGINE=native|js, else native where the
 * addon loads. `npm test` runs the engine tests once per engine (vitest.config.ts).
 */
export const testEngine: EngineName = chooseEngine(parseEngineFlag(undefined), false).name;

/** The engine as the CLI builds it by default, aimed at 127.0.0.1:port; `over` changes single fields. */
export function engineFor(port: number, over: Partial<EngineConfig> = {}): EngineConfig {
  return {
    targets: [{ address: '127.0.0.1', family: 4, port }],
    sourceAddresses: [],
    maxInflight: 256,
    connectTimeoutMs: 2000,
    keepAliveMs: 30_000,
    settleMs: 100,
    reconnect: false,
    reconnectDelayMs: 100,
    service: null,
    tls: null,
    engine: over.tls ? 'js' : testEngine,
    ...over,
  };
}

export function runTargetFor(port: number): RunTarget {
  return {
    info: { host: '127.0.0.1', port, resolved: ['127.0.0.1'], used: ['127.0.0.1'], addressMode: 'pinned', tls: false },
    sourceAddresses: [],
  };
}
