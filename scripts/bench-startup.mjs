/**
 * Start-up cost of the CLI: wall time from spawning `node dist/cli/main.js ARGS` to its exit, for commands that
 * do no work of their own (--version, --help, ramp --help), median of N runs each.
 *
 *   node scripts/bench-startup.mjs [--runs N] [--cli PATH] [--json]
 *
 * `--cli` times another build (for example a copy of dist/ from before a change, next to a node_modules) in the
 * same session, so that the machine's load falls on both alike. The `startup` case of `npm run bench`
 * (scripts/bench-run.mjs) calls timeCommand() for `--version`.
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { median } from './bench-report.mjs';

/** The bin a user runs (package.json "bin"). */
export const DEFAULT_CLI = fileURLToPath(new URL('../dist/cli/bin.cjs', import.meta.url));

/** The commands timed by default: each prints and exits without touching the network. */
export const STARTUP_COMMANDS = [['--version'], ['--help'], ['ramp', '--help'], ['serve', '--help']];

/**
 * Wall time of `node CLI ...args` to its exit, `runs` times in a row (after one untimed run, so the file cache is
 * warm for the first timed one as for the others).
 * @returns {{ args: string[], ms: number[], medianMs: number, minMs: number, maxMs: number }}
 * @throws Error when the command exits with a status other than 0
 */
export function timeCommand(args, runs, cli = DEFAULT_CLI) {
  return { args, ...timeNode([cli, ...args], runs) };
}

/** Wall times of `node ...nodeArgs`, as timeCommand: `timeNode(['-e', '0'], runs)` is Node alone, for scale. */
export function timeNode(nodeArgs, runs) {
  const once = () => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, nodeArgs, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`node ${nodeArgs.join(' ')} exited ${r.status ?? r.signal}: ${String(r.stderr).trim()}`);
    return ms;
  };
  once();
  const ms = Array.from({ length: runs }, once);
  return { ms, medianMs: median(ms), minMs: Math.min(...ms), maxMs: Math.max(...ms) };
}

function main(argv) {
  let runs = 15;
  let cli = DEFAULT_CLI;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') runs = Number(argv[++i]);
    else if (argv[i] === '--cli') cli = argv[++i];
    else if (argv[i] === '--json') json = true;
    else {
      process.stderr.write(`bench-startup: unknown argument ${argv[i]}\nusage: node scripts/bench-startup.mjs [--runs N] [--cli PATH] [--json]\n`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(runs) || runs < 1 || runs > 200) {
    process.stderr.write('bench-startup: --runs must be 1 to 200\n');
    process.exit(2);
  }
  // Node itself, for scale: what no CLI can go below.
  const bare = { args: ['(node -e 0)'], ...timeNode(['-e', '0'], runs) };
  const results = STARTUP_COMMANDS.map((args) => timeCommand(args, runs, cli));
  if (json) {
    process.stdout.write(`${JSON.stringify({ cli, runs, node: bare, commands: results }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`wall time to exit, median [min-max] of ${runs} runs; ${cli}\n`);
  for (const r of [bare, ...results]) {
    const label = r.args.join(' ').padEnd(16);
    process.stdout.write(`  ${label} ${r.medianMs.toFixed(0).padStart(4)} ms  [${r.minMs.toFixed(0)}-${r.maxMs.toFixed(0)}]\n`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
