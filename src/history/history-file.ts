/**
 * The run history: one ramp result per line (JSON Lines), appended by `ramp --save`, read by `tcpprobe history`
 * and by `ramp --baseline last`.
 *
 * Appends from concurrent runs (two cron jobs, a CI matrix) must never interleave. Two mechanisms, on purpose:
 *
 * 1. An exclusive lock file `PATH.lock`, created with O_CREAT|O_EXCL ("wx"), which succeeds for exactly one
 *    process even on NFS v3+. Waiters retry with jittered exponential backoff. Node has no flock(2), and this
 *    lock also survives being on a network file system where flock may be emulated or absent.
 * 2. Under the lock, the record is written by one write(2) of one buffer on a descriptor opened with O_APPEND.
 *    On local Linux file systems that alone keeps records whole (the inode lock covers the offset update and the
 *    copy), but POSIX promises no atomicity for regular files of any size (PIPE_BUF is about pipes), NFS emulates
 *    O_APPEND, and a short write would split a record: hence the lock. Conversely, if the lock is ever wrongly
 *    broken (see below), the O_APPEND single write still keeps records whole on local disks.
 *
 * A writer that dies holding the lock leaves it behind; a lock older than `staleMs` (far longer than one append,
 * which takes a millisecond) is stale and gets broken: it is moved aside under a unique name and removed only if
 * what was moved is still the lock that was judged stale (same inode), so a waiter that lost the race to break it
 * never removes a fresh lock taken in between.
 *
 * Reading never takes the lock: a reader never blocks a run. A line that is not a readable result is reported
 * with its number and skipped, never fatal.
 */
import {
  closeSync,
  fstatSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { homedir, hostname } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InputError } from '../errors.js';
import type { RampResult } from '../metrics/result.js';
import { parseRampResult } from '../compare/read-result.js';
import { givenName } from '../metrics/series.js';

/**
 * The default history file: `$XDG_DATA_HOME/tcpprobe/history.jsonl`, else `~/.local/share/tcpprobe/history.jsonl`.
 * A relative XDG_DATA_HOME is ignored, as the XDG Base Directory specification asks.
 */
export function defaultHistoryPath(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const xdg = env.XDG_DATA_HOME;
  const base = xdg !== undefined && xdg !== '' && isAbsolute(xdg) ? xdg : join(home, '.local', 'share');
  return join(base, 'tcpprobe', 'history.jsonl');
}

export interface LockOptions {
  /** A lock file older than this is left over from a crashed writer and gets broken, ms. Default 10,000. */
  staleMs: number;
  /** Give up waiting for the lock after this long, ms (longer than staleMs, so a stale lock is broken first). Default 20,000. */
  timeoutMs: number;
  /** First wait between attempts, ms; doubles up to maxBackoffMs. Default 2. */
  firstBackoffMs: number;
  /** Longest wait between attempts, ms. Default 100. */
  maxBackoffMs: number;
}

export const LOCK_DEFAULTS: Readonly<LockOptions> = { staleMs: 10_000, timeoutMs: 20_000, firstBackoffMs: 2, maxBackoffMs: 100 };

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? 'error';
}

/**
 * Break the lock if it is stale. Returns true when the caller should try to take the lock again at once (the lock
 * is gone or was broken), false when it is held and the caller should wait.
 */
function breakStaleLock(lockPath: string, staleMs: number): boolean {
  let seen;
  try {
    seen = statSync(lockPath);
  } catch {
    return true; // released meanwhile
  }
  if (Date.now() - seen.mtimeMs <= staleMs) return false;
  const aside = `${lockPath}.stale.${process.pid}.${Math.random().toString(36).slice(2)}`;
  try {
    renameSync(lockPath, aside);
  } catch {
    return true; // another waiter broke it first
  }
  try {
    if (statSync(aside).ino === seen.ino) return true;
    // We moved a fresh lock that replaced the stale one: put it back (link fails if yet another lock exists,
    // whose holder is then alive too; each writes one O_APPEND buffer, see above).
    try {
      linkSync(aside, lockPath);
    } catch {
      // keep going: the record writes stay whole
    }
    return false;
  } finally {
    try {
      unlinkSync(aside);
    } catch {
      // already gone
    }
  }
}

