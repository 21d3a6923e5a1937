/**
 * The cases of `npm run bench` as data: what target each starts, what client it measures, what it needs of the
 * machine (`needs`: commands, each with the step that brings it), and the goals of issue 5 (a-e), issue 11
 * (startup, r1k) and issue 25 (r10k-r1m, nginx10k) that apply to it. scripts/bench.mjs runs them;
 * scripts/bench-report.mjs turns their runs into a table.
 */

/** Open-files limit per process on the machines the goals are set for (hard; see ../shared/README.md). */
const FD_LIMIT = 20_000;
/** Connections one serve worker process is given at most in the bench (its fd limit minus headroom). */
const PER_SERVE_WORKER = 18_000;
/** Fds a probe process keeps for itself (src/preflight/capacity.ts: DEFAULT_FD_RESERVE_PER_PROCESS). */
const PROBE_FD_RESERVE = 64;

/**
 * @param {{ quick: boolean, floorBinary: string | null, addonBuilt: boolean }} o `floorBinary`: the compiled
 *   scripts/bench-floor.c, if any; `addonBuilt`: the native core loads here (else the addon-alone row is left out)
 * @returns {object[]} cases in run order. `reference` names the case a plain-loop case is the in-run reference
 *   for; `baseline` names the case whose time this one's is divided by ("vs plain").
 */
