#!/usr/bin/env node
/**
 * Builds the native socket core (native/tcpcore.c) with node-gyp against the headers the installed Node ships, so
 * nothing is downloaded. Run by `npm install` (the "install" script): it never fails the install. Where it cannot
 * build (no compiler, no headers, not Linux) it says why in one line and tcpprobe uses the JS engine.
 *
 *   node scripts/build-native.mjs              build into build/Release (skipped when a built binary loads and is not older than native/tcpcore.c)
 *   node scripts/build-native.mjs --force      build even when a prebuilt binary loads
 *   node scripts/build-native.mjs --prebuild   build, then copy into prebuilds/linux-x64/ for `npm pack`
 *   node scripts/build-native.mjs --asan DIR   a sanitizer build (ASan + UBSan) in DIR; prints the .node path
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, copyFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const asanDir = args.includes('--asan') ? args[args.indexOf('--asan') + 1] : null;
const strict = asanDir !== null || args.includes('--prebuild');

function skip(why) {
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
if (asanDir !== null) {
  dir = path.resolve(asanDir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(root, 'binding.gyp'), path.join(dir, 'binding.gyp'));
  cpSync(path.join(root, 'native'), path.join(dir, 'native'), { recursive: true });
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
  skip(`build failed: ${line.trim().slice(0, 200)}`);
}
const built = path.join(dir, 'build', 'Release', 'tcpcore.node');
if (asanDir !== null) {
  process.stdout.write(`${built}\n`);
} else if (args.includes('--prebuild')) {
  const target = path.join(root, 'prebuilds', `linux-${process.arch}`);
  mkdirSync(target, { recursive: true });
  copyFileSync(built, path.join(target, 'tcpcore.napi.node'));
  process.stderr.write(`tcpprobe: native core copied to ${path.relative(root, target)}/tcpcore.napi.node\n`);
} else {
  process.stderr.write('tcpprobe: native core built\n');
}
