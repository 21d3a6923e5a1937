import { open } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { currentFdCount, readSystemLimits } from '../../src/preflight/system-limits.js';

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
    const before = (await currentFdCount()) ?? 0;
    const handles = await Promise.all(Array.from({ length: 10 }, () => open('/proc/self/limits', 'r')));
    try {
      // Exactly 10 unless the test runner happens to open something meanwhile.
      const after = (await currentFdCount()) ?? 0;
      expect(after - before).toBeGreaterThanOrEqual(10);
      expect(after - before).toBeLessThanOrEqual(12);
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
  });
});
