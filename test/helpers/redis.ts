/**
 * A private redis-server for fleet tests: started on a free loopback port with nothing persisted, optionally with a
 * password, ACL users or TLS, and killed by PID when the test file is done. Tests that need it declare
 * NEEDS_REDIS (test/helpers/needs.ts): a visible skip where redis-server is missing, a failure on CI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll } from 'vitest';
import { need, type Need } from './needs.js';
import { freePort } from './ports.js';

export interface RedisServer {
  port: number;
  pid: number;
  /** redis:// (or rediss:// with TLS) URL for 127.0.0.1, with these credentials if given. */
  url(auth?: { user?: string; password: string }): string;
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  /** requirepass for the default user. */
  password?: string;
  /** Extra ACL users, as redis.conf `user` lines without the word "user" (e.g. "alice on >pw ~tcpprobe:* +@all"). */
  users?: string[];
  /** Serve TLS only (no plain port), with this certificate and key. */
  tls?: { certPath: string; keyPath: string };
}

/** What the fleet tests need: a redis-server of their own. */
export const NEEDS_REDIS: readonly Need[] = [need.command('redis-server'), need.command('openssl')];

/** One PING; any reply (PONG, or NOAUTH with a password set) means the server is up. */
function pingOnce(port: number, useTls: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = useTls
      ? tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false })
      : net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once(useTls ? 'secureConnect' : 'connect', () => socket.write('PING\r\n'));
    socket.once('data', (d: Buffer) => done(/^[+-]/.test(d.toString('latin1'))));
    socket.once('error', () => done(false));
  });
}

const running: ChildProcess[] = [];
afterAll(async () => {
  await Promise.all(running.splice(0).map((c) => stopChild(c)));
});

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = once(child, 'exit');
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/** Start redis-server on 127.0.0.1 and a free port; resolves once it answers PING. Stopped after the file. */
export async function startRedis(opts: RedisServerOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  // ::1 too, optional ("-"), since TLS tests connect to "localhost" (the name the test certificate is for).
  const args = ['--bind', '127.0.0.1', '-::1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'];
  if (opts.tls === undefined) args.push('--port', String(port));
  else {
    args.push('--port', '0', '--tls-port', String(port), '--tls-cert-file', opts.tls.certPath, '--tls-key-file', opts.tls.keyPath);
    args.push('--tls-auth-clients', 'no');
  }
  if (opts.password !== undefined) args.push('--requirepass', opts.password);
  // Each word of a user line is its own argument: redis-server joins them back into one config line.
  for (const u of opts.users ?? []) args.push('--user', ...u.split(/\s+/));
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let log = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (log = (log + d).slice(-4000)));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (log = (log + d).slice(-4000)));
  const spawned = await Promise.race([
    once(child, 'spawn').then(() => true),
    once(child, 'error').then(([e]) => {
      throw new Error(`cannot start redis-server: ${(e as Error).message}`);
    }),
  ]);
  if (!spawned || child.pid === undefined) throw new Error('redis-server did not start');
  const until = Date.now() + 10_000;
  while (!(await pingOnce(port, opts.tls !== undefined))) {
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}):\n${log}`);
    if (Date.now() > until) throw new Error(`redis-server did not answer PING within 10 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const scheme = opts.tls === undefined ? 'redis' : 'rediss';
  const host = opts.tls === undefined ? '127.0.0.1' : 'localhost';
  return {
    port,
    pid: child.pid,
    url(auth) {
      const cred = auth === undefined ? '' : `${encodeURIComponent(auth.user ?? '')}:${encodeURIComponent(auth.password)}@`;
      return `${scheme}://${cred}${host}:${port}/0`;
    },
    stop: () => stopChild(child),
  };
}
