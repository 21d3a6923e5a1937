/// <reference lib="dom" />
// The page.evaluate callbacks run in the browser: they see the DOM.
/**
 * Issue 15's and 27's CI case, end to end with the built CLI: an audit file with four targets (the built-in server
 * capped and closing, greeting then closing with a message, resetting; and a port nothing listens on) runs two
 * nights. The first writes the history, the textfile, the report, JUnit and Markdown; its runs are then moved a day
 * back, as a nightly job's would be. The second night regresses one target and puts another under its floor; its
 * outputs are each checked by what reads them: JUnit by xmllint against the JUnit schema, Markdown rendered by
 * marked, the textfile under promtool with the docs' alert rules, and the report in Debian's chromium
 * (puppeteer-core): the overview, date ticks, the baseline band, the badges, light and dark, no console errors,
 * screenshots kept under test-artifacts/ (TCPPROBE_UPDATE_SCREENSHOT=1 also writes docs/audit-report.png). Also:
 * the lock refuses an overlapping audit, a bad file is refused before anything connects, and a stopped audit.
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
import { validateJUnit, XMLLINT, xpath } from '../helpers/junit.js';
import { docsAlertRules, PROMTOOL, testRules } from '../helpers/promtool.js';
import { marked, type Tokens } from 'marked';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts');
const DOCS_SCREENSHOT = resolve(import.meta.dirname, '../../docs/audit-report.png');
const DAY_MS = 86_400_000;

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

/** The four targets; the second night points cache at the 200 server and raises greeter's floor above its 200. */
function fourTargets(night: 1 | 2 = 1): string {
  return auditFile(`  - name: cache
    port: ${night === 1 ? cache.port : greeter.port}
    maxRegression: 10%
    labels: { service: cache }
  - name: greeter
    port: ${greeter.port}
    expect: "+OK"
    maxRegression: 10%
    minConnections: ${night === 1 ? 150 : 250}
  - name: resetter
    port: ${resetter.port}
    maxRegression: 10%
  - name: down
    port: ${downPort}
    connectTimeout: 500ms
`);
}

