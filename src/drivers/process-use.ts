/**
 * What a participant's processes use of their machine: CPU time, resident memory, open files. Each process
 * samples its own (only it can read them cheaply); a participant adds what its worker processes reported, so an
 * agent's telemetry speaks for every process holding its share. The controller reads these to tell whether the
 * load machines, not the server, bounded the run.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { ProcessUse } from '../types/participant-protocol.js';
import { currentFdCount } from '../preflight/fd-count.js';

/**
 * Returns this process's use since the sampler was made (an agent lives for many runs: each participant counts
 * its own). The open files are counted (preflight/fd-count.ts) and the memory read at each call: keep calls rare.
 * `fdLimit`: the open-files limit it runs under, which it has reached when no descriptor is left to count with.
 */
export function createOwnUseSampler(fdLimit: number | null): () => ProcessUse {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const startRssBytes = process.memoryUsage.rss(); // made before the run's sockets: a descriptor is free
  let peakRssBytes = startRssBytes;
  let peakOpenFds: number | null = null;
  const sched0 = schedNs();
  let demandNs: number | null = null;
  return () => {
    const sched = schedNs();
    if (sched0 !== null && sched !== null) demandNs = sched - sched0;
    try {
      const fds = currentFdCount();
      if (fds !== null) peakOpenFds = Math.max(peakOpenFds ?? 0, fds);
    } catch (e) {
      // No descriptor left to read it with: every one up to the open-files limit is open. No /proc: unknown.
      if ((e as NodeJS.ErrnoException).code === 'EMFILE' && fdLimit !== null) peakOpenFds = Math.max(peakOpenFds ?? 0, fdLimit);
    }
    try {
      peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
    } catch {
      // Node reads it from /proc/self/stat, which takes a descriptor too. At the limit, getrusage's peak needs none:
      // the process's lifetime peak, so for a process that ran bigger runs before, an upper bound.
      peakRssBytes = Math.max(peakRssBytes, process.resourceUsage().maxRSS * 1024);
    }
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
    const wallMs = Math.max(1, Math.round(performance.now() - t0));
    const busiestDemand = demandNs === null ? null : roundShare(demandNs / 1e6 / wallMs);
    return { processes: 1, cpuMs, wallMs, busiestCpu: roundShare(cpuMs / wallMs), busiestDemand, startRssBytes, peakRssBytes, peakOpenFds };
  };
}

/**
 * The main thread's time on a CPU plus its time runnable but waiting for one (/proc/self/schedstat), in ns: what
 * it wanted of a core, which on a machine too loaded to give it one is more than it got. Null: no schedstat, or
 * no descriptor left to read it with.
 */
function schedNs(): number | null {
  try {
    const [run, wait] = readFileSync('/proc/self/schedstat', 'utf8').split(' ').map(Number);
    return run === undefined || wait === undefined || !Number.isFinite(run + wait) ? null : run + wait;
  } catch {
    return null;
  }
}

function roundShare(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * Several processes' use as one: CPU time, memory and open files summed (each process's own peak: an upper
 * bound of the peak of the sum), the busiest process and the longest wall time kept. Open files are unknown
 * (null) when any process could not tell. Null for no process.
 */
export function combineUse(parts: readonly ProcessUse[]): ProcessUse | null {
  if (parts.length === 0) return null;
  const sum = (f: (u: ProcessUse) => number): number => parts.reduce((s, u) => s + f(u), 0);
  const fds = parts.map((u) => u.peakOpenFds);
  const demands = parts.flatMap((u) => (u.busiestDemand === null ? [] : [u.busiestDemand]));
  return {
    processes: sum((u) => u.processes),
    cpuMs: sum((u) => u.cpuMs),
    wallMs: Math.max(...parts.map((u) => u.wallMs)),
    busiestCpu: Math.max(...parts.map((u) => u.busiestCpu)),
    busiestDemand: demands.length === 0 ? null : Math.max(...demands),
    startRssBytes: sum((u) => u.startRssBytes),
    peakRssBytes: sum((u) => u.peakRssBytes),
    peakOpenFds: fds.some((n) => n === null) ? null : fds.reduce<number>((s, n) => s + (n ?? 0), 0),
  };
}