export function benchCases(o) {
  const n = (full, quick) => (o.quick ? quick : full);
  const held = n(100_000, 2_000);
  const probeWorkers = Math.max(2, Math.ceil(held / (FD_LIMIT - PROBE_FD_RESERVE)));
  const serveWorkers = Math.max(2, Math.ceil(held / PER_SERVE_WORKER));
  const cap = n(10_000, 500);
  const bigCap = n(24_000, 600);
  const settleHoldMs = n(2000, 300);
  // Quick runs are too small to need source addresses; give two anyway so the code path is exercised.
  const manySources = o.quick ? { sources: ['127.0.0.2', '127.0.0.3'] } : { autoSources: true };
  return [
    // Issue 14: the native engine (the default where it builds) against its goals; the JS engine beside it with
    // issue 5's.
    ...engineCases({
      id: 'a',
      title: `${n('10,000', '500')} established, one process`,
      probe: { mode: 'engine', count: n(10_000, 500) },
      settleHoldMs,
      timeoutMs: 90_000,
      baseline: 'a-ref',
      jsGoals: { ratioMax: 0.65, rss: true },
    }, o.addonBuilt),
    {
      id: 'a-ref',
      title: 'plain Node loop (reference for a)',
      reference: 'a',
      kind: 'probe',
      serveArgs: [],
      probe: { mode: 'plain', count: n(10_000, 500) },
      settleHoldMs,
      timeoutMs: 90_000,
    },
    ...(!o.addonBuilt
      ? []
      : [
    {
      id: 'a-n',
      title: 'the native core alone, no pool (what any Node client of it costs, for a)',
      reference: 'a',
      kind: 'probe',
      serveArgs: [],
      probe: { mode: 'addon', count: n(10_000, 500) },
      settleHoldMs,
      timeoutMs: 90_000,
      baseline: 'a-ref',
    },
        ]),
    ...(o.floorBinary === null
      ? []
      : [
          {
            id: 'a-c',
            title: 'tight C connect() loop, 256 in flight (the floor, for a)',
            reference: 'a',
            kind: 'probe',
            serveArgs: [],
            probe: { mode: 'floor', count: n(10_000, 500), binary: o.floorBinary },
            settleHoldMs,
            timeoutMs: 90_000,
            baseline: 'a-ref',
          },
        ]),
    ...engineCases({
      id: 'b',
      title: `${n('19,000', '500')} over source addresses, one process`,
      probe: { mode: 'engine', count: n(19_000, 500), ...manySources },
      settleHoldMs,
      timeoutMs: 120_000,
      baseline: 'b-ref',
      jsGoals: { ratioMax: 0.7, rss: true },
    }, o.addonBuilt),
    {
      id: 'b-ref',
      title: 'plain Node loop (reference for b)',
      reference: 'b',
      kind: 'probe',
      serveArgs: [],
      probe: { mode: 'plain', count: n(19_000, 500), ...manySources },
      settleHoldMs,
      timeoutMs: 120_000,
    },
    {
      id: 'c',
      title: `${n('100,000', '2,000')} held, ${probeWorkers} worker processes, serve --workers ${serveWorkers}`,
      kind: 'probe',
      serveArgs: ['--workers', String(serveWorkers)],
      probe: { mode: 'workers', count: held, workers: probeWorkers, engine: o.addonBuilt ? 'native' : 'js', ...manySources },
      settleHoldMs,
      timeoutMs: 300_000,
      // Issue 14's bound is 120 MB for 100,000 (1.2 KB each); a quick run scales it.
      goals: { heldMin: held, rss: true, aboveBaselineMb: (120 * held) / 100_000 },
    },
    {
      id: 'd',
      title: `${n('10,000', '500')}-capped target, exact cap found`,
      kind: 'ramp',
      serveArgs: ['--max-conns', String(cap)],
      rampArgs: ['--rate', n('10k', '2k'), '--hold', '0', '--workers', '1', '--max-duration', '20s'],
      expectMax: cap,
      timeoutMs: 60_000,
      goals: { verdictMaxMs: 5000, exact: true },
    },
    {
      id: 'e',
      title: `${n('24,000', '600')}-capped serve --workers 2, exact cap found`,
      kind: 'ramp',
      serveArgs: ['--max-conns', String(bigCap), '--workers', '2'],
      rampArgs: ['--rate', n('10k', '2k'), '--hold', '0', '--workers', '2', '--max-duration', '30s'],
      expectMax: bigCap,
      timeoutMs: 90_000,
      goals: { exact: true },
    },
    // Issue 11: what a user gets with no flags at all. Start-up first, then `ramp` with only what the bench needs
    // (--json for the result, -q) against a capped target that closes what is over its cap. The time is from spawn
    // to the result document on stdout, less the default 2 s hold ("--hold excluded"): the hold stays, because it is
    // also when the handshake audit can tell dropped handshakes from idle connections (with --hold 0 the audit
    // waits for that itself). The ramp's own --max-duration bounds each run.
    {
      id: 'startup',
      title: `tcpprobe --version: wall time to exit, median of ${n(15, 5)} per run`,
      kind: 'startup',
      args: ['--version'],
      samples: n(15, 5),
      timeoutMs: 60_000,
      goals: { issue: 25, wallMaxMs: 80 },
    },
    // Issue 25's other fixed cost: one connection held 0.1 s against a local target (serve), start to exit.
    {
      id: 'hold1',
      title: `tcpprobe hold -c 1 --duration 0.1s against serve: wall time to exit, median of ${n(15, 5)} per run`,
      kind: 'startup',
      serveArgs: [],
      args: ['hold', '--host', '127.0.0.1', '--port', '{port}', '-c', '1', '--duration', '0.1s'],
      samples: n(15, 5),
      timeoutMs: 60_000,
      goals: { issue: 25, wallMaxMs: 200 },
    },
    ...[
      { id: 'r1k', cap: n(1_000, 100), serveWorkers: 1, goals: { issue: 11, verdictMaxMs: 1000, exact: true } },
      // Issue 25's cost curve. r10k's goal is a ratio to the plain loop's time for as many connections (a-ref, the
      // same count), same run; r1m needs a target of 56 processes (20,000 open files each) and ~30 of its own.
      { id: 'r10k', cap: n(10_000, 500), serveWorkers: 1, baseline: 'a-ref', goals: { issue: 25, ratioMax: 1.0, exact: true } },
      { id: 'r100k', cap: held, serveWorkers: n(6, 2), goals: { issue: 25, verdictMaxMs: 6_000, exact: true } },
      {
        id: 'r1m',
        cap: n(1_000_000, 5_000),
        serveWorkers: n(56, 2),
        timeoutMs: 400_000,
        goals: { issue: 25, verdictMaxMs: 60_000, exact: true, peakAboveStartMbMax: n(2000, 100) },
      },
    ].map((r) => ({
      id: r.id,
      title:
        `ramp (defaults) against serve --max-conns ${r.cap.toLocaleString('en-US')} --over-limit close` +
        (r.serveWorkers > 1 ? ` --workers ${r.serveWorkers}` : ''),
      kind: 'ramp',
      serveArgs: ['--max-conns', String(r.cap), '--over-limit', 'close', ...(r.serveWorkers > 1 ? ['--workers', String(r.serveWorkers)] : [])],
      rampArgs: [],
      holdExcludedMs: 2000,
      expectMax: r.cap,
      timeoutMs: r.timeoutMs ?? 120_000,
      ...(r.baseline === undefined ? {} : { baseline: r.baseline }),
      goals: r.goals,
    })),
    // Issue 25: a real server, and the CLI as a user runs it: `tcpprobe hold` opening 10,000 at once over three
    // loopback addresses against nginx, from its process start to the last connection established, divided by the
    // plain loop's time from its own start to as many against the same nginx, same sources, same run. A
    // machine without nginx skips both (bench.mjs says so; under CI it fails).
    ...nginxCases(n(10_000, 300), settleHoldMs, n('3s', '1s')),
  ];
}

