#!/usr/bin/env node
/**
 * The native core under AddressSanitizer and UndefinedBehaviorSanitizer: build it with -fsanitize=address,undefined
 * into a scratch folder, then run the engine tests on it (TCPPROBE_NATIVE_ADDON points every process there, the
 * CLI children included). Leak detection is off: Node itself keeps allocations to exit. A sanitizer report makes
 * the process abort, which fails the test that ran it. Bounded: 10 minutes at most. Used once by .ci/run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FILES = [
  'test/integration/engine-native.test.ts',
  'test/integration/ramp-engine.test.ts',
  'test/integration/serve-workers.test.ts',
];

const dir = mkdtempSync(path.join(os.tmpdir(), 'tcpprobe-asan-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-native.mjs'), '--asan', dir], { encoding: 'utf8', timeout: 180_000 });
if (build.status !== 0) {
  process.stderr.write(`test-asan: the sanitizer build failed\n${build.stderr}`);
  process.exit(1);
}
const addon = build.stdout.trim();
const libasan = spawnSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).stdout.trim();
if (!libasan.startsWith('/')) {
  process.stderr.write('test-asan: gcc does not know libasan.so\n');
  process.exit(1);
}
process.stderr.write(`test-asan: ${addon} with ${libasan}\n`);
const run = spawnSync(path.join(root, 'node_modules', '.bin', 'vitest'), ['run', '--project', 'default-engine', ...FILES], {
  cwd: root,
  stdio: 'inherit',
  timeout: 600_000,
  env: {
    ...process.env,
    LD_PRELOAD: libasan,
    ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1',
    UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
    TCPPROBE_NATIVE_ADDON: addon,
    TCPPROBE_ENGINE: 'native',
  },
});
process.exit(run.status ?? 1);
