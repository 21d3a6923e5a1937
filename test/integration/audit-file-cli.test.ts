/// <reference lib="dom" />
// The page.evaluate callbacks run in the browser: they see the DOM.
/**
 * Issue 15's CI case, end to end with the built CLI: an audit file with four targets (the built-in server capped
 * and closing, greeting then closing with a message, resetting; and a port nothing listens on) writes the history,
 * the OpenMetrics textfile and the HTML report; the exit code is the worst outcome. Then a second audit regresses,
 * the lock refuses an overlapping audit, a bad file is refused before anything connects, and the report made
 * from the history alone is opened in Debian's chromium (puppeteer-core): no console errors, every chart with
 * the right number of points, a screenshot kept under test-artifacts/.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, runCli, startCli, startServe, type CliRun, type ServeChild } from '../helpers/cli.js';
import { expectValidDocument } from '../helpers/schema-validator.js';
import { family, parseOpenMetrics } from '../helpers/openmetrics-parser.js';
import { freePort } from '../helpers/ports.js';
import { itNeeding, need } from '../helpers/needs.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = resolve(import.meta.dirname, '../../test-artifacts/audit-report.png');

const dir = mkdtempSync(join(tmpdir(), 'tcpprobe-audit-file-'));
const file = (name: string): string => join(dir, name);
const history = file('history.jsonl');
/** What the servers say over the limit: HTML-special on purpose, the report must show it as text. */
const OVER_LIMIT_MESSAGE = '-ERR max <b>clients</b> & "reached"<script>alert(1)</script>';

let cache: ServeChild;
let greeter: ServeChild;
let resetter: ServeChild;
let downPort: number;

