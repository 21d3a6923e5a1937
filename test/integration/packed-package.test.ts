/**
 * The package as a registry user installs it: `npm pack`, then the tarball installed into a temp project offline
 * from npm's cache (test/helpers/packed.ts). Its types compile in a fresh TypeScript 6 project, which includes no
 * `types` by default (so nothing of @types/node unless the package brings it). Packed as a publisher packs it, it
 * carries a prebuilt native core that runs where the install scripts were skipped, and where none fits this
 * machine, doctor says why in true words.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, type CliRun } from '../helpers/cli.js';
import { installPacked, packPackage, removePacked, ROOT, type Packed } from '../helpers/packed.js';
import { startTarget } from '../helpers/target.js';
import { describeNeeding, need } from '../helpers/needs.js';

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
    const r: RampResult = await ramp({ ...input, assertCapacity: 100 }, { signal, onProgress });
    const passed: boolean | undefined = r.passed;
    return { max: r.maxConcurrency, code: r.exitCode ?? (passed === true ? EXIT.ok : exitCodeForVerdict(r.verdict.kind, 'SIGTERM')) };
  } catch (e) {
    if (e instanceof UsageError) return { max: held, code: EXIT.usage };
    throw e;
  }
}

export async function keeps(port: number): Promise<string[]> {
  const input: HoldInput = { port, connections: 10, duration: '1s', assertEstablished: { count: 10, within: '500ms' } };
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

// Building the prebuild at pack time needs a compiler (scripts/build-native.mjs).
describeNeeding([need.compiler], 'the packed native core, installed without install scripts', () => {
  let packed: Packed | undefined;
  let project = '';
  beforeAll(() => {
    // As a publisher packs: prepack prebuilds the core, prepare builds dist/, postpack removes prebuilds/ again.
    packed = packPackage({ scripts: true });
    project = installPacked(packed, { ignoreScripts: true });
  }, 240_000);
  afterAll(() => removePacked(packed));

  /** The installed bin, run by its own shebang and run bit, without this test run's engine choice. */
  function installedCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
    const clean = { ...process.env, ...env };
    delete clean.TCPPROBE_ENGINE;
    delete clean.TCPPROBE_NATIVE_ADDON;
    const child = spawn(join(project, 'node_modules', '.bin', 'tcpprobe'), args, { cwd: project, env: clean, stdio: ['ignore', 'pipe', 'pipe'] });
    return collect(child, 30_000);
  }

  it('the tarball carries the linux-x64 glibc core, and packing leaves the bin executable and no prebuilds/ behind', () => {
    const core = packed!.entries.find((e) => e.path.startsWith('prebuilds/'));
    expect(packed!.entries.filter((e) => e.path.startsWith('prebuilds/')).map((e) => e.path)).toEqual([`prebuilds/linux-${process.arch}/tcpcore.napi.glibc.node`]);
    expect(core!.size).toBeGreaterThan(10_000);
    expect(packed!.entries.find((e) => e.path === 'dist/cli/bin.cjs')?.mode.toString(8)).toBe('755');
    expect((statSync(join(ROOT, 'dist/cli/bin.cjs')).mode & 0o777).toString(8)).toBe('755');
    expect(existsSync(join(ROOT, 'prebuilds'))).toBe(false);
  });

  it('doctor and a hold run on the native engine, though no install script ran', async () => {
    const pkgDir = join(project, 'node_modules', 'tcpprobe');
    expect(existsSync(join(pkgDir, 'build')), 'an install script ran').toBe(false);
    const doctor = await installedCli(['doctor', '--json']);
    expect(doctor.code, doctor.stderr).toBe(0);
    expect((JSON.parse(doctor.stdout) as { engine: unknown }).engine).toEqual({ name: 'native', why: null });

    const target = await startTarget();
    const hold = await installedCli(['hold', '--host', '127.0.0.1', '--port', String(target.port), '-c', '1', '--duration', '100ms', '--json']);
    expect(hold.code, hold.stderr).toBe(0);
    const result = JSON.parse(hold.stdout) as { engine: unknown; verdict: { kind: string } };
    expect(result.engine).toEqual({ name: 'native', why: null });
    expect(result.verdict.kind).toBe('held');
    expect(hold.stderr).not.toMatch(/JS engine/);
  });

  it('where no prebuild fits (musl, as node-gyp-build reads LIBC) doctor says so and that install scripts were skipped', async () => {
    const doctor = await installedCli(['doctor', '--json'], { LIBC: 'musl' });
    expect(doctor.code, doctor.stderr).toBe(0);
    const engine = (JSON.parse(doctor.stdout) as { engine: { name: string; why: string } }).engine;
    expect(engine.name).toBe('js');
    expect(engine.why).toBe(
      `the native core is not here: no prebuilt core for linux-${process.arch} musl (the package has linux-${process.arch} glibc), and install scripts were ` +
        'skipped, so none was built (--ignore-scripts; pnpm and bun skip them by default); with a C compiler `npm rebuild tcpprobe` builds it ' +
        '(in a checkout `npm run build:native`)',
    );
    expect(engine.why).not.toMatch(/no C compiler/);
  });
});
