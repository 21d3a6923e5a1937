/**
 * `npm run bench`: how fast and how lean tcpprobe is, against the goals of issues 5 and 11, with a plain Node
 * client measured in the same run as the reference.
 *
 *   node scripts/bench.mjs [--runs N] [--cases a,b,c,d,e,startup,hold1,r1k,r10k,r100k,r1m,nginx10k] [--json FILE|-] [--quick]
 *
 * Each run of each case gets a fresh network namespace (`unshare -n`) when we are root, so the TIME_WAIT and port
 * state one run leaves cannot skew the next; it then starts its own target (`tcpprobe serve`) and the measured
 * client there (scripts/bench-run.mjs). Without root it runs in the root namespace and says so. Runs of the cases
 * are interleaved (a, a-ref, b, ..., then the second run of each) so that load from elsewhere on the machine
 * falls on a case and its reference alike.
 *
 * Needs a build (`npm run bench` builds first). A case whose `needs` this machine lacks (nginx10k: nginx) is
 * skipped and the report says what to install; under CI=true that is a failure, as for the tests
 * (test/helpers/needs.ts). Exit status: 0 when every run completed (goals met or not), 1 when a run failed or, on
 * CI, a case was skipped, 2 for bad arguments.
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchCases, selectCases, splitByNeeds } from './bench-cases.mjs';
import { canUnshare, haveCommand, runnerResult, spawnRunner } from './bench-common.mjs';
import { checkGoals, formatReport, summarize } from './bench-report.mjs';

const RUNNER = fileURLToPath(new URL('./bench-run.mjs', import.meta.url));
const FLOOR_SOURCE = fileURLToPath(new URL('./bench-floor.c', import.meta.url));

function usage(message) {
  process.stderr.write(`bench: ${message}\nusage: node scripts/bench.mjs [--runs N] [--cases a,b,...] [--json FILE|-] [--quick]\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { runs: null, cases: null, json: null, quick: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === '--runs') {
      o.runs = Number(value());
      if (!Number.isInteger(o.runs) || o.runs < 1 || o.runs > 50) usage('--runs must be 1 to 50');
    } else if (a === '--cases') o.cases = value().split(',').map((s) => s.trim());
    else if (a === '--json') o.json = value();
    else if (a === '--quick') o.quick = true;
    else usage(`unknown argument ${a}`);
  }
  o.runs ??= o.quick ? 1 : 3;
  return o;
}

/** One run of one case, in its own namespace when possible; resolves with the runner's JSON line. */
async function runOnce(spec, netns) {
  const { child, out } = spawnRunner([RUNNER, JSON.stringify({ ...spec, netns })], netns);
  // The runner bounds itself; this is the backstop if it hangs anyway.
  const timer = setTimeout(() => child.kill('SIGKILL'), (spec.timeoutMs ?? 180_000) + 30_000);
  await once(child, 'close');
  clearTimeout(timer);
  return runnerResult(out);
}

const loadavg = () => os.loadavg()[0].toFixed(2);

/** Compile the C floor into `dir` if a C compiler is at hand; null (and the floor row is left out) otherwise. */
function buildFloor(dir) {
  const binary = join(dir, 'bench-floor');
  const cc = spawnSync('cc', ['-O2', '-o', binary, FLOOR_SOURCE], { stdio: 'ignore', timeout: 60_000 });
  return cc.status === 0 ? binary : null;
}

/** Whether the native core loads here (the `addon` row needs it). */
function addonLoads() {
  try {
    createRequire(import.meta.url)('node-gyp-build')(fileURLToPath(new URL('..', import.meta.url)));
    return true;
  } catch {
    return false;
  }
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const tmp = mkdtempSync(join(os.tmpdir(), 'tcpprobe-bench-'));
  process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
  const all = benchCases({ quick: o.quick, floorBinary: buildFloor(tmp), addonBuilt: addonLoads() });
  const selected = selectCases(all, o.cases);
  if (selected.length === 0) usage(`no such case: ${o.cases.join(',')} (cases: ${all.map((c) => c.id).join(', ')})`);
  const { runnable: cases, skipped } = splitByNeeds(selected, haveCommand);
  for (const x of skipped) process.stderr.write(`bench: case ${x.id} skipped: needs ${x.missing}\n`);
  const onCi = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
  const netns = canUnshare();
  const isolation = netns
    ? 'each run in a fresh network namespace'
    : 'WARNING: not root, runs share the root network namespace (TIME_WAIT from one run can skew the next)';
  if (!netns) process.stderr.write(`bench: ${isolation}\n`);

  const startedAt = new Date().toISOString();
  const loadStart = loadavg();
  const runsByCase = new Map(cases.map((c) => [c.id, []]));
  for (let run = 1; run <= o.runs; run++) {
    for (const c of cases) {
      process.stderr.write(`bench: run ${run}/${o.runs} case ${c.id} (${c.title}) ... `);
      const result = await runOnce(c, netns);
      runsByCase.get(c.id).push(result);
      process.stderr.write(result.ok ? 'done\n' : `FAILED: ${result.error ?? 'see table'}\n`);
    }
  }
  const loadEnd = loadavg();
  const summaries = summarize(cases, runsByCase);
  const goals = checkGoals(summaries);
  const cpus = os.cpus().length;
  const context = {
    quick: o.quick,
    runs: o.runs,
    isolation,
    cpus,
    node: process.versions.node,
    loadStart,
    loadEnd,
    loaded: Math.max(Number(loadStart), Number(loadEnd)) > cpus * 0.5,
    skipped,
  };
  const report = formatReport(summaries, goals, context);
  if (o.json === '-') {
    process.stderr.write(report);
  } else {
    process.stdout.write(report);
  }
  if (o.json !== null) {
    const doc = `${JSON.stringify({ schema: 'tcpprobe-bench', schemaVersion: 1, startedAt, context, cases: summaries, goals }, null, 2)}\n`;
    if (o.json === '-') process.stdout.write(doc);
    else writeFileSync(o.json, doc);
  }
  process.exit(summaries.some((s) => s.failedRuns.length > 0) || (onCi && skipped.length > 0) ? 1 : 0);
}

await main();
