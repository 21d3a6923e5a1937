#!/usr/bin/env node
/**
 * Builds the native socket core (native/tcpcore.c) with node-gyp against the headers the installed Node ships, so
 * nothing is downloaded. Run by `npm install` (the "install" script): it never fails the install. Where it cannot
 * build (no compiler, no headers, not Linux) it says why in one line and tcpprobe uses the JS engine. A package
 * from the registry carries a prebuilt core (prebuilds/, made by `npm pack`), which loads without any of this.
 *
 *   node scripts/build-native.mjs              build into build/Release (skipped when a built or prebuilt binary
 *                                              loads and is not older than native/tcpcore.c); records the outcome
 *                                              in build/install-record.json, which says why when no core loads
 *   node scripts/build-native.mjs --force      build even when a prebuilt binary loads
 *   node scripts/build-native.mjs --prebuild   a clean build in a temp folder, copied to prebuilds/<platform>-<arch>/
 *                                              as tcpcore.napi.<libc>.node (the "prepack" script; fails without a
 *                                              compiler, so a package is never packed without its core)
 *   node scripts/build-native.mjs --drop-prebuilds   remove prebuilds/ (the "postpack" script: never committed,
 *                                              never left to shadow a checkout's own build)
 *   node scripts/build-native.mjs --asan DIR   a sanitizer build (ASan + UBSan) in DIR; prints the .node path
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, copyFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const asanDir = args.includes('--asan') ? args[args.indexOf('--asan') + 1] : null;
const prebuild = args.includes('--prebuild');
const strict = asanDir !== null || prebuild;
const prebuildsDir = path.join(root, 'prebuilds');

if (args.includes('--drop-prebuilds')) {
  rmSync(prebuildsDir, { recursive: true, force: true });
  process.exit(0);
}

/**
 * What the install did, for src/engine/native-addon.ts: where no core loads, it tells "the install script could
 * not build one: WHY" from "install scripts were skipped" (no record: --ignore-scripts, pnpm, bun).
 */
function record(core, why) {
  if (strict) return;
  mkdirSync(path.join(root, 'build'), { recursive: true });
  writeFileSync(path.join(root, 'build', 'install-record.json'), `${JSON.stringify({ core, why })}\n`);
}

function skip(why) {
  record('not built', why);
  process.stderr.write(`tcpprobe: native core not built (${why}); tcpprobe will use the JS engine\n`);
  process.exit(strict ? 1 : 0);
}

if (process.platform !== 'linux') skip(`built for Linux only, this is ${process.platform}`);

/**
 * A build in build/Release older than the core's source: a checkout that pulled a change to native/ (npm ci keeps
 * build/). It would still load, without what the change added; rebuild it instead.
 */
function staleLocalBuild() {
  const binary = path.join(root, 'build', 'Release', 'tcpcore.node');
  const source = path.join(root, 'native', 'tcpcore.c');
  return existsSync(binary) && existsSync(source) && statSync(binary).mtimeMs < statSync(source).mtimeMs;
}

if (!args.includes('--force') && !strict && !staleLocalBuild()) {
  try {
    require('node-gyp-build')(root);
    record('loads', null);
    process.stderr.write('tcpprobe: native core present\n');
    process.exit(0);
  } catch {
    // not built yet: build it below
  }
}

// node-gyp: this package's own (a devDependency), else the one npm runs install scripts with.
let gyp;
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  gyp = process.env.npm_config_node_gyp ?? null;
}
if (gyp === null || !existsSync(gyp)) skip('node-gyp not found');

const nodedir = path.dirname(path.dirname(process.execPath));
if (!existsSync(path.join(nodedir, 'include', 'node', 'node_api.h'))) {
  skip(`no Node headers at ${nodedir}/include/node (node-gyp would download them)`);
}
for (const tool of ['make', 'cc']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) skip(`no ${tool} (apt-get install build-essential)`);
}

let dir = root;
const env = { ...process.env };
if (asanDir !== null || prebuild) {
  // Apart from the checkout's own build/: a sanitizer build, or a prebuild from nothing but the sources packed.
  dir = asanDir !== null ? path.resolve(asanDir) : mkdtempSync(path.join(tmpdir(), 'tcpprobe-prebuild-'));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(root, 'binding.gyp'), path.join(dir, 'binding.gyp'));
  cpSync(path.join(root, 'native'), path.join(dir, 'native'), { recursive: true });
}
if (asanDir !== null) {
  const san = '-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -g -O1';
  env.CFLAGS = san;
  env.LDFLAGS = '-fsanitize=address,undefined';
}
const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--loglevel=error'], {
  cwd: dir,
  env,
  encoding: 'utf8',
  timeout: 180_000,
});
if (r.status !== 0) {
  const out = `${r.stderr ?? ''}${r.stdout ?? ''}`;
  const line = out.split('\n').find((l) => /error/i.test(l)) ?? (r.error?.message ?? `node-gyp exited ${r.status}`);
  if (prebuild) rmSync(dir, { recursive: true, force: true });
  skip(`build failed: ${line.trim().slice(0, 200)}`);
}
const built = path.join(dir, 'build', 'Release', 'tcpcore.node');
if (asanDir !== null) {
  process.stdout.write(`${built}\n`);
} else if (prebuild) {
  // Tagged as node-gyp-build matches them: napi (one binary for every Node with Node-API 8) and the C library
  // it was linked against, so a musl system (Alpine) is not handed a glibc binary.
  const libc = process.report.getReport().header.glibcVersionRuntime === undefined ? 'musl' : 'glibc';
  const file = path.join(prebuildsDir, `linux-${process.arch}`, `tcpcore.napi.${libc}.node`);
  rmSync(prebuildsDir, { recursive: true, force: true });
  mkdirSync(path.dirname(file), { recursive: true });
  copyFileSync(built, file);
  rmSync(dir, { recursive: true, force: true });
  process.stderr.write(`tcpprobe: native core prebuilt: ${path.relative(root, file)} (${statSync(file).size} bytes)\n`);
} else {
  record('built', null);
  process.stderr.write('tcpprobe: native core built\n');
}