beforeAll(async () => {
  [cache, greeter, resetter] = await Promise.all([
    startServe(['--max-conns', '300']),
    startServe(['--max-conns', '200', '--greeting', '+OK ready\\r\\n', '--over-limit-message', OVER_LIMIT_MESSAGE]),
    startServe(['--max-conns', '250', '--over-limit', 'reset']),
  ]);
  downPort = await freePort();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Small caps and short runs: the four ramps take a few seconds together. */
function auditFile(targets: string): string {
  return `# nightly capacity audit (test)
defaults:
  host: 127.0.0.1
  max: 400
  maxDuration: 8s
  hold: 300ms
  labels:
    env: ci
targets:
${targets}`;
}

function fourTargets(): string {
  return auditFile(`  - name: cache
    port: ${cache.port}
    maxRegression: 10%
    labels: { service: cache }
  - name: greeter
    port: ${greeter.port}
    expect: "+OK"
    minConnections: 150
  - name: resetter
    port: ${resetter.port}
  - name: down
    port: ${downPort}
    connectTimeout: 500ms
`);
}

function audit(auditPath: string, ...args: string[]): Promise<CliRun> {
  return runCli(['audit', auditPath, '--history', history, ...args], { timeoutMs: 60_000 });
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

interface AuditDoc {
  schema: string;
  outcome: string;
  exitCode: number;
  targets: Array<{ name: string; outcome: string; exitCode: number; maxConcurrency: number | null; verdict: string | null; gate: string | null }>;
}

interface HistoryLine {
  maxConcurrency: number;
  verdict: { kind: string };
  audit?: { name: string; labels: Record<string, string> };
  gate?: { outcome: string };
  failures: Array<{ class: string; first: { serverSaid: string | null } }>;
}

function historyLines(): HistoryLine[] {
  return lines(readFileSync(history, 'utf8')).map((l) => JSON.parse(l) as HistoryLine);
}

describe('tcpprobe audit FILE', () => {
  it('refuses a bad file as a whole, in one line with exit 2, before anything connects', async () => {
    writeFileSync(file('bad.yaml'), auditFile(`  - name: cache\n    port: 99999\n    colour: blue\n  - port: ${cache.port}\n    maxDuration: 1s\n    hold: 2s\n`));
    const r = await audit(file('bad.yaml'));
    expect(r.code, r.stderr).toBe(2);
    expect(lines(r.stderr)).toEqual([
      'tcpprobe: targets[0].colour: not an option (a ramp flag in camelCase, or name, maxRegression, minConnections, labels); ' +
        'targets[0].port: 99999 is out of range (1-65535); targets[1].name: required; ' +
        'targets[1].hold: must be shorter than maxDuration (the hold is part of the run)',
    ]);
    expect(r.stdout).toBe('');
    expect(existsSync(history)).toBe(false);
  });

  it('runs four targets one after another, saves each by name, and exits with the worst outcome (unreachable, 3)', async () => {
    writeFileSync(file('nightly.yaml'), fourTargets());
    const r = await audit(file('nightly.yaml'), '--json', '--openmetrics', file('tcpprobe.prom'), '--html', file('audit.html'));
    expect(r.code, r.stderr).toBe(3);
    const doc = JSON.parse(r.stdout) as AuditDoc;
    expect(doc.schema).toBe('tcpprobe/audit');
    expectValidDocument('audit.schema.json', doc);
    expect(doc.outcome).toBe('unreachable');
    expect(doc.targets.map((t) => [t.name, t.outcome, t.exitCode, t.maxConcurrency, t.verdict, t.gate])).toEqual([
      ['cache', 'answered', 0, 300, 'limit-by-failure', 'no-baseline'],
      ['greeter', 'answered', 0, 200, 'limit-by-failure', 'no-baseline'],
      ['resetter', 'answered', 0, 250, 'limit-by-failure', 'no-baseline'],
      ['down', 'unreachable', 3, 0, 'unreachable', 'not-compared'],
    ]);
    // Progress in order, then the summary table (on stderr with --json).
    const err = lines(r.stderr);
    expect(err.filter((l) => l.startsWith('audit: ['))).toEqual([
      `audit: [1/4] cache (127.0.0.1:${cache.port})`,
      `audit: [2/4] greeter (127.0.0.1:${greeter.port})`,
      `audit: [3/4] resetter (127.0.0.1:${resetter.port})`,
      `audit: [4/4] down (127.0.0.1:${downPort})`,
    ]);
    const table = err.slice(err.indexOf('Audit of 4 targets from ' + file('nightly.yaml')));
    expect(table.slice(1)).toEqual([
      '  target    address          max  change           verdict',
      `  cache     127.0.0.1:${cache.port}  300  no baseline yet  limit-by-failure`,
      `  greeter   127.0.0.1:${greeter.port}  200  no baseline yet  limit-by-failure`,
      `  resetter  127.0.0.1:${resetter.port}  250  no baseline yet  limit-by-failure`,
      `  down      127.0.0.1:${downPort}    0  not compared     unreachable`,
      '1 of 4 targets did not pass; the worst outcome is unreachable (exit 3).',
    ]);

    const saved = historyLines();
    expect(saved.map((h) => [h.audit?.name, h.maxConcurrency, h.verdict.kind])).toEqual([
      ['cache', 300, 'limit-by-failure'],
      ['greeter', 200, 'limit-by-failure'],
      ['resetter', 250, 'limit-by-failure'],
      ['down', 0, 'unreachable'],
    ]);
    expect(saved[0]?.audit?.labels).toEqual({ env: 'ci', service: 'cache' });
    expect(saved[1]?.failures.some((f) => f.first.serverSaid?.includes('-ERR max <b>clients</b>') === true)).toBe(true);

    const families = parseOpenMetrics(readFileSync(file('tcpprobe.prom'), 'utf8'));
    expect(family(families, 'tcpprobe_max_concurrency').samples.map((s) => [s.labels, s.value])).toEqual([
      [{ env: 'ci', service: 'cache', target: 'cache', address: `127.0.0.1:${cache.port}` }, 300],
      [{ env: 'ci', target: 'greeter', address: `127.0.0.1:${greeter.port}` }, 200],
      [{ env: 'ci', target: 'resetter', address: `127.0.0.1:${resetter.port}` }, 250],
      [{ env: 'ci', target: 'down', address: `127.0.0.1:${downPort}` }, 0],
    ]);
    const verdictOf = (t: string): string | undefined =>
      family(families, 'tcpprobe_verdict').samples.find((s) => s.labels.target === t && s.value === 1)?.labels.verdict;
    expect(verdictOf('down')).toBe('unreachable');
    expect(verdictOf('resetter')).toBe('limit-by-failure');

    const html = readFileSync(file('audit.html'), 'utf8');
    expect(html.match(/<section class="target/g)).toHaveLength(4);
    expect(html).not.toContain(OVER_LIMIT_MESSAGE);
  });

  it('judges a target against its own saved runs: a drop beyond maxRegression exits 7, and is saved as one', async () => {
    // "cache" now points at the server capped at 200: 33% below its baseline of 300.
    writeFileSync(
      file('regressed.yaml'),
      auditFile(`  - name: cache\n    port: ${greeter.port}\n    maxRegression: 10\n  - name: resetter\n    port: ${resetter.port}\n    maxRegression: 10\n`),
    );
    const r = await audit(file('regressed.yaml'), '-q');
    expect(r.code, r.stderr).toBe(7);
    expect(r.stderr).toBe('');
    expect(lines(r.stdout).slice(2)).toEqual([
      `  cache     127.0.0.1:${greeter.port}  200  -33.3% vs 300  limit-by-failure, REGRESSION (allowed 10.0%)`,
      `  resetter  127.0.0.1:${resetter.port}  250  +0.0% vs 250   limit-by-failure`,
      '1 of 2 targets did not pass; the worst outcome is regression (exit 7).',
    ]);
    const saved = historyLines();
    expect(saved).toHaveLength(6);
    expect(saved.slice(4).map((h) => [h.audit?.name, h.maxConcurrency, h.gate?.outcome])).toEqual([
      ['cache', 200, 'regression'],
      ['resetter', 250, 'pass'],
    ]);
  });

  it('refuses to overlap another audit: one line, exit 2, nothing run', async () => {
    const lock = `${history}.audit.lock`;
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), at: '2026-12-02T03:15:00.000Z' }));
    try {
      const r = await audit(file('nightly.yaml'), '-q');
      expect(r.code).toBe(2);
      expect(lines(r.stderr)).toEqual([
        `tcpprobe: another audit is running (pid ${process.pid} on ${hostname()} since 2026-12-02T03:15:00.000Z): "${lock}" is locked; if none is, remove the file`,
      ]);
      expect(historyLines()).toHaveLength(6);
    } finally {
      rmSync(lock);
    }
  });
});

describe('tcpprobe audit, stopped', () => {
  it('on SIGINT saves the interrupted run, runs no further target, and exits 130', async () => {
    const open = await startServe([]);
    const interruptedHistory = file('interrupted.jsonl');
    // A slow fixed rate against an uncapped server: the first target is still ramping when the signal comes.
    writeFileSync(
      file('slow.yaml'),
      auditFile(`  - name: slow\n    port: ${open.port}\n    rate: 50\n    max: 100k\n    maxDuration: 20s\n    hold: 1s\n  - name: never\n    port: ${open.port}\n`),
    );
    const child = startCli(['audit', file('slow.yaml'), '--history', interruptedHistory]);
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const deadline = Date.now() + 15_000;
    while (!stderr.includes('audit: [1/2] slow') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1000));
    const done = collect(child, 20_000);
    child.kill('SIGINT');
    const r = await done;
    expect(r.code, stderr + r.stderr).toBe(130);
    expect(stderr + r.stderr).not.toContain('[2/2]');
    // The summary accounts for the whole file: two targets, one run and stopped, one never reached.
    expect(r.stdout).toMatch(/^Audit of 2 targets from /m);
    expect(r.stdout).toMatch(/^ {2}never +\S+:\d+ +- +not run \(the audit was stopped\)$/m);
    expect(r.stdout).toContain('(stopped after 1 of 2 targets); the worst outcome is interrupted (exit 130).');
    const saved = lines(readFileSync(interruptedHistory, 'utf8')).map((l) => JSON.parse(l) as HistoryLine);
    expect(saved.map((h) => [h.audit?.name, h.verdict.kind])).toEqual([['slow', 'interrupted']]);
    await open.stop();
  });
});

