import { describe, expect, it } from 'vitest';
import { assessCapacity, type CapacityPlan, type Finding, type FindingId } from '../../src/preflight/capacity.js';
import type { SystemLimits } from '../../src/preflight/system-limits.js';
import { MACHINE } from '../helpers/machine-limits.js';

const UNKNOWN: SystemLimits = {
  openFilesSoft: null,
  openFilesHard: null,
  nrOpen: null,
  fileMax: null,
  filesAllocated: null,
  localPortRange: null,
  reservedPortsInRange: null,
  tcpTwReuse: null,
  somaxconn: null,
  tcpMaxSynBacklog: null,
  conntrackMax: null,
  conntrackCount: null,
  timeWaitSockets: null,
  openFds: null,
};

const LOCAL_TARGET = { address: '127.0.0.1', port: 8080 };

function plan(over: Partial<CapacityPlan>): CapacityPlan {
  return {
    requestedConnections: 10_000,
    plannedUpperBound: 1_000_000,
    targets: [LOCAL_TARGET],
    sourceAddresses: [],
    processes: 1,
    ...over,
  };
}

function find(findings: Finding[], id: FindingId): Finding {
  const f = findings.find((x) => x.id === id);
  if (f === undefined) throw new Error(`no ${id} finding`);
  return f;
}

/** The finding `id` of assessing `limits` for a plan with `over` changed. */
function findingOf(limits: SystemLimits, over: Partial<CapacityPlan>, id: FindingId): Finding {
  return find(assessCapacity(limits, plan(over)).findings, id);
}

const REMOTE = { targets: [{ address: '192.0.2.7', port: 80 }] };

function summary(findings: Finding[]): Record<string, [number | null, string]> {
  return Object.fromEntries(findings.map((f) => [f.id, [f.reach, f.severity]]));
}

describe('assessCapacity on this machine', () => {
  it('10,000 unbound loopback connections fit; open files bind at 19,872', () => {
    const a = assessCapacity(MACHINE, plan({}));
    expect(a.maxConnections).toBe(19872);
    expect(a.limitedBy).toBe('fd-limit');
    expect(a.plannedConnections).toBe(10_000);
    expect(summary(a.findings)).toEqual({
      'fd-limit': [19872, 'ok'],
      ports: [28232, 'ok'],
      conntrack: [null, 'ok'],
      'file-max': [1232884, 'ok'],
      'slow-zone': [null, 'ok'],
      'tw-reuse': [null, 'ok'],
      'time-wait': [null, 'ok'],
      somaxconn: [null, 'ok'],
    });
    expect(find(a.findings, 'fd-limit').value).toBe('20000 (hard 20000) -> 19,872 connections per process');
    expect(find(a.findings, 'ports').value).toBe('32768-60999 = 28,232 per source address and target');
    expect(find(a.findings, 'conntrack').value).toBe('not loaded');
    expect(find(a.findings, 'slow-zone').value).toBe(
      'about 10,000 connections per source address and target, below the ~14,116 where connect() slows',
    );
  });

  it('reports every limit the plan exceeds, not only the binding one', () => {
    const a = assessCapacity(MACHINE, plan({ requestedConnections: 30_000 }));
    expect(a.maxConnections).toBe(19872);
    expect(a.limitedBy).toBe('fd-limit');
    const s = summary(a.findings);
    expect(s['fd-limit']).toEqual([19872, 'limit']);
    expect(s.ports).toEqual([28232, 'limit']);
    expect(s['slow-zone']).toEqual([null, 'warn']);
    expect(find(a.findings, 'fd-limit').advice).toContain('--workers 2');
    expect(find(a.findings, 'ports').advice).toContain('--source 127.0.0.2-127.0.0.6');
  });

  it('uses the planned upper bound for an unbounded ramp', () => {
    const a = assessCapacity(MACHINE, plan({ requestedConnections: null, plannedUpperBound: 25_000 }));
    expect(a.plannedConnections).toBe(25_000);
    expect(find(a.findings, 'fd-limit').severity).toBe('limit');
    expect(find(a.findings, 'ports').severity).toBe('ok');
  });

  it('multiplies the fd limit by worker processes, less the larger of reserve and open fds', () => {
    const a = assessCapacity({ ...MACHINE, openFds: 100 }, plan({ processes: 3, fdReservePerProcess: 50 }));
    expect(find(a.findings, 'fd-limit').reach).toBe((20000 - 100) * 3);
    expect(find(a.findings, 'fd-limit').value).toBe(
      '20000 (hard 20000) -> 19,900 connections per process x 3 processes = 59,700',
    );
    expect(a.limitedBy).toBe('ports');
    expect(a.maxConnections).toBe(28232);
  });

  it('suggests ulimit -n when the soft limit is below the hard one', () => {
    const a = assessCapacity({ ...MACHINE, openFilesSoft: 1024 }, plan({}));
    expect(find(a.findings, 'fd-limit').reach).toBe(896);
    expect(find(a.findings, 'fd-limit').advice).toContain('ulimit -n 20000');
  });

  it('treats an unlimited fd limit as no cap', () => {
    const a = assessCapacity({ ...MACHINE, openFilesSoft: Infinity, openFilesHard: Infinity }, plan({}));
    expect(find(a.findings, 'fd-limit')).toMatchObject({ value: 'unlimited', reach: null, severity: 'ok' });
    expect(a.limitedBy).toBe('ports');
  });
});

