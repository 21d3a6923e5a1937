/**
 * Real servers (Debian packages) for the conformance suite: each is started in the foreground as a child process on
 * a free loopback port, with its config written into a temp dir, and stopped by its PID (never by name). A server
 * counts as ready once the kernel shows its listening socket in /proc/net/tcp: a test connect would take one of
 * its slots for a moment, and the measurement that follows has to start from zero clients.
 *
 * Caps are inputs here (maxclients, -c, worker_connections, maxconn, listen backlog, connlimit); what a server
 * really holds at that cap is measured by test/helpers/reference-prober.ts, never typed in.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll } from 'vitest';
import { freePort } from './ports.js';
import { runInNetns } from './netns.js';
import { need, type Need } from './needs.js';
import type { CliRun } from './cli.js';
import type { ReferenceOptions, ReferenceResult } from './reference-prober.js';
import type { RateReferenceOptions, RateReferenceResult } from './reference-rate-prober.js';

export const NGINX_STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';
export const STOCK_REDIS_CONF = '/etc/redis/redis.conf';
const NEVER_ACCEPT = fileURLToPath(new URL('../fixtures/never-accept.py', import.meta.url));
const FORKING = fileURLToPath(new URL('../fixtures/forking-server.py', import.meta.url));

export interface RealServer {
  name: string;
  host: string;
  port: number;
  pid: number;
  /** Its temp dir (config, pid file, logs). Removed on stop. */
  dir: string;
  /** What it printed (stdout+stderr, last 8 KB) plus its log file if it has one. */
  log(): string;
  stop(): Promise<void>;
}


const running = new Set<RealServer>();
afterAll(async () => {
  await Promise.all([...running].map((s) => s.stop()));
  await Promise.all([...backends].map((b) => b.stop()));
});

/** True when the kernel lists a TCP socket listening on 127.0.0.1:port (or any address) in this namespace. */
function listening(port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A' && cols[1]?.endsWith(`:${hexPort}`)) return true;
    }
  }
  return false;
}

interface SpawnSpec {
  name: string;
  cmd: string;
  args: string[];
  dir: string;
  /** The port it will listen on, or undefined when it prints "listening on HOST:PORT" itself. */
  port?: number;
  /** A log file in dir to include in log(). */
  logFile?: string;
}

async function spawnServer(spec: SpawnSpec): Promise<RealServer> {
  const child: ChildProcess = spawn(spec.cmd, spec.args, { cwd: spec.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-8000)));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-8000)));
  const log = (): string => {
    let file = '';
    if (spec.logFile !== undefined) {
      try {
        file = readFileSync(spec.logFile, 'utf8').slice(-8000);
      } catch {
        // not written yet
      }
    }
    return `${out}${file === '' ? '' : `\n--- ${spec.logFile}\n${file}`}`;
  };
  await Promise.race([
    once(child, 'spawn'),
    once(child, 'error').then(([e]) => {
      throw new Error(`cannot start ${spec.cmd}: ${(e as Error).message}`);
    }),
  ]);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${spec.cmd} has no PID`);
  let stopped: Promise<void> | undefined;
  const server: RealServer = {
    name: spec.name,
    host: '127.0.0.1',
    port: spec.port ?? 0,
    pid,
    dir: spec.dir,
    log,
    stop() {
      stopped ??= (async () => {
        running.delete(server);
        if (child.exitCode === null && child.signalCode === null) {
          const exited = once(child, 'exit');
          process.kill(pid, 'SIGTERM');
          const timer = setTimeout(() => {
            if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
          }, 3000);
          await exited;
          clearTimeout(timer);
        }
        rmSync(spec.dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
  running.add(server);
  const until = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const text = log();
      await server.stop();
      throw new Error(`${spec.name} exited (${child.exitCode ?? child.signalCode}) before listening:\n${text}`);
    }
    if (spec.port === undefined) {
      const m = /listening on [^\s:]+:(\d+)/.exec(out);
      if (m?.[1] !== undefined) {
        server.port = Number(m[1]);
        break;
      }
    } else if (listening(spec.port)) break;
    if (Date.now() > until) {
      const text = log();
      await server.stop();
      throw new Error(`${spec.name} did not listen within 15 s:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return server;
}

function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `tcpprobe-conf-${name}-`));
}

/**
 * redis-server with Debian's stock /etc/redis/redis.conf, overridden only where a test must: port, foreground,
 * pid/log/dir in the temp dir, maxclients. Protected mode stays on and there is no password, as installed, so
 * redis answers clients from 127.0.0.2 and up with "-DENIED" (later lines of a redis config override earlier ones).
 */
