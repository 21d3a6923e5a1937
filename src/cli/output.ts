/**
 * The one place that decides where output goes: live status and the preflight on stderr; the summary on stdout,
 * or on stderr when --json takes stdout for the JSON document alone; --out writes the document atomically.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import type { ProbeResult } from '../metrics/result.js';

export interface OutputChoice {
  json: boolean;
  outFile: string | null;
  quiet: boolean;
}

/** Print a line on stderr unless quiet. */
export function info(choice: { quiet: boolean }, text: string): void {
  if (!choice.quiet) process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Write a file by writing a sibling temp file and renaming it, so readers never see half a document. */
export function writeFileAtomic(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  } catch (e) {
    throw new InputError(`cannot write "${path}": ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

export function emitResult(result: ProbeResult, summary: string, choice: OutputChoice): void {
  const doc = `${JSON.stringify(result, null, 2)}\n`;
  if (choice.outFile !== null) writeFileAtomic(choice.outFile, doc);
  if (choice.json) {
    process.stdout.write(doc);
    info(choice, summary);
  } else {
    process.stdout.write(summary.endsWith('\n') ? summary : `${summary}\n`);
  }
}

/** Calls `fn` at most once per `intervalMs` (the first call always passes). */
export function throttle<A extends unknown[]>(intervalMs: number, fn: (...args: A) => void): (...args: A) => void {
  let last = -Infinity;
  return (...args: A) => {
    const now = Date.now();
    if (now - last < intervalMs) return;
    last = now;
    fn(...args);
  };
}
