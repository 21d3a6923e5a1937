import { describe, expect, it } from 'vitest';
import { isLoopback } from '../../src/preflight/address.js';
import { assessCapacity } from '../../src/preflight/capacity.js';
import { formatPreflight } from '../../src/reporters/preflight.js';
import type { SystemLimits } from '../../src/preflight/system-limits.js';
import { MACHINE } from '../helpers/machine-limits.js';

const TARGETS = [{ address: '127.0.0.1', port: 8080 }];

describe('formatPreflight', () => {
  it('prints the core limits aligned, then the verdict', () => {
    const a = assessCapacity(MACHINE, {
      requestedConnections: 10_000,
      plannedUpperBound: 10_000,
      targets: TARGETS,
      sourceAddresses: [],
      processes: 1,
    });
    expect(formatPreflight(a, MACHINE, [])).toBe(
      [
        '  open files       20000 (hard 20000) -> 19,872 connections per process',
        '  ports            32768-60999 = 28,232 per source address and target',
        '  source addresses kernel-chosen',
        '  conntrack        not loaded',
        '  tcp_tw_reuse     2 (loopback only)',
        '  this machine can hold at most 19,872 connections to 127.0.0.1:8080 (limited by: open files)',
        '    if that is lifted, next: ephemeral ports at 28,232 from one source address',
      ].join('\n'),
    );
  });

  it('shows bound sources as a range, and every limit and warning with its advice', () => {
    const sources = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7'];
    const a = assessCapacity(MACHINE, {
      requestedConnections: 50_000,
      plannedUpperBound: 50_000,
      targets: TARGETS,
      sourceAddresses: sources,
      processes: 1,
    });
    const text = formatPreflight(a, MACHINE, sources);
    const lines = text.split('\n');
    expect(lines).toContain('  source addresses 127.0.0.2-127.0.0.7 (6)');
    expect(lines).toContain(
      '  slow zone        about 8,334 connections per source address, past the ~7,058 where connect() slows',
    );
    expect(lines).toContain('  limit: open files: 50,000 connections planned, it allows 19,872');
    expect(lines.filter((l) => l.startsWith('  warn: slow zone:'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('    -> '))).toHaveLength(2);
    // Plain text only: no escape codes.
    expect(text.includes('\u001b')).toBe(false);
  });

  it('says so in one line when nothing could be read', () => {
    const none = Object.fromEntries(Object.keys(MACHINE).map((k) => [k, null])) as unknown as SystemLimits;
    const a = assessCapacity(none, {
      requestedConnections: 10,
      plannedUpperBound: 10,
      targets: [{ address: '::1', port: 80 }],
      sourceAddresses: [],
      processes: 1,
    });
    expect(formatPreflight(a, none, [])).toBe(
      [
        '  limits not readable here (not Linux, or /proc hidden)',
        "  this machine's limits could not be read: its own capacity to [::1]:80 is unknown",
      ].join('\n'),
    );
  });
});

describe('address helpers', () => {
  it('recognises loopback in every spelling', () => {
    expect(['127.0.0.1', '127.9.9.9', '::1', '0:0::1', '::ffff:127.0.0.1'].map(isLoopback)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['10.0.0.1', '::2', 'localhost', '128.0.0.1'].map(isLoopback)).toEqual([false, false, false, false]);
  });
});
