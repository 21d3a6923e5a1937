/**
 * Worker-thread entry for the target server's 'ignore' mode; started by startIgnoreWorker() in
 * src/server/ignore-worker-host.ts, never imported.
 *
 * Node has no public way to stop calling accept() on a listening socket while keeping it open (readStop() on a
 * listening handle does nothing, and a net.Server cannot be handed to a child process through spawn's stdio). So
 * the listener runs here, and when it fills the cap this thread blocks its own event loop with Atomics.wait: libuv
 * no longer accepts, the kernel's accept queue fills (backlog + 1 connections on Linux), and later SYNs are dropped,
 * just as with a real server whose accept loop is stuck. The main thread's close() wakes it; then it tears down.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CappedListener } from './target-server.js';
import {
  type IgnoreWorkerCommand,
  type IgnoreWorkerData,
  type IgnoreWorkerMessage,
} from './ignore-worker-host.js';
import { isSystemError } from '../errors.js';

/** How often stats go to the main thread while this thread still runs (they go at once before blocking). */
const STATS_INTERVAL_MS = 50;

if (parentPort === null) throw new Error('ignore-worker.ts runs only as a worker thread');
const port = parentPort;
const data = workerData as IgnoreWorkerData;
const wake = new Int32Array(data.wake);
let listener: CappedListener | null = null;
let statsTimer: NodeJS.Timeout | null = null;
let shuttingDown = false;

function post(message: IgnoreWorkerMessage): void {
  port.postMessage(message);
}

/** Called in the accept callback that fills the cap: report, then stop this thread until close() is asked for. */
function blockAtCap(atCap: CappedListener): void {
  post({ kind: 'stats', stats: { ...atCap.stats(), accepting: false } });
  // Returns at once if close() came first (the value is already 1).
  Atomics.wait(wake, 0, 0);
  void shutdown();
}

async function shutdown(): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  if (statsTimer !== null) clearInterval(statsTimer);
  await listener?.close();
  post({ kind: 'closed' });
  port.close(); // nothing else keeps this thread alive, so it exits
}

port.on('message', (command: IgnoreWorkerCommand) => {
  if (command.kind === 'close') void shutdown();
});

// Only ignore mode with a cap goes deaf at the cap; other modes run here just to have a thread of their own.
const ignoreAtCap = data.options.overLimit === 'ignore' && data.options.maxConns !== null;
const started = new CappedListener(data.options, ignoreAtCap ? blockAtCap : null);

// A function, not top-level await: the single-file executable runs this thread from a CommonJS bundle.
async function start(): Promise<void> {
  try {
    await started.listen();
    listener = started;
    post({ kind: 'listening', host: started.host, port: started.port, stats: started.stats() });
    statsTimer = setInterval(() => {
      if (!shuttingDown && listener !== null) post({ kind: 'stats', stats: listener.stats() });
    }, STATS_INTERVAL_MS);
  } catch (e) {
    post({ kind: 'failed', message: e instanceof Error ? e.message : String(e), code: isSystemError(e) ? (e.code ?? null) : null });
    port.close();
  }
}

void start();
