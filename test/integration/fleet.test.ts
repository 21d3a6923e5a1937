/**
 * The fleet end to end on this machine: a private redis-server (password and an ACL user), agents as real
 * `tcpprobe agent` processes each with its own loopback source addresses, `tcpprobe serve` targets, and the
 * controller as `tcpprobe ramp --redis`. Agents are killed by PID (SIGKILL mid-run for the loss tests; all of them
 * after the file). Bounds are generous; assertions are on counts, names, lines and exit codes.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EXIT } from '../../src/metrics/exit-codes.js';
import type { RampResult } from '../../src/metrics/result.js';
import { collect, parseResult, runCli, startCli, startServe, type CliRun } from '../helpers/cli.js';
import { waitForOutput } from '../helpers/child-output.js';
import { NEEDS_REDIS, startRedis, type RedisServer } from '../helpers/redis.js';
import { describeNeeding, itNeeding } from '../helpers/needs.js';
import { NEEDS_SS, serverCount } from '../helpers/kernel-count.js';
import { makeSelfSignedCert } from '../helpers/tls-cert.js';
import { testEngine } from '../helpers/engine.js';


const ADMIN_PASSWORD = 'fleet-admin-pw';
/** The narrowest ACL user tcpprobe works with (docs/fleet.md shows the same line). */
const ACL_USER = 'tcpprobe on >fleet-pw ~tcpprobe:* +ping +get +set +del +mget +exists +pexpire +scan +xadd +xread';
const AUTH = { user: 'tcpprobe', password: 'fleet-pw' };
/** Every ramp here is bounded well inside the test timeout. */
const BOUNDS = ['--max-duration', '20s', '--hold', '500ms', '--agent-wait', '10s'];
/**
 * --settle for the exact-cap runs, where more processes than cores share this machine (and other test runs may):
 * a connection the server turns away past its cap must be closed before it counts as held. That close can come
 * late twice over: the server is slow to be scheduled; or its accept queue overflowed, it dropped our final ACK
 * and completed the handshake on its SYN-ACK retransmission, 1 s later, to deny it then. 2 s outlasts both.
 */
const SETTLE_UNDER_LOAD = '2s';

interface Agent {
  name: string;
  child: ChildProcess;
  output: Promise<CliRun>;
}

const agents: Agent[] = [];

async function stopAgent(a: Agent, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const { child } = a;
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = once(child, 'exit');
  process.kill(child.pid, signal);
  const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

afterAll(async () => {
  await Promise.all(agents.splice(0).map((a) => stopAgent(a)));
});

/** Start `tcpprobe agent` and wait until it has registered. */
async function startAgent(
  redisUrl: string,
  name: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  shellPrefix?: string,
): Promise<Agent> {
  const child = startCli(['agent', '--redis', redisUrl, '--name', name, ...args], env, shellPrefix);
  const agent: Agent = { name, child, output: collect(child, 120_000) };
  agents.push(agent);
  await waitForOutput(child, /registered at/, { timeoutMs: 15_000 });
  return agent;
}

function fleetRamp(redisUrl: string, port: number, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runCli(['ramp', '--redis', redisUrl, '--host', '127.0.0.1', '--port', String(port), '--json', ...BOUNDS, ...args], {
    timeoutMs: 60_000,
    env,
  });
}

/** One line on stderr, "tcpprobe: ...", this exit code, no stack trace. */
function expectOneErrorLine(run: CliRun, code: number): string {
  expect(run.code, run.stderr).toBe(code);
  const lines = run.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^tcpprobe: /);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  return lines[0]!;
}

/** What to print when a count is off: per-agent figures and how the merged held count went. */
function diagnose(r: RampResult): string {
  const parts = (r.participants ?? []).map((p) => `${p.name} max ${p.maxHeld} lost ${p.counters.lost} failed ${p.counters.failed}`).join(', ');
  const timeline = r.timeline.map((s) => `${s.tMs}:${s.attempted}/${s.held}/${s.established}/${s.failed}`).join(' ');
  return `participants: ${parts}; timeline t:attempted/held/established/failed ${timeline}`;
}

