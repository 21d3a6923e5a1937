/**
 * The one place that decides where output goes: live status and the preflight on stderr; the summary on stdout,
 * or on stderr when --json takes stdout for the JSON document alone; --out writes the document atomically.
 */
import { appendFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { STDOUT_PATH, type ReportFiles } from '../config/output-path.js';
import { InputError } from '../errors.js';
import type { ProbeResult } from '../metrics/result.js';
import { cleanText } from '../reporters/format.js';
import { EXIT } from '../metrics/exit-codes.js';
import type { Paint } from '../reporters/paint.js';
import type { Overview } from '../reporters/target-outcome.js';
import { TOOL_VERSION } from '../version.js';
import { paintFor } from './colour.js';

export interface OutputChoice {
  json: boolean;
  /** A file for the result document, or "-" (STDOUT_PATH): stdout, as with --json. */
  outFile: string | null;
  quiet: boolean;
  /** --junit and --markdown: one of them given "-" takes stdout, and the summary goes to stderr. */
  reports?: ReportFiles;
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

/** A summary as text, or as a function of the colour of the stream it goes to (cli/colour.ts). */
export type Summary = string | ((paint: Paint) => string);

/**
 * Print the summary and the document where they belong, and write --out. Returns false when --out could not be
 * written (the document was kept elsewhere, see keepDocument): the caller turns that into a non-zero exit.
 * @param stdoutTaken another output (`--openmetrics -`; `--junit -`, `--markdown -` are read from `choice`) writes to
 *   stdout: the summary goes to stderr
 */
export function emitResult(result: ProbeResult, summary: Summary, choice: OutputChoice, stdoutTaken = false): boolean {
  // Made where it goes only: a run printed as text never serializes (nor compresses the histograms of) its result.
  let made: string | undefined;
  const doc = (): string => (made ??= resultDocument(result));
  const onStdout = documentOnStdout(choice);
  if (choice.reports?.junit === STDOUT_PATH || choice.reports?.markdown === STDOUT_PATH) stdoutTaken = true;
  const text = (stream: NodeJS.WriteStream): string => (typeof summary === 'string' ? summary : summary(paintFor(stream)));
  if (onStdout) {
    process.stdout.write(doc());
    if (!choice.quiet) info(choice, text(process.stderr));
  } else if (stdoutTaken) {
    if (!choice.quiet) info(choice, text(process.stderr));
  } else {
    const out = text(process.stdout);
    process.stdout.write(out.endsWith('\n') ? out : `${out}\n`);
  }
  if (choice.outFile === null || choice.outFile === STDOUT_PATH) return true;
  try {
    writeFileAtomic(choice.outFile, doc());
    return true;
  } catch (e) {
    const reason = e instanceof InputError ? e.message.replace(/^cannot write "[^"]*": /, '') : String(e);
    keepDocument(doc(), `--out "${choice.outFile}"`, reason, onStdout ? 'stdout' : null);
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

/** Is `path` the file GitHub Actions gave this step for its summary? That one is appended to, never replaced. */
export function isStepSummary(path: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const summary = env.GITHUB_STEP_SUMMARY;
  return summary !== undefined && summary !== '' && path !== STDOUT_PATH && resolve(path) === resolve(summary);
}

/**
 * Write --markdown: appended to $GITHUB_STEP_SUMMARY's file (other steps' commands may have written there; GitHub
 * asks for appends), else like every output (atomically, or stdout for "-").
 */
export function writeMarkdown(path: string, content: string, env: NodeJS.ProcessEnv = process.env): void {
  if (!isStepSummary(path, env)) return writeOutput(path, content);
  try {
    appendFileSync(path, content);
  } catch (e) {
    throw new InputError(`cannot write "${path}": ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/**
 * Write --junit and --markdown of a finished run (ramp, hold, audit). A file that cannot be written is said in
 * one line on stderr (even with --quiet); returns false then, and the caller exits with the usage code if the run
 * answered (finalExitCode).
 */
export async function writeReportFiles(overview: Overview, files: ReportFiles, choice: { quiet: boolean }): Promise<boolean> {
  if (files.junit === null && files.markdown === null) return true;
  const [{ formatJUnit }, { formatMarkdown }] = await Promise.all([import('../reporters/junit.js'), import('../reporters/markdown.js')]);
  let written = true;
  const write = (flag: string, path: string, content: () => string, how: (path: string, text: string) => void): void => {
    try {
      how(path, content());
      info(choice, `${flag.slice(2)}: ${isStepSummary(path) ? 'appended to' : 'wrote'} ${outputPlace(path)}`);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      process.stderr.write(`tcpprobe: cannot write ${flag} "${path}": ${e.message.replace(/^cannot write "[^"]*": /, '')}\n`);
      written = false;
    }
  };
  if (files.junit !== null) write('--junit', files.junit, () => formatJUnit(overview, hostname(), TOOL_VERSION), writeOutput);
  if (files.markdown !== null) write('--markdown', files.markdown, () => formatMarkdown(overview, TOOL_VERSION), (p, t) => writeMarkdown(p, t));
  return written;
}

/** A ramp's or hold's result as the overview --junit and --markdown write (reporters/target-outcome.ts). */
export async function runReportFiles(result: ProbeResult, exitCode: number, files: ReportFiles, choice: { quiet: boolean }): Promise<boolean> {
  if (files.junit === null && files.markdown === null) return true;
  const { runOverview } = await import('../reporters/target-outcome.js');
  return writeReportFiles(runOverview(result, exitCode), files, choice);
}