describe('ports', () => {
  it('gives unbound connects one range per distinct destination', () => {
    const targets = [LOCAL_TARGET, { address: '127.0.0.1', port: 8081 }, LOCAL_TARGET];
    const a = assessCapacity(MACHINE, plan({ targets, processes: 4 }));
    expect(find(a.findings, 'ports')).toMatchObject({
      reach: 56464,
      value: '32768-60999 = 28,232 per source address and target x 2 targets = 56,464',
    });
  });

  it('gives bound sockets one range per source address, whatever the number of targets', () => {
    const targets = [LOCAL_TARGET, { address: '127.0.0.1', port: 8081 }, { address: '127.0.0.1', port: 8082 }];
    const sources = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.3'];
    const a = assessCapacity(MACHINE, plan({ targets, sourceAddresses: sources, processes: 5 }));
    expect(find(a.findings, 'ports')).toMatchObject({
      reach: 84696,
      value: '32768-60999 = 28,232 per source address x 3 addresses = 84,696',
    });
  });

  it('takes reserved ports out of the range', () => {
    const a = assessCapacity({ ...MACHINE, reservedPortsInRange: 232 }, plan({}));
    expect(find(a.findings, 'ports')).toMatchObject({
      reach: 28000,
      value: '32768-60999 = 28,000 per source address and target (232 reserved)',
    });
  });

  it('asks for local addresses, not 127.x, when the target is remote', () => {
    const a = assessCapacity(MACHINE, plan({ ...REMOTE, requestedConnections: 40_000, processes: 3 }));
    expect(find(a.findings, 'ports').severity).toBe('limit');
    expect(find(a.findings, 'ports').advice).toContain('--source ADDR,ADDR');
    expect(a.limitedBy).toBe('ports');
  });
});

describe('slow zone', () => {
  it('warns past half the range per address and target when unbound', () => {
    const a = assessCapacity(MACHINE, plan({ requestedConnections: 15_000 }));
    expect(find(a.findings, 'slow-zone')).toMatchObject({
      severity: 'warn',
      value: 'about 15,000 connections per source address and target, past the ~14,116 where connect() slows',
    });
    expect(find(a.findings, 'slow-zone').advice).toContain('--source 127.0.0.2-127.0.0.4');
  });

  it('warns past a quarter of the range per bound address', () => {
    const sources = ['127.0.0.2', '127.0.0.3'];
    expect(findingOf(MACHINE, { requestedConnections: 14_000, sourceAddresses: sources }, 'slow-zone').severity).toBe(
      'ok',
    );
    const a = assessCapacity(MACHINE, plan({ requestedConnections: 15_000, sourceAddresses: sources }));
    expect(find(a.findings, 'slow-zone')).toMatchObject({
      severity: 'warn',
      value: 'about 7,500 connections per source address, past the ~7,058 where connect() slows',
    });
  });

  it('warns past half the range per bound address when the port is chosen at connect() (the native core)', () => {
    const sources = ['127.0.0.2', '127.0.0.3'];
    const at = (requestedConnections: number) =>
      find(assessCapacity(MACHINE, plan({ requestedConnections, sourceAddresses: sources, portAtConnect: true })).findings, 'slow-zone');
    expect(at(15_000)).toMatchObject({ severity: 'ok', value: 'about 7,500 connections per source address, below the ~14,116 where connect() slows' });
    expect(at(30_000)).toMatchObject({ severity: 'warn', value: 'about 15,000 connections per source address, past the ~14,116 where connect() slows' });
  });

  it('is not a cap', () => {
    const a = assessCapacity(MACHINE, plan({ requestedConnections: 15_000 }));
    expect(a.maxConnections).toBe(19872);
  });
});

