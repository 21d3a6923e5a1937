// Bundle the CLI for the installed bin (src/cli/bin.cts): run last by `npm run build`, after tsc. esbuild bundles
// dist/cli/main.js with what it imports (commands, packages) into dist/cli/bundle.cjs, then one short hold through
// the bin, against a listener of this script's on loopback, writes V8's code cache beside it
// (dist/cli/bundle.cjs.cache). Why: docs/performance.md, "Start-up".
//
// Each module keeps its own import.meta.url (the URL of its file in dist/), so what it finds next to itself (child
// process entries, the worker thread's script, the native addon, package.json) is where it is without the bundle.
// The packages histogram.ts and chart.ts require lazily are bundled (scripts/bundle-lazy-requires.mjs); those few
// runs use (below) and node-gyp-build, which looks for the addon beside its caller, stay in node_modules.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { withBundledRequires } from './bundle-lazy-requires.mjs';
import { RUN_V8_FLAGS } from '../dist/engine/process-readiness.js';

const run = promisify(execFile);

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const BIN = join(DIST, 'cli', 'bin.cjs');
const BUNDLE = join(DIST, 'cli', 'bundle.cjs');

/** `import.meta.url` in each dist module becomes the URL of that module's file, from the bundle's own place. */
const ownUrls = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /[/\\]dist[/\\].*\.js$/ }, (args) => {
      const rel = relative(dirname(BUNDLE), args.path).replaceAll('\\', '/');
      const text = withBundledRequires(relative(DIST, args.path).replaceAll('\\', '/'), readFileSync(args.path, 'utf8'));
      return { contents: text.replaceAll('import.meta.url', `__tcpprobeUrl(${JSON.stringify(rel)})`), loader: 'js' };
    });
  },
};

await build({
  entryPoints: [join(DIST, 'cli', 'main.js')],
  outfile: BUNDLE,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  charset: 'ascii',
  // CommonJS packages only the fleet (ioredis) and audit files (yaml) use, two fifths of the bundle otherwise:
  // required from node_modules when first used, as without the bundle.
  external: ['ioredis', 'yaml'],
  logLevel: 'warning',
  banner: { js: 'var __tcpprobeUrl = (rel) => require("node:url").pathToFileURL(require("node:path").join(__dirname, rel)).href;' },
  plugins: [ownUrls],
});

/**
 * `flag` as V8 has it by default, from `node --v8-options` ("--expose-gc" -> "--no-expose-gc",
 * "--semi-space-growth-factor=1" -> "--semi-space-growth-factor=2").
 */
function v8Default(flag, v8Options) {
  const name = flag.replace(/^--/, '').replace(/=.*$/, '');
  const m = new RegExp(`^\\s+--${name} .*\\n\\s+type: \\S+\\s+default: (\\S+)`, 'm').exec(v8Options);
  if (m === null) throw new Error(`build-bin: node --v8-options has no default for ${flag}`);
  return m[1];
}

/** Run `args` through the bin once, writing the code cache as it exits. */
async function warmUp(args, restoreFlags) {
  const code = `require(${JSON.stringify(BIN)}).runAndWriteCodeCache(${JSON.stringify(restoreFlags)})`;
  await run(process.execPath, ['-e', code, 'bin', ...args]);
}

function cacheAccepted() {
  const code = `process.exit(require(${JSON.stringify(BIN)}).compileBundle().cachedDataRejected === false ? 0 : 1)`;
  return spawnSync(process.execPath, ['-e', code]).status === 0;
}

// What V8 compiled in a one-connection hold against a listener of our own on loopback: a run's way to its first
// connect, and its result and summary after (`--help` alone would leave all of that to compile at run time).
const sink = net.createServer((socket) => socket.on('error', () => undefined));
sink.listen(0, '127.0.0.1');
await once(sink, 'listening');
const v8Options = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' });
const restore = Object.values(RUN_V8_FLAGS).map((f) => v8Default(f, v8Options));
try {
  await warmUp(['hold', '--host', '127.0.0.1', '--port', String(sink.address().port), '-c', '1', '--duration', '100ms'], restore);
} finally {
  sink.close();
}
if (!cacheAccepted()) {
  // A V8 whose defaults we did not restore: the cache of --help (every command registered) is still worth having.
  process.stderr.write('build-bin: the code cache of a run was rejected; writing the cache of --help instead\n');
  await warmUp(['--help'], []);
}
