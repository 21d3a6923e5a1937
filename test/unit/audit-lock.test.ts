/**
 * The audit lock: one audit at a time; a lock whose holder died on this host is broken, another host's never.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireAuditLock, defaultAuditLockPath } from '../../src/history/audit-lock.js';
import { InputError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'tcpprobe-audit-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A PID that was just alive and no longer is: a child that has exited. */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', '']).pid;
  if (pid === undefined) throw new Error('no child');
  return pid;
}

describe('acquireAuditLock', () => {
  it('is distinct from the history\'s own append lock', () => {
    expect(defaultAuditLockPath('/var/lib/h.jsonl')).toBe('/var/lib/h.jsonl.audit.lock');
  });

  it('lets one audit in and refuses a second with who holds it; release frees it', () => {
    const path = join(dir, 'a.lock');
    const lock = acquireAuditLock(path);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    expect(() => acquireAuditLock(path)).toThrow(InputError);
    expect(() => acquireAuditLock(path)).toThrow(new RegExp(`another audit is running \\(pid ${process.pid} on `));
    lock.release();
    expect(existsSync(path)).toBe(false);
    acquireAuditLock(path).release();
  });

  it('makes the directory of a new history first', () => {
    const path = join(dir, 'new', 'state', 'h.jsonl.audit.lock');
    acquireAuditLock(path).release();
    expect(existsSync(join(dir, 'new', 'state'))).toBe(true);
  });

  it('breaks a lock left by a process of this host that is gone', () => {
    const path = join(dir, 'b.lock');
    writeFileSync(path, JSON.stringify({ pid: deadPid(), host: hostname(), at: '2026-01-01T00:00:00Z' }));
    const lock = acquireAuditLock(path);
    expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('never breaks another host\'s lock, nor one it cannot read', () => {
    const path = join(dir, 'c.lock');
    writeFileSync(path, JSON.stringify({ pid: deadPid(), host: `${hostname()}-elsewhere`, at: 'x' }));
    expect(() => acquireAuditLock(path)).toThrow(/another audit is running \(pid \d+ on .*-elsewhere since x\)/);
    writeFileSync(path, 'garbage');
    expect(() => acquireAuditLock(path)).toThrow(/another audit is running \(another audit\)/);
  });

  it('release leaves a lock that is no longer its own', () => {
    const path = join(dir, 'd.lock');
    const lock = acquireAuditLock(path);
    rmSync(path);
    writeFileSync(path, 'someone else');
    lock.release();
    expect(readFileSync(path, 'utf8')).toBe('someone else');
  });
});
