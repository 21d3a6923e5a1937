import { describe, expect, it } from 'vitest';
import {
  processForConnection,
  sourceAt,
  sourceForConnection,
  sourceScheduleFor,
  type GrowthPolicy,
} from '../../src/preflight/growth-plan.js';

const LOOPBACK: GrowthPolicy = { perProcess: 19_936, maxProcesses: 64, loopbackSources: true };

describe('growth plan: the kernel source and one process first', () => {
  it('leaves the first 12,000 connections to the kernel, then one 127.x address per 6,000', () => {
    expect(sourceForConnection(0, LOOPBACK)).toBeNull();
    expect(sourceForConnection(11_999, LOOPBACK)).toBeNull();
    expect(sourceForConnection(12_000, LOOPBACK)).toBe('127.0.0.2');
    expect(sourceForConnection(17_999, LOOPBACK)).toBe('127.0.0.2');
    expect(sourceForConnection(18_000, LOOPBACK)).toBe('127.0.0.3');
    expect(sourceForConnection(10_000_000, LOOPBACK)).toBe('127.0.0.251');
  });

  it('never binds for a target that is not IPv4 loopback', () => {
    expect(sourceForConnection(50_000, { ...LOOPBACK, loopbackSources: false })).toBeNull();
    expect(sourceScheduleFor(3, { ...LOOPBACK, loopbackSources: false })).toEqual([{ fromConnection: 0, address: null }]);
  });

  it('adds a process per open-files limit, at most maxProcesses', () => {
    expect(processForConnection(0, LOOPBACK)).toBe(0);
    expect(processForConnection(19_935, LOOPBACK)).toBe(0);
    expect(processForConnection(19_936, LOOPBACK)).toBe(1);
    expect(processForConnection(5, { perProcess: 2, maxProcesses: 2, loopbackSources: false })).toBe(1);
  });

  it('gives each process its schedule in its own connection numbers', () => {
    expect(sourceScheduleFor(0, LOOPBACK)).toEqual([
      { fromConnection: 0, address: null },
      { fromConnection: 12_000, address: '127.0.0.2' },
      { fromConnection: 18_000, address: '127.0.0.3' },
    ]);
    // Process 1 takes the run's connections 19,936-39,871: 127.0.0.3 until 24,000, then one address per 6,000.
    expect(sourceScheduleFor(1, LOOPBACK)).toEqual([
      { fromConnection: 0, address: '127.0.0.3' },
      { fromConnection: 4_064, address: '127.0.0.4' },
      { fromConnection: 10_064, address: '127.0.0.5' },
      { fromConnection: 16_064, address: '127.0.0.6' },
    ]);
  });

  it('reads a schedule at a connection number', () => {
    const s = sourceScheduleFor(0, LOOPBACK);
    expect(sourceAt(s, 0)).toBeNull();
    expect(sourceAt(s, 12_000)).toBe('127.0.0.2');
    expect(sourceAt(s, 25_000)).toBe('127.0.0.3');
  });
});
