/**
 * Read this machine's own connection limits from Linux /proc and /proc/sys. I/O at the edge: everything here only
 * reads files, and every field that cannot be read (another OS, a container hiding /proc/sys, a module not loaded)
 * becomes null instead of an error, so the preflight can always report what it does know.
 */
import { readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import {
  countReservedPortsInRange,
  parseOpenFilesLimit,
  parsePortRange,
  parseSockstatTimeWait,
  parseSysctlInt,
  parseSysctlInts,
} from './proc-parse.js';
import type { Static } from 'typebox';
import type { DoctorLimitsSchema } from './doctor-schema.js';
import { currentFdCount } from './fd-count.js';

export type { PortRange } from './proc-parse.js';

/**
 * What the kernel lets this process and machine hold. Counts are file descriptors, ports or table entries; null:
 * could not be read. The fields are declared once, in the doctor document's schema (doctor-schema.ts, where each
 * is described); in memory an unlimited open-files limit is `Infinity` (the document writes "unlimited").
 */
export type SystemLimits = Omit<Static<typeof DoctorLimitsSchema>, 'openFilesSoft' | 'openFilesHard'> & {
  /** Soft open-files limit of this process (fds); `Infinity` when unlimited. Node raises it to the hard one. */
  openFilesSoft: number | null;
  /** Hard open-files limit of this process (fds); only root can raise it, up to `nrOpen`; `Infinity` when unlimited. */
  openFilesHard: number | null;
};

// Read at once: a /proc file is a few microseconds to read, where fs/promises took four thread-pool trips per file
// (and its own load) on every run's way to its first connect.
function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function readInt(path: string): number | null {
  const text = readText(path);
  return text === null ? null : parseSysctlInt(text);
}

function openFdsOrNull(): number | null {
  try {
    return currentFdCount();
  } catch {
    return null;
  }
}

const CONNTRACK_COUNT = '/proc/sys/net/netfilter/nf_conntrack_count';

/** How long the loopback test below may take before it counts as one that could not run. */
const TRACKING_TEST_TIMEOUT_MS = 1000;

/**
 * Whether this network namespace tracks connections: make one connection to a listener on 127.0.0.1 in this
 * namespace, and read this namespace's nf_conntrack_count while it is open (it counts this namespace's entries
 * only). Meant for a count of 0: above 0 already says so. Both ends are closed with RST, so no TIME_WAIT is left.
 * Null when the test cannot run (loopback down, the count not readable), or when the connection does not complete
 * within a second and the count is still 0.
 */
export async function loopbackConnectionTracked(countPath: string = CONNTRACK_COUNT): Promise<boolean | null> {
  return new Promise((resolve) => {
    const sockets: Socket[] = [];
    let connected = false;
    let accepted = false;
    let settled = false;
    const server = createServer((s) => {
      sockets.push(s);
      s.on('error', () => undefined);
      accepted = true;
      check();
    });
    const finish = (tracked: boolean | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // A socket still connecting is only destroyed: resetAndDestroy would wait for a connect that may never come.
      for (const s of sockets) {
        if (s.connecting) s.destroy();
        else s.resetAndDestroy();
      }
      server.close();
      resolve(tracked);
    };
    // A connect that never completes (a rule dropping it) has still sent its SYN: a tracked one took an entry.
    const timer = setTimeout(() => {
      const count = readInt(countPath);
      finish(count !== null && count > 0 ? true : null);
    }, TRACKING_TEST_TIMEOUT_MS);
    let reading = false;
    function check(): void {
      if (!connected || !accepted || reading) return;
      reading = true;
      const count = readInt(countPath);
      finish(count === null ? null : count > 0);
    }
    server.on('error', () => finish(null));
    server.listen(0, '127.0.0.1', () => {
      const client = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port });
      sockets.push(client);
      client.on('error', () => finish(null));
      client.on('connect', () => {
        connected = true;
        check();
      });
    });
  });
}

/** Read every limit at once; never throws. */
export async function readSystemLimits(): Promise<SystemLimits> {
  const limitsText = readText('/proc/self/limits');
  const nrOpen = readInt('/proc/sys/fs/nr_open');
  const fileMax = readInt('/proc/sys/fs/file-max');
  const fileNrText = readText('/proc/sys/fs/file-nr');
  const rangeText = readText('/proc/sys/net/ipv4/ip_local_port_range');
  const reservedText = readText('/proc/sys/net/ipv4/ip_local_reserved_ports');
  const tcpTwReuse = readInt('/proc/sys/net/ipv4/tcp_tw_reuse');
  const somaxconn = readInt('/proc/sys/net/core/somaxconn');
  const tcpMaxSynBacklog = readInt('/proc/sys/net/ipv4/tcp_max_syn_backlog');
  const conntrackMax = readInt('/proc/sys/net/netfilter/nf_conntrack_max');
  const conntrackCount = readInt(CONNTRACK_COUNT);
  const sockstatText = readText('/proc/net/sockstat');
  const openFds = openFdsOrNull();
  const openFiles = limitsText === null ? null : parseOpenFilesLimit(limitsText);
  const localPortRange = rangeText === null ? null : parsePortRange(rangeText);
  const fileNr = fileNrText === null ? null : parseSysctlInts(fileNrText);
  // Only an empty table needs the test: entries in use already say this namespace tracks (conntrack-scope.ts).
  const conntrackTracksHere = conntrackMax !== null && conntrackCount === 0 ? await loopbackConnectionTracked() : null;
  return {
    openFilesSoft: openFiles?.soft ?? null,
    openFilesHard: openFiles?.hard ?? null,
    nrOpen,
    fileMax,
    filesAllocated: fileNr?.[0] ?? null,
    localPortRange,
    reservedPortsInRange:
      localPortRange === null || reservedText === null ? null : countReservedPortsInRange(reservedText, localPortRange),
    tcpTwReuse,
    somaxconn,
    tcpMaxSynBacklog,
    conntrackMax,
    conntrackCount,
    conntrackTracksHere,
    timeWaitSockets: sockstatText === null ? null : parseSockstatTimeWait(sockstatText),
    openFds,
  };
}