describe('conntrack and file-max', () => {
  it('counts conntrack headroom and names it when it binds', () => {
    const limits = { ...MACHINE, conntrackMax: 16384, conntrackCount: 1384 };
    const a = assessCapacity(limits, plan({}));
    expect(find(a.findings, 'conntrack')).toMatchObject({
      reach: 15000,
      severity: 'ok',
      value: '16384 entries, 1384 in use -> 15,000 connections',
    });
    expect(a.limitedBy).toBe('conntrack');
    expect(a.maxConnections).toBe(15000);
    const over = assessCapacity(limits, plan({ requestedConnections: 18_000 }));
    expect(find(over.findings, 'conntrack').severity).toBe('limit');
    expect(find(over.findings, 'conntrack').advice).toContain('above 19384 entries');
  });

  it('counts two fds per loopback connection against file-max, one for a remote target', () => {
    const limits = { ...MACHINE, fileMax: 30000, filesAllocated: 2000 };
    const local = assessCapacity(limits, plan({}));
    expect(find(local.findings, 'file-max')).toMatchObject({
      reach: 14000,
      value: '30000, 2000 in use -> 14,000 connections (2 fds each: a local server holds the other end)',
    });
    expect(local.limitedBy).toBe('file-max');
    const remote = assessCapacity(limits, plan(REMOTE));
    expect(find(remote.findings, 'file-max')).toMatchObject({
      reach: 28000,
      value: '30000, 2000 in use -> 28,000 connections',
    });
    expect(remote.limitedBy).toBe('fd-limit');
  });

  it('names the earlier finding on a tie', () => {
    const a = assessCapacity({ ...MACHINE, conntrackMax: 19872, conntrackCount: 0 }, plan({}));
    expect(a.limitedBy).toBe('fd-limit');
  });
});

describe('advisory findings', () => {
  it('tcp_tw_reuse: 2 covers loopback only; 0 is worth a note', () => {
    expect(findingOf(MACHINE, {}, 'tw-reuse')).toMatchObject({ value: '2 (loopback only)', severity: 'ok' });
    expect(findingOf(MACHINE, REMOTE, 'tw-reuse').severity).toBe('info');
    const off = findingOf({ ...MACHINE, tcpTwReuse: 0 }, {}, 'tw-reuse');
    expect(off).toMatchObject({ value: '0 (off)', severity: 'info' });
    expect(findingOf({ ...MACHINE, tcpTwReuse: 1 }, REMOTE, 'tw-reuse').severity).toBe('ok');
  });

  it('TIME_WAIT leftovers warn when they alone could use up the ports', () => {
    const limits = { ...MACHINE, timeWaitSockets: 500, openFilesSoft: 100_000, openFilesHard: 100_000 };
    expect(findingOf(limits, {}, 'time-wait').severity).toBe('info');
    expect(findingOf(limits, { requestedConnections: 28_000 }, 'time-wait')).toMatchObject({
      severity: 'warn',
      value: '500 sockets, each holding a port for up to 60 s',
    });
  });

  it('somaxconn matters only for a server on this machine', () => {
    const limits = { ...MACHINE, somaxconn: 128 };
    expect(findingOf(limits, {}, 'somaxconn')).toMatchObject({
      severity: 'info',
      value: '128 (tcp_max_syn_backlog 2048)',
    });
    expect(findingOf(limits, REMOTE, 'somaxconn').severity).toBe('ok');
  });
});

describe('unreadable limits', () => {
  it('knows no cap, reports every field as unknown and never throws', () => {
    const a = assessCapacity(UNKNOWN, plan({}));
    expect(a.maxConnections).toBe(Number.POSITIVE_INFINITY);
    expect(a.limitedBy).toBeNull();
    const unknownIds = a.findings.filter((f) => f.value.startsWith('unknown')).map((f) => f.id);
    expect(unknownIds).toEqual(['fd-limit', 'ports', 'conntrack', 'file-max', 'tw-reuse', 'time-wait', 'somaxconn']);
    // The slow zone falls back to the default range: still a useful warning.
    expect(findingOf(UNKNOWN, { requestedConnections: 20_000 }, 'slow-zone').severity).toBe('warn');
  });
});

