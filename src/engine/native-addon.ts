/**
 * Loading the native core (native/tcpcore.c, built by node-gyp at install): once per process, with one line saying
 * why not where it cannot load. Kept apart from the transport so that a process can start the fd table growing
 * (reserveFdTable) before it loads the rest of the engine.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { isSingleFile } from '../single-file.js';

export interface NativeCore {
  connect(id: number, address: string, port: number, family: number, local: string, keepAliveS: number, keepBytes: number): number;
  write(fd: number, id: number, bytes: Uint8Array): number;
  reset(fd: number, id: number, rst: boolean): boolean;
  localPort(fd: number, id: number): number;
  setKeepAlive(fd: number, id: number, seconds: number): boolean;
  stats(): { openFds: number; batches: number; records: number };
  close(): void;
}

export interface NativeAddon {
  Core: new (onBatch: (records: Int32Array, data: Buffer) => void, options: { bindNoPort: boolean }) => NativeCore;
  reserveFdTable(): void;
  fdTableReady(): boolean;
  RECORD_WORDS: number;
}

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
  // A Node addon is a file the process loads with dlopen; the single executable has none beside it.
  if (isSingleFile()) return 'the single-file executable runs the JS engine (a native addon cannot load from inside it)';
  const require = createRequire(import.meta.url);
  const override = process.env[NATIVE_ADDON_ENV];
  try {
    if (override !== undefined && override !== '') return require(override) as NativeAddon;
    // dist/engine/ or src/engine/: the package root is two folders up.
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;
    const addon = nodeGypBuild(root) as NativeAddon;
    if (typeof addon.Core !== 'function') return 'the native core binary does not export Core';
    return addon;
  } catch (e) {
    const first = ((e as Error).message ?? String(e)).split('\n')[0] ?? '';
    if (/No native build was found/.test(first)) {
      return 'the native core is not built (no C compiler at install time; `npm rebuild tcpprobe` with one builds it)';
    }
    return `the native core did not load: ${first}`;
  }
}

/** Null when the native core loads here, else why not (one line). */
export function nativeCoreProblem(): string | null {
  const a = loadAddon();
  return typeof a === 'string' ? a : null;
}

/**
 * Start growing this process's fd table to its open-files limit, once, on a thread of the core's, rather than
 * doubling by doubling during the ramp, where in a process with threads each doubling waits for an RCU grace
 * period (native/tcpcore.c, reserve_fd_table; docs/native-engine.md). Returns at once: the wait overlaps whatever
 * this process does before its sockets pass the old table, and a socket that gets there first waits in the kernel
 * for the new table. A Core starts it itself; runs start it when they begin (run-setup.ts), the JS engine's pool
 * and serve too. False when the addon is not here (the table then grows as before).
 */
export function reserveFdTable(): boolean {
  const a = loadAddon();
  if (typeof a === 'string' || typeof a.reserveFdTable !== 'function') return false;
  a.reserveFdTable();
  return true;
}

/** Whether the table reserveFdTable() started growing has grown (false without the addon or before it). */
export function fdTableReady(): boolean {
  const a = loadAddon();
  return typeof a !== 'string' && typeof a.fdTableReady === 'function' && a.fdTableReady();
}
