import { describe, expect, it } from 'vitest';
import type { SystemLimits } from '../../src/preflight/system-limits.js';
import {
  assessGrowth,
  clientClassAt,
  processForConnection,
  sourceAt,
  sourceForConnection,
  sourceScheduleFor,
  type GrowthPolicy,
} from '../../src/preflight/growth-plan.js';

const LOOPBACK: GrowthPolicy = { perProcess: 19_872, maxProcesses: 64, loopbackSources: true };

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
    expect(processForConnection(19_871, LOOPBACK)).toBe(0);
    expect(processForConnection(19_872, LOOPBACK)).toBe(1);
    expect(processForConnection(5, { perProcess: 2, maxProcesses: 2, loopbackSources: false })).toBe(1);
  });

  it('gives each process its schedule in its own connection numbers', () => {
    expect(sourceScheduleFor(0, LOOPBACK)).toEqual([
      { fromConnection: 0, address: null },
      { fromConnection: 12_000, address: '127.0.0.2' },
      { fromConnection: 18_000, address: '127.0.0.3' },
    ]);
    // Process 1 takes the run's connections 19,872-39,743: 127.0.0.3 until 24,000, then one address per 6,000.
    expect(sourceScheduleFor(1, LOOPBACK)).toEqual([
      { fromConnection: 0, address: '127.0.0.3' },
      { fromConnection: 4_128, address: '127.0.0.4' },
      { fromConnection: 10_128, address: '127.0.0.5' },
      { fromConnection: 16_128, address: '127.0.0.6' },
    ]);
  });

  it('reads a schedule at a connection number', () => {
    const s = sourceScheduleFor(0, LOOPBACK);
    expect(sourceAt(s, 0)).toBeNull();
    expect(sourceAt(s, 12_000)).toBe('127.0.0.2');
    expect(sourceAt(s, 25_000)).toBe('127.0.0.3');
  });
});

describe('how far growth reaches', () => {
  const limits: SystemLimits = {
    openFilesSoft: 20_000,
    openFilesHard: 20_000,
    nrOpen: 1_048_576,
    fileMax: null,
    filesAllocated: null,
    localPortRange: { low: 32_768, high: 60_999 },
    reservedPortsInRange: 0,
    tcpTwReuse: 2,
    somaxconn: 4096,
    tcpMaxSynBacklog: 1024,
    conntrackMax: null,
    conntrackCount: null,
    timeWaitSockets: 0,
    openFds: 20,
  };
  const v4 = [{ address: '127.0.0.1', family: 4 as const, port: 80 }];
  const v6 = [{ address: '::1', family: 6 as const, port: 80 }];

  it('with every process and 127.x address the policy may add: the open-files limit x 64 binds', () => {
    expect(assessGrowth(limits, v4, LOOPBACK).reach).toEqual({ connections: 19_872 * 64, limitedBy: 'fd-limit' });
  });

  it('a conntrack table smaller than that binds instead', () => {
    expect(assessGrowth({ ...limits, conntrackMax: 262_144, conntrackCount: 144 }, v4, LOOPBACK).reach).toEqual({
      connections: 262_000,
      limitedBy: 'conntrack',
    });
  });

  it('without source addresses to add, the port range to the one destination binds', () => {
    expect(assessGrowth(limits, v6, { ...LOOPBACK, loopbackSources: false }).reach).toEqual({ connections: 28_232, limitedBy: 'ports' });
  });

  it('names the client failure class a run would meet there', () => {
    expect(clientClassAt('conntrack')).toBe('conntrack');
    expect(clientClassAt('ports')).toBe('ports');
    expect(clientClassAt('file-max')).toBe('fd-limit');
    expect(clientClassAt('fd-limit')).toBe('fd-limit');
  });
});
