/**
 * Runs that never held a connection are never a capacity, and a server that answers and then closes is named.
 * Real sockets: small servers in this process; a port whose SYNs are all dropped by a firewall rule inside a
 * network namespace of the test's own.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, startServe } from '../helpers/cli.js';
import { runInNetns } from '../helpers/netns.js';
import { itNeeding, need } from '../helpers/needs.js';
import type { RampResult } from '../../src/metrics/result.js';
import { EXIT } from '../../src/metrics/exit-codes.js';

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/** A server that answers every new connection with `greeting` and closes it, or answers a request and closes. */
async function startServer(onConnection: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

describe('nothing held is no capacity', () => {
  it('a server that turns away every connection from the first: verdict rejected, its words, exit 3', async () => {
    const port = await startServer((s) => s.end('-DENIED Redis is running in protected mode\r\n'));
    const run = await runCli(['ramp', '--host', '127.0.0.1', '--port', String(port), '--json']);
    const result = JSON.parse(run.stdout) as RampResult;
    expect(result.verdict.kind).toBe('rejected');
    expect(result.maxConcurrency).toBe(0);
    expect(result.counters.connected).toBeGreaterThan(0);
    expect(run.code).toBe(EXIT.unreachable);
    expect(run.stderr).toMatch(/the server rejected every connection \(closed-by-peer\): "-DENIED Redis is running/);
    expect(run.stderr).not.toMatch(/holds at most 0/);
  });

  it('--max-duration shorter than --settle against a server with no cap: timed out without an answer, exit 9, no rejection', async () => {
    const target = await startServe([]);
    const run = await runCli(['ramp', '--host', '127.0.0.1', '--port', String(target.port), '--max-duration', '150ms', '--settle', '500ms', '--json'], {
      timeoutMs: 20_000,
    });
    const result = JSON.parse(run.stdout) as RampResult;
    expect(result.counters.connected).toBeGreaterThan(0);
    expect(result.counters.failed).toBe(0);
    expect(result.maxConcurrency).toBe(0);
    expect(result.verdict.kind).toBe('timed-out');
    expect(run.code).toBe(EXIT.timedOut);
    expect(run.stderr).toMatch(/^Max concurrency: none held \(timed out without an answer: --max-duration ran out/m);
    expect(run.stderr).toContain('Failures: none');
    expect(run.stderr).not.toMatch(/rejected|at least 0/);
  });

  itNeeding(
    [need.netns, need.command('iptables')],
    'a port whose SYNs are all dropped, --max-duration shorter than --connect-timeout: unreachable, not "at least 0"',
    async () => {
      const run = await runInNetns(
        String.raw`
start_bg srv tcpprobe serve --host 127.0.0.1 --port 5555
wait_listening srv
iptables -A INPUT -p tcp --dport 5555 --syn -j DROP
set +e
tcpprobe ramp --host 127.0.0.1 --port 5555 --max-duration 3s --hold 1s --until first-failure --connect-timeout 5s --json -q
echo "EXIT $?"
`,
        { timeoutMs: 30_000 },
      );
      const code = Number(/EXIT (\d+)/.exec(run.stdout)?.[1]);
      const result = JSON.parse(run.stdout.slice(0, run.stdout.lastIndexOf('EXIT'))) as RampResult;
      expect(result.counters.connected).toBe(0);
      expect(result.verdict.kind).toBe('unreachable');
      expect(code).toBe(EXIT.unreachable);
    },
  );
});

describe('served, then closed', () => {
  it('an HTTP/1.0 exchange that the server closes after answering is named, with a keep-alive hint', async () => {
    const port = await startServer((s) => s.once('data', () => s.end('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n')));
    const run = await runCli([
      'ramp', '--host', '127.0.0.1', '--port', String(port), '--max', '40', '--rate', '200',
      '--send', 'GET / HTTP/1.0\\r\\n\\r\\n', '--expect', 'HTTP/1.', '--hold', '500ms', '--json',
    ]);
    const result = JSON.parse(run.stdout) as RampResult;
    expect(result.counters.servedThenClosed).toBeGreaterThan(0);
    expect(run.stderr).toMatch(/Served, then closed: the server answered \d+ connections? and then closed it/);
    expect(run.stderr).toMatch(/keep-alive/);
  });
});