export async function startRedisServer(opts: { maxclients: number }): Promise<RealServer> {
  const dir = tempDir('redis');
  const port = await freePort();
  const conf = join(dir, 'redis.conf');
  copyFileSync(STOCK_REDIS_CONF, conf);
  appendFileSync(
    conf,
    [
      '',
      '# tcpprobe conformance overrides',
      `port ${port}`,
      'daemonize no',
      'supervised no',
      `pidfile ${join(dir, 'redis.pid')}`,
      `logfile ${join(dir, 'redis.log')}`,
      `dir ${dir}`,
      `maxclients ${opts.maxclients}`,
      '',
    ].join('\n'),
  );
  return spawnServer({ name: 'redis-server', cmd: 'redis-server', args: [conf], dir, port, logFile: join(dir, 'redis.log') });
}

/** memcached -c N on 127.0.0.1, TCP only (-U 0), in the foreground; -u nobody because tests run as root. */
export async function startMemcached(opts: { connections: number }): Promise<RealServer> {
  const dir = tempDir('memcached');
  const port = await freePort();
  const args = ['-c', String(opts.connections), '-l', '127.0.0.1', '-p', String(port), '-U', '0'];
  if (process.getuid?.() === 0) args.push('-u', 'nobody');
  return spawnServer({ name: 'memcached', cmd: 'memcached', args, dir, port });
}

/** The part of every nginx config that keeps it in the foreground, single-process, all files in `dir`. */
function nginxMain(dir: string, workerConnections: number, preamble = ''): string {
  return `${preamble}
daemon off;
master_process off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} notice;
events { worker_connections ${workerConnections}; }
`;
}

function nginxTempPaths(dir: string): string {
  return ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((k) => `${k === 'client_body' ? 'client_body' : k}_temp_path ${join(dir, `${k}_temp`)};`)
    .join('\n  ');
}

async function startNginx(name: string, dir: string, port: number, config: string): Promise<RealServer> {
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, config);
  // -e: the startup error log, which otherwise goes to /var/log/nginx before the config is read.
  return spawnServer({
    name,
    cmd: 'nginx',
    args: ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')],
    dir,
    port,
    logFile: join(dir, 'error.log'),
  });
}

/**
 * nginx serving HTTP (or HTTPS with `tls`, TLS 1.3 only) on 127.0.0.1: one worker with worker_connections N,
 * keepalive_timeout 300s, one server block that answers 200.
 */
export async function startNginxHttp(opts: {
  workerConnections: number;
  tls?: { certPath: string; keyPath: string };
}): Promise<RealServer> {
  const dir = tempDir('nginx-http');
  const port = await freePort();
  const ssl =
    opts.tls === undefined
      ? ''
      : `ssl_certificate ${opts.tls.certPath};
    ssl_certificate_key ${opts.tls.keyPath};
    ssl_protocols TLSv1.3;`;
  const config = `${nginxMain(dir, opts.workerConnections)}
http {
  access_log off;
  ${nginxTempPaths(dir)}
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:${port}${opts.tls === undefined ? '' : ' ssl'};
    ${ssl}
    location / { return 200 "ok\\n"; }
  }
}
`;
  return startNginx(opts.tls === undefined ? 'nginx-http' : 'nginx-https', dir, port, config);
}

/**
 * nginx stream proxy (dynamic module) on 127.0.0.1 in front of `upstreamPort`: one worker with worker_connections
 * N; each proxied client takes two of them (its own and the upstream one).
 */
export async function startNginxStream(opts: { workerConnections: number; upstreamPort: number }): Promise<RealServer> {
  const dir = tempDir('nginx-stream');
  const port = await freePort();
  const config = `${nginxMain(dir, opts.workerConnections, `load_module ${NGINX_STREAM_MODULE};`)}
stream {
  server {
    listen 127.0.0.1:${port};
    proxy_pass 127.0.0.1:${opts.upstreamPort};
    proxy_timeout 300s;
  }
}
`;
  return startNginx('nginx-stream', dir, port, config);
}

/** haproxy in TCP mode, maxconn N in global and in the frontend, in front of `backendPort`; -db = foreground. */
export async function startHaproxy(opts: { maxconn: number; backendPort: number }): Promise<RealServer> {
  const dir = tempDir('haproxy');
  const port = await freePort();
  const conf = join(dir, 'haproxy.cfg');
  writeFileSync(
    conf,
    `global
  maxconn ${opts.maxconn}
  pidfile ${join(dir, 'haproxy.pid')}

defaults
  mode tcp
  timeout connect 5s
  timeout client 300s
  timeout server 300s

frontend fe
  bind 127.0.0.1:${port}
  maxconn ${opts.maxconn}
  default_backend be

backend be
  server s1 127.0.0.1:${opts.backendPort}
`,
  );
  return spawnServer({ name: 'haproxy', cmd: 'haproxy', args: ['-db', '-f', conf], dir, port });
}

