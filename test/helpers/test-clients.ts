/**
 * Plain test clients for the built-in target's own tests: each records what happened to it, and every client is
 * reset after each test (RST, not FIN, so no TIME_WAIT is left behind; a socket still connecting has nothing to
 * reset, and one that called end() cannot be reset while its shutdown is pending).
 */
import net from 'node:net';
import { afterEach } from 'vitest';

export const GREETING = '+OK hello\r\n';

/** A test client and what happened to it so far. */
export interface Client {
  socket: net.Socket;
  connected: boolean;
  data: string;
  ended: boolean;
  /** When 'end' came (the server's FIN), as performance.now() read it; null before. */
  endedAt: number | null;
  errorCode: string | null;
}

/** A port on 127.0.0.1, or a host and port. */
export type Endpoint = number | { host: string; port: number };

const clients: Client[] = [];

afterEach(() => {
  for (const c of clients) {
    if (c.socket.destroyed) continue;
    if (c.connected && !c.socket.writableEnded) c.socket.resetAndDestroy();
    else c.socket.destroy();
  }
  clients.length = 0;
});

export function connect(to: Endpoint): Client {
  const { host, port } = typeof to === 'number' ? { host: '127.0.0.1', port: to } : to;
  const socket = net.connect({ host, port });
  const c: Client = { socket, connected: false, data: '', ended: false, endedAt: null, errorCode: null };
  socket.setEncoding('utf8');
  socket.on('connect', () => (c.connected = true));
  socket.on('data', (chunk: string) => (c.data += chunk));
  socket.on('end', () => {
    c.ended = true;
    c.endedAt = performance.now();
  });
  socket.on('error', (e: NodeJS.ErrnoException) => (c.errorCode = e.code ?? e.message));
  clients.push(c);
  return c;
}

/** Connect and wait until the connect finished either way, or `timeoutMs` passed (then it is still pending). */
export async function connectSettled(to: Endpoint, timeoutMs = 5000): Promise<Client> {
  const c = connect(to);
  await waitFor(() => c.connected || c.errorCode !== null, 'the connect to finish', timeoutMs).catch(() => {});
  return c;
}

/** Open `n` connections in parallel; resolves when all connected, and, with `greeting`, all were greeted. */
export async function connectMany(to: Endpoint, n: number, greeting: string | null = GREETING): Promise<Client[]> {
  const batch = Array.from({ length: n }, () => connect(to));
  await waitFor(() => batch.every((c) => c.connected && (greeting === null || c.data === greeting)), `${n} clients`);
  return batch;
}

/** One after the other, each greeted before the next starts, so the server sees (and admits) them in order. */
export async function connectInOrder(to: Endpoint, n: number): Promise<Client[]> {
  const out: Client[] = [];
  for (let i = 0; i < n; i++) out.push(...(await connectMany(to, 1)));
  return out;
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
