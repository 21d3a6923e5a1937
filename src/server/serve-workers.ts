/**
 * The worker processes of `tcpprobe serve --workers N`, as the primary (src/server/multi-process.ts) sees them:
 * forking them, waiting until each is ready, and stopping them in order (or by PID when they do not).
 */
import type { EngineName } from '../types/pool-config.js';
import { compiledEntry } from '../compiled-entry.js';
import { once } from 'node:events';
import { fork, type ChildProcess } from 'node:child_process';
import type { FromServeWorker, ServeWorkerSettings, ToServeWorker } from './serve-protocol.js';
import { childEntry } from '../single-file.js';

/** How long workers get to start and to stop before they are killed (by PID). */
const WORKER_START_TIMEOUT_MS = 10_000;
const WORKER_STOP_TIMEOUT_MS = 5_000;

/**
 * One worker process and what the primary knows of it. Its admitted connections are the ledger's
 * (admission-ledger.ts); `listening`, `full` and `unlistenPending` change only in shared-listener.ts.
 */
export interface WorkerSlot {
  name: string;
  child: ChildProcess;
  alive: boolean;
  /** It holds a copy of the listening socket (given, and not closed by `unlisten` or at its limit). */
  listening: boolean;
  /** It stopped accepting at its open-files limit and has not reported room since. */
  full: boolean;
  /** The generation of an `unlisten` it has not confirmed yet, if any. */
  unlistenPending: number | null;
  /** Whose sockets hold its connections, as it said when ready; null before. */
  engine: EngineName | null;
}

export interface WorkerEvents {
  /** Every message from the worker, with the handle it carried (a listening socket lent back), if any. */
  message(slot: WorkerSlot, msg: FromServeWorker, handle: unknown): void;
  exit(slot: WorkerSlot): void;
}

/** The compiled worker entry (src/compiled-entry.ts). */
function workerEntry(): string {
  return compiledEntry(import.meta.url, 'serve-worker-main.js', 'serve worker entry');
}

/**
 * Fork `count` workers into `slots` (pushed as they start, so the caller can stop them whatever happens) and
 * resolve once every one has said it is ready.
 * @throws when one exits first, or WORKER_START_TIMEOUT_MS passes.
 */
export async function spawnServeWorkers(
  slots: WorkerSlot[],
  count: number,
  settings: ServeWorkerSettings,
  events: WorkerEvents,
): Promise<void> {
  const entry = childEntry('serveWorker', workerEntry, []);
  const ready: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const child = fork(entry.modulePath, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: entry.execArgv, env: entry.env });
    const slot: WorkerSlot = {
      name: `serve-worker-${i + 1}`,
      child,
      alive: true,
      listening: false,
      full: false,
      unlistenPending: null,
      engine: null,
    };
    slots.push(slot);
    // A socket handed over from a listener the primary then closes makes Node ask each child to report when it
    // holds none, one listener per close until then; a few of those are expected, not a leak worth a warning.
    child.setMaxListeners(0);
    child.on('message', (msg: FromServeWorker, handle: unknown) => events.message(slot, msg, handle));
    child.on('exit', () => events.exit(slot));
    child.on('error', () => undefined); // a send to a dying child; 'exit' does the accounting
    ready.push(
      new Promise<void>((resolve, reject) => {
        const onMessage = (msg: FromServeWorker): void => {
          if (msg.kind !== 'ready') return;
          slot.engine = msg.engine;
          child.off('message', onMessage);
          child.off('exit', onExit);
          resolve();
        };
        const onExit = (): void => reject(new Error(`${slot.name} exited before it was ready`));
        child.on('message', onMessage);
        child.once('exit', onExit);
      }),
    );
    child.send({ kind: 'start', settings } satisfies ToServeWorker);
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`serve workers did not start within ${WORKER_START_TIMEOUT_MS} ms`)),
      WORKER_START_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([Promise.all(ready), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Ask a worker to reset everything and exit; kill it by PID if it does not within WORKER_STOP_TIMEOUT_MS. */
export async function stopServeWorker(slot: WorkerSlot): Promise<void> {
  const child = slot.child;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  if (child.connected) child.send({ kind: 'stop' } satisfies ToServeWorker);
  else child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), WORKER_STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * Send `msg` to a live worker. One that is exiting can still look connected: its channel then fails with EPIPE,
 * which without a callback is an 'error' on the child and ends this process. Its exit is handled where it is seen.
 */
export function sendToWorker(slot: WorkerSlot, msg: ToServeWorker): void {
  if (slot.alive && slot.child.connected) slot.child.send(msg, (err) => void err);
}
