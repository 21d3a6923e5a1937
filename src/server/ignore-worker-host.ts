/**
 * The host side of the target server's 'ignore' mode: the listener runs in a worker thread
 * (src/server/ignore-worker.ts), which blocks its own event loop at the cap so the kernel's accept queue fills;
 * this thread starts it, relays its stats, and wakes and stops it on close(). startTargetServer() in
 * target-server.ts starts it (also for `ownThread` in any mode).
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { TargetServer, TargetServerOptions } from './target-server.js';
import type { TargetServerStats } from './target-stats.js';
import { isSingleFile, singleFileAsset } from '../single-file.js';

/** What the ignore worker is started with. */
export interface IgnoreWorkerData {
  options: TargetServerOptions;
  /** One Int32: 0 while the server runs, 1 once close() was asked for; the worker blocks on it at the cap. */
  wake: SharedArrayBuffer;
}

/** Messages from the ignore worker. */
export type IgnoreWorkerMessage =
  | { kind: 'listening'; host: string; port: number; stats: TargetServerStats }
  | { kind: 'failed'; message: string; code: string | null }
  | { kind: 'stats'; stats: TargetServerStats }
  | { kind: 'closed' };

/** Messages to the ignore worker. */
export type IgnoreWorkerCommand = { kind: 'close' };

/**
 * Where the compiled worker module is. From dist/ it is the sibling ignore-worker.js. Under vitest this module
 * runs from src/server/*.ts, where no .js sibling exists and Node 20 cannot run TypeScript in a Worker (vitest's
 * transform does not reach worker threads), so we take the compiled copy in dist/server/; the test command builds
 * before it runs vitest. Either way the worker and the CappedListener it runs come from the same build.
 */
/** The asset of the single-file executable that holds the bundled ignore-worker (scripts/build-sea.mjs). */
export const IGNORE_WORKER_ASSET = 'ignore-worker.cjs';

function ignoreWorkerUrl(): URL {
  const sibling = new URL('./ignore-worker.js', import.meta.url);
  if (existsSync(sibling)) return sibling;
  const compiled = new URL('../../dist/server/ignore-worker.js', import.meta.url);
  if (import.meta.url.endsWith('.ts') && existsSync(compiled)) return compiled;
  throw new Error(`ignore mode needs the compiled worker at ${sibling.pathname} (run "npm run build")`);
}

export async function startIgnoreWorker(options: TargetServerOptions): Promise<TargetServer> {
  const data: IgnoreWorkerData = { options, wake: new SharedArrayBuffer(4) };
  // The single-file executable has no script beside it: the thread runs the bundled copy the binary carries.
  const worker = isSingleFile()
    ? new Worker(singleFileAsset(IGNORE_WORKER_ASSET), { eval: true, workerData: data })
    : new Worker(ignoreWorkerUrl(), { workerData: data });
  let onExit: ((code: number) => void) | null = null;
  let onError: ((e: Error) => void) | null = null;
  const first = await new Promise<IgnoreWorkerMessage>((resolve, reject) => {
    onError = reject;
    onExit = (code) => reject(new Error(`the ignore-mode worker exited (code ${code}) before listening`));
    worker.once('message', resolve);
    worker.once('error', onError);
    worker.once('exit', onExit);
  }).finally(() => {
    // Only ours: removeAllListeners() would also strip Node's own, and the port would stop delivering messages.
    if (onError !== null) worker.off('error', onError);
    if (onExit !== null) worker.off('exit', onExit);
  });
  if (first.kind === 'listening') return new IgnoreWorkerServer(worker, data.wake, first.host, first.port, first.stats);
  await worker.terminate();
  const message = first.kind === 'failed' ? first.message : `unexpected message "${first.kind}" from the worker`;
  const error = new Error(`cannot start the ignore-mode target: ${message}`) as Error & { code?: string };
  if (first.kind === 'failed' && first.code !== null) error.code = first.code;
  throw error;
}

/** This thread's handle on the ignore worker: relays stats, and wakes and stops the worker on close(). */
class IgnoreWorkerServer implements TargetServer {
  private last: TargetServerStats;
  private closing: Promise<void> | null = null;
  private readonly finished: Promise<void>;

  constructor(
    private readonly worker: Worker,
    private readonly wake: SharedArrayBuffer,
    readonly host: string,
    readonly port: number,
    stats: TargetServerStats,
  ) {
    this.last = stats;
    this.finished = new Promise<void>((resolve) => {
      worker.on('message', (m: IgnoreWorkerMessage) => {
        if (m.kind === 'stats') this.last = m.stats;
        else if (m.kind === 'closed') resolve();
      });
      // An 'error' with no listener would be thrown in this thread; a dead worker just stops accepting.
      worker.on('error', () => {});
      worker.on('exit', () => {
        this.last = { ...this.last, accepting: false };
        resolve();
      });
    });
  }

  stats(): TargetServerStats {
    return { ...this.last };
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const flag = new Int32Array(this.wake);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0); // wakes the worker if it is blocked at the cap
    const command: IgnoreWorkerCommand = { kind: 'close' };
    this.worker.postMessage(command); // stops it if it is not
    await this.finished;
    await this.worker.terminate();
    this.last = { ...this.last, open: 0, accepting: false };
  }
}