/** Move every saved run a day back: the first night, as a nightly job's history has it. */
function shiftHistoryBack(): void {
  const shifted = historyLines().map((h) => {
    const r = h as unknown as { startedAt: string; finishedAt: string };
    return JSON.stringify({ ...h, startedAt: new Date(Date.parse(r.startedAt) - DAY_MS).toISOString(), finishedAt: new Date(Date.parse(r.finishedAt) - DAY_MS).toISOString() });
  });
  writeFileSync(history, `${shifted.join('\n')}\n`);
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
    writeFileSync(file('nightly.yaml'), fourTargets(1));
    const r = await audit(file('nightly.yaml'), '--json', '--openmetrics', file('tcpprobe.prom'), '--html', file('audit.html'),
      '--junit', file('night1.xml'), '--markdown', file('night1.md'));
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
    expect(html).toContain('<title>Capacity audit: nightly</title>');
    expect(readFileSync(file('night1.md'), 'utf8')).toContain('**1 of 4 targets did not pass; the worst outcome is unreachable (exit 3).**');
    expect(readFileSync(file('night1.xml'), 'utf8')).toContain('<testcase name="down" classname="tcpprobe.audit"');
    shiftHistoryBack();
  });

  it('the second night: cache regresses, greeter falls under its floor; exit 3, each saved, the summary says why', async () => {
    writeFileSync(file('nightly.yaml'), fourTargets(2));
    const r = await audit(file('nightly.yaml'), '-q', '--openmetrics', file('night2.prom'), '--html', file('night2.html'),
      '--junit', file('night2.xml'), '--markdown', file('night2.md'));
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toBe('');
    expect(lines(r.stdout).slice(1)).toEqual([
      '  target    address          max  change         verdict',
      `  cache     127.0.0.1:${greeter.port}  200  -33.3% vs 300  limit-by-failure, REGRESSION (allowed 10.0%)`,
      `  greeter   127.0.0.1:${greeter.port}  200  +0.0% vs 200   limit-by-failure, BELOW MINIMUM 250`,
      `  resetter  127.0.0.1:${resetter.port}  250  +0.0% vs 250   limit-by-failure`,
      `  down      127.0.0.1:${downPort}    0  not compared   unreachable`,
      '3 of 4 targets did not pass; the worst outcome is unreachable (exit 3).',
    ]);
    const saved = historyLines();
    expect(saved).toHaveLength(8);
    expect(saved.slice(4).map((h) => [h.audit?.name, h.maxConcurrency, h.gate?.outcome])).toEqual([
      ['cache', 200, 'regression'],
      ['greeter', 200, 'pass'],
      ['resetter', 250, 'pass'],
      ['down', 0, 'not-compared'],
    ]);
  });

  itNeeding([XMLLINT], 'its JUnit file validates against the JUnit schema: a case per target, failures with the verdict sentence', () => {
    const xml = readFileSync(file('night2.xml'), 'utf8');
    const v = validateJUnit(xml);
    expect(v.code, `${v.output}\n${xml}`).toBe(0);
    expect(xpath(xml, 'concat(//testsuite/@tests, " ", //testsuite/@failures, " ", //testsuite/@errors)')).toBe('4 3 0');
    expect(xpath(xml, 'string(//testcase[@name="cache"]/failure/@message)')).toBe(
      'max concurrency 200 is 33.3% below the baseline 300 (allowed 10%) (the best of 1 recent passing run)',
    );
    expect(xpath(xml, 'string(//testcase[@name="greeter"]/failure/@message)')).toBe('max concurrency 200 is below minConnections 250');
    expect(xpath(xml, 'string(//testcase[@name="down"]/failure/@type)')).toBe('unreachable');
    expect(xpath(xml, 'count(//testcase[@name="resetter"]/failure)')).toBe('0');
  });

  it('its Markdown renders to the overview table, the outcome first and the reasons after', () => {
    const md = readFileSync(file('night2.md'), 'utf8');
    const table = marked.lexer(md).find((t): t is Tokens.Table => t.type === 'table');
    expect(table?.rows.map((row) => [row[0]?.text, marked.parseInline(row[1]?.text ?? ''), row[3]?.text, row[4]?.text])).toEqual([
      ['❌', '<strong>cache</strong>', '200', '-33.3% vs 300'],
      ['❌', '<strong>greeter</strong>', '200', '+0.0% vs 200'],
      ['✅', '<strong>resetter</strong>', '250', '+0.0% vs 250'],
      ['❌', '<strong>down</strong>', '0', 'not compared'],
    ]);
    const html = marked.parse(md) as string;
    expect(html).toContain('<strong>3 of 4 targets did not pass; the worst outcome is unreachable (exit 3).</strong>');
    expect(html).toContain('<li><strong>greeter</strong>, below the minimum: max concurrency 200 is below minConnections 250</li>');
  });

  itNeeding([PROMTOOL], 'its textfile drives the docs\' alert rules under promtool: each alert for exactly its targets', () => {
    const labels = (name: string, port: number, severity: string, extra: Record<string, string> = {}) => ({
      severity, env: 'ci', ...extra, target: name, address: `127.0.0.1:${port}`,
    });
    const failed = (name: string, port: number, extra: Record<string, string> = {}) => ({
      labels: labels(name, port, 'info', extra),
      annotations: { summary: `${name} did not pass its last audit (see tcpprobe_verdict)` },
    });
    const r = testRules(dir, docsAlertRules(), parseOpenMetrics(readFileSync(file('night2.prom'), 'utf8')), [
      {
        alertname: 'TcpprobeCapacityRegressed',
        alerts: [{ labels: labels('cache', greeter.port, 'warning', { service: 'cache' }), annotations: { summary: 'cache: max concurrency -33.33% against its baseline' } }],
      },
      {
        alertname: 'TcpprobeBelowMinimum',
        alerts: [{ labels: labels('greeter', greeter.port, 'warning'), annotations: { summary: 'greeter holds 200 connections, below its minConnections' } }],
      },
      { alertname: 'TcpprobeTargetFailed', alerts: [failed('cache', greeter.port, { service: 'cache' }), failed('greeter', greeter.port), failed('down', downPort)] },
    ]);
    expect(r.code, r.output).toBe(0);
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
      expect(historyLines()).toHaveLength(8);
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

describe('the reports in a real browser', () => {
  it('report --history writes the page from the history alone: every series, judged by its latest run', async () => {
    const r = await runCli(['report', '--history', history, '--html', file('report.html')]);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stderr)).toEqual([`html: wrote ${file('report.html')} (8 runs)`]);
    const html = readFileSync(file('report.html'), 'utf8');
    expect(html).toContain('<title>Capacity report: history</title>');
    expect(html.match(/<section class="target/g)).toHaveLength(4);
    expect(html).toContain('3 of 4 targets did not pass; the worst outcome is unreachable (exit 3).');
  });

  itNeeding([need.file(CHROMIUM, 'chromium')], 'the second night\'s report: overview, date ticks, the band, badges, light and dark, no errors', async () => {
    const { default: puppeteer } = await import('puppeteer-core');
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    try {
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 1000 });
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
      await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
      await page.goto(pathToFileURL(file('night2.html')).href, { waitUntil: 'load' });
      await page.waitForSelector('body[data-charts-drawn]', { timeout: 10_000 });

      const seen = await page.evaluate(() => ({
        title: document.title,
        outcome: document.querySelector('p.outcome')?.textContent ?? '',
        meta: document.querySelector('p.meta')?.textContent ?? '',
        overview: [...document.querySelectorAll('table.overview tr[data-target]')].map((tr) => ({
          name: tr.getAttribute('data-target'),
          cells: [...tr.querySelectorAll('td')].slice(1, 4).map((td) => td.textContent),
          badges: [...tr.querySelectorAll('.badge')].map((b) => b.className.replace('badge ', '')),
        })),
        sections: [...document.querySelectorAll('section.target')].map((sec) => ({
          name: sec.getAttribute('data-target'),
          charts: [...sec.querySelectorAll('.chart')].map((c) => ({
            kind: c.classList[1],
            points: c.getAttribute('data-points'),
            expected: c.getAttribute('data-expected-points'),
            canvases: c.querySelectorAll('canvas').length,
          })),
          legend: [...sec.querySelectorAll('ul.legend li')].map((li) => li.textContent),
          facts: Object.fromEntries([...sec.querySelectorAll('dl.facts dt')].map((dt) => [dt.textContent, dt.nextElementSibling?.textContent])),
          reasons: [...sec.querySelectorAll('ul.reasons li')].map((li) => li.textContent),
          serverWords: sec.querySelector('table.failures')?.textContent ?? '',
        })),
        ticks: JSON.parse(document.getElementById('t0-trend')?.getAttribute('data-x-ticks') ?? '[]') as string[],
        band: document.getElementById('t0-trend')?.getAttribute('data-band'),
        legendText: document.body.innerText.includes(': --'),
        background: getComputedStyle(document.body).backgroundColor,
      }));
      // The band: inside it (between the allowed floor 270 and the baseline 300, left of the first run) the canvas
      // has the band's fill; above the baseline it has none.
      const pixels = await page.evaluate(() => {
        const charts = (window as unknown as { tcpprobeCharts: Record<string, {
          ctx: CanvasRenderingContext2D; valToPos(v: number, scale: string, canvas?: boolean): number; scales: { x: { min: number; max: number } };
        }> }).tcpprobeCharts;
        const u = charts['t0-trend'];
        if (u === undefined) return null;
        const x = Math.round(u.valToPos(u.scales.x.min + (u.scales.x.max - u.scales.x.min) / 60, 'x', true));
        // One readback of a one-pixel column from above the baseline (330) down into the band (285).
        const top = Math.round(u.valToPos(330, 'y', true));
        const bottom = Math.round(u.valToPos(285, 'y', true));
        const column = u.ctx.getImageData(x, top, 1, bottom - top + 1).data;
        return { inBand: [...column.slice(column.length - 4)], above: [...column.slice(0, 4)] };
      });
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'audit-report.png'), fullPage: true });
      if (process.env.TCPPROBE_UPDATE_SCREENSHOT === '1') await page.screenshot({ path: DOCS_SCREENSHOT });
      console.log(`audit report screenshots: ${ARTIFACTS}/audit-report.png, audit-report-dark.png`);

      expect(problems).toEqual([]);
      expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);
      expect(seen.title).toBe('Capacity audit: nightly');
      expect(seen.outcome).toBe('3 of 4 targets did not pass; the worst outcome is unreachable (exit 3).');
      expect(seen.meta).toMatch(/^4 targets · \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC · tcpprobe \d+\.\d+\.\d+/);
      expect(seen.overview).toEqual([
        { name: 'cache', cells: ['200', '-33.3% vs 300', 'limit-by-failure'], badges: ['regression'] },
        { name: 'greeter', cells: ['200', '+0.0% vs 200', 'limit-by-failure'], badges: ['below-minimum'] },
        { name: 'resetter', cells: ['250', '+0.0% vs 250', 'limit-by-failure'], badges: ['pass'] },
        { name: 'down', cells: ['0', 'not compared', 'unreachable'], badges: ['unreachable'] },
      ]);
      // No hover legend with empty values: the legends are the page's own words.
      expect(seen.legendText).toBe(false);
      const runs = (name: string): number => historyLines().filter((h) => h.audit?.name === name).length;
      const latestTimeline = (name: string): number =>
        (historyLines().filter((h) => h.audit?.name === name).at(-1) as unknown as { timeline: unknown[] }).timeline.length;
      expect(seen.sections.map((x) => x.name)).toEqual(['cache', 'greeter', 'resetter', 'down']);
      for (const x of seen.sections.slice(0, 3)) {
        const name = x.name ?? '';
        expect(x.charts, name).toEqual([
          { kind: 'trend', points: String(runs(name)), expected: String(runs(name)), canvases: 1 },
          { kind: 'held', points: String(latestTimeline(name)), expected: String(latestTimeline(name)), canvases: 1 },
          { kind: 'latency', points: String(runs(name)), expected: String(runs(name)), canvases: 1 },
        ]);
      }
      expect(runs('cache')).toBe(2);
      const cacheSection = seen.sections[0];
      expect(cacheSection?.legend).toEqual(expect.arrayContaining(['regression', 'baseline 300', 'allowed drop, down to 270']));
      expect(cacheSection?.legend.some((l) => l?.startsWith('baseline run, '))).toBe(true);
      expect(cacheSection?.reasons[0]).toMatch(/^regression: max concurrency 200 is 33\.3% below the baseline 300/);
      expect(cacheSection?.facts).toMatchObject({ labels: 'env=ciservice=cache', maxRegression: '10.0%' });
      expect(cacheSection?.facts['connect latency']).toMatch(/^p50 \S+ms, p99 \S+ms$/);
      expect(cacheSection?.facts['measured by']).toMatch(/^tcpprobe \d+\.\d+\.\d+/);
      expect(seen.sections[1]?.facts).toMatchObject({ minConnections: '250' });
      expect(seen.sections[1]?.reasons).toEqual(['below the minimum: max concurrency 200 is below minConnections 250']);
      // The server's words are shown as text, tags and all.
      expect(seen.sections[1]?.serverWords).toContain('-ERR max <b>clients</b>');
      // Dates on the trend's x axis, in UTC: the two nights span a midnight, and a tick falls on it.
      expect(seen.ticks.length, JSON.stringify(seen.ticks)).toBeGreaterThan(1);
      for (const t of seen.ticks) expect(t).toMatch(/^\d{1,2} [A-Z][a-z]{2}( \d\d:\d\d)?$/);
      expect(seen.ticks.some((t) => t.endsWith(' 00:00')), JSON.stringify(seen.ticks)).toBe(true);
      expect(seen.band).toBe('270-300');
      expect(pixels).not.toBeNull();
      expect(pixels?.inBand[3], 'the band is painted').toBeGreaterThan(0);
      expect(pixels?.above[3], 'nothing above the baseline').toBe(0);

      // Dark: the same page under prefers-color-scheme: dark, drawn again without errors.
      await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
      await page.reload({ waitUntil: 'load' });
      await page.waitForSelector('body[data-charts-drawn]', { timeout: 10_000 });
      const dark = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      await page.screenshot({ path: join(ARTIFACTS, 'audit-report-dark.png'), fullPage: true });
      expect(problems).toEqual([]);
      expect(seen.background).toBe('rgb(246, 247, 249)');
      expect(dark).toBe('rgb(15, 18, 22)');
    } finally {
      await browser.close();
    }
  });
});