/** Take the lock; resolves with the lock file's inode, so release never removes a lock that is not ours. */
async function acquireLock(lockPath: string, historyPath: string, opts: LockOptions): Promise<number> {
  const deadline = Date.now() + opts.timeoutMs;
  let backoffMs = opts.firstBackoffMs;
  for (;;) {
    try {
      const fd = openSync(lockPath, 'wx');
      try {
        // For people looking at a leftover lock: who took it, when.
        writeSync(fd, `${JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() })}\n`);
        return fstatSync(fd).ino;
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      if (errCode(e) !== 'EEXIST') throw new InputError(`cannot lock the history "${historyPath}": ${errCode(e)}`);
    }
    if (breakStaleLock(lockPath, opts.staleMs)) continue;
    if (Date.now() >= deadline) {
      throw new InputError(
        `the history "${historyPath}" stayed locked for ${Math.round(opts.timeoutMs / 1000)}s; ` +
          `if no tcpprobe is writing to it, remove "${lockPath}"`,
      );
    }
    // Jitter, so two waiters do not retry in lockstep.
    await sleep(backoffMs * (0.5 + Math.random()));
    backoffMs = Math.min(opts.maxBackoffMs, backoffMs * 2);
  }
}

function releaseLock(lockPath: string, ino: number): void {
  try {
    if (statSync(lockPath).ino === ino) unlinkSync(lockPath);
  } catch {
    // gone already (broken as stale after a very long stall): nothing of ours to remove
  }
}

/** Write all of `buf` at the end of the file (a short write is continued; we hold the lock). */
function writeAll(fd: number, buf: Buffer): void {
  let offset = 0;
  while (offset < buf.length) offset += writeSync(fd, buf, offset, buf.length - offset);
}

/**
 * Append one result as one line, creating the file and its directories if needed. Safe against concurrent
 * appenders (see the module comment).
 * @throws InputError when the file cannot be created, locked or written.
 */
export async function appendHistoryRecord(
  path: string,
  result: RampResult,
  lock: Partial<LockOptions> = {},
): Promise<void> {
  const opts = { ...LOCK_DEFAULTS, ...lock };
  // JSON.stringify without indentation escapes every newline inside strings: one record is one line.
  const record = Buffer.from(`${JSON.stringify(result)}\n`, 'utf8');
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (e) {
    throw new InputError(`cannot create the directory of the history "${path}": ${errCode(e)}`);
  }
  const lockPath = `${path}.lock`;
  const ino = await acquireLock(lockPath, path, opts);
  try {
    let fd: number;
    try {
      fd = openSync(path, 'a+'); // O_APPEND | O_CREAT | O_RDWR: append, and read the last byte
    } catch (e) {
      throw new InputError(`cannot open the history "${path}": ${errCode(e)}`);
    }
    try {
      const size = fstatSync(fd).size;
      let buf = record;
      if (size > 0) {
        const last = Buffer.alloc(1);
        readSync(fd, last, 0, 1, size - 1);
        // A writer that died mid-record left no newline: start a new line, so only that fragment is damaged.
        if (last[0] !== 0x0a) buf = Buffer.concat([Buffer.from('\n'), record]);
      }
      writeAll(fd, buf);
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError(`cannot write the history "${path}": ${errCode(e)}`);
    } finally {
      closeSync(fd);
    }
  } finally {
    releaseLock(lockPath, ino);
  }
}

/** One readable run in the history, with its 1-based line number. */
export interface HistoryRecord {
  line: number;
  result: RampResult;
}

/** A line that could not be read, and why. */
export interface DamagedLine {
  line: number;
  reason: string;
}

export interface HistoryContents {
  /** Oldest first, in file order. */
  records: HistoryRecord[];
  damaged: DamagedLine[];
}

/** Split history text into records and damaged lines. Blank lines are skipped silently. Pure. */
export function parseHistory(text: string): HistoryContents {
  const records: HistoryRecord[] = [];
  const damaged: DamagedLine[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    if (raw.trim() === '') return;
    const line = i + 1;
    // The last piece has no newline after it: a record still being written, or cut off by a crash.
    if (i === lines.length - 1) {
      damaged.push({ line, reason: 'damaged: incomplete line (no newline at the end: being written, or cut off)' });
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      damaged.push({ line, reason: 'damaged: not JSON' });
      return;
    }
    try {
      records.push({ line, result: parseRampResult(value, 'the record') });
    } catch (e) {
      damaged.push({ line, reason: (e as Error).message });
    }
  });
  return { records, damaged };
}

/**
 * Read the whole history.
 * @throws InputError when the file does not exist or cannot be read (damaged lines are returned, not thrown).
 */
export function readHistory(path: string): HistoryContents {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (errCode(e) === 'ENOENT') throw new InputError(`no history at "${path}" (ramp --save writes it)`);
    throw new InputError(`cannot read the history "${path}": ${errCode(e)}`);
  }
  return parseHistory(text);
}

/** Does a record belong to the target host:port? Host names compare case-insensitively. */
export function isSameTarget(result: RampResult, host: string, port: number): boolean {
  return result.target.port === port && result.target.host.toLowerCase() === host.toLowerCase();
}

/**
 * Do two results belong to one series (the runs a baseline is picked from)? A named run (`ramp --name`, an audit
 * target) belongs to its name, whichever command ran it; an unnamed run to its host:port, never to a named one
 * (metrics/series.ts).
 */
export function isSameSeries(a: RampResult, b: RampResult): boolean {
  const an = givenName(a);
  const bn = givenName(b);
  if (an !== null || bn !== null) return an === bn;
  return isSameTarget(a, b.target.host, b.target.port);
}

/**
 * Does a record match `history --target`'s value? A name matches the runs of that name; host:port matches every
 * run against that address (named or not), as it always has.
 */
export function matchesTarget(result: RampResult, target: { name: string } | { host: string; port: number }): boolean {
  return 'name' in target ? givenName(result) === target.name : isSameTarget(result, target.host, target.port);
}
