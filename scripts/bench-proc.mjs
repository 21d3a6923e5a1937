/**
 * What the bench reads about a process tree from /proc: the process and all its descendants, their resident
 * memory (VmRSS) and their CPU time (utime + stime). Linux only.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second for /proc/<pid>/stat times; 100 on every Linux the bench runs on (getconf CLK_TCK). */
const CLOCK_TICKS_PER_SEC = 100;

function readOr(path, fallback) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

/** `pid` and every live descendant (children of every thread, recursively). */
export function processTree(pid) {
  const out = [];
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop();
    out.push(p);
    let tasks;
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue; // gone meanwhile
    }
    for (const t of tasks) {
      for (const child of readOr(`/proc/${p}/task/${t}/children`, '').split(' ')) {
        if (child.trim() !== '') stack.push(Number(child));
      }
    }
  }
  return out;
}

/** Resident set size of one process in bytes; 0 when it is gone. */
export function rssBytes(pid) {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readOr(`/proc/${pid}/status`, ''));
  return m === null ? 0 : Number(m[1]) * 1024;
}

/** CPU seconds (user + system) one live process used so far; 0 when it is gone. */
export function cpuSeconds(pid) {
  const stat = readOr(`/proc/${pid}/stat`, '');
  // The command name (field 2) may hold spaces and parentheses: count fields from the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so utime (field 14) is rest[11] and stime (field 15) rest[12].
  const ticks = Number(rest[11] ?? 0) + Number(rest[12] ?? 0);
  return Number.isFinite(ticks) ? ticks / CLOCK_TICKS_PER_SEC : 0;
}

/** Summed RSS (bytes) and CPU (seconds) over the tree rooted at `pid`, and how many processes it has. */
export function sampleTree(pid) {
  const pids = processTree(pid);
  let rss = 0;
  let cpu = 0;
  for (const p of pids) {
    rss += rssBytes(p);
    cpu += cpuSeconds(p);
  }
  return { rss, cpu, processes: pids.length };
}

/** Kernel TCP counters a bench run reads (this network namespace's), by the names nstat prints. */
export const TCP_COUNTERS = ['TcpExtListenOverflows', 'TcpExtListenDrops', 'TcpExtTCPReqQFullDrop', 'TcpExtTCPSynRetrans', 'TcpRetransSegs'];

/**
 * The namespace's TCP counters from /proc/net/netstat and /proc/net/snmp (header line, value line per group),
 * named as nstat names them (`TcpExt` + field); only those in TCP_COUNTERS.
 */
export function tcpCounters() {
  const out = {};
  for (const file of ['/proc/net/netstat', '/proc/net/snmp']) {
    const lines = readOr(file, '').split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const [group, ...names] = lines[i].trim().split(/\s+/);
      const values = lines[i + 1].trim().split(/\s+/).slice(1);
      names.forEach((name, j) => {
        const key = `${group.replace(/:$/, '')}${name}`;
        if (TCP_COUNTERS.includes(key)) out[key] = Number(values[j]);
      });
    }
  }
  return out;
}
