import { readdirSync } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackConnectionTracked, readSystemLimits } from '../../src/preflight/system-limits.js';
import { currentFdCount } from '../../src/preflight/fd-count.js';

// These machines are Linux; elsewhere the readers return nulls, which the unit tests cover.
describe('readSystemLimits on this machine', () => {
  it('reads a positive open-files limit and a port range', async () => {
    const limits = await readSystemLimits();
    expect(limits.openFilesSoft).toBeGreaterThan(0);
    expect(limits.openFilesHard).toBeGreaterThanOrEqual(limits.openFilesSoft ?? 0);
    expect(limits.localPortRange).not.toBeNull();
    const range = limits.localPortRange ?? { low: 0, high: 0 };
    expect(range.low).toBeGreaterThan(0);
    expect(range.high).toBeGreaterThanOrEqual(range.low);
    expect(limits.openFds).toBeGreaterThan(2);
  });

  it('counts newly opened file descriptors', async () => {
    const before = currentFdCount() ?? 0;
    const handles = await Promise.all(Array.from({ length: 10 }, () => open('/proc/self/limits', 'r')));
    try {
      // Exactly 10 unless the test runner happens to open something meanwhile.
      const after = currentFdCount() ?? 0;
      expect(after - before).toBeGreaterThanOrEqual(10);
      expect(after - before).toBeLessThanOrEqual(12);
      // Read from the directory's size where the kernel gives it (6.2 on): the same count a listing gives.
      expect(Math.abs(after - (readdirSync('/proc/self/fd').length - 1))).toBeLessThanOrEqual(2);
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
  });
});

describe('loopbackConnectionTracked: the count read while one loopback connection is open', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tcpprobe-count-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // [what the count file holds (null: no file), what the test says]
  const table: [string | null, boolean | null][] = [
    ['0\n', false],
    ['1\n', true],
    ['3703\n', true],
    [null, null],
  ];
  it.each(table)('count file %j -> %s', async (content, tracked) => {
    const path = join(dir, `count-${String(content).trim()}`);
    if (content !== null) await writeFile(path, content);
    expect(await loopbackConnectionTracked(path)).toBe(tracked);
  });
});
