/**
 * --junit and --markdown of ramp and hold with the built CLI against `tcpprobe serve`: the files as CI reads them
 * (JUnit validated by xmllint against test/fixtures/junit.xsd; Markdown appended to $GITHUB_STEP_SUMMARY's file,
 * never replacing what the step wrote before), "-" taking stdout with the summary moved to stderr, and colour on
 * a terminal only. The audit's are checked in the two-night audit of audit-file-cli.test.ts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { marked } from 'marked';
import { CLI, collect, runCli, startServe, type ServeChild } from '../helpers/cli.js';
import { describeNeeding, itNeeding, need } from '../helpers/needs.js';
import { validateJUnit, XMLLINT, xpath } from '../helpers/junit.js';

const dir = mkdtempSync(join(tmpdir(), 'tcpprobe-ci-reports-'));
const file = (name: string): string => join(dir, name);
let server: ServeChild;

beforeAll(async () => {
  server = await startServe(['--max-conns', '100']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--junit and --markdown', () => {
  itNeeding([XMLLINT], 'hold: a valid JUnit file with one failing case, and the Markdown appended to the step summary', async () => {
    const summary = file('step-summary.md');
    writeFileSync(summary, '## Earlier in this step\n\n');
    const run = await runCli(
      ['hold', '--host', '127.0.0.1', '--port', String(server.port), '--name', 'pool', '-c', '120', '--delay', '0', '--duration', '500ms',
        '--assert-established', '120', '--within', '300ms', '-q', '--junit', file('hold.xml'), '--markdown', summary],
      { env: { GITHUB_STEP_SUMMARY: summary } },
    );
    expect(run.code, run.stderr).toBe(5);
    const xml = readFileSync(file('hold.xml'), 'utf8');
    expect(validateJUnit(xml).code, xml).toBe(0);
    expect(xpath(xml, 'string(//testcase/@name)')).toBe('pool');
    expect(xpath(xml, 'string(//testcase/@classname)')).toBe('tcpprobe.hold');
    expect(xpath(xml, 'string(//testcase/failure/@type)')).toBe('assertion');
    expect(xpath(xml, 'string(//testcase/failure/@message)')).toMatch(/^established-within: \d+ of 120 established within 300ms/);
    const md = readFileSync(summary, 'utf8');
    expect(md.startsWith('## Earlier in this step\n\n### tcpprobe hold: pool\n')).toBe(true);
    expect(marked.parse(md)).toContain('<strong>pool did not pass: assertion-established (exit 5).</strong>');
  });

  it('ramp --markdown -: the Markdown alone on stdout, the summary on stderr', async () => {
    const run = await runCli(['ramp', '--host', '127.0.0.1', '--port', String(server.port), '--max-duration', '5s', '--markdown', '-'], { timeoutMs: 20_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.startsWith(`### tcpprobe ramp: 127.0.0.1:${server.port}\n`)).toBe(true);
    expect(run.stdout).toContain(`**127.0.0.1:${server.port} passed (exit 0).**`);
    expect(run.stderr).toContain('Max concurrency: 100 connections');
  });

  it.each([
    [['ramp', '--json', '--junit', '-'], '--json and --junit - both write to stdout'],
    [['hold', '--markdown', '-', '--junit', '-'], '--junit - and --markdown - both write to stdout'],
  ])('%j is one usage line before anything connects', async (args, message) => {
    const run = await runCli([...args, '--host', '127.0.0.1', '--port', String(server.port)]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(`tcpprobe: ${message}: give all but one of them a file`);
  });
});

describeNeeding([need.command('script', 'bsdutils')], 'colour', () => {
  /** What a terminal of 100 columns received from tcpprobe ARGS. */
  async function onTerminal(args: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
    const command = `stty rows 40 cols 100; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} ${args}`;
    const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    return (await collect(child, 30_000)).stdout;
  }
  const ramp = (): string => `ramp --host 127.0.0.1 --port ${server.port} --max-duration 5s -q --no-chart --assert-capacity 50`;

  it('colours PASS on a terminal, and not under NO_COLOR, TERM=dumb or in a pipe', async () => {
    expect(await onTerminal(ramp())).toContain('\x1b[32mPASS\x1b[39m capacity');
    expect(await onTerminal(ramp(), { NO_COLOR: '1' })).not.toContain('\x1b[');
    expect(await onTerminal(ramp(), { TERM: 'dumb' })).not.toContain('\x1b[');
    const piped = await runCli(ramp().split(' '), { timeoutMs: 20_000 });
    expect(piped.stdout).toContain('  PASS capacity: ');
    expect(piped.stdout).not.toContain('\x1b');
  });
});
