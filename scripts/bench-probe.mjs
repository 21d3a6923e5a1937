/**
 * One measured client process of `npm run bench` (started by scripts/bench-run.mjs, never by hand).
 *
 * Modes:
 * - `engine`: tcpprobe's engine in this one process (dist/drivers/local-driver.js), as `ramp --workers 1` runs
 *   it: with the memory settings the CLI gives itself when it holds connections (dist/engine/process-readiness.js).
 * - `workers`: tcpprobe's worker processes (dist/drivers/worker-group.js), as `ramp --workers N` runs them.
 * - `plain`: the reference, a plain Node client: net.connect with closures per socket, 256 connects in flight,
 *   one new connect started per completion.
 * - `addon`: the native core alone (build/Release/tcpcore.node), driven by the least JS that can: 256 in flight,
 *   refilled once per batch, no pool, no state machine, no histograms. What any Node-hosted client of this core
 *   costs at least: Node's start-up, the event loop, the kernel's work; the gap to `engine` is tcpprobe's own.
 *
 * Protocol (lines): it prints `ready` once set up (worker processes started), waits for `go` on stdin so the runner
 * can read the baseline RSS of every process, opens `count` connections, prints `established <json>` once all have
 * connected (or failed), `held <json>` once the engine counts them held, then waits for `close` on stdin, resets
 * every connection and exits. Times are from process start (performance.now() counts from the process's time
 * origin) minus the ready-to-go pause, so the runner's baseline reading is not charged to the client.
 *
 * Bounded: it gives up after `deadlineMs` and exits when stdin closes.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

const spec = JSON.parse(process.argv[2] ?? '{}');
const { mode, host, port, count } = spec;
/** @type {string[]} */
const sources = spec.sources ?? [];
const deadlineMs = spec.deadlineMs ?? 120_000;
const distUrl = new URL('../dist/', import.meta.url);

function say(kind, data) {
  process.stdout.write(data === undefined ? `${kind}\n` : `${kind} ${JSON.stringify(data)}\n`);
}

const lines = createInterface({ input: process.stdin });
const waiters = new Map();
lines.on('line', (line) => {
  const w = waiters.get(line.trim());
  if (w !== undefined) w();
});
lines.on('close', () => process.exit(3));
const waitFor = (word) => new Promise((resolve) => waiters.set(word, resolve));

const hardStop = setTimeout(() => {
  say('error', { message: `gave up after ${deadlineMs} ms` });
  process.exit(4);
}, deadlineMs);
hardStop.unref();

/** Connects in flight in the two reference clients (the product's default, as the engine case uses). */
const REFERENCE_INFLIGHT = 256;
/** The source address of the i-th connect, round robin; undefined without sources. */
const sourceAt = (i) => (sources.length > 0 ? sources[i % sources.length] : undefined);

/** The plain Node loop: what a Node developer would write first. */
function plainClient(onAllSettled) {
  const sockets = [];
  let started = 0;
  let inflight = 0;
  let connected = 0;
  let failed = 0;
  const next = () => {
    while (inflight < REFERENCE_INFLIGHT && started < count) {
      const localAddress = sourceAt(started);
      started++;
      inflight++;
      const socket = net.connect({ host, port, localAddress });
      sockets.push(socket);
      let done = false;
      const finish = (ok) => {
        if (done) return;
        done = true;
        inflight--;
        if (ok) connected++;
        else failed++;
        if (connected + failed === count) onAllSettled({ connected, failed });
        else next();
      };
      socket.on('connect', () => finish(true));
      socket.on('error', () => finish(false));
    }
  };
  return {
    start: next,
    counts: () => ({ connected, held: connected, failed }),
    close() {
      for (const s of sockets) {
        if (s.destroyed) continue;
        if (s.connecting) s.destroy();
        else s.resetAndDestroy();
      }
    },
  };
}

/** The native core with no pool around it (see the `addon` mode above). */
async function addonClient(onAllSettled) {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const addon = require('node-gyp-build')(new URL('..', import.meta.url).pathname);
  const words = addon.RECORD_WORDS;
  /** fd and the id it was opened with, in pairs: reset() names both. */
  const opened = [];
  let started = 0;
  let inflight = 0;
  let connected = 0;
  let failed = 0;
  const refill = () => {
    while (inflight < REFERENCE_INFLIGHT && started < count) {
      const localAddress = sourceAt(started) ?? '';
      const fd = core.connect(started, host, port, net.isIPv6(host) ? 6 : 4, localAddress, 30, 200);
      if (fd < 0) failed++;
      else {
        inflight++;
        opened.push(fd, started);
      }
      started++;
    }
  };
  const core = new addon.Core((records) => {
    for (let i = 0; i + words <= records.length; i += words) {
      if (records[i] === 1) connected++;
      else if (records[i] === 4) failed++;
      else continue;
      inflight--;
    }
    if (connected + failed === count) onAllSettled({ connected, failed });
    else refill();
  }, { bindNoPort: false });
  return {
    start: refill,
    counts: () => ({ connected, held: connected, failed }),
    close() {
      for (let i = 0; i < opened.length; i += 2) core.reset(opened[i], opened[i + 1], true);
      core.close();
    },
  };
}

