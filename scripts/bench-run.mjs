/**
 * One run of one `npm run bench` case, inside the network namespace scripts/bench.mjs made for it (or in the root
 * namespace when not root). It starts the target (`tcpprobe serve`, or nginx for `target: 'nginx'`), starts the
 * measured client, samples the client's process tree from /proc, and prints one JSON line with the figures. Never
 * started by hand.
 *
 * Every process it starts is stopped by PID; the whole run is bounded by `spec.timeoutMs`.
 */
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { lineReader } from './bench-common.mjs';
import { startNginx } from './bench-nginx.mjs';
import { sampleTree, tcpCounters } from './bench-proc.mjs';
import { timeCommand, timeNode } from './bench-startup.mjs';

const spec = JSON.parse(process.argv[2] ?? '{}');
// The bin a user runs (package.json "bin"), as every case runs it.
const CLI = fileURLToPath(new URL('../dist/cli/bin.cjs', import.meta.url));
const PROBE = fileURLToPath(new URL('./bench-probe.mjs', import.meta.url));
/** How often the client's process tree is sampled for peak RSS; /proc reads cost the runner little at this pace. */
const SAMPLE_MS = 25;
/**
 * A tree of many processes is sampled 10 times less often: each sample reads every thread's children list and two
 * files per process, and at a million (110 processes, client and target) reading them 40 times a second took CPU
 * from the run it measured. Memory that large grows over seconds, so the peak is still seen.
 */
const MANY_PROCESSES = 8;
const SAMPLE_MANY_MS = 250;
/** Listen backlog of the target; the kernel caps it at net.core.somaxconn (raised to this in our namespace). */
const TARGET_BACKLOG = 65_535;

const started = [];
function stopAll() {
  for (const child of started) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
const overall = setTimeout(() => {
  finish({ ok: false, error: `run did not finish within ${spec.timeoutMs} ms` });
}, spec.timeoutMs ?? 180_000);

function finish(result) {
  clearTimeout(overall);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  stopAll();
  process.exit(result.ok ? 0 : 1);
}

function payload(line) {
  const space = line.indexOf(' ');
  return space < 0 ? {} : JSON.parse(line.slice(space + 1));
}

function track(child, label) {
  started.push(child);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d) => {
    if (stderr.length < 20_000) stderr += d;
  });
  return () => `${label}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`;
}

async function startTarget() {
  if (spec.target === 'nginx') {
    const nginx = await startNginx({ connections: spec.probe?.count ?? spec.connections, backlog: TARGET_BACKLOG });
    started.push(nginx.child);
    return nginx;
  }
  const args = ['serve', '--host', '127.0.0.1', '--port', '0', '--backlog', String(TARGET_BACKLOG), '-q', ...spec.serveArgs];
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const errors = track(child, 'target');
  const line = await lineReader(child).next('listening on').catch((e) => {
    throw new Error(`${e.message}; ${errors()}`);
  });
  const port = Number(/:(\d+)$/.exec(line)?.[1]);
  return { child, port, errors };
}

