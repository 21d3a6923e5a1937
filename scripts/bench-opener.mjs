/**
 * `npm run bench:opener`: why the engine's in-flight cap is our own Opener (src/engine/opener.ts) and not p-limit,
 * the library the design card names. Each variant opens COUNT loopback connections with INFLIGHT in flight:
 *
 * - `opener`: our Opener (dist/engine/opener.js) starting plain net.connect sockets, finished() on connect/error.
 * - `p-limit`: p-limit with the same concurrency, one promise (and closure) per connect.
 * - `plain`: the reference loop of scripts/bench-probe.mjs's plain mode: an in-flight counter, one new connect
 *   started per completion.
 *
 *   node scripts/bench-opener.mjs [--runs R]
 *
 * It measures, in the client process, the time from the first connect to the last one established, the CPU
 * (user + sys) it used over that time and its RSS once all are established. Sockets stay open until all are
 * established, then every one is reset (resetAndDestroy) and the client exits.
 *
 * Each run of each variant gets a fresh network namespace (`unshare -n`) when we are root, its own target
 * (`tcpprobe serve`) and its own client process; runs are interleaved (and the order rotated each round) so load
 * from elsewhere on the machine falls on every variant alike. Traffic goes only to 127.0.0.1.
 *
 * Uses dist/ as built; it does not build. Bounded: a run that has not finished after RUN_TIMEOUT_MS is ended, and
 * every process it started is killed by PID. Exit status: 0 when every run completed, 1 when one failed, 2 for bad
 * arguments or a missing build.
 *
 * The same file plays three roles: the orchestrator (no role argument), `--run SPEC` (inside the namespace: set up
 * loopback, start the target and the client, report) and `--client SPEC` (the measured process).
 */
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { canUnshare, lineReader, runnerResult, spawnRunner } from './bench-common.mjs';

const SELF = fileURLToPath(import.meta.url);
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const OPENER = fileURLToPath(new URL('../dist/engine/opener.js', import.meta.url));
/** Connections per run, and connects in flight (the product's default --max-inflight). */
const COUNT = 10_000;
const INFLIGHT = 256;
const VARIANTS = ['opener', 'p-limit', 'plain'];
const RUN_TIMEOUT_MS = 60_000;
/** Listen backlog of the target; the kernel caps it at net.core.somaxconn (raised to this in our namespace). */
const TARGET_BACKLOG = 65_535;

function usage(message) {
  process.stderr.write(`bench-opener: ${message}\nusage: node scripts/bench-opener.mjs [--runs R]\n`);
  process.exit(2);
}

function stderrTail(child, label) {
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d) => {
    if (stderr.length < 20_000) stderr += d;
  });
  return () => `${label}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`;
}

// ---------------------------------------------------------------------------------------------------------------
// --client: the measured process.

/**
 * Opens COUNT connections with `variant` and calls `done` once all have connected or failed. `open(onSettled)`
 * starts one connect and reports its end once (connect or error) through `onSettled(ok)`.
 */
async function startVariant(variant, open, done) {
  let connected = 0;
  let failed = 0;
  const settle = (ok) => {
    if (ok) connected++;
    else failed++;
    if (connected + failed === COUNT) done({ connected, failed });
  };
  if (variant === 'opener') {
    const { Opener } = await import(new URL('../dist/engine/opener.js', import.meta.url).href);
    const opener = new Opener(INFLIGHT, () =>
      open((ok) => {
        settle(ok);
        opener.finished();
      }),
    );
    return () => opener.add(COUNT);
  }
  if (variant === 'p-limit') {
    const { default: pLimit } = await import('p-limit');
    const limit = pLimit(INFLIGHT);
    const one = () =>
      new Promise((resolve) =>
        open((ok) => {
          settle(ok);
          resolve();
        }),
      );
    return () => {
      for (let i = 0; i < COUNT; i++) limit(one);
    };
  }
  // plain: as scripts/bench-probe.mjs's plain mode, one new connect per completion.
  let started = 0;
  let inflight = 0;
  const next = () => {
    while (inflight < INFLIGHT && started < COUNT) {
      started++;
      inflight++;
      open((ok) => {
        inflight--;
        settle(ok);
        next();
      });
    }
  };
  return next;
}

