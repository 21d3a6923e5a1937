/**
 * Readying a process for many sockets: what a process that opens, holds or accepts thousands of them sets up once,
 * before its first, by what it is (its role). Each role's entry calls `readyForManySockets` once; every step is
 * idempotent, so a second call (a library running several ramps, an audit's targets) adds nothing.
 *
 * - The fd table, every role: grown to the open-files limit at once, on a thread of the native core, rather than
 *   doubling by doubling during the ramp, where in a process with threads each doubling waits for an RCU grace
 *   period (native/tcpcore.c, reserve_fd_table; docs/native-engine.md). It returns at once: a socket that needs a
 *   slot past the old table meanwhile waits in the kernel for the new one. Without the addon the table grows as
 *   before.
 * - Room for hdr's encoding module, in a run that may decode while it is at its open-files limit (no module file
 *   can be opened there any more; client-limits.test.ts): a growing run merges its worker processes' telemetry
 *   while it holds connections itself, and keeps one fd for the module's load. Encoding loads nothing
 *   (metrics/histogram.ts), so a worker process or an agent, which encode their telemetry while holding, need no
 *   room.
 * - V8's memory settings, in a process that holds connections: see `holdingMemory` (figures in
 *   docs/performance.md).
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { keepRoomForEncoding } from '../metrics/histogram.js';
import { loadAddon } from './native-addon.js';

/**
 * What a process does with its sockets:
 * - `run`: a ramp or hold (the CLI's, the library's, an audit's) whose connections this process holds itself,
 *   alone or the first of a growing ramp's (setup/run-setup.ts, createDriver);
 * - `worker`: a worker process, which only holds connections and reports (drivers/worker-main.ts);
 * - `agent`: a fleet agent, which reports its share while it or its worker processes hold it (fleet/agent.ts);
 * - `serve`: the built-in target, in one process or one worker process of `serve --workers N` (server/).
 */
export type ProcessRole = 'run' | 'worker' | 'agent' | 'serve';

/** A full garbage collection of this process. */
export type FullGc = () => void;

/**
 * The V8 flags a run sets in its own process (holdingMemory, exposeGc). The bin's build sets them back to V8's
 * defaults before it writes the code cache of a run (scripts/build-bin.mjs): V8 rejects a cache made under flags
 * other than the reading process's.
 */
export const RUN_V8_FLAGS = {
  semiSpaceGrowth: '--semi-space-growth-factor=1',
  compactEveryFullGc: '--compact-on-every-full-gc',
  exposeGc: '--expose-gc',
} as const;

/**
 * Ready this process for many sockets as `role` needs (see above). Call it before the first socket.
 * @returns the full collection the settle collection may run here (drivers/settle-gc.ts): exposed at run time for
 *   a run, the global one where the process was started with --expose-gc (a worker process); null where none
 */
export function readyForManySockets(role: ProcessRole): FullGc | null {
  growFdTable();
  switch (role) {
    case 'run':
      keepRoomForEncoding();
      return holdingMemory(true);
    case 'worker':
      return holdingMemory(false);
    case 'agent':
      return globalGc();
    case 'serve':
      return null;
  }
}

/**
 * Start growing the fd table now (once per process: later calls do nothing), and nothing else: for what comes
 * before a role is known, or outside of one. A socket command starts it before the CLI's modules load
 * (cli/early-start.ts), the JS engine's transport when it is made, as the native core does when its first Core is
 * (so a pool made by itself gets it too). False when the addon is not here (the table then grows as before);
 * `fdTableReady()` (native-addon.ts) says when it has grown.
 */
export function growFdTable(): boolean {
  const addon = loadAddon();
  if (typeof addon === 'string' || typeof addon.reserveFdTable !== 'function') return false;
  addon.reserveFdTable();
  return true;
}

/**
 * V8's settings for a process that holds connections. Every full collection compacts the old generation: V8's own
 * heuristics rarely compact a heap this full of live sockets, so the pages a ramp's garbage took stay resident;
 * compacting (during the ramp and in the settle collection) is what lets them go. Set at run time rather than as a
 * command-line flag: should a future V8 drop the flag, this prints a warning instead of stopping the process.
 *
 * `ownProcess`: the process was started by the user's `node` (a run), not with WORKER_EXEC_ARGV
 * (drivers/worker-group.ts). It then also gets what worker processes get from those flags, as far as V8 takes it
 * once running: `--max-semi-space-size` is read only when the heap is set up, so set here it changes nothing
 * (measured); `--semi-space-growth-factor=1` keeps the young generation at its start size instead. With compaction
 * and the settle collection, RSS per held connection went from 4.9 KB to 1.9 KB in one process.
 * @returns the process's full collection: its own under --expose-gc, else one exposed now (`ownProcess` only)
 */
function holdingMemory(ownProcess: boolean): FullGc | null {
  if (ownProcess) v8.setFlagsFromString(RUN_V8_FLAGS.semiSpaceGrowth);
  v8.setFlagsFromString(RUN_V8_FLAGS.compactEveryFullGc);
  return ownProcess ? exposeGc() : globalGc();
}

/** The global `gc` of a process started with --expose-gc; null without. */
function globalGc(): FullGc | null {
  const global = (globalThis as { gc?: unknown }).gc;
  return typeof global === 'function' ? (global as FullGc) : null;
}

/**
 * This process's full collection: the global one under --expose-gc, else one exposed now (V8 installs `gc` in
 * contexts made after the flag is set, so a new vm context has it); null if neither works, and then the settle
 * collection is skipped, nothing else changes.
 */
export function exposeGc(): FullGc | null {
  const global = globalGc();
  if (global !== null) return global;
  try {
    v8.setFlagsFromString(RUN_V8_FLAGS.exposeGc);
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as FullGc) : null;
  } catch {
    return null;
  }
}
