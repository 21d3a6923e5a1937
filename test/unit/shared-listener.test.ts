import { describe, expect, it } from 'vitest';
import { copiesAtOnce } from '../../src/server/shared-listener.js';

describe('copiesAtOnce: workers holding a copy of the listening socket at a time', () => {
  it.each([
    [2, false, 2],
    [2, true, 4],
    [1, false, 1],
    [1, true, 3],
    [0, false, 1],
    [8, true, 10],
  ])('%i CPUs, native accept path %s: %i', (cpus, native, copies) => {
    expect(copiesAtOnce(cpus, native)).toBe(copies);
  });
});