/** test/fixtures/never-accept.py: listen(backlog) and never accept. */
export async function startNeverAccept(opts: { backlog: number }): Promise<RealServer> {
  const dir = tempDir('never-accept');
  return spawnServer({ name: 'never-accept', cmd: 'python3', args: [NEVER_ACCEPT, String(opts.backlog)], dir });
}

/**
 * A server that forks a process per connection and accepts slowly (test/fixtures/forking-server.py, the way
 * PostgreSQL's postmaster does), with a small listen backlog; `max` > 0 caps it with an error line and a close.
 */
export async function startForking(opts: { backlog: number; acceptMs: number; max: number }): Promise<RealServer> {
  const dir = tempDir('forking');
  return spawnServer({ name: 'forking', cmd: 'python3', args: [FORKING, String(opts.backlog), String(opts.acceptMs), String(opts.max)], dir });
}

export interface Backend {
  port: number;
  /** Connections it holds now. */
  open(): number;
  stop(): Promise<void>;
}

const backends = new Set<Backend>();

/**
 * A plain Node TCP server in this process for proxies to forward to: holds every connection open and answers
 * each HTTP request (anything ending in a blank line) with a small 200 response, keeping the connection.
 */
export async function startBackend(): Promise<Backend> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      while (buf.includes('\r\n\r\n')) {
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n');
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  srv.maxConnections = 0x7fffffff;
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', 4096, resolve));
  const port = (srv.address() as net.AddressInfo).port;
  let stopped: Promise<void> | undefined;
  const backend: Backend = {
    port,
    open: () => sockets.size,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        backends.delete(backend);
        for (const s of sockets) s.resetAndDestroy();
        srv.close(() => resolve());
      });
      return stopped;
    },
  };
  backends.add(backend);
  return backend;
}

// ---- firewall rules inside a fresh network namespace: connlimit, hashlimit ----

/** What the namespace cases need: iptables and ip inside a namespace of their own. */
export const NEEDS_FIREWALL: readonly Need[] = [need.netns, need.command('iptables'), need.command('ip', 'iproute2')];

export type ConnlimitTarget = 'DROP' | 'REJECT';

/** What the connlimit cases need. */
export const NEEDS_CONNLIMIT = NEEDS_FIREWALL;

/** The part of a namespace script that starts a server on `port` and sets its rules. */
type NetnsSetup = (port: number) => string;

/** How a firewall rule turns a SYN away: dropped (the client resends it, then times out) or answered with RST. */
function jumpFor(target: ConnlimitTarget): string {
  return target === 'DROP' ? '-j DROP' : '-j REJECT --reject-with tcp-reset';
}

/**
 * The namespace preamble for one connlimit case: an uncapped `tcpprobe serve` on `port` inside the namespace, and
 * the rule `-p tcp --syn --dport P -m connlimit --connlimit-above N -j DROP` (or REJECT with tcp-reset).
 */
function connlimitSetup(limit: number, target: ConnlimitTarget): NetnsSetup {
  return (port) => `
start_bg target tcpprobe serve --host 127.0.0.1 --port ${port} -q
wait_listening target
iptables -A INPUT -p tcp --syn --dport ${port} -m connlimit --connlimit-above ${limit} ${jumpFor(target)}
`;
}

/** A new-connection rate limit (iptables hashlimit) in front of a server capped at `cap` connections. */
export interface HashlimitCase {
  /** New connections let through per second, once the burst is spent. */
  ratePerSec: number;
  /** SYNs let through at once from a full bucket. */
  burst: number;
  /** What happens to SYNs beyond the rate. */
  target: ConnlimitTarget;
  /** `tcpprobe serve --max-conns`: past it the server closes new connections (its default over-limit mode). */
  cap: number;
}

/**
 * The namespace preamble for one hashlimit case: `tcpprobe serve --max-conns CAP` on `port`, and the rule
 * `-p tcp --syn --dport P -m hashlimit --hashlimit-above R/sec --hashlimit-burst B -j DROP` (or REJECT with
 * tcp-reset): one bucket for the port, as a firewall in front of a server has.
 */
