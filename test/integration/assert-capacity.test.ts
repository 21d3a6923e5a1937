/**
 * `ramp --assert-capacity N`, the CI gate "does it hold at least N?": an assertion in the result document like
 * hold's, its own exit code, and the same code in `result.exitCode` for the library.
 */
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/metrics/exit-codes.js';
import { ramp } from '../../src/index.js';
import type { RampResult } from '../../src/metrics/result.js';
import { parseResult, runCli, startServe } from '../helpers/cli.js';

const CAP = 50;
const QUICK = ['--max-duration', '15s', '--hold', '300ms', '--json'];

describe('ramp --assert-capacity', () => {
  it('fails with its own exit code when fewer were held, passes when at least N were; the document says both', async () => {
    const serve = await startServe(['--max-conns', String(CAP)]);
    const target = ['--host', '127.0.0.1', '--port', String(serve.port)];
    const short = await runCli(['ramp', ...target, ...QUICK, '--assert-capacity', String(CAP * 2)], { timeoutMs: 30_000 });
    const shortDoc = parseResult<RampResult>(short);
    expect(shortDoc.verdict.kind).toBe('limit-by-failure');
    expect(shortDoc.maxConcurrency).toBeLessThan(CAP * 2);
    expect(short.code, short.stderr).toBe(EXIT.assertCapacity);
    expect(shortDoc.exitCode).toBe(EXIT.assertCapacity);
    expect(shortDoc.passed).toBe(false);
    expect(shortDoc.assertions).toEqual([
      {
        name: 'capacity',
        passed: false,
        expected: `at least ${CAP * 2} held`,
        actual: `${shortDoc.maxConcurrency} held (${CAP * 2 - shortDoc.maxConcurrency} short)`,
      },
    ]);
    expect(short.stderr).toContain(`tcpprobe: assertion failed: capacity: ${shortDoc.maxConcurrency} held`);

    const enough = await runCli(['ramp', ...target, ...QUICK, '--assert-capacity', String(CAP / 2)], { timeoutMs: 30_000 });
    const enoughDoc = parseResult<RampResult>(enough);
    expect(enough.code, enough.stderr).toBe(EXIT.ok);
    expect(enoughDoc.exitCode).toBe(EXIT.ok);
    expect(enoughDoc.passed).toBe(true);
    expect(enoughDoc.assertions?.map((a) => [a.name, a.passed])).toEqual([['capacity', true]]);
  });

  it('more than --max can never pass: one usage line before anything connects', async () => {
    const run = await runCli(['ramp', '--port', '9', '--max', '100', '--assert-capacity', '200']);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr.trim()).toBe('tcpprobe: --assert-capacity: 200 is more than --max 100 (the ramp never asks for more)');
  });

  it('the library: result.exitCode and result.passed count the assertion, as the CLI exits', async () => {
    const serve = await startServe(['--max-conns', String(CAP)]);
    const r = await ramp({ host: '127.0.0.1', port: serve.port, maxDuration: '15s', hold: '300ms', assertCapacity: CAP * 2 });
    expect(r.verdict.kind).toBe('limit-by-failure');
    expect(r.exitCode).toBe(EXIT.assertCapacity);
    expect(r.passed).toBe(false);
    const plain = await ramp({ host: '127.0.0.1', port: serve.port, maxDuration: '15s', hold: '300ms' });
    expect(plain.exitCode).toBe(EXIT.ok);
    expect(plain.passed).toBe(true);
    expect(plain.assertions).toEqual([]);
  });
});
