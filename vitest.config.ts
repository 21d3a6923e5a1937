import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import SkipReporter from './test/helpers/skip-reporter.js';

/**
 * Where the native core is not built (no compiler at install), the CLI says so on stderr in every run, by design
 * (engine-native.test.ts proves that line). The other tests then run on the JS engine by name, as
 * `TCPPROBE_ENGINE=js` would, so their stderr is what it is on every machine.
 */
function nativeCoreLoads(): boolean {
  try {
    // TCPPROBE_NATIVE_ADDON names the binary every process loads (the ASan build, or a test's missing one).
    const explicit = process.env.TCPPROBE_NATIVE_ADDON;
    const require = createRequire(import.meta.url);
    if (explicit) require(explicit);
    else require('node-gyp-build')(fileURLToPath(new URL('.', import.meta.url)));
    return true;
  } catch {
    return false;
  }
}

/**
 * Every test runs once on the default engine (native where the addon is built, see config/engine-choice.ts); the
 * engine tests and the conformance cases that decide a verdict from socket behaviour run a second time on the
 * other engine (TCPPROBE_ENGINE, read by the CLI and by test/helpers/engine.ts). docs/native-engine.md says why
 * these.
 */
const SECOND_ENGINE_FILES = [
  'test/integration/ramp-engine.test.ts',
  'test/integration/hold-engine.test.ts',
  'test/integration/classes.test.ts',
  'test/integration/classes-addresses.test.ts',
  'test/integration/late-denial.test.ts',
  'test/integration/handshake-audit.test.ts',
  'test/integration/nothing-held.test.ts',
  'test/integration/serve-workers.test.ts',
  'test/conformance/redis.test.ts',
  'test/conformance/connlimit.test.ts',
  'test/conformance/nginx-stream.test.ts',
];

const onCi = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
const nativeLoads = nativeCoreLoads();
// .ci/run installs a compiler, so there the core must load: a silent switch to the JS engine would hide a broken build.
if (onCi && !nativeLoads) {
  throw new Error('CI=true: the native core did not build or load (npm run build:native says why); the tests do not fall back to the JS engine on CI');
}

/** Where test/helpers/needs.ts logs each skip with the need that caused it, for the skip reporter. */
const skipLog = join(mkdtempSync(join(tmpdir(), 'tcpprobe-skips-')), 'skips.jsonl');

const shared = {
  testTimeout: 60_000,
  hookTimeout: 30_000,
  // Socket-heavy integration tests share the fd limit and the port range: run files one at a time.
  fileParallelism: false,
};

export default defineConfig({
  test: {
    // The skip reporter ends the run with what was skipped and why, and fails it on a skip without a declared need.
    reporters: ['default', new SkipReporter(skipLog)],
    // One project after the other, never side by side (they share the fd limit and the port range too).
    sequence: { groupOrder: 0 },
    projects: [
      {
        test: {
          ...shared,
          name: 'default-engine',
          include: ['test/**/*.test.ts'],
          env: nativeLoads ? { TCPPROBE_SKIP_LOG: skipLog } : { TCPPROBE_SKIP_LOG: skipLog, TCPPROBE_ENGINE: 'js' },
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...shared,
          name: 'js-engine',
          include: SECOND_ENGINE_FILES,
          env: { TCPPROBE_SKIP_LOG: skipLog, TCPPROBE_ENGINE: 'js' },
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
