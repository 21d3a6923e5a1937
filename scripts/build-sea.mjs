// Build the single-file executable (Node's single executable applications) from dist/: `npm run sea` writes
// dist-sea/tcpprobe, a copy of this machine's node binary with tcpprobe bundled in, for hosts without Node.
//
//   node scripts/build-sea.mjs [--out FILE]
//
// Steps: esbuild bundles dist/sea-main.js (the CLI and its child roles) and dist/server/ignore-worker.js (a worker
// thread's code) into CommonJS; node --experimental-sea-config turns the bundle and its assets into a blob;
// postject injects the blob into a copy of the node binary. Exit 3 with one line when this node binary cannot host
// a single executable (no SEA fuse), so tests can skip with the reason.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { inject } from 'postject';
import { withBundledRequires } from './bundle-lazy-requires.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** Exit code when the node binary has no SEA fuse (built without single-executable support). */
const NO_SEA_FUSE_EXIT = 3;

const outArg = process.argv.indexOf('--out');
const output = resolve(outArg > 0 ? process.argv[outArg + 1] : join(ROOT, 'dist-sea', 'tcpprobe'));
const work = join(dirname(output), '.sea-work');

function fail(message, code = 1) {
  process.stderr.write(`build-sea: ${message}\n`);
  process.exit(code);
}

if (!existsSync(join(ROOT, 'dist', 'sea-main.js'))) fail('dist/ is not built: run `npm run build` first');
const nodeBinary = process.execPath;
if (!readFileSync(nodeBinary).includes(SEA_FUSE)) {
  fail(`${nodeBinary} has no single-executable fuse (${SEA_FUSE}): this Node cannot host a single executable`, NO_SEA_FUSE_EXIT);
}

const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const bundledRequires = {
  name: 'bundled-requires',
  setup(b) {
    b.onLoad({ filter: /[/\\]dist[/\\].*\.js$/ }, (args) => {
      const rel = args.path.slice(join(ROOT, 'dist').length + 1).replaceAll('\\', '/');
      return { contents: withBundledRequires(rel, readFileSync(args.path, 'utf8')), loader: 'js' };
    });
  },
};

/**
 * Optional packages a dependency tries in a try/catch (debug, under ioredis, asks for supports-color): not
 * installed, so left as a runtime require, which in a single executable prints a warning for anything but a
 * built-in. They are bundled as empty modules, which is what their absence means to the caller.
 */
const OPTIONAL_MISSING = ['supports-color'];
const optionalMissing = {
  name: 'optional-missing',
  setup(b) {
    const filter = new RegExp(`^(${OPTIONAL_MISSING.join('|')})$`);
    b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'optional-missing' }));
    b.onLoad({ filter: /.*/, namespace: 'optional-missing' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

/** Both bundles: CommonJS for Node 20, import.meta.url as the binary's own URL, the version baked in. */
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
  banner: { js: 'var __tcpprobeMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: { 'import.meta.url': '__tcpprobeMetaUrl', TCPPROBE_SINGLE_FILE_VERSION: JSON.stringify(version) },
  plugins: [bundledRequires, optionalMissing],
};
const mainBundle = join(work, 'tcpprobe.cjs');
const ignoreWorkerBundle = join(work, 'ignore-worker.cjs');
await build({ ...common, entryPoints: [join(ROOT, 'dist', 'sea-main.js')], outfile: mainBundle });
await build({ ...common, entryPoints: [join(ROOT, 'dist', 'server', 'ignore-worker.js')], outfile: ignoreWorkerBundle });

// Asset names: src/server/ignore-worker-host.ts (IGNORE_WORKER_ASSET) and src/cli/chart-assets.ts (UPLOT_ASSETS).
const seaConfig = {
  main: mainBundle,
  output: join(work, 'sea-prep.blob'),
  disableExperimentalSEAWarning: true,
  assets: {
    'ignore-worker.cjs': ignoreWorkerBundle,
    'uPlot.iife.min.js': require.resolve('uplot/dist/uPlot.iife.min.js'),
    'uPlot.min.css': require.resolve('uplot/dist/uPlot.min.css'),
  },
};
writeFileSync(join(work, 'sea-config.json'), JSON.stringify(seaConfig, null, 2));
execFileSync(nodeBinary, ['--experimental-sea-config', join(work, 'sea-config.json')], { stdio: ['ignore', 'ignore', 'inherit'] });

mkdirSync(dirname(output), { recursive: true });
rmSync(output, { force: true });
copyFileSync(nodeBinary, output);
chmodSync(output, 0o755);
await inject(output, 'NODE_SEA_BLOB', readFileSync(seaConfig.output), { sentinelFuse: SEA_FUSE });
rmSync(work, { recursive: true, force: true });
process.stdout.write(`${output}\n`);