/** Poll `cond` every 100 ms until it holds or `timeoutMs` passed; resolves with its last answer. */
async function until(cond: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

/**
 * What an agent said it used, within bounds any run here keeps: some CPU, a core at most per process; a file
 * descriptor per connection it held and not many more; resident memory grown by less than 64 KiB a connection.
 */
function expectSaneUse(p: NonNullable<RampResult['participants']>[number]): void {
  const u = p.use;
  expect(u, p.name).toBeDefined();
  if (u === undefined) return;
  expect(u.cpuMs, p.name).toBeGreaterThan(0);
  expect(u.busiestCpu, p.name).toBeGreaterThan(0);
  expect(u.busiestCpu, p.name).toBeLessThanOrEqual(1.2);
  expect(u.cpuMs, p.name).toBeLessThanOrEqual(u.wallMs * u.processes * 1.2);
  expect(u.peakOpenFds, p.name).toBeGreaterThanOrEqual(p.maxHeld);
  expect(u.peakOpenFds, p.name).toBeLessThan(p.maxHeld + 200 * u.processes);
  expect(u.peakRssBytes, p.name).toBeGreaterThanOrEqual(u.startRssBytes);
  expect((u.peakRssBytes - u.startRssBytes) / p.maxHeld, p.name).toBeLessThan(64 * 1024);
}

function lostAt(r: RampResult, name: string): number | null | undefined {
  return r.participants?.find((p) => p.name === name)?.lostAtMs;
}

describeNeeding(NEEDS_REDIS, 'fleet over Redis', () => {
  let redis: RedisServer;
  let url: string;

  beforeAll(async () => {
    redis = await startRedis({ password: ADMIN_PASSWORD, users: [ACL_USER] });
    url = redis.url(AUTH);
  });

  it('three agents, each with its own source addresses, find the exact cap of a 3,000-connection target', async () => {
    const serve = await startServe(['--max-conns', '3000', '--over-limit', 'close']);
    // cap-2 runs the JS engine, the others their default: each agent chooses its own, and the result says which.
    // cap-3 holds its share in two worker processes: its resource use counts them and itself.
    await Promise.all(
      [1, 2, 3].map((i) =>
        startAgent(url, `cap-${i}`, [
          '--allow-target',
          `127.0.0.1:${serve.port}`,
          '--source',
          `127.0.0.${i * 10}-127.0.0.${i * 10 + 3}`,
          ...(i === 2 ? ['--engine', 'js'] : []),
          ...(i === 3 ? ['--workers', '2'] : []),
        ]),
      ),
    );
    // A moderate rate and SETTLE_UNDER_LOAD: six processes (and maybe other test runs) share this machine's cores.
    const run = await fleetRamp(url, serve.port, ['--agent-names', 'cap-1,cap-2,cap-3', '--rate', '1000', '--settle', SETTLE_UNDER_LOAD]);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    const r = parseResult<RampResult>(run);
    expect(r.verdict.kind).toBe('limit-by-failure');
    expect(r.maxConcurrency, diagnose(r)).toBe(3000);
    expect(r.firstFailure?.class).toBe('closed-by-peer');
    expect(r.participants?.map((p) => p.name)).toEqual(['cap-1', 'cap-2', 'cap-3']);
    expect(r.participants?.map((p) => p.engine)).toEqual([testEngine, 'js', testEngine]);
    expect(run.stderr).toMatch(/cap-2\s+js\s+[\d,]+/);
    for (const p of r.participants ?? []) {
      expect(p.maxHeld, p.name).toBeGreaterThan(500);
      expect(p.lostAtMs).toBeNull();
      expectSaneUse(p);
    }
    expect(r.participants?.map((p) => p.use?.processes)).toEqual([1, 1, 3]);
    // Even shares of what was asked, and each agent applied the first ask soon after the controller sent it.
    const shares = (r.participants ?? []).map((p) => p.share ?? -1);
    for (const share of shares) expect(share).toBeCloseTo(1 / 3, 1);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
    for (const p of r.participants ?? []) {
      expect(p.startLagMs, p.name).toBeTypeOf('number');
      expect(p.startLagMs, p.name).toBeGreaterThanOrEqual(0);
      expect(p.startLagMs, p.name).toBeLessThan(2000);
    }
    expect(run.stderr).toMatch(/Start drift: [\d.]+m?s \(the first ask applied /);
    expect(run.stderr).toMatch(/cpu\s+mem\/conn\s+open files/);
    // Each agent bound its connections to its own addresses; the result lists them all.
    expect(r.sourceAddresses).toHaveLength(12);
    expect(r.sourceAddresses).toContain('127.0.0.10');
    expect(r.sourceAddresses).toContain('127.0.0.33');
    expect(run.stderr).toMatch(/fleet: run \S+ on 3 agent\(s\)/);
  });

  it('finds the exact cap of a 24,000-connection target, past one process\'s 20,000 open files', async () => {
    // The target itself needs two processes to hold 24,000; each agent holds its third in one process.
    const serve = await startServe(['--workers', '2', '--max-conns', '24000', '--over-limit', 'close']);
    await Promise.all(
      [4, 5, 6].map((i) =>
        startAgent(url, `big-${i}`, [
          '--allow-target',
          `127.0.0.1:${serve.port}`,
          '--workers',
          '1',
          '--source',
          `127.0.0.${i * 10}-127.0.0.${i * 10 + 2}`,
        ]),
      ),
    );
    // SETTLE_UNDER_LOAD: eight processes here (the target's three, three agents, the controller, redis).
    const run = await fleetRamp(url, serve.port, [
      '--agent-names',
      'big-4,big-5,big-6',
      '--rate',
      '6000',
      '--settle',
      SETTLE_UNDER_LOAD,
      '--max-duration',
      '40s',
    ]);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    const r = parseResult<RampResult>(run);
    expect(r.verdict.kind, diagnose(r)).toBe('limit-by-failure');
    expect(r.maxConcurrency, diagnose(r)).toBe(24_000);
    for (const p of r.participants ?? []) {
      expect(p.maxHeld, p.name).toBeGreaterThan(6000);
      expect(p.maxHeld, p.name).toBeLessThan(20_000);
      // --workers 1: the agent holds its share in its own process, the one its use counts.
      expect(p.use?.processes, p.name).toBe(1);
      expectSaneUse(p);
    }
  }, 90_000);

  it("an agent under a low open-files limit bounds its share: the verdict is client-limited and names it", async () => {
    const serve = await startServe(['--max-conns', '3000', '--over-limit', 'close']);
    const allow = ['--allow-target', `127.0.0.1:${serve.port}`, '--workers', '1'];
    await startAgent(url, 'roomy', [...allow, '--source', '127.0.0.70-127.0.0.71']);
    // 400 open files, one process: it runs out near 400 connections, long before the server's cap.
    await startAgent(url, 'cramped', [...allow, '--source', '127.0.0.80-127.0.0.81'], {}, 'ulimit -n 400;');
    const run = await fleetRamp(url, serve.port, ['--agent-names', 'roomy,cramped', '--rate', '1000', '--max', '2400']);
    expect(run.code, run.stderr).toBe(EXIT.clientLimited);
    const r = parseResult<RampResult>(run);
    expect(r.verdict.kind, diagnose(r)).toBe('client-limited');
    expect(r.verdict.lowerBound).toBe(true);
    expect(r.verdict.clientLimit?.class).toBe('fd-limit');
    expect(r.verdict.clientLimit?.participants).toEqual(['cramped']);
    expect(r.verdict.summary).toMatch(/limited by the load side \(cramped: fd-limit\), not by the server/);
    const cramped = r.participants?.find((p) => p.name === 'cramped');
    const roomy = r.participants?.find((p) => p.name === 'roomy');
    expect(cramped?.clientLimit).toBe('fd-limit');
    expect(roomy?.clientLimit).toBeNull();
    expect(cramped?.maxHeld).toBeLessThan(400);
    // Its open files reached its limit, give or take the sampling: the table shows why it stopped.
    expect(cramped?.use?.peakOpenFds).toBeGreaterThan(300);
    expect(cramped?.use?.peakOpenFds).toBeLessThanOrEqual(400);
    // Its memory is read even at the limit (where /proc cannot be opened): its connections cost something.
    expect(cramped?.use?.peakRssBytes).toBeGreaterThan(cramped?.use?.startRssBytes ?? Infinity);
    expect(run.stderr).toMatch(/INCONCLUSIVE: limited by the load side \(cramped: fd-limit\)/);
  });

  it('an agent that keeps a core busy is named cpu-bound, and the verdict is client-limited, not the server\'s limit', async (ctx) => {
    const serve = await startServe(['--max-conns', '600', '--over-limit', 'close']);
    const allow = ['--allow-target', `127.0.0.1:${serve.port}`, '--workers', '1'];
    await startAgent(url, 'calm', [...allow, '--source', '127.0.0.90-127.0.0.91']);
    const busyCore = new URL('../fixtures/busy-core.mjs', import.meta.url).pathname;
    await startAgent(url, 'busy', [...allow, '--source', '127.0.0.100-127.0.0.101'], { NODE_OPTIONS: `--import ${busyCore}` });
    const run = await fleetRamp(url, serve.port, ['--agent-names', 'calm,busy', '--rate', '1000', '--hold', '4s']);
    const r = parseResult<RampResult>(run);
    const busy = r.participants?.find((p) => p.name === 'busy');
    const calm = r.participants?.find((p) => p.name === 'calm');
    expect(calm?.clientLimit, diagnose(r)).toBeNull();
    // What it measured decides: its main thread wanted a core throughout (on it, or waiting for it on this shared
    // machine). Where the kernel does not tell the waiting (no schedstat) and the machine gave it less than 90% of
    // a core, the check has nothing to name: a visible skip rather than a pass.
    const wanted = Math.max(busy?.use?.busiestCpu ?? 0, busy?.use?.busiestDemand ?? 0);
    if (wanted < 0.9) ctx.skip();
    expect(busy?.clientLimit).toBe('cpu');
    expect(run.code, run.stderr).toBe(EXIT.clientLimited);
    expect(r.verdict.kind).toBe('client-limited');
    expect(r.verdict.clientLimit).toMatchObject({ class: 'cpu', participants: ['busy'] });
    expect(r.verdict.summary).toMatch(/limited by the load side \(busy: cpu\), not by the server/);
    expect(run.stderr).toMatch(/busy\s+(native|js)\s.*\scpu\s+-\s+\d+%/);
  });

  it('an agent killed mid-run with --on-agent-loss continue: the run finishes and lists it as lost', async () => {
    const serve = await startServe([]);
    const allow = ['--allow-target', `127.0.0.1:${serve.port}`];
    await startAgent(url, 'keep-1', [...allow, '--source', '127.0.0.40-127.0.0.41']);
    const victim = await startAgent(url, 'keep-2', [...allow, '--source', '127.0.0.42-127.0.0.43']);
    const running = fleetRamp(url, serve.port, ['--agent-names', 'keep-1,keep-2', '--on-agent-loss', 'continue', '--rate', '400', '--max', '2400']);
    await waitForOutput(victim.child, /up to \d+ connections here/, { timeoutMs: 15_000 });
    await new Promise((r) => setTimeout(r, 1500));
    await stopAgent(victim, 'SIGKILL');
    const run = await running;
    expect(run.code, run.stderr).toBe(EXIT.ok);
    const r = parseResult<RampResult>(run);
    expect(lostAt(r, 'keep-2')).toEqual(expect.any(Number));
    expect(lostAt(r, 'keep-1')).toBeNull();
    expect(r.maxConcurrency).toBeGreaterThan(0);
    expect(run.stderr).toMatch(/fleet: agent keep-2 lost at .* going on with 1 agent/);
  });

  /** One agent of two lost mid-run under the default --on-agent-loss abort: killed (silent), or stopped (it says why). */
  const LOSSES = [
    { how: 'killed (SIGKILL): no heartbeat', signal: 'SIGKILL', names: ['stop-1', 'stop-2'], first: 50, why: /no heartbeat for 3s/ },
    { how: 'stopped (SIGTERM, as a pod is deleted): it says why', signal: 'SIGTERM', names: ['term-1', 'term-2'], first: 54, why: /agent stopping/ },
  ] as const;
  it.each(LOSSES.map((l) => [l.how, l] as const))('an agent %s; the run stops, exit 8 naming the agent and why, a partial result', async (_how, { signal, names, first, why }) => {
    const serve = await startServe([]);
    const allow = ['--allow-target', `127.0.0.1:${serve.port}`];
    await startAgent(url, names[0], [...allow, '--source', `127.0.0.${first}-127.0.0.${first + 1}`]);
    const victim = await startAgent(url, names[1], [...allow, '--source', `127.0.0.${first + 2}-127.0.0.${first + 3}`]);
    const running = fleetRamp(url, serve.port, ['--agent-names', names.join(','), '--rate', '400', '--max', '6000']);
    await waitForOutput(victim.child, /up to \d+ connections here/, { timeoutMs: 15_000 });
    await new Promise((r) => setTimeout(r, 1000));
    await stopAgent(victim, signal);
    const run = await running;
    expect(run.code, run.stderr).toBe(EXIT.fleet);
    const line = new RegExp(`^tcpprobe: fleet: agent ${names[1]} was lost at [\\d.]+s \\((.*)\\); the run was stopped \\(--on-agent-loss abort\\)$`, 'm');
    expect(run.stderr).toMatch(line);
    expect(line.exec(run.stderr)?.[1]).toMatch(why);
    // The partial result is still reported, with the agent marked lost.
    const r = parseResult<RampResult>(run);
    expect(r.verdict.kind).toBe('interrupted');
    expect(lostAt(r, names[1])).toEqual(expect.any(Number));
    expect(lostAt(r, names[0])).toBeNull();
    // A stopped agent closed its connections and said so in its own log.
    if (signal === 'SIGTERM') expect((await victim.output).stderr + (await victim.output).stdout).toMatch(/agent stopping: closing every connection/);
  });

  itNeeding([NEEDS_SS], 'a controller that vanishes: its agents close the run on their own and wait for the next', async () => {
    const serve = await startServe([]);
    const agent = await startAgent(url, 'orphan-1', ['--allow-target', '127.0.0.0/8']);
    const controller = startCli(['ramp', '--redis', url, '--agent-names', 'orphan-1', '--host', '127.0.0.1', '--port', String(serve.port), '--rate', '200', '--max-duration', '60s', '-q']);
    const controllerDone = collect(controller, 60_000);
    await waitForOutput(agent.child, /up to \d+ connections here/, { timeoutMs: 15_000 });
    // The agent holds connections for the run (the server's kernel shows them) when its controller dies.
    await until(async () => (await serverCount(serve.port)).total > 0, 10_000);
    process.kill(controller.pid!, 'SIGKILL');
    await controllerDone;
    // CONTROLLER_TTL_MS (5 s) plus a check every second.
    const log = await waitForOutput(agent.child, /controller gone[\s\S]*done: held at most [1-9]/, { timeoutMs: 12_000 });
    expect(log).toMatch(/closing every connection/);
    // Closed on its own: the server's side empties.
    expect(await until(async () => (await serverCount(serve.port)).total === 0, 5000)).toBe(true);
    // And it waits for the next run: a new controller gets it, and its answer.
    const next = await fleetRamp(url, serve.port, ['--agent-names', 'orphan-1', '--max', '50', '-q']);
    expect(next.code, next.stderr).toBe(EXIT.ok);
    expect(parseResult<RampResult>(next).maxConcurrency).toBe(50);
    expect(agent.child.exitCode).toBeNull();
  });

  it('an agent refuses a target off its allowlist, and one with no allowlist refuses all: one line, exit 8', async () => {
    const serve = await startServe([]);
    await startAgent(url, 'strict-1', ['--allow-target', '127.0.0.1:1,10.0.0.0/8']);
    await startAgent(url, 'strict-2', []);
    const run = await fleetRamp(url, serve.port, ['--agent-names', 'strict-1,strict-2', '-q']);
    const line = expectOneErrorLine(run, EXIT.fleet);
    expect(line).toContain(`agent strict-1 refused the run: 127.0.0.1:${serve.port} is not on its --allow-target list (127.0.0.1:1, 10.0.0.0/8)`);
    expect(line).toContain(`agent strict-2 refused the run: it allows no targets (start it with --allow-target 127.0.0.1:${serve.port})`);
    expect(run.stdout).toBe('');
  });

  it('too few agents within --agent-wait: one line naming who is missing, exit 8', async () => {
    const run = await fleetRamp(url, 1, ['--agent-names', 'nobody-1', '--agent-wait', '1s', '-q']);
    expect(expectOneErrorLine(run, EXIT.fleet)).toMatch(/fleet: agents not ready: nobody-1 \(not registered\) after waiting 1s/);
  });

  it('$TCPPROBE_REDIS and --redis-password-file: agent and controller run with no password in their argv', async () => {
    const serve = await startServe([]);
    const bare = new URL(url);
    bare.password = '';
    const env = { TCPPROBE_REDIS: bare.href };
    const dir = mkdtempSync(join(tmpdir(), 'tcpprobe-fleet-secret-'));
    const pwFile = join(dir, 'redis-password');
    writeFileSync(pwFile, `${AUTH.password}\n`, { mode: 0o600 });
    try {
      const child = startCli(['agent', '--redis-password-file', pwFile, '--name', 'secret-1', '--allow-target', `127.0.0.1:${serve.port}`], env);
      agents.push({ name: 'secret-1', child, output: collect(child, 120_000) });
      await waitForOutput(child, /registered at/, { timeoutMs: 15_000 });
      // What ps shows: the process's own command line.
      const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').join(' ');
      expect(cmdline).toContain('--redis-password-file');
      expect(cmdline).not.toContain(AUTH.password);
      const run = await runCli(
        ['ramp', '--agent-names', 'secret-1', '--redis-password-file', pwFile, '--host', '127.0.0.1', '--port', String(serve.port), '--max', '100', '--json', ...BOUNDS],
        { timeoutMs: 60_000, env },
      );
      expect(run.code, run.stderr).toBe(EXIT.ok);
      expect(parseResult<RampResult>(run).maxConcurrency).toBe(100);
      expect(run.stderr).not.toContain(AUTH.password);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a wrong password, for the controller and for an agent: one clear line, exit 8', async () => {
    const wrong = redis.url({ user: 'tcpprobe', password: 'not-the-password' });
    const ctl = await fleetRamp(wrong, 1, ['--agents', '1', '-q']);
    expect(expectOneErrorLine(ctl, EXIT.fleet)).toMatch(/^tcpprobe: redis: authentication failed \(WRONGPASS /);
    const agent = await runCli(['agent', '--redis', wrong, '--name', 'x'], { timeoutMs: 20_000 });
    expect(expectOneErrorLine(agent, EXIT.fleet)).toMatch(/^tcpprobe: redis: authentication failed \(WRONGPASS /);
    // No password at all where one is needed.
    const none = await fleetRamp(redis.url(), 1, ['--agents', '1', '-q']);
    expect(expectOneErrorLine(none, EXIT.fleet)).toMatch(/^tcpprobe: redis: authentication required/);
  });

  it('an unreachable Redis: one line, exit 8, quickly', async () => {
    const started = Date.now();
    // Port 1 on loopback: nothing listens there.
    const run = await fleetRamp('redis://127.0.0.1:1/0', 1, ['--agents', '1', '-q']);
    expect(expectOneErrorLine(run, EXIT.fleet)).toMatch(/^tcpprobe: redis: cannot connect to 127\.0\.0\.1:1 \(ECONNREFUSED/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('over TLS (rediss://) with the CA trusted through NODE_EXTRA_CA_CERTS', async () => {
    const cert = makeSelfSignedCert('localhost');
    const tlsRedis = await startRedis({ tls: { certPath: cert.certPath, keyPath: cert.keyPath }, password: 'tls-pw' });
    const tlsUrl = tlsRedis.url({ password: 'tls-pw' });
    const env = { NODE_EXTRA_CA_CERTS: cert.certPath };
    const serve = await startServe(['--max-conns', '300']);
    await startAgent(tlsUrl, 'tls-1', ['--allow-target', `127.0.0.1:${serve.port}`], env);
    const run = await fleetRamp(tlsUrl, serve.port, ['--agents', '1', '--settle', '300ms', '-q'], env);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    expect(parseResult<RampResult>(run).maxConcurrency).toBe(300);
    // Without the CA: one line about TLS, exit 8.
    const untrusted = await fleetRamp(tlsUrl, serve.port, ['--agents', '1', '-q']);
    expect(expectOneErrorLine(untrusted, EXIT.fleet)).toMatch(/^tcpprobe: redis: TLS to localhost:\d+ failed/);
  });
});
