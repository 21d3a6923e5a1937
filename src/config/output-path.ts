/**
 * Output paths (--out, --save/--history, --openmetrics) are checked before the first connect: a run that cannot
 * write its result should not be run. The check is on shape and the file system as it is now; a write can still
 * fail at the end (a full disk), and src/cli/output.ts keeps the result then.
 */
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { Validator } from './validator.js';

/** "-" for any output flag (--out, --openmetrics, --html): that output goes to stdout. */
export const STDOUT_PATH = '-';

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

function writable(path: string): string | null {
  try {
    accessSync(path, constants.W_OK);
    return null;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? 'error';
  }
}

/**
 * Throw a UsageError naming `flag` unless a file can be written at `path`: it is not a directory, and if it
 * exists it is writable; its directory exists and is writable, or, with `createsDirectories`, the nearest
 * directory that exists is writable (the history creates its own directories).
 */
export function checkOutputPath(flag: string, path: string, createsDirectories = false): void {
  if (path.trim() === '') throw new UsageError(`${flag}: empty path`);
  const full = resolve(path);
  const self = statOrNull(full);
  if (self !== null) {
    if (self.isDirectory()) throw new UsageError(`${flag}: "${path}" is a directory, not a file`);
    const code = writable(full);
    if (code !== null) throw new UsageError(`${flag}: "${path}" is not writable (${code})`);
    return;
  }
  let dir = dirname(full);
  let st = statOrNull(dir);
  if (st === null && !createsDirectories) throw new UsageError(`${flag}: directory "${dirname(path)}" does not exist`);
  while (st === null && dirname(dir) !== dir) {
    dir = dirname(dir);
    st = statOrNull(dir);
  }
  if (st === null || !st.isDirectory()) throw new UsageError(`${flag}: "${dir}" is not a directory, so "${path}" cannot be written`);
  const code = writable(dir);
  if (code !== null) throw new UsageError(`${flag}: directory "${dir}" is not writable (${code})`);
}

/** Read an output flag: null when absent, "-" for stdout, else a path checked with checkOutputPath. */
export function readOutputPath(flag: string, raw: unknown, v: Validator, createsDirectories = false): string | null {
  if (raw === undefined || raw === null) return null;
  const path = String(raw);
  if (path === STDOUT_PATH) return STDOUT_PATH;
  v.field(() => checkOutputPath(flag, path, createsDirectories), undefined);
  return path;
}

/** Read --out: null when absent, "-" for stdout, else a checked path. */
export function readOutFile(raw: unknown, v: Validator): string | null {
  return readOutputPath('--out', raw, v);
}

/**
 * Stdout carries one document at most: of the outputs that claim it (`--json`, each flag given "-"), a second one is
 * a usage problem. `claims` names each claimant as the user wrote it, null for a flag that does not claim stdout.
 */
export function stdoutProblem(claims: readonly (string | null)[]): string | null {
  const taken = claims.filter((c): c is string => c !== null);
  if (taken.length < 2) return null;
  return `${taken.join(' and ')} both write to stdout: give all but one of them a file`;
}

/** --junit and --markdown (ramp, hold, audit): files for CI, checked before a run like every output. */
export interface ReportFiles {
  /** JUnit XML, one test case per target; null: none. */
  junit: string | null;
  /** The Markdown overview; appended to when it is $GITHUB_STEP_SUMMARY's file; null: none. */
  markdown: string | null;
}

/** Read --junit and --markdown: null when absent, "-" for stdout, else a checked path. */
export function readReportFiles(raw: Record<string, unknown>, v: Validator): ReportFiles {
  return { junit: readOutputPath('--junit', raw.junit, v), markdown: readOutputPath('--markdown', raw.markdown, v) };
}

/** Their claims on stdout, for stdoutProblem. */
export function reportFileClaims(files: ReportFiles): Array<string | null> {
  return [files.junit === STDOUT_PATH ? '--junit -' : null, files.markdown === STDOUT_PATH ? '--markdown -' : null];
}
