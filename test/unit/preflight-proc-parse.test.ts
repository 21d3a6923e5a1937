import { describe, expect, it } from 'vitest';
import {
  countReservedPortsInRange,
  parseOpenFilesLimit,
  parsePortRange,
  parseSockstatTimeWait,
  parseSysctlInt,
  parseSysctlInts,
} from '../../src/preflight/proc-parse.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units     
Max cpu time              unlimited            unlimited            seconds   
Max open files            20000                20000                files     
Max locked memory         8388608              8388608              bytes     
`;

describe('parseOpenFilesLimit', () => {
  it('reads soft and hard from /proc/self/limits', () => {
    expect(parseOpenFilesLimit(LIMITS)).toEqual({ soft: 20000, hard: 20000 });
  });
  it('maps unlimited to Infinity', () => {
    const line = 'Max open files            1024                 unlimited            files\n';
    expect(parseOpenFilesLimit(line)).toEqual({
      soft: 1024,
      hard: Number.POSITIVE_INFINITY,
    });
  });
  it('returns null when the line is missing or odd', () => {
    expect(parseOpenFilesLimit('Max cpu time unlimited unlimited seconds\n')).toBeNull();
    expect(parseOpenFilesLimit('Max open files            lots                 20000        files\n')).toBeNull();
  });
});

describe('sysctl parsers', () => {
  it('reads one integer', () => {
    expect(parseSysctlInt('4096\n')).toBe(4096);
    expect(parseSysctlInt('')).toBeNull();
    expect(parseSysctlInt('-1\n')).toBeNull();
  });
  it('reads fs.file-nr', () => {
    expect(parseSysctlInts('414\t0\t2466183\n')).toEqual([414, 0, 2466183]);
    expect(parseSysctlInts('414 x\n')).toBeNull();
  });
  it('reads the port range', () => {
    expect(parsePortRange('32768\t60999\n')).toEqual({ low: 32768, high: 60999 });
    expect(parsePortRange('60999 32768')).toBeNull();
    expect(parsePortRange('1024 70000')).toBeNull();
    expect(parsePortRange('1024')).toBeNull();
  });
});

describe('countReservedPortsInRange', () => {
  const range = { low: 32768, high: 60999 };
  it('counts nothing for an empty list', () => {
    expect(countReservedPortsInRange('\n', range)).toBe(0);
  });
  it('counts single ports and ranges inside the range only', () => {
    expect(countReservedPortsInRange('8080,40000,50000-50009,60990-61010\n', range)).toBe(1 + 10 + 10);
  });
  it('returns null for text it does not understand', () => {
    expect(countReservedPortsInRange('8080,abc', range)).toBeNull();
    expect(countReservedPortsInRange('9000-8000', range)).toBeNull();
  });
});

describe('parseSockstatTimeWait', () => {
  it('reads tw from the TCP line', () => {
    const text = 'sockets: used 2\nTCP: inuse 3 orphan 0 tw 1234 alloc 5 mem 203\nUDP: inuse 0 mem 0\n';
    expect(parseSockstatTimeWait(text)).toBe(1234);
  });
  it('returns null without a TCP line', () => {
    expect(parseSockstatTimeWait('sockets: used 2\n')).toBeNull();
  });
});
