#!/usr/bin/env node
/**
 * The installed bin (package.json "bin"): runs the CLI from one bundled script (dist/cli/bundle.cjs, written by
 * scripts/build-bin.mjs) compiled with the V8 code cache the build made beside it. Loading main.js and its ~100
 * ES modules one by one, each compiled afresh, cost 60-70 ms before a run's first connect; the bundle with its
 * cache costs about 10 (docs/performance.md, "Start-up"). The bundle keeps each module's own import.meta.url, so
 * child processes, worker threads and the native addon are found where they are in dist/.
 *
 * A cache made by another Node or under other V8 flags is rejected by V8 and the bundle compiles without it: slower,
 * the same run. Without a bundle (dist/ built by tsc alone), and for `--version` alone, the bin runs main.js.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';

export const BUNDLE = path.join(__dirname, 'bundle.cjs');
export const CODE_CACHE = `${BUNDLE}.cache`;

/**
 * The bundle compiled as Node compiles a CommonJS module, with the code cache when there is one; null without a
 * bundle. esbuild writes ASCII only, so latin1 reads it as it is, without UTF-8 decoding.
 */
export function compileBundle(useCache = true): Script | null {
  let source: string;
  try {
    source = readFileSync(BUNDLE, 'latin1');
  } catch {
    return null;
  }
  let cachedData: Buffer | undefined;
  if (useCache) {
    try {
      cachedData = readFileSync(CODE_CACHE);
    } catch {
      cachedData = undefined;
    }
  }
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source.replace(/^#!.*/, '')}\n})`;
  return new Script(wrapped, { filename: BUNDLE, ...(cachedData === undefined ? {} : { cachedData }) });
}

type ModuleBody = (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void;

/** Run a compiled bundle as the main program. */
export function runBundle(script: Script): void {
  const body = script.runInThisContext() as ModuleBody;
  const module = { exports: {} };
  body.call(module.exports, module.exports, createRequire(BUNDLE), module, BUNDLE, path.dirname(BUNDLE));
}

/**
 * For the build (scripts/build-bin.mjs): run the bundle without a cache and, as the process exits, write the cache
 * of everything V8 compiled by then. A run sets V8 flags (engine/process-readiness.ts), and V8 rejects a cache made
 * under flags other than the reading process's: `restoreFlags` (V8's defaults of those) are set first.
 */
export function runAndWriteCodeCache(restoreFlags: readonly string[] = []): void {
  const script = compileBundle(false);
  if (script === null) throw new Error(`${BUNDLE} is missing: run scripts/build-bin.mjs`);
  process.once('exit', () => {
    for (const flag of restoreFlags) setFlagsFromString(flag);
    writeFileSync(CODE_CACHE, script.createCachedData());
  });
  runBundle(script);
}

/** `--version` alone: main.ts prints it after loading three small modules, less than reading the bundle takes. */
function versionOnly(args: readonly string[]): boolean {
  return args.length === 1 && (args[0] === '--version' || args[0] === '-V');
}

if (require.main === module) {
  const script = versionOnly(process.argv.slice(2)) ? null : compileBundle();
  if (script === null) void import('./main.js');
  else runBundle(script);
}