/** What the nginx cases need and how to get it; bench.mjs leaves them out, visibly, where it is missing. */
export const NGINX_NEED = { command: 'nginx', remedy: 'apt-get install -y nginx-light' };
/** The loopback addresses the nginx cases connect from (all of 127/8 is routed to lo on Linux). */
const NGINX_SOURCES = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];

/**
 * nginx10k and its reference. `durationArg`: hold's --duration, long enough for every connection to be
 * established first (the time is read from the result, not the exit).
 */
function nginxCases(count, settleHoldMs, durationArg) {
  const shown = count.toLocaleString('en-US');
  const base = { target: 'nginx', needs: [NGINX_NEED], serveArgs: [], timeoutMs: 60_000 };
  return [
    {
      ...base,
      id: 'nginx10k',
      title: `tcpprobe hold -c ${shown} --delay 0 --source ${NGINX_SOURCES.join(',')} against nginx: process start to all established`,
      kind: 'hold',
      connections: count,
      holdArgs: ['--delay', '0', '--source', NGINX_SOURCES.join(','), '--duration', durationArg],
      baseline: 'nginx10k-ref',
      goals: { issue: 25, ratioMax: 0.4 },
    },
    {
      ...base,
      id: 'nginx10k-ref',
      title: 'plain Node loop against the same nginx, same sources (reference for nginx10k)',
      reference: 'nginx10k',
      kind: 'probe',
      probe: { mode: 'plain', count, sources: NGINX_SOURCES },
      settleHoldMs,
    },
  ];
}

/** Issue 14's goals for the native engine, per case of one process. */
const NATIVE_GOALS = { ratioMax: 0.45, rss: { settledKb: 0.6, peakKb: 0.6 }, cpuUsPerConnMax: 50, issue: 14 };

/** One case per engine: `ID` on the native engine (issue 14's goals), `ID-js` on the JS engine (its old goals). */
function engineCases(c, addonBuilt) {
  const base = { kind: 'probe', serveArgs: [], settleHoldMs: c.settleHoldMs, timeoutMs: c.timeoutMs, baseline: c.baseline };
  // Without the core (no compiler at install) `ID` runs what the product then runs, the JS engine, and says so.
  const own = addonBuilt
    ? { title: `${c.title}, native engine`, probe: { ...c.probe, engine: 'native' }, goals: NATIVE_GOALS }
    : { title: `${c.title}, JS engine (the native core is not built here)`, probe: { ...c.probe, engine: 'js' }, goals: c.jsGoals };
  return [
    { ...base, id: c.id, ...own },
    { ...base, id: `${c.id}-js`, title: `${c.title}, JS engine`, probe: { ...c.probe, engine: 'js' }, goals: c.jsGoals },
  ];
}

/**
 * The cases to run for `--cases ID,...`: those named, the references of those named (a-ref for a), and the
 * baselines they are divided by (a-ref for r10k), in run order.
 * @param {object[]} all every case, as benchCases returns them
 * @param {string[] | null} ids null: all of them
 */
export function selectCases(all, ids) {
  if (ids === null) return all;
  const wanted = new Set(ids);
  for (const c of all) if (ids.includes(c.id) && c.baseline !== undefined) wanted.add(c.baseline);
  return all.filter((c) => wanted.has(c.id) || ids.includes(c.reference));
}

/**
 * The cases this machine can run, and those it cannot with what each lacks, worded as a test's skip is: "nginx
 * (apt-get install -y nginx-light)".
 * @param {object[]} cases
 * @param {(command: string) => boolean} have whether a command is installed
 */
export function splitByNeeds(cases, have) {
  const runnable = [];
  const skipped = [];
  for (const c of cases) {
    const missing = (c.needs ?? []).filter((x) => !have(x.command));
    if (missing.length === 0) runnable.push(c);
    else skipped.push({ id: c.id, missing: missing.map((x) => `${x.command} (${x.remedy})`).join(', ') });
  }
  return { runnable, skipped };
}
