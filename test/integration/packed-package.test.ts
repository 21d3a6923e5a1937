/**
 * The package as a registry user installs it: `npm pack`, then the tarball installed into a temp project offline
 * from npm's cache (test/helpers/packed.ts). Its types compile in a fresh TypeScript 6 project, which includes no
 * `types` by default (so nothing of @types/node unless the package brings it).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPacked, packPackage, removePacked, ROOT, type Packed } from '../helpers/packed.js';

const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** Uses the public surface: both runs, their options and results, progress, errors and the exit-code table. */
const CONSUMER = `import { EXIT, exitCodeForVerdict, hold, OUTCOME_TABLE, ramp, UsageError } from 'tcpprobe';
import type { HoldInput, HoldResult, Progress, RampInput, RampResult } from 'tcpprobe';

export async function capacity(port: number, signal: AbortSignal): Promise<{ max: number; code: number }> {
  const input: RampInput = { host: '127.0.0.1', port, rate: '1k', maxDuration: '10s', engine: 'js' };
  let held = 0;
  const onProgress = (p: Progress): void => {
    held = Math.max(held, p.counters.held);
  };
  try {
    const r: RampResult = await ramp(input, { signal, onProgress });
    return { max: r.maxConcurrency, code: exitCodeForVerdict(r.verdict.kind, 'SIGTERM') };
  } catch (e) {
    if (e instanceof UsageError) return { max: held, code: EXIT.usage };
    throw e;
  }
}

export async function keeps(port: number): Promise<string[]> {
  const input: HoldInput = { port, connections: 10, duration: '1s', assertEstablished: { count: 10, within: 500 } };
  const r: HoldResult = await hold(input);
  return [r.verdict.summary, ...r.assertions.map((a) => a.actual), ...OUTCOME_TABLE.map((row) => row.meaning)];
}
`;

function tsc(project: string, config: string, ...args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [TSC, '-p', config, ...args], { cwd: project, encoding: 'utf8', timeout: 80_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("the packed library's types in a fresh TypeScript 6 project", () => {
  let packed: Packed | undefined;
  let project = '';
  beforeAll(() => {
    packed = packPackage({ scripts: false });
    project = installPacked(packed, { ignoreScripts: true });
    writeFileSync(join(project, 'index.ts'), CONSUMER);
  }, 120_000);
  afterAll(() => removePacked(packed));

  it('compile with nothing but module nodenext: TypeScript 6 defaults (strict, no types, lib checked)', () => {
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', noEmit: true }, files: ['index.ts'] }));
    const r = tsc(project, 'tsconfig.json');
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
    // Slow: with skipLibCheck off TypeScript checks every declaration file, TypeBox's 354 among them (the result
    // types are derived from its schemas): 12-16 s on this machine.
  }, 90_000);

  it('compile with the tsconfig `tsc --init` writes (exactOptionalPropertyTypes, verbatimModuleSyntax, ...)', () => {
    // Written in a folder of its own, then moved beside index.ts; nothing is emitted.
    const initDir = join(packed!.dir, 'init');
    mkdirSync(initDir);
    const init = spawnSync(process.execPath, [TSC, '--init'], { cwd: initDir, encoding: 'utf8' });
    expect(init.status, init.stdout).toBe(0);
    renameSync(join(initDir, 'tsconfig.json'), join(project, 'tsconfig.init.json'));
    const r = tsc(project, 'tsconfig.init.json', '--noEmit');
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });
});
