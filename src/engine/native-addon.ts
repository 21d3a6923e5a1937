/**
 * Loading the native core (native/tcpcore.c: prebuilt in the package for linux-x64 glibc, else built by node-gyp at
 * install): once per process, with one line saying why not where it cannot load, from what the package carries and
 * what its install did. Kept apart from the transport so that a process can start the fd table growing
 * (engine/process-readiness.ts) before it loads the rest of the engine.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { isSingleFile } from '../single-file.js';

export interface NativeCore {
  connect(id: number, address: string, port: number, family: number, local: string, keepAliveS: number, keepBytes: number): number;
  write(fd: number, id: number, bytes: Uint8Array): number;
  reset(fd: number, id: number, rst: boolean): boolean;
  setKeepAlive(fd: number, id: number, seconds: number): boolean;
  stats(): { openFds: number; batches: number; records: number };
  close(): void;
  /** The accept path (the built-in target's): see native/tcpcore.c. */
  listen(fd: number, budget: number): number;
  unlisten(): void;
  listenerCopy(): number;
  acceptBudget(budget: number): void;
  adopt(fd: number, id: number): number;
  /** Per open connection: fd, id, segments in, bytes received, ms since data last arrived (-1: unknown). */
  tcpInfo(): Float64Array;
}

export interface NativeAddon {
  Core: new (onBatch: (records: Int32Array, data: Buffer) => void, options: { bindNoPort: boolean }) => NativeCore;
  reserveFdTable(): void;
  fdTableReady(): boolean;
  RECORD_WORDS: number;
  /** Absent in cores built before it was introduced. */
  CORE_INTERFACE?: number;
}

/**
 * The core's interface version these sources expect (CORE_INTERFACE in native/tcpcore.c): a core built from other
 * sources, such as a checkout's build/ left from before a pull, is refused with a line saying to rebuild it.
 */
export const CORE_INTERFACE = 4;

/**
 * The default for --engine when the flag is not given (the test suite runs each engine through it); `js` also keeps
 * `serve --workers N` on Node sockets (server/native-serving.ts).
 */
export const ENGINE_ENV = 'TCPPROBE_ENGINE';

/** Overrides the addon file (the sanitizer build in CI; a missing path shows the fallback). */
export const NATIVE_ADDON_ENV = 'TCPPROBE_NATIVE_ADDON';

let loaded: NativeAddon | string | undefined;

/** The addon, or one line saying why it cannot be used here. Loaded once. */
export function loadAddon(): NativeAddon | string {
  if (loaded !== undefined) return loaded;
  loaded = tryLoad();
  return loaded;
}

function tryLoad(): NativeAddon | string {
  if (process.platform !== 'linux') return `the native core is built for Linux only (this is ${process.platform})`;
  const override = process.env[NATIVE_ADDON_ENV];
  // A Node addon is a file the process loads with dlopen: the single executable carries none, but loads the one
  // TCPPROBE_NATIVE_ADDON names (the container image puts it beside the executable: deploy/Containerfile).
  if (isSingleFile() && (override === undefined || override === '')) {
    return `the single-file executable runs the JS engine (a native addon cannot load from inside it; ${NATIVE_ADDON_ENV}=FILE loads one from disk)`;
  }
  const require = createRequire(import.meta.url);
  // dist/engine/ or src/engine/: the package root is two folders up.
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  try {
    const addon = (
      override !== undefined && override !== '' ? require(override) : (require('node-gyp-build') as (dir: string) => unknown)(root)
    ) as NativeAddon;
    if (typeof addon.Core !== 'function') return 'the native core binary does not export Core';
    return addon.CORE_INTERFACE === CORE_INTERFACE
      ? addon
      : `the native core was built from other sources (interface ${addon.CORE_INTERFACE ?? 1}, these need ${CORE_INTERFACE}): rebuild it with npm run build:native`;
  } catch (e) {
    const first = ((e as Error).message ?? String(e)).split('\n')[0] ?? '';
    if (/No native build was found/.test(first)) return whyNoCore(coreAbsence(root));
    return `the native core did not load: ${first}`;
  }
}

/** What decides why no core was found: what this machine needs, what the package carries, what the install did. */
export interface CoreAbsence {
  /** This machine as prebuilds are named: "linux-x64 glibc". */
  platform: string;
  /** The prebuilt cores in the package's prebuilds/, named alike (none in a checkout). */
  prebuilds: string[];
  /**
   * What the install script (scripts/build-native.mjs) wrote in build/install-record.json: whether it built a
   * core and if not why. Null when it never ran: install scripts were skipped.
   */
  install: { core: string; why: string | null } | null;
}

/** The one line that says why no native core is here, from the facts alone (test/unit/native-absence.test.ts). */
export function whyNoCore(a: CoreAbsence): string {
  const prebuilt =
    a.prebuilds.length === 0 ? 'the package has no prebuilt core' : `no prebuilt core for ${a.platform} (the package has ${a.prebuilds.join(', ')})`;
  let install: string;
  if (a.install === null) install = 'install scripts were skipped, so none was built (--ignore-scripts; pnpm and bun skip them by default)';
  else if (a.install.core === 'not built') install = `the install script could not build one: ${a.install.why ?? 'no reason given'}`;
  else install = 'the core that was there at install is gone';
  return `the native core is not here: ${prebuilt}, and ${install}; with a C compiler \`npm rebuild tcpprobe\` builds it (in a checkout \`npm run build:native\`)`;
}

/** The facts whyNoCore words, read from the package at `root`. */
function coreAbsence(root: string): CoreAbsence {
  // As node-gyp-build tells the C libraries apart.
  const libc = process.env.LIBC ?? (existsSync('/etc/alpine-release') ? 'musl' : 'glibc');
  const prebuilds: string[] = [];
  const dir = path.join(root, 'prebuilds');
  for (const tuple of existsSync(dir) ? readdirSync(dir) : []) {
    for (const file of readdirSync(path.join(dir, tuple)).filter((f) => f.endsWith('.node'))) {
      const tag = file.split('.').find((t) => t === 'glibc' || t === 'musl');
      prebuilds.push(tag === undefined ? tuple : `${tuple} ${tag}`);
    }
  }
  let install: CoreAbsence['install'] = null;
  try {
    install = JSON.parse(readFileSync(path.join(root, 'build', 'install-record.json'), 'utf8')) as CoreAbsence['install'];
  } catch {
    // no record: the install script never ran
  }
  return { platform: `${process.platform}-${process.arch} ${libc}`, prebuilds, install };
}

/** Null when the native core loads here, else why not (one line). */
export function nativeCoreProblem(): string | null {
  const a = loadAddon();
  return typeof a === 'string' ? a : null;
}

/**
 * Whether the fd table the addon's reserveFdTable() started growing (engine/process-readiness.ts, growFdTable; a
 * Core starts it itself) has grown: false without the addon or before it.
 */
export function fdTableReady(): boolean {
  const a = loadAddon();
  return typeof a !== 'string' && typeof a.fdTableReady === 'function' && a.fdTableReady();
}
