// Bundle the CLI for the installed bin (src/cli/bin.cts): run last by `npm run build`, after tsc. esbuild bundles
// dist/cli/main.js with what it imports (commands, packages) into dist/cli/bundle.cjs, then one `tcpprobe --help`
// through the bin writes V8's code cache beside it (dist/cli/bundle.cjs.cache). Why: docs/performance.md,
// "Start-up".
//
// Each module keeps its own import.meta.url (the URL of its file in dist/), so what it finds next to itself (child
// process entries, the worker thread's script, the native addon, package.json) is where it is without the bundle.
// The packages histogram.ts and chart.ts require lazily are bundled (scripts/bundle-lazy-requires.mjs); those few
// runs use (below) and node-gyp-build, which looks for the addon beside its caller, stay in node_modules.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { withBundledRequires } from './bundle-lazy-requires.mjs';

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

execFileSync(process.execPath, ['-e', `require(${JSON.stringify(BIN)}).runAndWriteCodeCache()`, 'bin', '--help'], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
