/**
 * nginx as a bench target (the nginx10k case, issue 25): one foreground process (`master_process off`, so one PID
 * to stop and no orphaned workers), its config, pid and logs in a temp dir, HTTP on a loopback port. Configured
 * as test/helpers/real-servers.ts configures it for the conformance suite, with room for the bench's count:
 * worker_connections above it and the listen backlog of the bench's own target. In single-process mode nginx
 * keeps the open-files limit it inherits (worker_rlimit_nofile applies to worker processes only), so the runner's
 * limit must exceed the count; the bench machines have 20,000. Where nginx is missing, bench.mjs skips the case
 * (scripts/bench-cases.mjs: NGINX_NEED).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';

/** A port free on 127.0.0.1 now (a fresh namespace has them all; the root namespace may not). */
async function freePort() {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/** True when the kernel lists a TCP socket listening on `port` in this namespace (no test connect: it takes a slot). */
function listening(port) {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const text = readFileSync('/proc/net/tcp', 'utf8');
  // local_address is field 2 (ADDR:PORT), st field 4; 0A is LISTEN.
  return text.split('\n').slice(1).some((l) => {
    const f = l.trim().split(/\s+/);
    return f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A';
  });
}

/**
 * worker_connections for `clients` idle clients: nginx starts closing idle connections ("worker_connections are
 * not enough, reusing connections") once fewer than a sixteenth of its slots are free, so it needs well over the
 * count; 16,384 at least, as a tuned nginx for 10,000 would have, within the 20,000 open files of the bench machines.
 */
export function workerConnectionsFor(clients) {
  return Math.max(16_384, Math.ceil((clients + 64) * 1.25));
}

/** The config: everything in `dir`, one process in the foreground, HTTP 200 on every path. */
export function nginxConfig(dir, port, { workerConnections, backlog }) {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `${k}_temp_path ${join(dir, `${k}_temp`)};`);
  return `daemon off;
master_process off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} notice;
events { worker_connections ${workerConnections}; }
http {
  access_log off;
  ${temp.join('\n  ')}
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:${port} backlog=${backlog};
    location / { return 200 "ok\\n"; }
  }
}
`;
}

/**
 * Start nginx for `connections` clients on 127.0.0.1; resolves once it listens. `stop()` ends it by its PID and
 * removes its dir.
 * @returns {Promise<{ child: import('node:child_process').ChildProcess, port: number, errors: () => string, stop: () => Promise<void> }>}
 */
export async function startNginx({ connections, backlog }) {
  const dir = mkdtempSync(join(os.tmpdir(), 'tcpprobe-bench-nginx-'));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig(dir, port, { workerConnections: workerConnectionsFor(connections), backlog }));
  const log = join(dir, 'error.log');
  // -e: the start-up error log, which otherwise goes to /var/log/nginx before the config is read.
  const child = spawn('nginx', ['-p', dir, '-c', conf, '-e', log], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => {
    if (stderr.length < 20_000) stderr += d;
  });
  const errors = () => {
    let text = stderr;
    try {
      text += readFileSync(log, 'utf8');
    } catch {
      // no log yet
    }
    return `nginx: ${text.trim().split('\n').slice(-5).join(' | ')}`;
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const until = Date.now() + 15_000;
  while (!listening(port)) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > until) {
      const why = errors();
      await stop();
      throw new Error(`nginx did not listen on port ${port}; ${why}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return { child, port, errors, stop };
}