async function client(spec) {
  const hardStop = setTimeout(() => {
    process.stdout.write(`error ${JSON.stringify({ message: `client gave up after ${RUN_TIMEOUT_MS} ms` })}\n`);
    process.exit(4);
  }, RUN_TIMEOUT_MS);
  hardStop.unref();
  const sockets = [];
  let t0 = 0;
  let cpu0 = null;
  const open = (onSettled) => {
    const socket = net.connect({ host: '127.0.0.1', port: spec.port });
    sockets.push(socket);
    let settled = false;
    const end = (ok) => {
      if (settled) return;
      settled = true;
      onSettled(ok);
    };
    socket.on('connect', () => end(true));
    socket.on('error', () => end(false));
  };
  const allDone = new Promise((resolve) => {
    startVariant(spec.variant, open, resolve).then((start) => {
      cpu0 = process.cpuUsage();
      t0 = performance.now();
      start();
    });
  });
  const counts = await allDone;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const rss = process.memoryUsage.rss();
  for (const s of sockets) {
    if (s.destroyed) continue;
    if (s.connecting) s.destroy();
    else s.resetAndDestroy();
  }
  process.stdout.write(
    `result ${JSON.stringify({ ...counts, ms, cpuMs: (cpu.user + cpu.system) / 1000, rss, maxRss: process.resourceUsage().maxRSS * 1024 })}\n`,
  );
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------------------------
// --run: one run of one variant, inside its namespace.

async function runner(spec) {
  const started = [];
  const finish = (result) => {
    clearTimeout(overall);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    for (const child of started) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    process.exit(result.ok ? 0 : 1);
  };
  const overall = setTimeout(() => finish({ ok: false, error: `run did not finish within ${RUN_TIMEOUT_MS} ms` }), RUN_TIMEOUT_MS);
  // Tell the orchestrator what we start, so its backstop can kill them by PID should we hang.
  const announce = (child) => {
    started.push(child);
    process.stdout.write(`pid ${child.pid}\n`);
  };
  try {
    if (spec.netns) {
      execFileSync('ip', ['link', 'set', 'lo', 'up']);
      // This namespace's own accept-queue limit (see scripts/bench-run.mjs): the root namespace's is untouched.
      execFileSync('sysctl', ['-qw', `net.core.somaxconn=${TARGET_BACKLOG}`]);
    }
    const target = spawn(
      process.execPath,
      [CLI, 'serve', '--host', '127.0.0.1', '--port', '0', '--backlog', String(TARGET_BACKLOG), '-q'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    announce(target);
    const targetErrors = stderrTail(target, 'target');
    const line = await lineReader(target)
      .next('listening on')
      .catch((e) => {
        throw new Error(`${e.message}; ${targetErrors()}`);
      });
    const port = Number(/:(\d+)$/.exec(line)?.[1]);
    if (!Number.isInteger(port) || port <= 0) throw new Error(`no port in "${line}"`);

    const measured = spawn(process.execPath, [SELF, '--client', JSON.stringify({ variant: spec.variant, port })], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    announce(measured);
    const clientErrors = stderrTail(measured, 'client');
    const resultLine = await lineReader(measured)
      .next('result')
      .catch((e) => {
        throw new Error(`${e.message}; ${clientErrors()}`);
      });
    const r = JSON.parse(resultLine.slice('result '.length));
    await once(measured, 'exit').catch(() => {});
    finish({ ok: r.failed === 0 && r.connected === COUNT, ...r, ...(r.failed > 0 ? { error: `${r.failed} connects failed` } : {}) });
  } catch (e) {
    finish({ ok: false, error: e instanceof Error ? e.message : String(e) });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The orchestrator.

function killPid(pid) {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** One run of one variant, in its own namespace when possible; resolves with the runner's JSON line. */
async function runOnce(variant, netns) {
  const { child, out } = spawnRunner([SELF, '--run', JSON.stringify({ variant, netns })], netns);
  // The runner bounds itself at RUN_TIMEOUT_MS; this is the backstop if it hangs anyway: everything it said it
  // started, then the runner, by PID.
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    for (const m of out.stdout.matchAll(/^pid (\d+)$/gm)) killPid(Number(m[1]));
    killPid(child.pid);
  }, RUN_TIMEOUT_MS + 5_000);
  await once(child, 'close');
  clearTimeout(timer);
  if (timedOut) return { ok: false, error: `killed after ${RUN_TIMEOUT_MS + 5_000} ms` };
  return runnerResult(out);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const stat = (xs, digits) =>
  xs.length === 0
    ? 'n/a'
    : `${median(xs).toFixed(digits)} [${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)}]`;
const loadavg = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

async function main(argv) {
  let runs = 5;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') {
      runs = Number(argv[++i]);
      if (!Number.isInteger(runs) || runs < 1 || runs > 50) usage('--runs must be 1 to 50');
    } else usage(`unknown argument ${argv[i]}`);
  }
  if (!existsSync(OPENER) || !existsSync(CLI)) {
    process.stderr.write(`bench-opener: ${existsSync(OPENER) ? CLI : OPENER} is missing: build first (npm run build)\n`);
    process.exit(2);
  }
  const netns = canUnshare();
  const isolation = netns
    ? 'each run in a fresh network namespace'
    : 'WARNING: not root, runs share the root network namespace (TIME_WAIT from one run can skew the next)';
  if (!netns) process.stderr.write(`bench-opener: ${isolation}\n`);

  const loadStart = loadavg();
  const results = new Map(VARIANTS.map((v) => [v, []]));
  for (let run = 0; run < runs; run++) {
    // Rotate the order each round so no variant always runs first (or right after another).
    const order = VARIANTS.map((_, i) => VARIANTS[(i + run) % VARIANTS.length]);
    for (const v of order) {
      process.stderr.write(`bench-opener: run ${run + 1}/${runs} ${v} ... `);
      const r = await runOnce(v, netns);
      results.get(v).push(r);
      process.stderr.write(r.ok ? `${r.ms.toFixed(0)} ms\n` : `FAILED: ${r.error}\n`);
    }
  }
  const loadEnd = loadavg();

  const ok = (v) => results.get(v).filter((r) => r.ok);
  const mib = (b) => b / 1024 / 1024;
  const rows = [['variant', 'runs ok', 'first connect to all established, ms', 'CPU user+sys, ms', 'RSS at established, MiB']];
  for (const v of VARIANTS) {
    const good = ok(v);
    rows.push([
      v,
      `${good.length}/${runs}`,
      stat(good.map((r) => r.ms), 0),
      stat(good.map((r) => r.cpuMs), 0),
      stat(good.map((r) => mib(r.rss)), 1),
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = [
    `bench-opener: ${COUNT.toLocaleString('en-US')} loopback connects, ${INFLIGHT} in flight, ${runs} runs per variant, medians [min-max]`,
    `${isolation}; node ${process.versions.node}, ${os.cpus().length} CPUs, load average (1/5/15 min) at start ${loadStart}, at end ${loadEnd}`,
    '',
    ...rows.map((r) => `| ${r.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`),
  ];
  lines.splice(4, 0, `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  // p-limit over Opener: the ratio of the medians, and the ratios within each round (same load on both).
  const a = results.get('opener');
  const b = results.get('p-limit');
  const paired = (key) => a.flatMap((ra, i) => (ra.ok && b[i]?.ok ? [b[i][key] / ra[key]] : []));
  const ratio = (key) => {
    const [ga, gb] = [ok('opener').map((r) => r[key]), ok('p-limit').map((r) => r[key])];
    if (ga.length === 0 || gb.length === 0) return 'n/a';
    return `${(median(gb) / median(ga)).toFixed(2)} (per round: ${stat(paired(key), 2)})`;
  };
  lines.push('', `p-limit / Opener: time ${ratio('ms')}; CPU ${ratio('cpuMs')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exit(VARIANTS.every((v) => ok(v).length === runs) ? 0 : 1);
}

const [role, arg] = process.argv.slice(2);
if (role === '--client') await client(JSON.parse(arg));
else if (role === '--run') await runner(JSON.parse(arg));
else await main(process.argv.slice(2));
