/**
 * The truth about a server's connections as the kernel counts them, read with `ss` (iproute2): every ESTABLISHED
 * socket whose local end is the server's address and port, whether the server accepted it or it still waits in
 * the accept queue. A handshake the client believes done but the server dropped (its final ACK lost to a full
 * queue) is not there. Tests that use it declare NEEDS_SS (test/helpers/needs.ts).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { onTestFinished } from 'vitest';
import { need, type Need } from './needs.js';

const run = promisify(execFile);

/** What a test that reads the kernel's count needs. */
export const NEEDS_SS: Need = need.command('ss', 'iproute2');

/** One reading of a server's connections. */
export interface ServerCount {
  /** Server-side ESTABLISHED connections. */
  total: number;
  /**
   * Of those, how many each process holds, by PID: only when asked for (`ss -p`, which reads every process's fds).
   * A connection still in the accept queue belongs to no process yet.
   */
  byPid: Map<number, number>;
}

/** The server side's ESTABLISHED connections on host:port now. Rejects when `ss` fails. */
export async function serverCount(port: number, host = '127.0.0.1', byProcess = false): Promise<ServerCount> {
  const args = ['-tnH', ...(byProcess ? ['-p'] : []), 'state', 'established', 'src', `${host}:${port}`];
  const { stdout } = await run('ss', args, { timeout: 10_000, maxBuffer: 64 * 1024 * 1024 });
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  const byPid = new Map<number, number>();
  for (const line of byProcess ? lines : []) {
    const pid = /pid=(\d+)/.exec(line)?.[1];
    if (pid !== undefined) byPid.set(Number(pid), (byPid.get(Number(pid)) ?? 0) + 1);
  }
  return { total: lines.length, byPid };
}

/** The reading with the most connections (the first of equals); throws on none. */
export function peakOf(samples: readonly ServerCount[]): ServerCount {
  if (samples.length === 0) throw new Error('no reading of the server was taken');
  return samples.reduce((best, s) => (s.total > best.total ? s : best));
}

/** A sampler started with sampleServerCount(). */
export interface ServerCountSampler {
  /** Stop sampling; resolves with every reading, in order (rejects when a reading failed). */
  stop(): Promise<ServerCount[]>;
}

/**
 * Read serverCount() every `intervalMs` (one read at a time) until stop(). For a count that holds still longer
 * than the interval (a plateau, a hold), peakOf() the readings is the server's peak. Call it inside a test:
 * sampling also stops when the test finishes.
 */
export function sampleServerCount(port: number, { host = '127.0.0.1', intervalMs = 100 }: { host?: string; intervalMs?: number } = {}): ServerCountSampler {
  const seen: ServerCount[] = [];
  let running = true;
  // Caught here and thrown by stop(), so a test that fails before it stops sampling leaves no unhandled rejection.
  const loop = (async (): Promise<unknown> => {
    try {
      while (running) {
        seen.push(await serverCount(port, host));
        await new Promise((r) => setTimeout(r, intervalMs));
      }
      return null;
    } catch (e) {
      return e;
    }
  })();
  onTestFinished(() => {
    running = false;
  });
  return {
    async stop() {
      running = false;
      const failed = await loop;
      if (failed !== null) throw failed;
      return seen;
    },
  };
}