describe('tcpprobe report --history --html, in a real browser', () => {
  it('writes the report from the history alone', async () => {
    const r = await runCli(['report', '--history', history, '--html', file('report.html')]);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stderr)).toEqual([`html: wrote ${file('report.html')} (6 runs)`]);
  });

  itNeeding([need.file(CHROMIUM, 'chromium')], 'loads without console errors or network, every target with its charts and points', async () => {
    const { default: puppeteer } = await import('puppeteer-core');
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    try {
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warn') problems.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${String(e)}`));
      page.on('dialog', (d) => {
        problems.push(`dialog: ${d.message()}`);
        void d.dismiss();
      });
      page.on('request', (q) => requests.push(q.url()));
      await page.goto(pathToFileURL(file('report.html')).href, { waitUntil: 'load' });
      await page.waitForSelector('body[data-charts-drawn]', { timeout: 10_000 });
      const seen = await page.evaluate(() =>
        [...document.querySelectorAll('section.target')].map((s) => ({
          name: s.getAttribute('data-target'),
          charts: [...s.querySelectorAll('.chart')].map((c) => ({
            kind: c.classList.contains('held') ? 'held' : 'trend',
            points: c.getAttribute('data-points'),
            expected: c.getAttribute('data-expected-points'),
            canvases: c.querySelectorAll('canvas').length,
          })),
          serverWords: s.querySelector('table.failures')?.textContent ?? '',
        })),
      );
      const scripts = await page.evaluate(() => document.querySelectorAll('script').length);
      mkdirSync(resolve(SCREENSHOT, '..'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      console.log(`audit report screenshot: ${SCREENSHOT}`);

      expect(problems).toEqual([]);
      expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);
      expect(scripts).toBe(3);
      const timelineLengths = new Map<string, number>();
      for (const h of historyLines()) timelineLengths.set(h.audit?.name ?? '', (h as unknown as { timeline: unknown[] }).timeline.length);
      const runs = (name: string): number => historyLines().filter((h) => h.audit?.name === name).length;
      expect(seen.map((s) => s.name)).toEqual(['cache', 'greeter', 'resetter', 'down']);
      for (const s of seen) {
        const name = s.name ?? '';
        expect(s.charts, name).toEqual([
          { kind: 'held', points: String(timelineLengths.get(name)), expected: String(timelineLengths.get(name)), canvases: 1 },
          { kind: 'trend', points: String(runs(name)), expected: String(runs(name)), canvases: 1 },
        ]);
      }
      expect(Number(seen[0]?.charts[0]?.points)).toBeGreaterThan(3);
      expect(runs('cache')).toBe(2);
      // The server's words are shown as text, tags and all.
      expect(seen[1]?.serverWords).toContain('-ERR max <b>clients</b>');
    } finally {
      await browser.close();
    }
  });
});