describe('conntrack where the namespace tracks nothing', () => {
  const TABLE = { conntrackMax: 262_144, conntrackCount: 0 };
  // [loopback test, reach, severity, value]
  const table: [boolean | null, number | null, string, string][] = [
    [false, null, 'ok', '262144 entries, 0 in use; not a cap: this namespace tracks nothing (a loopback connection made here got no entry)'],
    [true, 262_144, 'ok', '262144 entries, 0 in use -> 262,144 connections (this namespace tracks connections (a loopback connection made here got an entry))'],
    [null, 262_144, 'ok', '262144 entries, 0 in use -> 262,144 connections (counted as a cap: whether this namespace tracks could not be tested)'],
  ];
  it.each(table)('loopback test %s -> reach %s', (tracks, reach, severity, value) => {
    const f = findingOf({ ...MACHINE, ...TABLE, conntrackTracksHere: tracks }, {}, 'conntrack');
    expect(f).toMatchObject({ reach, severity, value });
  });

  it('a million planned: capped at the table only where the namespace tracks', () => {
    const sourceAddresses = Array.from({ length: 60 }, (_, i) => `127.0.0.${i + 2}`);
    const million = { requestedConnections: 1_000_000, processes: 64, sourceAddresses };
    const untracked = assessCapacity({ ...MACHINE, ...TABLE, conntrackTracksHere: false }, plan(million));
    // (2,466,183 - 414) / 2: a local server holds the other end of each.
    expect(untracked.limitedBy).toBe('file-max');
    expect(untracked.maxConnections).toBe(1_232_884);
    const tracked = assessCapacity({ ...MACHINE, ...TABLE, conntrackTracksHere: true }, plan(million));
    expect(tracked.limitedBy).toBe('conntrack');
    expect(tracked.maxConnections).toBe(262_144);
  });
});

describe('the cap that binds next', () => {
  const FRESH_NAMESPACE = { ...MACHINE, fileMax: 2_466_248, filesAllocated: 1_800, conntrackMax: 262_144, conntrackCount: 0 };
  const sources = (count: number): string[] => Array.from({ length: count }, (_, i) => `127.0.${Math.floor((i + 2) / 256)}.${(i + 2) % 256}`);
  // [limits, plan, binding, its reach, next, its reach, basis]
  const table: [string, SystemLimits, Partial<CapacityPlan>, FindingId, number, FindingId | null, number | null, string | null][] = [
    ['one process, unbound', MACHINE, {}, 'fd-limit', 19_872, 'ports', 28_232, 'from one source address'],
    ['one process, unbound, two targets', MACHINE, { targets: [LOCAL_TARGET, { address: '127.0.0.1', port: 8081 }] }, 'fd-limit', 19_872, 'ports', 56_464, 'from one source address to 2 targets'],
    ['64 processes, 60 sources', { ...MACHINE, fileMax: 10_000_000 }, { processes: 64, sourceAddresses: sources(60) }, 'fd-limit', 1_271_808, 'ports', 1_693_920, 'over 60 source addresses'],
    ['fresh namespace, untracked: file-max, then open files', { ...FRESH_NAMESPACE, conntrackTracksHere: false }, { processes: 64, sourceAddresses: sources(250) }, 'file-max', 1_232_224, 'fd-limit', 1_271_808, 'over 64 processes'],
    ['fresh namespace, tracked: conntrack, then file-max', { ...FRESH_NAMESPACE, conntrackTracksHere: true }, { processes: 64, sourceAddresses: sources(250) }, 'conntrack', 262_144, 'file-max', 1_232_224, 'machine-wide'],
    ['only one cap readable', { ...UNKNOWN, openFilesSoft: 1024 }, {}, 'fd-limit', 896, null, null, null],
  ];
  it.each(table)('%s', (_name, limits, over, binding, reach, next, nextReach, basis) => {
    const a = assessCapacity(limits, plan(over));
    expect([a.limitedBy, a.maxConnections]).toEqual([binding, reach]);
    expect(a.next).toEqual(next === null ? null : { limitedBy: next, connections: nextReach, basis });
  });

  it('is null when nothing could be read', () => {
    expect(assessCapacity(UNKNOWN, plan({})).next).toBeNull();
  });
});
