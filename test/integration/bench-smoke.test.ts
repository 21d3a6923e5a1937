/**
 * `npm run bench` end to end with a tiny N (--quick: hundreds of connections, one run per case): it starts its own
 * targets, measures every case, prints the table and the goals, writes the JSON document, and exits 0. The figures
 * themselves are not judged here (a quick run is far too small for that); scripts/bench.mjs is the real thing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { collect } from '../helpers/cli.js';
import { need } from '../helpers/needs.js';
import { nativeCoreProblem } from '../../src/engine/native-addon.js';

const BENCH = fileURLToPath(new URL('../../scripts/bench.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tcpprobe-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface BenchDoc {
  schema: string;
  cases: { id: string; runs: number; failedRuns: string[]; figures: { connections: { median: number } | null } }[];
  goals: { case: string; goal: string; met: boolean }[];
}

it('runs every case once with a tiny N, prints the table and the goals, and writes JSON', async () => {
  const jsonFile = join(dir, 'bench.json');
  const child = spawn(process.execPath, [BENCH, '--quick', '--json', jsonFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const run = await collect(child, 60_000);
  expect(run.code, run.stderr.slice(-2000)).toBe(0);

  const lines = run.stdout.split('\n');
  const header = lines.findIndex((l) => /^case\s+connections\s+time s\s+connects\/s/.test(l));
  expect(header).toBeGreaterThan(0);
  // a-n (the native core with no pool) runs where the addon loads.
  // nginx10k and its reference need nginx; without it the bench skips them and says what to install (on CI, where
  // every need must be met, it exits 1 instead).
  const haveNginx = need.command('nginx', 'nginx-light').present();
  const ids = [
    'a', 'a-ref', 'b', 'b-ref', 'c', 'd', 'e', 'startup', 'hold1', 'r1k', 'r10k', 'r100k', 'r1m',
    ...(nativeCoreProblem() === null ? ['a-n'] : []),
    ...(haveNginx ? ['nginx10k', 'nginx10k-ref'] : []),
  ];
  for (const id of ids) {
    expect(lines.some((l) => l.startsWith(`${id} `)), `a row for case ${id}`).toBe(true);
  }
  if (haveNginx) {
    expect(run.stdout).toMatch(/(met|NOT MET) +nginx10k +process start to all established <= 0.4x the plain loop's: \d+\.\d\dx/);
  } else {
    expect(run.stdout).toMatch(/SKIPPED nginx10k: needs nginx \(apt-get install -y nginx-light\)/);
  }
  expect(run.stdout).toMatch(/goals \(issue 5/);
  expect(run.stdout).toMatch(/(met|NOT MET) +hold1 +wall time to exit <= 0.2 s: \d\.\d{3} s/);
  expect(run.stdout).toMatch(/Node alone\n\(`node -e 0`\) in the same runs: startup \d\.\d{3}.* s, hold1 \d\.\d{3}.* s;/);
  expect(run.stdout).toMatch(/(met|NOT MET) +c +at least 2,000 held at once/);
  expect(run.stdout).toMatch(/(met|NOT MET) +r10k +time to the verdict <= 1x the plain loop's time to open as many: \d+\.\d\dx/);
  // The cost curve: time per 1,000 connections for every sized case, and the peak of all processes over the start.
  expect(run.stdout).toMatch(/ms\/1k conns/);
  expect(run.stdout).toMatch(/(met|NOT MET) +r1m +memory of all tcpprobe processes at the peak, above the first one's start, <= 100 MB: \d+ MB/);

  const doc = JSON.parse(readFileSync(jsonFile, 'utf8')) as BenchDoc;
  expect(doc.schema).toBe('tcpprobe-bench');
  for (const c of doc.cases) {
    expect(c.failedRuns, `case ${c.id}`).toEqual([]);
    expect(c.runs).toBe(1);
  }
  expect(doc.cases.find((c) => c.id === 'c')?.figures.connections?.median).toBe(2000);
  expect(doc.goals.length).toBeGreaterThan(5);
}, 60_000);
