/**
 * The one place that decides where output goes: live status and the preflight on stderr; the summary on stdout,
 * or on stderr when --json takes stdout for the JSON document alone; --out writes the document atomically.
 */
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STDOUT_PATH } from '../config/output-path.js';
import { InputError } from '../errors.js';
import type { ProbeResult } from '../metrics/result.js';
import { cleanText } from '../reporters/format.js';
import { EXIT } from '../metrics/exit-codes.js';

export interface OutputChoice {
  json: boolean;
  /** A file for the result document, or "-" (STDOUT_PATH): stdout, as with --json. */
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
    try {
      unlinkSync(tmp);
    } catch {
      // The temp file was never made.
    }
    throw new InputError(`cannot write "${path}": ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/** Write an output: to stdout for "-" (STDOUT_PATH), else atomically to the file. */
export function writeOutput(path: string, content: string): void {
  if (path === STDOUT_PATH) process.stdout.write(content);
  else writeFileAtomic(path, content);
}

/** Where an output went, for the "wrote" line. */
export function outputPlace(path: string): string {
  return path === STDOUT_PATH ? 'stdout' : path;
}

/** The result document as --json prints it and --out writes it. */
export function resultDocument(result: ProbeResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

/** True when the result document goes to stdout (--json, or --out -). */
export function documentOnStdout(choice: OutputChoice): boolean {
  return choice.json || choice.outFile === STDOUT_PATH;
}

/**
 * A write of the result (or of a file made from it) failed at the end of a run: keep the document, and say where
 * in one line on stderr (even with --quiet: it is why the exit code is not 0). Where it already is (stdout, or the
 * --out file) is enough; else a fallback file in the temp directory, else stdout.
 * @param what what could not be written, e.g. `--out "/mnt/r.json"`
 * @param keptAt where the document already is ("stdout" or a quoted path), or null
 */
export function keepDocument(doc: string, what: string, reason: string, keptAt: string | null): void {
  let where: string;
  if (keptAt !== null) {
    where = `the result document is in ${keptAt}`;
  } else {
    const fallback = join(tmpdir(), `tcpprobe-result-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.json`);
    try {
      writeFileSync(fallback, doc);
      where = `the result document was written to ${fallback} instead`;
    } catch {
      process.stdout.write(doc);
      where = 'the result document is on stdout instead';
    }
  }
  process.stderr.write(`tcpprobe: cannot write ${what}: ${reason}; ${where}\n`);
}

/**
 * Print the summary and the document where they belong, and write --out. Returns false when --out could not be
 * written (the document was kept elsewhere, see keepDocument): the caller turns that into a non-zero exit.
 * @param stdoutTaken another output (`--openmetrics -`) writes to stdout: the summary goes to stderr
 */
export function emitResult(result: ProbeResult, summary: string, choice: OutputChoice, stdoutTaken = false): boolean {
  const doc = resultDocument(result);
  const onStdout = documentOnStdout(choice);
  if (onStdout) {
    process.stdout.write(doc);
    info(choice, summary);
  } else if (stdoutTaken) {
    info(choice, summary);
  } else {
    process.stdout.write(summary.endsWith('\n') ? summary : `${summary}\n`);
  }
  if (choice.outFile === null || choice.outFile === STDOUT_PATH) return true;
  try {
    writeFileAtomic(choice.outFile, doc);
    return true;
  } catch (e) {
    const reason = e instanceof InputError ? e.message.replace(/^cannot write "[^"]*": /, '') : String(e);
    keepDocument(doc, `--out "${choice.outFile}"`, reason, onStdout ? 'stdout' : null);
    return false;
  }
}

/**
 * With --json (or --out -) and --quiet nothing else reaches stderr: a run that did not answer still says why in
 * one line there, since its exit code is not 0.
 */
export function explainExit(choice: OutputChoice, verdictSummary: string, code: number): void {
  if (code !== EXIT.ok && choice.quiet && documentOnStdout(choice)) process.stderr.write(`tcpprobe: ${cleanText(verdictSummary, 400)}\n`);
}

/** A run that answered but could not write its output exits with the usage code; any other outcome stands. */
export function finalExitCode(code: number, written: boolean): number {
  return !written && code === EXIT.ok ? EXIT.usage : code;
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
