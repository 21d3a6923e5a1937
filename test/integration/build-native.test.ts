/**
 * The install script (scripts/build-native.mjs) in a copy of the package's build inputs: it builds the core where
 * none is built, keeps a build that loads, and rebuilds one older than native/tcpcore.c (npm ci keeps build/, so a
 * checkout that pulled a change to the core would otherwise go on loading the binary without it). Real node-gyp
 * builds; they need a compiler (the fallback itself is in engine-native.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { describeNeeding, need } from '../helpers/needs.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const dir = mkdtempSync(join(tmpdir(), 'tcpprobe-build-native-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function install(): string {
  const r = spawnSync(process.execPath, [join(dir, 'scripts', 'build-native.mjs')], { encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  return r.stderr.trim();
}

describeNeeding([need.compiler], 'the native core install script', () => {
  it('builds, keeps a build that loads, and rebuilds one older than the core source', () => {
    cpSync(join(ROOT, 'binding.gyp'), join(dir, 'binding.gyp'));
    cpSync(join(ROOT, 'native'), join(dir, 'native'), { recursive: true });
    cpSync(join(ROOT, 'scripts', 'build-native.mjs'), join(dir, 'scripts', 'build-native.mjs'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    expect(install()).toBe('tcpprobe: native core built');
    const binary = join(dir, 'build', 'Release', 'tcpcore.node');
    const builtAt = statSync(binary).mtimeMs;
    expect(install()).toBe('tcpprobe: native core present');
    // The source changes after the build (a pull): its mtime moves past the binary's.
    const later = new Date(builtAt + 60_000);
    utimesSync(join(dir, 'native', 'tcpcore.c'), later, later);
    expect(install()).toBe('tcpprobe: native core built');
    expect(statSync(binary).mtimeMs).toBeGreaterThan(builtAt);
  });
});
