// Build the container image (deploy/Containerfile) from dist/: the single-file executable (scripts/build-sea.mjs)
// and the native core this checkout loads (build/Release or prebuilds/) on a Debian base, with podman, or docker
// where that is what this machine has. `npm run image` runs it after `npm run build`. Prints the image's tag on
// stdout.
//
//   node scripts/build-image.mjs [--base IMAGE] [--tag TAG] [--engine podman|docker]
//
//   --base    the base image (default docker.io/library/debian:bookworm-slim); any Debian 12 (glibc, libstdc++)
//   --tag     the image's name (default localhost/tcpprobe:<version>)
//   --engine  the container engine (default: podman if it is on PATH, else docker)
//
// Exit 3 with one line when no engine is found, no native core is built, or this node cannot host a single
// executable (the SEA build's own code), so tests can skip with the reason.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MISSING_EXIT = 3;

function fail(message, code = 1) {
  process.stderr.write(`build-image: ${message}\n`);
  process.exit(code);
}

function flag(name, fallback) {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const value = process.argv[at + 1];
  if (value === undefined || value.startsWith('--')) fail(`${name} needs a value`, 2);
  return value;
}

const onPath = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const base = flag('--base', 'docker.io/library/debian:bookworm-slim');
const tag = flag('--tag', `localhost/tcpprobe:${version}`);
const engine = flag('--engine', onPath('podman') ? 'podman' : 'docker');
if (!['podman', 'docker'].includes(engine)) fail(`--engine must be podman or docker, not ${engine}`, 2);
if (!onPath(engine)) fail(`${engine} is not installed (apt-get install -y podman, or docker)`, MISSING_EXIT);
let core;
try {
  core = createRequire(import.meta.url)('node-gyp-build').resolve(ROOT);
} catch {
  fail('no native core is built here: build it first (apt-get install -y build-essential && npm run build:native)', MISSING_EXIT);
}

// The build context holds only the executable and the core: nothing else of the checkout ends up in the image.
const context = mkdtempSync(join(tmpdir(), 'tcpprobe-image-'));
try {
  copyFileSync(core, join(context, 'tcpcore.node'));
  const sea = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-sea.mjs'), '--out', join(context, 'tcpprobe')], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (sea.status !== 0) {
    // postject's section-name warnings are noise; the build's own lines start with "build-sea:".
    const why = sea.stderr.split('\n').filter((l) => l.startsWith('build-sea:')).join('\n') || sea.stderr.trim();
    fail(`the single-file executable did not build: ${why}`, sea.status === MISSING_EXIT ? MISSING_EXIT : 1);
  }
  const args = ['build', '--quiet', '-f', join(ROOT, 'deploy', 'Containerfile'), '--build-arg', `BASE=${base}`, '-t', tag, context];
  execFileSync(engine, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  process.stdout.write(`${tag}\n`);
} finally {
  rmSync(context, { recursive: true, force: true });
}