/** tcpprobe's engine, in this process or in worker processes. */
async function tcpprobeClient() {
  const engine = {
    targets: [{ address: host, family: net.isIPv6(host) ? 6 : 4, port }],
    sourceAddresses: sources,
    maxInflight: spec.maxInflight ?? 256,
    // The product's defaults (256 in flight, keepalive 30 s), except a generous connect timeout: the bench measures
    // speed and memory, and a loaded machine must not turn a slow connect into a failed run; and no settle time
    // (as `ramp --settle 0`), so "held" follows "established" at once.
    connectTimeoutMs: 10_000,
    keepAliveMs: 30_000,
    settleMs: 0,
    reconnect: false,
    reconnectDelayMs: 0,
    service: null,
    tls: null,
    // The socket layer under test (bench-cases.mjs gives each engine its own case); the CLI's default is native.
    engine: spec.engine ?? 'native',
    // As a run's setup reads it (src/config/engine-choice.ts): TCPPROBE_NATIVE_BIND=reuseaddr, for measurement only.
    nativeBindNoPort: process.env.TCPPROBE_NATIVE_BIND !== 'reuseaddr',
  };
  let driver;
  if (mode === 'workers') {
    const { startWorkerGroup } = await import(new URL('drivers/worker-group.js', distUrl).href);
    driver = await startWorkerGroup(engine, spec.workers);
  } else {
    // As the CLI does first thing for a socket command (src/cli/early-start.ts): the fd table grows on the core's
    // thread while the engine's modules load.
    const { growFdTable, readyForManySockets } = await import(new URL('engine/process-readiness.js', distUrl).href);
    const growing = growFdTable();
    const { fdTableReady } = await import(new URL('engine/native-addon.js', distUrl).href);
    const { LocalDriver } = await import(new URL('drivers/local-driver.js', distUrl).href);
    const { startSettleTimer } = await import(new URL('drivers/settle-gc.js', distUrl).href);
    // As src/setup/run-setup.ts does for a run held in the CLI process: the memory settings, and an fd kept for the
    // result document's histogram encoding.
    const gc = readyForManySockets('run');
    driver = new LocalDriver(engine, null);
    startSettleTimer(() => driver.counters(), gc);
    // A wait for the table still growing counts as start-up: the runner's pause before `go` must not hide it.
    const until = performance.now() + 2000;
    while (growing && !fdTableReady() && performance.now() < until) await new Promise((r) => setTimeout(r, 1));
  }
  return {
    start: () => driver.open(count),
    counts: () => {
      const c = driver.counters();
      return { connected: c.connected, held: c.held, failed: c.failed, failuresByClass: c.failuresByClass };
    },
    close: () => driver.close(),
  };
}

const reportEstablished = (pauseMs, c) =>
  say('established', { ms: performance.now() - pauseMs, connected: c.connected, failed: c.failed });

let client;
let pauseMs = 0;
let establishedSaid = false;
const onAllSettled = (c) => {
  if (establishedSaid) return;
  establishedSaid = true;
  reportEstablished(pauseMs, c);
};
if (mode === 'plain') client = plainClient(onAllSettled);
else if (mode === 'addon') client = await addonClient(onAllSettled);
else client = await tcpprobeClient();

// The time to get here (Node's start, tcpprobe's modules, the engine set up) is part of the figure; said so the
// report can show how much of it start-up is.
const readyAt = performance.now();
say('ready', { ms: readyAt });
await waitFor('go');
pauseMs = performance.now() - readyAt;
client.start();

// The engine reports through counters; poll them often enough that the lag (about 1 ms) is small next to the
// ramp. Worker telemetry arrives every 50 ms, which bounds how precisely the workers mode can be timed.
await new Promise((resolve) => {
  const poll = setInterval(() => {
    const c = client.counts();
    if (!establishedSaid && c.connected + c.failed >= count) onAllSettled(c);
    if (establishedSaid && (c.held + c.failed >= count || mode === 'plain' || mode === 'addon')) {
      clearInterval(poll);
      say('held', { ms: performance.now() - pauseMs, held: c.held, failed: c.failed, failuresByClass: c.failuresByClass });
      resolve();
    }
  }, 1);
});

await waitFor('close');
await client.close();
say('closed');
process.exit(0);