async function stopTarget(target) {
  if (target.stop !== undefined) return target.stop();
  if (target.child.exitCode !== null || target.child.signalCode !== null) return;
  const exited = once(target.child, 'exit');
  target.child.kill('SIGTERM');
  const timer = setTimeout(() => target.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Sample the tree rooted at `pid` every SAMPLE_MS (SAMPLE_MANY_MS past MANY_PROCESSES): peak memory (and summed
 * VmRSS), and the latest CPU total.
 */
function sampler(pid) {
  let peak = 0;
  let peakSum = 0;
  let first = null;
  let last = { rss: 0, cpu: 0, processes: 0 };
  const take = () => {
    const s = sampleTree(pid);
    if (s.processes > 0 && s.rss > 0) {
      last = s;
      first ??= s;
    }
    if (s.rss > peak) peak = s.rss;
    if (s.rssSum > peakSum) peakSum = s.rssSum;
    return s;
  };
  let timer = null;
  let stopped = false;
  const tick = () => {
    const s = take();
    if (!stopped) timer = setTimeout(tick, s.processes > MANY_PROCESSES ? SAMPLE_MANY_MS : SAMPLE_MS);
  };
  timer = setTimeout(tick, SAMPLE_MS);
  return {
    take,
    get peak() {
      return peak;
    },
    get peakSum() {
      return peakSum;
    },
    get last() {
      return last;
    },
    /** The first sample of the tree: the client process at its start, before it connected. */
    get first() {
      return first;
    },
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

async function runProbe(port, targetPid) {
  const probeSpec = { ...spec.probe, host: '127.0.0.1', port };
  if (spec.probe.autoSources) {
    const { planSourceAddresses } = await import(new URL('../dist/preflight/source-plan.js', import.meta.url).href);
    probeSpec.sources = planSourceAddresses({ address: '127.0.0.1', family: 4 }, spec.probe.count, null).addresses;
  }
  const child =
    spec.probe.mode === 'floor'
      ? spawn(spec.probe.binary, [String(port), String(spec.probe.count)], { stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn(process.execPath, [...(spec.probe.execArgv ?? []), PROBE, JSON.stringify(probeSpec)], {
          stdio: ['pipe', 'pipe', 'pipe'],
        });
  const errors = track(child, 'client');
  const lines = lineReader(child);
  try {
    const ready = payload(await lines.next('ready'));
    const base = sampleTree(child.pid);
    const samples = sampler(child.pid);
    const countersBefore = tcpCounters();
    child.stdin.write('go\n');
    const established = payload(await lines.next('established'));
    const countersAfter = tcpCounters();
    const held = payload(await lines.next('held'));
    // Let the ramp's garbage be collected and V8 settle, as a real hold would, then read the settled figures.
    await new Promise((resolve) => setTimeout(resolve, spec.settleHoldMs ?? 2000));
    const settled = samples.take();
    const target = sampleTree(targetPid);
    samples.stop();
    child.stdin.write('close\n');
    await lines.next('closed');
    return {
      ok: established.failed === 0 && held.held === spec.probe.count,
      connections: held.held,
      failed: established.failed,
      failuresByClass: held.failuresByClass ?? {},
      establishMs: established.ms,
      // Of establishMs: from process start to ready (start-up, module loading, engine set-up).
      readyMs: ready.ms ?? null,
      heldMs: held.ms,
      baselineRss: base.rss,
      peakRss: samples.peak,
      peakRssSum: samples.peakSum,
      settledRss: settled.rss,
      cpuSec: settled.cpu,
      targetCpuSec: target.cpu,
      processes: settled.processes,
      sources: probeSpec.sources?.length ?? 0,
      // What the kernel of this namespace counted while the client connected: SYNs or final ACKs dropped at the
      // target's queues and the SYNs the client resent (each one a 1 s wait).
      tcp: Object.fromEntries(Object.entries(countersAfter).map(([k, v]) => [k, v - (countersBefore[k] ?? 0)])),
    };
  } catch (e) {
    throw new Error(`${e.message}; ${errors()}`, { cause: e });
  }
}

async function runRamp(port, targetPid) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, 'ramp', '--host', '127.0.0.1', '--port', String(port), '--json', '-q', ...spec.rampArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const errors = track(child, 'ramp');
  const samples = sampler(child.pid);
  let stdout = '';
  // The verdict is out when the document is: closing the sockets and exiting come after it.
  let resultAt = null;
  child.stdout.setEncoding('utf8').on('data', (d) => {
    stdout += d;
    if (resultAt !== null || !stdout.trimEnd().endsWith('}')) return;
    try {
      JSON.parse(stdout);
      resultAt = performance.now();
    } catch {
      // a chunk that happened to end in '}': the document is not whole yet
    }
  });
  const [code] = await once(child, 'exit');
  const verdictMs = (resultAt ?? performance.now()) - t0 - (spec.holdExcludedMs ?? 0);
  const target = sampleTree(targetPid);
  samples.stop();
  let result;
  try {
    result = JSON.parse(stdout);
  } catch {
    throw new Error(`ramp exited ${code} without a JSON result; ${errors()}`);
  }
  const found = result.maxConcurrency;
  return {
    // The run completed; whether the cap was found exactly is a goal, judged in the report.
    ok: true,
    exact: found === spec.expectMax,
    found,
    verdict: result.verdict?.kind ?? null,
    connections: found,
    verdictMs,
    peakRss: samples.peak,
    // Summed VmRSS, which counts the node binary's pages once per process (bench-proc.mjs), for comparison.
    peakRssSum: samples.peakSum,
    // What every process of the run added at its peak, over the client process's own start (issue 25's bound).
    baselineRss: samples.first?.rss ?? null,
    cpuSec: samples.last.cpu,
    targetCpuSec: target.cpu,
    processes: samples.last.processes,
  };
}

/**
 * The nginx10k case: `tcpprobe hold` as a user runs it, its time from its own process start to the last connection
 * established, read from its result document (startedAfterMs: process start to the run's start; allEstablishedAtMs:
 * the run's start to the last established, sampled every 1 ms with --delay 0). The plain loop it is divided by
 * (bench-probe.mjs) is timed from its process start too.
 */
async function runHold(port, targetPid) {
  const args = ['hold', '--host', '127.0.0.1', '--port', String(port), '-c', String(spec.connections), ...spec.holdArgs, '--json', '-q'];
  const countersBefore = tcpCounters();
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const errors = track(child, 'hold');
  const samples = sampler(child.pid);
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  const [code] = await once(child, 'exit');
  const target = sampleTree(targetPid);
  samples.stop();
  const countersAfter = tcpCounters();
  let result;
  try {
    result = JSON.parse(stdout);
  } catch {
    throw new Error(`hold exited ${code} without a JSON result; ${errors()}`);
  }
  const all = result.allEstablishedAtMs;
  const failed = result.counters?.failed ?? null;
  return {
    ok: all !== null && failed === 0,
    ...(all === null ? { error: `not all ${spec.connections} established (exit ${code}, verdict ${result.verdict?.kind})` } : {}),
    connections: result.counters?.connected ?? null,
    failed,
    failuresByClass: Object.fromEntries((result.failures ?? []).map((f) => [f.class, f.count])),
    establishMs: all === null ? null : result.startedAfterMs + all,
    // Of establishMs: from process start to the run's start (Node, the CLI, its checks, the engine set up).
    readyMs: result.startedAfterMs,
    allEstablishedAtMs: all,
    phases: result.phases ?? null,
    exitCode: code,
    // The first sample is taken as the process starts, before it connects; nothing settles before the exit.
    baselineRss: samples.first?.rss ?? null,
    peakRss: samples.peak,
    settledRss: null,
    cpuSec: samples.last.cpu,
    targetCpuSec: target.cpu,
    processes: samples.last.processes,
    sources: result.sourceAddresses?.length ?? 0,
    tcp: Object.fromEntries(Object.entries(countersAfter).map(([k, v]) => [k, v - (countersBefore[k] ?? 0)])),
  };
}

/**
 * A startup case: the CLI's wall time to exit (scripts/bench-startup.mjs), `samples` times, "{port}" in its
 * arguments the target's port; and Node alone (`node -e 0`) as many times, for scale.
 */
function runStartup(port = null) {
  const args = spec.args.map((a) => (a === '{port}' ? String(port) : a));
  const t = timeCommand(args, spec.samples, CLI);
  const node = timeNode(['-e', '0'], spec.samples);
  return { ok: true, startupMs: t.medianMs, startupMinMs: t.minMs, startupMaxMs: t.maxMs, samples: t.ms.length, nodeMs: node.medianMs };
}

try {
  if (spec.kind === 'startup' && spec.serveArgs === undefined) finish(runStartup());
  if (spec.netns) {
    execFileSync('ip', ['link', 'set', 'lo', 'up']);
    // This namespace's own accept-queue limit (the root namespace's is untouched): the target, a Node process,
    // accepts more slowly than a fast client connects, and with the usual 4,096 its queue overflows, the kernel
    // drops SYNs and the client waits a 1 s retransmit: the bench would measure the target, not the client.
    execFileSync('sysctl', ['-qw', `net.core.somaxconn=${TARGET_BACKLOG}`]);
  }
  const target = await startTarget();
  if (spec.kind === 'startup') {
    const figures = runStartup(target.port);
    await stopTarget(target);
    finish(figures);
  }
  const run = { ramp: runRamp, hold: runHold, probe: runProbe }[spec.kind];
  const figures = await run(target.port, target.child.pid);
  await stopTarget(target);
  if (!figures.ok) figures.error ??= target.errors();
  finish(figures);
} catch (e) {
  finish({ ok: false, error: e instanceof Error ? e.message : String(e) });
}
