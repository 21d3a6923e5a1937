/**
 * `npm run conformance`: tcpprobe against real servers (Debian packages), each compared with the slow reference
 * prober measured in the same run (test/conformance, test/helpers/real-servers.ts, test/helpers/reference-prober.ts).
 *
 *   node scripts/conformance.mjs [--runs N] [--json FILE] [FILTER...]
 *
 * Runs the vitest conformance suite with TCPPROBE_CONFORMANCE_RUNS=N, so each case runs N times with a fresh server
 * for every reference and every tcpprobe measurement, then prints one row per case:
 *   server | truth (reference) | tcpprobe results | runs exact (a rate: runs within its tolerance)
 * FILTER narrows the test files as vitest does (e.g. `redis`, `nginx`). Needs a build (`npm run conformance` builds
 * first). Exit status: vitest's (0 when every case passed every run), 2 for bad arguments.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const VITEST = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');

function usage(message) {
  process.stderr.write(`conformance: ${message}\nusage: node scripts/conformance.mjs [--runs N] [--json FILE] [FILTER...]\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { runs: 1, json: null, filters: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1 || n > 100) usage('--runs needs a whole number from 1 to 100');
      o.runs = n;
    } else if (a === '--json') {
      o.json = argv[++i];
      if (o.json === undefined) usage('--json needs a file');
    } else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else o.filters.push(a);
  }
  return o;
}

/** Group run records by case, in the order cases first appeared. */
function byCase(records) {
  const cases = new Map();
  for (const r of records) {
    if (!cases.has(r.case)) cases.set(r.case, []);
    cases.get(r.case).push(r);
  }
  return cases;
}

/** "200" when every run agrees, else "min-max (a, b, c)" (the range of the numbers among them). */
function spread(values) {
  const distinct = [...new Set(values)];
  if (distinct.length === 1) return String(distinct[0]);
  const numbers = values.filter((v) => typeof v === 'number');
  return `${Math.min(...numbers)}-${Math.max(...numbers)} (${values.join(', ')})`;
}

function table(records) {
  const header = ['server', 'truth (reference)', 'tcpprobe results', 'runs exact'];
  const rows = [...byCase(records)].map(([name, runs]) => {
    const verdicts = [...new Set(runs.map((r) => r.verdict))].join('/');
    return [
      name,
      `${spread(runs.map((r) => r.truth))} ${runs[0].truthKind}`,
      `${spread(runs.map((r) => r.tcpprobe ?? 'none'))} ${verdicts}`,
      `${runs.filter((r) => r.exact).length}/${runs.length}${runs[0].within === undefined ? '' : ` within ±${runs[0].within * 100}%`}`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}

const opts = parseArgs(process.argv.slice(2));
if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) usage('no build: run `npm run build` first (npm run conformance does)');
const dir = mkdtempSync(join(os.tmpdir(), 'tcpprobe-conformance-'));
const out = join(dir, 'runs.jsonl');
const started = Date.now();
// vitest's filters match any part of a file's path and any one of them will do: 'test/conformance' next to a
// filter would let every case through, so each filter is narrowed to the conformance folder itself.
const targets = opts.filters.length === 0 ? ['test/conformance'] : opts.filters.map((f) => `test/conformance/${f}`);
const child = spawn(process.execPath, [VITEST, 'run', ...targets], {
  cwd: ROOT,
  env: { ...process.env, TCPPROBE_CONFORMANCE_RUNS: String(opts.runs), TCPPROBE_CONFORMANCE_OUT: out },
  stdio: 'inherit',
});
const [code, signal] = await once(child, 'exit');
const records = existsSync(out)
  ? readFileSync(out, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l))
  : [];
if (opts.json !== null && existsSync(out)) copyFileSync(out, opts.json);
rmSync(dir, { recursive: true, force: true });

process.stdout.write(`\nconformance: ${opts.runs} run(s) per case, ${((Date.now() - started) / 1000).toFixed(0)} s\n\n`);
process.stdout.write(records.length === 0 ? 'no case ran (all skipped?)\n' : `${table(records)}\n`);
process.exitCode = signal !== null ? 1 : (code ?? 1);
