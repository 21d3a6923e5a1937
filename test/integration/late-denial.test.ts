/**
 * A server that turns connections away late: at its cap it accepts, and closes the new connection only 400 ms
 * later (well past --settle), as a multi-process target does when its admission round trip is slow on a loaded
 * machine. Those connections were counted held for a moment but were never held together with the rest: the
 * number must be the server's own count of connections it kept, not the peak with them in it.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import type { RampResult } from '../../src/metrics/result.js';

const CAP = 300;
const DENY_AFTER_MS = 400;

interface LateDenier {
  port: number;
  /** The most connections the server kept open at once (denied ones not counted). */
  peakKept: number;
  denied: number;
  close(): Promise<void>;
}

async function startLateDenier(): Promise<LateDenier> {
  let kept = 0;
  const state = { peakKept: 0, denied: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    if (kept >= CAP) {
      state.denied++;
      setTimeout(() => socket.destroy(), DENY_AFTER_MS);
      return;
    }
    kept++;
    state.peakKept = Math.max(state.peakKept, kept);
    socket.on('close', () => kept--);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get peakKept() {
      return state.peakKept;
    },
    get denied() {
      return state.denied;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let server: LateDenier | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('a server that denies late, past --settle', () => {
  it('reports what the server kept, not the peak with the late-denied connections in it', async () => {
    server = await startLateDenier();
    const run = await runCli(['ramp', '--host', '127.0.0.1', '--port', String(server.port), '--json', '-q'], { timeoutMs: 60_000 });
    const result = JSON.parse(run.stdout) as RampResult;
    expect(server.denied).toBeGreaterThan(0);
    // The late denials were seen as held connections closed by the server, ones started after the pause...
    expect(result.counters.heldLost).toBeGreaterThan(0);
    expect(result.counters.heldLostSincePause).toBeGreaterThan(0);
    // ...so the peak counted them, and the number does not.
    expect(result.counters.peakHeld).toBeGreaterThan(server.peakKept);
    expect(result.maxConcurrency).toBe(server.peakKept);
    expect(result.verdict.kind).toBe('limit-by-failure');
    expect(run.code).toBe(0);
  });
});

/**
 * A server that, once full, turns new connections away at once and for a while closes some it held, whether or not
 * anything new arrives (as one that fell behind a fast ramp does with what waited in its accept queue). Closes that
 * new connects do not cause are no eviction: the low-rate confirmation waits for them to pass before its connects.
 */
async function startClosesAfterFull(): Promise<{ port: number; closedHeld: number; close(): Promise<void> }> {
  const held: net.Socket[] = [];
  const sockets = new Set<net.Socket>();
  const state = { closedHeld: 0, full: false };
  let timer: NodeJS.Timeout | null = null;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    if (held.length < CAP) {
      held.push(socket);
      return;
    }
    socket.destroy();
    if (state.full) return;
    state.full = true;
    // Every 10 ms for 300 ms: close one of the first ones held (on the client's side long since held too).
    let left = 30;
    timer = setInterval(() => {
      held.shift()?.destroy();
      state.closedHeld++;
      if (--left === 0 && timer !== null) clearInterval(timer);
    }, 10);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get closedHeld() {
      return state.closedHeld;
    },
    close: async () => {
      if (timer !== null) clearInterval(timer);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('a server that closes held connections for a while once full, new ones or not', () => {
  it('is confirmed at a low rate once those closes pass, not measured one connection at a time as evicting', async () => {
    const target = await startClosesAfterFull();
    try {
      const run = await runCli(['ramp', '--host', '127.0.0.1', '--port', String(target.port), '--hold', '200ms', '--json', '-q'], {
        timeoutMs: 60_000,
      });
      const result = JSON.parse(run.stdout) as RampResult;
      expect(target.closedHeld).toBe(30);
      expect(result.counters.heldLost).toBeGreaterThan(0);
      const phases = (result.phases ?? []).map((p) => p.phase);
      expect(phases).toContain('low-rate-confirm');
      expect(phases).not.toContain('eviction-measure');
      expect(result.verdict.kind).toBe('limit-by-failure');
      expect(run.code).toBe(0);
    } finally {
      await target.close();
    }
  });
});
