/**
 * What the bench reads about a process tree from /proc: the process and all its descendants, their resident
 * memory and their CPU time (utime + stime). Linux only.
 *
 * A tree's memory counts what is shared once: every process maps the same node binary and modules (about 42 MB of
 * file pages resident in each, measured), so summed VmRSS counts that 42 MB once per process (2.1 GB over the 51
 * processes of a million connections) although the machine holds it once. The tree's memory is its processes'
 * own pages (RssAnon + RssShmem) summed, plus the file pages of the process with the most; `rssSum` keeps the plain
 * sum for comparison.
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

/** One process's resident memory in bytes: its own pages, file pages, and VmRSS; zeros when it is gone. */
export function residentBytes(pid) {
  const status = readOr(`/proc/${pid}/status`, '');
  const kb = (field) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return m === null ? 0 : Number(m[1]) * 1024;
  };
  return { own: kb('RssAnon') + kb('RssShmem'), file: kb('RssFile'), rss: kb('VmRSS') };
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

/**
 * The tree rooted at `pid`: its memory in bytes (shared file pages once, see above), summed VmRSS, CPU seconds, and
 * how many processes it has.
 */
export function sampleTree(pid) {
  const pids = processTree(pid);
  let own = 0;
  let file = 0;
  let rssSum = 0;
  let cpu = 0;
  for (const p of pids) {
    const m = residentBytes(p);
    own += m.own;
    file = Math.max(file, m.file);
    rssSum += m.rss;
    cpu += cpuSeconds(p);
  }
  return { rss: own + file, rssSum, cpu, processes: pids.length };
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