function hashlimitSetup(c: HashlimitCase): NetnsSetup {
  return (port) => `
start_bg target tcpprobe serve --host 127.0.0.1 --port ${port} --max-conns ${c.cap} -q
wait_listening target
iptables -A INPUT -p tcp --syn --dport ${port} -m hashlimit --hashlimit-above ${c.ratePerSec}/sec --hashlimit-burst ${c.burst} \\
  --hashlimit-mode dstport --hashlimit-name tcpprobe ${jumpFor(c.target)}
`;
}

const transpiled = new Map<string, string>();

/** A helper of this folder that imports only node: built-ins, transpiled once to a plain ES module for child processes. */
function helperModule(file: 'reference-prober.ts' | 'reference-rate-prober.ts'): string {
  const known = transpiled.get(file);
  if (known !== undefined && existsSync(known)) return known;
  const source = readFileSync(fileURLToPath(new URL(`./${file}`, import.meta.url)), 'utf8');
  // typescript is a dev dependency; loaded lazily so only the namespace cases pay for it.
  const ts = requireFromHere('typescript') as typeof import('typescript');
  const out = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const path = join(tempDir('reference'), file.replace(/\.ts$/, '.mjs'));
  writeFileSync(path, out);
  transpiled.set(file, path);
  return path;
}

const requireFromHere = createRequire(import.meta.url);

/** Call `fn(options with port)` of a reference helper inside a fresh namespace set up by `setup`; its JSON answer. */
async function referenceInNetns<R>(
  setup: NetnsSetup,
  file: 'reference-prober.ts' | 'reference-rate-prober.ts',
  fn: string,
  opts: object,
): Promise<R> {
  const port = await freePort();
  const mod = pathToFileURL(helperModule(file)).href;
  const options = JSON.stringify({ ...opts, port });
  const script = `${setup(port)}
"$TCPPROBE_NODE" --input-type=module -e '
const { ${fn} } = await import(${JSON.stringify(mod)});
const r = await ${fn}(${options});
console.log("REFERENCE " + JSON.stringify(r));
'
`;
  const run = await runInNetns(script, { timeoutMs: 90_000 });
  const line = run.stdout.split('\n').find((l) => l.startsWith('REFERENCE '));
  if (line === undefined) throw new Error(`reference prober in namespace failed (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(line.slice('REFERENCE '.length)) as R;
}

/** tcpprobe ARGS (with --port filled in) inside a fresh namespace set up by `setup`. */
async function tcpprobeInNetns(setup: NetnsSetup, args: readonly string[]): Promise<CliRun> {
  const port = await freePort();
  const quoted = [...args, '--port', String(port)].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `${setup(port)}
set +e
tcpprobe ${quoted}
code=$?
set -e
exit $code
`;
  return runInNetns(script, { timeoutMs: 120_000 });
}

/** The reference prober inside a fresh namespace with the connlimit rule; `opts.port` is filled in. */
export function connlimitReference(limit: number, target: ConnlimitTarget, opts: Omit<ReferenceOptions, 'port'>): Promise<ReferenceResult> {
  return referenceInNetns(connlimitSetup(limit, target), 'reference-prober.ts', 'referenceProbe', opts);
}

/** tcpprobe ARGS (with --port filled in) inside a fresh namespace with the connlimit rule. */
export function connlimitTcpprobe(limit: number, target: ConnlimitTarget, args: readonly string[]): Promise<CliRun> {
  return tcpprobeInNetns(connlimitSetup(limit, target), args);
}

/** The (concurrency) reference prober inside a fresh namespace with the hashlimit case. */
export function hashlimitReference(c: HashlimitCase, opts: Omit<ReferenceOptions, 'port'>): Promise<ReferenceResult> {
  return referenceInNetns(hashlimitSetup(c), 'reference-prober.ts', 'referenceProbe', opts);
}

/** The rate reference (reference-rate-prober.ts) inside a fresh namespace with the hashlimit case. */
export function hashlimitRateReference(c: HashlimitCase, opts: Omit<RateReferenceOptions, 'port'>): Promise<RateReferenceResult> {
  return referenceInNetns(hashlimitSetup(c), 'reference-rate-prober.ts', 'referenceRateProbe', opts);
}

/** tcpprobe ARGS (with --port filled in) inside a fresh namespace with the hashlimit case. */
export function hashlimitTcpprobe(c: HashlimitCase, args: readonly string[]): Promise<CliRun> {
  return tcpprobeInNetns(hashlimitSetup(c), args);
}

/** Delete the transpiled reference modules' dirs at exit of the test file. */
afterAll(() => {
  for (const path of transpiled.values()) rmSync(join(path, '..'), { recursive: true, force: true });
  transpiled.clear();
});
