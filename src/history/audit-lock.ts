/**
 * The lock that keeps two audits from overlapping (two timers, a manual run during the nightly one): they would
 * compete for this machine and the targets, and both numbers would be wrong.
 *
 * The lock is a file created with O_CREAT|O_EXCL ("wx") holding `{pid, host, at, token}`. It is held for the whole audit
 * (minutes), so age says nothing about staleness; instead a lock whose holder was on this host and whose PID is no
 * longer alive is left over from a crash and is broken. A lock of another host (a shared directory) is never
 * broken: the error says which file to remove. Distinct from the history's append lock (`PATH.lock`, held for one
 * write), which the audit takes for each of its own appends.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import { InputError } from '../errors.js';

/** The default audit lock for a history file. */
export function defaultAuditLockPath(historyPath: string): string {
  return `${historyPath}.audit.lock`;
}

interface LockOwner {
  pid: number;
  host: string;
  at: string;
}

function readOwner(path: string): LockOwner | null {
  try {
    const doc = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    if (typeof doc.pid !== 'number' || typeof doc.host !== 'string') return null;
    return { pid: doc.pid, host: doc.host, at: typeof doc.at === 'string' ? doc.at : '?' };
  } catch {
    return null;
  }
}

/** Is this PID a live process? EPERM means it lives under another user. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A held audit lock; release removes it only while it is still ours. */
export interface AuditLock {
  path: string;
  release(): void;
}

function tryCreate(path: string): AuditLock | null {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'EEXIST') return null;
    throw new InputError(`cannot create the audit lock "${path}": ${code}`);
  }
  // A token, not the inode, tells our lock from a later one: a file system may give a new file a freed inode.
  const token = randomBytes(8).toString('hex');
  try {
    writeSync(fd, `${JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString(), token })}\n`);
  } finally {
    closeSync(fd);
  }
  return {
    path,
    release() {
      try {
        if (readFileSync(path, 'utf8').includes(`"token":"${token}"`)) unlinkSync(path);
      } catch {
        // already gone
      }
    },
  };
}

/**
 * Take the audit lock or fail at once (an audit does not wait for another: the next timer runs it).
 * @throws InputError naming the holder when another audit holds it
 */
export function acquireAuditLock(path: string): AuditLock {
  // The first audit of a new history comes before the history has made its directory.
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (e) {
    throw new InputError(`cannot create the audit lock "${path}": ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    const lock = tryCreate(path);
    if (lock !== null) return lock;
    const owner = readOwner(path);
    if (owner !== null && owner.host === hostname() && !isAlive(owner.pid)) {
      // Left over from a crashed audit: move it aside (only one breaker wins the rename) and try again.
      const aside = `${path}.stale.${process.pid}`;
      try {
        renameSync(path, aside);
        unlinkSync(aside);
      } catch {
        // another audit broke it first
      }
      continue;
    }
    const who = owner === null ? 'another audit' : `pid ${owner.pid} on ${owner.host} since ${owner.at}`;
    throw new InputError(`another audit is running (${who}): "${path}" is locked; if none is, remove the file`);
  }
  throw new InputError(`cannot take the audit lock "${path}": it keeps coming back`);
}
